// `hvrr fuzz abi`: hostile guests against the hypervisor, and hostile
// S-EL1 partitions against the SPMC and hypervisor. A clean campaign from
// the rotating seed finds nothing; the isolation checks themselves catch a
// Stage-2 that maps another VM's memory, a partition stage 2 that maps the
// victim's, and the secret where it must not be (so they can fail).
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
import * as F from '../../core/ffa/functionIds.js';
import type { Spmc } from '../../core/spmc/spmc.js';
import { PageHeap } from '../../core/spmc/pageHeap.js';
import { mapPages, unmapPages } from '../../core/spmc/stage2Table.js';
import { tableMemory } from '../../core/spmc/partitionLoader.js';
import { fuzzMachine } from '../machineRun.js';
import { abiCaseArb, type AbiCase } from './actions.js';
import { ABI_DONE_LINE, ABI_SECRET, ABI_VICTIM_LINE, abiGuestImage, randomWordAllowed } from './guest.js';
import { ABI_SP_DONE_LINE, ABI_SP_ID } from './partition.js';
import { abiArgv, abiCaseImages, checkIsolation, checkSecureIsolation, runAbiCase, spPathOf } from './runCase.js';
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
    const r = runAbiCase({ ...c!, from: 'ns-el1', actions: c!.actions.filter((a) => a.kind !== 'hvc' && a.kind !== 'smc') }, dir);
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

  it('a hostile S-EL1 partition performs every action (system registers, random words) and the victim VM gets its answer', () => {
    // Device and memory accesses outside its own memory are stage-2 faults the SPMC answers by aborting the
    // partition (the rest of its actions never run), so this one leaves them out; the campaign has them.
    const [c] = fc.sample(abiCaseArb({ chaos: 1 }), { seed: 4, numRuns: 1 });
    const actions = c!.actions.filter((a) => a.kind === 'sysreg-read' || a.kind === 'sysreg-write' || a.kind === 'insn');
    const r = runAbiCase({ ...c!, from: 's-el1', actions: [...actions, { kind: 'insn', word: 0 }] }, dir);
    expect(r.violation).toBeNull();
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(r.console).toContain(ABI_SP_DONE_LINE);
  });

  it('from S-EL1, an FF-A call or access that aborts the partition leaves the machine running and the victim\'s requests answered', () => {
    const c: AbiCase = { from: 's-el1', vcpus: 1, chaos: 0, machineSeed: 1n, actions: [
      { kind: 'smc', fid: F.FFA_MSG_WAIT, args: Array<bigint>(7).fill(0n) }, // gives the CPU back early: the next request resumes it
      { kind: 'smc', fid: F.FFA_MEM_RETRIEVE_REQ_64, args: [0x30n, 0x30n, 0n, 0n, 0n, 0n, 0n] },
      { kind: 'hvc', fid: 0xff04, args: Array<bigint>(7).fill(0n) }, // HF_INTERRUPT_GET
      { kind: 'mmio-read', address: 0x4000_0000n, size: 8 }, // Normal-world RAM nobody shared: a stage-2 fault, the partition aborts
      { kind: 'insn', word: 0 },
    ] };
    const r = runAbiCase(c, dir);
    expect(r.violation).toBeNull();
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(r.console).not.toContain(ABI_SP_DONE_LINE);
  });

  it('from S-EL1, the isolation check reports a partition stage 2 that maps the victim, and the secret in a partition\'s memory', () => {
    const c: AbiCase = { from: 's-el1', vcpus: 1, chaos: 0, machineSeed: 1n, actions: [] };
    const images = abiCaseImages(c);
    const kernel = join(dir, 'sel1.bin');
    writeFileSync(spPathOf(kernel), images.sp!);
    const { m, hv } = fuzzMachine(images.kernel, kernel, abiArgv(c, kernel));
    expect(m.run(20_000_000)).toEqual({ kind: 'system-off' });
    const spmc = m.software.get('el2-s') as Spmc;
    expect(checkSecureIsolation(m, hv, spmc, images.secretIpa)).toBeNull();
    const victim = hv.s.vms[0]!;
    const secretPa = victim.backingPa + Number(images.secretIpa) - GUEST_RAM_IPA;
    const hostile = spmc.s.partitions.find((p) => p.id === ABI_SP_ID)!;
    // Planted: the victim's secret page mapped in the partition's secure stage 2 just past its image (that L3 table exists).
    const noAlloc = new PageHeap(0, 0, { heapUsed: 0 }, () => undefined);
    const base = Number(hostile.ownedSecure[0]!.base);
    expect(mapPages(tableMemory(m), noAlloc, Number(hostile.s2Secure), base + 0x1_0000, secretPa, 1, { read: true, write: false, execute: false, device: false })).toBe(true);
    expect(checkSecureIsolation(m, hv, spmc, images.secretIpa)).toBe(`partition 0x8004's secure stage 2 maps IPA 0x${(base + 0x1_0000).toString(16)} to PA 0x${secretPa.toString(16)}, which the SPMC's ledger grants it no access to`);
    unmapPages(tableMemory(m), noAlloc, Number(hostile.s2Secure), base + 0x1_0000, 1);
    expect(checkSecureIsolation(m, hv, spmc, images.secretIpa)).toBeNull();
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, ABI_SECRET, true);
    m.core.writePhys(base + 0x9000, b);
    expect(checkSecureIsolation(m, hv, spmc, images.secretIpa)).toBe(`the victim's secret is in partition 0x8004's memory at PA 0x${(base + 0x9000).toString(16)}`);
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
