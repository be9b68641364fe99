// Snapshot files on disk: atomic writes (temporary file, fsync, rename), so
// `path` is either the old file, the complete new one, or absent - never a
// partial file.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** The temporary file a write of `path` by process `pid` uses. */
export function tempPathFor(path: string, pid: number = process.pid): string {
  return `${path}.tmp-${pid}`;
}

/** Is process `pid` alive? (signal 0 checks without sending anything) */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, not ours
  }
}

/** Remove temporary files of `path` left by writers that died (killed
 *  mid-write); those of live processes are theirs. Returns what it removed. */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    try {
      fs.unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/** Write `bytes` to `path` atomically: a temporary file beside it, fsync, rename.
 *  On failure the temporary file is removed and the error rethrown. Temporary
 *  files of `path` left by killed writers are removed first. */
export function writeFileAtomic(path: string, bytes: Uint8Array, ops: FileOps = nodeOps): void {
  removeStaleTemps(path);
  const tmp = tempPathFor(path);
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
