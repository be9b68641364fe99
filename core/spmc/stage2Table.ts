// A stage-2 translation table (ARM ARM D8, VMSAv8-64, 4 KiB granule) built
// in emulated physical memory: the SPMC's per-partition tables for the
// Secure IPA space (VSTTBR_EL2) and the Non-secure IPA space (VTTBR_EL2).
// 39-bit IPA (T0SZ 25), walks start at level 1 (SL0 1): three levels of one
// page each, 4 KiB pages at level 3. Table pages come from a page heap
// (pageHeap.ts); a table page is never freed (unmapping clears leaves).
//
// Leaf attributes (D8.5.5): S2AP[7:6] (bit 6 read, bit 7 write), XN[54],
// MemAttr[5:2] 0xf Normal write-back or 0x0 Device-nGnRnE, SH[9:8] inner
// shareable, AF[10].
import type { PageHeap } from './pageHeap.js';

/** What a stage-2 walk needs of memory: 64-bit little-endian words at physical addresses. */
export interface TableMemory {
  read64(pa: number): bigint;
  write64(pa: number, v: bigint): void;
}

export interface S2Access {
  read: boolean;
  write: boolean;
  execute: boolean;
  device: boolean;
}

export interface S2Mapping extends S2Access {
  pa: number;
}

/** VSTCR_EL2/VTCR_EL2 for these tables: T0SZ 25, SL0 1, 4 KiB granule, inner/outer WB, inner shareable. */
export const S2_TCR = 25n | (1n << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n);
export const S2_IPA_BITS = 39;

const VALID_TABLE = 3n;
const AF = 1n << 10n;
const SH_INNER = 3n << 8n;
const XN = 1n << 54n;
const OA_MASK = 0x0000_ffff_ffff_f000n;

export function leafDescriptor(pa: number, a: S2Access): bigint {
  let d = BigInt(pa) | VALID_TABLE | AF;
  if (a.read) d |= 1n << 6n;
  if (a.write) d |= 1n << 7n;
  if (!a.execute) d |= XN;
  d |= a.device ? 0n : (0xfn << 2n) | SH_INNER;
  return d;
}

export function decodeLeaf(d: bigint): S2Mapping | null {
  if ((d & 3n) !== 3n) return null;
  return {
    pa: Number(d & OA_MASK),
    read: (d & (1n << 6n)) !== 0n,
    write: (d & (1n << 7n)) !== 0n,
    execute: (d & XN) === 0n,
    device: ((d >> 2n) & 0xfn) === 0n,
  };
}

const index = (ipa: number, level: number): number => Math.floor(ipa / 2 ** (12 + 9 * (3 - level))) % 512;

/** The level-3 descriptor's address for `ipa`, creating tables when `create`; null when absent (or out of heap). */
function leafSlot(mem: TableMemory, heap: PageHeap, root: number, ipa: number, create: boolean): number | null {
  let table = root;
  for (let level = 1; level < 3; level++) {
    const slot = table + index(ipa, level) * 8;
    const d = mem.read64(slot);
    if ((d & 3n) === VALID_TABLE) {
      table = Number(d & OA_MASK);
      continue;
    }
    if (!create) return null;
    const page = heap.alloc();
    if (page === null) return null;
    mem.write64(slot, BigInt(page) | VALID_TABLE);
    table = page;
  }
  return table + index(ipa, 3) * 8;
}

export function ipaInRange(ipa: number, pages: number): boolean {
  return Number.isSafeInteger(ipa) && ipa >= 0 && ipa % 0x1000 === 0 && pages >= 0 && ipa + pages * 0x1000 <= 2 ** S2_IPA_BITS;
}

/**
 * Map `pages` pages at `ipa` to `pa` with `access`. False (nothing
 * changed that matters: a page mapped before the heap ran out keeps its
 * mapping) when the heap is exhausted or the range is out of the IPA space.
 */
export function mapPages(mem: TableMemory, heap: PageHeap, root: number, ipa: number, pa: number, pages: number, access: S2Access): boolean {
  if (!ipaInRange(ipa, pages)) return false;
  for (let i = 0; i < pages; i++) {
    const slot = leafSlot(mem, heap, root, ipa + i * 0x1000, true);
    if (slot === null) return false;
    mem.write64(slot, leafDescriptor(pa + i * 0x1000, access));
  }
  return true;
}

/** Remove the mappings of `pages` pages at `ipa` (absent ones are left absent). */
export function unmapPages(mem: TableMemory, heap: PageHeap, root: number, ipa: number, pages: number): void {
  if (!ipaInRange(ipa, pages)) return;
  for (let i = 0; i < pages; i++) {
    const slot = leafSlot(mem, heap, root, ipa + i * 0x1000, false);
    if (slot !== null) mem.write64(slot, 0n);
  }
}

/** The page mapping of `ipa` (any address in the page), or null. */
export function lookup(mem: TableMemory, heap: PageHeap, root: number, ipa: number): S2Mapping | null {
  if (!ipaInRange(ipa - (ipa % 0x1000), 1)) return null;
  const slot = leafSlot(mem, heap, root, ipa - (ipa % 0x1000), false);
  return slot === null ? null : decodeLeaf(mem.read64(slot));
}

/** Create the tables `pages` pages at `ipa` need, changing no mapping; false when the heap runs out or the range is out of the IPA space. */
export function prepareTables(mem: TableMemory, heap: PageHeap, root: number, ipa: number, pages: number): boolean {
  if (!ipaInRange(ipa, pages)) return false;
  // One leaf slot per 2 MiB is enough to create every table the range needs.
  for (let a = ipa; a < ipa + pages * 0x1000; a = Math.floor(a / 0x20_0000) * 0x20_0000 + 0x20_0000) {
    if (leafSlot(mem, heap, root, a, true) === null) return false;
  }
  return true;
}
