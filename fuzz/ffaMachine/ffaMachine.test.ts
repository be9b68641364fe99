// `hvrr fuzz ffa-machine` (`hvrr fuzz ffa --machine`) end to end: a clean
// campaign of a few cases from the rotating seed breaks nothing and the
// same seed prints the same; a fixed seed reaches sends, retrieves,
// relinquishes and reclaims by the VM and the partitions with their
// refusals; a fixed SP-to-VM scenario (the VM retrieving and relinquishing
// through the proxy what a partition sends it) agrees with the model at
// every stop; planted FF-A defects (core/mutations.ts, in the SPMC's ledger
// of the machine) are found from a fixed seed, and for one the repro
// reproduces it and its recording replays to the failing step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { expectCleanTwice, expectReproduces, expectTraceReplays, fakeClock } from '../testing.js';
import { suiteSeed } from '../../property-tests/seed.js';
import { runCampaign } from '../campaign.js';
import { ffaMachineTarget } from './target.js';
import { runMachineCase } from './runCase.js';
import { compile, SP_MAX_STEPS, type MachineCmd } from './model.js';
import { machineImages } from './guest.js';
import type { SendOp } from '../../core/ffa/memory/rules.js';

const RUNS = Number(process.env['HVRR_FUZZ_FFA_MACHINE_RUNS'] ?? 4);
const SEED = suiteSeed('fuzz ffa-machine (clean)', 'HVRR_FUZZ_FFA_MACHINE_SEED', 20261205, { runs: RUNS });
const out = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-ffa-machine-'));
const now = fakeClock();

describe('hvrr fuzz ffa --machine', () => {
  it(`a clean campaign (${RUNS} runs from the rotating seed) breaks no invariant, and the same seed prints the same`, async () => {
    await expectCleanTwice({ fuzzArgs: [['ffa', '--machine'], ['ffa-machine']], name: 'ffa-machine', options: 'machine level .*', seed: SEED, runs: RUNS, outDir: out });
  }, 300_000);

  it('from a fixed seed, the campaign reaches every call kind by the VM and the partitions, with refusals', () => {
    const r = runCampaign(ffaMachineTarget({ dir: out }), { seed: 20261205, runs: 24, shard: { index: 0, count: 1 }, now });
    expect(r.finding?.message ?? null).toBeNull();
    const reached = [...r.covered.keys()];
    console.log(`fuzz ffa-machine seed 20261205: ${reached.sort().join(', ')}`);
    for (const key of [
      'send-share vm success', 'send-lend vm success', 'send-donate vm success', 'send-share sp success', 'send-lend sp success', 'send-donate sp success',
      'frag-tx sp success', 'retrieve sp success', 'retrieve sp INVALID_PARAMETERS', 'rx-release sp success', 'relinquish sp success',
      'relinquish sp INVALID_PARAMETERS', 'reclaim vm success', 'reclaim sp success', 'reclaim vm DENIED', 'reclaim sp INVALID_PARAMETERS',
      // SP-to-VM, and the bulk region's fragments both ways.
      'send-lend sp-to-vm success', 'send-share sp-to-vm success', 'send-lend sp-to-vm DENIED', 'frag-tx vm success', 'frag-rx sp success', 'frag-rx sp INVALID_PARAMETERS',
    ]) expect(reached, key).toContain(key);
    expect(reached.some((k) => /^send-\w+ sp(-to-vm)? first fragment$/.test(k)), 'a partition\'s fragmented send').toBe(true);
    expect(reached.some((k) => /^send-\w+ sp DENIED$/.test(k)), 'a partition\'s refused send').toBe(true);
    expect(reached.some((k) => /^send-\w+ vm first fragment$/.test(k)), 'the VM\'s fragmented send').toBe(true);
  }, 300_000);

  it('SP-to-VM on the machine: a partition lends, shares and donates back what the VM donated it; the VM retrieves through the proxy (written where the model says), relinquishes, and sends on what came back; the model and the machine agree at every step', () => {
    const sp1Sends = (op: SendOp, access: 'ro' | 'rw'): MachineCmd => ({ k: 'send', by: 1, op, to: [0], access, pages: [{ home: 0, page: 1 }] });
    const cmds: MachineCmd[] = [
      { k: 'send', by: 0, op: 'donate', to: [0], access: 'rw', pages: [{ home: 0, page: 1 }] },
      { k: 'retrieve', by: 1, h: 0 },
      sp1Sends('lend', 'rw'), { k: 'retrieve', by: 1, h: 0 }, { k: 'reclaim', by: 1, h: 0 }, { k: 'relinquish', by: 1, h: 0 }, { k: 'reclaim', by: 1, h: 0 },
      sp1Sends('share', 'ro'), { k: 'retrieve', by: 1, h: 0 }, { k: 'relinquish', by: 1, h: 0 }, { k: 'reclaim', by: 1, h: 0 },
      sp1Sends('donate', 'rw'), { k: 'retrieve', by: 1, h: 0 },
      // The page is the VM's again (a donate transfers ownership): it shares it on like any page it owns, and donates it again.
      { k: 'send', by: 0, op: 'share', to: [1], access: 'rw', pages: [{ home: 0, page: 1 }] }, { k: 'retrieve', by: 2, h: 0 }, { k: 'relinquish', by: 2, h: 0 }, { k: 'reclaim', by: 0, h: 0 },
      { k: 'send', by: 0, op: 'donate', to: [1], access: 'rw', pages: [{ home: 0, page: 1 }] }, { k: 'retrieve', by: 2, h: 0 },
    ];
    const r = runMachineCase(cmds, 1, out);
    expect(r.violation?.message ?? null).toBeNull();
    expect(r.checked).toBe(compile(cmds).steps.length + 1);
    for (const key of ['send-lend sp-to-vm success', 'send-share sp-to-vm success', 'send-donate sp-to-vm success', 'retrieve vm success', 'rx-release vm success', 'relinquish vm success', 'reclaim sp DENIED', 'send-share vm success', 'reclaim vm success', 'send-donate vm success']) expect(r.covered, key).toContain(key);
  }, 120_000);

  it('the planted defect reclaim-while-retrieved is found from a fixed seed on the machine; the repro reproduces it and the trace replays to it', async () => {
    const r = await runCli(['fuzz', 'ffa', '--machine', '--seed', '100', '--runs', '20', '--mutate', 'reclaim-while-retrieved', '--out', out]);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/FAILED: step \d+ \(\S+( 0x\w+)? reclaim 0x\w+\): answered FFA_SUCCESS_\d+, the model says DENIED \(a borrower still holds the memory\)/);
    console.log(`fuzz ffa-machine: ${/found in run .*/.exec(r.out)![0]}`);
    await expectReproduces(r.out, out);
    await expectTraceReplays(r.out);
  }, 600_000);

  // Found by the campaign itself, unshrunk (shrinking costs up to 40 machine runs per defect; the CLI path, its
  // shrinking, repro and trace are checked above): the test's time is the runs it takes to find each.
  it.each([
    ['relinquish-from-non-borrower', 30, /^step \d+ \(SP 0x\w+ relinquish 0x\w+\): answered FFA_SUCCESS_\d+, the model says INVALID_PARAMETERS/],
    ['overlap-check-skipped', 30, /^step \d+ \(\S+( 0x\w+)? \w+.*\): answered FFA_\w+, the model says DENIED \(a page is not the sender's or already in a transaction\)/],
    ['ownership-not-restored-on-failed-share', 30, /^after step \d+ \(.*\): the SPMC's ledger has page 0x\w+ in 0x\w+, the model in none/],
    ['reclaim-before-all-fragments', 40, /^step \d+ \(\S+( 0x\w+)? reclaim 0x\w+\): answered (FFA_SUCCESS_\d+|DENIED), the model says INVALID_PARAMETERS \(the send is still in fragments\)/],
    ['frag-rx-offset-unchecked', 30, /^step \d+ \(SP 0x\w+ FRAG_RX 0x\w+ at \d+\): answered FFA_MEM_FRAG_TX, the model says INVALID_PARAMETERS \(the offset is not \d+, where the previous fragment ended\)/],
  ] as const)('the planted defect %s is found on the machine from seed 100 within %i runs', (mutation, runs, expected) => {
    const r = runCampaign(ffaMachineTarget({ dir: out, mutate: mutation }), { seed: 100, runs, shard: { index: 0, count: 1 }, shrinkBudget: 0, now });
    expect(r.finding?.message ?? null).toMatch(expected);
    console.log(`fuzz ffa-machine: ${mutation} found in run ${r.finding!.run + 1} from seed 100 (case seed ${r.finding!.caseSeed})`);
  }, 300_000);

  it('a case stops before a partition would make more steps than its image holds records for; the records it makes fit', () => {
    // SP 0x8004 sends its two pages in fragments with a reclaim between them (three steps), then reclaims, over and over.
    const cycle: MachineCmd[] = [{ k: 'send', by: 1, op: 'share', to: [1], access: 'rw', pages: [{ home: 0, page: 0 }, { home: 0, page: 1 }], split: true, early: true }, { k: 'reclaim', by: 1, h: 15 }];
    const { steps, after } = compile(Array.from({ length: 20 }, () => cycle).flat());
    expect(steps.filter((s) => s.by === 1)).toHaveLength(SP_MAX_STEPS);
    expect(after).toHaveLength(steps.length);
    expect(steps.at(-1)!.call).toBe('reclaim');
    expect(() => machineImages(steps)).not.toThrow();
  });

  it('refuses --chaos and --machine with another fuzzer in one line', async () => {
    for (const [argv, re] of [[['fuzz', 'ffa', '--machine', '--chaos', '1'], /--chaos: fuzz ffa-machine runs one VM/], [['fuzz', 'sched', '--machine'], /--machine goes with ffa/]] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
  });
});
