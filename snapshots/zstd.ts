// zstd wrapper (docs/zstd.md): synchronous zstd-napi. Decompression checks
// the frame before handing it to the library: exactly one frame, with its
// content size declared and equal to what the snapshot format expects, so a
// crafted frame can never make it allocate an arbitrary amount of memory.
import { compress, decompress } from 'zstd-napi';
import { SnapshotError } from './errors.js';

export const ZSTD_LEVEL = 3;

export function zstdCompress(data: Uint8Array, level = ZSTD_LEVEL): Uint8Array {
  return compress(data, { compressionLevel: level });
}

/** No-op (zstd-napi needs no initialisation); kept for a wasm fallback. */
export async function initZstd(): Promise<void> {}

const ZSTD_MAGIC = 0xfd2fb528;

/** Validate a single zstd frame of exactly `frame.length` bytes declaring `expected` content bytes. */
export function checkFrame(frame: Uint8Array, expected: number, what: string): void {
  const bad = (why: string): never => {
    throw new SnapshotError(`${what}: bad zstd frame (${why})`);
  };
  const n = frame.length;
  if (n < 6) bad('too short');
  const magic = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) bad('wrong magic');
  const fhd = frame[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const checksumFlag = (fhd >> 2) & 1;
  const dictFlag = fhd & 3;
  if ((fhd >> 3) & 1) bad('reserved bit set');
  let p = 5;
  if (!singleSegment) p += 1;
  p += dictFlag === 0 ? 0 : dictFlag === 1 ? 1 : dictFlag === 2 ? 2 : 4;
  const fcsBytes = fcsFlag === 0 ? singleSegment : fcsFlag === 1 ? 2 : fcsFlag === 2 ? 4 : 8;
  if (fcsBytes === 0) bad('no content size');
  if (p + fcsBytes > n) bad('truncated header');
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + frame[p + i]!;
  if (fcsBytes === 2) size += 256;
  p += fcsBytes;
  if (size !== expected) bad(`content size ${size}, expected ${expected}`);
  // Walk the blocks: the frame must end exactly at the end of the buffer.
  for (;;) {
    if (p + 3 > n) bad('truncated block header');
    const h = frame[p]! | (frame[p + 1]! << 8) | (frame[p + 2]! << 16);
    p += 3;
    const last = h & 1;
    const type = (h >> 1) & 3;
    const bsize = h >>> 3;
    if (type === 3) bad('reserved block type');
    p += type === 1 ? 1 : bsize;
    if (p > n) bad('truncated block');
    if (last) break;
  }
  if (checksumFlag) p += 4;
  if (p !== n) bad(p > n ? 'truncated checksum' : 'trailing bytes');
}

/** Decompress one frame that must hold exactly `expected` bytes. */
export function zstdDecompressExact(frame: Uint8Array, expected: number, what: string): Uint8Array {
  checkFrame(frame, expected, what);
  let out: Uint8Array;
  try {
    out = decompress(frame);
  } catch (e) {
    throw new SnapshotError(`${what}: zstd decompression failed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (out.length !== expected) throw new SnapshotError(`${what}: decompressed to ${out.length} bytes, expected ${expected}`);
  return out;
}
