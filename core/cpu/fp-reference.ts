// Independent reference model of ARMv8.0 floating point for the tests: exact
// BigInt dyadic arithmetic (value = m * 2^e), one rounding routine written
// from the ARM ARM's FPRound pseudocode, and the NaN/flush rules of FPUnpack,
// FPProcessNaN(s), FPMulAdd, FPToFixed, FPRoundInt. Shares no code with the
// wasm core (core/cpu/as/fp.ts).

export const IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128;
export const FZ = 1 << 24, DN = 1 << 25, AHP = 1 << 26;
export type Mode = 'RN' | 'RP' | 'RM' | 'RZ' | 'TA';
export const MODES: Mode[] = ['RN', 'RP', 'RM', 'RZ'];

interface Fmt { n: number; F: number; E: number; bias: number }
export const fmt = (n: number): Fmt =>
  n === 64 ? { n, F: 52, E: 11, bias: 1023 } : n === 32 ? { n, F: 23, E: 8, bias: 127 } : { n, F: 10, E: 5, bias: 15 };

type Kind = 'zero' | 'fin' | 'inf' | 'qnan' | 'snan';
interface Val { kind: Kind; sign: number; m: bigint; e: number }

export class FpState {
  flags = 0;
  constructor(public fpcr: number) {}
  get mode(): Mode { return MODES[(this.fpcr >>> 22) & 3]!; }
  get fz(): boolean { return (this.fpcr & FZ) !== 0; }
  get dn(): boolean { return (this.fpcr & DN) !== 0; }
  get ahp(): boolean { return (this.fpcr & AHP) !== 0; }
}

const bitlen = (m: bigint): number => m.toString(2).length;

export function unpack(s: FpState, bits: bigint, n: number): Val {
  const f = fmt(n);
  const sign = Number((bits >> BigInt(n - 1)) & 1n);
  const exp = Number((bits >> BigInt(f.F)) & ((1n << BigInt(f.E)) - 1n));
  const frac = bits & ((1n << BigInt(f.F)) - 1n);
  if (exp === 0) {
    if (frac === 0n) return { kind: 'zero', sign, m: 0n, e: 0 };
    if (n !== 16 && s.fz) { s.flags |= IDC; return { kind: 'zero', sign, m: 0n, e: 0 }; }
    return { kind: 'fin', sign, m: frac, e: 1 - f.bias - f.F };
  }
  if (exp === (1 << f.E) - 1 && !(n === 16 && s.ahp)) {
    if (frac === 0n) return { kind: 'inf', sign, m: 0n, e: 0 };
    return { kind: (frac >> BigInt(f.F - 1)) & 1n ? 'qnan' : 'snan', sign, m: 0n, e: 0 };
  }
  return { kind: 'fin', sign, m: frac | (1n << BigInt(f.F)), e: exp - f.bias - f.F };
}

export const defaultNaN = (n: number): bigint => (n === 64 ? 0x7ff8000000000000n : n === 32 ? 0x7fc00000n : 0x7e00n);
export const inf = (sign: number, n: number): bigint => {
  const f = fmt(n);
  return (BigInt(sign) << BigInt(n - 1)) | (((1n << BigInt(f.E)) - 1n) << BigInt(f.F));
};
export const zero = (sign: number, n: number): bigint => BigInt(sign) << BigInt(n - 1);
const isNaN_ = (v: Val) => v.kind === 'qnan' || v.kind === 'snan';

export function processNaN(s: FpState, v: Val, bits: bigint, n: number): bigint {
  if (v.kind === 'snan') s.flags |= IOC;
  if (s.dn) return defaultNaN(n);
  return bits | (1n << BigInt(fmt(n).F - 1));
}
function processNaNs(s: FpState, ops: [Val, bigint][], n: number): bigint | undefined {
  for (const [v, b] of ops) if (v.kind === 'snan') return processNaN(s, v, b, n);
  for (const [v, b] of ops) if (v.kind === 'qnan') return processNaN(s, v, b, n);
  return undefined;
}

/** Round-up decision for magnitude with remainder compared to half: cmp = -1 (<), 0 (=), 1 (>), inexact when rem != 0. */
function roundUp(mode: Mode, sign: number, q: bigint, rem: bigint, half: bigint): boolean {
  if (rem === 0n) return false;
  switch (mode) {
    case 'RN': return rem > half || (rem === half && (q & 1n) === 1n);
    case 'TA': return rem >= half;
    case 'RP': return sign === 0;
    case 'RM': return sign === 1;
    default: return false;
  }
}

/** FPRound of sign * m * 2^e (m > 0). `sticky` marks an extra nonzero tail below m's LSB. */
export function round(s: FpState, sign: number, m: bigint, e: number, n: number, mode: Mode = s.mode, sticky = false): bigint {
  const f = fmt(n);
  if (sticky) { m = (m << 2n) | 1n; e -= 2; }
  const emin = 1 - f.bias;
  const L = bitlen(m) - 1 + e; // exponent of the leading bit
  const sb = BigInt(sign) << BigInt(n - 1);
  if (n !== 16 && s.fz && L < emin) { s.flags |= UFC; return sb; }
  const tiny = L < emin;
  const qexp = Math.max(L, emin) - f.F; // weight of the result's LSB
  let q: bigint, rem: bigint, half: bigint;
  if (e >= qexp) { q = m << BigInt(e - qexp); rem = 0n; half = 1n; }
  else {
    const sh = BigInt(qexp - e);
    q = m >> sh; rem = m & ((1n << sh) - 1n); half = 1n << (sh - 1n);
  }
  const inexact = rem !== 0n;
  if (roundUp(mode, sign, q, rem, half)) q += 1n;
  let qe = qexp;
  if (q >= 1n << BigInt(f.F + 1)) { q >>= 1n; qe += 1; }
  const emaxField = (n === 16 && s.ahp) ? (1 << f.E) - 1 : (1 << f.E) - 2;
  // biased exponent of the result
  const biased = q >= 1n << BigInt(f.F) ? qe + f.F + f.bias : 0;
  if (biased > emaxField) {
    if (n === 16 && s.ahp) { s.flags |= IOC; return sb | 0x7fffn; }
    s.flags |= OFC | IXC;
    const toInf = mode === 'RN' || mode === 'TA' || (mode === 'RP' && sign === 0) || (mode === 'RM' && sign === 1);
    return toInf ? inf(sign, n) : inf(sign, n) - 1n;
  }
  if (tiny && inexact) s.flags |= UFC;
  if (inexact) s.flags |= IXC;
  const frac = q & ((1n << BigInt(f.F)) - 1n);
  return sb | (BigInt(biased) << BigInt(f.F)) | frac;
}

/** Exact sum of two dyadics. */
function addExact(s1: number, m1: bigint, e1: number, s2: number, m2: bigint, e2: number): [number, bigint, number] {
  const e = Math.min(e1, e2);
  const a = (s1 ? -1n : 1n) * (m1 << BigInt(e1 - e));
  const b = (s2 ? -1n : 1n) * (m2 << BigInt(e2 - e));
  const r = a + b;
  return [r < 0n ? 1 : 0, r < 0n ? -r : r, e];
}

export function add(s: FpState, a: bigint, b: bigint, n: number, sub = false): bigint {
  const x = unpack(s, a, n), y = unpack(s, b, n);
  const nan = processNaNs(s, [[x, a], [y, b]], n);
  if (nan !== undefined) return nan;
  const sy = y.sign ^ (sub ? 1 : 0);
  if (x.kind === 'inf' && y.kind === 'inf' && x.sign !== sy) { s.flags |= IOC; return defaultNaN(n); }
  if (x.kind === 'inf') return inf(x.sign, n);
  if (y.kind === 'inf') return inf(sy, n);
  if (x.kind === 'zero' && y.kind === 'zero' && x.sign === sy) return zero(x.sign, n);
  const [rs, rm, re] = addExact(x.sign, x.m, x.e, sy, y.m, y.e);
  if (rm === 0n) return zero(s.mode === 'RM' ? 1 : 0, n);
  return round(s, rs, rm, re, n);
}

export function mul(s: FpState, a: bigint, b: bigint, n: number): bigint {
  const x = unpack(s, a, n), y = unpack(s, b, n);
  const nan = processNaNs(s, [[x, a], [y, b]], n);
  if (nan !== undefined) return nan;
  const sign = x.sign ^ y.sign;
  if ((x.kind === 'inf' && y.kind === 'zero') || (x.kind === 'zero' && y.kind === 'inf')) { s.flags |= IOC; return defaultNaN(n); }
  if (x.kind === 'inf' || y.kind === 'inf') return inf(sign, n);
  if (x.kind === 'zero' || y.kind === 'zero') return zero(sign, n);
  return round(s, sign, x.m * y.m, x.e + y.e, n);
}

export function div(s: FpState, a: bigint, b: bigint, n: number): bigint {
  const x = unpack(s, a, n), y = unpack(s, b, n);
  const nan = processNaNs(s, [[x, a], [y, b]], n);
  if (nan !== undefined) return nan;
  const sign = x.sign ^ y.sign;
  if ((x.kind === 'inf' && y.kind === 'inf') || (x.kind === 'zero' && y.kind === 'zero')) { s.flags |= IOC; return defaultNaN(n); }
  if (x.kind === 'inf' || y.kind === 'zero') { if (x.kind !== 'inf') s.flags |= DZC; return inf(sign, n); }
  if (x.kind === 'zero' || y.kind === 'inf') return zero(sign, n);
  const k = 200n;
  const num = x.m << k;
  const q = num / y.m, r = num % y.m;
  return round(s, sign, q, x.e - y.e - Number(k), n, s.mode, r !== 0n);
}

function isqrt(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt(Math.ceil(bitlen(v) / 2));
  for (;;) { const y = (x + v / x) >> 1n; if (y >= x) return x; x = y; }
}

export function sqrt(s: FpState, a: bigint, n: number): bigint {
  const x = unpack(s, a, n);
  if (isNaN_(x)) return processNaN(s, x, a, n);
  if (x.kind === 'zero') return zero(x.sign, n);
  if (x.kind === 'inf' && x.sign === 0) return inf(0, n);
  if (x.sign) { s.flags |= IOC; return defaultNaN(n); }
  let m = x.m, e = x.e;
  if (e & 1) { m <<= 1n; e -= 1; }
  const k = 200n;
  const v = m << (2n * k);
  const r = isqrt(v);
  return round(s, 0, r, e / 2 - Number(k), n, s.mode, r * r !== v);
}

export function fma(s: FpState, addend: bigint, a: bigint, b: bigint, n: number): bigint {
  const A = unpack(s, addend, n), x = unpack(s, a, n), y = unpack(s, b, n);
  const inf1 = x.kind === 'inf', inf2 = y.kind === 'inf', z1 = x.kind === 'zero', z2 = y.kind === 'zero';
  const nan = processNaNs(s, [[A, addend], [x, a], [y, b]], n);
  if (A.kind === 'qnan' && ((inf1 && z2) || (z1 && inf2))) { s.flags |= IOC; return defaultNaN(n); }
  if (nan !== undefined) return nan;
  const sP = x.sign ^ y.sign, infP = inf1 || inf2, zP = z1 || z2;
  if ((inf1 && z2) || (z1 && inf2) || (A.kind === 'inf' && infP && A.sign !== sP)) { s.flags |= IOC; return defaultNaN(n); }
  if ((A.kind === 'inf' && A.sign === 0) || (infP && sP === 0)) return inf(0, n);
  if ((A.kind === 'inf' && A.sign === 1) || (infP && sP === 1)) return inf(1, n);
  if (A.kind === 'zero' && zP && A.sign === sP) return zero(A.sign, n);
  const [rs, rm, re] = addExact(A.sign, A.m, A.e, sP, x.m * y.m, x.e + y.e);
  if (rm === 0n) return zero(s.mode === 'RM' ? 1 : 0, n);
  return round(s, rs, rm, re, n);
}

/** NZCV of FPCompare. */
export function compare(s: FpState, a: bigint, b: bigint, n: number, signalAll: boolean): number {
  const x = unpack(s, a, n), y = unpack(s, b, n);
  if (isNaN_(x) || isNaN_(y)) {
    if (signalAll || x.kind === 'snan' || y.kind === 'snan') s.flags |= IOC;
    return 3;
  }
  const c = cmp(x, y);
  return c === 0 ? 6 : c < 0 ? 8 : 2;
}
function realOf(v: Val): [bigint, number] { return [v.sign ? -v.m : v.m, v.e]; }
function cmp(x: Val, y: Val): number {
  const rank = (v: Val) => (v.kind === 'inf' ? (v.sign ? -1 : 1) : 0);
  if (rank(x) !== rank(y)) return rank(x) < rank(y) ? -1 : 1;
  if (rank(x) !== 0) return 0;
  const [a, ea] = realOf(x), [b, eb] = realOf(y);
  const e = Math.min(ea, eb);
  const A = a << BigInt(ea - e), B = b << BigInt(eb - e);
  return A === B ? 0 : A < B ? -1 : 1;
}

export function minmax(s: FpState, a: bigint, b: bigint, n: number, isMax: boolean, num: boolean): bigint {
  if (num) {
    const tx = unpack(new FpState(s.fpcr), a, n).kind, ty = unpack(new FpState(s.fpcr), b, n).kind;
    if (tx === 'qnan' && ty !== 'qnan') a = inf(isMax ? 1 : 0, n);
    else if (tx !== 'qnan' && ty === 'qnan') b = inf(isMax ? 1 : 0, n);
  }
  const x = unpack(s, a, n), y = unpack(s, b, n);
  const nan = processNaNs(s, [[x, a], [y, b]], n);
  if (nan !== undefined) return nan;
  const c = cmp(x, y);
  const pick = (isMax ? c > 0 : c < 0) ? x : y;
  if (pick.kind === 'inf') return inf(pick.sign, n);
  if (pick.kind === 'zero') return zero(isMax ? x.sign & y.sign : x.sign | y.sign, n);
  return round(s, pick.sign, pick.m, pick.e, n);
}

export function convert(s: FpState, a: bigint, n: number, m: number): bigint {
  const x = unpack(s, a, n);
  if (isNaN_(x)) {
    let r: bigint;
    if (m === 16 && s.ahp) { r = BigInt(x.sign) << 15n; s.flags |= IOC; }
    else if (s.dn) r = defaultNaN(m);
    else {
      const Fn = fmt(n).F, Fm = fmt(m).F;
      let f = a & ((1n << BigInt(Fn)) - 1n);
      f = Fm > Fn ? f << BigInt(Fm - Fn) : f >> BigInt(Fn - Fm);
      r = inf(x.sign, m) | f | (1n << BigInt(Fm - 1));
    }
    if (x.kind === 'snan') s.flags |= IOC;
    return r;
  }
  if (x.kind === 'inf') {
    if (m === 16 && s.ahp) { s.flags |= IOC; return (BigInt(x.sign) << 15n) | 0x7fffn; }
    return inf(x.sign, m);
  }
  if (x.kind === 'zero') return zero(x.sign, m);
  return round(s, x.sign, x.m, x.e, m);
}

/** FPToFixed: returns the integer as an unsigned `ibits`-bit pattern. */
export function toFixed(s: FpState, a: bigint, n: number, fbits: number, unsigned: boolean, ibits: number, mode: Mode): bigint {
  const x = unpack(s, a, n);
  if (isNaN_(x)) { s.flags |= IOC; return 0n; }
  let v: bigint; // rounded integer
  let inexact = false;
  if (x.kind === 'inf') v = x.sign ? -(1n << 70n) : 1n << 70n;
  else if (x.kind === 'zero') v = 0n;
  else {
    const e = x.e + fbits;
    const val = x.sign ? -x.m : x.m;
    if (e >= 0) v = val << BigInt(e);
    else {
      const sh = BigInt(-e);
      const fl = val >> sh; // floor
      const rem = val - (fl << sh); // >= 0
      const half = 1n << (sh - 1n);
      inexact = rem !== 0n;
      let up: boolean;
      switch (mode) {
        case 'RN': up = rem > half || (rem === half && (fl & 1n) === 1n); break;
        case 'TA': up = rem > half || (rem === half && fl >= 0n); break;
        case 'RP': up = rem !== 0n; break;
        case 'RM': up = false; break;
        default: up = rem !== 0n && fl < 0n;
      }
      v = up ? fl + 1n : fl;
    }
  }
  const lo = unsigned ? 0n : -(1n << BigInt(ibits - 1));
  const hi = unsigned ? (1n << BigInt(ibits)) - 1n : (1n << BigInt(ibits - 1)) - 1n;
  if (v < lo || v > hi) { s.flags |= IOC; v = v < lo ? lo : hi; }
  else if (inexact) s.flags |= IXC;
  return BigInt.asUintN(ibits, v);
}

export function fromFixed(s: FpState, x: bigint, ibits: number, unsigned: boolean, fbits: number, n: number): bigint {
  const v = unsigned ? BigInt.asUintN(ibits, x) : BigInt.asIntN(ibits, x);
  if (v === 0n) return 0n;
  return round(s, v < 0n ? 1 : 0, v < 0n ? -v : v, -fbits, n);
}

export function roundInt(s: FpState, a: bigint, n: number, mode: Mode, exact: boolean): bigint {
  const x = unpack(s, a, n);
  if (isNaN_(x)) return processNaN(s, x, a, n);
  if (x.kind === 'inf') return inf(x.sign, n);
  if (x.kind === 'zero') return zero(x.sign, n);
  const t = new FpState(0);
  const iv = BigInt.asIntN(72, toFixed(t, a & ~(0n), n, 0, false, 72, mode)); // 72-bit: never saturates for |x| < 2^71
  const big = x.e >= 0;
  if (big) return a;
  if (exact && (t.flags & IXC)) s.flags |= IXC;
  if (iv === 0n) return zero(x.sign, n);
  return round(new FpState(0), iv < 0n ? 1 : 0, iv < 0n ? -iv : iv, 0, n, 'RZ');
}
