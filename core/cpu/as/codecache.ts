// The predecoded block cache (docs/cpu-speed.md). A block is the decoded
// instructions from an entry point up to the first instruction that may
// change the PC, the translation context or the interrupt state (branches,
// exception-generating and system instructions), the end of the page, or
// BLOCK_MAX_INSNS. Blocks are keyed by host (= physical) address, so they
// serve every CPU, EL and translation context that maps the page; the VA ->
// physical step is the ordinary instruction fetch translation, done once per
// block entry.
//
// The rule the cache keeps: an instruction is executed from the bytes memory
// holds when it is reached, exactly as the per-instruction interpreter does.
// Every page holding a block carries a mask of its 64-byte lines that hold
// decoded instructions; TLB entries of such pages never get a write tag, so
// every write to them takes the slow path, which drops the page's blocks when
// the write touches one of those lines and stops the running block after the
// writing instruction. Writes from TypeScript (loaders, EL2 software, DMA)
// reach codeWritten(); snapshot restores flush everything.
//
// All of it lives after RAM in the wasm memory, outside everything a snapshot
// saves; nothing here is simulation state.
import {
  CODE_LOOKUP_ENTRIES, CODE_LOOKUP_BYTES, CODE_PAGE_REC_BYTES, CODE_ARENA_BYTES, BLOCK_HEADER_BYTES, BLOCK_MAX_INSNS,
  SECURE_RAM_HOST_BASE, TLB_ENTRIES, TLB_ENTRY_BYTES, ROMD_BYTES,
  B_HOST, B_COUNT, B_NEXT, B_HITS, B_FN, B_ENTRY, P_MASK, P_HEAD, P_TRANSLATIONS,
} from "../layout";
import { numCpus, romdHost, tlbArray, blockStop } from "./cpu";
import * as O from "../ops";
import { decode } from "./decode";

// Block record (at an 8-byte aligned arena address, fields B_* in layout.ts),
// then count x u64: encoding (low 32) | handler id and aux (high 32).
// Page record (CODE_PAGE_REC_BYTES per host page from SECURE_RAM_HOST_BASE to
// the end of the ROM-device window, fields P_*).

const TAG_INVALID: u64 = 8; // as in mmu.ts

export let lookupBase: usize = 0;
let pagesBase: usize = 0;
let arenaBase: usize = 0;
let arenaEnd: usize = 0;
let arenaNext: usize = 0;
let codeHi: usize = 0; // end of the host range that can hold code
/** Blocks built and flushes since init (statistics, not simulation state). */
export let blocksBuilt: u32 = 0;
export let cacheFlushes: u32 = 0;
export let pagesInvalidated: u32 = 0;

/** Place the cache after RAM and the ROM-device window, which can hold code
 *  too (the TypeScript side sized the memory for it). */
export function codeCacheInit(): void {
  codeHi = romdHost + <usize>ROMD_BYTES;
  lookupBase = (codeHi + 0xffff) & ~(<usize>0xffff);
  pagesBase = lookupBase + CODE_LOOKUP_BYTES;
  arenaBase = pagesBase + (((codeHi - SECURE_RAM_HOST_BASE) >> 12) * CODE_PAGE_REC_BYTES);
  arenaEnd = arenaBase + CODE_ARENA_BYTES;
  codeFlush();
  cacheFlushes = 0;
}

/** Drop every block. */
export function codeFlush(): void {
  memory.fill(lookupBase, 0, arenaBase - lookupBase);
  arenaNext = arenaBase;
  cacheFlushes++;
}

@inline function lookupSlot(host: usize): usize {
  return lookupBase + (((host >> 2) & (CODE_LOOKUP_ENTRIES - 1)) << 3);
}

@inline export function pageRec(host: usize): usize {
  return pagesBase + ((host - SECURE_RAM_HOST_BASE) >> 12) * CODE_PAGE_REC_BYTES;
}

/** The block starting at `host`, or 0. */
@inline export function lookupBlock(host: usize): usize {
  const s = lookupSlot(host);
  return load<u32>(s) == <u32>host ? <usize>load<u32>(s, 4) : 0;
}

/** Instructions after which a block ends: they may change the PC, the
 *  translation context, PSTATE or the interrupt state, or always raise. */
@inline export function endsBlock(op: u32): bool {
  return (op >= <u32>O.OP_B && op <= <u32>O.OP_MRS_MSR) || op == <u32>O.OP_UNALLOC || op == <u32>O.OP_UDF;
}

/** Decode the block starting at `host` (a RAM address, 4-byte aligned). */
export function buildBlock(host: usize): usize {
  if (arenaNext + BLOCK_HEADER_BYTES + BLOCK_MAX_INSNS * 8 > arenaEnd) codeFlush();
  const b = arenaNext;
  let h = host;
  let e = b + BLOCK_HEADER_BYTES;
  let n: u32 = 0;
  while (true) {
    const insn = load<u32>(h);
    const opaux = decode(insn);
    store<u64>(e, (<u64>opaux << 32) | <u64>insn);
    n++;
    h += 4;
    e += 8;
    if (endsBlock(opaux & 0xffff) || (h & 0xfff) == 0 || n == BLOCK_MAX_INSNS) break;
  }
  arenaNext = e;
  const pr = pageRec(host);
  store<u32>(b, <u32>host, B_HOST);
  store<u32>(b, n, B_COUNT);
  store<u32>(b, load<u32>(pr, P_HEAD), B_NEXT);
  store<u32>(b, 0, B_HITS);
  store<u32>(b, 0, B_FN);
  store<u32>(b, 0, B_ENTRY);
  store<u32>(pr, <u32>b, P_HEAD);
  const first = (host & 0xfff) >> 6;
  const last = ((h - 4) & 0xfff) >> 6;
  const lines = (last == 63 ? 0 : (<u64>1 << (last + 1))) - (<u64>1 << first);
  const mask = load<u64>(pr, P_MASK);
  if (mask == 0) protectPage(host & ~(<usize>0xfff));
  store<u64>(pr, mask | lines, P_MASK);
  const s = lookupSlot(host);
  store<u32>(s, <u32>host);
  store<u32>(s, <u32>b, 4);
  blocksBuilt++;
  return b;
}

/** A page just got its first block: take the write tag from every TLB entry
 *  that maps it, so writes to it reach codeWrite(). */
function protectPage(hostPage: usize): void {
  for (let cpu = 0; cpu < numCpus; cpu++) {
    const base = tlbArray(cpu, 0);
    for (let i: usize = 0; i < <usize>(TLB_ENTRIES * 2); i++) {
      const e = base + i * TLB_ENTRY_BYTES;
      if (load<u64>(e, 8) != TAG_INVALID && <usize>(load<u64>(e, 56) + load<u64>(e, 24)) == hostPage) store<u64>(e, TAG_INVALID, 8);
    }
  }
}

/** Does the page of `host` hold blocks (its writes must not get a TLB write tag)? */
@inline export function isCodePage(host: usize): bool {
  return host >= <usize>SECURE_RAM_HOST_BASE && host < codeHi && load<u64>(pageRec(host), P_MASK) != 0;
}

/** A write of `size` bytes (within one page) at `host` is about to happen:
 *  drop the page's blocks if it touches a line holding one. */
export function codeWrite(host: usize, size: u32): void {
  if (host < <usize>SECURE_RAM_HOST_BASE || host >= codeHi) return;
  const pr = pageRec(host);
  const mask = load<u64>(pr, P_MASK);
  if (mask == 0) return;
  const first = (host & 0xfff) >> 6;
  const lastByte = host + <usize>size - 1;
  const last = (lastByte >> 12) != (host >> 12) ? 63 : (lastByte & 0xfff) >> 6;
  const lines = (last == 63 ? 0 : (<u64>1 << (last + 1))) - (<u64>1 << first);
  if ((mask & lines) == 0) return;
  invalidatePage(pr);
}

function invalidatePage(pr: usize): void {
  for (let b = <usize>load<u32>(pr, P_HEAD); b != 0; b = <usize>load<u32>(b, B_NEXT)) {
    const s = lookupSlot(<usize>load<u32>(b, B_HOST));
    if (<usize>load<u32>(s, 4) == b) {
      store<u32>(s, 0);
      store<u32>(s, 0, 4);
    }
    store<u32>(b, 0, B_HOST); // dead: never found again
  }
  store<u64>(pr, 0, P_MASK);
  store<u32>(pr, 0, P_HEAD);
  store<u32>(pr, 0, P_TRANSLATIONS);
  pagesInvalidated++;
  blockStop = true; // the running block may be one of them: stop after this instruction
}

/** TypeScript wrote [host, host + len): drop the blocks it touched. */
export function codeWritten(host: usize, len: usize): void {
  if (len == 0) return;
  let a = host;
  const end = host + len;
  while (a < end) {
    const pageEnd = (a & ~(<usize>0xfff)) + 0x1000;
    const stop = pageEnd < end ? pageEnd : end;
    codeWrite(a, <u32>(stop - a));
    a = stop;
  }
}
