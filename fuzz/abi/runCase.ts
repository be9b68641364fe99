// One `hvrr fuzz abi` case: two VMs of the abi image (VM 0 hostile, VM 1
// the victim) under the hypervisor, built from `hvrr run` options, run to
// the end; then the isolation checks:
// - no host exception, and the run ends for an architectural reason
//   (SYSTEM_OFF, every CPU idle, or the instruction budget), never a halt;
// - every VM's Stage-2 maps only its own RAM and flash backing (walked
//   from VTTBR_EL2's table in machine RAM, so the hypervisor reserve, the
//   other VM and secure memory are out of reach);
// - the victim's secret page is intact and the secret appears nowhere in
//   the hostile VM's RAM (it logs every register it read into its RAM).
// A case from S-EL1 (partition.ts): the hostile code is a partition under
// the SPMC and the one VM the victim; the same checks, with every
// partition's secure and non-secure stage 2 walked against the SPMC's
// ledger, and the secret looked for in every partition's memory.
import { join } from 'node:path';
import type { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import type { Machine, StopReason } from '../../core/machine.js';
import { fuzzMachine, lastEvent, runFuzzMachine } from '../machineRun.js';
import { GUEST_RAM_IPA } from '../../core/hypervisor/hypervisor.js';
import { writeFileSync } from 'node:fs';
import { Spmc } from '../../core/spmc/spmc.js';
import { walkMappings } from '../../core/spmc/stage2Table.js';
import { tableMemory } from '../../core/spmc/partitionLoader.js';
import { ABI_SECRET, abiGuestImage } from './guest.js';
import { abiPartitionPackage, abiVictimImage } from './partition.js';
import type { AbiCase } from './actions.js';

export const ABI_CASE_MAX_INSTRUCTIONS = 20_000_000;
const MIB = 1 << 20;
const GUEST_RAM_MIB = 32;

export interface AbiCaseResult {
  violation: { message: string; event: number } | null;
  stop: StopReason;
  instructions: number;
  console: string;
}

/** Where a case's SP package goes (a case from S-EL1): beside its kernel. */
export const spPathOf = (kernelPath: string): string => `${kernelPath}.sp`;

export function abiArgv(c: AbiCase, kernelPath: string): string[] {
  if (c.from === 's-el1') {
    return [`--kernel=${kernelPath}`, '--secure', `--sp=${spPathOf(kernelPath)}`, '--smp=1', '--pcpus=1', '--vms=1', `--mem=${GUEST_RAM_MIB}M`, '--nic=none', `--seed=${c.machineSeed}`, `--chaos=${c.chaos}`];
  }
  // Two pCPUs at least, so the victim runs beside the hostile VM rather than after its 10 ms slice.
  return [`--kernel=${kernelPath}`, `--smp=${c.vcpus}`, `--pcpus=${Math.max(2, c.vcpus)}`, '--vms=2', `--mem=${GUEST_RAM_MIB}M`, '--nic=none', `--seed=${c.machineSeed}`, `--chaos=${c.chaos}`];
}

/** Leaves of a VM's Stage-2 (level 1 root, 4 KiB granule): [ipa, pa, bytes]. */
function stage2Leaves(m: Machine, root: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const read = (pa: number): bigint => {
    const b = m.core.readPhys(pa, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  const walk = (table: number, level: number, base: number): void => {
    const shift = 39 - 9 * level; // level 1: 30, level 2: 21, level 3: 12
    const entries = level === 1 ? 4 : 512; // 32-bit IPA space: 4 level-1 entries
    for (let i = 0; i < entries; i++) {
      const d = read(table + i * 8);
      if ((d & 1n) === 0n) continue;
      const ipa = base + i * 2 ** shift;
      const next = Number(d & 0x0000_ffff_ffff_f000n);
      if (level < 3 && (d & 2n) !== 0n) walk(next, level + 1, ipa);
      else out.push([ipa, next, 2 ** shift]);
    }
  };
  walk(root, 1, 0);
  return out;
}

/** Every VM's Stage-2 maps only its own RAM and flash backing (and does map its RAM). */
function checkVmStage2(m: Machine, hv: Hypervisor): string | null {
  for (const vm of hv.s.vms) {
    const leaves = stage2Leaves(m, vm.s2Root);
    // Its RAM at least is mapped: a walk that finds nothing is a broken walk, not isolation.
    if (!leaves.some(([ipa]) => ipa === GUEST_RAM_IPA)) return `${vm.name}'s Stage-2 walk from 0x${vm.s2Root.toString(16)} does not find its RAM at IPA 0x${GUEST_RAM_IPA.toString(16)}`;
    const allowed: [number, number][] = [[vm.backingPa, vm.backingPa + vm.ramBytes]];
    if (vm.flash) allowed.push([vm.flash.backingPa, vm.flash.backingPa + 2 * 64 * MIB]);
    for (const [ipa, pa, bytes] of leaves) {
      if (!allowed.some(([lo, hi]) => pa >= lo && pa + bytes <= hi)) {
        return `${vm.name}'s Stage-2 maps IPA 0x${ipa.toString(16)} to PA 0x${pa.toString(16)} (+0x${bytes.toString(16)}), outside its own memory`;
      }
    }
  }
  return null;
}

/** The victim's secret page (at `secretPa`), if planted, holds only the secret. */
function checkSecretIntact(m: Machine, secretPa: number): string | null {
  const page = m.core.readPhys(secretPa, 4096);
  const dv = new DataView(page.buffer, page.byteOffset, page.length);
  if (dv.getBigUint64(0, true) !== ABI_SECRET) return null;
  for (let o = 0; o < 4096; o += 8) if (dv.getBigUint64(o, true) !== ABI_SECRET) return `the victim's secret page changed at offset 0x${o.toString(16)}`;
  return null;
}

/** The first offset of the secret in `bytes`, or -1. */
function findSecret(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let o = 0; o + 8 <= bytes.length; o += 8) if (dv.getBigUint64(o, true) === ABI_SECRET) return o;
  return -1;
}

export function checkIsolation(m: Machine, hv: Hypervisor, secretIpa: bigint): string | null {
  const vms = hv.s.vms;
  const broken = checkVmStage2(m, hv);
  if (broken) return broken;
  const [hostile, victim] = vms;
  if (!hostile || !victim) return null;
  const intact = checkSecretIntact(m, victim.backingPa + Number(secretIpa) - GUEST_RAM_IPA);
  if (intact) return intact;
  const o = findSecret(m.core.readPhys(hostile.backingPa, hostile.ramBytes));
  return o < 0 ? null : `the victim's secret is in the hostile VM's RAM at IPA 0x${(GUEST_RAM_IPA + o).toString(16)}`;
}

/**
 * From S-EL1: every VM's Stage-2 as above; every partition's secure and
 * non-secure stage 2 (walked from its tables in secure RAM) maps only its
 * own memory, devices, or RAM the SPMC's ledger grants it (no write unless
 * RW); the victim VM's secret intact and in no partition's memory.
 */
export function checkSecureIsolation(m: Machine, hv: Hypervisor, spmc: Spmc, secretIpa: bigint): string | null {
  const broken = checkVmStage2(m, hv);
  if (broken) return broken;
  const mem = tableMemory(m);
  for (const p of spmc.s.partitions) {
    const own = (a: number): boolean => p.ownedSecure.some((o) => a >= Number(o.base) && a < Number(o.base) + o.bytes);
    for (const space of ['secure', 'non-secure'] as const) {
      for (const [ipa, map] of walkMappings(mem, Number(space === 'secure' ? p.s2Secure : p.s2NonSecure))) {
        const ram = m.core.ramOffset(map.pa, 4096) >= 0 || m.core.secureRamOffset(map.pa, 4096) >= 0;
        if (!ram || (space === 'secure' && own(map.pa))) continue;
        const granted = spmc.ledger.accessOf(p.id, BigInt(map.pa));
        if (granted === 'none' || (map.write && granted !== 'rw')) {
          return `partition 0x${p.id.toString(16)}'s ${space} stage 2 maps IPA 0x${ipa.toString(16)} to PA 0x${map.pa.toString(16)}${map.write ? ' writable' : ''}, which the SPMC's ledger grants it ${granted === 'none' ? 'no access to' : 'read-only'}`;
        }
      }
    }
  }
  const victim = hv.s.vms[0];
  if (!victim) return null;
  const intact = checkSecretIntact(m, victim.backingPa + Number(secretIpa) - GUEST_RAM_IPA);
  if (intact) return intact;
  for (const p of spmc.s.partitions) {
    for (const r of p.ownedSecure) {
      const o = findSecret(m.core.readPhys(Number(r.base), r.bytes));
      if (o >= 0) return `the victim's secret is in partition 0x${p.id.toString(16)}'s memory at PA 0x${(Number(r.base) + o).toString(16)}`;
    }
  }
  return null;
}

/** The case's images: the kernel (and the partition's package from S-EL1) and the victim's secret IPA. */
export function abiCaseImages(c: AbiCase): { kernel: Uint8Array; sp: Uint8Array | null; secretIpa: bigint } {
  if (c.from === 's-el1') {
    const v = abiVictimImage();
    return { kernel: v.bytes, sp: abiPartitionPackage(c), secretIpa: v.secretIpa };
  }
  const g = abiGuestImage(c);
  return { kernel: g.bytes, sp: null, secretIpa: g.secretIpa };
}

export function runAbiCase(c: AbiCase, dir: string, opts: { maxInstructions?: number } = {}): AbiCaseResult {
  const kernelPath = join(dir, 'abi-case.bin');
  const images = abiCaseImages(c);
  if (images.sp) writeFileSync(spPathOf(kernelPath), images.sp);
  const img = { bytes: images.kernel, secretIpa: images.secretIpa };
  const { m, hv, console: out } = fuzzMachine(img.bytes, kernelPath, abiArgv(c, kernelPath));
  const { stop, thrown } = runFuzzMachine(m, opts.maxInstructions ?? ABI_CASE_MAX_INSTRUCTIONS);
  let violation: AbiCaseResult['violation'] = thrown !== null ? { message: `host exception: ${thrown}`, event: lastEvent(m) } : null;
  if (!violation && stop.kind === 'halt') violation = { message: `the machine halted: ${stop.message}`, event: lastEvent(m) };
  if (!violation) {
    const spmc = m.software.get('el2-s');
    const broken = c.from === 's-el1'
      ? (spmc instanceof Spmc ? checkSecureIsolation(m, hv, spmc, img.secretIpa) : 'the secure machine has no SPMC')
      : checkIsolation(m, hv, img.secretIpa);
    if (broken) violation = { message: broken, event: lastEvent(m) };
  }
  return { violation, stop, instructions: m.instructions, console: out() };
}
