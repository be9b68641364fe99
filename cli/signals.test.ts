import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSnapshotFile } from '../snapshots/index.js';
import { CliError } from './errors.js';
import { signalExitCode, writeHoldingSignals } from './signals.js';
import type { CliIO } from './io.js';

const io = { handleSignals: true } as unknown as CliIO;

describe('signals during an output write', () => {
  it('exit statuses are 128 + the signal number', () => {
    expect([signalExitCode('SIGHUP'), signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual([129, 130, 143]);
  });

  it('a SIGTERM arriving mid-write is held: the file is complete, no temporary is left, then the command ends with 143', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hvrr-sig-'));
    const out = join(d, 'x.hvsnap');
    const bytes = new Uint8Array(1 << 20).fill(7);
    let caught: unknown;
    try {
      await writeHoldingSignals(io, `snapshot '${out}'`, () => {
        process.kill(process.pid, 'SIGTERM');
        writeSnapshotFile(out, bytes);
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(143);
    expect((caught as CliError).message).toMatch(/^SIGTERM while writing snapshot '.*x\.hvsnap': it was completed first; stopping$/);
    expect(readdirSync(d)).toEqual(['x.hvsnap']);
    expect(readFileSync(out).equals(Buffer.from(bytes))).toBe(true);
  });

  it('without a signal the write just happens', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hvrr-sig-'));
    await writeHoldingSignals(io, 'x', () => writeSnapshotFile(join(d, 'y'), new Uint8Array([1])));
    expect(existsSync(join(d, 'y'))).toBe(true);
  });
});
