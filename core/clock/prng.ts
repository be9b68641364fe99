// The machine's seeded PRNG: xoshiro128** (Blackman & Vigna), 32-bit output,
// 128-bit state. The seed (a number or bigint, taken modulo 2^64) goes through
// splitmix64; its first two 64-bit outputs fill the four state words
// (low word first). All arithmetic after seeding is 32-bit integer
// arithmetic, so the sequence is the same on every host.

import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

const PRNG_SCHEMA: RecordSchema = { name: 'Prng state', version: 1 };

export interface PrngState {
  version: 1;
  /** xoshiro128** state words s0..s3, unsigned 32-bit. */
  s: [number, number, number, number];
}

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: returns [next state, output]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z = z ^ (z >> 31n);
  return [next, z];
}

function seedToU64(seed: number | bigint): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Prng: numeric seed must be a safe integer, got ${seed}`);
    return BigInt(seed) & MASK64;
  }
  return seed & MASK64;
}

export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** Re-seed from a number or bigint (taken modulo 2^64). */
  seed(seed: number | bigint): void {
    let st = seedToU64(seed);
    let a: bigint;
    let b: bigint;
    [st, a] = splitmix64(st);
    [st, b] = splitmix64(st);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next unsigned 32-bit value. */
  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias
   *  (rejection sampling; the number of draws used is deterministic). */
  nextBelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`Prng.nextBelow: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n); // largest multiple of n <= 2^32
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform float in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  getState(): PrngState {
    return { version: 1, s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  loadState(record: PrngState): void {
    const state = upgradeRecord<PrngState>(PRNG_SCHEMA, record);
    const [a, b, c, d] = state.s;
    for (const w of state.s) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new Error('Prng: state words must be unsigned 32-bit');
    }
    if ((a | b | c | d) === 0) throw new Error('Prng: all-zero state is invalid for xoshiro128**');
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
  }
}
