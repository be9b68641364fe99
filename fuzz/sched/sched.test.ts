// `hvrr fuzz sched` end to end: a clean campaign finds nothing; each planted
// defect (core/mutations.ts) is found from a fixed seed, its printed repro
// reproduces it exactly, and its recording replays to the failing step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { expectCleanTwice, expectReproduces, expectTraceReplays } from '../testing.js';
import { suiteSeed } from '../../property-tests/seed.js';

const RUNS = Number(process.env['HVRR_FUZZ_SCHED_RUNS'] ?? 4);
const SEED = suiteSeed('fuzz sched (clean)', 'HVRR_FUZZ_SCHED_SEED', 20261205, { runs: RUNS });
const out = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-sched-'));


describe('hvrr fuzz sched', () => {
  it(`a clean campaign (${RUNS} runs from the rotating seed) breaks no invariant, and the same seed prints the same`, async () => {
    await expectCleanTwice({ fuzzArgs: [['sched'], ['sched']], name: 'sched', options: 'chaos drawn per case', seed: SEED, runs: RUNS, outDir: out });
  });

  it.each([
    ['lost-sgi', /FAILED: the guest reports round \d+ vCPU \d+ operation \d+: SGI not taken exactly once/],
    ['double-run', /FAILED: vm\d\.vcpu\d scheduled in on pCPU \d while in on pCPU \d/],
  ])('the planted defect %s is found from a fixed seed; the repro reproduces it and the trace replays to it', async (mutation, expected) => {
    const r = await runCli(['fuzz', 'sched', '--seed', '100', '--runs', '30', '--mutate', mutation, '--out', out]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(expected);
    const runs = /found in run (\d+) of shard/.exec(r.out)![1];
    console.log(`fuzz sched: planted defect ${mutation} found in run ${runs} (seed 100)`);
    await expectReproduces(r.out, out);
    await expectTraceReplays(r.out);
  });

  it('refuses bad command lines in one line', async () => {
    for (const [argv, msg] of [
      [['fuzz'], /missing what to fuzz/],
      [['fuzz', 'nope'], /unknown fuzzer 'nope'/],
      [['fuzz', 'sched', '--path', '0:1'], /--path replays one case/],
      [['fuzz', 'sched', '--shard', '3/3'], /--shard: '3\/3' is not I\/N/],
      [['fuzz', 'sched', '--mutate', 'nope'], /unknown mutation 'nope'/],
      [['run', '--mutate', 'nope'], /unknown mutation 'nope'/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  });
});
