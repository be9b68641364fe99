// Batch runner for FP/SIMD tests: runs one instruction over many operand sets
// in a single machine (a loop that loads V0-V3, X8, X9, FPCR and NZCV, runs the
// instruction, and stores V0, X10, FPSR and NZCV).
import { run, DATA, END } from './testing.js';
import { pokeBytes } from './testing.js';
import * as R from './fp-reference.js';

export interface FpCase {
  fpcr?: number;
  v0?: bigint; v1?: bigint; v2?: bigint; v3?: bigint;
  x8?: bigint; x9?: bigint;
  nzcv?: number;
}
export interface FpOut { v0: bigint; x10: bigint; fpsr: number; nzcv: number }

const OUT_BYTES = 64;
const OUT = DATA + 0x0100_0000n;
const M64 = (1n << 64n) - 1n;

function le(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** Run `insn` (assembler text, or `.inst 0x...`) once per case. */
export function runBatch(insn: string, cases: FpCase[]): FpOut[] {
  const src = `
    ldr x2, =${cases.length}
  1:
    ldp q0, q1, [x0], #32
    ldp q2, q3, [x0], #32
    ldp x5, x8, [x0], #16
    ldp x9, x11, [x0], #16
    mov x10, #0x5555
    msr fpcr, x5
    msr fpsr, xzr
    msr nzcv, x11
    ${insn}
    mrs x6, fpsr
    mrs x7, nzcv
    stp q0, q1, [x1], #32
    stp x10, x6, [x1], #16
    stp x7, xzr, [x1], #16
    subs x2, x2, #1
    b.ne 1b
    ${END}
    .ltorg
  `;
  const bytes: number[] = [];
  for (const c of cases) {
    bytes.push(...le(c.v0 ?? 0x1111n, 16), ...le(c.v1 ?? 0n, 16), ...le(c.v2 ?? 0n, 16), ...le(c.v3 ?? 0n, 16));
    bytes.push(...le(BigInt(c.fpcr ?? 0), 8), ...le((c.x8 ?? 0n) & M64, 8), ...le((c.x9 ?? 0n) & M64, 8), ...le(BigInt((c.nzcv ?? 0) << 28), 8));
  }
  const r = run(src, {
    regs: { 0: DATA, 1: OUT },
    maxInstructions: cases.length * 24 + 100,
    setup: (m) => pokeBytes(m, DATA, bytes),
  });
  if (!r.ended) throw new Error(`batch '${insn}' did not finish: ${JSON.stringify(r.stop)} vector ${r.vector}`);
  const mem = r.mem(OUT, cases.length * OUT_BYTES);
  const rd = (o: number, n: number) => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[o + i]!);
    return v;
  };
  return cases.map((_, i) => {
    const o = i * OUT_BYTES;
    return { v0: rd(o, 16), x10: rd(o + 32, 8), fpsr: Number(rd(o + 40, 8)), nzcv: Number(rd(o + 48, 8) >> 28n) & 15 };
  });
}

// ---- deterministic random operands -----------------------------------------
export class Rng {
  private s: bigint;
  constructor(seed: number) { this.s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n; }
  next64(): bigint {
    // xorshift64*
    let x = this.s;
    x ^= x >> 12n; x ^= (x << 25n) & ((1n << 64n) - 1n); x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & ((1n << 64n) - 1n);
  }
  int(n: number): number { return Number(this.next64() % BigInt(n)); }
  bits(n: number): bigint { return this.next64() & ((1n << BigInt(n)) - 1n); }
  pick<T>(a: T[]): T { return a[this.int(a.length)]!; }
}

export function specials(n: number): bigint[] {
  const f = R.fmt(n);
  const F = BigInt(f.F), sb = 1n << BigInt(n - 1);
  const expOf = (e: number) => BigInt(e + f.bias) << F;
  const base = [
    0n, 1n, (1n << F) - 1n, 1n << F, // zero, min/max denormal, min normal
    R.inf(0, n) - 1n, R.inf(0, n), R.inf(0, n) | (1n << (F - 1n)), R.inf(0, n) | 1n, R.inf(0, n) | (1n << (F - 1n)) | 0x2an, R.inf(0, n) | 0x15n,
    expOf(0), expOf(0) | (1n << (F - 1n)), expOf(1) | (1n << (F - 2n)), expOf(-1), expOf(1), expOf(31), expOf(32), expOf(63), expOf(64), expOf(31) | ((1n << F) - 1n),
    expOf(f.bias), expOf(-f.bias + 1) | 1n, expOf(f.F) | 1n, expOf(f.F - 1) | 1n,
  ];
  return [...base, ...base.map((v) => v | sb)];
}

export function operand(r: Rng, n: number): bigint {
  const f = R.fmt(n);
  const k = r.int(10);
  if (k < 3) return r.pick(specials(n));
  const sign = BigInt(r.int(2)) << BigInt(n - 1);
  if (k === 3) return sign | r.bits(f.F); // denormal
  if (k < 6) {
    // moderate exponent, few fraction bits set (ties in conversions/rounding)
    const e = BigInt(r.int(80) - 20 + f.bias) & ((1n << BigInt(f.E)) - 1n);
    const frac = r.bits(f.F) & ~((1n << BigInt(r.int(f.F))) - 1n);
    return sign | (e << BigInt(f.F)) | frac;
  }
  return r.bits(n);
}

export function fpcr(r: Rng, opts: { ahp?: boolean } = {}): number {
  let v = r.int(4) << 22;
  if (r.int(4) === 0) v |= R.FZ;
  if (r.int(4) === 0) v |= R.DN;
  if (opts.ahp && r.int(3) === 0) v |= R.AHP;
  return v;
}

