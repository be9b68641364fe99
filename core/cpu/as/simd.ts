// SIMD&FP: register file access, structure loads/stores, and the moves and
// immediates used to save, restore and initialise the registers (ARMv8.0).
// Scalar FP arithmetic and conversions are in fpinsn.ts (semantics in fp.ts),
// the other AdvSIMD groups in neon.ts; what they do not implement is
// UNDEFINED and logged.
import * as O from "../ops";
import { S, fault, rX, rSP, wX, wSP } from "./cpu";
import { ST_V, ST_SCRATCH } from "../layout";
import { undefinedInsn } from "./exceptions";
import { ld8, ld16, ld32, ld64, st8, st16, st32, st64 } from "./mmu";
import { fpEnabled } from "./sysregs";
import { execFpScalar } from "./fpinsn";
import { execNeon } from "./neon";

@inline export function vAddr(r: u32): usize {
  return S + ST_V + (<usize>r << 4);
}

@inline function zeroUpper(r: u32): void {
  store<u64>(vAddr(r), 0, 8);
}

/** Read element `idx` of `esize` bytes from V[r]. */
@inline function elemGet(r: u32, idx: u32, esize: u32): u64 {
  const a = vAddr(r) + <usize>(idx * esize);
  if (esize == 8) return load<u64>(a);
  if (esize == 4) return <u64>load<u32>(a);
  if (esize == 2) return <u64>load<u16>(a);
  return <u64>load<u8>(a);
}
@inline function elemSet(r: u32, idx: u32, esize: u32, v: u64): void {
  const a = vAddr(r) + <usize>(idx * esize);
  if (esize == 8) store<u64>(a, v);
  else if (esize == 4) store<u32>(a, <u32>v);
  else if (esize == 2) store<u16>(a, <u16>v);
  else store<u8>(a, <u8>v);
}

/** LD1-LD4 / ST1-ST4 (multiple structures), with optional post-index (C3.2.x). */
export function ldstMultiple(insn: u32): void {
  if (!fpEnabled()) return;
  const q = (insn >> 30) & 1;
  const l = (insn >> 22) & 1;
  const post = (insn >> 23) & 1;
  const rm = (insn >> 16) & 31;
  const opcode = (insn >> 12) & 15;
  const size = (insn >> 10) & 3;
  const rn = (insn >> 5) & 31;
  const rt = insn & 31;
  let rpt: u32 = 1;
  let selem: u32 = 1;
  switch (opcode) {
    case 0: rpt = 1; selem = 4; break;
    case 2: rpt = 4; selem = 1; break;
    case 4: rpt = 1; selem = 3; break;
    case 6: rpt = 3; selem = 1; break;
    case 7: rpt = 1; selem = 1; break;
    case 8: rpt = 1; selem = 2; break;
    default: rpt = 2; selem = 1; // 10
  }
  const esize: u32 = 1 << size;
  const elements: u32 = (q ? 16 : 8) / esize;
  const base = rSP(rn);
  let off: u64 = 0;
  // Loads gather into a scratch copy first so a fault leaves the registers unchanged.
  const scratch: usize = S + ST_SCRATCH;
  if (l) {
    for (let i: u32 = 0; i < 4; i++) {
      store<u64>(scratch + (<usize>i << 4), load<u64>(vAddr((rt + i) & 31)));
      store<u64>(scratch + (<usize>i << 4), q ? load<u64>(vAddr((rt + i) & 31), 8) : 0, 8);
    }
  }
  for (let r: u32 = 0; r < rpt; r++) {
    for (let e: u32 = 0; e < elements; e++) {
      for (let s: u32 = 0; s < selem; s++) {
        const t = (rt + r + s) & 31;
        const addr = base + off;
        if (l) {
          let v: u64;
          if (esize == 8) v = ld64(addr);
          else if (esize == 4) v = ld32(addr);
          else if (esize == 2) v = ld16(addr);
          else v = ld8(addr);
          if (fault) return;
          const slot = scratch + (<usize>((t - rt) & 31) << 4) + <usize>(e * esize);
          if (esize == 8) store<u64>(slot, v);
          else if (esize == 4) store<u32>(slot, <u32>v);
          else if (esize == 2) store<u16>(slot, <u16>v);
          else store<u8>(slot, <u8>v);
        } else {
          const v = elemGet(t, e, esize);
          if (esize == 8) st64(addr, v);
          else if (esize == 4) st32(addr, v);
          else if (esize == 2) st16(addr, v);
          else st8(addr, v);
          if (fault) return;
        }
        off += esize;
      }
    }
  }
  if (l) {
    const regs = rpt * selem;
    for (let i: u32 = 0; i < regs; i++) {
      const t = (rt + i) & 31;
      store<u64>(vAddr(t), load<u64>(scratch + (<usize>i << 4)));
      store<u64>(vAddr(t), q ? load<u64>(scratch + (<usize>i << 4), 8) : 0, 8);
    }
  }
  if (post) wSP(rn, base + (rm == 31 ? off : rX(rm)));
}

/** VFPExpandImm (C2.x): 8-bit FP immediate to single (esize 4) or double (8). */
function vfpExpandImm(imm8: u32, esize: u32): u64 {
  const sign = <u64>(imm8 >> 7);
  const b6 = (imm8 >> 6) & 1;
  const low6 = <u64>(imm8 & 0x3f);
  if (esize == 4) {
    // sign : NOT(b6) : Replicate(b6, 5) : imm8<5:0> : Zeros(19)
    const exp: u64 = (<u64>(b6 ^ 1) << 7) | (b6 ? 0x7c : 0) | ((low6 >> 4) & 3);
    return (sign << 31) | (exp << 23) | ((low6 & 15) << 19);
  }
  // sign : NOT(b6) : Replicate(b6, 8) : imm8<5:0> : Zeros(48)
  const exp: u64 = (<u64>(b6 ^ 1) << 10) | (b6 ? 0x3fc : 0) | ((low6 >> 4) & 3);
  return (sign << 63) | (exp << 52) | ((low6 & 15) << 48);
}

/** AdvSIMDExpandImm (C2.x) for MOVI/MVNI/ORR/BIC/FMOV (vector, immediate). */
function advSimdExpandImm(op: u32, cmode: u32, imm8: u32): u64 {
  const i = <u64>imm8;
  switch (cmode >> 1) {
    case 0: return (i << 32) | i;
    case 1: return (i << 40) | (i << 8);
    case 2: return (i << 48) | (i << 16);
    case 3: return (i << 56) | (i << 24);
    case 4: return (i << 48) | (i << 32) | (i << 16) | i;
    case 5: return (i << 56) | (i << 40) | (i << 24) | (i << 8);
    case 6: {
      const v: u64 = (cmode & 1) == 0 ? ((i << 8) | 0xff) : ((i << 16) | 0xffff);
      return (v << 32) | v;
    }
  }
  if ((cmode & 1) == 0) {
    if (op == 0) {
      let v: u64 = 0;
      for (let b = 0; b < 8; b++) v |= i << (b * 8);
      return v;
    }
    let v: u64 = 0;
    for (let b = 0; b < 8; b++) if ((imm8 >> b) & 1) v |= <u64>0xff << (b * 8);
    return v;
  }
  if (op == 0) {
    const f = vfpExpandImm(imm8, 4);
    return (f << 32) | f;
  }
  return vfpExpandImm(imm8, 8);
}

export function execSimdFp(op: u32, insn: u32): void {
  if (!fpEnabled()) return;
  const rd = insn & 31;
  const rn = (insn >> 5) & 31;
  switch (op) {
    case O.OP_FP_DP1: case O.OP_FP_DP2: case O.OP_FP_DP3: case O.OP_FP_CMP: case O.OP_FP_CCMP:
    case O.OP_FP_CSEL: case O.OP_FP_FIXED:
      if (execFpScalar(op, insn)) return;
      break;
    case O.OP_SIMD_3SAME: case O.OP_SIMD_3DIFF: case O.OP_SIMD_2MISC: case O.OP_SIMD_ACROSS: case O.OP_SIMD_SHIFT:
    case O.OP_SIMD_PERM: case O.OP_SIMD_EXT: case O.OP_SIMD_TBL: case O.OP_SIMD_SC_3SAME: case O.OP_SIMD_SC_2MISC:
    case O.OP_SIMD_SC_PAIR: case O.OP_SIMD_SC_SHIFT: case O.OP_SIMD_LDST_SINGLE: case O.OP_SIMD_ELEM:
      if (execNeon(op, insn)) return;
      break;
    case O.OP_FP_INT: {
      if ((insn >> 29) & 1) break;
      if (((insn >> 16) & 6) != 6) {
        if (execFpScalar(op, insn)) return;
        break;
      }
      const sf = insn >> 31;
      const type = (insn >> 22) & 3;
      const rmode = (insn >> 19) & 3;
      const opcode = (insn >> 16) & 7;
      if (opcode == 6 || opcode == 7) {
        const toFp = opcode == 7;
        if (sf == 0 && type == 0 && rmode == 0) {
          if (toFp) { store<u64>(vAddr(rd), rX(rn) & 0xffffffff); zeroUpper(rd); }
          else wX(rd, <u64>load<u32>(vAddr(rn)));
          return;
        }
        if (sf == 1 && type == 1 && rmode == 0) {
          if (toFp) { store<u64>(vAddr(rd), rX(rn)); zeroUpper(rd); }
          else wX(rd, load<u64>(vAddr(rn)));
          return;
        }
        if (sf == 1 && type == 2 && rmode == 1) {
          // FMOV Xd, Vn.D[1] / FMOV Vd.D[1], Xn: the other half is preserved.
          if (toFp) store<u64>(vAddr(rd), rX(rn), 8);
          else wX(rd, load<u64>(vAddr(rn), 8));
          return;
        }
      }
      break;
    }
    case O.OP_FMOV_IMM: {
      const type = (insn >> 22) & 3;
      const imm8 = (insn >> 13) & 0xff;
      store<u64>(vAddr(rd), vfpExpandImm(imm8, type == 0 ? 4 : 8));
      zeroUpper(rd);
      return;
    }
    case O.OP_FMOV_REG: {
      const type = (insn >> 22) & 3;
      const v = load<u64>(vAddr(rn));
      store<u64>(vAddr(rd), type == 0 ? v & 0xffffffff : v);
      zeroUpper(rd);
      return;
    }
    case O.OP_SIMD_COPY: {
      const q = (insn >> 30) & 1;
      const opb = (insn >> 29) & 1;
      const imm5 = (insn >> 16) & 31;
      const imm4 = (insn >> 11) & 15;
      if ((imm5 & 15) == 0) break;
      const size = ctz<u32>(imm5);
      const esize: u32 = 1 << size;
      const idx = imm5 >> (size + 1);
      if ((insn >> 28) & 1) {
        // DUP (element), scalar form: MOV <V>d, Vn.T[index]
        const v = elemGet(rn, idx, esize);
        store<u64>(vAddr(rd), 0);
        zeroUpper(rd);
        elemSet(rd, 0, esize, v);
        return;
      }
      if (opb == 1) {
        if (q == 0) break;
        // INS (element)
        elemSet(rd, idx, esize, elemGet(rn, imm4 >> size, esize));
        return;
      }
      switch (imm4) {
        case 0: { // DUP (element)
          if (size == 3 && q == 0) break;
          const v = elemGet(rn, idx, esize);
          const n: u32 = (q ? 16 : 8) / esize;
          for (let e: u32 = 0; e < n; e++) elemSet(rd, e, esize, v);
          if (!q) zeroUpper(rd);
          return;
        }
        case 1: { // DUP (general)
          if (size == 3 && q == 0) break;
          const v = rX(rn);
          const n: u32 = (q ? 16 : 8) / esize;
          for (let e: u32 = 0; e < n; e++) elemSet(rd, e, esize, v);
          if (!q) zeroUpper(rd);
          return;
        }
        case 3: // INS (general)
          elemSet(rd, idx, esize, rX(rn));
          return;
        case 5: { // SMOV
          if (size >= 2 + q || size == 3) break;
          let v = elemGet(rn, idx, esize);
          const bits = esize * 8;
          v = <u64>((<i64>(v << (64 - bits))) >> (64 - bits));
          wX(rd, q ? v : v & 0xffffffff);
          return;
        }
        case 7: { // UMOV
          if ((q == 1) != (size == 3)) break;
          wX(rd, elemGet(rn, idx, esize));
          return;
        }
      }
      break;
    }
    case O.OP_SIMD_MODIMM: {
      const q = (insn >> 30) & 1;
      const opb = (insn >> 29) & 1;
      const cmode = (insn >> 12) & 15;
      const imm8 = (((insn >> 16) & 7) << 5) | ((insn >> 5) & 31);
      if (cmode == 15 && opb == 1 && q == 0) break;
      const imm = advSimdExpandImm(opb, cmode, imm8);
      const a = vAddr(rd);
      const isOrrBic = (cmode & 1) == 1 && cmode < 12;
      if (isOrrBic) {
        if (opb == 0) {
          store<u64>(a, load<u64>(a) | imm);
          if (q) store<u64>(a, load<u64>(a, 8) | imm, 8);
        } else {
          store<u64>(a, load<u64>(a) & ~imm);
          if (q) store<u64>(a, load<u64>(a, 8) & ~imm, 8);
        }
      } else {
        // MOVI, MVNI (op=1 for cmode < 14 inverts), FMOV vector
        const mvni = opb == 1 && cmode < 14;
        const v = mvni ? ~imm : imm;
        store<u64>(a, v);
        store<u64>(a, q ? v : 0, 8);
        return;
      }
      if (!q) zeroUpper(rd);
      return;
    }
    case O.OP_SIMD_LOGIC: {
      const q = (insn >> 30) & 1;
      const u = (insn >> 29) & 1;
      const size = (insn >> 22) & 3;
      const rm = (insn >> 16) & 31;
      const d = vAddr(rd), n = vAddr(rn), m = vAddr(rm);
      const bytes: usize = q ? 16 : 8;
      for (let h: usize = 0; h < bytes; h += 8) {
        const a = load<u64>(n + h), b = load<u64>(m + h), dv = load<u64>(d + h);
        let r: u64;
        if (u == 0) {
          if (size == 0) r = a & b;
          else if (size == 1) r = a & ~b;
          else if (size == 2) r = a | b;
          else r = a | ~b;
        } else {
          if (size == 0) r = a ^ b;
          else if (size == 1) r = (dv & a) | (~dv & b); // BSL
          else if (size == 2) r = (dv & ~b) | (a & b); // BIT
          else r = (dv & b) | (a & ~b); // BIF
        }
        store<u64>(d + h, r);
      }
      if (!q) zeroUpper(rd);
      return;
    }
  }
  undefinedInsn(true);
}
