// The translator's manager (docs/cpu-speed.md): the core asks it to
// translate the page of a hot block (jitCompile); it gathers the page's
// decoded blocks from the core's memory, builds a module sharing that memory,
// puts its function in the core's table and records the table slot and entry
// number in each block record. Table slots are handed out until the table is
// full; then the core flushes its block cache and every slot is free again.
// Nothing here is simulation state: dropping every translation at any time
// changes no result.
import * as L from '../layout.js';
import { translatePage, type PageBlock } from './translate.js';

/** Table slots for translations (slot 0 stays empty: B_FN = 0 means none). */
export const JIT_TABLE_SLOTS = 4096;
/** Translations of one page before the translator gives up on it (new hot blocks keep appearing). */
const MAX_TRANSLATIONS_PER_PAGE = 8;
/** A page's translation holds its blocks executed at least threshold / MIN_HITS_DIVISOR times
 *  (and those already translated): lukewarm neighbours come along, cold code stays out. */
const MIN_HITS_DIVISOR = 4;

interface CoreSide {
  readonly memory: WebAssembly.Memory;
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;
  /** Helpers the translations import (exports of the core instance). */
  readonly helpers: Record<string, unknown>;
  /** Page record address of a host address. */
  pageRec(host: number): number;
  /** Block cache flushes so far (a flush frees every slot). */
  flushes(): number;
}

// Compiled modules by their bytes, shared by every core of the process (like
// the core's own module): a page translated again (another machine, a replay,
// a benchmark round) reuses the code V8 has already optimised. Not
// simulation state: the bytes alone determine the module.
const MODULE_CACHE_MAX = 4096;
const moduleCache = new Map<string, WebAssembly.Module>();

function compiled(bytes: Uint8Array): { module: WebAssembly.Module; cached: boolean } {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const hit = moduleCache.get(key);
  if (hit) {
    moduleCache.delete(key); // most recently used last
    moduleCache.set(key, hit);
    return { module: hit, cached: true };
  }
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  moduleCache.set(key, module);
  if (moduleCache.size > MODULE_CACHE_MAX) moduleCache.delete(moduleCache.keys().next().value!);
  return { module, cached: false };
}

export interface JitStats {
  /** Pages translated (modules built) since the core was created. */
  translations: number;
  /** Blocks in those translations. */
  blocks: number;
  /** Guest instructions in those translations. */
  instructions: number;
  /** Bytes of wasm generated. */
  wasmBytes: number;
  /** Translations whose module came from the process-wide cache. */
  cachedModules: number;
  /** Requests declined (page translated too often). */
  declined: number;
  /** Times the table filled up and the block cache was flushed. */
  tableFlushes: number;
  /** Translations currently reachable from the table. */
  live: number;
}

export class Jit {
  readonly table: WebAssembly.Table;
  readonly stats: JitStats = { translations: 0, blocks: 0, instructions: 0, wasmBytes: 0, cachedModules: 0, declined: 0, tableFlushes: 0, live: 0 };
  private core: CoreSide | undefined;
  private nextSlot = 1;
  private seenFlushes = -1;
  private memoryPages = 0;
  /** Executions of a block before its page is translated (the core's copy decides; this one sizes translations). */
  threshold: number = L.JIT_THRESHOLD;

  constructor() {
    this.table = new WebAssembly.Table({ initial: JIT_TABLE_SLOTS, maximum: JIT_TABLE_SLOTS, element: 'anyfunc' });
  }

  attach(core: CoreSide): void {
    this.core = core;
    this.memoryPages = core.memory.buffer.byteLength / L.WASM_PAGE_BYTES;
  }

  /** Translate the page holding block record `block`; returns JIT_COMPILED, JIT_DECLINED or JIT_FLUSH. */
  compile(block: number): number {
    const c = this.core!;
    const flushes = c.flushes();
    if (flushes !== this.seenFlushes) {
      // Every block record is new since the last flush: every slot is free.
      this.seenFlushes = flushes;
      if (this.nextSlot > 1) for (let i = 1; i < this.nextSlot; i++) this.table.set(i, null);
      this.nextSlot = 1;
      this.stats.live = 0;
    }
    if (this.nextSlot >= JIT_TABLE_SLOTS) {
      this.stats.tableFlushes++;
      return L.JIT_FLUSH;
    }
    const u32 = c.u32;
    const host = u32[(block + L.B_HOST) / 4]!;
    const page = c.pageRec(host);
    const tries = u32[(page + L.P_TRANSLATIONS) / 4]!;
    if (tries >= MAX_TRANSLATIONS_PER_PAGE) {
      this.stats.declined++;
      return L.JIT_DECLINED;
    }
    // The page's blocks, one per start offset.
    const byOffset = new Map<number, number[]>();
    const minHits = Math.max(1, Math.floor(this.threshold / MIN_HITS_DIVISOR));
    for (let b = u32[(page + L.P_HEAD) / 4]!; b !== 0; b = u32[(b + L.B_NEXT) / 4]!) {
      const h = u32[(b + L.B_HOST) / 4]!;
      if (h === 0) continue;
      const wanted = b === block || u32[(b + L.B_FN) / 4]! !== 0 || u32[(b + L.B_HITS) / 4]! >= minHits;
      if (!wanted) continue;
      const off = h & 0xfff;
      const list = byOffset.get(off);
      if (list) list.push(b);
      else byOffset.set(off, [b]);
    }
    const offsets = [...byOffset.keys()].sort((a, b) => a - b);
    const blocks: PageBlock[] = offsets.map((off) => {
      const b = byOffset.get(off)![0]!;
      const count = u32[(b + L.B_COUNT) / 4]!;
      const insns = [];
      for (let i = 0; i < count; i++) {
        const at = (b + L.BLOCK_HEADER_BYTES) / 4 + i * 2;
        const opaux = u32[at + 1]!;
        insns.push({ insn: u32[at]!, op: opaux & 0xffff, aux: opaux >>> 16 });
      }
      return { offset: off, insns };
    });
    const bytes = translatePage(blocks, { bitmask: (i) => c.u64[(L.BITMASK_TABLE_BASE + i * 8) / 8]! }, this.memoryPages);
    const { module, cached } = compiled(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory: c.memory, ...c.helpers } });
    const slot = this.nextSlot++;
    this.table.set(slot, instance.exports.f as unknown as (...a: unknown[]) => unknown);
    offsets.forEach((off, entry) => {
      for (const b of byOffset.get(off)!) {
        u32[(b + L.B_FN) / 4] = slot;
        u32[(b + L.B_ENTRY) / 4] = entry;
      }
    });
    u32[(page + L.P_TRANSLATIONS) / 4] = tries + 1;
    const st = this.stats;
    st.translations++;
    st.live++;
    st.blocks += blocks.length;
    st.instructions += blocks.reduce((s, b) => s + b.insns.length, 0);
    st.wasmBytes += bytes.length;
    if (cached) st.cachedModules++;
    return L.JIT_COMPILED;
  }
}
