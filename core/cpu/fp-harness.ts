// Batch runner for FP/SIMD tests: runs one instruction over many operand sets
// in a single machine (a loop that loads V0-V3, X8, X9, FPCR and NZCV, runs the
// instruction, and stores V0, X10, FPSR and NZCV).
import { run, DATA, END } from './testing.js';
import { pokeBytes } from './testing.js';

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
