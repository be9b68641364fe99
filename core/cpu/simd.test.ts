// AdvSIMD against independent TypeScript lane models: integer three-same,
// two-register misc, across lanes, shifts, permutes, EXT, TBL/TBX, three
// different, by-element, scalar forms, FP vector ops (through the BigInt FP
// reference), loads/stores of single structures. Encodings are built here from
// the ARM ARM field layouts (the assembler does not cover these forms yet).
import { describe, expect, it } from 'vitest';
import { runBatch, Rng, operand, fpcr as randFpcr, type FpCase } from './fp-harness.js';
import * as R from './fp-reference.js';
import { run, END, DATA, pokeBytes, VEC } from './testing.js';

const M128 = (1n << 128n) - 1n;
const inst = (w: number) => `.inst 0x${(w >>> 0).toString(16)}`;
const lanes = (v: bigint, bits: number, count = 128 / bits) =>
  Array.from({ length: count }, (_, i) => (v >> BigInt(i * bits)) & ((1n << BigInt(bits)) - 1n));
const pack = (xs: bigint[], bits: number) => xs.reduce((acc, x, i) => acc | ((x & ((1n << BigInt(bits)) - 1n)) << BigInt(i * bits)), 0n);
const sgn = (x: bigint, bits: number) => BigInt.asIntN(bits, x);
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const QC = 1 << 27;

function vec(r: Rng): bigint {
  let v = 0n;
  for (let i = 0; i < 16; i++) {
    const k = r.int(8);
    const b = k === 0 ? 0n : k === 1 ? 0xffn : k === 2 ? 0x80n : k === 3 ? 0x7fn : r.bits(8);
    v |= b << BigInt(8 * i);
  }
  return v;
}
function cases(seed: number, count = 64): FpCase[] {
  const r = new Rng(seed);
  return Array.from({ length: count }, () => ({ v0: vec(r), v1: vec(r), v2: vec(r), v3: vec(r), fpcr: 0 }));
}

function expectBatch(name: string, insn: string, cs: FpCase[], want: (c: FpCase) => { v0: bigint; fpsr?: number }): void {
  const outs = runBatch(insn, cs);
  const bad: string[] = [];
  cs.forEach((c, i) => {
    const w = want(c);
    const o = outs[i]!;
    if (o.v0 !== w.v0 || o.fpsr !== (w.fpsr ?? 0)) {
      if (bad.length < 4) bad.push(`${name}: v0=${c.v0!.toString(16)} v1=${c.v1!.toString(16)} v2=${c.v2!.toString(16)} v3=${c.v3!.toString(16)} fpcr=${c.fpcr?.toString(16)}\n  got  ${o.v0.toString(16)} fpsr ${o.fpsr.toString(16)}\n  want ${w.v0.toString(16)} fpsr ${(w.fpsr ?? 0).toString(16)}`);
    }
  });
  expect(bad.join('\n'), name).toBe('');
}

const ARR: [number, number][] = [[0, 0], [1, 0], [0, 1], [1, 1], [0, 2], [1, 2], [1, 3]]; // [Q, size]
const arrName = (q: number, size: number) => `${q ? 128 / (8 << size) : 64 / (8 << size)}${'bhsd'[size]}`;

// ---- integer three-same -----------------------------------------------------
type Int3 = (a: bigint, b: bigint, d: bigint, bits: number, sat: { qc: boolean }) => bigint;
const clampU = (v: bigint, bits: number, sat: { qc: boolean }) => (v < 0n ? ((sat.qc = true), 0n) : v > mask(bits) ? ((sat.qc = true), mask(bits)) : v);
const clampS = (v: bigint, bits: number, sat: { qc: boolean }) => {
  const hi = mask(bits - 1), lo = -(1n << BigInt(bits - 1));
  return v > hi ? ((sat.qc = true), hi) : v < lo ? ((sat.qc = true), lo) : v;
};
const shl = (v: bigint, s: bigint, bits: number, signed: boolean) => {
  const x = signed ? sgn(v, bits) : v;
  return s >= 0n ? x << s : x >> -s;
};
const INT3: { name: string; u: number; opc: number; sizes: number[]; f: Int3; pairwise?: boolean }[] = [
  { name: 'shadd', u: 0, opc: 0, sizes: [0, 1, 2], f: (a, b, _d, n) => (sgn(a, n) + sgn(b, n)) >> 1n },
  { name: 'uhadd', u: 1, opc: 0, sizes: [0, 1, 2], f: (a, b) => (a + b) >> 1n },
  { name: 'sqadd', u: 0, opc: 1, sizes: [0, 1, 2, 3], f: (a, b, _d, n, s) => clampS(sgn(a, n) + sgn(b, n), n, s) },
  { name: 'uqadd', u: 1, opc: 1, sizes: [0, 1, 2, 3], f: (a, b, _d, n, s) => clampU(a + b, n, s) },
  { name: 'srhadd', u: 0, opc: 2, sizes: [0, 1, 2], f: (a, b, _d, n) => (sgn(a, n) + sgn(b, n) + 1n) >> 1n },
  { name: 'urhadd', u: 1, opc: 2, sizes: [0, 1, 2], f: (a, b) => (a + b + 1n) >> 1n },
  { name: 'shsub', u: 0, opc: 4, sizes: [0, 1, 2], f: (a, b, _d, n) => (sgn(a, n) - sgn(b, n)) >> 1n },
  { name: 'uhsub', u: 1, opc: 4, sizes: [0, 1, 2], f: (a, b) => (a - b) >> 1n },
  { name: 'sqsub', u: 0, opc: 5, sizes: [0, 1, 2, 3], f: (a, b, _d, n, s) => clampS(sgn(a, n) - sgn(b, n), n, s) },
  { name: 'uqsub', u: 1, opc: 5, sizes: [0, 1, 2, 3], f: (a, b, _d, n, s) => clampU(a - b, n, s) },
  { name: 'cmgt', u: 0, opc: 6, sizes: [0, 1, 2, 3], f: (a, b, _d, n) => (sgn(a, n) > sgn(b, n) ? -1n : 0n) },
  { name: 'cmhi', u: 1, opc: 6, sizes: [0, 1, 2, 3], f: (a, b) => (a > b ? -1n : 0n) },
  { name: 'cmge', u: 0, opc: 7, sizes: [0, 1, 2, 3], f: (a, b, _d, n) => (sgn(a, n) >= sgn(b, n) ? -1n : 0n) },
  { name: 'cmhs', u: 1, opc: 7, sizes: [0, 1, 2, 3], f: (a, b) => (a >= b ? -1n : 0n) },
  { name: 'sshl', u: 0, opc: 8, sizes: [0, 1, 2, 3], f: (a, b, _d, n) => shl(a, sgn(b & 0xffn, 8), n, true) },
  { name: 'ushl', u: 1, opc: 8, sizes: [0, 1, 2, 3], f: (a, b, _d, n) => shl(a, sgn(b & 0xffn, 8), n, false) },
  { name: 'smax', u: 0, opc: 12, sizes: [0, 1, 2], f: (a, b, _d, n) => (sgn(a, n) > sgn(b, n) ? a : b) },
  { name: 'umax', u: 1, opc: 12, sizes: [0, 1, 2], f: (a, b) => (a > b ? a : b) },
  { name: 'smin', u: 0, opc: 13, sizes: [0, 1, 2], f: (a, b, _d, n) => (sgn(a, n) < sgn(b, n) ? a : b) },
  { name: 'umin', u: 1, opc: 13, sizes: [0, 1, 2], f: (a, b) => (a < b ? a : b) },
  { name: 'sabd', u: 0, opc: 14, sizes: [0, 1, 2], f: (a, b, _d, n) => { const x = sgn(a, n) - sgn(b, n); return x < 0n ? -x : x; } },
  { name: 'uabd', u: 1, opc: 14, sizes: [0, 1, 2], f: (a, b) => (a > b ? a - b : b - a) },
  { name: 'saba', u: 0, opc: 15, sizes: [0, 1, 2], f: (a, b, d, n) => { const x = sgn(a, n) - sgn(b, n); return d + (x < 0n ? -x : x); } },
  { name: 'uaba', u: 1, opc: 15, sizes: [0, 1, 2], f: (a, b, d) => d + (a > b ? a - b : b - a) },
  { name: 'add', u: 0, opc: 16, sizes: [0, 1, 2, 3], f: (a, b) => a + b },
  { name: 'sub', u: 1, opc: 16, sizes: [0, 1, 2, 3], f: (a, b) => a - b },
  { name: 'cmtst', u: 0, opc: 17, sizes: [0, 1, 2, 3], f: (a, b) => ((a & b) !== 0n ? -1n : 0n) },
  { name: 'cmeq', u: 1, opc: 17, sizes: [0, 1, 2, 3], f: (a, b) => (a === b ? -1n : 0n) },
  { name: 'mla', u: 0, opc: 18, sizes: [0, 1, 2], f: (a, b, d) => d + a * b },
  { name: 'mls', u: 1, opc: 18, sizes: [0, 1, 2], f: (a, b, d) => d - a * b },
  { name: 'mul', u: 0, opc: 19, sizes: [0, 1, 2], f: (a, b) => a * b },
  { name: 'pmul', u: 1, opc: 19, sizes: [0], f: (a, b) => { let r = 0n; for (let i = 0n; i < 8n; i++) if ((b >> i) & 1n) r ^= a << i; return r; } },
  { name: 'smaxp', u: 0, opc: 20, sizes: [0, 1, 2], pairwise: true, f: (a, b, _d, n) => (sgn(a, n) > sgn(b, n) ? a : b) },
  { name: 'umaxp', u: 1, opc: 20, sizes: [0, 1, 2], pairwise: true, f: (a, b) => (a > b ? a : b) },
  { name: 'sminp', u: 0, opc: 21, sizes: [0, 1, 2], pairwise: true, f: (a, b, _d, n) => (sgn(a, n) < sgn(b, n) ? a : b) },
  { name: 'uminp', u: 1, opc: 21, sizes: [0, 1, 2], pairwise: true, f: (a, b) => (a < b ? a : b) },
  { name: 'addp', u: 0, opc: 23, sizes: [0, 1, 2, 3], pairwise: true, f: (a, b) => a + b },
];

function ref3(op: (typeof INT3)[number], q: number, size: number, c: FpCase, scalar = false) {
  const bits = 8 << size;
  const cnt = scalar ? 1 : (q ? 128 : 64) / bits;
  const A = lanes(c.v1!, bits), B = lanes(c.v2!, bits), D = lanes(c.v0!, bits);
  const sat = { qc: false };
  const out: bigint[] = [];
  for (let e = 0; e < cnt; e++) {
    if (op.pairwise) {
      const cat = [...A.slice(0, cnt), ...B.slice(0, cnt)];
      out.push(op.f(cat[2 * e]!, cat[2 * e + 1]!, 0n, bits, sat));
    } else out.push(op.f(A[e]!, B[e]!, D[e]!, bits, sat));
  }
  return { v0: pack(out, bits), fpsr: sat.qc ? QC : 0 };
}

describe('AdvSIMD integer three-same', () => {
  for (const op of INT3) {
    it(op.name, () => {
      const cs = cases(op.opc * 2 + op.u + 11);
      for (const [q, size] of ARR) {
        if (!op.sizes.includes(size)) continue;
        const w = 0x0e200400 | (q << 30) | (op.u << 29) | (size << 22) | (2 << 16) | (op.opc << 11) | (1 << 5);
        expectBatch(`${op.name} .${arrName(q, size)}`, inst(w), cs, (c) => ref3(op, q, size, c));
      }
    });
  }
  it('scalar forms: add/sub/cmeq/cmtst/cmgt/cmhi/cmge/cmhs/sshl/ushl (D), sqadd/uqadd/sqsub/uqsub (B/H/S/D)', () => {
    const cs = cases(77);
    for (const op of INT3) {
      const sizes = op.opc === 1 || op.opc === 5 ? [0, 1, 2, 3] : [6, 7, 8, 16, 17].includes(op.opc) ? [3] : [];
      for (const size of sizes) {
        const w = 0x5e200400 | (op.u << 29) | (size << 22) | (2 << 16) | (op.opc << 11) | (1 << 5);
        expectBatch(`${op.name} scalar size ${size}`, inst(w), cs, (c) => ref3(op, 0, size, c, true));
      }
    }
  });
  it('reserved arrangements are UNDEFINED (e.g. add .1d, mul .2d)', () => {
    for (const w of [0x0e200400 | (3 << 22) | (16 << 11), 0x4e200400 | (3 << 22) | (19 << 11)]) {
      const r = run(`${inst(w)}\n${END}`);
      expect(r.vector).toBe(VEC.curSpxSync);
    }
  });
});

// ---- two-register misc -----------------------------------------------------
const rbit8 = (x: bigint) => { let r = 0n; for (let i = 0n; i < 8n; i++) r |= ((x >> i) & 1n) << (7n - i); return r; };
const clzN = (x: bigint, n: number) => { let c = 0; for (let i = n - 1; i >= 0 && ((x >> BigInt(i)) & 1n) === 0n; i--) c++; return BigInt(c); };
describe('AdvSIMD two-register misc', () => {
  const cs = cases(99);
  const simple: { name: string; u: number; opc: number; sizes: number[]; bytes?: boolean; f: (a: bigint, n: number) => bigint }[] = [
    { name: 'cls', u: 0, opc: 4, sizes: [0, 1, 2], f: (a, n) => { const s = sgn(a, n); return clzN(s < 0n ? ~s & mask(n) : s, n) - 1n; } },
    { name: 'clz', u: 1, opc: 4, sizes: [0, 1, 2], f: (a, n) => clzN(a, n) },
    { name: 'cnt', u: 0, opc: 5, sizes: [0], f: (a) => BigInt(a.toString(2).split('1').length - 1) },
    { name: 'not', u: 1, opc: 5, sizes: [0], f: (a) => ~a },
    { name: 'rbit', u: 1, opc: 5, sizes: [1], bytes: true, f: (a) => rbit8(a) },
    { name: 'cmgt #0', u: 0, opc: 8, sizes: [0, 1, 2, 3], f: (a, n) => (sgn(a, n) > 0n ? -1n : 0n) },
    { name: 'cmge #0', u: 1, opc: 8, sizes: [0, 1, 2, 3], f: (a, n) => (sgn(a, n) >= 0n ? -1n : 0n) },
    { name: 'cmeq #0', u: 0, opc: 9, sizes: [0, 1, 2, 3], f: (a) => (a === 0n ? -1n : 0n) },
    { name: 'cmle #0', u: 1, opc: 9, sizes: [0, 1, 2, 3], f: (a, n) => (sgn(a, n) <= 0n ? -1n : 0n) },
    { name: 'cmlt #0', u: 0, opc: 10, sizes: [0, 1, 2, 3], f: (a, n) => (sgn(a, n) < 0n ? -1n : 0n) },
    { name: 'abs', u: 0, opc: 11, sizes: [0, 1, 2, 3], f: (a, n) => { const s = sgn(a, n); return s < 0n ? -s : s; } },
    { name: 'neg', u: 1, opc: 11, sizes: [0, 1, 2, 3], f: (a) => -a },
  ];
  for (const op of simple) {
    it(op.name, () => {
      for (const [q, size] of ARR) {
        if (!op.sizes.includes(size)) continue;
        const bits = op.bytes ? 8 : 8 << size;
        const w = 0x0e200800 | (q << 30) | (op.u << 29) | (size << 22) | (op.opc << 12) | (1 << 5);
        expectBatch(`${op.name} .${arrName(q, size)}`, inst(w), cs, (c) => ({
          v0: pack(lanes(c.v1!, bits, (q ? 128 : 64) / bits).map((a) => op.f(a, bits)), bits),
        }));
      }
    });
  }
  it('rev16/rev32/rev64', () => {
    for (const [name, u, opc, cont] of [['rev64', 0, 0, 64], ['rev32', 1, 0, 32], ['rev16', 0, 1, 16]] as const) {
      for (const [q, size] of ARR) {
        const bits = 8 << size;
        if (bits >= cont) continue;
        const w = 0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | (1 << 5);
        expectBatch(`${name} .${arrName(q, size)}`, inst(w), cs, (c) => {
          const A = lanes(c.v1!, bits, (q ? 128 : 64) / bits);
          const per = cont / bits;
          return { v0: pack(A.map((_, e) => A[e - (e % per) + per - 1 - (e % per)]!), bits) };
        });
      }
    }
  });
  it('saddlp/uaddlp/sadalp/uadalp', () => {
    for (const [u, opc] of [[0, 2], [1, 2], [0, 6], [1, 6]] as const) {
      for (const [q, size] of ARR) {
        if (size === 3) continue;
        const bits = 8 << size;
        const w = 0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | (1 << 5);
        expectBatch(`addlp u${u} opc${opc} .${arrName(q, size)}`, inst(w), cs, (c) => {
          const A = lanes(c.v1!, bits, (q ? 128 : 64) / bits).map((x) => (u ? x : sgn(x, bits)));
          const D = lanes(c.v0!, bits * 2);
          return { v0: pack(A.filter((_, i) => i % 2 === 0).map((x, i) => x + A[2 * i + 1]! + (opc === 6 ? D[i]! : 0n)), bits * 2) };
        });
      }
    }
  });
  it('xtn/xtn2, sqxtn, uqxtn, sqxtun (QC on saturation)', () => {
    for (const [name, u, opc] of [['xtn', 0, 18], ['sqxtun', 1, 18], ['sqxtn', 0, 20], ['uqxtn', 1, 20]] as const) {
      for (const q of [0, 1]) {
        for (const size of [0, 1, 2]) {
          const bits = 8 << size;
          const w = 0x0e200800 | (q << 30) | (u << 29) | (size << 22) | (opc << 12) | (1 << 5);
          expectBatch(`${name}${q ? '2' : ''} ${bits}`, inst(w), cs, (c) => {
            const sat = { qc: false };
            const W = lanes(c.v1!, bits * 2);
            const nar = W.map((x) => name === 'xtn' ? x : name === 'sqxtun' ? clampU(sgn(x, bits * 2), bits, sat) : name === 'sqxtn' ? clampS(sgn(x, bits * 2), bits, sat) : clampU(x, bits, sat));
            const low = q ? c.v0! & mask(64) : 0n;
            return { v0: q ? low | (pack(nar, bits) << 64n) : pack(nar, bits), fpsr: sat.qc ? QC : 0 };
          });
        }
      }
    }
  });
});

describe('AdvSIMD across lanes', () => {
  const cs = cases(123);
  const ops: { name: string; u: number; opc: number; f: (xs: bigint[], n: number) => bigint; wide?: boolean }[] = [
    { name: 'addv', u: 0, opc: 27, f: (xs) => xs.reduce((a, b) => a + b) },
    { name: 'saddlv', u: 0, opc: 3, wide: true, f: (xs, n) => xs.reduce((a, b) => a + sgn(b, n), 0n) },
    { name: 'uaddlv', u: 1, opc: 3, wide: true, f: (xs) => xs.reduce((a, b) => a + b) },
    { name: 'smaxv', u: 0, opc: 10, f: (xs, n) => xs.reduce((a, b) => (sgn(b, n) > sgn(a, n) ? b : a)) },
    { name: 'umaxv', u: 1, opc: 10, f: (xs) => xs.reduce((a, b) => (b > a ? b : a)) },
    { name: 'sminv', u: 0, opc: 26, f: (xs, n) => xs.reduce((a, b) => (sgn(b, n) < sgn(a, n) ? b : a)) },
    { name: 'uminv', u: 1, opc: 26, f: (xs) => xs.reduce((a, b) => (b < a ? b : a)) },
  ];
  for (const op of ops) {
    it(op.name, () => {
      for (const [q, size] of ARR) {
        if (size === 3 || (size === 2 && q === 0)) continue;
        const bits = 8 << size;
        const w = 0x0e300800 | (q << 30) | (op.u << 29) | (size << 22) | (op.opc << 12) | (1 << 5);
        expectBatch(`${op.name} .${arrName(q, size)}`, inst(w), cs, (c) => {
          const r = op.f(lanes(c.v1!, bits, (q ? 128 : 64) / bits), bits);
          const ob = op.wide ? bits * 2 : bits;
          return { v0: r & mask(ob) };
        });
      }
    });
  }
});

// ---- shifts by immediate -------------------------------------------------------
describe('AdvSIMD shift by immediate', () => {
  const cs = cases(321, 48);
  const rsh = (a: bigint, s: number, n: number, signed: boolean, round: boolean) => {
    const x = signed ? sgn(a, n) : a;
    return (round ? x + (1n << BigInt(s - 1)) : x) >> BigInt(s);
  };
  const ops: { name: string; u: number; opc: number; right: boolean; f: (a: bigint, d: bigint, s: number, n: number) => bigint }[] = [
    { name: 'sshr', u: 0, opc: 0, right: true, f: (a, _d, s, n) => rsh(a, s, n, true, false) },
    { name: 'ushr', u: 1, opc: 0, right: true, f: (a, _d, s, n) => rsh(a, s, n, false, false) },
    { name: 'ssra', u: 0, opc: 2, right: true, f: (a, d, s, n) => d + rsh(a, s, n, true, false) },
    { name: 'usra', u: 1, opc: 2, right: true, f: (a, d, s, n) => d + rsh(a, s, n, false, false) },
    { name: 'srshr', u: 0, opc: 4, right: true, f: (a, _d, s, n) => rsh(a, s, n, true, true) },
    { name: 'urshr', u: 1, opc: 4, right: true, f: (a, _d, s, n) => rsh(a, s, n, false, true) },
    { name: 'srsra', u: 0, opc: 6, right: true, f: (a, d, s, n) => d + rsh(a, s, n, true, true) },
    { name: 'ursra', u: 1, opc: 6, right: true, f: (a, d, s, n) => d + rsh(a, s, n, false, true) },
    { name: 'sri', u: 1, opc: 8, right: true, f: (a, d, s, n) => (s === n ? d : (d & ~(mask(n) >> BigInt(s))) | (a >> BigInt(s))) },
    { name: 'shl', u: 0, opc: 10, right: false, f: (a, _d, s) => a << BigInt(s) },
    { name: 'sli', u: 1, opc: 10, right: false, f: (a, d, s) => (d & mask(s)) | (a << BigInt(s)) },
  ];
  for (const op of ops) {
    it(op.name, () => {
      for (const [q, size] of ARR) {
        const bits = 8 << size;
        for (const s of op.right ? [1, 3, bits - 1, bits] : [0, 1, bits - 1]) {
          const immhb = op.right ? 2 * bits - s : bits + s;
          const w = 0x0f000400 | (q << 30) | (op.u << 29) | (immhb << 16) | (op.opc << 11) | (1 << 5);
          const cnt = (q ? 128 : 64) / bits;
          expectBatch(`${op.name} .${arrName(q, size)} #${s}`, inst(w), cs, (c) => ({
            v0: pack(lanes(c.v1!, bits, cnt).map((a, i) => op.f(a, lanes(c.v0!, bits)[i]!, s, bits)), bits),
          }));
          if (size === 3 && q === 1 && op.opc !== 10 || (size === 3 && q === 1 && op.opc === 10)) {
            const ws = 0x5f000400 | (op.u << 29) | (immhb << 16) | (op.opc << 11) | (1 << 5);
            expectBatch(`${op.name} d #${s}`, inst(ws), cs, (c) => ({ v0: op.f(c.v1! & mask(64), c.v0! & mask(64), s, 64) & mask(64) }));
          }
        }
      }
    });
  }
  it('shrn/rshrn(2), sshll/ushll(2) (incl. uxtl/sxtl)', () => {
    for (const q of [0, 1]) {
      for (const size of [0, 1, 2]) {
        const bits = 8 << size;
        for (const s of [1, bits - 1, bits]) {
          for (const round of [0, 1]) {
            const w = 0x0f000400 | (q << 30) | ((2 * bits - s) << 16) | ((16 + round) << 11) | (1 << 5);
            expectBatch(`${round ? 'r' : ''}shrn${q ? 2 : ''} ${bits} #${s}`, inst(w), cs, (c) => {
              const nar = lanes(c.v1!, bits * 2).map((x) => rsh(x, s, bits * 2, false, round === 1));
              return { v0: q ? (c.v0! & mask(64)) | (pack(nar, bits) << 64n) : pack(nar, bits) };
            });
          }
        }
        for (const s of [0, 3, bits - 1]) {
          for (const u of [0, 1]) {
            const w = 0x0f000400 | (q << 30) | (u << 29) | ((bits + s) << 16) | (20 << 11) | (1 << 5);
            expectBatch(`${u ? 'u' : 's'}shll${q ? 2 : ''} ${bits} #${s}`, inst(w), cs, (c) => {
              const src = lanes(c.v1!, bits).slice(q ? 64 / bits : 0, (q ? 64 / bits : 0) + 64 / bits);
              return { v0: pack(src.map((x) => (u ? x : sgn(x, bits)) << BigInt(s)), bits * 2) };
            });
          }
        }
      }
    }
  });
});

// ---- permutes, EXT, TBL -------------------------------------------------------
describe('AdvSIMD permute, EXT, TBL/TBX', () => {
  const cs = cases(555);
  it('zip/uzp/trn', () => {
    for (const [name, opc] of [['uzp1', 1], ['trn1', 2], ['zip1', 3], ['uzp2', 5], ['trn2', 6], ['zip2', 7]] as const) {
      for (const [q, size] of ARR) {
        const bits = 8 << size;
        const cnt = (q ? 128 : 64) / bits;
        const w = 0x0e000800 | (q << 30) | (size << 22) | (2 << 16) | (opc << 12) | (1 << 5);
        expectBatch(`${name} .${arrName(q, size)}`, inst(w), cs, (c) => {
          const A = lanes(c.v1!, bits, cnt), B = lanes(c.v2!, bits, cnt);
          const part = opc >> 2;
          const out = A.map((_, e) => {
            if ((opc & 3) === 1) { const cat = [...A, ...B]; return cat[2 * e + part]!; }
            if ((opc & 3) === 2) return (e & 1 ? B : A)[(e & ~1) + part]!;
            return (e & 1 ? B : A)[part * (cnt / 2) + (e >> 1)]!;
          });
          return { v0: pack(out, bits) };
        });
      }
    }
  });
  it('ext', () => {
    for (const q of [0, 1]) {
      for (let imm = 0; imm < (q ? 16 : 8); imm += 3) {
        const w = 0x2e000000 | (q << 30) | (2 << 16) | (imm << 11) | (1 << 5);
        expectBatch(`ext ${q} #${imm}`, inst(w), cs, (c) => {
          const nb = q ? 16 : 8;
          const cat = [...lanes(c.v1!, 8, nb), ...lanes(c.v2!, 8, nb)];
          return { v0: pack(cat.slice(imm, imm + nb), 8) };
        });
      }
    }
  });
  it('tbl/tbx with 1-4 table registers (aliasing the destination and the index)', () => {
    const r = new Rng(5);
    const tc = cases(556).map((c) => ({ ...c, v3: pack(Array.from({ length: 16 }, () => BigInt(r.int(70))), 8) }));
    for (const q of [0, 1]) {
      for (let len = 0; len < 4; len++) {
        for (const tbx of [0, 1]) {
          const w = 0x0e000000 | (q << 30) | (3 << 16) | (len << 13) | (tbx << 12) | (0 << 5) | 0;
          expectBatch(`${tbx ? 'tbx' : 'tbl'} q${q} len${len + 1}`, inst(w), tc, (c) => {
            const table = [c.v0!, c.v1!, c.v2!, c.v3!].slice(0, len + 1).flatMap((v) => lanes(v, 8));
            const idx = lanes(c.v3!, 8, q ? 16 : 8);
            const old = lanes(c.v0!, 8);
            return { v0: pack(idx.map((i, k) => (i < BigInt(table.length) ? table[Number(i)]! : tbx ? old[k]! : 0n)), 8) };
          });
        }
      }
    }
  });
});

// ---- three different, by element ---------------------------------------------
describe('AdvSIMD three different and by element', () => {
  const cs = cases(777);
  const ops: { name: string; opc: number; wideN?: boolean; f: (a: bigint, b: bigint, d: bigint) => bigint }[] = [
    { name: 'addl', opc: 0, f: (a, b) => a + b }, { name: 'addw', opc: 1, wideN: true, f: (a, b) => a + b },
    { name: 'subl', opc: 2, f: (a, b) => a - b }, { name: 'subw', opc: 3, wideN: true, f: (a, b) => a - b },
    { name: 'abal', opc: 5, f: (a, b, d) => d + (a > b ? a - b : b - a) }, { name: 'abdl', opc: 7, f: (a, b) => (a > b ? a - b : b - a) },
    { name: 'mlal', opc: 8, f: (a, b, d) => d + a * b }, { name: 'mlsl', opc: 10, f: (a, b, d) => d - a * b },
    { name: 'mull', opc: 12, f: (a, b) => a * b },
  ];
  for (const op of ops) {
    it(`[su]${op.name}(2)`, () => {
      for (const u of [0, 1]) {
        for (const q of [0, 1]) {
          for (const size of [0, 1, 2]) {
            const bits = 8 << size;
            const w = 0x0e200000 | (q << 30) | (u << 29) | (size << 22) | (2 << 16) | (op.opc << 12) | (1 << 5);
            expectBatch(`${u ? 'u' : 's'}${op.name}${q ? 2 : ''} ${bits}`, inst(w), cs, (c) => {
              const cnt = 64 / bits, base = q ? cnt : 0;
              const ext = (x: bigint, n: number) => (u ? x : sgn(x, n));
              const A = op.wideN ? lanes(c.v1!, bits * 2).map((x) => ext(x, bits * 2)) : lanes(c.v1!, bits).slice(base, base + cnt).map((x) => ext(x, bits));
              const B = lanes(c.v2!, bits).slice(base, base + cnt).map((x) => ext(x, bits));
              const D = lanes(c.v0!, bits * 2);
              return { v0: pack(B.map((b, i) => op.f(A[i]!, b, D[i]!)), bits * 2) };
            });
          }
        }
      }
    });
  }
  it('addhn/raddhn/subhn/rsubhn(2), pmull(2) .8h', () => {
    for (const [u, opc] of [[0, 4], [1, 4], [0, 6], [1, 6]] as const) {
      for (const q of [0, 1]) {
        for (const size of [0, 1, 2]) {
          const bits = 8 << size;
          const w = 0x0e200000 | (q << 30) | (u << 29) | (size << 22) | (2 << 16) | (opc << 12) | (1 << 5);
          expectBatch(`hn u${u} opc${opc} ${bits}`, inst(w), cs, (c) => {
            const A = lanes(c.v1!, bits * 2), B = lanes(c.v2!, bits * 2);
            const nar = A.map((a, i) => ((opc === 4 ? a + B[i]! : a - B[i]!) + (u ? 1n << BigInt(bits - 1) : 0n)) >> BigInt(bits));
            return { v0: q ? (c.v0! & mask(64)) | (pack(nar, bits) << 64n) : pack(nar, bits) };
          });
        }
      }
    }
    for (const q of [0, 1]) {
      const w = 0x0e200000 | (q << 30) | (2 << 16) | (14 << 12) | (1 << 5);
      expectBatch(`pmull${q ? 2 : ''}`, inst(w), cs, (c) => {
        const A = lanes(c.v1!, 8).slice(q * 8, q * 8 + 8), B = lanes(c.v2!, 8).slice(q * 8, q * 8 + 8);
        return { v0: pack(A.map((a, i) => { let r = 0n; for (let k = 0n; k < 8n; k++) if ((B[i]! >> k) & 1n) r ^= a << k; return r; }), 16) };
      });
    }
  });
  it('mul/mla/mls by element, [su]mull/[su]mlal/[su]mlsl by element', () => {
    for (const size of [1, 2]) {
      const bits = 8 << size;
      for (let idx = 0; idx < 128 / bits; idx += 3) {
        const h = size === 1 ? idx >> 2 : idx >> 1, l = size === 1 ? (idx >> 1) & 1 : idx & 1, m = size === 1 ? idx & 1 : 0;
        for (const [name, u, opc] of [['mul', 0, 8], ['mla', 1, 0], ['mls', 1, 4]] as const) {
          for (const q of [0, 1]) {
            const w = 0x0f000000 | (q << 30) | (u << 29) | (size << 22) | (l << 21) | (m << 20) | (2 << 16) | (opc << 12) | (h << 11) | (1 << 5);
            expectBatch(`${name} ${bits} [${idx}]`, inst(w), cs, (c) => {
              const e = lanes(c.v2!, bits)[idx]!;
              const D = lanes(c.v0!, bits);
              return { v0: pack(lanes(c.v1!, bits, (q ? 128 : 64) / bits).map((a, i) => (opc === 8 ? a * e : opc === 0 ? D[i]! + a * e : D[i]! - a * e)), bits) };
            });
          }
        }
        for (const [name, opc] of [['mull', 10], ['mlal', 2], ['mlsl', 6]] as const) {
          for (const u of [0, 1]) {
            const q = 1;
            const w = 0x0f000000 | (q << 30) | (u << 29) | (size << 22) | (l << 21) | (m << 20) | (2 << 16) | (opc << 12) | (h << 11) | (1 << 5);
            expectBatch(`${u ? 'u' : 's'}${name}2 ${bits} [${idx}]`, inst(w), cs, (c) => {
              const ext = (x: bigint) => (u ? x : sgn(x, bits));
              const e = ext(lanes(c.v2!, bits)[idx]!);
              const D = lanes(c.v0!, bits * 2);
              const A = lanes(c.v1!, bits).slice(64 / bits).map(ext);
              return { v0: pack(A.map((a, i) => (opc === 10 ? a * e : opc === 2 ? D[i]! + a * e : D[i]! - a * e)), bits * 2) };
            });
          }
        }
      }
    }
  });
  it('scalar: addp d, dup/mov (element, scalar)', () => {
    expectBatch('addp d0, v1.2d', inst(0x5e300800 | (3 << 22) | (27 << 12) | (1 << 5)), cs, (c) => ({ v0: (lanes(c.v1!, 64)[0]! + lanes(c.v1!, 64)[1]!) & mask(64) }));
    for (const [size, idx] of [[0, 13], [1, 5], [2, 3], [3, 1]] as const) {
      const imm5 = ((idx << 1) | 1) << size;
      const bits = 8 << size;
      expectBatch(`mov scalar ${bits}[${idx}]`, inst(0x5e000400 | (imm5 << 16) | (1 << 5)), cs, (c) => ({ v0: lanes(c.v1!, bits)[idx]! }));
    }
  });
});

// ---- floating-point vector ---------------------------------------------------
function fpCases(seed: number, n: number, count = 80): FpCase[] {
  const r = new Rng(seed);
  const mk = () => pack(Array.from({ length: 128 / n }, () => operand(r, n)), n);
  return Array.from({ length: count }, () => ({ v0: mk(), v1: mk(), v2: mk(), v3: mk(), fpcr: randFpcr(r) }));
}
describe('AdvSIMD floating point (vector and scalar forms) vs reference', () => {
  type F3 = (s: R.FpState, a: bigint, b: bigint, d: bigint, n: number) => bigint;
  const ones = (n: number) => mask(n);
  const sbit = (n: number) => 1n << BigInt(n - 1);
  const ops3: { name: string; u: number; a: number; opc: number; pair?: boolean; scalar?: boolean; f: F3 }[] = [
    { name: 'fmaxnm', u: 0, a: 0, opc: 24, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, true, true) },
    { name: 'fminnm', u: 0, a: 1, opc: 24, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, false, true) },
    { name: 'fmaxnmp', u: 1, a: 0, opc: 24, pair: true, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, true, true) },
    { name: 'fminnmp', u: 1, a: 1, opc: 24, pair: true, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, false, true) },
    { name: 'fmla', u: 0, a: 0, opc: 25, f: (s, x, y, d, n) => R.fma(s, d, x, y, n) },
    { name: 'fmls', u: 0, a: 1, opc: 25, f: (s, x, y, d, n) => R.fma(s, d, x ^ sbit(n), y, n) },
    { name: 'fadd', u: 0, a: 0, opc: 26, f: (s, x, y, _d, n) => R.add(s, x, y, n) },
    { name: 'fsub', u: 0, a: 1, opc: 26, f: (s, x, y, _d, n) => R.add(s, x, y, n, true) },
    { name: 'faddp', u: 1, a: 0, opc: 26, pair: true, f: (s, x, y, _d, n) => R.add(s, x, y, n) },
    { name: 'fabd', u: 1, a: 1, opc: 26, scalar: true, f: (s, x, y, _d, n) => R.add(s, x, y, n, true) & ~sbit(n) },
    { name: 'fmul', u: 1, a: 0, opc: 27, f: (s, x, y, _d, n) => R.mul(s, x, y, n) },
    { name: 'fcmeq', u: 0, a: 0, opc: 28, scalar: true, f: (s, x, y, _d, n) => (R.compare(s, x, y, n, false) === 6 ? ones(n) : 0n) },
    { name: 'fcmge', u: 1, a: 0, opc: 28, scalar: true, f: (s, x, y, _d, n) => ([6, 2].includes(R.compare(s, x, y, n, true)) ? ones(n) : 0n) },
    { name: 'fcmgt', u: 1, a: 1, opc: 28, scalar: true, f: (s, x, y, _d, n) => (R.compare(s, x, y, n, true) === 2 ? ones(n) : 0n) },
    { name: 'facge', u: 1, a: 0, opc: 29, scalar: true, f: (s, x, y, _d, n) => ([6, 2].includes(R.compare(s, x & ~sbit(n), y & ~sbit(n), n, true)) ? ones(n) : 0n) },
    { name: 'facgt', u: 1, a: 1, opc: 29, scalar: true, f: (s, x, y, _d, n) => (R.compare(s, x & ~sbit(n), y & ~sbit(n), n, true) === 2 ? ones(n) : 0n) },
    { name: 'fmax', u: 0, a: 0, opc: 30, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, true, false) },
    { name: 'fmin', u: 0, a: 1, opc: 30, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, false, false) },
    { name: 'fmaxp', u: 1, a: 0, opc: 30, pair: true, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, true, false) },
    { name: 'fminp', u: 1, a: 1, opc: 30, pair: true, f: (s, x, y, _d, n) => R.minmax(s, x, y, n, false, false) },
    { name: 'fdiv', u: 1, a: 0, opc: 31, f: (s, x, y, _d, n) => R.div(s, x, y, n) },
  ];
  for (const op of ops3) {
    it(op.name, () => {
      for (const [q, sz] of [[0, 0], [1, 0], [1, 1]] as const) {
        const n = sz ? 64 : 32;
        const cs = fpCases(op.opc * 4 + op.u * 2 + op.a + sz * 100 + q * 7, n, 60);
        const size = (op.a << 1) | sz;
        const w = 0x0e200400 | (q << 30) | (op.u << 29) | (size << 22) | (2 << 16) | (op.opc << 11) | (1 << 5);
        expectBatch(`${op.name} q${q} ${n}`, inst(w), cs, (c) => {
          const s = new R.FpState(c.fpcr!);
          const cnt = (q ? 128 : 64) / n;
          const A = lanes(c.v1!, n, cnt), B = lanes(c.v2!, n, cnt), D = lanes(c.v0!, n);
          const out = A.map((_, e) => {
            if (op.pair) { const cat = [...A, ...B]; return op.f(s, cat[2 * e]!, cat[2 * e + 1]!, 0n, n); }
            return op.f(s, A[e]!, B[e]!, D[e]!, n);
          });
          return { v0: pack(out, n), fpsr: s.flags };
        });
        if (op.scalar && q === 1) {
          const ws = 0x5e200400 | (op.u << 29) | (size << 22) | (2 << 16) | (op.opc << 11) | (1 << 5);
          expectBatch(`${op.name} scalar ${n}`, inst(ws), cs, (c) => {
            const s = new R.FpState(c.fpcr!);
            return { v0: op.f(s, c.v1! & mask(n), c.v2! & mask(n), 0n, n), fpsr: s.flags };
          });
        }
      }
    });
  }
  it('fmulx (vector and scalar): 0 * inf = 2.0', () => {
    for (const sz of [0, 1]) {
      const n = sz ? 64 : 32;
      const cs = fpCases(4242 + sz, n, 60);
      const f = (s: R.FpState, x: bigint, y: bigint) => {
        const X = R.unpack(new R.FpState(s.fpcr), x, n), Y = R.unpack(new R.FpState(s.fpcr), y, n);
        const nanish = ['qnan', 'snan'];
        if (!nanish.includes(X.kind) && !nanish.includes(Y.kind) && ((X.kind === 'inf' && Y.kind === 'zero') || (X.kind === 'zero' && Y.kind === 'inf'))) {
          R.unpack(s, x, n); R.unpack(s, y, n); // IDC from flushed inputs
          return (BigInt(X.sign ^ Y.sign) << BigInt(n - 1)) | (n === 64 ? 0x4000000000000000n : 0x40000000n);
        }
        return R.mul(s, x, y, n);
      };
      const w = 0x4e200400 | (sz << 22) | (2 << 16) | (27 << 11) | (1 << 5);
      expectBatch(`fmulx ${n}`, inst(w), cs, (c) => {
        const s = new R.FpState(c.fpcr!);
        const A = lanes(c.v1!, n), B = lanes(c.v2!, n);
        return { v0: pack(A.map((a, i) => f(s, a, B[i]!)), n), fpsr: s.flags };
      });
    }
  });
  it('two-register misc: fabs fneg fsqrt frint* fcvt* scvtf ucvtf fcm*0', () => {
    type F1 = (s: R.FpState, x: bigint, n: number) => bigint;
    const m2: { name: string; u: number; a: number; opc: number; scalar?: boolean; f: F1 }[] = [
      { name: 'fcmgt0', u: 0, a: 1, opc: 12, scalar: true, f: (s, x, n) => (R.compare(s, x, 0n, n, true) === 2 ? mask(n) : 0n) },
      { name: 'fcmge0', u: 1, a: 1, opc: 12, scalar: true, f: (s, x, n) => ([2, 6].includes(R.compare(s, x, 0n, n, true)) ? mask(n) : 0n) },
      { name: 'fcmeq0', u: 0, a: 1, opc: 13, scalar: true, f: (s, x, n) => (R.compare(s, x, 0n, n, false) === 6 ? mask(n) : 0n) },
      { name: 'fcmle0', u: 1, a: 1, opc: 13, scalar: true, f: (s, x, n) => ([8, 6].includes(R.compare(s, x, 0n, n, true)) ? mask(n) : 0n) },
      { name: 'fcmlt0', u: 0, a: 1, opc: 14, scalar: true, f: (s, x, n) => (R.compare(s, x, 0n, n, true) === 8 ? mask(n) : 0n) },
      { name: 'fabs', u: 0, a: 1, opc: 15, f: (_s, x, n) => x & ~(1n << BigInt(n - 1)) },
      { name: 'fneg', u: 1, a: 1, opc: 15, f: (_s, x, n) => x ^ (1n << BigInt(n - 1)) },
      { name: 'fsqrt', u: 1, a: 1, opc: 31, f: (s, x, n) => R.sqrt(s, x, n) },
      { name: 'frintn', u: 0, a: 0, opc: 24, f: (s, x, n) => R.roundInt(s, x, n, 'RN', false) },
      { name: 'frintm', u: 0, a: 0, opc: 25, f: (s, x, n) => R.roundInt(s, x, n, 'RM', false) },
      { name: 'frintp', u: 0, a: 1, opc: 24, f: (s, x, n) => R.roundInt(s, x, n, 'RP', false) },
      { name: 'frintz', u: 0, a: 1, opc: 25, f: (s, x, n) => R.roundInt(s, x, n, 'RZ', false) },
      { name: 'frinta', u: 1, a: 0, opc: 24, f: (s, x, n) => R.roundInt(s, x, n, 'TA', false) },
      { name: 'frintx', u: 1, a: 0, opc: 25, f: (s, x, n) => R.roundInt(s, x, n, s.mode, true) },
      { name: 'frinti', u: 1, a: 1, opc: 25, f: (s, x, n) => R.roundInt(s, x, n, s.mode, false) },
      { name: 'fcvtns', u: 0, a: 0, opc: 26, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, false, n, 'RN') },
      { name: 'fcvtms', u: 0, a: 0, opc: 27, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, false, n, 'RM') },
      { name: 'fcvtas', u: 0, a: 0, opc: 28, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, false, n, 'TA') },
      { name: 'fcvtps', u: 0, a: 1, opc: 26, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, false, n, 'RP') },
      { name: 'fcvtzs', u: 0, a: 1, opc: 27, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, false, n, 'RZ') },
      { name: 'fcvtnu', u: 1, a: 0, opc: 26, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, true, n, 'RN') },
      { name: 'fcvtmu', u: 1, a: 0, opc: 27, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, true, n, 'RM') },
      { name: 'fcvtau', u: 1, a: 0, opc: 28, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, true, n, 'TA') },
      { name: 'fcvtpu', u: 1, a: 1, opc: 26, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, true, n, 'RP') },
      { name: 'fcvtzu', u: 1, a: 1, opc: 27, scalar: true, f: (s, x, n) => R.toFixed(s, x, n, 0, true, n, 'RZ') },
      { name: 'scvtf', u: 0, a: 0, opc: 29, scalar: true, f: (s, x, n) => R.fromFixed(s, x, n, false, 0, n) },
      { name: 'ucvtf', u: 1, a: 0, opc: 29, scalar: true, f: (s, x, n) => R.fromFixed(s, x, n, true, 0, n) },
    ];
    for (const op of m2) {
      for (const [q, sz] of [[0, 0], [1, 0], [1, 1]] as const) {
        const n = sz ? 64 : 32;
        const cs = fpCases(op.opc * 8 + op.u * 2 + op.a + sz * 1000 + q * 70, n, 40);
        const size = (op.a << 1) | sz;
        const w = 0x0e200800 | (q << 30) | (op.u << 29) | (size << 22) | (op.opc << 12) | (1 << 5);
        expectBatch(`${op.name} q${q} ${n}`, inst(w), cs, (c) => {
          const s = new R.FpState(c.fpcr!);
          return { v0: pack(lanes(c.v1!, n, (q ? 128 : 64) / n).map((x) => op.f(s, x, n)), n), fpsr: s.flags };
        });
        if (op.scalar && q === 1) {
          const ws = 0x5e200800 | (op.u << 29) | (size << 22) | (op.opc << 12) | (1 << 5);
          expectBatch(`${op.name} scalar ${n}`, inst(ws), cs, (c) => {
            const s = new R.FpState(c.fpcr!);
            return { v0: op.f(s, c.v1! & mask(n), n), fpsr: s.flags };
          });
        }
      }
    }
  });
  it('fixed-point vector conversions (scvtf/ucvtf/fcvtzs/fcvtzu #fbits)', () => {
    for (const [q, n] of [[0, 32], [1, 32], [1, 64]] as const) {
      for (const fb of [1, 7, n]) {
        for (const [u, opc] of [[0, 28], [1, 28], [0, 31], [1, 31]] as const) {
          const cs = fpCases(fb * 13 + u + opc + n, n, 40);
          const immhb = 2 * n - fb;
          const w = 0x0f000400 | (q << 30) | (u << 29) | (immhb << 16) | (opc << 11) | (1 << 5);
          expectBatch(`${opc === 28 ? (u ? 'ucvtf' : 'scvtf') : (u ? 'fcvtzu' : 'fcvtzs')} q${q} ${n} #${fb}`, inst(w), cs, (c) => {
            const s = new R.FpState(c.fpcr!);
            const f = (x: bigint) => (opc === 28 ? R.fromFixed(s, x, n, u === 1, fb, n) : R.toFixed(s, x, n, fb, u === 1, n, 'RZ'));
            return { v0: pack(lanes(c.v1!, n, (q ? 128 : 64) / n).map(f), n), fpsr: s.flags };
          });
        }
      }
    }
  });
  it('across lanes fmaxnmv/fminnmv/fmaxv/fminv (ARM Reduce order); scalar pairwise faddp/fmaxp/fminp/fmaxnmp/fminnmp', () => {
    const cs = fpCases(31337, 32, 80);
    for (const [name, a, opc, num] of [['fmaxnmv', 0, 12, true], ['fminnmv', 1, 12, true], ['fmaxv', 0, 15, false], ['fminv', 1, 15, false]] as const) {
      const w = 0x6e300800 | (a << 23) | (opc << 12) | (1 << 5);
      expectBatch(name, inst(w), cs, (c) => {
        const s = new R.FpState(c.fpcr!);
        const L = lanes(c.v1!, 32);
        const f = (x: bigint, y: bigint) => R.minmax(s, x, y, 32, a === 0, num);
        const r = f(f(L[0]!, L[1]!), f(L[2]!, L[3]!));
        return { v0: r, fpsr: s.flags };
      });
    }
    for (const sz of [0, 1]) {
      const n = sz ? 64 : 32;
      const cs2 = fpCases(999 + sz, n, 60);
      for (const [name, a, opc] of [['fmaxnmp', 0, 12], ['fminnmp', 1, 12], ['faddp', 0, 13], ['fmaxp', 0, 15], ['fminp', 1, 15]] as const) {
        const w = 0x7e300800 | (a << 23) | (sz << 22) | (opc << 12) | (1 << 5);
        expectBatch(`${name} scalar ${n}`, inst(w), cs2, (c) => {
          const s = new R.FpState(c.fpcr!);
          const [x, y] = lanes(c.v1!, n);
          const r = opc === 13 ? R.add(s, x!, y!, n) : R.minmax(s, x!, y!, n, a === 0, opc === 12);
          return { v0: r, fpsr: s.flags };
        });
      }
    }
  });
  it('fmul/fmla/fmls/fmulx by element', () => {
    for (const sz of [0, 1]) {
      const n = sz ? 64 : 32;
      const cs = fpCases(2024 + sz, n, 40);
      for (let idx = 0; idx < 128 / n; idx++) {
        const h = sz ? idx : idx >> 1, l = sz ? 0 : idx & 1;
        for (const [name, u, opc] of [['fmul', 0, 9], ['fmla', 0, 1], ['fmls', 0, 5]] as const) {
          const w = 0x4f000000 | (u << 29) | ((2 | sz) << 22) | (l << 21) | (2 << 16) | (opc << 12) | (h << 11) | (1 << 5);
          expectBatch(`${name} ${n}[${idx}]`, inst(w), cs, (c) => {
            const s = new R.FpState(c.fpcr!);
            const e = lanes(c.v2!, n)[idx]!;
            const D = lanes(c.v0!, n);
            return {
              v0: pack(lanes(c.v1!, n).map((x, i) => (opc === 9 ? R.mul(s, x, e, n) : R.fma(s, D[i]!, opc === 5 ? x ^ (1n << BigInt(n - 1)) : x, e, n))), n),
              fpsr: s.flags,
            };
          });
        }
      }
    }
  });
});

// ---- load/store single structure ------------------------------------------------
describe('AdvSIMD load/store single structure', () => {
  const PAT = Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff);
  const memle = (off: number, n: number) => { let v = 0n; for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(PAT[off + i]!); return v; };
  const enc = (q: number, l: number, r: number, opcode: number, s: number, size: number, rt: number, post?: number) =>
    (post === undefined ? 0x0d000000 : 0x0d800000 | (post << 16)) | (q << 30) | (l << 22) | (r << 21) | (opcode << 13) | (s << 12) | (size << 10) | (0 << 5) | rt;
  const init = `movi v4.16b, #0xaa\n movi v5.16b, #0xbb\n movi v6.16b, #0xcc\n movi v7.16b, #0xdd\n`;
  it('LD1-LD4 (lane) for each element size, preserving other lanes; post-index by #imm and by register', () => {
    for (const [scaleBits, sizeField, maxIdx] of [[8, 0, 16], [16, 1, 8], [32, 2, 4], [64, 3, 2]] as const) {
      const es = scaleBits / 8;
      for (const selem of [1, 2, 3, 4]) {
        const idx = maxIdx - 1 - (selem % maxIdx);
        // index encoding Q:S:size
        let q: number, s: number, size: number, opcode: number;
        const r = (selem - 1) & 1, hi = (selem - 1) >> 1;
        if (scaleBits === 8) { q = idx >> 3; s = (idx >> 2) & 1; size = idx & 3; opcode = hi; }
        else if (scaleBits === 16) { q = idx >> 2; s = (idx >> 1) & 1; size = (idx & 1) << 1; opcode = 2 | hi; }
        else if (scaleBits === 32) { q = idx >> 1; s = idx & 1; size = 0; opcode = 4 | hi; }
        else { q = idx; s = 0; size = 1; opcode = 4 | hi; }
        void sizeField;
        const w = enc(q, 1, r, opcode, s, size, 4, 31);
        const res = run(`${init}${inst(w)}\n${END}`, { regs: { 0: DATA + 8n }, setup: (m) => pokeBytes(m, DATA, PAT) });
        expect(res.ended).toBe(true);
        for (let k = 0; k < 4; k++) {
          const fill = [0xaan, 0xbbn, 0xccn, 0xddn][k]!;
          let exp = 0n;
          for (let b = 0; b < 16; b++) exp |= fill << BigInt(8 * b);
          if (k < selem) {
            const m = ((1n << BigInt(scaleBits)) - 1n) << BigInt(idx * scaleBits);
            exp = (exp & ~m) | (memle(8 + k * es, es) << BigInt(idx * scaleBits));
          }
          expect(res.q(4 + k), `ld${selem} ${scaleBits}-bit lane ${idx} reg ${k}`).toBe(exp);
        }
        expect(res.x(0)).toBe(DATA + 8n + BigInt(selem * es));
      }
    }
  });
  it('LD1R-LD4R replicate (and zero the upper half for 64-bit arrangements); ST1-ST4 lane stores', () => {
    for (const size of [0, 1, 2, 3]) {
      const es = 1 << size;
      for (const selem of [1, 2, 3, 4]) {
        for (const q of [0, 1]) {
          const r = (selem - 1) & 1, hi = (selem - 1) >> 1;
          const w = enc(q, 1, r, 6 | hi, 0, size, 4, 3);
          const res = run(`${init}${inst(w)}\n${END}`, { regs: { 0: DATA + 16n, 3: 40n }, setup: (m) => pokeBytes(m, DATA, PAT) });
          for (let k = 0; k < selem; k++) {
            const e = memle(16 + k * es, es);
            let exp = 0n;
            for (let i = 0; i < (q ? 16 : 8) / es; i++) exp |= e << BigInt(i * es * 8);
            expect(res.q(4 + k), `ld${selem}r size ${size} q${q} reg ${k}`).toBe(exp);
          }
          expect(res.x(0)).toBe(DATA + 56n);
        }
      }
    }
    // ST4 {v4.s-v7.s}[2]: interleaved store of lane 2 of each
    const w = enc(1, 0, 1, 5, 0, 0, 4, 31);
    const res = run(`movi v4.4s, #1\n movi v5.4s, #2\n movi v6.4s, #3\n movi v7.4s, #4\n${inst(w)}\n${END}`, { regs: { 0: DATA } });
    expect([...res.mem(DATA, 16)]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
    expect(res.x(0)).toBe(DATA + 16n);
  });
});

describe('hand-checked: estimates and saturating doubling multiplies', () => {
  it('FRECPE/FRSQRTE of 1.0, FRECPE(0) = inf with DZC, FRSQRTE(-1) = default NaN with IOC, URECPE', () => {
    // frecpe v0.4s, v1.4s / frsqrte v0.2d, v1.2d
    const one32 = 0x3f800000n, one64 = 0x3ff0000000000000n;
    const [a] = runBatch(inst(0x4ea1d820), [{ v1: one32 | (0n << 32n) | (0xbf800000n << 64n) }]);
    expect(lanes(a!.v0, 32)).toEqual([0x3f7f8000n, 0x7f800000n, 0xbf7f8000n, 0x7f800000n]);
    expect(a!.fpsr).toBe(R.DZC);
    const [b] = runBatch(inst(0x6ee1d820), [{ v1: one64 | (0xbff0000000000000n << 64n) }]);
    expect(lanes(b!.v0, 64)).toEqual([0x3feff00000000000n, 0x7ff8000000000000n]);
    expect(b!.fpsr).toBe(R.IOC);
    const [c] = runBatch(inst(0x4ea1c820), [{ v1: 0x7fffffffn | (0x80000000n << 32n) | (0xffffffffn << 64n) }]); // urecpe .4s
    expect(lanes(c!.v0, 32).slice(0, 3)).toEqual([0xffffffffn, 0xff800000n, 0x80000000n]);
  });
  it('SQDMULL saturates -2^31 * -2^31 and sets QC; SQDMULH .8h', () => {
    const [a] = runBatch(inst(0x0ea2d020), [{ v1: 0x80000000n | (3n << 32n), v2: 0x80000000n | (5n << 32n) }]); // sqdmull v0.2d, v1.2s, v2.2s
    expect(lanes(a!.v0, 64)).toEqual([0x7fffffffffffffffn, 30n]);
    expect(a!.fpsr).toBe(QC);
    const [b] = runBatch(inst(0x0e62b420), [{ v1: 0x8000n | (0x4000n << 16n), v2: 0x8000n | (0x4000n << 16n) }]); // sqdmulh v0.4h
    expect(lanes(b!.v0, 16, 4)).toEqual([0x7fffn, 0x2000n, 0n, 0n]);
    expect(b!.fpsr).toBe(QC);
  });
});
