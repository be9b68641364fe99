// Scalar floating point for ARMv8.0, in integer arithmetic (a small softfloat):
// every result and every cumulative FPSR flag follows the ARM ARM pseudocode
// (FPUnpack, FPRound, FPProcessNaN(s), FPMulAdd, FPToFixed, FPRoundInt...),
// never the host's NaN or rounding behaviour. All five rounding modes are exact
// for every operation (FPCR.RMode for arithmetic, conversions and FRINT*; ties-
// away for FCVTA*/FRINTA), FPCR.DN, FPCR.FZ (inputs flushed with IDC, outputs
// flushed with UFC) and FPCR.AHP (half-precision conversions) are honoured.
// Floating-point exception trapping is not implemented (FPCR trap-enable bits
// are RAZ/WI on this CPU), so flags are only accumulated into FPSR.
//
// Formats are selected by width N = 16, 32 or 64. Unpacked finite values are
// (sign, exp, sig) with sig normalised (bit 63 set) and value = sig * 2^(exp-63).
import { S } from "./cpu";
import { ST_FPCR, ST_FPSR } from "../layout";

export const FPSR_IOC: u32 = 1;
export const FPSR_DZC: u32 = 2;
export const FPSR_OFC: u32 = 4;
export const FPSR_UFC: u32 = 8;
export const FPSR_IXC: u32 = 16;
export const FPSR_IDC: u32 = 128;
export const FPSR_QC: u32 = 1 << 27;

const FPCR_AHP: u32 = 1 << 26;
const FPCR_DN: u32 = 1 << 25;
const FPCR_FZ: u32 = 1 << 24;

export const RM_RN: u32 = 0;
export const RM_RP: u32 = 1;
export const RM_RM: u32 = 2;
export const RM_RZ: u32 = 3;
export const RM_TIEAWAY: u32 = 4;
/** Round to odd (FCVTXN): truncate, then set the LSB when inexact. */
export const RM_ODD: u32 = 5;

export const T_ZERO: u32 = 0;
export const T_FINITE: u32 = 1;
export const T_INF: u32 = 2;
export const T_QNAN: u32 = 3;
export const T_SNAN: u32 = 4;

/** FPCR of the instruction being executed, and the flags it raised. */
export let fpcr: u32 = 0;
export let fpflags: u32 = 0;

export function fpBegin(): void {
  fpcr = <u32>load<u64>(S + ST_FPCR);
  fpflags = 0;
}
export function fpEnd(): void {
  if (fpflags != 0) store<u64>(S + ST_FPSR, load<u64>(S + ST_FPSR) | <u64>fpflags);
}
@inline export function fpRMode(): u32 {
  return (fpcr >> 22) & 3;
}

@inline function fbitsOf(n: u32): u32 {
  return n == 64 ? 52 : n == 32 ? 23 : 10;
}
@inline function ebitsOf(n: u32): u32 {
  return n == 64 ? 11 : n == 32 ? 8 : 5;
}
@inline function ahp(n: u32): bool {
  return n == 16 && (fpcr & FPCR_AHP) != 0;
}

// Results of fpUnpack.
export let uType: u32 = 0;
export let uSign: u32 = 0;
export let uExp: i32 = 0;
export let uSig: u64 = 0;

/** FPUnpack: classify `bits` (N-bit format), flushing denormals when FPCR.FZ (not for half). */
export function fpUnpack(bits: u64, n: u32): u32 {
  const F = fbitsOf(n), E = ebitsOf(n);
  const bias: i32 = (1 << (E - 1)) - 1;
  uSign = <u32>(bits >> (n - 1)) & 1;
  const e = <u32>(bits >> F) & ((1 << E) - 1);
  const f = bits & ((<u64>1 << F) - 1);
  if (e == 0) {
    if (f == 0 || (n != 16 && (fpcr & FPCR_FZ) != 0)) {
      if (f != 0) fpflags |= FPSR_IDC;
      uType = T_ZERO;
      return uType;
    }
    const lz = clz<u64>(f);
    uSig = f << lz;
    uExp = (1 - bias) - <i32>F + (63 - <i32>lz);
    uType = T_FINITE;
    return uType;
  }
  if (e == <u32>((1 << E) - 1) && !ahp(n)) {
    if (f == 0) uType = T_INF;
    else uType = (f >> (F - 1)) & 1 ? T_QNAN : T_SNAN;
    return uType;
  }
  uSig = ((<u64>1 << F) | f) << (63 - F);
  uExp = <i32>e - bias;
  uType = T_FINITE;
  return uType;
}

export function fpDefaultNaN(n: u32): u64 {
  return n == 64 ? 0x7ff8000000000000 : n == 32 ? 0x7fc00000 : 0x7e00;
}
export function fpInf(sign: u32, n: u32): u64 {
  const F = fbitsOf(n), E = ebitsOf(n);
  return (<u64>sign << (n - 1)) | (((<u64>1 << E) - 1) << F);
}
@inline export function fpZero(sign: u32, n: u32): u64 {
  return <u64>sign << (n - 1);
}
function fpMaxNormal(sign: u32, n: u32): u64 {
  return fpInf(sign, n) - 1;
}

/** FPProcessNaN: quiet a signalling NaN (IOC), or the default NaN when FPCR.DN. */
export function fpProcessNaN(t: u32, bits: u64, n: u32): u64 {
  if (t == T_SNAN) fpflags |= FPSR_IOC;
  if ((fpcr & FPCR_DN) != 0) return fpDefaultNaN(n);
  return bits | (<u64>1 << (fbitsOf(n) - 1));
}

/** Set by fpProcessNaNs(3): whether an operand was a NaN (then the result is the returned value). */
export let nanDone = false;
/** FPProcessNaNs: first SNaN, then first QNaN, in operand order. */
export function fpProcessNaNs(t1: u32, a: u64, t2: u32, b: u64, n: u32): u64 {
  nanDone = true;
  if (t1 == T_SNAN) return fpProcessNaN(t1, a, n);
  if (t2 == T_SNAN) return fpProcessNaN(t2, b, n);
  if (t1 == T_QNAN) return fpProcessNaN(t1, a, n);
  if (t2 == T_QNAN) return fpProcessNaN(t2, b, n);
  nanDone = false;
  return 0;
}
function fpProcessNaNs3(t1: u32, a: u64, t2: u32, b: u64, t3: u32, c: u64, n: u32): u64 {
  nanDone = true;
  if (t1 == T_SNAN) return fpProcessNaN(t1, a, n);
  if (t2 == T_SNAN) return fpProcessNaN(t2, b, n);
  if (t3 == T_SNAN) return fpProcessNaN(t3, c, n);
  if (t1 == T_QNAN) return fpProcessNaN(t1, a, n);
  if (t2 == T_QNAN) return fpProcessNaN(t2, b, n);
  if (t3 == T_QNAN) return fpProcessNaN(t3, c, n);
  nanDone = false;
  return 0;
}

/** Round-up decision for a magnitude with round bit `rb` and sticky `st`. */
@inline function roundUp(mode: u32, sign: u32, lsb: u64, rb: bool, st: bool): bool {
  switch (mode) {
    case RM_RN: return rb && (st || (lsb & 1) != 0);
    case RM_TIEAWAY: return rb;
    case RM_RP: return (rb || st) && sign == 0;
    case RM_RM: return (rb || st) && sign != 0;
  }
  return false;
}

/** FPRound: round the exact value sign * (sig + sticky) * 2^(exp-63) (sig normalised, nonzero). */
export function fpRound(sign: u32, exp: i32, sig: u64, sticky: bool, n: u32, mode: u32): u64 {
  const F = fbitsOf(n), E = ebitsOf(n);
  const emin: i32 = 2 - (1 << (E - 1));
  const sbit: u64 = <u64>sign << (n - 1);
  if (n != 16 && (fpcr & FPCR_FZ) != 0 && exp < emin) {
    fpflags |= FPSR_UFC;
    return sbit;
  }
  const tiny = exp < emin;
  let keep: i32 = <i32>F + 1;
  if (tiny) keep -= emin - exp;
  let m: u64 = 0;
  let rb = false;
  let st = sticky;
  if (keep >= 1) {
    const drop = <u64>(64 - keep);
    m = sig >> drop;
    rb = ((sig >> (drop - 1)) & 1) != 0;
    st = st || (sig & ((<u64>1 << (drop - 1)) - 1)) != 0;
  } else if (keep == 0) {
    rb = (sig >> 63) != 0;
    st = st || (sig << 1) != 0;
  } else {
    st = true;
  }
  const inexact = rb || st;
  if (roundUp(mode, sign, m, rb, st)) m++;
  if (mode == RM_ODD && inexact) m |= 1;
  const limit: i32 = ahp(n) ? (1 << E) : (1 << E) - 1; // first biased exponent that overflows
  if (!tiny && exp - emin + 1 >= limit) return fpOverflow(sign, n, mode);
  const bits: u64 = tiny ? m : (<u64>(exp - emin) << F) + m;
  if (<i32>(bits >> F) >= limit) return fpOverflow(sign, n, mode);
  if (tiny && inexact) fpflags |= FPSR_UFC;
  if (inexact) fpflags |= FPSR_IXC;
  return sbit | bits;
}

function fpOverflow(sign: u32, n: u32, mode: u32): u64 {
  if (ahp(n)) {
    fpflags |= FPSR_IOC;
    return (<u64>sign << 15) | 0x7fff;
  }
  fpflags |= FPSR_OFC | FPSR_IXC;
  let toInf: bool;
  if (mode == RM_RN || mode == RM_TIEAWAY) toInf = true;
  else if (mode == RM_RP) toInf = sign == 0;
  else if (mode == RM_RM) toInf = sign != 0;
  else toInf = false; // RZ, round-to-odd
  return toInf ? fpInf(sign, n) : fpMaxNormal(sign, n);
}

// 128-bit helpers.
let hi: u64 = 0;
let lo: u64 = 0;
function mul128(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo = (mid << 32) | (p00 & 0xffffffff);
  hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
/** (h:l) >> s with the shifted-out bits ORed into bit 0 (jamming). */
function shr128Jam(h: u64, l: u64, s: u32): void {
  if (s == 0) { hi = h; lo = l; return; }
  if (s >= 128) { hi = 0; lo = (h | l) != 0 ? 1 : 0; return; }
  if (s >= 64) {
    const s2 = s - 64;
    const lost = s2 == 0 ? l : (l | (h << (64 - s2)));
    lo = (s2 == 0 ? h : h >> s2) | (lost != 0 ? 1 : 0);
    hi = 0;
    return;
  }
  const lost = l << (64 - s);
  lo = (l >> s) | (h << (64 - s)) | (lost != 0 ? 1 : 0);
  hi = h >> s;
}

@inline function zeroByMode(): u32 {
  return fpRMode() == RM_RM ? 1 : 0;
}

/** FPAdd / FPSub (negate b's sign for subtraction). */
export function fpAdd(a: u64, b: u64, n: u32, sub: bool): u64 {
  const t1 = fpUnpack(a, n), s1 = uSign, e1 = uExp, m1 = uSig;
  const t2 = fpUnpack(b, n), e2 = uExp, m2 = uSig;
  const s2 = uSign ^ (sub ? 1 : 0);
  const nan = fpProcessNaNs(t1, a, t2, b, n);
  if (nanDone) return nan;
  if (t1 == T_INF && t2 == T_INF && s1 != s2) { fpflags |= FPSR_IOC; return fpDefaultNaN(n); }
  if (t1 == T_INF) return fpInf(s1, n);
  if (t2 == T_INF) return fpInf(s2, n);
  if (t1 == T_ZERO && t2 == T_ZERO && s1 == s2) return fpZero(s1, n);
  if (t1 == T_ZERO && t2 == T_ZERO) return fpZero(zeroByMode(), n);
  if (t1 == T_ZERO) return fpRound(s2, e2, m2, false, n, fpRMode());
  if (t2 == T_ZERO) return fpRound(s1, e1, m1, false, n, fpRMode());
  return addCore(s1, e1, m1, s2, e2, m2, n, fpRMode());
}

function shr64Jam(x: u64, s: i32): u64 {
  if (s <= 0) return x;
  if (s >= 64) return x != 0 ? 1 : 0;
  return (x >> <u64>s) | ((x << <u64>(64 - s)) != 0 ? 1 : 0);
}

function addCore(s1: u32, e1: i32, m1: u64, s2: u32, e2: i32, m2: u64, n: u32, mode: u32): u64 {
  let a = m1 >> 2, b = m2 >> 2; // 61-bit headroom; the low bits of sig are zero
  let e = e1;
  if (e1 >= e2) b = shr64Jam(b, e1 - e2);
  else { a = shr64Jam(a, e2 - e1); e = e2; }
  let s: u64;
  let sign = s1;
  if (s1 == s2) s = a + b;
  else if (a >= b) s = a - b;
  else { s = b - a; sign = s2; }
  if (s == 0) return fpZero(zeroByMode(), n);
  const lz = <i32>clz<u64>(s);
  return fpRound(sign, e + 2 - lz, s << <u64>lz, false, n, mode);
}

/** FPMul (and FMULX when `mulx`: 0 * inf = 2.0 with the product's sign). */
export function fpMul(a: u64, b: u64, n: u32, mulx: bool): u64 {
  const t1 = fpUnpack(a, n), s1 = uSign, e1 = uExp, m1 = uSig;
  const t2 = fpUnpack(b, n), s2 = uSign, e2 = uExp, m2 = uSig;
  const nan = fpProcessNaNs(t1, a, t2, b, n);
  if (nanDone) return nan;
  const sign = s1 ^ s2;
  if ((t1 == T_INF && t2 == T_ZERO) || (t1 == T_ZERO && t2 == T_INF)) {
    if (mulx) return fpTwo(sign, n);
    fpflags |= FPSR_IOC;
    return fpDefaultNaN(n);
  }
  if (t1 == T_INF || t2 == T_INF) return fpInf(sign, n);
  if (t1 == T_ZERO || t2 == T_ZERO) return fpZero(sign, n);
  mul128(m1, m2);
  if ((hi >> 63) != 0) return fpRound(sign, e1 + e2 + 1, hi, lo != 0, n, fpRMode());
  return fpRound(sign, e1 + e2, (hi << 1) | (lo >> 63), (lo << 1) != 0, n, fpRMode());
}
function fpTwo(sign: u32, n: u32): u64 {
  return (<u64>sign << (n - 1)) | (n == 64 ? 0x4000000000000000 : n == 32 ? 0x40000000 : 0x4000);
}

/** FPDiv. */
export function fpDiv(a: u64, b: u64, n: u32): u64 {
  const t1 = fpUnpack(a, n), s1 = uSign, e1 = uExp, m1 = uSig;
  const t2 = fpUnpack(b, n), s2 = uSign, e2 = uExp, m2 = uSig;
  const nan = fpProcessNaNs(t1, a, t2, b, n);
  if (nanDone) return nan;
  const sign = s1 ^ s2;
  if ((t1 == T_INF && t2 == T_INF) || (t1 == T_ZERO && t2 == T_ZERO)) { fpflags |= FPSR_IOC; return fpDefaultNaN(n); }
  if (t1 == T_INF || t2 == T_ZERO) {
    if (t1 != T_INF) fpflags |= FPSR_DZC;
    return fpInf(sign, n);
  }
  if (t1 == T_ZERO || t2 == T_INF) return fpZero(sign, n);
  let r = m1 >> 1;
  const d = m2 >> 1;
  let q: u64 = 0;
  for (let i = 0; i < 64; i++) {
    q <<= 1;
    if (r >= d) { r -= d; q |= 1; }
    r <<= 1;
  }
  const lz = <i32>clz<u64>(q);
  return fpRound(sign, e1 - e2 - lz, q << <u64>lz, r != 0, n, fpRMode());
}

/** FPSqrt. */
export function fpSqrt(a: u64, n: u32): u64 {
  const t = fpUnpack(a, n), s = uSign;
  let e = uExp;
  const m = uSig;
  if (t == T_QNAN || t == T_SNAN) return fpProcessNaN(t, a, n);
  if (t == T_ZERO) return fpZero(s, n);
  if (t == T_INF && s == 0) return fpInf(0, n);
  if (s != 0) { fpflags |= FPSR_IOC; return fpDefaultNaN(n); }
  // value = m * 2^(e-63). Radicand R (128-bit) = m * 2^64 or m * 2^63 so that the exponent is even.
  let rh: u64, rl: u64;
  let ex: i32; // value = R * 2^ex, ex even
  if (((e - 63 - 64) & 1) == 0) { rh = m; rl = 0; ex = e - 63 - 64; }
  else { rh = m >> 1; rl = m << 63; ex = e - 63 - 63; }
  // Digit-by-digit square root: root (64 bits) and remainder (up to 66 bits: remH:remL).
  let root: u64 = 0;
  let remH: u64 = 0, remL: u64 = 0;
  for (let i = 63; i >= 0; i--) {
    const two: u64 = i >= 32 ? (rh >> <u64>((i - 32) * 2)) & 3 : (rl >> <u64>(i * 2)) & 3;
    remH = (remH << 2) | (remL >> 62);
    remL = (remL << 2) | two;
    // trial = (root << 2) | 1
    const tH = root >> 62, tL = (root << 2) | 1;
    if (remH > tH || (remH == tH && remL >= tL)) {
      const borrow: u64 = remL < tL ? 1 : 0;
      remL -= tL;
      remH = remH - tH - borrow;
      root = (root << 1) | 1;
    } else root <<= 1;
  }
  // sqrt = root * 2^(ex/2), root has bit 63 set (R >= 2^126).
  const lz = <i32>clz<u64>(root);
  return fpRound(0, (ex >> 1) + 63 - lz, root << <u64>lz, (remH | remL) != 0, n, fpRMode());
}

/** FPMulAdd: addend + op1 * op2 with a single rounding. */
export function fpMulAdd(ad: u64, a: u64, b: u64, n: u32, scale: i32 = 0): u64 {
  const tA = fpUnpack(ad, n), sA = uSign, eA = uExp, mA = uSig;
  const t1 = fpUnpack(a, n), s1 = uSign, e1 = uExp, m1 = uSig;
  const t2 = fpUnpack(b, n), s2 = uSign, e2 = uExp, m2 = uSig;
  const inf1 = t1 == T_INF, zero1 = t1 == T_ZERO, inf2 = t2 == T_INF, zero2 = t2 == T_ZERO;
  const nan = fpProcessNaNs3(tA, ad, t1, a, t2, b, n);
  if (tA == T_QNAN && ((inf1 && zero2) || (zero1 && inf2))) {
    fpflags |= FPSR_IOC;
    return fpDefaultNaN(n);
  }
  if (nanDone) return nan;
  const infA = tA == T_INF, zeroA = tA == T_ZERO;
  const sP = s1 ^ s2;
  const infP = inf1 || inf2, zeroP = zero1 || zero2;
  if ((inf1 && zero2) || (zero1 && inf2) || (infA && infP && sA != sP)) {
    fpflags |= FPSR_IOC;
    return fpDefaultNaN(n);
  }
  if ((infA && sA == 0) || (infP && sP == 0)) return fpInf(0, n);
  if ((infA && sA == 1) || (infP && sP == 1)) return fpInf(1, n);
  if (zeroA && zeroP && sA == sP) return fpZero(sA, n);
  const mode = fpRMode();
  if (zeroP) {
    if (zeroA) return fpZero(zeroByMode(), n);
    return fpRound(sA, eA + scale, mA, false, n, mode);
  }
  // Product, normalised to bit 127: value = (ph:pl) * 2^(eP - 127).
  mul128(m1, m2);
  let ph = hi, pl = lo;
  let eP = e1 + e2 + 1;
  if ((ph >> 63) == 0) { ph = (ph << 1) | (pl >> 63); pl <<= 1; eP--; }
  if (zeroA) {
    return fpRound(sP, eP + scale, ph, pl != 0, n, mode);
  }
  // Addend: (mA:0) * 2^(eA - 127). Headroom of 2 bits, then align.
  shr128Jam(ph, pl, 2); ph = hi; pl = lo;
  let ah = mA >> 2, al = mA << 62;
  let e = eP;
  if (eP >= eA) { shr128Jam(ah, al, <u32>min<i32>(eP - eA, 200)); ah = hi; al = lo; }
  else { shr128Jam(ph, pl, <u32>min<i32>(eA - eP, 200)); ph = hi; pl = lo; e = eA; }
  let rh: u64, rl: u64;
  let sign = sP;
  if (sP == sA) {
    rl = pl + al;
    rh = ph + ah + (rl < pl ? 1 : 0);
  } else if (ph > ah || (ph == ah && pl >= al)) {
    rl = pl - al;
    rh = ph - ah - (pl < al ? 1 : 0);
  } else {
    rl = al - pl;
    rh = ah - ph - (al < pl ? 1 : 0);
    sign = sA;
  }
  if ((rh | rl) == 0) return fpZero(zeroByMode(), n);
  // value = (rh:rl) * 2^(e - 125)
  let lz: i32 = rh != 0 ? <i32>clz<u64>(rh) : 64 + <i32>clz<u64>(rl);
  let sh: u64, st: bool;
  if (lz < 64) {
    sh = lz == 0 ? rh : (rh << <u64>lz) | (rl >> <u64>(64 - lz));
    st = (rl << <u64>lz) != 0;
    if (lz == 0) st = rl != 0;
  } else {
    sh = rl << <u64>(lz - 64);
    st = false;
  }
  return fpRound(sign, e + 2 - lz + scale, sh, st, n, mode);
}

/** FPCompare: NZCV (bits 3:0). `signalAll` for FCMPE (IOC on quiet NaNs too). */
export function fpCompare(a: u64, b: u64, n: u32, signalAll: bool): u32 {
  const t1 = fpUnpack(a, n), s1 = uSign, e1 = uExp, m1 = uSig;
  const t2 = fpUnpack(b, n), s2 = uSign, e2 = uExp, m2 = uSig;
  if (t1 >= T_QNAN || t2 >= T_QNAN) {
    if (signalAll || t1 == T_SNAN || t2 == T_SNAN) fpflags |= FPSR_IOC;
    return 3;
  }
  const c = cmpValues(t1, s1, e1, m1, t2, s2, e2, m2);
  return c == 0 ? 6 : c < 0 ? 8 : 2;
}

/** -1, 0, 1 comparing two non-NaN unpacked values. */
export function cmpValues(t1: u32, s1: u32, e1: i32, m1: u64, t2: u32, s2: u32, e2: i32, m2: u64): i32 {
  if (t1 == T_ZERO && t2 == T_ZERO) return 0;
  // magnitude comparison with zero < finite < inf
  let mag: i32;
  if (t1 != t2) mag = t1 == T_ZERO ? -1 : t2 == T_ZERO ? 1 : t1 == T_INF ? 1 : -1;
  else if (t1 == T_INF) mag = 0;
  else mag = e1 != e2 ? (e1 < e2 ? -1 : 1) : m1 == m2 ? 0 : m1 < m2 ? -1 : 1;
  const z1 = t1 == T_ZERO, z2 = t2 == T_ZERO;
  const neg1 = !z1 && s1 != 0, neg2 = !z2 && s2 != 0;
  if (neg1 != neg2) return neg1 ? -1 : 1;
  return neg1 ? -mag : mag;
}

/** FPMax / FPMin; FPMaxNum / FPMinNum when `num`. */
export function fpMinMax(a: u64, b: u64, n: u32, isMax: bool, num: bool): u64 {
  let t1 = fpUnpack(a, n);
  let t2 = fpUnpack(b, n);
  if (num) {
    if (t1 == T_QNAN && t2 != T_QNAN) a = fpInf(isMax ? 1 : 0, n);
    else if (t1 != T_QNAN && t2 == T_QNAN) b = fpInf(isMax ? 1 : 0, n);
  }
  t1 = fpUnpack(a, n);
  const s1 = uSign, e1 = uExp, m1 = uSig;
  t2 = fpUnpack(b, n);
  const s2 = uSign, e2 = uExp, m2 = uSig;
  const nan = fpProcessNaNs(t1, a, t2, b, n);
  if (nanDone) return nan;
  const c = cmpValues(t1, s1, e1, m1, t2, s2, e2, m2);
  const first = isMax ? c > 0 : c < 0;
  const t = first ? t1 : t2, s = first ? s1 : s2;
  if (t == T_INF) return fpInf(s, n);
  if (t == T_ZERO) return fpZero(isMax ? (s1 & s2) : (s1 | s2), n);
  return fpRound(s, first ? e1 : e2, first ? m1 : m2, false, n, fpRMode());
}

/** FPConvert (FCVT between precisions). */
export function fpConvert(a: u64, n: u32, m: u32): u64 {
  const t = fpUnpack(a, n), s = uSign;
  if (t == T_QNAN || t == T_SNAN) {
    let r: u64;
    if (ahp(m)) { r = <u64>s << 15; fpflags |= FPSR_IOC; }
    else if ((fpcr & FPCR_DN) != 0) r = fpDefaultNaN(m);
    else {
      const Fn = fbitsOf(n), Fm = fbitsOf(m);
      let f = a & ((<u64>1 << Fn) - 1);
      f = Fm > Fn ? f << (Fm - Fn) : f >> (Fn - Fm);
      r = fpInf(s, m) | f | (<u64>1 << (Fm - 1));
    }
    if (t == T_SNAN) fpflags |= FPSR_IOC;
    return r;
  }
  if (t == T_INF) {
    if (ahp(m)) { fpflags |= FPSR_IOC; return (<u64>s << 15) | 0x7fff; }
    return fpInf(s, m);
  }
  if (t == T_ZERO) return fpZero(s, m);
  return fpRound(s, uExp, uSig, false, m, fpRMode());
}

/** FPToFixed: to a signed/unsigned integer of `ibits` bits (sign-extended in an u64). */
export function fpToFixed(a: u64, n: u32, fbits: u32, unsigned: bool, ibits: u32, mode: u32): u64 {
  const t = fpUnpack(a, n);
  const s = uSign;
  if (t == T_QNAN || t == T_SNAN) { fpflags |= FPSR_IOC; return 0; }
  if (t == T_ZERO) return 0;
  let mag: u64 = 0;
  let rb = false, st = false;
  let overflow = false;
  if (t == T_INF) overflow = true;
  else {
    const sh: i32 = uExp + <i32>fbits; // weight of sig's bit 63 is 2^sh
    const sig = uSig;
    if (sh >= 64) overflow = true;
    else if (sh >= 0) {
      mag = sig >> <u64>(63 - sh);
      if (sh < 63) {
        const fr = sig << <u64>(sh + 1);
        rb = (fr >> 63) != 0;
        st = (fr << 1) != 0;
      }
    } else if (sh == -1) {
      rb = true;
      st = (sig << 1) != 0;
    } else st = true;
    if (!overflow && roundUp(mode, s, mag, rb, st)) {
      mag++;
      if (mag == 0) overflow = true;
    }
  }
  let result: u64 = 0;
  if (!overflow) {
    if (unsigned) {
      if (s != 0 && mag != 0) overflow = true;
      else if (ibits == 32 && mag > 0xffffffff) overflow = true;
      else result = s != 0 ? 0 : mag;
    } else {
      const lim: u64 = <u64>1 << (ibits - 1);
      if (s == 0 && mag >= lim) overflow = true;
      else if (s != 0 && mag > lim) overflow = true;
      else result = s != 0 ? 0 - mag : mag;
    }
  }
  if (overflow) {
    fpflags |= FPSR_IOC;
    if (unsigned) return s != 0 ? 0 : (ibits == 64 ? <u64>-1 : 0xffffffff);
    return s != 0 ? (<u64>0 - (<u64>1 << (ibits - 1))) : (<u64>1 << (ibits - 1)) - 1;
  }
  if (rb || st) fpflags |= FPSR_IXC;
  return result;
}

/** FixedToFP: integer (`ibits` wide, signed or not) / 2^fbits, rounded per `mode`. */
export function fixedToFp(x: u64, ibits: u32, unsigned: bool, fbits: u32, n: u32, mode: u32): u64 {
  if (ibits == 32) x = unsigned ? x & 0xffffffff : <u64>(<i64>(<i32>x));
  let sign: u32 = 0;
  let mag = x;
  if (!unsigned && <i64>x < 0) { sign = 1; mag = 0 - x; }
  if (mag == 0) return 0;
  const lz = <i32>clz<u64>(mag);
  return fpRound(sign, 63 - lz - <i32>fbits, mag << <u64>lz, false, n, mode);
}

/** FPRoundInt (FRINT*): `exact` raises IXC when the result differs (FRINTX). */
export function fpRoundInt(a: u64, n: u32, mode: u32, exact: bool): u64 {
  const t = fpUnpack(a, n), s = uSign, e = uExp, sig = uSig;
  if (t == T_QNAN || t == T_SNAN) return fpProcessNaN(t, a, n);
  if (t == T_INF) return fpInf(s, n);
  if (t == T_ZERO) return fpZero(s, n);
  if (e >= <i32>fbitsOf(n)) return a; // already integral
  let mag: u64 = 0;
  let rb = false, st = false;
  if (e >= 0) {
    mag = sig >> <u64>(63 - e);
    const fr = sig << <u64>(e + 1);
    rb = (fr >> 63) != 0;
    st = (fr << 1) != 0;
  } else if (e == -1) {
    rb = true;
    st = (sig << 1) != 0;
  } else st = true;
  if (roundUp(mode, s, mag, rb, st)) mag++;
  if (exact && (rb || st)) fpflags |= FPSR_IXC;
  if (mag == 0) return fpZero(s, n);
  const lz = <i32>clz<u64>(mag);
  const saved = fpflags;
  const r = fpRound(s, 63 - lz, mag << <u64>lz, false, n, RM_RZ);
  fpflags = saved; // exact
  return r;
}

/** FPRecipStepFused (FRECPS: 2 - a*b) and FPRSqrtStepFused (FRSQRTS: (3 - a*b) / 2), single rounding. */
export function fpStepFused(a: u64, b: u64, n: u32, rsqrt: bool): u64 {
  a ^= <u64>1 << (n - 1);
  const t1 = fpUnpack(a, n), s1 = uSign;
  const t2 = fpUnpack(b, n), s2 = uSign;
  const nan = fpProcessNaNs(t1, a, t2, b, n);
  if (nanDone) return nan;
  if ((t1 == T_INF && t2 == T_ZERO) || (t1 == T_ZERO && t2 == T_INF)) {
    if (rsqrt) return n == 64 ? 0x3ff8000000000000 : 0x3fc00000; // 1.5
    return fpTwo(0, n);
  }
  if (t1 == T_INF || t2 == T_INF) return fpInf(s1 ^ s2, n);
  const addend: u64 = rsqrt ? (n == 64 ? 0x4008000000000000 : 0x40400000) : fpTwo(0, n); // 3.0 or 2.0
  return fpMulAdd(addend, a, b, n, rsqrt ? -1 : 0);
}

/** RecipEstimate: 256 <= a < 512 -> 256..511. */
export function recipEstimate(a: u32): u32 {
  const x = a * 2 + 1;
  const b = (<u32>1 << 19) / x;
  return (b + 1) >> 1;
}
/** RecipSqrtEstimate: 128 <= a < 512 -> 256..511. */
export function recipSqrtEstimate(a: u32): u32 {
  let x: u64 = a < 256 ? <u64>(a * 2 + 1) : <u64>(((a >> 1) << 1) + 1) * 2;
  let b: u64 = 512;
  while (x * (b + 1) * (b + 1) < (<u64>1 << 28)) b++;
  return <u32>((b + 1) >> 1);
}

/** FPRecipEstimate (FRECPE). */
export function fpRecipEstimate(op: u64, n: u32): u64 {
  const t = fpUnpack(op, n), s = uSign;
  if (t == T_QNAN || t == T_SNAN) return fpProcessNaN(t, op, n);
  if (t == T_INF) return fpZero(s, n);
  if (t == T_ZERO) { fpflags |= FPSR_DZC; return fpInf(s, n); }
  // |value| = uSig * 2^(uExp-63); < 2^-128 (single) / 2^-1024 (double) overflows
  if (uExp < (n == 32 ? -128 : -1024)) {
    const mode = fpRMode();
    const toInf = mode == RM_RN || (mode == RM_RP && s == 0) || (mode == RM_RM && s == 1);
    fpflags |= FPSR_OFC | FPSR_IXC;
    return toInf ? fpInf(s, n) : fpMaxNormal(s, n);
  }
  if ((fpcr & FPCR_FZ) != 0 && uExp >= (n == 32 ? 126 : 1022)) {
    fpflags |= FPSR_UFC;
    return fpZero(s, n);
  }
  let fraction: u64 = n == 32 ? (op & 0x7fffff) << 29 : op & 0xfffffffffffff;
  let exp: i32 = n == 32 ? <i32>((op >> 23) & 0xff) : <i32>((op >> 52) & 0x7ff);
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) { exp = -1; fraction = (fraction << 2) & 0xfffffffffffff; }
    else fraction = (fraction << 1) & 0xfffffffffffff;
  }
  const scaled = <u32>(0x100 | ((fraction >> 44) & 0xff));
  let rexp: i32 = (n == 32 ? 253 : 2045) - exp;
  const est = recipEstimate(scaled);
  let frac: u64 = <u64>(est & 0xff) << 44;
  if (rexp == 0) frac = (<u64>1 << 51) | (frac >> 1);
  else if (rexp == -1) { frac = (<u64>1 << 50) | (frac >> 2); rexp = 0; }
  if (n == 32) return (<u64>s << 31) | (<u64>(rexp & 0xff) << 23) | (frac >> 29);
  return (<u64>s << 63) | (<u64>(rexp & 0x7ff) << 52) | frac;
}

/** FPRSqrtEstimate (FRSQRTE). */
export function fpRSqrtEstimate(op: u64, n: u32): u64 {
  const t = fpUnpack(op, n), s = uSign;
  if (t == T_QNAN || t == T_SNAN) return fpProcessNaN(t, op, n);
  if (t == T_ZERO) { fpflags |= FPSR_DZC; return fpInf(s, n); }
  if (s != 0) { fpflags |= FPSR_IOC; return fpDefaultNaN(n); }
  if (t == T_INF) return 0;
  let fraction: u64 = n == 32 ? (op & 0x7fffff) << 29 : op & 0xfffffffffffff;
  let exp: i32 = n == 32 ? <i32>((op >> 23) & 0xff) : <i32>((op >> 52) & 0x7ff);
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) { fraction = (fraction << 1) & 0xfffffffffffff; exp--; }
    fraction = (fraction << 1) & 0xfffffffffffff;
  }
  const scaled: u32 = (exp & 1) == 0 ? <u32>(0x100 | ((fraction >> 44) & 0xff)) : <u32>(0x80 | ((fraction >> 45) & 0x7f));
  const rexp: i32 = ((n == 32 ? 380 : 3068) - exp) / 2;
  const est = <u64>(recipSqrtEstimate(scaled) & 0xff);
  if (n == 32) return (<u64>(rexp & 0xff) << 23) | (est << 15);
  return (<u64>(rexp & 0x7ff) << 52) | (est << 44);
}

/** FPRecpX (FRECPX). */
export function fpRecpX(op: u64, n: u32): u64 {
  const t = fpUnpack(op, n), s = uSign;
  if (t == T_QNAN || t == T_SNAN) return fpProcessNaN(t, op, n);
  const F = fbitsOf(n), E = ebitsOf(n);
  const emask: u64 = (<u64>1 << E) - 1;
  const e = (op >> F) & emask;
  const re: u64 = e == 0 ? emask - 1 : ~e & emask;
  return (<u64>s << (n - 1)) | (re << F);
}
