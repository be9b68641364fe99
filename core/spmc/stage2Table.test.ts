import { describe, expect, it } from 'vitest';
import { PageHeap } from './pageHeap.js';
import { decodeLeaf, leafDescriptor, lookup, mapPages, prepareTables, unmapPages, type TableMemory } from './stage2Table.js';

function memory(): TableMemory & { words: Map<number, bigint> } {
  const words = new Map<number, bigint>();
  return { words, read64: (pa) => words.get(pa) ?? 0n, write64: (pa, v) => void words.set(pa, v) };
}
function heap(mem: ReturnType<typeof memory>, pages: number): PageHeap {
  return new PageHeap(0x10_0000, pages, { heapUsed: 0 }, (pa) => {
    for (let i = 0; i < 512; i++) mem.words.delete(pa + 8 * i);
  });
}

describe('stage-2 tables (4 KiB granule, 39-bit IPA, walks from level 1)', () => {
  it('leaf descriptors: S2AP, XN, MemAttr, SH, AF as the MMU reads them', () => {
    const d = leafDescriptor(0x4060_0000, { read: true, write: false, execute: false, device: false });
    expect(d).toBe(0x4060_0000n | 3n | (1n << 10n) | (1n << 6n) | (1n << 54n) | (0xfn << 2n) | (3n << 8n));
    expect(decodeLeaf(d)).toEqual({ pa: 0x4060_0000, read: true, write: false, execute: false, device: false });
    expect(decodeLeaf(leafDescriptor(0x0904_0000, { read: true, write: true, execute: false, device: true }))!.device).toBe(true);
    expect(decodeLeaf(0n)).toBe(null);
  });

  it('maps, looks up and unmaps pages; tables come from the heap (three pages for the first page), reused after', () => {
    const mem = memory();
    const h = heap(mem, 8);
    const root = h.alloc()!;
    expect(mapPages(mem, h, root, 0x0e40_0000, 0x0e40_0000, 3, { read: true, write: true, execute: true, device: false })).toBe(true);
    expect(h.alloc()).toBe(0x10_0000 + 3 * 0x1000); // root + level 2 + level 3 used
    expect(lookup(mem, h, root, 0x0e40_2abc)).toEqual({ pa: 0x0e40_2000, read: true, write: true, execute: true, device: false });
    expect(lookup(mem, h, root, 0x0e40_3000)).toBe(null);
    unmapPages(mem, h, root, 0x0e40_1000, 1);
    expect(lookup(mem, h, root, 0x0e40_1000)).toBe(null);
    expect(lookup(mem, h, root, 0x0e40_2000)).not.toBe(null);
  });

  it('refuses ranges outside the 39-bit IPA space or unaligned; an exhausted heap fails the map and prepare', () => {
    const mem = memory();
    const h = heap(mem, 2);
    const root = h.alloc()!;
    const rw = { read: true, write: true, execute: false, device: false };
    expect(mapPages(mem, h, root, 2 ** 39, 0, 1, rw)).toBe(false);
    expect(mapPages(mem, h, root, 0x1008, 0, 1, rw)).toBe(false);
    expect(prepareTables(mem, h, root, 0x4000_0000, 1)).toBe(false); // needs two more tables, one is left
    expect(lookup(mem, h, root, 2 ** 40)).toBe(null);
  });
});
