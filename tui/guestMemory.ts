// Reading a CPU's instruction memory by virtual address, for the detail
// pane's disassembly: the EL1&0 translation regime (SCTLR_EL1.M, TCR_EL1,
// TTBR0/1_EL1; 4 KB granule, as the bundled guests and Linux use it), then,
// when HCR_EL2.VM is set, the hypervisor's Stage 2 (VTTBR_EL2). A debugger's
// read: it changes nothing (no access flags, no TLB fills).
import type { Machine } from '../core/machine.js';
import { s2Translate } from '../core/hypervisor/stage2.js';

const OA_MASK = 0x0000_ffff_ffff_f000n;

/** A register by its ARM ARM name: a CPU's live one, or a saved vCPU's. */
export type RegisterRead = (name: string) => bigint;

/** IPA to PA through Stage 2 when it is on; null when unmapped. */
function stage2(m: Machine, get: RegisterRead, ipa: number): number | null {
  if ((get('HCR_EL2') & 1n) === 0n) return ipa;
  const root = Number(get('VTTBR_EL2') & 0x0000_ffff_ffff_fffen);
  const pa = s2Translate(m.core, root, ipa);
  return pa < 0 ? null : pa;
}

function read64(m: Machine, pa: number): bigint {
  const b = m.core.readPhys(pa, 8);
  let d = 0n;
  for (let i = 7; i >= 0; i--) d = (d << 8n) | BigInt(b[i]!);
  return d;
}

/** The PA of `va` in the EL1&0 regime of `cpu`, or a reason it has none. */
export function translateEl1(m: Machine, cpu: number, va: bigint): number | string {
  const regs = m.core.regs(cpu);
  return translateEl1With(m, (name) => regs.get(name), va);
}

/** The PA of `va` in the EL1&0 regime the registers `get` reads describe, or a reason it has none. */
export function translateEl1With(m: Machine, get: RegisterRead, va: bigint): number | string {
  if ((get('SCTLR_EL1') & 1n) === 0n) {
    const pa = stage2(m, get, Number(va & 0xffff_ffff_ffffn));
    return pa ?? 'not mapped by Stage 2';
  }
  const tcr = get('TCR_EL1');
  const upper = ((va >> 55n) & 1n) === 1n;
  const tsz = Number(upper ? (tcr >> 16n) & 63n : tcr & 63n);
  const tg = Number(upper ? (tcr >> 30n) & 3n : (tcr >> 14n) & 3n);
  if ((upper && tg !== 2) || (!upper && tg !== 0)) return 'not a 4 KB granule';
  let table = Number(get(upper ? 'TTBR1_EL1' : 'TTBR0_EL1') & 0x0000_ffff_ffff_fffen);
  const bits = 64 - tsz;
  for (let level = bits > 39 ? 0 : bits > 30 ? 1 : 2; level <= 3; level++) {
    const shift = 12 + 9 * (3 - level);
    const idx = Number((va >> BigInt(shift)) & 511n);
    const descPa = stage2(m, get, table + idx * 8);
    if (descPa === null) return `Stage 2 does not map the level ${level} table`;
    const d = read64(m, descPa);
    if ((d & 1n) === 0n) return `translation fault, level ${level}`;
    const oa = Number(d & OA_MASK);
    if (level < 3 && (d & 2n) !== 0n) {
      table = oa;
      continue;
    }
    if (level === 3 && (d & 2n) === 0n) return 'reserved descriptor, level 3';
    const size = 2 ** shift;
    const ipa = oa - (oa % size) + Number(va & BigInt(size - 1));
    return stage2(m, get, ipa) ?? 'not mapped by Stage 2';
  }
  return 'translation fault';
}

/** The 32-bit word at `va` (EL1&0 regime), or why it cannot be read. */
export function readWordEl1(m: Machine, cpu: number, va: bigint): number | string {
  try {
    const pa = translateEl1(m, cpu, va);
    if (typeof pa === 'string') return pa;
    const b = m.core.readPhys(pa, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  } catch (e) {
    // A table or the word outside RAM.
    return (e as Error).message;
  }
}
