// The SPMC's pool of 4 KiB pages in secure RAM for translation tables: a
// bump allocator over a fixed range (S2_HEAP_BASE, S2_HEAP_PAGES). Its only
// state is the number of pages handed out, kept in the SPMC's record.
// Allocated pages are zeroed (an empty table is all invalid descriptors).
import { PAGE_BYTES } from './secureLayout.js';

export class PageHeap {
  constructor(
    readonly base: number,
    readonly pages: number,
    /** Where the count of pages handed out lives (the SPMC's record). */
    private readonly counter: { heapUsed: number },
    private readonly zero: (pa: number) => void,
  ) {}

  alloc(): number | null {
    if (this.counter.heapUsed >= this.pages) return null;
    const pa = this.base + this.counter.heapUsed * PAGE_BYTES;
    this.counter.heapUsed++;
    this.zero(pa);
    return pa;
  }
}
