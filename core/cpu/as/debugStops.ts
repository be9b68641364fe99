// Debugger stops: PC breakpoints and system-register watches. The host arms
// them in the machine-globals area between run() calls (layout.ts MG_*); they
// only decide where run() returns, never what an instruction does, so a run
// with stops armed computes exactly what a run without them does.
//
// Breakpoints cost nothing on pages without one: fetch() only reaches
// fetchSlow() when the cached fetch page changes, and a page holding a
// breakpoint is never cached, so every fetch from it is checked here.
import {
  MACHINE_GLOBALS_BASE, MG_BP_COUNT, MG_BP_SKIP, MG_BP_TABLE, BP_ENTRY_BYTES, MG_WATCH_COUNT, MG_WATCH_TABLE,
  ST_HOST_AUX, EXIT_BREAK, EXIT_WATCH, EXIT_DATA_WATCH,
  MG_DW_COUNT, MG_DW_TABLE, DW_ENTRY_BYTES, DW_WRITE, DW_READ, MG_DW_SKIP,
} from "../layout";
import { S, el, cpuIndex, exitReason, fault, blockStop, ipc, sliceStart, executedNow } from "./cpu";

const PAGE_MASK: u64 = 0xffff_ffff_ffff_f000;
export const BP_NONE: i32 = 0; // no breakpoint on this page
export const BP_PAGE: i32 = 1; // a breakpoint on this page, not at this PC for this CPU/EL: fetch, do not cache the page
export const BP_HIT: i32 = 2; // stop before this instruction

@inline export function breakpointsArmed(): bool {
  return load<u32>(MACHINE_GLOBALS_BASE + MG_BP_COUNT) != 0;
}

/** Classify a fetch from `va` against the armed breakpoints. On a hit the
 *  run loop does not count the instruction and run() ends with EXIT_BREAK,
 *  pc still at `va`. A CPU resumed at a breakpoint it stopped at passes over
 *  it once (MG_BP_SKIP). A page holding a breakpoint is never cached, so the
 *  block engine and translated code never run from it (index.ts runs such a
 *  page one instruction at a time). */
export function breakpointCheck(va: u64): i32 {
  const n = load<u32>(MACHINE_GLOBALS_BASE + MG_BP_COUNT);
  let onPage = false;
  let hit = false;
  for (let i: u32 = 0; i < n; i++) {
    const e = MACHINE_GLOBALS_BASE + MG_BP_TABLE + <usize>i * BP_ENTRY_BYTES;
    const bva = load<u64>(e);
    if ((bva & PAGE_MASK) != (va & PAGE_MASK)) continue;
    onPage = true;
    if (bva == va && (load<u32>(e, 8) & (<u32>1 << cpuIndex)) != 0 && (load<u32>(e, 12) & (<u32>1 << el)) != 0) hit = true;
  }
  if (!onPage) return BP_NONE;
  if (!hit) return BP_PAGE;
  const skip = MACHINE_GLOBALS_BASE + MG_BP_SKIP + (<usize>cpuIndex << 3);
  if (load<u64>(skip) == va) {
    store<u64>(skip, 1);
    return BP_PAGE;
  }
  exitReason = EXIT_BREAK;
  fault = true;
  blockStop = true;
  return BP_HIT;
}

/** After an MRS/MSR that completed: end the batch if `key` is watched. */
export function watchCheck(key: u32, isRead: u32): void {
  const n = load<u32>(MACHINE_GLOBALS_BASE + MG_WATCH_COUNT);
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(MACHINE_GLOBALS_BASE + MG_WATCH_TABLE + (<usize>i << 2)) == key) {
      store<u64>(S + ST_HOST_AUX, <u64>key | (<u64>isRead << 16));
      exitReason = EXIT_WATCH;
      blockStop = true;
      return;
    }
  }
}

/** No breakpoint passed over: every CPU's skip slot empty. */
export function clearBreakSkips(cpus: i32): void {
  for (let c = 0; c < cpus; c++) store<u64>(MACHINE_GLOBALS_BASE + MG_BP_SKIP + (<usize>c << 3), 1);
}

// ---- data watchpoints ----
// Ranges of host (= physical) addresses. A load or store touching one stops
// run() before the accessing instruction, which is not executed or counted
// (EXIT_DATA_WATCH; handlers check `fault` after every access, so nothing of
// it is written back, except the first half of a pair that straddles into a
// watched range, which the re-execution writes again with the same value).
// Watched pages carry no TLB write tag and a poisoned read tag (WATCH_POISON:
// never equal to a masked VA), so only accesses to them leave the fast path
// of every engine; the slow path reuses the cached translation (mmu.ts
// watchRefill), so the TLB and its statistics are those of a run without
// watches.

/** Or'ed into a TLB read tag of a watched page: bit 11 is cleared by every fast-path compare. */
export const WATCH_POISON: u64 = 0x800;

@inline export function dataWatchesArmed(): bool {
  return load<u32>(MACHINE_GLOBALS_BASE + MG_DW_COUNT) != 0;
}

/** Does an armed range overlap the 4 KiB page of `host`? */
export function watchedPage(host: usize): bool {
  const n = load<u32>(MACHINE_GLOBALS_BASE + MG_DW_COUNT);
  const page = <u64>(host & ~(<usize>0xfff));
  for (let i: u32 = 0; i < n; i++) {
    const e = MACHINE_GLOBALS_BASE + MG_DW_TABLE + <usize>i * DW_ENTRY_BYTES;
    const start = load<u64>(e);
    const end = start + <u64>load<u32>(e, 8);
    if (start < page + 0x1000 && end > page) return true;
  }
  return false;
}

/** An access of `size` bytes at `host` (read, write, or both for atomics):
 *  true when it must stop before this instruction (fault and blockStop set,
 *  EXIT_DATA_WATCH). The instruction that stopped passes its hits once
 *  when resumed (MG_DW_SKIP: the same tick and pc). */
export function dataWatchCheck(host: usize, size: u32, kinds: u32): bool {
  const n = load<u32>(MACHINE_GLOBALS_BASE + MG_DW_COUNT);
  const a = <u64>host;
  const b = a + <u64>size;
  for (let i: u32 = 0; i < n; i++) {
    const e = MACHINE_GLOBALS_BASE + MG_DW_TABLE + <usize>i * DW_ENTRY_BYTES;
    const start = load<u64>(e);
    const end = start + <u64>load<u32>(e, 8);
    if ((load<u32>(e, 12) & kinds) == 0 || start >= b || end <= a) continue;
    const now = sliceStart + executedNow();
    const skip = MACHINE_GLOBALS_BASE + MG_DW_SKIP + (<usize>cpuIndex << 4);
    if (load<u64>(skip) == now && load<u64>(skip, 8) == ipc) return false;
    store<u64>(skip, now);
    store<u64>(skip, ipc, 8);
    store<u64>(S + ST_HOST_AUX, (a > start ? a : start) | ((kinds & DW_WRITE) != 0 ? (<u64>1 << 63) : 0));
    exitReason = EXIT_DATA_WATCH;
    fault = true;
    blockStop = true;
    return true;
  }
  return false;
}

/** Forget every passed data watch hit (the machine's state was replaced). */
export function clearDataWatchSkips(cpus: i32): void {
  for (let c = 0; c < cpus; c++) {
    store<u64>(MACHINE_GLOBALS_BASE + MG_DW_SKIP + (<usize>c << 4), 0);
    store<u64>(MACHINE_GLOBALS_BASE + MG_DW_SKIP + (<usize>c << 4), 0, 8);
  }
}

export { DW_READ, DW_WRITE };
