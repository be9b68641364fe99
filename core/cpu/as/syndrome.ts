// Instruction-specific syndrome for data aborts (ESR_ELx.ISS bits 24:14,
// D13.2.39): ISV, SAS, SSE, SRT, SF, AR. Derived from the faulting
// instruction so the hot load/store paths carry no syndrome bookkeeping.
// Valid (ISV=1) only for a load or store of a single general-purpose
// register without writeback, reported to EL2 (what a hypervisor needs to
// emulate an MMIO access); otherwise 0.
import { insnG } from "./cpu";

export function dataAbortIss(toEl2: bool): u32 {
  if (!toEl2) return 0;
  const insn = insnG;
  const rt = insn & 31;
  const size = insn >> 30;
  let sas: u32 = size;
  let sse: u32 = 0;
  let sf: u32 = 0;
  let ar: u32 = 0;
  if ((insn & 0x3f000000) == 0x08000000) {
    // LDAR/STLR (o2=1, o1=0, o0=1): acquire/release, single register.
    if ((insn & 0x00a08000) != 0x00808000) return 0;
    ar = 1;
    sf = size == 3 ? 1 : 0;
  } else if ((insn & (1 << 26)) != 0) {
    return 0; // SIMD&FP register transfers are never ISV
  } else if ((insn & 0x3b000000) == 0x18000000) {
    // Load register (literal), general registers only.
    const opc = insn >> 30;
    if (opc == 3) return 0;
    sas = opc == 1 ? 3 : 2;
    sse = opc == 2 ? 1 : 0;
    sf = opc == 0 ? 0 : 1;
  } else {
    const uimm = (insn & 0x3b000000) == 0x39000000;
    const unscaled = (insn & 0x3b200c00) == 0x38000000;
    const unpriv = (insn & 0x3b200c00) == 0x38000800;
    const regoff = (insn & 0x3b200c00) == 0x38200800;
    if (!(uimm || unscaled || unpriv || regoff)) return 0;
    const opc = (insn >> 22) & 3;
    if (opc == 0) {
      sf = size == 3 ? 1 : 0;
    } else if (opc == 1) {
      sf = size == 3 ? 1 : 0;
    } else if (opc == 2) {
      if (size == 3) return 0; // PRFM
      sse = 1;
      sf = 1;
    } else {
      if (size >= 2) return 0; // unallocated
      sse = 1;
      sf = 0;
    }
  }
  return (1 << 24) | (sas << 22) | (sse << 21) | (rt << 16) | (sf << 15) | (ar << 14);
}
