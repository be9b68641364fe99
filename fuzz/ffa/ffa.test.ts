// `hvrr fuzz ffa` end to end: a clean campaign finds nothing (rotating
// seed); a fixed seed reaches every kind of call and outcome that matters;
// each planted FF-A defect (core/mutations.ts) is found from a fixed seed
// within a bounded number of runs (printed), and its printed repro
// reproduces it exactly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { expectCleanTwice, expectReproduces, fakeClock } from '../testing.js';
import { suiteSeed } from '../../property-tests/seed.js';
import { runCampaign } from '../campaign.js';
import { ffaTarget } from './target.js';

const RUNS = Number(process.env['HVRR_FUZZ_FFA_RUNS'] ?? 200);
const SEED = suiteSeed('fuzz ffa (clean)', 'HVRR_FUZZ_FFA_SEED', 20261205, { runs: RUNS });
const out = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-ffa-'));
const now = fakeClock();

describe('hvrr fuzz ffa', () => {
  it(`a clean campaign (${RUNS} runs from the rotating seed) breaks no invariant, and the same seed prints the same`, async () => {
    await expectCleanTwice({ fuzzArgs: [['ffa'], ['ffa']], name: 'ffa', options: 'module level .*at most 30 commands per case', seed: SEED, runs: RUNS, outDir: out });
  });

  it('from a fixed seed, the campaign reaches every call kind with its successes and its refusals (table exhaustion, BUSY, DENIED reclaims)', () => {
    const r = runCampaign(ffaTarget({}), { seed: 20261205, runs: 400, shard: { index: 0, count: 1 }, now });
    expect(r.finding?.message ?? null).toBeNull();
    const reached = [...r.covered.keys()];
    for (const key of [
      'send-share success', 'send-lend success', 'send-donate success', 'send-share NO_MEMORY', 'send-lend DENIED', 'send-share INVALID_PARAMETERS',
      'frag-tx success', 'frag-tx INVALID_PARAMETERS', 'frag-tx DENIED', 'retrieve success', 'retrieve DENIED', 'retrieve BUSY',
      'frag-rx success', 'frag-rx INVALID_PARAMETERS', 'relinquish success', 'relinquish INVALID_PARAMETERS',
      'reclaim success', 'reclaim DENIED', 'reclaim INVALID_PARAMETERS', 'unmap', 'remap', 'release',
    ]) expect(reached, key).toContain(key);
  });

  it.each([
    ['reclaim-while-retrieved', /FAILED: reclaim by \S+: answered success, the model says DENIED \(a borrower still holds the memory\)/],
    ['reclaim-before-all-fragments', /FAILED: reclaim by \S+: answered \w+.*, the model says INVALID_PARAMETERS \(no complete transaction with this handle\)/],
    ['frag-rx-offset-unchecked', /FAILED: frag-rx by \S+: answered success, the model says INVALID_PARAMETERS \(offset \d+, \d+ bytes fetched\)/],
    ['overlap-check-skipped', /FAILED: (send-\w+|frag-tx) by \S+: answered success, the model says DENIED \(a page is not the sender's or already in a transaction\)/],
    ['ownership-not-restored-on-failed-share', /FAILED: send-\w+ by \S+ was refused \(DENIED\) but changed state/],
    ['relinquish-from-non-borrower', /FAILED: relinquish by \S+: answered success, the model says INVALID_PARAMETERS \(not a borrower\)/],
  ])('the planted defect %s is found from a fixed seed within 300 runs; the repro reproduces it exactly', async (mutation, expected) => {
    const r = await runCli(['fuzz', 'ffa', '--seed', '100', '--runs', '300', '--mutate', mutation, '--out', out]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(expected);
    const runs = /found in run (\d+) of shard/.exec(r.out)![1];
    console.log(`fuzz ffa: planted defect ${mutation} found in run ${runs} (seed 100)`);
    expect(r.out).toMatch(/trace: none \(a module-level case runs no machine/);
    const { repro, again } = await expectReproduces(r.out, out);
    expect(repro.slice(0, 2)).toEqual(['fuzz', 'ffa']);
    const shrunk = (s: string): string => /case: .*/.exec(s)![0];
    expect(shrunk(again)).toBe(shrunk(r.out));
  });

  it('--shard and --json: a shard runs its share of the cases and prints one summary object', async () => {
    const r = await runCli(['fuzz', 'ffa', '--seed', '5', '--runs', '21', '--shard', '1/2', '--json', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { fuzzer: string; seed: number; shard: string; runs: number; failure: unknown; covered: Record<string, number> };
    expect(summary).toMatchObject({ fuzzer: 'ffa', seed: 5, shard: '1/2', runs: 10, failure: null });
    expect(Object.keys(summary.covered).length).toBeGreaterThan(5);
    expect(r.err.split('\n')[0]).toMatch(/^hvrr fuzz ffa: seed 5, runs 21, shard 1\/2, module level/);
  });

  it('refuses --chaos (no machine) in one line', async () => {
    const r = await runCli(['fuzz', 'ffa', '--chaos', '1']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--chaos: fuzz ffa runs no machine/);
  });
});
