// Decoding a trapped data access on an emulated device page: from the ISS
// when ESR_EL2.ISV = 1 (D13.2.39: SAS, SSE, SRT, SF, WnR), otherwise from the
// instruction itself, fetched from guest memory through the guest's Stage 1
// (walked here in software, 4 KB granule) and our Stage 2. The instruction
// forms handled without ISV are the load/store register ones (unsigned
// offset, unscaled, pre/post-index with writeback, register offset) and
// LDP/STP/LDPSW (signed offset, pre/post-index).
import type { CpuCore } from '../cpu/cpu.js';
import { s2Translate } from './stage2.js';
import type { VmState } from './state.js';

export interface MmioAccess {
  write: boolean;
  size: number;
  rt: number;
  /** Second register of a pair, -1 otherwise. */
  rt2: number;
  signExtend: boolean;
  /** Result is 64-bit (else the upper 32 bits are zeroed). */
  sf: boolean;
  /** Base-register update to apply after a successful access. */
  writeback: (() => void) | null;
}

export function decodeDataAbort(core: CpuCore, cpu: number, vm: VmState, iss: number): MmioAccess | null {
  if ((iss >>> 24) & 1) {
    return {
      write: ((iss >>> 6) & 1) === 1,
      size: 1 << ((iss >>> 22) & 3),
      rt: (iss >>> 16) & 31,
      rt2: -1,
      signExtend: ((iss >>> 21) & 1) === 1,
      sf: ((iss >>> 15) & 1) === 1,
      writeback: null,
    };
  }
  const pc = core.regs(cpu).get('ELR_EL2');
  const insn = fetchGuestWord(core, cpu, vm, pc);
  if (insn === null) return null;
  return decodeInsn(core, cpu, insn);
}

/** Read a 32-bit word of guest memory at virtual address `va` (EL1 regime), or null. */
export function fetchGuestWord(core: CpuCore, cpu: number, vm: VmState, va: bigint): number | null {
  const ipa = guestStage1(core, cpu, vm, va);
  if (ipa === null || ipa >= 2 ** 32) return null;
  const pa = s2Translate(core, vm.s2Root, ipa);
  if (pa < 0) return null;
  const b = core.readPhys(pa, 4);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** The guest's Stage 1 (EL1&0 regime, 4 KB granule only): VA to IPA, or null on a fault. */
function guestStage1(core: CpuCore, cpu: number, vm: VmState, va: bigint): number | null {
  const regs = core.regs(cpu);
  const sctlr = regs.get('SCTLR_EL1');
  if ((sctlr & 1n) === 0n) return Number(va & 0xffff_ffff_ffffn);
  const tcr = regs.get('TCR_EL1');
  const upper = (va >> 55n) & 1n;
  const tsz = Number(upper ? (tcr >> 16n) & 63n : tcr & 63n);
  const tg = Number(upper ? (tcr >> 30n) & 3n : (tcr >> 14n) & 3n);
  if ((upper && tg !== 2) || (!upper && tg !== 0)) return null; // only 4 KB
  let table = Number(regs.get(upper ? 'TTBR1_EL1' : 'TTBR0_EL1') & 0x0000_ffff_ffff_fffen);
  const bits = 64 - tsz;
  let level = bits > 39 ? 0 : bits > 30 ? 1 : 2;
  for (; level <= 3; level++) {
    const shift = 12 + 9 * (3 - level);
    const idx = Number((va >> BigInt(shift)) & 511n);
    const pa = s2Translate(core, vm.s2Root, table + idx * 8);
    if (pa < 0) return null;
    const b = core.readPhys(pa, 8);
    let d = 0n;
    for (let i = 7; i >= 0; i--) d = (d << 8n) | BigInt(b[i]!);
    if ((d & 1n) === 0n) return null;
    const oa = Number(d & 0x0000_ffff_ffff_f000n);
    if (level < 3 && (d & 2n) !== 0n) {
      table = oa;
      continue;
    }
    if (level === 3 && (d & 2n) === 0n) return null;
    const size = 2 ** shift;
    return oa - (oa % size) + Number(va & BigInt(size - 1));
  }
  return null;
}

function sext(v: number, bits: number): number {
  const s = 32 - bits;
  return (v << s) >> s;
}

/** Decode the load/store forms listed above; null for anything else. */
export function decodeInsn(core: CpuCore, cpu: number, insn: number): MmioAccess | null {
  const regs = core.regs(cpu);
  const spsr = regs.get('SPSR_EL2');
  // Base register 31 is the guest's SP: SP_EL1 at EL1h, else SP_EL0.
  const sp = (spsr & 0xfn) === 5n ? 'SP_EL1' : 'SP_EL0';
  const baseOf = (n: number): bigint => (n === 31 ? regs.get(sp) : regs.x(n));
  const setBase = (n: number, v: bigint): void => {
    if (n !== 31) regs.setX(n, v);
    else regs.set(sp, v);
  };
  const rt = insn & 31;
  const rn = (insn >>> 5) & 31;
  // Load/store register (integer, V = 0): size [31:30], 111 0 0 [29:24] = 0x38/0x39.
  if ((insn & 0x3b00_0000) === 0x3900_0000 || (insn & 0x3b20_0000) === 0x3800_0000 || (insn & 0x3b20_0c00) === 0x3820_0800) {
    const size = 1 << (insn >>> 30);
    const opc = (insn >>> 22) & 3;
    if ((insn >>> 26) & 1) return null; // SIMD&FP
    const write = opc === 0;
    const signExtend = opc >= 2;
    const sf = !signExtend || opc === 2;
    if (size === 8 && opc >= 2) return null; // PRFM and unallocated
    let writeback: (() => void) | null = null;
    if ((insn & 0x3b00_0000) === 0x3800_0000 && ((insn >>> 21) & 1) === 0) {
      const mode = (insn >>> 10) & 3; // 0 unscaled, 1 post-index, 3 pre-index, 2 unprivileged
      if (mode === 1 || mode === 3) {
        const imm = BigInt(sext((insn >>> 12) & 0x1ff, 9));
        const base = baseOf(rn);
        writeback = () => setBase(rn, base + imm);
      }
    }
    return { write, size, rt, rt2: -1, signExtend, sf, writeback };
  }
  // Load/store pair (integer): opc [31:30], 101 0 [29:26], mode [24:23], L [22].
  if ((insn & 0x3a00_0000) === 0x2800_0000 && ((insn >>> 26) & 1) === 0) {
    const opc = insn >>> 30;
    const mode = (insn >>> 23) & 3;
    const load = ((insn >>> 22) & 1) === 1;
    if (opc === 3 || mode === 0) return null;
    const size = opc === 2 ? 8 : 4;
    const scale = opc === 2 ? 3 : 2;
    const imm = BigInt(sext((insn >>> 15) & 0x7f, 7) << scale);
    let writeback: (() => void) | null = null;
    if (mode === 1 || mode === 3) {
      const base = baseOf(rn);
      writeback = () => setBase(rn, base + imm);
    }
    return { write: !load, size, rt, rt2: (insn >>> 10) & 31, signExtend: opc === 1, sf: opc !== 0, writeback };
  }
  return null;
}
