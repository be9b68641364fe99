// Scalar floating point against the independent BigInt reference model
// (fp-reference.ts): arithmetic, FMA single rounding, compares, conversions,
// FRINT*, with random FPCR (RMode, FZ, DN, AHP) and operands biased towards
// NaNs (quiet/signalling, payloads), denormals, infinities, zeros, ties and
// overflow/underflow boundaries. Checks result bits, FPSR and NZCV.
import { describe, expect, it } from 'vitest';
import { runBatch, Rng, operand, specials, fpcr, type FpCase, type FpOut } from './fp-harness.js';
import * as R from './fp-reference.js';
import { run, END, VEC } from './testing.js';
import * as L from './layout.js';

const hex = (v: bigint) => '0x' + v.toString(16);
const neg = (v: bigint, n: number) => v ^ (1n << BigInt(n - 1));

interface Expect { v0?: bigint; x10?: bigint; nzcv?: number; fpsr: number }

function check(insn: string, cases: FpCase[], expected: (c: FpCase) => Expect): void {
  const outs: FpOut[] = runBatch(insn, cases);
  let bad = 0;
  const msgs: string[] = [];
  cases.forEach((c, i) => {
    const e = expected(c);
    const o = outs[i]!;
    const ok = (e.v0 === undefined || o.v0 === e.v0) && (e.x10 === undefined || o.x10 === e.x10) &&
      (e.nzcv === undefined || o.nzcv === e.nzcv) && o.fpsr === e.fpsr;
    if (!ok) {
      bad++;
      if (msgs.length < 5) {
        msgs.push(`${insn} fpcr=${hex(BigInt(c.fpcr ?? 0))} v1=${hex(c.v1 ?? 0n)} v2=${hex(c.v2 ?? 0n)} v3=${hex(c.v3 ?? 0n)} x8=${hex(c.x8 ?? 0n)} nzcvIn=${c.nzcv}: ` +
          `got v0=${hex(o.v0)} x10=${hex(o.x10)} nzcv=${o.nzcv} fpsr=${hex(BigInt(o.fpsr))}, want v0=${e.v0 === undefined ? '-' : hex(e.v0)} x10=${e.x10 === undefined ? '-' : hex(e.x10)} nzcv=${e.nzcv ?? '-'} fpsr=${hex(BigInt(e.fpsr))}`);
      }
    }
  });
  expect(msgs.join('\n'), `${bad}/${cases.length} mismatches`).toBe('');
}

const N_CASES = 400;
function genCases(seed: number, n: number, count = N_CASES, extra?: (r: Rng, c: FpCase) => void, opts: { ahp?: boolean } = {}): FpCase[] {
  const r = new Rng(seed);
  const out: FpCase[] = [];
  for (let i = 0; i < count; i++) {
    const c: FpCase = { fpcr: fpcr(r, opts), v1: operand(r, n), v2: operand(r, n), v3: operand(r, n), nzcv: r.int(16) };
    // sometimes make v2 close to v1 (cancellation) or equal
    const k = r.int(8);
    if (k === 0) c.v2 = c.v1;
    else if (k === 1) c.v2 = neg(c.v1! ^ r.bits(3), n);
    extra?.(r, c);
    out.push(c);
  }
  return out;
}

const reg = (n: number) => (n === 64 ? 'd' : n === 32 ? 's' : 'h');

describe('scalar FP arithmetic vs reference', () => {
  for (const n of [32, 64]) {
    const p = reg(n);
    const two: [string, (s: R.FpState, a: bigint, b: bigint) => bigint][] = [
      ['fadd', (s, a, b) => R.add(s, a, b, n)],
      ['fsub', (s, a, b) => R.add(s, a, b, n, true)],
      ['fmul', (s, a, b) => R.mul(s, a, b, n)],
      ['fnmul', (s, a, b) => neg(R.mul(s, a, b, n), n)],
      ['fdiv', (s, a, b) => R.div(s, a, b, n)],
      ['fmax', (s, a, b) => R.minmax(s, a, b, n, true, false)],
      ['fmin', (s, a, b) => R.minmax(s, a, b, n, false, false)],
      ['fmaxnm', (s, a, b) => R.minmax(s, a, b, n, true, true)],
      ['fminnm', (s, a, b) => R.minmax(s, a, b, n, false, true)],
    ];
    two.forEach(([name, fn], i) => {
      it(`${name} ${p}`, () => {
        check(`${name} ${p}0, ${p}1, ${p}2`, genCases(100 + i + n, n), (c) => {
          const s = new R.FpState(c.fpcr!);
          const v0 = fn(s, c.v1!, c.v2!);
          return { v0, fpsr: s.flags };
        });
      });
    });
    it(`fsqrt ${p}`, () => {
      check(`fsqrt ${p}0, ${p}1`, genCases(7 + n, n, N_CASES, (r, c) => { if (r.int(2)) c.v1 = c.v1! & ~(1n << BigInt(n - 1)); }), (c) => {
        const s = new R.FpState(c.fpcr!);
        return { v0: R.sqrt(s, c.v1!, n), fpsr: s.flags };
      });
    });
    it(`fabs/fneg ${p} never touch FPSR or NaN payloads`, () => {
      const cases = genCases(9 + n, n, 100);
      check(`fabs ${p}0, ${p}1`, cases, (c) => ({ v0: c.v1! & ~(1n << BigInt(n - 1)), fpsr: 0 }));
      check(`fneg ${p}0, ${p}1`, cases, (c) => ({ v0: neg(c.v1!, n), fpsr: 0 }));
    });
    const fmas: [string, (a: bigint, x: bigint, y: bigint) => [bigint, bigint, bigint]][] = [
      ['fmadd', (a, x, y) => [a, x, y]],
      ['fmsub', (a, x, y) => [a, neg(x, n), y]],
      ['fnmadd', (a, x, y) => [neg(a, n), neg(x, n), y]],
      ['fnmsub', (a, x, y) => [neg(a, n), x, y]],
    ];
    fmas.forEach(([name, f], i) => {
      it(`${name} ${p} (single rounding)`, () => {
        check(`${name} ${p}0, ${p}1, ${p}2, ${p}3`, genCases(200 + i + n, n, N_CASES, (r, c) => {
          // make the addend cancel the product sometimes: a = -(x*y) rounded
          if (r.int(3) === 0) {
            const s = new R.FpState(0);
            c.v3 = neg(R.mul(s, c.v1!, c.v2!, n), n) ^ r.bits(2);
          }
        }), (c) => {
          const s = new R.FpState(c.fpcr!);
          const [a, x, y] = f(c.v3!, c.v1!, c.v2!);
          return { v0: R.fma(s, a, x, y, n), fpsr: s.flags };
        });
      });
    });
    it(`fcmp/fcmpe ${p} (register and #0.0)`, () => {
      const cases = genCases(300 + n, n);
      for (const [insn, e, zero] of [[`fcmp ${p}1, ${p}2`, false, false], [`fcmpe ${p}1, ${p}2`, true, false],
        [`fcmp ${p}1, #0.0`, false, true], [`fcmpe ${p}1, #0.0`, true, true]] as const) {
        check(insn, cases, (c) => {
          const s = new R.FpState(c.fpcr!);
          const nzcv = R.compare(s, c.v1!, zero ? 0n : c.v2!, n, e);
          return { nzcv, fpsr: s.flags };
        });
      }
    });
    it(`fccmp/fccmpe/fcsel ${p}`, () => {
      const cases = genCases(400 + n, n);
      const holds = (cond: number, f: number) => {
        const N = (f >> 3) & 1, Z = (f >> 2) & 1, C = (f >> 1) & 1, V = f & 1;
        let r: boolean;
        switch (cond >> 1) {
          case 0: r = Z === 1; break;
          case 1: r = C === 1; break;
          case 2: r = N === 1; break;
          case 3: r = V === 1; break;
          case 4: r = C === 1 && Z === 0; break;
          case 5: r = N === V; break;
          case 6: r = N === V && Z === 0; break;
          default: r = true;
        }
        return (cond & 1) && cond !== 15 ? !r : r;
      };
      const conds = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al'];
      for (const ci of [0, 1, 2, 5, 8, 11, 12, 13]) {
        for (const e of [false, true]) {
          check(`${e ? 'fccmpe' : 'fccmp'} ${p}1, ${p}2, #5, ${conds[ci]}`, cases, (c) => {
            const s = new R.FpState(c.fpcr!);
            const nzcv = holds(ci, c.nzcv!) ? R.compare(s, c.v1!, c.v2!, n, e) : 5;
            return { nzcv, fpsr: s.flags };
          });
        }
        check(`fcsel ${p}0, ${p}1, ${p}2, ${conds[ci]}`, cases, (c) => ({ v0: holds(ci, c.nzcv!) ? c.v1! : c.v2!, fpsr: 0 }));
      }
    });
    const rints: [string, R.Mode | 'fpcr', boolean][] = [
      ['frintn', 'RN', false], ['frintp', 'RP', false], ['frintm', 'RM', false], ['frintz', 'RZ', false],
      ['frinta', 'TA', false], ['frintx', 'fpcr', true], ['frinti', 'fpcr', false],
    ];
    rints.forEach(([name, mode, exact], i) => {
      it(`${name} ${p}`, () => {
        check(`${name} ${p}0, ${p}1`, genCases(500 + i + n, n), (c) => {
          const s = new R.FpState(c.fpcr!);
          return { v0: R.roundInt(s, c.v1!, n, mode === 'fpcr' ? s.mode : mode, exact), fpsr: s.flags };
        });
      });
    });
  }
});

describe('conversions vs reference', () => {
  const pairs: [number, number][] = [[32, 64], [64, 32], [32, 16], [64, 16], [16, 32], [16, 64]];
  for (const [from, to] of pairs) {
    it(`fcvt ${reg(to)} <- ${reg(from)}`, () => {
      check(`fcvt ${reg(to)}0, ${reg(from)}1`, genCases(600 + from + to, from, N_CASES, undefined, { ahp: true }), (c) => {
        const s = new R.FpState(c.fpcr!);
        return { v0: R.convert(s, c.v1!, from, to), fpsr: s.flags };
      });
    });
  }
  const modes: [string, R.Mode][] = [['n', 'RN'], ['p', 'RP'], ['m', 'RM'], ['z', 'RZ'], ['a', 'TA']];
  for (const n of [32, 64]) {
    for (const [suffix, mode] of modes) {
      for (const u of [false, true]) {
        for (const ib of [32, 64]) {
          const insn = `fcvt${suffix}${u ? 'u' : 's'} ${ib === 64 ? 'x' : 'w'}10, ${reg(n)}1`;
          it(insn, () => {
            check(insn, genCases(700 + n + ib + (u ? 1 : 0) + suffix.charCodeAt(0), n, 250), (c) => {
              const s = new R.FpState(c.fpcr!);
              return { x10: R.toFixed(s, c.v1!, n, 0, u, ib, mode), fpsr: s.flags };
            });
          });
        }
      }
    }
    for (const u of [false, true]) {
      for (const ib of [32, 64]) {
        const insn = `${u ? 'ucvtf' : 'scvtf'} ${reg(n)}0, ${ib === 64 ? 'x' : 'w'}8`;
        it(insn, () => {
          const r = new Rng(800 + n + ib);
          const cases: FpCase[] = [];
          for (let i = 0; i < N_CASES; i++) {
            const k = r.int(4);
            const x8 = k === 0 ? r.bits(r.int(64) + 1) : k === 1 ? (1n << BigInt(r.int(64))) - BigInt(r.int(3)) : r.next64();
            cases.push({ fpcr: fpcr(r), x8 });
          }
          check(insn, cases, (c) => {
            const s = new R.FpState(c.fpcr!);
            return { v0: R.fromFixed(s, c.x8!, ib, u, 0, n), fpsr: s.flags };
          });
        });
        const fb = ib === 64 ? 37 : 13;
        const fx = `${u ? 'ucvtf' : 'scvtf'} ${reg(n)}0, ${ib === 64 ? 'x' : 'w'}8, #${fb}`;
        it(`${fx} (fixed point)`, () => {
          const r = new Rng(900 + n + ib);
          const cases: FpCase[] = Array.from({ length: 200 }, () => ({ fpcr: fpcr(r), x8: r.next64() >> BigInt(r.int(64)) }));
          check(fx, cases, (c) => {
            const s = new R.FpState(c.fpcr!);
            return { v0: R.fromFixed(s, c.x8!, ib, u, fb, n), fpsr: s.flags };
          });
        });
        const tx = `${u ? 'fcvtzu' : 'fcvtzs'} ${ib === 64 ? 'x' : 'w'}10, ${reg(n)}1, #${fb}`;
        it(`${tx} (fixed point)`, () => {
          check(tx, genCases(950 + n + ib, n, 250), (c) => {
            const s = new R.FpState(c.fpcr!);
            return { x10: R.toFixed(s, c.v1!, n, fb, u, ib, 'RZ'), fpsr: s.flags };
          });
        });
      }
    }
  }
});

describe('hand-checked corner cases', () => {
  it('FMA differs from separate multiply and add (single rounding)', () => {
    // (1 + 2^-23) * (1 - 2^-23) - 1 = -2^-46 exactly; unfused gives 0.
    const a = 0x3f800001n, b = 0x3f7ffffen, c = 0xbf800000n;
    const [o] = runBatch('fmadd s0, s1, s2, s3', [{ v1: a, v2: b, v3: c }]);
    expect(o!.v0).toBe(0xa8800000n); // -2^-46
    const [o2] = runBatch('fmadd d0, d1, d2, d3', [{ v1: 0x3ff0000000000001n, v2: 0x3feffffffffffffen, v3: 0xbff0000000000000n }]);
    // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; unfused gives +0.
    expect(o2!.v0).toBe(0xb970000000000000n);
    const s = new R.FpState(0);
    expect(R.add(s, R.mul(s, 0x3ff0000000000001n, 0x3feffffffffffffen, 64), 0xbff0000000000000n, 64)).toBe(0n);
  });
  it('signalling NaN is quieted with IOC; default NaN with FPCR.DN; operand priority', () => {
    const [o1, o2, o3] = runBatch('fadd s0, s1, s2', [
      { v1: 0x7fc00001n, v2: 0x7f800002n }, // QNaN, SNaN -> the SNaN (quieted)
      { v1: 0x7fc00001n, v2: 0xffc00002n }, // two QNaNs -> first
      { v1: 0x7f800002n, v2: 0x3f800000n, fpcr: R.DN },
    ]);
    expect(o1!.v0).toBe(0x7fc00002n);
    expect(o1!.fpsr).toBe(R.IOC);
    expect(o2!.v0).toBe(0x7fc00001n);
    expect(o2!.fpsr).toBe(0);
    expect(o3!.v0).toBe(0x7fc00000n);
    expect(o3!.fpsr).toBe(R.IOC);
  });
  it('flush-to-zero: denormal input -> IDC, tiny result -> UFC and signed zero', () => {
    const [o1, o2] = runBatch('fmul s0, s1, s2', [
      { v1: 0x00000001n, v2: 0x3f800000n, fpcr: R.FZ },
      { v1: 0x00800000n, v2: 0xbf000000n, fpcr: R.FZ },
    ]);
    expect(o1!.v0).toBe(0n);
    expect(o1!.fpsr).toBe(R.IDC);
    expect(o2!.v0).toBe(0x80000000n);
    expect(o2!.fpsr).toBe(R.UFC);
  });
  it('conversions saturate with IOC and NaN converts to 0', () => {
    const outs = runBatch('fcvtzs w10, d1', [{ v1: 0x41e0000000000000n }, { v1: 0x7ff8000000000000n }, { v1: 0xc1e0000000200000n }, { v1: 0xbfe0000000000000n }]);
    expect(outs.map((o) => [o.x10, o.fpsr])).toEqual([[0x7fffffffn, R.IOC], [0n, R.IOC], [0x80000000n, R.IOC], [0n, R.IXC]]);
  });
  it('FCMP unordered sets NZCV = 0011', () => {
    const [o] = runBatch('fcmp d1, d2', [{ v1: 0x7ff8000000000000n, v2: 0n }]);
    expect(o!.nzcv).toBe(3);
    expect(o!.fpsr).toBe(0);
  });
  it('the upper bits of the destination are zeroed by scalar ops', () => {
    const [o] = runBatch('fadd s0, s1, s2', [{ v0: (1n << 128n) - 1n, v1: 0x3f800000n | (0xffn << 64n), v2: 0x3f800000n }]);
    expect(o!.v0).toBe(0x40000000n);
  });
});

describe('FP/SIMD access traps', () => {
  it('CPACR_EL1.FPEN = 0 makes scalar FP, AdvSIMD and LD1R trap to EL1 with EC 0x07', () => {
    for (const insn of ['fadd d0, d1, d2', '.inst 0x4e228420' /* add v0.16b */, '.inst 0x4d40c800' /* ld1r {v0.4s}, [x0] */, 'fcvtzs w0, d1']) {
      const r = run(`${insn}\n${END}`, { regs: { 0: 0x4010_0000n }, setup: (m) => m.core.setSysregSlot(0, L.SLOT_CPACR_EL1, 0n) });
      expect(r.vector, insn).toBe(VEC.curSpxSync);
      expect(Number((r.sysreg(L.SLOT_ESR_EL1) >> 26n) & 0x3fn), insn).toBe(0x07);
    }
  });
});
