import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshotFile, SnapshotError, writeSnapshotFile, type FileOps } from './index.js';
import { tempPathFor, writeFileAtomic } from './file.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-snap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const realOps: FileOps = {
  openSync: (p, f) => fs.openSync(p, f),
  writeSync: (fd, b, o, l) => fs.writeSync(fd, b, o, l),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  unlinkSync: (p) => fs.unlinkSync(p),
};

const data = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('snapshot files', () => {
  it('writes and reads back; overwrites atomically', () => {
    const p = join(dir, 'a.snap');
    writeSnapshotFile(p, data(100_000, 1));
    expect(readSnapshotFile(p)).toEqual(data(100_000, 1));
    writeSnapshotFile(p, data(10, 2));
    expect(readSnapshotFile(p)).toEqual(data(10, 2));
    expect(readdirSync(dir).filter((n) => n.startsWith('a.snap'))).toEqual(['a.snap']);
  });

  it('a failing rename leaves no file at the target and no temporary file', () => {
    const p = join(dir, 'b.snap');
    const ops = { ...realOps, renameSync: () => { throw new Error('EIO: simulated'); } };
    expect(() => writeSnapshotFile(p, data(5000, 3), ops)).toThrow(SnapshotError);
    expect(fs.existsSync(p)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('b.snap'))).toEqual([]);
  });

  it('a write that dies half-way leaves the previous file intact and no temporary file', () => {
    const p = join(dir, 'c.snap');
    writeSnapshotFile(p, data(3000, 4));
    let calls = 0;
    const ops = {
      ...realOps,
      writeSync: (fd: number, b: Uint8Array, o: number, l: number) => {
        if (calls++ > 0) throw new Error('ENOSPC: simulated');
        return fs.writeSync(fd, b, o, Math.min(l, 1000));
      },
    };
    expect(() => writeSnapshotFile(p, data(8000, 5), ops)).toThrow(/cannot write snapshot file .*ENOSPC/);
    expect(readSnapshotFile(p)).toEqual(data(3000, 4));
    expect(readdirSync(dir).filter((n) => n.startsWith('c.snap'))).toEqual(['c.snap']);
  });

  it('a directory at the target path: SnapshotError, directory untouched, no temporary file', () => {
    const p = join(dir, 'd.snap');
    fs.mkdirSync(p);
    fs.writeFileSync(join(p, 'keep'), 'x');
    expect(() => writeSnapshotFile(p, data(100, 6))).toThrow(SnapshotError);
    expect(fs.statSync(p).isDirectory()).toBe(true);
    expect(readdirSync(p)).toEqual(['keep']);
    expect(readdirSync(dir).filter((n) => n.startsWith('d.snap'))).toEqual(['d.snap']);
  });

  it('unwritable or missing locations and missing files are one-line SnapshotErrors', () => {
    expect(() => writeSnapshotFile(join(dir, 'no', 'such', 'dir.snap'), data(1, 1))).toThrow(/cannot write snapshot file/);
    expect(() => readSnapshotFile(join(dir, 'missing.snap'))).toThrow(/cannot read snapshot file .*ENOENT/);
    try {
      readSnapshotFile(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(SnapshotError);
      expect((e as Error).message).not.toMatch(/\n/);
    }
  });
});

describe('temporary files of killed writers', () => {
  it('removeStaleTemps removes those of dead processes, keeps live ones and other files; writeFileAtomic does it first', () => {
    const d = mkdtempSync(join(tmpdir(), 'hvrr-stale-'));
    const out = join(d, 'x.hvsnap');
    // A pid that is not running: probe upwards from a high one.
    let dead = 4_000_000;
    for (;; dead++) {
      try {
        process.kill(dead, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') break;
      }
    }
    writeFileSync(tempPathFor(out, dead), 'half a snapshot');
    writeFileSync(tempPathFor(out, process.ppid), 'the parent is writing');
    writeFileSync(join(d, 'x.hvsnap.tmp-notapid'), 'not ours');
    writeFileSync(join(d, 'y.hvsnap.tmp-1'), 'another file');
    writeFileAtomic(out, new Uint8Array([1, 2, 3]));
    expect(readdirSync(d).sort()).toEqual(['x.hvsnap', `x.hvsnap.tmp-${process.ppid}`, 'x.hvsnap.tmp-notapid', 'y.hvsnap.tmp-1'].sort());
    expect([...readFileSync(out)]).toEqual([1, 2, 3]);
  });
});
