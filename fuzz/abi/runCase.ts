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
import { join } from 'node:path';
import type { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import type { Machine, StopReason } from '../../core/machine.js';
import { fuzzMachine, lastEvent, runFuzzMachine } from '../machineRun.js';
import { GUEST_RAM_IPA } from '../../core/hypervisor/hypervisor.js';
import { ABI_SECRET, abiGuestImage } from './guest.js';
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

export function abiArgv(c: AbiCase, kernelPath: string): string[] {
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

export function checkIsolation(m: Machine, hv: Hypervisor, secretIpa: bigint): string | null {
  const vms = hv.s.vms;
  for (const vm of vms) {
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
  const [hostile, victim] = vms;
  if (!hostile || !victim) return null;
  const secretPa = victim.backingPa + Number(secretIpa) - GUEST_RAM_IPA;
  const page = m.core.readPhys(secretPa, 4096);
  const dv = new DataView(page.buffer, page.byteOffset, page.length);
  const planted = dv.getBigUint64(0, true) === ABI_SECRET;
  if (planted) {
    for (let o = 0; o < 4096; o += 8) if (dv.getBigUint64(o, true) !== ABI_SECRET) return `the victim's secret page changed at offset 0x${o.toString(16)}`;
  }
  const ram = m.core.readPhys(hostile.backingPa, hostile.ramBytes);
  const hv64 = new DataView(ram.buffer, ram.byteOffset, ram.length);
  for (let o = 0; o + 8 <= ram.length; o += 8) {
    if (hv64.getBigUint64(o, true) === ABI_SECRET) return `the victim's secret is in the hostile VM's RAM at IPA 0x${(GUEST_RAM_IPA + o).toString(16)}`;
  }
  return null;
}

export function runAbiCase(c: AbiCase, dir: string, opts: { maxInstructions?: number } = {}): AbiCaseResult {
  const kernelPath = join(dir, 'abi-case.bin');
  const img = abiGuestImage(c);
  const { m, hv, console: out } = fuzzMachine(img.bytes, kernelPath, abiArgv(c, kernelPath));
  const { stop, thrown } = runFuzzMachine(m, opts.maxInstructions ?? ABI_CASE_MAX_INSTRUCTIONS);
  let violation: AbiCaseResult['violation'] = thrown !== null ? { message: `host exception: ${thrown}`, event: lastEvent(m) } : null;
  if (!violation && stop.kind === 'halt') violation = { message: `the machine halted: ${stop.message}`, event: lastEvent(m) };
  if (!violation) {
    const broken = checkIsolation(m, hv, img.secretIpa);
    if (broken) violation = { message: broken, event: lastEvent(m) };
  }
  return { violation, stop, instructions: m.instructions, console: out() };
}
