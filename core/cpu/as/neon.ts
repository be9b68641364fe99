// AdvSIMD (ARMv8.0): integer and floating-point vector arithmetic, scalar
// forms, permutes, table lookups, load/store single structure. Operands are
// copied to scratch first, so Vd may alias Vn/Vm. Every combination not
// implemented here returns false and the caller raises UNDEFINED (logged).
import * as O from "../ops";
import { S, fault, rX, rSP, wSP } from "./cpu";
import { ST_V, ST_SCRATCH, ST_FPSR } from "../layout";
import { ld8, ld16, ld32, ld64, st8, st16, st32, st64 } from "./mmu";
import {
  fpBegin, fpEnd, fpRMode, fpAdd, fpMul, fpDiv, fpSqrt, fpMulAdd, fpCompare, fpMinMax,
  fpToFixed, fixedToFp, fpRoundInt, fpConvert, fpStepFused, RM_RN, RM_RP, RM_RM, RM_RZ, RM_TIEAWAY, RM_ODD, FPSR_QC,
  fpRound, fpUnpack, fpRecipEstimate, fpRSqrtEstimate, fpRecpX, recipEstimate, recipSqrtEstimate, uSign, uExp, uSig, T_QNAN, T_SNAN, T_INF, T_ZERO, fpProcessNaN, fpInf, fpZero, fpDefaultNaN,
} from "./fp";

const TN: usize = 0; // scratch offsets: operand n (32 bytes, for pairs), m, d, result
const TM: usize = 16;
const TD: usize = 64;
const TR: usize = 96;

@inline function vA(r: u32): usize {
  return S + ST_V + (<usize>r << 4);
}
@inline function sc(off: usize): usize {
  return S + ST_SCRATCH + off;
}
@inline function ge(base: usize, idx: u32, es: u32): u64 {
  const a = base + <usize>(idx * es);
  if (es == 8) return load<u64>(a);
  if (es == 4) return <u64>load<u32>(a);
  if (es == 2) return <u64>load<u16>(a);
  return <u64>load<u8>(a);
}
@inline function se(base: usize, idx: u32, es: u32, v: u64): void {
  const a = base + <usize>(idx * es);
  if (es == 8) store<u64>(a, v);
  else if (es == 4) store<u32>(a, <u32>v);
  else if (es == 2) store<u16>(a, <u16>v);
  else store<u8>(a, <u8>v);
}
@inline function sx(v: u64, bits: u32): i64 {
  return bits >= 64 ? <i64>v : (<i64>(v << (64 - bits))) >> (64 - bits);
}
@inline function maskOf(bits: u32): u64 {
  return bits >= 64 ? <u64>-1 : (<u64>1 << bits) - 1;
}
function copyIn(r: u32, off: usize): void {
  store<u64>(sc(off), load<u64>(vA(r)));
  store<u64>(sc(off), load<u64>(vA(r), 8), 8);
}
function clearRes(): void {
  store<u64>(sc(TR), 0);
  store<u64>(sc(TR), 0, 8);
}
/** Write the result (8 or 16 bytes) to V[rd], zeroing the upper half for 8. */
function writeRes(rd: u32, bytes: u32): void {
  store<u64>(vA(rd), load<u64>(sc(TR)));
  store<u64>(vA(rd), bytes > 8 ? load<u64>(sc(TR), 8) : 0, 8);
}
let qc = false;
function setQc(): void {
  if (qc) store<u64>(S + ST_FPSR, load<u64>(S + ST_FPSR) | <u64>FPSR_QC);
}

// ---- integer element operations -------------------------------------------

function satS(v: i64, bits: u32): u64 {
  const hi: i64 = (<i64>1 << (bits - 1)) - 1, lo: i64 = -hi - 1;
  if (v > hi) { qc = true; return <u64>hi & maskOf(bits); }
  if (v < lo) { qc = true; return <u64>lo & maskOf(bits); }
  return <u64>v & maskOf(bits);
}
function satU(v: i64, bits: u32): u64 {
  if (v < 0) { qc = true; return 0; }
  if (<u64>v > maskOf(bits)) { qc = true; return maskOf(bits); }
  return <u64>v;
}
function qaddsub(u: u32, sub: bool, a: u64, b: u64, bits: u32): u64 {
  if (bits < 64) {
    if (u) return satU(sub ? <i64>a - <i64>b : <i64>a + <i64>b, bits);
    const sa = sx(a, bits), sb = sx(b, bits);
    return satS(sub ? sa - sb : sa + sb, bits);
  }
  if (u) {
    if (sub) { if (b > a) { qc = true; return 0; } return a - b; }
    const r = a + b;
    if (r < a) { qc = true; return <u64>-1; }
    return r;
  }
  const r = sub ? a - b : a + b;
  const ovf = sub ? ((a ^ b) & (a ^ r)) >> 63 : (~(a ^ b) & (a ^ r)) >> 63;
  if (ovf) { qc = true; return (a >> 63) ? 0x8000000000000000 : 0x7fffffffffffffff; }
  return r;
}
function shrU(a: u64, s: u32): u64 {
  return s >= 64 ? 0 : a >> s;
}
function shrS(a: i64, s: u32): i64 {
  return a >> (s >= 63 ? 63 : s);
}
/** Rounding shift right by s (1..64) of an element (unsigned or signed), 64-bit result before masking. */
function rshr(a: u64, s: u32, u: bool, bits: u32): u64 {
  if (u) return shrU(a, s) + (shrU(a, s - 1) & 1);
  const v = sx(a, bits);
  return <u64>(shrS(v, s) + (shrS(v, s - 1) & 1));
}
function pmul8(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) if ((b >> i) & 1) r ^= a << i;
  return r;
}

/** Valid (opcode, U, size) for the vector integer three-same group. */
function int3Valid(opc: u32, u: u32, size: u32, q: u32, scalar: bool): bool {
  if (scalar) {
    if (opc == 1 || opc == 5 || opc == 9 || opc == 11) return true;
    if (opc == 6 || opc == 7 || opc == 8 || opc == 10 || opc == 16 || opc == 17) return size == 3;
    if (opc == 22) return size == 1 || size == 2;
    return false;
  }
  if (size == 3 && q == 0) return false;
  switch (opc) {
    case 0: case 2: case 4: case 12: case 13: case 14: case 15: case 18: case 20: case 21:
      return size != 3;
    case 19: return u == 0 ? size != 3 : size == 0;
    case 1: case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 16: case 17: return true;
    case 22: return size == 1 || size == 2;
    case 23: return u == 0;
  }
  return false;
}

/** [SU]QSHL (9), [SU]RSHL (10), [SU]QRSHL (11) by a signed register amount (low byte of b). */
function shiftReg(opc: u32, u: u32, bits: u32, a: u64, b: u64): u64 {
  const m = maskOf(bits);
  const sh = <i32>sx(b & 0xff, 8);
  const round = opc != 9;
  const sat = opc != 10;
  if (sh < 0) {
    const s = <u32>(-sh);
    if (round) return rshr(a, s, u == 1, bits) & m;
    return (u ? shrU(a, s) : <u64>shrS(sx(a, bits), s)) & m;
  }
  if (!sat) return sh >= <i32>bits ? 0 : (a << <u64>sh) & m;
  if (u) {
    if (a == 0) return 0;
    if (sh >= <i32>bits || (a >> <u64>(bits - sh)) != 0 && sh > 0) { qc = true; return m; }
    return (a << <u64>sh) & m;
  }
  const v = sx(a, bits);
  if (v == 0) return 0;
  if (sh >= <i32>bits) { qc = true; return v < 0 ? (<u64>1 << (bits - 1)) : m >> 1; }
  const r = v << <i64>sh;
  if ((r >> <i64>sh) != v) { qc = true; return v < 0 ? (<u64>1 << (bits - 1)) : m >> 1; }
  return satS(r, bits);
}

function int3(opc: u32, u: u32, bits: u32, a: u64, b: u64, d: u64): u64 {
  const m = maskOf(bits);
  const sa = sx(a, bits), sb = sx(b, bits);
  switch (opc) {
    case 0: return (u ? <u64>((a + b) >> 1) : <u64>((sa + sb) >> 1)) & m;
    case 1: return qaddsub(u, false, a, b, bits);
    case 2: return (u ? <u64>((a + b + 1) >> 1) : <u64>((sa + sb + 1) >> 1)) & m;
    case 4: return (u ? <u64>((<i64>a - <i64>b) >> 1) : <u64>((sa - sb) >> 1)) & m;
    case 5: return qaddsub(u, true, a, b, bits);
    case 6: return (u ? a > b : sa > sb) ? m : 0;
    case 7: return (u ? a >= b : sa >= sb) ? m : 0;
    case 8: {
      const sh = <i32>sx(b & 0xff, 8);
      if (sh >= 0) return sh >= <i32>bits ? 0 : (a << <u64>sh) & m;
      const r = <u32>(-sh);
      return (u ? shrU(a, r) : <u64>shrS(sa, r)) & m;
    }
    case 9: case 10: case 11: return shiftReg(opc, u, bits, a, b);
    case 22: {
      // SQDMULH (U0) / SQRDMULH (U1): (2ab [+ 2^(bits-1)]) >> bits == (ab [+ 2^(bits-2)]) >> (bits-1)
      let p = sa * sb;
      if (u) p += <i64>1 << (bits - 2);
      return satS(p >> (bits - 1), bits);
    }
    case 12: return u ? (a > b ? a : b) : (sa > sb ? a : b);
    case 13: return u ? (a < b ? a : b) : (sa < sb ? a : b);
    case 14: return (u ? (a > b ? a - b : b - a) : <u64>(sa > sb ? sa - sb : sb - sa)) & m;
    case 15: return (d + (u ? (a > b ? a - b : b - a) : <u64>(sa > sb ? sa - sb : sb - sa))) & m;
    case 16: return (u ? a - b : a + b) & m;
    case 17: return u ? (a == b ? m : 0) : ((a & b) != 0 ? m : 0);
    case 18: return (u ? d - a * b : d + a * b) & m;
    case 19: return u ? pmul8(a, b) & 0xff : (a * b) & m;
    case 20: return u ? (a > b ? a : b) : (sa > sb ? a : b);
    case 21: return u ? (a < b ? a : b) : (sa < sb ? a : b);
    case 23: return (a + b) & m;
  }
  return 0;
}

// ---- floating-point element operations -------------------------------------

/** FP three-same: returns false if unallocated. Element result in fres. */
let fres: u64 = 0;
function fp3Valid(opc: u32, u: u32, a: u32): bool {
  switch (opc) {
    case 24: case 26: case 30: return true;
    case 25: return u == 0;
    case 27: return a == 0;
    case 28: return !(u == 0 && a == 1);
    case 29: return u == 1;
    case 31: return !(u == 1 && a == 1);
  }
  return false;
}
function fp3Pairwise(opc: u32, u: u32, a: u32): bool {
  return u == 1 && (opc == 24 || opc == 30 || (opc == 26 && a == 0));
}
function fp3(opc: u32, u: u32, a: u32, n: u32, x: u64, y: u64, d: u64): u64 {
  const ones = maskOf(n);
  const sb: u64 = <u64>1 << (n - 1);
  switch (opc) {
    case 24: return fpMinMax(x, y, n, a == 0, true);
    case 25: return fpMulAdd(d, a ? x ^ sb : x, y, n);
    case 26:
      if (u == 0) return fpAdd(x, y, n, a != 0);
      if (a == 0) return fpAdd(x, y, n, false); // FADDP
      return fpAdd(x, y, n, true) & ~sb; // FABD
    case 27: return fpMul(x, y, n, u == 0);
    case 28:
      if (u == 0) return fpCompare(x, y, n, false) == 6 ? ones : 0;
      if (a == 0) { const c = fpCompare(x, y, n, true); return c == 6 || c == 2 ? ones : 0; }
      return fpCompare(x, y, n, true) == 2 ? ones : 0;
    case 29: {
      const c = fpCompare(x & ~sb, y & ~sb, n, true);
      return (a == 0 ? c == 6 || c == 2 : c == 2) ? ones : 0;
    }
    case 30: return fpMinMax(x, y, n, a == 0, false);
    case 31: return u == 0 ? fpStepFused(x, y, n, a == 1) : fpDiv(x, y, n);
  }
  return 0;
}

/** FP two-register misc (opcode, U, a = size<1>). `zero` selects compare-with-zero forms. */
function fp2Valid(opc: u32, u: u32, a: u32): bool {
  if (opc >= 12 && opc <= 15) return a == 1 && !(u == 1 && opc == 14);
  if (opc == 24) return !(u == 1 && a == 1);
  if (opc == 25 || opc == 26 || opc == 27) return true;
  if (opc == 28 || opc == 29) return true; // a1: [U]RECPE/[U]RSQRTE, FRECPE/FRSQRTE
  if (opc == 31) return a == 1; // FSQRT (U1), FRECPX (U0, scalar only)
  return false;
}
function fp2(opc: u32, u: u32, a: u32, n: u32, x: u64): u64 {
  const ones = maskOf(n);
  const sb: u64 = <u64>1 << (n - 1);
  if (a == 1 && opc >= 12 && opc <= 14) {
    // compare against +0: GT/GE (12), EQ/LE (13), LT (14)
    if (opc == 13 && u == 0) return fpCompare(x, 0, n, false) == 6 ? ones : 0;
    const c = fpCompare(x, 0, n, true);
    if (opc == 12) return (u == 0 ? c == 2 : c == 2 || c == 6) ? ones : 0;
    if (opc == 13) return c == 8 || c == 6 ? ones : 0;
    return c == 8 ? ones : 0;
  }
  if (a == 1 && opc == 15) return u ? x ^ sb : x & ~sb;
  if (opc == 31) return u ? fpSqrt(x, n) : fpRecpX(x, n);
  if (a == 1 && opc == 29) return u ? fpRSqrtEstimate(x, n) : fpRecipEstimate(x, n);
  if (a == 1 && opc == 28) {
    // URECPE / URSQRTE (32-bit lanes only)
    if (u == 0) return (x >> 31) == 0 ? 0xffffffff : <u64>recipEstimate(<u32>(x >> 23) & 0x1ff) << 23;
    return (x >> 30) == 0 ? 0xffffffff : <u64>recipSqrtEstimate(<u32>(x >> 23) & 0x1ff) << 23;
  }
  if (opc == 29) return fixedToFp(x, n, u == 1, 0, n, fpRMode());
  if (opc == 24 || opc == 25) {
    // FRINTN/M (U0 a0), FRINTP/Z (U0 a1), FRINTA/X (U1 a0), FRINTI (U1 a1, 25)
    let mode: u32;
    let exact = false;
    if (u == 0) mode = a == 0 ? (opc == 24 ? RM_RN : RM_RM) : (opc == 24 ? RM_RP : RM_RZ);
    else if (a == 0) { if (opc == 24) mode = RM_TIEAWAY; else { mode = fpRMode(); exact = true; } }
    else mode = fpRMode(); // FRINTI (opc 25)
    return fpRoundInt(x, n, mode, exact);
  }
  // FCVT{N,M,A,P,Z}{S,U}: 26 N/P, 27 M/Z, 28 A
  let mode: u32;
  if (opc == 28) mode = RM_TIEAWAY;
  else if (opc == 26) mode = a == 0 ? RM_RN : RM_RP;
  else mode = a == 0 ? RM_RM : RM_RZ;
  return fpToFixed(x, n, 0, u == 1, n, mode) & ones;
}

// ---- the instruction groups ---------------------------------------------------

/** Three same (vector or scalar). */
function threeSame(insn: u32, scalar: bool): bool {
  const q: u32 = scalar ? 0 : (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 11) & 31;
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  copyIn(rn, TN); copyIn(rm, TM); copyIn(rd, TD); clearRes();
  if (opc >= 24) {
    const a = size >> 1;
    const n: u32 = (size & 1) ? 64 : 32;
    if (!fp3Valid(opc, u, a)) return false;
    const pw = fp3Pairwise(opc, u, a);
    if (scalar) {
      // scalar: FABD, FMULX, FCMEQ/GE/GT, FACGE/GT (FRECPS/FRSQRTS not implemented)
      if (!((opc == 26 && u == 1 && a == 1) || (opc == 27 && u == 0) || opc == 28 || opc == 29 || (opc == 31 && u == 0))) return false;
    } else if (n == 64 && q == 0) return false;
    const es = n >> 3;
    const elems: u32 = scalar ? 1 : (q ? 16 : 8) / es;
    fpBegin();
    if (pw) {
      // concatenated n:m, pairs
      store<u64>(sc(TN + 16), load<u64>(sc(TM)));
      store<u64>(sc(TN + 24), load<u64>(sc(TM), 8));
      if (!q) store<u64>(sc(TN + 8), load<u64>(sc(TM)));
      for (let e: u32 = 0; e < elems; e++) {
        se(sc(TR), e, es, fp3(opc, u, a, n, ge(sc(TN), 2 * e, es), ge(sc(TN), 2 * e + 1, es), 0));
      }
    } else {
      for (let e: u32 = 0; e < elems; e++) {
        se(sc(TR), e, es, fp3(opc, u, a, n, ge(sc(TN), e, es), ge(sc(TM), e, es), ge(sc(TD), e, es)));
      }
    }
    fpEnd();
    writeRes(rd, q ? 16 : 8);
    return true;
  }
  if (!int3Valid(opc, u, size, q, scalar)) return false;
  const es: u32 = 1 << size;
  const bits = es * 8;
  const elems: u32 = scalar ? 1 : (q ? 16 : 8) / es;
  qc = false;
  if (opc == 20 || opc == 21 || opc == 23) {
    // pairwise over the concatenation n:m
    const half = elems / 2;
    for (let e: u32 = 0; e < elems; e++) {
      const src = e < half ? sc(TN) : sc(TM);
      const i = (e % half) * 2;
      se(sc(TR), e, es, int3(opc, u, bits, ge(src, i, es), ge(src, i + 1, es), 0));
    }
  } else {
    for (let e: u32 = 0; e < elems; e++)
      se(sc(TR), e, es, int3(opc, u, bits, ge(sc(TN), e, es), ge(sc(TM), e, es), ge(sc(TD), e, es)));
  }
  setQc();
  writeRes(rd, q ? 16 : 8);
  return true;
}

/** Two-register misc (vector or scalar). */
function twoMisc(insn: u32, scalar: bool): bool {
  const q: u32 = scalar ? 0 : (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 31;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  copyIn(rn, TN); copyIn(rd, TD); clearRes();
  const bytes: u32 = q ? 16 : 8;
  if ((opc == 22 || opc == 23) && (size >> 1) == 0) {
    // FCVTN/FCVTN2 (22, U0), FCVTXN/FCVTXN2 (22, U1, double only), FCVTL/FCVTL2 (23, U0)
    const sz = size & 1;
    if (u == 1 && (opc != 22 || sz == 0)) return false;
    const wide: u32 = sz ? 64 : 32, nar: u32 = sz ? 32 : 16;
    const cnt: u32 = 128 / wide; // 2 doubles or 4 singles per 128-bit wide vector
    if (scalar && !(u == 1 && opc == 22)) return false;
    fpBegin();
    if (opc == 22) {
      const ecount: u32 = scalar ? 1 : cnt;
      store<u64>(sc(TR), scalar ? 0 : load<u64>(sc(TD)));
      const off: u32 = !scalar && q ? ecount : 0;
      for (let e: u32 = 0; e < ecount; e++) {
        const x = ge(sc(TN), e, wide >> 3);
        const r = u == 1 ? fpConvertOdd(x) : fpConvert(x, wide, nar);
        se(sc(TR), off + e, nar >> 3, r);
      }
      fpEnd();
      writeRes(rd, scalar ? 8 : q ? 16 : 8);
      return true;
    }
    const base: u32 = q ? cnt : 0;
    for (let e: u32 = 0; e < cnt; e++) se(sc(TR), e, wide >> 3, fpConvert(ge(sc(TN), base + e, nar >> 3), nar, wide));
    fpEnd();
    writeRes(rd, 16);
    return true;
  }
  if (opc == 19 && u == 1 && !scalar) {
    // SHLL/SHLL2: widen and shift left by the element size
    if (size == 3) return false;
    const es0: u32 = 1 << size;
    const cnt: u32 = 8 / es0;
    for (let e: u32 = 0; e < cnt; e++) se(sc(TR), e, es0 * 2, ge(sc(TN), (q ? cnt : 0) + e, es0) << (es0 * 8));
    writeRes(rd, 16);
    return true;
  }
  // floating point
  if (opc >= 12 && !(opc >= 18 && opc <= 20)) {
    const a = size >> 1;
    const n: u32 = (size & 1) ? 64 : 32;
    if (!fp2Valid(opc, u, a)) return false;
    if (scalar && (opc == 15 || opc == 24 || opc == 25 || (opc == 31 && u == 1) || (opc == 28 && a == 1))) return false; // no scalar FABS/FNEG/FRINT/FSQRT/URECPE here
    if (!scalar && opc == 31 && u == 0) return false; // FRECPX is scalar only
    if (opc == 28 && (size >> 1) == 1 && n == 64) return false; // URECPE/URSQRTE: 32-bit lanes
    if (!scalar && n == 64 && q == 0) return false;
    const es = n >> 3;
    const elems: u32 = scalar ? 1 : bytes / es;
    fpBegin();
    for (let e: u32 = 0; e < elems; e++) se(sc(TR), e, es, fp2(opc, u, a, n, ge(sc(TN), e, es)));
    fpEnd();
    writeRes(rd, bytes);
    return true;
  }
  const es: u32 = 1 << size;
  const bits = es * 8;
  const m = maskOf(bits);
  if (scalar) {
    if (!(((opc >= 8 && opc <= 11) && size == 3 && !(opc == 10 && u == 1)) || opc == 7 || opc == 3 || ((opc == 18 && u == 1) || opc == 20))) return false;
  }
  const elems: u32 = scalar ? 1 : bytes / es;
  qc = false;
  switch (opc) {
    case 0: case 1: {
      // REV64 (U0,0), REV32 (U1,0), REV16 (U0,1)
      let cont: u32;
      if (opc == 0) cont = u ? 4 : 8;
      else { if (u) return false; cont = 2; }
      if (es >= cont) return false;
      const per = cont / es;
      for (let e: u32 = 0; e < elems; e++) {
        const base = e - (e % per);
        se(sc(TR), e, es, ge(sc(TN), base + per - 1 - (e % per), es));
      }
      break;
    }
    case 2: case 6: {
      if (size == 3) return false;
      const out = elems / 2;
      for (let e: u32 = 0; e < out; e++) {
        const a = ge(sc(TN), 2 * e, es), b = ge(sc(TN), 2 * e + 1, es);
        let s: u64 = u ? a + b : <u64>(sx(a, bits) + sx(b, bits));
        if (opc == 6) s += ge(sc(TD), e, es * 2);
        se(sc(TR), e, es * 2, s);
      }
      break;
    }
    case 4: {
      if (size == 3) return false;
      for (let e: u32 = 0; e < elems; e++) {
        const a = ge(sc(TN), e, es);
        let r: u64;
        if (u) r = clz<u64>(a) - (64 - bits);
        else {
          const v = sx(a, bits);
          r = clz<u64>(<u64>(v ^ (v >> 63))) - (64 - bits) - 1;
        }
        se(sc(TR), e, es, r);
      }
      break;
    }
    case 5: {
      const elems = bytes; // byte lanes whatever the size field
      if (u == 0 && size == 0) { for (let e: u32 = 0; e < elems; e++) se(sc(TR), e, 1, popcnt<u64>(ge(sc(TN), e, 1))); break; }
      if (u == 1 && size == 0) { for (let e: u32 = 0; e < elems; e++) se(sc(TR), e, 1, ~ge(sc(TN), e, 1)); break; }
      if (u == 1 && size == 1) {
        for (let e: u32 = 0; e < elems; e++) {
          const v = ge(sc(TN), e, 1);
          let r: u64 = 0;
          for (let i: u64 = 0; i < 8; i++) r |= ((v >> i) & 1) << (7 - i);
          se(sc(TR), e, 1, r);
        }
        break;
      }
      return false;
    }
    case 3: {
      // SUQADD (U0: signed + unsigned -> signed), USQADD (U1: unsigned + signed -> unsigned), accumulate into Vd
      if (size == 3 && q == 0 && !scalar) return false;
      for (let e: u32 = 0; e < elems; e++) {
        const a = ge(sc(TN), e, es), d = ge(sc(TD), e, es);
        let r: u64;
        if (bits < 64) r = u == 0 ? satS(sx(d, bits) + <i64>a, bits) : satU(<i64>d + sx(a, bits), bits);
        else if (u == 0) {
          // signed d + unsigned a, saturate to signed 64
          const lim: u64 = <i64>d >= 0 ? <u64>0x7fffffffffffffff - d : <u64>0x7fffffffffffffff + (0 - d);
          if (a > lim) { qc = true; r = 0x7fffffffffffffff; } else r = d + a;
        } else {
          // unsigned d + signed a, saturate to unsigned 64
          const sa = <i64>a;
          if (sa >= 0) { const sum = d + a; if (sum < d) { qc = true; r = <u64>-1; } else r = sum; }
          else { const na = <u64>(-sa); if (na > d) { qc = true; r = 0; } else r = d - na; }
        }
        se(sc(TR), e, es, r);
      }
      break;
    }
    case 7: {
      // SQABS (U0) / SQNEG (U1)
      if (size == 3 && q == 0 && !scalar) return false;
      for (let e: u32 = 0; e < elems; e++) {
        const v = sx(ge(sc(TN), e, es), bits);
        let r: u64;
        if (bits == 64) {
          const neg = u == 1 ? true : v < 0;
          if (neg && v == (<i64>1 << 63)) { qc = true; r = 0x7fffffffffffffff; }
          else r = <u64>(neg ? -v : v);
        } else r = satS(u == 1 ? -v : (v < 0 ? -v : v), bits);
        se(sc(TR), e, es, r);
      }
      break;
    }
    case 8: case 9: case 10: case 11: {
      if (size == 3 && q == 0 && !scalar) return false;
      if (opc == 10 && u == 1) return false;
      for (let e: u32 = 0; e < elems; e++) {
        const a = ge(sc(TN), e, es);
        const v = sx(a, bits);
        let r: u64;
        if (opc == 8) r = (u ? v >= 0 : v > 0) ? m : 0;
        else if (opc == 9) r = (u ? v <= 0 : v == 0) ? m : 0;
        else if (opc == 10) r = v < 0 ? m : 0;
        else r = (u ? <u64>(0 - v) : <u64>(v < 0 ? -v : v)) & m;
        se(sc(TR), e, es, r);
      }
      break;
    }
    case 18: case 20: {
      // XTN (18, U0), SQXTUN (18, U1), SQXTN/UQXTN (20): narrow into the lower or upper half
      if (size == 3) return false;
      const wes = es * 2;
      const cnt: u32 = scalar ? 1 : 8 / es;
      store<u64>(sc(TR), scalar ? 0 : load<u64>(sc(TD)));
      const off: u32 = !scalar && q ? cnt : 0;
      for (let e: u32 = 0; e < cnt; e++) {
        const w = ge(sc(TN), e, wes);
        let r: u64;
        if (opc == 18 && u == 0) r = w & m;
        else if (opc == 18) r = satU(sx(w, wes * 8), bits);
        else if (u) { if (w > m) { qc = true; r = m; } else r = w; }
        else r = satS(sx(w, wes * 8), bits);
        se(sc(TR), off + e, es, r);
      }
      setQc();
      writeRes(rd, !scalar && q ? 16 : 8);
      return true;
    }
    default:
      return false;
  }
  setQc();
  writeRes(rd, bytes);
  return true;
}

/** FPConvert double -> single with round-to-odd (FCVTXN). */
function fpConvertOdd(a: u64): u64 {
  const t = fpUnpack(a, 64);
  const s = uSign;
  if (t == T_QNAN || t == T_SNAN) {
    if (t == T_SNAN) fpProcessNaN(t, a, 64); // IOC
    return fpConvert(a & ~(<u64>1 << 51) | (<u64>1 << 51), 64, 32); // same payload rules, already quiet
  }
  if (t == T_INF) return fpInf(s, 32);
  if (t == T_ZERO) return fpZero(s, 32);
  return fpRound(s, uExp, uSig, false, 32, RM_ODD);
}

/** ARM's Reduce: recursive halves (matters for FP NaN selection and flags). */
function reduceFp(opc: u32, a: u32, lo: u32, cnt: u32, es: u32): u64 {
  if (cnt == 1) return ge(sc(TN), lo, es);
  const h = cnt / 2;
  const x = reduceFp(opc, a, lo, h, es), y = reduceFp(opc, a, lo + h, h, es);
  return fpMinMax(x, y, es * 8, a == 0, opc == 12);
}

function acrossLanes(insn: u32): bool {
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 31;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  copyIn(rn, TN); clearRes();
  if (opc == 12 || opc == 15) {
    if (u == 0 || q == 0 || (size & 1) != 0) return false;
    fpBegin();
    const r = reduceFp(opc, size >> 1, 0, 4, 4);
    fpEnd();
    se(sc(TR), 0, 4, r);
    writeRes(rd, 8);
    return true;
  }
  if (size == 3 || (size == 2 && q == 0)) return false;
  const es: u32 = 1 << size;
  const bits = es * 8;
  const elems: u32 = (q ? 16 : 8) / es;
  let acc = ge(sc(TN), 0, es);
  let sacc = sx(acc, bits);
  if (opc == 3) {
    let s: i64 = 0;
    for (let e: u32 = 0; e < elems; e++) s += u ? <i64>ge(sc(TN), e, es) : sx(ge(sc(TN), e, es), bits);
    se(sc(TR), 0, es * 2, <u64>s);
  } else if (opc == 27 && u == 0) {
    for (let e: u32 = 1; e < elems; e++) acc += ge(sc(TN), e, es);
    se(sc(TR), 0, es, acc);
  } else if (opc == 10 || opc == 26) {
    const isMax = opc == 10;
    for (let e: u32 = 1; e < elems; e++) {
      const v = ge(sc(TN), e, es);
      const sv = sx(v, bits);
      if (u) { if (isMax ? v > acc : v < acc) acc = v; }
      else if (isMax ? sv > sacc : sv < sacc) { sacc = sv; acc = v; }
    }
    se(sc(TR), 0, es, acc);
  } else return false;
  writeRes(rd, 8);
  return true;
}

/** Shift by immediate (vector or scalar). */
function shiftImm(insn: u32, scalar: bool): bool {
  const q: u32 = scalar ? 0 : (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const immh = (insn >> 19) & 15, immhb = (insn >> 16) & 127;
  const opc = (insn >> 11) & 31;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  copyIn(rn, TN); copyIn(rd, TD); clearRes();
  const hsb: u32 = 31 - clz<u32>(immh);
  const bits: u32 = 8 << hsb;
  const es = bits >> 3;
  const m = maskOf(bits);
  const rsh: u32 = bits * 2 - immhb; // right shifts
  const lsh: u32 = immhb - bits; // left shifts
  const bytes: u32 = q ? 16 : 8;
  // narrowing and lengthening forms
  if (opc == 20) {
    if (scalar || immh >= 8) return false;
    // SSHLL/USHLL: source half q, result elements of 2*bits
    const cnt: u32 = 8 / es;
    for (let e: u32 = 0; e < cnt; e++) {
      const v = ge(sc(TN), (q ? cnt : 0) + e, es);
      const w: u64 = u ? v : <u64>sx(v, bits);
      se(sc(TR), e, es * 2, w << lsh);
    }
    writeRes(rd, 16);
    return true;
  }
  if (opc >= 16 && opc <= 19) {
    // SHRN/RSHRN (U0 16/17), SQSHRUN/SQRSHRUN (U1 16/17), [SU]QSHRN/[SU]QRSHRN (18/19):
    // wide elements of 2*bits shifted right by (2*bits - immh:immb), then narrowed
    if (immh >= 8) return false;
    if (scalar && u == 0 && opc <= 17) return false; // no scalar SHRN/RSHRN
    const cnt: u32 = scalar ? 1 : 8 / es;
    const round = (opc & 1) == 1;
    const wbits = bits * 2;
    const srcSigned = !(u == 1 && opc >= 18);
    qc = false;
    store<u64>(sc(TR), scalar ? 0 : load<u64>(sc(TD)));
    for (let e: u32 = 0; e < cnt; e++) {
      const w = ge(sc(TN), e, es * 2);
      let r: u64;
      if (u == 0 && opc <= 17) r = (round ? rshr(w, rsh, true, wbits) : shrU(w, rsh)) & m;
      else {
        const v: u64 = round ? rshr(w, rsh, !srcSigned, wbits) : srcSigned ? <u64>shrS(sx(w, wbits), rsh) : shrU(w, rsh);
        if (opc <= 17) r = satU(<i64>v, bits); // SQSHRUN: signed -> unsigned
        else if (srcSigned) r = satS(<i64>v, bits);
        else { if (v > m) { qc = true; r = m; } else r = v; }
      }
      se(sc(TR), (!scalar && q ? cnt : 0) + e, es, r);
    }
    setQc();
    writeRes(rd, !scalar && q ? 16 : 8);
    return true;
  }
  if (opc == 12 || opc == 14) {
    // SQSHLU (U1 12), SQSHL/UQSHL (immediate, 14)
    if (opc == 12 && u == 0) return false;
    if (!scalar && immh >= 8 && q == 0) return false;
    const elems: u32 = scalar ? 1 : bytes / es;
    qc = false;
    for (let e: u32 = 0; e < elems; e++) {
      const a = ge(sc(TN), e, es);
      let r: u64;
      if (opc == 14 && u == 1) r = shiftReg(9, 1, bits, a, <u64>lsh);
      else if (opc == 14) r = shiftReg(9, 0, bits, a, <u64>lsh);
      else {
        const v = sx(a, bits);
        if (v < 0) { qc = true; r = 0; } else r = shiftReg(9, 1, bits, a, <u64>lsh);
      }
      se(sc(TR), e, es, r);
    }
    setQc();
    writeRes(rd, scalar ? 8 : bytes);
    return true;
  }
  if (opc == 28 || opc == 31) {
    // SCVTF/UCVTF, FCVTZS/FCVTZU (fixed point)
    if (bits < 32) return false;
    if (!scalar && bits == 64 && q == 0) return false;
    const fbits = rsh;
    const elems: u32 = scalar ? 1 : bytes / es;
    fpBegin();
    for (let e: u32 = 0; e < elems; e++) {
      const x = ge(sc(TN), e, es);
      const r = opc == 28 ? fixedToFp(x, bits, u == 1, fbits, bits, fpRMode()) : fpToFixed(x, bits, fbits, u == 1, bits, RM_RZ) & m;
      se(sc(TR), e, es, r);
    }
    fpEnd();
    writeRes(rd, scalar ? 8 : bytes);
    return true;
  }
  if (scalar && immh < 8) return false;
  if (!scalar && immh >= 8 && q == 0) return false;
  const elems: u32 = scalar ? 1 : bytes / es;
  for (let e: u32 = 0; e < elems; e++) {
    const a = ge(sc(TN), e, es), d = ge(sc(TD), e, es);
    let r: u64;
    switch (opc) {
      case 0: r = u ? shrU(a, rsh) : <u64>shrS(sx(a, bits), rsh); break;
      case 2: r = d + (u ? shrU(a, rsh) : <u64>shrS(sx(a, bits), rsh)); break;
      case 4: r = rshr(a, rsh, u == 1, bits); break;
      case 6: r = d + rshr(a, rsh, u == 1, bits); break;
      case 8: {
        if (!u) return false;
        const keep: u64 = rsh >= 64 ? m : ~(m >> rsh) & m; // SRI: high rsh bits of d kept
        r = (d & keep) | shrU(a, rsh);
        break;
      }
      case 10: {
        if (!u) { r = a << lsh; break; }
        const keep: u64 = (<u64>1 << lsh) - 1; // SLI: low lsh bits of d kept
        r = (d & keep) | (a << lsh);
        break;
      }
      default: return false;
    }
    se(sc(TR), e, es, r & m);
  }
  writeRes(rd, scalar ? 8 : bytes);
  return true;
}

function permute(insn: u32): bool {
  const q = (insn >> 30) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 7;
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  if (opc == 0 || opc == 4 || (size == 3 && q == 0)) return false;
  copyIn(rn, TN); copyIn(rm, TM); clearRes();
  const es: u32 = 1 << size;
  const elems: u32 = (q ? 16 : 8) / es;
  const half = elems / 2;
  const part: u32 = opc >> 2;
  const kind = opc & 3; // 1 UZP, 2 TRN, 3 ZIP
  for (let e: u32 = 0; e < elems; e++) {
    let v: u64;
    if (kind == 1) {
      const i = e * 2 + part;
      v = i < elems ? ge(sc(TN), i, es) : ge(sc(TM), i - elems, es);
    } else if (kind == 2) {
      const i = (e & ~1) + part;
      v = (e & 1) ? ge(sc(TM), i, es) : ge(sc(TN), i, es);
    } else {
      const i = part * half + (e >> 1);
      v = (e & 1) ? ge(sc(TM), i, es) : ge(sc(TN), i, es);
    }
    se(sc(TR), e, es, v);
  }
  writeRes(rd, q ? 16 : 8);
  return true;
}

function extract(insn: u32): bool {
  const q = (insn >> 30) & 1;
  const imm4 = (insn >> 11) & 15;
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  if (q == 0 && imm4 >= 8) return false;
  const bytes: u32 = q ? 16 : 8;
  copyIn(rn, TN); copyIn(rm, TM); clearRes();
  for (let i: u32 = 0; i < bytes; i++) {
    const j = i + imm4;
    store<u8>(sc(TR) + i, j < bytes ? load<u8>(sc(TN) + j) : load<u8>(sc(TM) + (j - bytes)));
  }
  writeRes(rd, bytes);
  return true;
}

function tableLookup(insn: u32): bool {
  const q = (insn >> 30) & 1;
  const len = (insn >> 13) & 3;
  const tbx = (insn >> 12) & 1;
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  const bytes: u32 = q ? 16 : 8;
  copyIn(rm, TM); copyIn(rd, TD); clearRes();
  const regs = len + 1;
  for (let i: u32 = 0; i < bytes; i++) {
    const idx = <u32>load<u8>(sc(TM) + i);
    let v: u8;
    if (idx < regs * 16) v = load<u8>(vA((rn + (idx >> 4)) & 31) + (idx & 15));
    else v = tbx ? load<u8>(sc(TD) + i) : 0;
    store<u8>(sc(TR) + i, v);
  }
  writeRes(rd, bytes);
  return true;
}

/** SQDMULL element: SignedSatQ(2*a*b, 2*bits) for signed a, b of `bits` (16 or 32). */
function sqdmull(a: i64, b: i64, bits: u32): u64 {
  const p = a * b; // |p| <= 2^62
  const w = bits * 2;
  if (w == 64) {
    if (p == (<i64>1 << 62)) { qc = true; return 0x7fffffffffffffff; }
    return <u64>(p * 2);
  }
  return satS(p * 2, w);
}
/** The saturating doubling long group: SQDMULL (13 / by element 11), SQDMLAL (9 / 3), SQDMLSL (11 / 7). */
function sqdmlOp(kind: u32, a: i64, b: i64, d: u64, bits: u32): u64 {
  const p = sqdmull(a, b, bits);
  if (kind == 0) return p;
  const w = bits * 2;
  return qaddsub(0, kind == 2, d & maskOf(w), p & maskOf(w), w);
}

function threeDiff(insn: u32): bool {
  const scalar = ((insn >> 28) & 1) != 0;
  const q = (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 15;
  const rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
  if (size == 3) return false;
  if (opc == 15) return false;
  if (opc == 14 && (u == 1 || size != 0)) return false;
  const sqd = opc == 9 || opc == 11 || opc == 13;
  if (sqd && (u == 1 || size == 0)) return false;
  if (scalar && !sqd) return false;
  copyIn(rn, TN); copyIn(rm, TM); copyIn(rd, TD); clearRes();
  const es: u32 = 1 << size;
  const bits = es * 8;
  if (sqd) {
    // SQDMULL/SQDMLAL/SQDMLSL (and "2", and scalar)
    const cnt: u32 = scalar ? 1 : 8 / es;
    const base: u32 = !scalar && q ? cnt : 0;
    const kind: u32 = opc == 13 ? 0 : opc == 9 ? 1 : 2;
    qc = false;
    for (let e: u32 = 0; e < cnt; e++) {
      const a = sx(ge(sc(TN), base + e, es), bits), b = sx(ge(sc(TM), base + e, es), bits);
      se(sc(TR), e, es * 2, sqdmlOp(kind, a, b, ge(sc(TD), e, es * 2), bits));
    }
    setQc();
    writeRes(rd, scalar ? 8 : 16);
    return true;
  }
  const cnt: u32 = 8 / es;
  const base: u32 = q ? cnt : 0;
  if (opc == 4 || opc == 6) {
    // ADDHN/RADDHN, SUBHN/RSUBHN: wide n, m -> narrow high halves
    store<u64>(sc(TR), load<u64>(sc(TD)));
    for (let e: u32 = 0; e < cnt; e++) {
      const a = ge(sc(TN), e, es * 2), b = ge(sc(TM), e, es * 2);
      let s: u64 = opc == 4 ? a + b : a - b;
      if (u) s += <u64>1 << (bits - 1);
      se(sc(TR), base + e, es, (s >> bits) & maskOf(bits));
    }
    writeRes(rd, q ? 16 : 8);
    return true;
  }
  const wm = maskOf(bits * 2);
  for (let e: u32 = 0; e < cnt; e++) {
    const bv = ge(sc(TM), base + e, es);
    const b: i64 = u ? <i64>bv : sx(bv, bits);
    let a: i64;
    if (opc == 1 || opc == 3) {
      const av = ge(sc(TN), e, es * 2);
      a = u ? <i64>av : sx(av, bits * 2);
    } else {
      const av = ge(sc(TN), base + e, es);
      a = u ? <i64>av : sx(av, bits);
    }
    const d = ge(sc(TD), e, es * 2);
    let r: u64;
    switch (opc) {
      case 0: case 1: r = <u64>(a + b); break;
      case 2: case 3: r = <u64>(a - b); break;
      case 5: r = d + <u64>(a > b ? a - b : b - a); break;
      case 7: r = <u64>(a > b ? a - b : b - a); break;
      case 8: r = d + <u64>(a * b); break;
      case 10: r = d - <u64>(a * b); break;
      case 12: r = <u64>(a * b); break;
      default: { // PMULL 8 -> 16 (polynomial: unsigned lanes)
        r = 0;
        const pa = <u64>a & 0xff, pb = <u64>b & 0xff;
        for (let i: u64 = 0; i < 8; i++) if ((pb >> i) & 1) r ^= pa << i;
      }
    }
    se(sc(TR), e, es * 2, r & wm);
  }
  writeRes(rd, 16);
  return true;
}

/** Vector x indexed element: MUL/MLA/MLS, [SU]MULL/[SU]MLAL/[SU]MLSL, FMUL/FMULX/FMLA/FMLS. */
function byElement(insn: u32): bool {
  const scalar = ((insn >> 28) & 1) != 0; // FMUL/FMLA/FMLS/FMULX (by element), scalar
  const q: u32 = scalar ? 0 : (insn >> 30) & 1;
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const l = (insn >> 21) & 1, mbit = (insn >> 20) & 1, h = (insn >> 11) & 1;
  const opc = (insn >> 12) & 15;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  let rm = (insn >> 16) & 15;
  const isFp = opc == 1 || opc == 5 || opc == 9;
  let idx: u32;
  if (isFp) {
    if (size < 2) return false;
    if (u == 1 && opc != 9) return false;
    if (size == 3) { if (l == 1 || (q == 0 && !scalar)) return false; idx = h; }
    else idx = (h << 1) | l;
    rm |= mbit << 4;
  } else {
    const sqd = u == 0 && (opc == 3 || opc == 7 || opc == 11 || opc == 12 || opc == 13);
    if ((scalar && !sqd) || size == 0 || size == 3) return false;
    if (size == 1) idx = (h << 2) | (l << 1) | mbit;
    else { idx = (h << 1) | l; rm |= mbit << 4; }
  }
  copyIn(rn, TN); copyIn(rm, TM); copyIn(rd, TD); clearRes();
  const es: u32 = 1 << size;
  const bits = es * 8;
  const mk = maskOf(bits);
  const elem = ge(sc(TM), idx, es);
  if (isFp) {
    const n = bits;
    const elems: u32 = scalar ? 1 : (q ? 16 : 8) / es;
    const sb: u64 = <u64>1 << (n - 1);
    fpBegin();
    for (let e: u32 = 0; e < elems; e++) {
      const x = ge(sc(TN), e, es), d = ge(sc(TD), e, es);
      let r: u64;
      if (opc == 9) r = fpMul(x, elem, n, u == 1);
      else r = fpMulAdd(d, opc == 5 ? x ^ sb : x, elem, n);
      se(sc(TR), e, es, r);
    }
    fpEnd();
    writeRes(rd, q ? 16 : 8);
    return true;
  }
  if (opc == 8 || (u == 1 && (opc == 0 || opc == 4))) {
    if (u == 1 && opc == 8) return false;
    const elems: u32 = (q ? 16 : 8) / es;
    for (let e: u32 = 0; e < elems; e++) {
      const p = ge(sc(TN), e, es) * elem;
      const d = ge(sc(TD), e, es);
      se(sc(TR), e, es, (opc == 8 ? p : opc == 0 ? d + p : d - p) & mk);
    }
    writeRes(rd, q ? 16 : 8);
    return true;
  }
  if (u == 0 && (opc == 3 || opc == 7 || opc == 11)) {
    const cnt: u32 = scalar ? 1 : 8 / es;
    const base: u32 = !scalar && q ? cnt : 0;
    const b = sx(elem, bits);
    const kind: u32 = opc == 11 ? 0 : opc == 3 ? 1 : 2;
    qc = false;
    for (let e: u32 = 0; e < cnt; e++)
      se(sc(TR), e, es * 2, sqdmlOp(kind, sx(ge(sc(TN), base + e, es), bits), b, ge(sc(TD), e, es * 2), bits));
    setQc();
    writeRes(rd, scalar ? 8 : 16);
    return true;
  }
  if (u == 0 && (opc == 12 || opc == 13)) {
    // SQDMULH / SQRDMULH by element
    const elems: u32 = scalar ? 1 : (q ? 16 : 8) / es;
    qc = false;
    for (let e: u32 = 0; e < elems; e++) se(sc(TR), e, es, int3(22, opc - 12, bits, ge(sc(TN), e, es), elem, 0));
    setQc();
    writeRes(rd, scalar ? 8 : q ? 16 : 8);
    return true;
  }
  if (opc == 10 || opc == 2 || opc == 6) {
    const cnt: u32 = 8 / es;
    const base: u32 = q ? cnt : 0;
    const b: i64 = u ? <i64>elem : sx(elem, bits);
    const wm = maskOf(bits * 2);
    for (let e: u32 = 0; e < cnt; e++) {
      const av = ge(sc(TN), base + e, es);
      const a: i64 = u ? <i64>av : sx(av, bits);
      const p = <u64>(a * b);
      const d = ge(sc(TD), e, es * 2);
      se(sc(TR), e, es * 2, (opc == 10 ? p : opc == 2 ? d + p : d - p) & wm);
    }
    writeRes(rd, 16);
    return true;
  }
  return false;
}

/** Scalar pairwise: ADDP (D), FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP (S, D). */
function scalarPair(insn: u32): bool {
  const u = (insn >> 29) & 1;
  const size = (insn >> 22) & 3;
  const opc = (insn >> 12) & 31;
  const rd = insn & 31, rn = (insn >> 5) & 31;
  copyIn(rn, TN); clearRes();
  if (u == 0) {
    if (opc != 27 || size != 3) return false;
    store<u64>(sc(TR), load<u64>(sc(TN)) + load<u64>(sc(TN), 8));
    writeRes(rd, 8);
    return true;
  }
  const a = size >> 1;
  const n: u32 = (size & 1) ? 64 : 32;
  const es = n >> 3;
  const x = ge(sc(TN), 0, es), y = ge(sc(TN), 1, es);
  fpBegin();
  let r: u64;
  if (opc == 12) r = fpMinMax(x, y, n, a == 0, true);
  else if (opc == 13 && a == 0) r = fpAdd(x, y, n, false);
  else if (opc == 15) r = fpMinMax(x, y, n, a == 0, false);
  else { fpEnd(); return false; }
  fpEnd();
  se(sc(TR), 0, es, r);
  writeRes(rd, 8);
  return true;
}

/** LD1-LD4 / ST1-ST4 (single structure), LD1R-LD4R, with optional post-index. */
function ldstSingle(insn: u32): bool {
  const q = (insn >> 30) & 1;
  const l = (insn >> 22) & 1;
  const rr = (insn >> 21) & 1;
  const post = (insn >> 23) & 1;
  const rm = (insn >> 16) & 31;
  const opcode = (insn >> 13) & 7;
  const sbit = (insn >> 12) & 1;
  const size = (insn >> 10) & 3;
  const rn = (insn >> 5) & 31, rt = insn & 31;
  let scale = opcode >> 1;
  const selem: u32 = (((opcode & 1) << 1) | rr) + 1;
  let replicate = false;
  let index: u32 = 0;
  switch (scale) {
    case 3:
      if (l == 0 || sbit == 1) return false;
      scale = size;
      replicate = true;
      break;
    case 0: index = (q << 3) | (sbit << 2) | size; break;
    case 1:
      if (size & 1) return false;
      index = (q << 2) | (sbit << 1) | (size >> 1);
      break;
    default:
      if (size & 2) return false;
      if ((size & 1) == 0) index = (q << 1) | sbit;
      else { if (sbit) return false; index = q; scale = 3; }
  }
  const es: u32 = 1 << scale;
  const base = rSP(rn);
  let off: u64 = 0;
  const tmp = sc(128); // up to 4 loaded elements
  for (let s: u32 = 0; s < selem; s++) {
    const t = (rt + s) & 31;
    const addr = base + off;
    if (l) {
      let v: u64;
      if (es == 8) v = ld64(addr);
      else if (es == 4) v = ld32(addr);
      else if (es == 2) v = ld16(addr);
      else v = ld8(addr);
      if (fault) return true;
      store<u64>(tmp + (<usize>s << 3), v);
    } else {
      const v = ge(vA(t), index, es);
      if (es == 8) st64(addr, v);
      else if (es == 4) st32(addr, v);
      else if (es == 2) st16(addr, v);
      else st8(addr, v);
      if (fault) return true;
    }
    off += es;
  }
  if (l) {
    for (let s: u32 = 0; s < selem; s++) {
      const t = (rt + s) & 31;
      const v = load<u64>(tmp + (<usize>s << 3));
      if (replicate) {
        const cnt: u32 = (q ? 16 : 8) / es;
        for (let e: u32 = 0; e < cnt; e++) se(vA(t), e, es, v);
        if (!q) store<u64>(vA(t), 0, 8);
      } else se(vA(t), index, es, v);
    }
  }
  if (post) wSP(rn, base + (rm == 31 ? off : rX(rm)));
  return true;
}

/** Entry point from simd.ts for the groups above; false = UNDEFINED. */
export function execNeon(op: u32, insn: u32): bool {
  switch (op) {
    case O.OP_SIMD_3SAME: return threeSame(insn, false);
    case O.OP_SIMD_SC_3SAME: return threeSame(insn, true);
    case O.OP_SIMD_2MISC: return twoMisc(insn, false);
    case O.OP_SIMD_SC_2MISC: return twoMisc(insn, true);
    case O.OP_SIMD_ACROSS: return acrossLanes(insn);
    case O.OP_SIMD_SHIFT: return shiftImm(insn, false);
    case O.OP_SIMD_SC_SHIFT: return shiftImm(insn, true);
    case O.OP_SIMD_PERM: return permute(insn);
    case O.OP_SIMD_EXT: return extract(insn);
    case O.OP_SIMD_TBL: return tableLookup(insn);
    case O.OP_SIMD_3DIFF: return threeDiff(insn);
    case O.OP_SIMD_ELEM: return byElement(insn);
    case O.OP_SIMD_SC_PAIR: return scalarPair(insn);
    case O.OP_SIMD_LDST_SINGLE: return ldstSingle(insn);
  }
  return false;
}
