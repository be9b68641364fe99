import { describe, expect, it } from 'vitest';
import { Prng, splitmix64 } from './prng.js';

// An independent reference: xoshiro128** and splitmix64 written with BigInt
// directly from the published algorithm descriptions.
const M32 = 0xffffffffn;
const M64 = (1n << 64n) - 1n;
function rotl32(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (32n - k))) & M32;
}
function refSplitmix(seed: bigint, count: number): bigint[] {
  const out: bigint[] = [];
  let x = seed & M64;
  for (let i = 0; i < count; i++) {
    x = (x + 0x9e3779b97f4a7c15n) & M64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    out.push(z ^ (z >> 31n));
  }
  return out;
}
function refXoshiro(s: bigint[], count: number): number[] {
  const st = [...s];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number(rotl32((st[1]! * 5n) & M32, 7n) * 9n & M32));
    const t = (st[1]! << 9n) & M32;
    st[2]! ^= st[0]!;
    st[3]! ^= st[1]!;
    st[1]! ^= st[2]!;
    st[0]! ^= st[3]!;
    st[2]! ^= t;
    st[3] = rotl32(st[3]!, 11n);
  }
  return out;
}
function refSeeded(seed: bigint, count: number): number[] {
  const [a, b] = refSplitmix(seed, 2);
  return refXoshiro([a! & M32, a! >> 32n, b! & M32, b! >> 32n], count);
}

describe('splitmix64', () => {
  it('matches the published vector for seed 0', () => {
    let st = 0n;
    const outs: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      let o: bigint;
      [st, o] = splitmix64(st);
      outs.push(o);
    }
    expect(outs).toEqual([0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn]);
  });
});

describe('Prng (xoshiro128**)', () => {
  it('xoshiro128** step matches the reference from a known state', () => {
    const p = new Prng(0);
    p.loadState({ version: 1, s: [1, 2, 3, 4] });
    const got = Array.from({ length: 16 }, () => p.nextU32());
    expect(got[0]).toBe(11520); // rotl(2*5, 7) * 9
    expect(got).toEqual(refXoshiro([1n, 2n, 3n, 4n], 16));
  });

  it.each([0, 1, 42, 0xdeadbeef, Number.MAX_SAFE_INTEGER])('seeded sequence for %s matches reference', (seed) => {
    const p = new Prng(seed);
    const got = Array.from({ length: 100 }, () => p.nextU32());
    expect(got).toEqual(refSeeded(BigInt(seed), 100));
  });

  it('bigint seeds are taken modulo 2^64; number and bigint agree', () => {
    const a = new Prng(12345n + (1n << 64n));
    const b = new Prng(12345);
    expect(a.nextU32()).toBe(b.nextU32());
    const big = new Prng(0xfedcba9876543210n);
    expect(Array.from({ length: 10 }, () => big.nextU32())).toEqual(refSeeded(0xfedcba9876543210n, 10));
    expect(() => new Prng(1.5)).toThrow(RangeError);
  });

  it('different seeds differ', () => {
    expect(new Prng(1).nextU32()).not.toBe(new Prng(2).nextU32());
  });

  it('nextBelow is in range, unbiased by rejection, and deterministic', () => {
    const p = new Prng(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) {
      const v = p.nextBelow(3);
      if (!(v >= 0 && v < 3)) throw new Error(`out of range: ${v}`);
      counts[v]!++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    // n = 2^32 returns raw values, n = 1 always 0
    const q = new Prng(9);
    const r = new Prng(9);
    expect(q.nextBelow(0x100000000)).toBe(r.nextU32());
    expect(q.nextBelow(1)).toBe(0);
    expect(() => q.nextBelow(0)).toThrow(RangeError);
    expect(() => q.nextBelow(2.5)).toThrow(RangeError);
    // rejection: with n = 2^31 + 1 the limit is 2^31 + 1, so draws >= that are skipped
    const s = new Prng(3);
    const ref = refSeeded(3n, 50);
    const n = 0x80000001;
    const expected = ref.find((x) => x < n)! % n;
    expect(s.nextBelow(n)).toBe(expected);
  });

  it('nextFloat is in [0,1) and built from two draws', () => {
    const p = new Prng(5);
    const ref = refSeeded(5n, 2);
    const f = p.nextFloat();
    expect(f).toBe(((ref[0]! >>> 5) * 67108864 + (ref[1]! >>> 6)) / 2 ** 53);
    for (let i = 0; i < 1000; i++) {
      const g = p.nextFloat();
      expect(g).toBeGreaterThanOrEqual(0);
      expect(g).toBeLessThan(1);
    }
  });

  it('state round-trips mid-sequence', () => {
    const p = new Prng(99);
    for (let i = 0; i < 37; i++) p.nextU32();
    const st = JSON.parse(JSON.stringify(p.getState())) as ReturnType<Prng['getState']>;
    const q = new Prng(0);
    q.loadState(st);
    expect(Array.from({ length: 20 }, () => q.nextU32())).toEqual(Array.from({ length: 20 }, () => p.nextU32()));
    expect(() => q.loadState({ version: 1, s: [0, 0, 0, 0] })).toThrow();
    expect(() => q.loadState({ version: 2 } as never)).toThrow(/version/);
  });
});
