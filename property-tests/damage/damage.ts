// Seeded damage to trace and snapshot files, for the `hvrr verify` campaign
// (property-tests/damage/run.ts, verify-damage.test.ts): bit flips,
// truncations, zeroed blocks and swapped chunks. Damage number i of a seed is
// always the same (a PRNG seeded with seed and i), so a failure is reproduced
// from the two numbers it prints.
//
// No byte is excluded as "not decoded": every byte of a trace file is under a
// CRC32C (file header, chunk headers, payloads, footer: docs/trace-format.md)
// and every byte of a snapshot under its SHA-256 trailer (docs/snapshots.md),
// so every damage that changes the file must be found. A damage that changes
// nothing (a zeroed block that was zero, a swap of equal chunks) is drawn again.

export type DamageKind = 'flip' | 'truncate' | 'zero' | 'swap';
export const DAMAGE_KINDS: readonly DamageKind[] = ['flip', 'truncate', 'zero', 'swap'];

/** Where the whole units of a file are: chunks of a trace file (header + payload), or for a snapshot file none. */
export interface Target {
  name: string;
  bytes: Uint8Array;
  /** [offset, size] of each chunk, index chunk included; empty when the file has no chunks. */
  chunks: ReadonlyArray<readonly [number, number]>;
}

export interface Damage {
  index: number;
  target: string;
  kind: DamageKind;
  /** What was done, enough to redo it by hand. */
  what: string;
  bytes: Uint8Array;
}

/** splitmix64 over BigInt: a few numbers per damage, speed is no concern. */
class Rng {
  private s: bigint;
  constructor(seed: number, stream: number) {
    this.s = (BigInt(seed >>> 0) << 32n) ^ BigInt(stream >>> 0) ^ 0x9e3779b97f4a7c15n;
  }
  private next(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return z ^ (z >> 31n);
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Number(this.next() % BigInt(Math.max(1, n)));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function draw(rng: Rng, kind: DamageKind, t: Target): { what: string; bytes: Uint8Array } | null {
  const src = t.bytes;
  const n = src.length;
  switch (kind) {
    case 'flip': {
      const out = Uint8Array.from(src);
      const flips = 1 + rng.below(3);
      const at: string[] = [];
      for (let i = 0; i < flips; i++) {
        const off = rng.below(n);
        const bit = rng.below(8);
        out[off]! ^= 1 << bit;
        at.push(`${off}.${bit}`);
      }
      return { what: `flip bits ${at.join(' ')}`, bytes: out };
    }
    case 'truncate': {
      // Half the cuts near the end (footer, index), half anywhere.
      const len = rng.below(2) === 0 ? Math.max(0, n - 1 - rng.below(Math.min(n, 256))) : rng.below(n);
      return { what: `truncate to ${len} of ${n} bytes`, bytes: src.slice(0, len) };
    }
    case 'zero': {
      const len = 1 + rng.below(rng.below(2) === 0 ? 64 : 8192);
      const off = rng.below(n);
      const out = Uint8Array.from(src);
      out.fill(0, off, Math.min(n, off + len));
      return { what: `zero ${Math.min(n, off + len) - off} bytes at ${off}`, bytes: out };
    }
    case 'swap': {
      if (t.chunks.length >= 2) {
        const i = rng.below(t.chunks.length);
        let j = rng.below(t.chunks.length - 1);
        if (j >= i) j++;
        const [a, b] = i < j ? [t.chunks[i]!, t.chunks[j]!] : [t.chunks[j]!, t.chunks[i]!];
        const out = new Uint8Array(n);
        let p = 0;
        const put = (from: number, to: number): void => {
          out.set(src.subarray(from, to), p);
          p += to - from;
        };
        put(0, a[0]);
        put(b[0], b[0] + b[1]);
        put(a[0] + a[1], b[0]);
        put(a[0], a[0] + a[1]);
        put(b[0] + b[1], n);
        return { what: `swap the chunks at ${a[0]} (${a[1]} bytes) and ${b[0]} (${b[1]} bytes)`, bytes: out };
      }
      // A file without chunks: swap two 4 KiB-aligned blocks.
      const block = 4096;
      const blocks = Math.floor(n / block);
      if (blocks < 2) return null;
      const i = rng.below(blocks);
      let j = rng.below(blocks - 1);
      if (j >= i) j++;
      const out = Uint8Array.from(src);
      out.set(src.subarray(j * block, (j + 1) * block), i * block);
      out.set(src.subarray(i * block, (i + 1) * block), j * block);
      return { what: `swap 4 KiB blocks at ${i * block} and ${j * block}`, bytes: out };
    }
  }
}

/**
 * Damage number `index` of campaign `seed`: picks a target, a kind (in turn,
 * so every kind is equally represented) and its parameters; draws again while
 * the damage would leave the file unchanged.
 */
export function damageAt(seed: number, index: number, targets: readonly Target[]): Damage {
  const rng = new Rng(seed, index);
  const kind = DAMAGE_KINDS[index % DAMAGE_KINDS.length]!;
  for (let attempt = 0; attempt < 100; attempt++) {
    const t = targets[rng.below(targets.length)]!;
    const d = draw(rng, kind, t);
    if (d && !sameBytes(d.bytes, t.bytes)) return { index, target: t.name, kind, ...d };
  }
  throw new Error(`damage ${index} of seed ${seed}: no ${kind} damage changes any target`);
}

/** The seed without HVRR_DAMAGE_SEED or a commit to derive one from (property-tests/seed.ts). */
export const DEFAULT_DAMAGE_SEED = 0x0da3a6e;
