// FP/SIMD class for the differential tier: sequences that enable FP
// (CPACR_EL1.FPEN), load V0-V7 from x0..x15 (random FP bit patterns: NaNs
// with payloads, denormals, infinities, zeros, boundary values), set a random
// FPCR (RMode, FZ, DN, AHP), clear FPSR, run random scalar FP and AdvSIMD
// instructions (encoded here from the ARM ARM field layouts, as `.inst`), then
// move V0-V7 back to x0..x15 and FPSR to x16 (x17..x24 hold FP->integer
// results), so the harness's comparison of x0..x24 and NZCV covers them.
import type { Item, Sequence } from './generator.js';

class Rng {
  private s: bigint;
  constructor(seed: number) { this.s = (BigInt(seed >>> 0) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn) & M64; if (this.s === 0n) this.s = 1n; }
  next(): bigint {
    let x = this.s;
    x ^= (x << 13n) & M64; x ^= x >> 7n; x ^= (x << 17n) & M64;
    this.s = x;
    return x;
  }
  int(n: number): number { return Number(this.next() % BigInt(n)); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  bits(n: number): bigint { return this.next() & ((1n << BigInt(n)) - 1n); }
}
const M64 = (1n << 64n) - 1n;

function fpPattern(r: Rng, n: 16 | 32 | 64): bigint {
  const F = n === 64 ? 52 : n === 32 ? 23 : 10, E = n === 64 ? 11 : n === 32 ? 8 : 5;
  const bias = (1 << (E - 1)) - 1;
  const sign = BigInt(r.int(2)) << BigInt(n - 1);
  const expMax = (1n << BigInt(E)) - 1n;
  const k = r.int(12);
  const fr = () => r.bits(F);
  switch (k) {
    case 0: return sign; // zero
    case 1: return sign | (expMax << BigInt(F)); // inf
    case 2: return sign | (expMax << BigInt(F)) | (1n << BigInt(F - 1)) | (fr() & r.bits(F - 1)); // qnan
    case 3: return sign | (expMax << BigInt(F)) | ((fr() & ((1n << BigInt(F - 1)) - 1n)) | 1n); // snan
    case 4: return sign | fr(); // denormal
    case 5: return sign | (BigInt(r.pick([1, 2, expMax - 1n, expMax - 2n].map(Number))) << BigInt(F)) | fr(); // extremes
    case 6: case 7: {
      // small integers and halves, ties
      const e = bias + r.int(Math.min(40, bias));
      return sign | (BigInt(e) << BigInt(F)) | (fr() & ~((1n << BigInt(Math.max(0, F - r.int(8)))) - 1n));
    }
    case 8: return sign | (BigInt(bias + r.int(3) - 1) << BigInt(F)) | fr(); // around 1.0
    default: return r.bits(n);
  }
}
function vecPattern(r: Rng): [bigint, bigint] {
  const k = r.int(3);
  const half = (): bigint => {
    if (k === 0) return fpPattern(r, 64);
    if (k === 1) return fpPattern(r, 32) | (fpPattern(r, 32) << 32n);
    return r.bits(64);
  };
  return [half(), half()];
}

const inst = (w: number) => `.inst 0x${(w >>> 0).toString(16).padStart(8, '0')}`;
const V = (r: Rng) => r.int(8);
const X = (r: Rng) => 17 + r.int(8);

type Gen = (r: Rng) => number | undefined;

// ---- scalar FP ---------------------------------------------------------------
const ty = (r: Rng) => r.int(2); // single or double
const G: [string, number, Gen][] = [
  ['fp2src', 6, (r) => 0x1e200800 | (ty(r) << 22) | (V(r) << 16) | (r.int(9) << 12) | (V(r) << 5) | V(r)],
  ['fp1src', 4, (r) => 0x1e204000 | (ty(r) << 22) | (r.pick([1, 2, 3, 8, 9, 10, 11, 12, 14, 15]) << 15) | (V(r) << 5) | V(r)],
  ['fpcvt', 3, (r) => {
    const [src, dst] = r.pick([[0, 1], [1, 0], [0, 3], [1, 3], [3, 0], [3, 1]] as const);
    return 0x1e204000 | (src << 22) | ((4 | dst) << 15) | (V(r) << 5) | V(r);
  }],
  ['fp3src', 5, (r) => 0x1f000000 | (ty(r) << 22) | (r.int(2) << 21) | (V(r) << 16) | (r.int(2) << 15) | (V(r) << 10) | (V(r) << 5) | V(r)],
  ['fpcmp', 3, (r) => 0x1e202000 | (ty(r) << 22) | (V(r) << 16) | (V(r) << 5) | r.pick([0, 8, 16, 24])],
  ['fpccmp', 2, (r) => 0x1e200400 | (ty(r) << 22) | (V(r) << 16) | (r.int(16) << 12) | (V(r) << 5) | (r.int(2) << 4) | r.int(16)],
  ['fpcsel', 1, (r) => 0x1e200c00 | (ty(r) << 22) | (V(r) << 16) | (r.int(16) << 12) | (V(r) << 5) | V(r)],
  ['fp2int', 4, (r) => {
    const opcode = r.pick([0, 1, 0, 1, 4, 5]);
    const rmode = opcode < 2 ? r.int(4) : 0;
    return (r.int(2) << 31) | 0x1e200000 | (ty(r) << 22) | (rmode << 19) | (opcode << 16) | (V(r) << 5) | X(r);
  }],
  ['int2fp', 2, (r) => (r.int(2) << 31) | 0x1e200000 | (ty(r) << 22) | ((2 + r.int(2)) << 16) | (X(r) << 5) | V(r)],
  ['fpfixed', 2, (r) => {
    const sf = r.int(2);
    const scale = sf ? 1 + r.int(63) : 32 + r.int(32);
    const toInt = r.int(2);
    const base = (sf << 31) | 0x1e000000 | (ty(r) << 22) | (scale << 10);
    return toInt ? base | (3 << 19) | (r.int(2) << 16) | (V(r) << 5) | X(r) : base | ((2 + r.int(2)) << 16) | (X(r) << 5) | V(r);
  }],
];

// ---- AdvSIMD ---------------------------------------------------------------------
const INT3: [number, number, number[]][] = [ // [U, opcode, sizes]
  [0, 0, [0, 1, 2]], [1, 0, [0, 1, 2]], [0, 1, [0, 1, 2, 3]], [1, 1, [0, 1, 2, 3]], [0, 2, [0, 1, 2]], [1, 2, [0, 1, 2]],
  [0, 4, [0, 1, 2]], [1, 4, [0, 1, 2]], [0, 5, [0, 1, 2, 3]], [1, 5, [0, 1, 2, 3]], [0, 6, [0, 1, 2, 3]], [1, 6, [0, 1, 2, 3]],
  [0, 7, [0, 1, 2, 3]], [1, 7, [0, 1, 2, 3]], [0, 8, [0, 1, 2, 3]], [1, 8, [0, 1, 2, 3]], [0, 12, [0, 1, 2]], [1, 12, [0, 1, 2]],
  [0, 13, [0, 1, 2]], [1, 13, [0, 1, 2]], [0, 14, [0, 1, 2]], [1, 14, [0, 1, 2]], [0, 15, [0, 1, 2]], [1, 15, [0, 1, 2]],
  [0, 16, [0, 1, 2, 3]], [1, 16, [0, 1, 2, 3]], [0, 17, [0, 1, 2, 3]], [1, 17, [0, 1, 2, 3]], [0, 18, [0, 1, 2]], [1, 18, [0, 1, 2]],
  [0, 19, [0, 1, 2]], [1, 19, [0]], [0, 20, [0, 1, 2]], [1, 20, [0, 1, 2]], [0, 21, [0, 1, 2]], [1, 21, [0, 1, 2]], [0, 23, [0, 1, 2, 3]],
  [0, 9, [0, 1, 2, 3]], [1, 9, [0, 1, 2, 3]], [0, 10, [0, 1, 2, 3]], [1, 10, [0, 1, 2, 3]], [0, 11, [0, 1, 2, 3]], [1, 11, [0, 1, 2, 3]],
  [0, 22, [1, 2]], [1, 22, [1, 2]],
];
const FP3: [number, number, number][] = [ // [U, a, opcode]
  [0, 0, 24], [0, 1, 24], [1, 0, 24], [1, 1, 24], [0, 0, 25], [0, 1, 25], [0, 0, 26], [0, 1, 26], [1, 0, 26], [1, 1, 26],
  [0, 0, 27], [1, 0, 27], [0, 0, 28], [1, 0, 28], [1, 1, 28], [1, 0, 29], [1, 1, 29], [0, 0, 30], [0, 1, 30], [1, 0, 30], [1, 1, 30], [1, 0, 31], [0, 0, 31], [0, 1, 31],
];
const INT2: [number, number, number[]][] = [ // [U, opcode, sizes]
  [0, 0, [0, 1, 2]], [1, 0, [0, 1]], [0, 1, [0]], [0, 2, [0, 1, 2]], [1, 2, [0, 1, 2]], [0, 4, [0, 1, 2]], [1, 4, [0, 1, 2]],
  [0, 5, [0]], [1, 5, [0, 1]], [0, 6, [0, 1, 2]], [1, 6, [0, 1, 2]], [0, 8, [0, 1, 2, 3]], [1, 8, [0, 1, 2, 3]], [0, 9, [0, 1, 2, 3]],
  [1, 9, [0, 1, 2, 3]], [0, 10, [0, 1, 2, 3]], [0, 11, [0, 1, 2, 3]], [1, 11, [0, 1, 2, 3]], [0, 18, [0, 1, 2]], [1, 18, [0, 1, 2]],
  [0, 20, [0, 1, 2]], [1, 20, [0, 1, 2]], [1, 19, [0, 1, 2]], [0, 7, [0, 1, 2, 3]], [1, 7, [0, 1, 2, 3]],
  [0, 3, [0, 1, 2, 3]], [1, 3, [0, 1, 2, 3]],
];
const FP2: [number, number, number][] = [ // [U, a, opcode]
  [0, 1, 12], [1, 1, 12], [0, 1, 13], [1, 1, 13], [0, 1, 14], [0, 1, 15], [1, 1, 15], [1, 1, 31],
  [0, 0, 24], [0, 0, 25], [0, 1, 24], [0, 1, 25], [1, 0, 24], [1, 0, 25], [1, 1, 25],
  [0, 0, 26], [0, 0, 27], [0, 0, 28], [0, 1, 26], [0, 1, 27], [1, 0, 26], [1, 0, 27], [1, 0, 28], [1, 1, 26], [1, 1, 27],
  [0, 0, 29], [1, 0, 29], [0, 1, 28], [0, 1, 29], [1, 1, 28], [1, 1, 29],
];

const vec3 = (q: number, u: number, size: number, opc: number, r: Rng) => 0x0e200400 | (q << 30) | (u << 29) | (size << 22) | (V(r) << 16) | (opc << 11) | (V(r) << 5) | V(r);
const vec2 = (q: number, u: number, size: number, opc: number, r: Rng) => 0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | (V(r) << 5) | V(r);

const S: [string, number, Gen][] = [
  ['simd3int', 5, (r) => {
    const [u, opc, sizes] = r.pick(INT3);
    const size = r.pick(sizes);
    return vec3(size === 3 ? 1 : r.int(2), u, size, opc, r);
  }],
  ['simd3fp', 6, (r) => {
    const [u, a, opc] = r.pick(FP3);
    const sz = r.int(2);
    return vec3(sz ? 1 : r.int(2), u, (a << 1) | sz, opc, r);
  }],
  ['simd2int', 3, (r) => {
    const [u, opc, sizes] = r.pick(INT2);
    const size = r.pick(sizes);
    return vec2(size === 3 ? 1 : r.int(2), u, size, opc, r);
  }],
  ['simdfcvtnl', 1, (r) => {
    const k = r.int(4);
    if (k === 0) return r.int(2) ? vec2(r.int(2), 1, 1, 22, r) : 0x7e616800 | (V(r) << 5) | V(r); // FCVTXN(2), scalar FCVTXN
    return vec2(r.int(2), 0, r.int(2), r.pick([22, 23]), r); // FCVTN(2), FCVTL(2)
  }],
  ['simd2fp', 4, (r) => {
    const [u, a, opc] = r.pick(FP2);
    const sz = r.int(2);
    return vec2(sz ? 1 : r.int(2), u, (a << 1) | sz, opc, r);
  }],
  ['simdacross', 2, (r) => {
    if (r.int(3) === 0) return 0x6e300800 | (r.int(2) << 23) | (r.pick([12, 15]) << 12) | (V(r) << 5) | V(r);
    const [u, opc] = r.pick([[0, 27], [0, 3], [1, 3], [0, 10], [1, 10], [0, 26], [1, 26]] as const);
    const size = r.int(3);
    const q = size === 2 ? 1 : r.int(2);
    return 0x0e300800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | (V(r) << 5) | V(r);
  }],
  ['simdshift', 3, (r) => {
    const [u, opc] = r.pick([[0, 0], [1, 0], [0, 2], [1, 2], [0, 4], [1, 4], [0, 6], [1, 6], [1, 8], [0, 10], [1, 10], [0, 16], [0, 17], [0, 20], [1, 20], [0, 28], [1, 28], [0, 31], [1, 31],
      [1, 12], [0, 14], [1, 14], [1, 16], [1, 17], [0, 18], [1, 18], [0, 19], [1, 19]] as const);
    const narrow = opc >= 16 && opc <= 20;
    let size = r.int(4);
    if (narrow) size = r.int(3);
    if (opc === 28 || opc === 31) size = 2 + r.int(2);
    const bits = 8 << size;
    const left = opc === 10 || opc === 20 || opc === 12 || opc === 14;
    const immhb = left ? bits + r.int(bits) : 2 * bits - 1 - r.int(bits);
    const scalar = r.int(4) === 0 && opc !== 20 && !(u === 0 && (opc === 16 || opc === 17)) && !(opc === 8 || opc === 10 || opc < 8) ;
    if (scalar) return 0x5f000400 | (u << 29) | (immhb << 16) | (opc << 11) | (V(r) << 5) | V(r);
    const q = size === 3 && !narrow ? 1 : r.int(2);
    return 0x0f000400 | (q << 30) | (u << 29) | (immhb << 16) | (opc << 11) | (V(r) << 5) | V(r);
  }],
  ['simdperm', 2, (r) => {
    const size = r.int(4);
    return 0x0e000800 | ((size === 3 ? 1 : r.int(2)) << 30) | (size << 22) | (V(r) << 16) | (r.pick([1, 2, 3, 5, 6, 7]) << 12) | (V(r) << 5) | V(r);
  }],
  ['simdext', 1, (r) => { const q = r.int(2); return 0x2e000000 | (q << 30) | (V(r) << 16) | (r.int(q ? 16 : 8) << 11) | (V(r) << 5) | V(r); }],
  ['simdtbl', 1, (r) => 0x0e000000 | (r.int(2) << 30) | (V(r) << 16) | (r.int(4) << 13) | (r.int(2) << 12) | (V(r) << 5) | V(r)],
  ['simd3diff', 2, (r) => {
    const opc = r.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 9, 11, 13]);
    const sqd = opc === 9 || opc === 11 || opc === 13;
    const size = opc === 14 ? 0 : sqd ? 1 + r.int(2) : r.int(3);
    const u = opc === 14 || sqd ? 0 : r.int(2);
    if (sqd && r.int(3) === 0) return 0x5e200000 | (size << 22) | (V(r) << 16) | (opc << 12) | (V(r) << 5) | V(r); // scalar
    return 0x0e200000 | (r.int(2) << 30) | (u << 29) | (size << 22) | (V(r) << 16) | (opc << 12) | (V(r) << 5) | V(r);
  }],
  ['simdelem', 2, (r) => {
    const fp = r.int(3);
    const q = r.int(2);
    if (fp === 2) { // scalar FMLA/FMLS/FMUL/FMULX by element
      const sz = r.int(2);
      const [u, opc] = r.pick([[0, 1], [0, 5], [0, 9], [1, 9]] as const);
      const l = sz ? 0 : r.int(2);
      return 0x5f000000 | (u << 29) | ((2 | sz) << 22) | (l << 21) | (r.int(2) << 20) | (V(r) << 16) | (opc << 12) | (r.int(2) << 11) | (V(r) << 5) | V(r);
    }
    if (fp) {
      const sz = r.int(2);
      const [u, opc] = r.pick([[0, 1], [0, 5], [0, 9], [1, 9]] as const);
      const l = sz ? 0 : r.int(2);
      return 0x0f000000 | ((sz ? 1 : q) << 30) | (u << 29) | ((2 | sz) << 22) | (l << 21) | (r.int(2) << 20) | (V(r) << 16) | (opc << 12) | (r.int(2) << 11) | (V(r) << 5) | V(r);
    }
    const [u, opc] = r.pick([[0, 8], [1, 0], [1, 4], [0, 10], [1, 10], [0, 2], [1, 2], [0, 6], [1, 6], [0, 3], [0, 7], [0, 11], [0, 12], [0, 13]] as const);
    const size = 1 + r.int(2);
    if (u === 0 && [3, 7, 11, 12, 13].includes(opc) && r.int(3) === 0) // scalar
      return 0x5f000000 | (size << 22) | (r.int(2) << 21) | (r.int(2) << 20) | (V(r) << 16) | (opc << 12) | (r.int(2) << 11) | (V(r) << 5) | V(r);
    return 0x0f000000 | (q << 30) | (u << 29) | (size << 22) | (r.int(2) << 21) | (r.int(2) << 20) | (V(r) << 16) | (opc << 12) | (r.int(2) << 11) | (V(r) << 5) | V(r);
  }],
  ['simdldst1', 3, (r) => {
    // LD1-LD4 / ST1-ST4 (single structure), LD1R-LD4R; base x26 (starts at x28 = scratch + 512),
    // no offset or post-index by the structure size (the scratch area is compared through its digest)
    const selem = 1 + r.int(4);
    const rt = r.int(9 - selem);
    const post = r.int(2);
    const rep = r.int(4) === 0;
    const l = rep ? 1 : r.int(2);
    const rbit = (selem - 1) & 1, hi = (selem - 1) >> 1;
    let q: number, sbit = 0, size: number, opcode: number;
    if (rep) { q = r.int(2); size = r.int(4); opcode = 6 | hi; }
    else {
      const scale = r.int(4);
      const idx = r.int(16 >> scale);
      if (scale === 0) { q = idx >> 3; sbit = (idx >> 2) & 1; size = idx & 3; opcode = hi; }
      else if (scale === 1) { q = idx >> 2; sbit = (idx >> 1) & 1; size = (idx & 1) << 1; opcode = 2 | hi; }
      else if (scale === 2) { q = idx >> 1; sbit = idx & 1; size = 0; opcode = 4 | hi; }
      else { q = idx; size = 1; opcode = 4 | hi; }
    }
    return (post ? 0x0d800000 | (31 << 16) : 0x0d000000) | (q << 30) | (l << 22) | (rbit << 21) | (opcode << 13) | (sbit << 12) | (size << 10) | (26 << 5) | rt;
  }],
  ['simdscalar', 3, (r) => {
    switch (r.int(6)) {
      case 0: { // scalar three same int
        const [u, opc] = r.pick([[0, 16], [1, 16], [0, 17], [1, 17], [0, 6], [1, 6], [0, 7], [1, 7], [0, 8], [1, 8], [0, 10], [1, 10]] as const);
        return 0x5e200400 | (u << 29) | (3 << 22) | (V(r) << 16) | (opc << 11) | (V(r) << 5) | V(r);
      }
      case 1: {
        if (r.int(4) === 0) return 0x5e200400 | (r.int(2) << 29) | ((1 + r.int(2)) << 22) | (V(r) << 16) | (22 << 11) | (V(r) << 5) | V(r); // SQ(R)DMULH
        if (r.int(4) === 0) return 0x5e200800 | (r.int(2) << 29) | (r.int(4) << 22) | (r.pick([3, 7]) << 12) | (V(r) << 5) | V(r); // [SU]QADD acc, SQABS/SQNEG
        if (r.int(4) === 0) { const u = r.int(2); return 0x5e200800 | (u << 29) | (r.int(3) << 22) | ((u ? r.pick([18, 20]) : 20) << 12) | (V(r) << 5) | V(r); } // SQXTN/UQXTN/SQXTUN
        return 0x5e200400 | (r.int(2) << 29) | (r.int(4) << 22) | (V(r) << 16) | (r.pick([1, 5, 9, 11]) << 11) | (V(r) << 5) | V(r);
      }
      case 2: { // scalar FP three same
        const [u, a, opc] = r.pick([[1, 1, 26], [0, 0, 27], [0, 0, 28], [1, 0, 28], [1, 1, 28], [1, 0, 29], [1, 1, 29], [0, 0, 31], [0, 1, 31]] as const);
        return 0x5e200400 | (u << 29) | (((a << 1) | r.int(2)) << 22) | (V(r) << 16) | (opc << 11) | (V(r) << 5) | V(r);
      }
      case 3: { // scalar two-reg misc (FP compares with zero, conversions; integer D)
        if (r.int(2)) {
          const [u, a, opc] = r.pick([[0, 1, 12], [1, 1, 12], [0, 1, 13], [1, 1, 13], [0, 1, 14], [0, 0, 26], [0, 1, 27], [1, 0, 28], [0, 0, 29], [1, 0, 29], [0, 1, 29], [1, 1, 29], [0, 1, 31]] as const);
          return 0x5e200800 | (u << 29) | (((a << 1) | r.int(2)) << 22) | (opc << 12) | (V(r) << 5) | V(r);
        }
        const [u, opc] = r.pick([[0, 8], [1, 8], [0, 9], [1, 9], [0, 10], [0, 11], [1, 11]] as const);
        return 0x5e200800 | (u << 29) | (3 << 22) | (opc << 12) | (V(r) << 5) | V(r);
      }
      case 4: { // scalar pairwise
        if (r.int(3) === 0) return 0x5e300800 | (3 << 22) | (27 << 12) | (V(r) << 5) | V(r);
        const [a, opc] = r.pick([[0, 12], [1, 12], [0, 13], [0, 15], [1, 15]] as const);
        return 0x7e300800 | (a << 23) | (r.int(2) << 22) | (opc << 12) | (V(r) << 5) | V(r);
      }
      default: { // scalar shift (D), DUP scalar
        if (r.int(3) === 0) { const size = r.int(4); const idx = r.int(16 >> size); return 0x5e000400 | ((((idx << 1) | 1) << size) << 16) | (V(r) << 5) | V(r); }
        const [u, opc] = r.pick([[0, 0], [1, 0], [0, 2], [1, 2], [0, 4], [1, 4], [1, 8], [0, 10], [1, 10]] as const);
        const immhb = opc === 10 ? 64 + r.int(64) : 127 - r.int(64);
        return 0x5f000400 | (u << 29) | (immhb << 16) | (opc << 11) | (V(r) << 5) | V(r);
      }
    }
  }],
];

function weighted(list: [string, number, Gen][], r: Rng): [string, Gen] {
  const total = list.reduce((n, [, w]) => n + w, 0);
  let k = r.int(total);
  for (const [name, w, g] of list) { if (k < w) return [name, g]; k -= w; }
  return [list[0]![0], list[0]![2]];
}

/** Sequence `index` of the FP/SIMD class for `seed`. */
export function fpSequence(seed: number, index: number, length = 12): Sequence {
  const r = new Rng(seed ^ Math.imul(index + 1, 0x9e3779b1));
  const regs: bigint[] = [];
  for (let i = 0; i < 8; i++) regs.push(...vecPattern(r));
  regs.push(0n); // x16: FPSR
  for (let i = 17; i < 25; i++) regs.push(r.int(3) === 0 ? fpPattern(r, 64) : r.int(2) ? r.bits(64) : r.bits(r.int(64) + 1));
  let fpcr = r.int(4) << 22;
  if (r.int(4) === 0) fpcr |= 1 << 24;
  if (r.int(4) === 0) fpcr |= 1 << 25;
  if (r.int(6) === 0) fpcr |= 1 << 26;
  const setup: string[] = ['mov x25, #0x300000', 'msr cpacr_el1, x25', 'isb'];
  for (let i = 0; i < 8; i++) setup.push(`fmov d${i}, x${2 * i}`, `mov v${i}.d[1], x${2 * i + 1}`);
  setup.push(`movz x25, #0x${(fpcr >>> 16).toString(16)}, lsl #16`, 'msr fpcr, x25', 'msr fpsr, xzr');
  const items: Item[] = [{ cls: 'fp-setup', lines: setup }];
  for (let i = 0; i < length; i++) {
    const [name, g] = weighted(r.int(2) ? G : S, r);
    const w = g(r);
    if (w !== undefined) items.push({ cls: name, lines: [inst(w)] });
  }
  const out: string[] = [];
  for (let i = 0; i < 8; i++) out.push(`fmov x${2 * i}, d${i}`, `mov x${2 * i + 1}, v${i}.d[1]`);
  out.push('mrs x16, fpsr');
  items.push({ cls: 'fp-dump', lines: out });
  return { items, init: { regs, nzcv: r.int(16), memSeed: (r.next() | 1n) & M64 } };
}
