// Page sections: a memory region as a table of 4 KiB pages (zero, a unique
// content blob, or unchanged from the base snapshot) plus the unique blobs,
// zstd-compressed in blocks of PAGES_PER_BLOCK pages so a reader can
// decompress one block at a time. Layout in docs/snapshots.md.
import { SnapshotError } from './errors.js';
import { PAGE_BYTES } from './format.js';
import { checkFrame, zstdCompress, zstdDecompressExact } from './zstd.js';

export const REGION_RAM = 0;
export const REGION_SECURE = 1;
export const PAGES_HEADER_BYTES = 24;
/** Blobs per compressed block: 256 x 4 KiB = 1 MiB, zstd's sweet spot (docs/zstd.md). */
export const PAGES_PER_BLOCK = 256;
/** Table entries: 0 = zero page, UNCHANGED = same as in the base, k = blob k-1. */
export const ENTRY_ZERO = 0;
export const ENTRY_UNCHANGED = 0xffffffff;
/** Zero runs are checked this many bytes at a time. */
const ZERO_CHUNK = 64 * 1024;
const ZERO = Buffer.alloc(ZERO_CHUNK);

const regionName = (r: number): string => (r === REGION_RAM ? 'RAM' : 'secure RAM');

const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.length);

/** True when mem[off, off+len) is all zero (len <= ZERO_CHUNK). */
const isZero = (mem: Buffer, off: number, len: number): boolean => ZERO.compare(mem, off, off + len, 0, len) === 0;

/** Hash of one 4 KiB page for de-duplication buckets (two independent
 *  multiply-xorshift lanes over the 32-bit words; confirmed by a byte
 *  compare, so collisions only cost time). */
function pageHash(w: Int32Array, base: number): number {
  let a = 0x2545f491;
  let b = 0x9e3779b9 | 0;
  const end = base + PAGE_BYTES / 4;
  for (let i = base; i < end; i += 2) {
    a = Math.imul(a ^ w[i]!, 0x85ebca6b);
    a ^= a >>> 13;
    b = Math.imul(b ^ w[i + 1]!, 0xc2b2ae35);
    b ^= b >>> 16;
  }
  return (Math.imul(a ^ (b >>> 7), 0x27d4eb2d) ^ b) >>> 0;
}

export interface EncodedPages {
  /** Payload parts, in order (header, table, block lengths, blocks). */
  parts: Uint8Array[];
  length: number;
  stats: PageStats;
}

export interface PageStats {
  pages: number;
  zero: number;
  unchanged: number;
  /** Non-zero pages stored (referencing a blob). */
  stored: number;
  /** Unique blobs (stored - duplicates). */
  blobs: number;
  tableBytes: number;
  blobBytes: number;
}

/**
 * Encode `mem` (a whole region) as a page section. With `dirty` given, only
 * those pages are examined and every other page is "unchanged from base";
 * without it, every page is.
 */
export function encodePages(region: number, mem: Uint8Array, dirty: readonly number[] | null, level: number): EncodedPages {
  const pageCount = Math.floor(mem.length / PAGE_BYTES);
  if (pageCount * PAGE_BYTES !== mem.length) throw new SnapshotError(`${regionName(region)} size ${mem.length} is not a whole number of pages`);
  const buf = asBuffer(mem);
  const aligned = mem.byteOffset % 4 === 0;
  const words = aligned ? new Int32Array(mem.buffer, mem.byteOffset, mem.length >>> 2) : null;
  const scratchWords = aligned ? null : new Int32Array(PAGE_BYTES / 4);
  const scratchBytes = scratchWords ? new Uint8Array(scratchWords.buffer) : null;
  const table = new Uint32Array(pageCount);
  if (dirty) table.fill(ENTRY_UNCHANGED);
  /** Source page index of each blob. */
  const blobSrc: number[] = [];
  /** hash -> blob index, or -(list index + 1) into `chains` when several blobs share a hash. */
  const buckets = new Map<number, number>();
  const chains: number[][] = [];
  let zero = 0;

  const storePage = (p: number): void => {
    const off = p * PAGE_BYTES;
    let h: number;
    if (words) h = pageHash(words, off >>> 2);
    else {
      scratchBytes!.set(mem.subarray(off, off + PAGE_BYTES));
      h = pageHash(scratchWords!, 0);
    }
    const hit = buckets.get(h);
    const same = (blob: number): boolean => {
      const o = blobSrc[blob]! * PAGE_BYTES;
      return buf.compare(buf, o, o + PAGE_BYTES, off, off + PAGE_BYTES) === 0;
    };
    if (hit !== undefined) {
      if (hit >= 0) {
        if (same(hit)) {
          table[p] = hit + 1;
          return;
        }
        chains.push([hit]);
        buckets.set(h, -chains.length);
      } else {
        const chain = chains[-hit - 1]!;
        for (const blob of chain) {
          if (same(blob)) {
            table[p] = blob + 1;
            return;
          }
        }
      }
    }
    const blob = blobSrc.length;
    blobSrc.push(p);
    table[p] = blob + 1;
    const cur = buckets.get(h);
    if (cur === undefined) buckets.set(h, blob);
    else chains[-cur - 1]!.push(blob);
  };

  if (dirty) {
    let prev = -1;
    for (const p of dirty) {
      if (!Number.isInteger(p) || p < 0 || p >= pageCount) throw new SnapshotError(`dirty ${regionName(region)} page ${p} is out of range (0..${pageCount - 1})`);
      if (p <= prev) throw new SnapshotError(`dirty ${regionName(region)} page list is not strictly increasing at ${p}`);
      prev = p;
      if (isZero(buf, p * PAGE_BYTES, PAGE_BYTES)) {
        table[p] = ENTRY_ZERO;
        zero++;
      } else storePage(p);
    }
  } else {
    // Whole region: skip zero chunks 64 KiB at a time, then page by page.
    const perChunk = ZERO_CHUNK / PAGE_BYTES;
    for (let p = 0; p < pageCount; ) {
      if (p % perChunk === 0 && p + perChunk <= pageCount && isZero(buf, p * PAGE_BYTES, ZERO_CHUNK)) {
        zero += perChunk;
        p += perChunk;
        continue;
      }
      if (isZero(buf, p * PAGE_BYTES, PAGE_BYTES)) zero++;
      else storePage(p);
      p++;
    }
  }

  // Blobs in blocks.
  const blobCount = blobSrc.length;
  const blockCount = Math.ceil(blobCount / PAGES_PER_BLOCK);
  const blockLens = new Uint32Array(blockCount);
  const blocks: Uint8Array[] = [];
  const scratch = new Uint8Array(Math.min(blobCount, PAGES_PER_BLOCK) * PAGE_BYTES);
  let blobBytes = 0;
  for (let b = 0; b < blockCount; b++) {
    const first = b * PAGES_PER_BLOCK;
    const n = Math.min(PAGES_PER_BLOCK, blobCount - first);
    for (let i = 0; i < n; i++) {
      const o = blobSrc[first + i]! * PAGE_BYTES;
      scratch.set(mem.subarray(o, o + PAGE_BYTES), i * PAGE_BYTES);
    }
    const c = zstdCompress(scratch.subarray(0, n * PAGE_BYTES), level);
    blockLens[b] = c.length;
    blocks.push(c);
    blobBytes += c.length;
  }
  const tableZ = zstdCompress(new Uint8Array(table.buffer), level);
  const header = new Uint8Array(PAGES_HEADER_BYTES);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, region, true);
  dv.setUint32(4, PAGE_BYTES, true);
  dv.setUint32(8, pageCount, true);
  dv.setUint32(12, blobCount, true);
  dv.setUint32(16, PAGES_PER_BLOCK, true);
  dv.setUint32(20, tableZ.length, true);
  const countBytes = new Uint8Array(4);
  new DataView(countBytes.buffer).setUint32(0, blockCount, true);
  const lensBytes = new Uint8Array(blockLens.buffer);
  const parts = [header, tableZ, countBytes, lensBytes, ...blocks];
  let stored = 0;
  let unchanged = 0;
  if (dirty) {
    unchanged = pageCount - dirty.length;
    stored = dirty.length - zero;
  } else stored = pageCount - zero;
  return {
    parts,
    length: parts.reduce((a, p) => a + p.length, 0),
    stats: { pages: pageCount, zero, unchanged, stored, blobs: blobCount, tableBytes: tableZ.length, blobBytes },
  };
}

/** A parsed page section: the table is decoded, the blocks are not yet. */
export interface PageSection {
  region: number;
  pageCount: number;
  blobCount: number;
  pagesPerBlock: number;
  table: Uint32Array;
  blocks: Uint8Array[];
  tableBytes: number;
  blobBytes: number;
}

export function parsePages(payload: Uint8Array, region: number, allowUnchanged: boolean): PageSection {
  const what = `${regionName(region)} pages`;
  if (payload.length < PAGES_HEADER_BYTES) throw new SnapshotError(`${what}: section truncated (${payload.length} bytes)`);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const reg = dv.getUint32(0, true);
  if (reg !== region) throw new SnapshotError(`${what}: section is for region ${reg}`);
  const pageSize = dv.getUint32(4, true);
  if (pageSize !== PAGE_BYTES) throw new SnapshotError(`${what}: page size ${pageSize} is not supported`);
  const pageCount = dv.getUint32(8, true);
  const blobCount = dv.getUint32(12, true);
  const pagesPerBlock = dv.getUint32(16, true);
  const tableLen = dv.getUint32(20, true);
  if (pageCount > 1 << 22) throw new SnapshotError(`${what}: ${pageCount} pages is beyond the 16 GiB limit`);
  if (blobCount > pageCount) throw new SnapshotError(`${what}: ${blobCount} blobs for ${pageCount} pages`);
  if (pagesPerBlock < 1 || pagesPerBlock > 4096) throw new SnapshotError(`${what}: ${pagesPerBlock} pages per block is out of range`);
  let p = PAGES_HEADER_BYTES;
  if (tableLen > payload.length - p) throw new SnapshotError(`${what}: page table runs out of bounds`);
  const tableBytes = zstdDecompressExact(payload.subarray(p, p + tableLen), pageCount * 4, `${what} table`);
  p += tableLen;
  // Copy to an aligned array (the decompressed buffer may sit at any offset).
  const table = new Uint32Array(pageCount);
  new Uint8Array(table.buffer).set(tableBytes);
  // Every entry in range, every blob used, blobs first used in order (as the encoder writes them).
  let nextBlob = 1;
  for (let i = 0; i < pageCount; i++) {
    const e = table[i]!;
    if (e === ENTRY_UNCHANGED) {
      if (!allowUnchanged) throw new SnapshotError(`${what}: page ${i} is 'unchanged from base' in a full snapshot`);
    } else if (e > blobCount) throw new SnapshotError(`${what}: page ${i} references blob ${e - 1} of ${blobCount}`);
    else if (e === nextBlob) nextBlob++;
    else if (e > nextBlob) throw new SnapshotError(`${what}: page ${i} references blob ${e - 1} before blob ${nextBlob - 1}`);
  }
  if (nextBlob !== blobCount + 1) throw new SnapshotError(`${what}: blobs ${nextBlob - 1}..${blobCount - 1} are not referenced by any page`);
  if (p + 4 > payload.length) throw new SnapshotError(`${what}: block count out of bounds`);
  const blockCount = dv.getUint32(p, true);
  p += 4;
  if (blockCount !== Math.ceil(blobCount / pagesPerBlock)) throw new SnapshotError(`${what}: ${blockCount} blocks for ${blobCount} blobs`);
  if (blockCount * 4 > payload.length - p) throw new SnapshotError(`${what}: block lengths out of bounds`);
  const lensAt = p;
  p += blockCount * 4;
  const blocks: Uint8Array[] = [];
  for (let b = 0; b < blockCount; b++) {
    const len = dv.getUint32(lensAt + b * 4, true);
    if (len > payload.length - p) throw new SnapshotError(`${what}: block ${b} runs out of bounds`);
    const block = payload.subarray(p, p + len);
    checkFrame(block, Math.min(pagesPerBlock, blobCount - b * pagesPerBlock) * PAGE_BYTES, `${what} block ${b}`);
    blocks.push(block);
    p += len;
  }
  if (p !== payload.length) throw new SnapshotError(`${what}: ${payload.length - p} stray bytes after the blocks`);
  return { region, pageCount, blobCount, pagesPerBlock, table, blocks, tableBytes: tableLen, blobBytes: p - lensAt - blockCount * 4 };
}

/** The pages a section sets (a blob or zero; not 'unchanged from base'). */
export function changedPages(sec: PageSection): number[] {
  const out: number[] = [];
  for (let p = 0; p < sec.pageCount; p++) if (sec.table[p] !== ENTRY_UNCHANGED) out.push(p);
  return out;
}

/**
 * Write a parsed page section into `target` (the region's bytes).
 * `mode`: 'fresh' - target is known all-zero (zero pages are skipped);
 * 'overwrite' - target content is unknown, zero pages are cleared where not
 * already zero; 'unchanged' pages are left alone in every mode.
 */
export function applyPages(sec: PageSection, target: Uint8Array, mode: 'fresh' | 'overwrite'): void {
  const what = `${regionName(sec.region)} pages`;
  if (target.length !== sec.pageCount * PAGE_BYTES) throw new SnapshotError(`${what}: ${sec.pageCount} pages do not fit a region of ${target.length} bytes`);
  const { table, blobCount, pagesPerBlock, pageCount } = sec;
  // Pages of each blob as linked lists: firstPage[blob], nextPage[page].
  const firstPage = new Int32Array(blobCount).fill(-1);
  const lastPage = new Int32Array(blobCount);
  const nextPage = new Int32Array(pageCount).fill(-1);
  const tbuf = asBuffer(target);
  let zeroRun = -1;
  const clearRun = (a: number, b: number): void => {
    // Pages [a, b) must be zero.
    for (let off = a * PAGE_BYTES, end = b * PAGE_BYTES; off < end; off += ZERO_CHUNK) {
      const len = Math.min(ZERO_CHUNK, end - off);
      if (!isZero(tbuf, off, len)) target.fill(0, off, off + len);
    }
  };
  for (let p = 0; p < pageCount; p++) {
    const e = table[p]!;
    if (e === ENTRY_ZERO) {
      if (zeroRun < 0) zeroRun = p;
      continue;
    }
    if (zeroRun >= 0) {
      if (mode === 'overwrite') clearRun(zeroRun, p);
      zeroRun = -1;
    }
    if (e === ENTRY_UNCHANGED) continue;
    const blob = e - 1;
    if (firstPage[blob] === -1) firstPage[blob] = p;
    else nextPage[lastPage[blob]!] = p;
    lastPage[blob] = p;
  }
  if (zeroRun >= 0 && mode === 'overwrite') clearRun(zeroRun, pageCount);
  for (let b = 0; b < sec.blocks.length; b++) {
    const first = b * pagesPerBlock;
    const n = Math.min(pagesPerBlock, blobCount - first);
    const data = zstdDecompressExact(sec.blocks[b]!, n * PAGE_BYTES, `${what} block ${b}`);
    for (let i = 0; i < n; i++) {
      const src = data.subarray(i * PAGE_BYTES, (i + 1) * PAGE_BYTES);
      for (let p = firstPage[first + i]!; p >= 0; p = nextPage[p]!) target.set(src, p * PAGE_BYTES);
    }
  }
}
