// A snapshot written by hvrr before issue 10 (fixtures/main-23c807b) still
// restores, and the run continues exactly as a fresh one: the same trace
// digest at the end.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { machineFromSnapshot } from '../cli/commands/restore.js';
import { parseRunOptions, prepareMachine } from '../cli/commands/run.js';
import { readMeta } from './index.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'main-23c807b');
/** The digest of `hvrr run --kernel selftest.bin --smp 2 --mem 32M` at 23c807b (fixtures/main-23c807b/README.md). */
const DIGEST = 'af387ba3dd03f1ff9625902d27c788ed17bf8a6ec23e59713ca1614336b18d0f';

describe('snapshot from main 23c807b', () => {
  it('is a full snapshot with the records of that time', () => {
    const meta = readMeta(readFileSync(join(DIR, 'selftest-hv-smp2-exc400.snap')));
    expect(meta.kind).toBe('full');
    expect(meta.config.numCpus).toBe(2);
    expect(meta.config.secure).toBeUndefined(); // from before --secure: a one-world machine
  });

  it('restores and continues to the digest of a fresh run', () => {
    const fresh = prepareMachine(parseRunOptions(['--kernel', join(DIR, 'selftest.bin'), '--smp', '2', '--mem', '32M']));
    expect(fresh.run(100_000_000).kind).toBe('system-off');
    expect(fresh.trace.digest()).toBe(DIGEST);

    const m = machineFromSnapshot(join(DIR, 'selftest-hv-smp2-exc400.snap'));
    expect(m.getMachineState().exceptionCount).toBe(400);
    expect(m.config.secure).toBe(false);
    expect(m.run(100_000_000).kind).toBe('system-off');
    expect(m.trace.digest()).toBe(DIGEST);
    expect(m.trace.count).toBe(fresh.trace.count);
    expect(m.instructions).toBe(fresh.instructions);
  });
});
