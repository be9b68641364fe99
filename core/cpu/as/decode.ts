// A64 decoder: encoding -> handler id (low 16 bits) | aux (high 16 bits),
// following the top-level encoding index of the ARM ARM (C4.1). Decoding is a
// pure function of the 32-bit encoding, so its result is memoized by encoding
// (exec.ts), which needs no invalidation when code is rewritten: fetch always
// reads the current bytes. Everything not listed is unallocated or not
// implemented and executes as UNDEFINED (logged).
import * as O from "../ops";
import { S } from "./cpu";
import { ST_FEATURES, FEAT_LSE, FEAT_CRC32 } from "../layout";

@inline function r(op: u32, aux: u32 = 0): u32 {
  return op | (aux << 16);
}

@inline function lse(): bool {
  return (load<u32>(S + ST_FEATURES) & FEAT_LSE) != 0;
}

export function decode(insn: u32): u32 {
  // UDF #imm16: permanently UNDEFINED by the architecture (not a gap in hvrr).
  if ((insn >> 16) == 0) return r(O.OP_UDF);
  const op0 = (insn >> 25) & 15;
  if ((op0 & 14) == 8) return decodeDpImm(insn);
  if ((op0 & 14) == 10) return decodeBranchSys(insn);
  if ((op0 & 5) == 4) return decodeLdSt(insn);
  if ((op0 & 7) == 5) return decodeDpReg(insn);
  if ((op0 & 7) == 7) return decodeSimdFp(insn);
  return r(O.OP_UNALLOC);
}

function decodeDpImm(insn: u32): u32 {
  const sf = insn >> 31;
  switch ((insn >> 23) & 7) {
    case 0:
    case 1:
      return r(sf ? O.OP_ADRP : O.OP_ADR);
    case 2: {
      const opS = (insn >> 29) & 3;
      if (sf) return r(O.OP_ADD_I64 + opS);
      return r(O.OP_ADD_I32 + opS);
    }
    case 4: {
      const n = (insn >> 22) & 1;
      if (!sf && n) return r(O.OP_UNALLOC);
      const opc = (insn >> 29) & 3;
      const idx = (insn >> 10) & 0x1fff; // N:immr:imms
      if (!validBitmask(n, (insn >> 10) & 63, (insn >> 16) & 63)) return r(O.OP_UNALLOC);
      return r(sf ? O.OP_LOGIC_I64 : O.OP_LOGIC_I32, opc | (idx << 2) & 0x7ffc);
    }
    case 5: {
      const opc = (insn >> 29) & 3;
      const hw = (insn >> 21) & 3;
      if (opc == 1 || (!sf && hw >= 2)) return r(O.OP_UNALLOC);
      if (sf) return r(opc == 0 ? O.OP_MOVN64 : opc == 2 ? O.OP_MOVZ64 : O.OP_MOVK64);
      return r(opc == 0 ? O.OP_MOVN32 : opc == 2 ? O.OP_MOVZ32 : O.OP_MOVK32);
    }
    case 6: {
      const opc = (insn >> 29) & 3;
      const n = (insn >> 22) & 1;
      const immr = (insn >> 16) & 63;
      const imms = (insn >> 10) & 63;
      if (opc == 3 || n != sf) return r(O.OP_UNALLOC);
      if (!sf && (immr >= 32 || imms >= 32)) return r(O.OP_UNALLOC);
      const top: u32 = sf ? 63 : 31;
      if (opc == 2) {
        if (imms == top) return r(sf ? O.OP_LSR_I64 : O.OP_LSR_I32);
        if (imms + 1 == immr) return r(sf ? O.OP_LSL_I64 : O.OP_LSL_I32);
      } else if (opc == 0 && imms == top) {
        return r(sf ? O.OP_ASR_I64 : O.OP_ASR_I32);
      }
      return r(O.OP_BFM_GEN);
    }
    case 7: {
      const op21 = (insn >> 29) & 3;
      const n = (insn >> 22) & 1;
      const o0 = (insn >> 21) & 1;
      if (op21 != 0 || o0 != 0 || n != sf) return r(O.OP_UNALLOC);
      if (!sf && ((insn >> 15) & 1)) return r(O.OP_UNALLOC);
      return r(sf ? O.OP_EXTR64 : O.OP_EXTR32);
    }
  }
  return r(O.OP_UNALLOC); // case 3: add/sub with tags (MTE) not implemented
}

/** DecodeBitMasks validity for logical immediates (C6.2, "bitmask immediate"). */
export function validBitmask(n: u32, imms: u32, immr: u32): bool {
  const combined = (n << 6) | (~imms & 63);
  if (combined == 0) return false;
  const len = 31 - clz<u32>(combined);
  if (len < 1) return false;
  const levels: u32 = (1 << len) - 1;
  if ((imms & levels) == levels) return false;
  return immr < 64;
}

function decodeBranchSys(insn: u32): u32 {
  if ((insn & 0x7c000000) == 0x14000000) return r(insn >> 31 ? O.OP_BL : O.OP_B);
  if ((insn & 0x7e000000) == 0x34000000) {
    const sf = insn >> 31;
    const nz = (insn >> 24) & 1;
    if (sf) return r(nz ? O.OP_CBNZ64 : O.OP_CBZ64);
    return r(nz ? O.OP_CBNZ32 : O.OP_CBZ32);
  }
  if ((insn & 0x7e000000) == 0x36000000) return r((insn >> 24) & 1 ? O.OP_TBNZ : O.OP_TBZ);
  if ((insn & 0xff000010) == 0x54000000) return r(O.OP_BCOND);
  if ((insn & 0xff000000) == 0xd4000000) {
    const opc = (insn >> 21) & 7;
    const op2 = (insn >> 2) & 7;
    const ll = insn & 3;
    if (op2 != 0) return r(O.OP_UNALLOC);
    if (opc == 0) {
      if (ll == 1) return r(O.OP_SVC);
      if (ll == 2) return r(O.OP_HVC);
      if (ll == 3) return r(O.OP_SMC);
    } else if (opc == 1 && ll == 0) return r(O.OP_BRK);
    else if (opc == 2 && ll == 0) return r(O.OP_HLT);
    return r(O.OP_UNALLOC);
  }
  if ((insn & 0xffc00000) == 0xd5000000) {
    const l = (insn >> 21) & 1;
    const sysOp0 = (insn >> 19) & 3;
    const crn = (insn >> 12) & 15;
    const rt = insn & 31;
    if (sysOp0 == 0) {
      if (l) return r(O.OP_UNALLOC);
      if (crn == 4 && rt == 31) return r(O.OP_MSR_IMM);
      if (crn == 2 && rt == 31) return r(O.OP_HINT, (insn >> 5) & 0x7f);
      if (crn == 3 && rt == 31) {
        const op2 = (insn >> 5) & 7;
        if (op2 == 2) return r(O.OP_CLREX);
        if (op2 == 4 || op2 == 5 || op2 == 6) return r(O.OP_BARRIER);
      }
      return r(O.OP_UNALLOC);
    }
    if (sysOp0 == 1) return l ? r(O.OP_UNALLOC) : r(O.OP_SYS);
    return r(O.OP_MRS_MSR);
  }
  if ((insn & 0xfe000000) == 0xd6000000) {
    const opc = (insn >> 21) & 15;
    const op2 = (insn >> 16) & 31;
    const op3 = (insn >> 10) & 63;
    const rn = (insn >> 5) & 31;
    const op4 = insn & 31;
    if (op2 != 31 || op3 != 0 || op4 != 0) return r(O.OP_UNALLOC); // pointer-auth branches: not advertised
    if (opc == 0) return r(O.OP_BR);
    if (opc == 1) return r(O.OP_BLR);
    if (opc == 2) return r(O.OP_RET);
    if (opc == 4 && rn == 31) return r(O.OP_ERET);
    return r(O.OP_UNALLOC);
  }
  return r(O.OP_UNALLOC);
}

function decodeLdSt(insn: u32): u32 {
  const v = (insn >> 26) & 1;
  const size = insn >> 30;
  // Load/store exclusive, acquire/release, compare-and-swap.
  if ((insn & 0x3f000000) == 0x08000000) {
    const o2 = (insn >> 23) & 1;
    const l = (insn >> 22) & 1;
    const o1 = (insn >> 21) & 1;
    const o0 = (insn >> 15) & 1;
    const rt2 = (insn >> 10) & 31;
    if (o2 == 0 && o1 == 0) return r(l ? O.OP_LDX : O.OP_STX, size | (o0 << 2));
    if (o2 == 0 && o1 == 1) {
      if (size >= 2) return r(l ? O.OP_LDXP : O.OP_STXP, size | (o0 << 2));
      if (lse() && rt2 == 31) return r(O.OP_CASP, size | (l << 2) | (o0 << 3));
      return r(O.OP_UNALLOC);
    }
    if (o2 == 1 && o1 == 0) {
      if (o0 == 1) return r(l ? O.OP_LDAR : O.OP_STLR, size);
      return r(O.OP_UNALLOC); // LDLAR/STLLR: LORegions not implemented
    }
    if (lse() && rt2 == 31) return r(O.OP_CAS, size | (l << 2) | (o0 << 3));
    return r(O.OP_UNALLOC);
  }
  // Load register (literal).
  if ((insn & 0x3b000000) == 0x18000000) {
    const opc = insn >> 30;
    if (v && opc == 3) return r(O.OP_UNALLOC);
    return r(O.OP_LDR_LIT, opc | (v << 2));
  }
  // Load/store pair.
  if ((insn & 0x3a000000) == 0x28000000) {
    const opc = insn >> 30;
    const mode = (insn >> 23) & 3; // 00 no-allocate offset, 01 post, 10 offset, 11 pre
    const l = (insn >> 22) & 1;
    if (opc == 3) return r(O.OP_UNALLOC);
    if (!v && opc == 1 && (!l || mode == 0)) return r(O.OP_UNALLOC); // STGP (MTE); LDNP has no SW form
    if (!v && opc == 2) {
      if (mode == 2) return r(l ? O.OP_LDP64_OFF : O.OP_STP64_OFF);
      if (mode == 3 && !l) return r(O.OP_STP64_PRE);
      if (mode == 1 && l) return r(O.OP_LDP64_POST);
    }
    return r(O.OP_LDSTP, opc | (v << 2) | (l << 3) | (mode << 4));
  }
  // AdvSIMD load/store single structure (and post-indexed): neon.ts.
  if ((insn & 0xbf9f0000) == 0x0d000000 || (insn & 0xbf800000) == 0x0d800000) return r(O.OP_SIMD_LDST_SINGLE);
  // AdvSIMD load/store multiple structures (and post-indexed).
  if ((insn & 0xbfbf0000) == 0x0c000000 || (insn & 0xbfa00000) == 0x0c800000) {
    const opcode = (insn >> 12) & 15;
    if (opcode == 0 || opcode == 2 || opcode == 4 || opcode == 6 || opcode == 7 || opcode == 8 || opcode == 10) {
      if (((insn >> 10) & 3) == 3 && ((insn >> 30) & 1) == 0 && opcode != 7 && opcode != 10 && opcode != 6 && opcode != 2) return r(O.OP_UNALLOC);
      return r(O.OP_LDST_MULT);
    }
    return r(O.OP_UNALLOC);
  }
  // Atomic memory operations (LSE): o3 = bit 15, opc = bits 14:12. Decoded
  // before the size/opc type check, because bits 23:22 are A:R here, not opc.
  if ((insn & 0x3b200c00) == 0x38200000 && !v && lse()) {
    const o3 = (insn >> 15) & 1;
    const opc = (insn >> 12) & 7;
    const ar = (insn >> 22) & 3;
    if (o3 == 1 && opc != 0) return r(O.OP_UNALLOC); // LDAPR (v8.3) and others
    return r(O.OP_LDOP, size | (opc << 2) | (o3 << 5) | (ar << 6));
  }
  const type = (v << 4) | (size << 2) | ((insn >> 22) & 3);
  // Atomic memory operations reuse bits 23:22 as A:R, so LDADDAL W/X (size >= 2, A:R = 11)
  // must not be rejected as an invalid size:opc combination.
  if (!validLdStType(type) && (insn & 0x3b200c00) != 0x38200000) return r(O.OP_UNALLOC);
  // Load/store register (unsigned immediate).
  if ((insn & 0x3b000000) == 0x39000000) {
    if (type == 0b01101) return r(O.OP_LDR64_UIMM);
    if (type == 0b01001) return r(O.OP_LDR32_UIMM);
    if (type == 0b01100) return r(O.OP_STR64_UIMM);
    if (type == 0b01000) return r(O.OP_STR32_UIMM);
    if (type == 0b00001) return r(O.OP_LDRB_UIMM);
    if (type == 0b00000) return r(O.OP_STRB_UIMM);
    return r(O.OP_LDST_UIMM, type);
  }
  if ((insn & 0x3b000000) == 0x38000000) {
    const b21 = (insn >> 21) & 1;
    const b1110 = (insn >> 10) & 3;
    if (b21 == 0) {
      if (b1110 == 0) return r(O.OP_LDST_UNSCALED, type);
      if (b1110 == 1) return r(O.OP_LDST_POST, type);
      if (b1110 == 3) return r(O.OP_LDST_PRE, type);
      if (v) return r(O.OP_UNALLOC);
      return r(O.OP_LDST_UNPRIV, type);
    }
    if (b1110 == 2) {
      const option = (insn >> 13) & 7;
      if ((option & 2) == 0) return r(O.OP_UNALLOC);
      return r(O.OP_LDST_REG, type);
    }
    return r(O.OP_UNALLOC);
  }
  return r(O.OP_UNALLOC);
}

/** (V:size:opc) combinations that exist for single-register loads/stores. */
function validLdStType(t: u32): bool {
  const v = t >> 4;
  const size = (t >> 2) & 3;
  const opc = t & 3;
  if (!v) {
    if (size == 2 && opc == 3) return false;
    if (size == 3 && opc == 3) return false;
    return true;
  }
  if (opc >= 2 && size != 0) return false;
  return true;
}

function decodeDpReg(insn: u32): u32 {
  const sf = insn >> 31;
  const op1 = (insn >> 28) & 1;
  const op2 = (insn >> 21) & 15;
  if (op1 == 0) {
    if ((op2 & 8) == 0) {
      // Logical (shifted register)
      if (!sf && ((insn >> 15) & 1)) return r(O.OP_UNALLOC);
      const opcN = (((insn >> 29) & 3) << 1) | ((insn >> 21) & 1);
      // ORR Rd, ZR, Rm (no shift): MOV (register)
      if (opcN == 2 && ((insn >> 5) & 31) == 31 && ((insn >> 10) & 0xfff) == 0 && ((insn >> 22) & 3) == 0)
        return r(sf ? O.OP_MOV_R64 : O.OP_MOV_R32);
      return r(sf ? O.OP_LOGIC_SR64 : O.OP_LOGIC_SR32, opcN);
    }
    if ((op2 & 1) == 0) {
      // Add/subtract (shifted register)
      if (((insn >> 22) & 3) == 3) return r(O.OP_UNALLOC);
      if (!sf && ((insn >> 15) & 1)) return r(O.OP_UNALLOC);
      const opS = (insn >> 29) & 3;
      return r((sf ? O.OP_ADD_SR64 : O.OP_ADD_SR32) + opS);
    }
    // Add/subtract (extended register)
    if (((insn >> 22) & 3) != 0 || ((insn >> 10) & 7) > 4) return r(O.OP_UNALLOC);
    return r(O.OP_ADDSUB_ER);
  }
  switch (op2) {
    case 0:
      if (((insn >> 10) & 63) != 0) return r(O.OP_UNALLOC);
      return r(O.OP_ADC);
    case 2:
      if (((insn >> 29) & 1) == 0 || ((insn >> 10) & 1) || ((insn >> 4) & 1)) return r(O.OP_UNALLOC);
      return r(O.OP_CCMP);
    case 4:
      if (((insn >> 29) & 1) || ((insn >> 11) & 1)) return r(O.OP_UNALLOC);
      return r(O.OP_CSEL);
    case 6: {
      if ((insn >> 30) & 1) {
        // Data-processing (1 source)
        if (((insn >> 16) & 31) != 0 || ((insn >> 29) & 1)) return r(O.OP_UNALLOC);
        const opcode = (insn >> 10) & 63;
        if (opcode > 5) return r(O.OP_UNALLOC);
        if (opcode == 3 && !sf) return r(O.OP_UNALLOC);
        return r(O.OP_DP1, opcode);
      }
      if ((insn >> 29) & 1) return r(O.OP_UNALLOC);
      const opcode = (insn >> 10) & 63;
      if (opcode == 2 || opcode == 3 || (opcode >= 8 && opcode <= 11)) return r(O.OP_DP2, opcode);
      if (opcode >= 16 && opcode <= 23 && (load<u32>(S + ST_FEATURES) & FEAT_CRC32) != 0) {
        const sz = opcode & 3;
        if ((sz == 3) != (sf == 1)) return r(O.OP_UNALLOC);
        return r(O.OP_DP2, opcode);
      }
      return r(O.OP_UNALLOC);
    }
  }
  if ((op2 & 8) != 0) {
    // Data-processing (3 source)
    const op54 = (insn >> 29) & 3;
    const op31 = (insn >> 21) & 7;
    const o0 = (insn >> 15) & 1;
    if (op54 != 0) return r(O.OP_UNALLOC);
    if (op31 == 0) return r(O.OP_DP3, op31 | (o0 << 3));
    if (!sf) return r(O.OP_UNALLOC);
    if (op31 == 1 || op31 == 5) return r(O.OP_DP3, op31 | (o0 << 3));
    if ((op31 == 2 || op31 == 6) && o0 == 0) return r(O.OP_DP3, op31);
    return r(O.OP_UNALLOC);
  }
  return r(O.OP_UNALLOC);
}

function decodeSimdFp(insn: u32): u32 {
  // Conversion between floating-point and integer (FMOV general and friends).
  if ((insn & 0x5f20fc00) == 0x1e200000) return r(O.OP_FP_INT);
  // Floating-point immediate.
  if ((insn & 0xff201fe0) == 0x1e201000 && ((insn >> 22) & 3) < 2) return r(O.OP_FMOV_IMM);
  // FMOV (register).
  if ((insn & 0xff3ffc00) == 0x1e204000 && ((insn >> 22) & 3) < 2) return r(O.OP_FMOV_REG);
  // AdvSIMD copy.
  if ((insn & 0x9fe08400) == 0x0e000400) return r(O.OP_SIMD_COPY);
  // AdvSIMD modified immediate.
  if ((insn & 0x9ff80400) == 0x0f000400) return r(O.OP_SIMD_MODIMM);
  // AdvSIMD three same, logical group.
  if ((insn & 0x9f20fc00) == 0x0e201c00) return r(O.OP_SIMD_LOGIC);
  // Scalar floating point (fpinsn.ts).
  if ((insn & 0x7f200000) == 0x1e000000) return r(O.OP_FP_FIXED);
  if ((insn & 0xff207c00) == 0x1e204000) return r(O.OP_FP_DP1);
  if ((insn & 0xff200c00) == 0x1e200800) return r(O.OP_FP_DP2);
  if ((insn & 0xff000000) == 0x1f000000) return r(O.OP_FP_DP3);
  if ((insn & 0xff20fc07) == 0x1e202000) return r(O.OP_FP_CMP);
  if ((insn & 0xff200c00) == 0x1e200400) return r(O.OP_FP_CCMP);
  if ((insn & 0xff200c00) == 0x1e200c00) return r(O.OP_FP_CSEL);
  // AdvSIMD (neon.ts).
  if ((insn & 0xffe0fc00) == 0x5e000400) return r(O.OP_SIMD_COPY); // DUP (element), scalar
  if ((insn & 0x9f200400) == 0x0e200400) return r(O.OP_SIMD_3SAME);
  if ((insn & 0x9f200c00) == 0x0e200000) return r(O.OP_SIMD_3DIFF);
  if ((insn & 0x9f3e0c00) == 0x0e200800) return r(O.OP_SIMD_2MISC);
  if ((insn & 0x9f3e0c00) == 0x0e300800) return r(O.OP_SIMD_ACROSS);
  if ((insn & 0x9f800400) == 0x0f000400) return r(O.OP_SIMD_SHIFT);
  if ((insn & 0x9f000400) == 0x0f000000) return r(O.OP_SIMD_ELEM);
  if ((insn & 0xbf208c00) == 0x0e000800) return r(O.OP_SIMD_PERM);
  if ((insn & 0xbfe08400) == 0x2e000000) return r(O.OP_SIMD_EXT);
  if ((insn & 0xbfe08c00) == 0x0e000000) return r(O.OP_SIMD_TBL);
  if ((insn & 0xdf200400) == 0x5e200400) return r(O.OP_SIMD_SC_3SAME);
  if ((insn & 0xdf3e0c00) == 0x5e200800) return r(O.OP_SIMD_SC_2MISC);
  if ((insn & 0xdf3e0c00) == 0x5e300800) return r(O.OP_SIMD_SC_PAIR);
  if ((insn & 0xdf800400) == 0x5f000400 && ((insn >> 19) & 15) != 0) return r(O.OP_SIMD_SC_SHIFT);
  if ((insn & 0xdf000400) == 0x5f000000) return r(O.OP_SIMD_ELEM); // scalar by element
  if ((insn & 0xdf200c00) == 0x5e200000) return r(O.OP_SIMD_3DIFF); // scalar three different (SQDML*)
  return r(O.OP_UNALLOC);
}
