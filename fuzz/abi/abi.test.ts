// `hvrr fuzz abi`: hostile guests against the hypervisor. A clean campaign
// from the rotating seed finds nothing; the isolation check itself catches
// a Stage-2 that maps another VM's memory (so it can fail).
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { parseRunOptions, prepareMachine } from '../../cli/commands/run.js';
import { Hypervisor, GUEST_RAM_IPA } from '../../core/hypervisor/hypervisor.js';
import { s2MapRam } from '../../core/hypervisor/stage2.js';
import { suiteSeed } from '../../property-tests/seed.js';
import { abiCaseArb } from './actions.js';
import { ABI_DONE_LINE, ABI_SECRET, ABI_VICTIM_LINE, abiGuestImage, randomWordAllowed } from './guest.js';
import { abiArgv, checkIsolation, runAbiCase } from './runCase.js';
import { writeFileSync } from 'node:fs';

const RUNS = Number(process.env['HVRR_FUZZ_ABI_RUNS'] ?? 12);
const SEED = suiteSeed('fuzz abi (clean)', 'HVRR_FUZZ_ABI_SEED', 20261205, { runs: RUNS });
const dir = mkdtempSync(join(tmpdir(), 'hvrr-fuzz-abi-'));

describe('hvrr fuzz abi', () => {
  it(`a clean campaign (${RUNS} runs from the rotating seed) breaks no invariant`, async () => {
    const r = await runCli(['fuzz', 'abi', '--seed', String(SEED), '--runs', String(RUNS), '--out', dir, '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const summary = JSON.parse(r.out) as { runs: number; failure: unknown; covered: Record<string, number> };
    expect(summary.runs).toBe(RUNS);
    expect(summary.failure).toBeNull();
  });

  it('the hostile VM performs every action and the victim plants its secret', () => {
    const [c] = fc.sample(abiCaseArb({ chaos: 1 }), { seed: 4, numRuns: 1 });
    const r = runAbiCase({ ...c!, actions: c!.actions.filter((a) => a.kind !== 'hvc' && a.kind !== 'smc') }, dir);
    expect(r.violation).toBeNull();
    expect(r.console).toContain(ABI_DONE_LINE);
    expect(r.console).toContain(ABI_VICTIM_LINE);
  });

  it('the isolation check reports a Stage-2 that maps the victim into the hostile VM, and the secret in its RAM', () => {
    const c = { vcpus: 1, chaos: 0, machineSeed: 1n, actions: [] };
    const img = abiGuestImage(c);
    const kernel = join(dir, 'iso.bin');
    writeFileSync(kernel, img.bytes);
    const m = prepareMachine(parseRunOptions(abiArgv(c, kernel)));
    const hv = m.software.get('el2-ns') as Hypervisor;
    m.run(5_000_000);
    expect(checkIsolation(m, hv, img.secretIpa)).toBeNull();
    const [hostile, victim] = hv.s.vms;
    // Planted: the victim's first 2 MiB mapped at the hostile VM's IPA 3 GiB.
    s2MapRam(m.core, hv.s, hostile!.s2Root, 0xc000_0000, victim!.backingPa, 0x20_0000);
    expect(checkIsolation(m, hv, img.secretIpa)).toMatch(/vm0's Stage-2 maps IPA 0xc0000000 to PA 0x[0-9a-f]+ \(\+0x200000\), outside its own memory/);
  });

  it('the secret found in the hostile VM\'s RAM is reported', () => {
    const c = { vcpus: 1, chaos: 0, machineSeed: 1n, actions: [] };
    const img = abiGuestImage(c);
    const kernel = join(dir, 'leak.bin');
    writeFileSync(kernel, img.bytes);
    const m = prepareMachine(parseRunOptions(abiArgv(c, kernel)));
    const hv = m.software.get('el2-ns') as Hypervisor;
    m.run(5_000_000);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, ABI_SECRET, true);
    m.core.writePhys(hv.s.vms[0]!.backingPa + 0x10_0000, b);
    expect(checkIsolation(m, hv, img.secretIpa)).toBe(`the victim's secret is in the hostile VM's RAM at IPA 0x${(GUEST_RAM_IPA + 0x10_0000).toString(16)}`);
  });

  it('random words never include branches, system instructions or loads/stores', () => {
    expect(randomWordAllowed(0x1400_0000)).toBe(false); // b
    expect(randomWordAllowed(0xd400_0002)).toBe(false); // hvc
    expect(randomWordAllowed(0xd538_0000)).toBe(false); // mrs
    expect(randomWordAllowed(0xf940_0000)).toBe(false); // ldr x0, [x0]
    expect(randomWordAllowed(0x3800_0400)).toBe(false); // strb (post-index)
    expect(randomWordAllowed(0x9100_0400)).toBe(true); // add x0, x0, #1
    expect(randomWordAllowed(0x1e20_4020)).toBe(true); // fmov s0, s1
    expect(randomWordAllowed(0x0000_0000)).toBe(true); // udf: UNDEFINED, skipped
  });
});
