/**
 * Logical-immediate ("bitmask immediate") encoding, ARM ARM J1
 * DecodeBitMasks / C6.2 logical (immediate). A value is a replicated element of
 * size 2..64 bits, each element a rotated run of ones.
 */

export interface BitmaskFields {
  readonly n: number;
  readonly immr: number;
  readonly imms: number;
}

function ones(k: number): bigint {
  return (1n << BigInt(k)) - 1n;
}

function ror(x: bigint, r: number, e: number): bigint {
  if (r === 0) return x;
  const m = ones(e);
  return ((x >> BigInt(r)) | (x << BigInt(e - r))) & m;
}

/** DecodeBitMasks(N, imms, immr, immediate=TRUE) -> wmask, or undefined if reserved. */
export function decodeBitmask(n: number, imms: number, immr: number, datasize: 32 | 64): bigint | undefined {
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return undefined;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return undefined;
  if (len === 6 && datasize === 32) return undefined;
  const levels = (1 << len) - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return undefined;
  const esize = 1 << len;
  const elem = ror(ones(s + 1), r, esize);
  let out = 0n;
  for (let i = 0; i < datasize; i += esize) out |= elem << BigInt(i);
  return out;
}

/** Find N:immr:imms for `value` (taken modulo 2^datasize), or undefined if not encodable. */
export function encodeBitmask(value: bigint, datasize: 32 | 64): BitmaskFields | undefined {
  const v = BigInt.asUintN(datasize, value);
  if (v === 0n || v === ones(datasize)) return undefined;
  let esize = datasize as number;
  // shrink the element while the value is a replication of its halves
  while (esize > 2) {
    const half = esize / 2;
    const lo = v & ones(half);
    const hi = (v >> BigInt(half)) & ones(half);
    if (lo !== hi) break;
    esize = half;
  }
  const elem = v & ones(esize);
  let cnt = 0;
  for (let i = 0; i < esize; i++) if ((elem >> BigInt(i)) & 1n) cnt++;
  const run = ones(cnt);
  for (let r = 0; r < esize; r++) {
    if (ror(run, r, esize) === elem) {
      const imms = ((~((esize << 1) - 1)) & 0x3f) | (cnt - 1);
      return { n: esize === 64 ? 1 : 0, immr: r, imms };
    }
  }
  return undefined;
}
