// `hvrr fuzz ffa --vm` end to end: a clean campaign finds nothing and prints
// the same twice (rotating seed); a fixed seed reaches every command kind
// with its successes and its refusals; each planted ledger defect
// (core/mutations.ts, given to the proxy's ledger through the machine's
// configuration) is found from a fixed seed within a bounded number of runs
// (printed), and its printed repro reproduces it exactly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { suiteSeed } from '../../property-tests/seed.js';
import { runCampaign } from '../campaign.js';
import { expectCleanTwice, expectReproduces, fakeClock } from '../testing.js';
import { ffaVmTarget } from './target.js';

const RUNS = Number(process.env['HVRR_FUZZ_FFA_VM_RUNS'] ?? 150);
const SEED = suiteSeed('fuzz ffa --vm (clean)', 'HVRR_FUZZ_FFA_VM_SEED', 20261205, { runs: RUNS });
const out = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-ffa-vm-'));
const now = fakeClock();

describe('hvrr fuzz ffa --vm', () => {
  it(`a clean campaign (${RUNS} runs from the rotating seed) breaks no invariant, and the same seed prints the same`, async () => {
    await expectCleanTwice({ fuzzArgs: [['ffa', '--vm'], ['ffa-vm']], name: 'ffa-vm', options: 'hypervisor VM-to-VM proxy .*at most 24 commands per case', seed: SEED, runs: RUNS, outDir: out });
  }, 120_000);

  it('from a fixed seed, the campaign reaches every command kind with its successes and its refusals', () => {
    const r = runCampaign(ffaVmTarget({}), { seed: 20261205, runs: 500, shard: { index: 0, count: 1 }, now });
    expect(r.finding?.message ?? null).toBeNull();
    const reached = [...r.covered.keys()];
    for (const key of [
      'send-share success', 'send-lend success', 'send-donate success', 'send-share DENIED', 'send-lend DENIED', 'send-donate DENIED', 'send-share INVALID_PARAMETERS', 'send-donate INVALID_PARAMETERS', 'send-share NO_MEMORY',
      'frag-tx success', 'frag-tx INVALID_PARAMETERS', 'frag-tx DENIED', 'retrieve success', 'retrieve DENIED', 'retrieve BUSY', 'retrieve INVALID_PARAMETERS',
      'retrieve more access than sent DENIED', 'retrieve less access than sent success', 'retrieve of a dead handle',
      'frag-rx success', 'frag-rx INVALID_PARAMETERS', 'frag-rx BUSY', 'relinquish success', 'relinquish INVALID_PARAMETERS', 'relinquish DENIED', 'relinquish by a non-borrower INVALID_PARAMETERS',
      'reclaim success', 'reclaim DENIED', 'reclaim INVALID_PARAMETERS', 'reclaim by another VM INVALID_PARAMETERS', 'reclaim of a dead handle',
      'release success', 'release DENIED', 'unmap success', 'unmap INVALID_PARAMETERS', 'unmap DENIED', 'remap success', 'remap DENIED', 'remap INVALID_PARAMETERS',
    ]) expect(reached, key).toContain(key);
  }, 120_000);

  it.each([
    ['reclaim-while-retrieved', /FAILED: reclaim by VM \d: answered success, the model says DENIED \(a borrower still holds the memory\)/],
    ['relinquish-from-non-borrower', /FAILED: relinquish by VM \d: answered success, the model says INVALID_PARAMETERS \(not a borrower\)/],
    ['ownership-not-restored-on-failed-share', /FAILED: send-\w+ by VM \d was refused \(DENIED\) but changed the proxy's record/],
    ['overlap-check-skipped', /FAILED: (send-\w+|frag-tx) by VM \d: answered success, the model says DENIED \(a page is not the sender's or already in a transaction\)/],
    ['reclaim-before-all-fragments', /FAILED: reclaim by VM \d: answered success, the model says INVALID_PARAMETERS \(no complete transaction with this handle\)/],
  ])('the planted ledger defect %s is found from a fixed seed within 300 runs; the repro reproduces it exactly', async (mutation, expected) => {
    const r = await runCli(['fuzz', 'ffa', '--vm', '--seed', '100', '--runs', '300', '--mutate', mutation, '--out', out]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(expected);
    const runs = /found in run (\d+) of shard/.exec(r.out)![1];
    console.log(`fuzz ffa --vm: planted defect ${mutation} found in run ${runs} (seed 100)`);
    expect(r.out).toMatch(/trace: none \(the case runs no guest code/);
    const { repro, again } = await expectReproduces(r.out, out);
    expect(repro.slice(0, 2)).toEqual(['fuzz', 'ffa-vm']);
    const shrunk = (s: string): string => /case: .*/.exec(s)![0];
    expect(shrunk(again)).toBe(shrunk(r.out));
  }, 120_000);

  it('--shard and --json: a shard runs its share of the cases and prints one summary object', async () => {
    const r = await runCli(['fuzz', 'ffa-vm', '--seed', '5', '--runs', '21', '--shard', '1/2', '--json', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { fuzzer: string; seed: number; shard: string; runs: number; failure: unknown; covered: Record<string, number> };
    expect(summary).toMatchObject({ fuzzer: 'ffa-vm', seed: 5, shard: '1/2', runs: 10, failure: null });
    expect(Object.keys(summary.covered).length).toBeGreaterThan(5);
    expect(r.err.split('\n')[0]).toMatch(/^hvrr fuzz ffa-vm: seed 5, runs 21, shard 1\/2, hypervisor VM-to-VM proxy/);
  });

  it('refuses --chaos, and --vm with --machine or another fuzzer, in one line', async () => {
    for (const [argv, why] of [
      [['fuzz', 'ffa', '--vm', '--chaos', '1'], /--chaos: fuzz ffa-vm runs no guest code/],
      [['fuzz', 'ffa', '--vm', '--machine'], /--vm and --machine: pick one/],
      [['fuzz', 'sched', '--vm'], /--vm goes with ffa/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(why);
    }
  });
});
