// Snapshot files on disk: atomic writes (temporary file, fsync, rename), so
// `path` is either the old file, the complete new one, or absent - never a
// partial file.
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { SnapshotError } from './errors.js';

/** The file operations used (replaceable in tests to simulate failures). */
export interface FileOps {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

const nodeOps: FileOps = {
  openSync: (p, f) => fs.openSync(p, f),
  writeSync: (fd, b, o, l) => fs.writeSync(fd, b, o, l),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  unlinkSync: (p) => fs.unlinkSync(p),
};

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function writeSnapshotFile(path: string, bytes: Uint8Array, ops: FileOps = nodeOps): void {
  try {
    writeFileAtomic(path, bytes, ops);
  } catch (e) {
    throw new SnapshotError(`cannot write snapshot file ${path}: ${why(e)}`);
  }
}

/** Write `bytes` to `path` atomically: a temporary file beside it, fsync, rename.
 *  On failure the temporary file is removed and the error rethrown. */
export function writeFileAtomic(path: string, bytes: Uint8Array, ops: FileOps = nodeOps): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd = -1;
  try {
    fd = ops.openSync(tmp, 'w');
    for (let off = 0; off < bytes.length; ) {
      const n = ops.writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 26));
      if (n <= 0) throw new Error('write made no progress');
      off += n;
    }
    ops.fsyncSync(fd);
    const f = fd;
    fd = -1;
    ops.closeSync(f);
    ops.renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try {
        ops.closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      ops.unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw e;
  }
  // Make the rename durable (best effort: not every platform can fsync a directory).
  try {
    const d = fs.openSync(dirname(path), 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    // ignore
  }
}

export function readSnapshotFile(path: string): Uint8Array {
  try {
    const b = fs.readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  } catch (e) {
    throw new SnapshotError(`cannot read snapshot file ${path}: ${why(e)}`);
  }
}
