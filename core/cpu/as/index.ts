// The CPU core's exported surface: init, run(budget) and the few operations
// the TypeScript side (EL2/EL3 software, the machine) performs on a CPU.
import {
  ST_EXECUTED, ST_EXIT_REASON, ST_SLICE_START_TICK, ST_EXCL_VALID, ST_CPU_INDEX, EXIT_BUDGET,
  DECODE_MEMO_BASE, DECODE_MEMO_ENTRIES, RAM_HOST_BASE, BLOCK_HEADER_BYTES, ENGINE_INTERP, ENGINE_BLOCKS, ENGINE_JIT,
  B_COUNT, B_FN, B_ENTRY, B_HITS, JIT_THRESHOLD, JIT_FLUSH, ST_NZCV, ST_JIT_PC, EXIT_BREAK, EXIT_DATA_WATCH,
} from "../layout";
import {
  S, pc, ipc, insnG, fault, exitReason, intrCheck, execOrigin, sliceStart, numCpus, ramPa, ramBytes, romdHost, blockStop, nzcv,
  boundaryAt,
  fetchPage, fetchHost,
  enter, leave, stateOf, setPstate, packPstate, contextChanged, CTX_SECURE,
} from "./cpu";
import { checkInterrupts, exceptionReturn } from "./exceptions";
import { fetch, fetchTranslate, fetchHostOnce, FETCH_FAULT, FETCH_UNCACHED, tlbFlushCpu, tlbInvalidate, dirtyReset, romdSet, dataWatchesChanged } from "./mmu";
import {
  codeCacheInit, codeFlush, codeWritten as codeWrittenRange, lookupBlock, buildBlock,
  blocksBuilt, cacheFlushes, pagesInvalidated, pageRec, lookupBase,
} from "./codecache";
import { jitBase } from "./jitabi";
import { hostJitCompile } from "./host";
export { jitInterp, jitLoad, jitStore } from "./jitabi";
import { decode } from "./decode";
import { exec, initTables } from "./exec";
import { clearBreakSkips, clearDataWatchSkips } from "./debugStops";
import { debugConfigFor, debugBefore, debugAfterStep, debugGate, setSteppedInsn, DG_STEP, DBG_TAKEN, DBG_STEP } from "./debugArch";

export { clearBreakSkips, clearDataWatchSkips, dataWatchesChanged };

/** One-time set-up: machine size and constant tables. */
export function init(cpus: i32, ramPaLo: i32, ramPaHi: i32, ramSizeLo: i32, ramSizeHi: i32): void {
  numCpus = cpus;
  ramPa = (<u64><u32>ramPaHi << 32) | <u64><u32>ramPaLo;
  ramBytes = (<u64><u32>ramSizeHi << 32) | <u64><u32>ramSizeLo;
  romdHost = RAM_HOST_BASE + <usize>ramBytes; // RAM is a whole number of MiB
  for (let c = 0; c < cpus; c++) {
    store<u32>(stateOf(c) + ST_CPU_INDEX, c);
    tlbFlushCpu(c);
  }
  initTables();
  clearBreakSkips(cpus);
  clearDataWatchSkips(cpus);
  codeCacheInit();
  const udf0 = <u64>decode(0) << 32;
  for (let i = 0; i < DECODE_MEMO_ENTRIES; i++) store<u64>(DECODE_MEMO_BASE + (<usize>i << 3), udf0);
}

/** Calls of translated code (statistics, not simulation state). */
let jitCalls: u32 = 0;

/** Which engine run() uses (ENGINE_*); results are identical, speed is not. */
let engine: i32 = ENGINE_BLOCKS;

export function setEngine(mode: i32): void {
  engine = mode;
}

/** Executions of an untranslated block before its page is translated (tests use 1). */
let jitThreshold: u32 = JIT_THRESHOLD;

export function setJitThreshold(n: i32): void {
  jitThreshold = n < 1 ? 1 : <u32>n;
}

/**
 * Execute up to `budget` instructions on `cpu`, starting at virtual tick
 * start. Returns the EXIT_* reason; ST_EXECUTED holds the ticks used.
 */
export function run(cpu: i32, budget: i32, startLo: i32, startHi: i32): i32 {
  enter(cpu);
  // The TypeScript software may have written debug registers since the last run.
  debugConfigFor(S, cpu);
  sliceStart = (<u64><u32>startHi << 32) | <u64><u32>startLo;
  store<u64>(S + ST_SLICE_START_TICK, sliceStart);
  let n = engine == ENGINE_INTERP ? runInterp(0, budget) : runBlocks(budget);
  if (stepArmed) {
    // Guest software step armed at a boundary: the rest of the slice instruction by instruction.
    stepArmed = false;
    n = runInterpStepping(n, budget);
  }
  if (exitReason == EXIT_DATA_WATCH) {
    // Stopped inside the instruction at ipc before its watched access: every
    // engine counted it and moved on; it has not executed.
    n--;
    pc = ipc;
  }
  leave();
  store<u64>(S + ST_EXECUTED, <u64>n);
  store<u32>(S + ST_EXIT_REASON, exitReason >= 0 ? exitReason : EXIT_BUDGET);
  return exitReason >= 0 ? exitReason : EXIT_BUDGET;
}

// Both engines keep the instruction count in a local; callees that publish
// the current tick derive it from execOrigin and ipc (cpu.ts executedNow).
// Interrupts are checked where intrCheck is set, which only happens inside
// an instruction that also ends its block, so both check at the same points.

/** One instruction at a time: fetch, decode memo, dispatch. With `debug`
 *  (guest software step armed, debugArch.ts: every engine switches to this
 *  at the next boundary where intrCheck is set, which a write of a debug
 *  register sets) each instruction is checked for it. */
function runInterp(n0: i32, budget: i32): i32 {
  return interpLoop(n0, budget, false);
}

/** runInterp with every instruction checked for guest software step. */
function runInterpStepping(n0: i32, budget: i32): i32 {
  return interpLoop(n0, budget, true);
}

/** Set by a loop that stops at a boundary where guest software step is armed (run() goes on stepping). */
let stepArmed = false;

// Inlined into both with `debug` a constant, so the plain loop carries no
// per-instruction debug test.
@inline function interpLoop(n0: i32, budget: i32, debug: bool): i32 {
  let n: i32 = n0;
  while (n < budget) {
    if (intrCheck) {
      boundaryAt(n);
      if (!debug && (debugGate() & DG_STEP) != 0) {
        stepArmed = true;
        return n;
      }
      if (checkInterrupts()) {
        fault = false;
        if (exitReason >= 0) break;
        continue;
      }
    }
    const at = pc;
    ipc = at;
    execOrigin = <u64><i64>n - (at >> 2);
    let stepped = false;
    if (debug) {
      const d = debugBefore(at);
      if (d == DBG_TAKEN) {
        // A breakpoint or pending step exception is taken instead: not an instruction.
        fault = false;
        if (exitReason >= 0) break;
        continue;
      }
      stepped = d == DBG_STEP;
      setSteppedInsn(stepped);
    }
    n++;
    const insn = fetch(at);
    if (fault) {
      // A faulting fetch counts as an executed instruction; a breakpoint does not.
      if (exitReason == EXIT_BREAK) n--;
      fault = false;
      if (exitReason >= 0) break;
      continue;
    }
    insnG = insn;
    pc = at + 4;
    // Decode memo indexed by PC: (encoding, op | aux << 16). The stored
    // encoding is compared, so rewritten code is decoded afresh. init() seeds
    // every slot with encoding 0 and its decoding: no validity bit.
    const slot = DECODE_MEMO_BASE + (<usize>((<u32>at >> 2) & (DECODE_MEMO_ENTRIES - 1)) << 3);
    const m = load<u64>(slot);
    let opaux: u32;
    if (<u32>m == insn) {
      opaux = <u32>(m >> 32);
    } else {
      opaux = decode(insn);
      store<u64>(slot, (<u64>opaux << 32) | <u64>insn);
    }
    exec(opaux & 0xffff, opaux >> 16, insn);
    if (stepped) {
      setSteppedInsn(false);
      if (!fault) debugAfterStep(insn);
    }
    if (fault | (exitReason >= 0)) {
      fault = false;
      if (exitReason >= 0) break;
    }
  }
  blockStop = false;
  setSteppedInsn(false);
  return n;
}

/** Predecoded blocks (codecache.ts): the fetch translation and the block
 *  lookup once per block, then one dispatch per instruction. A block is cut
 *  short where the budget ends, so counts are exactly the interpreter's. */
function runBlocks(budget: i32): i32 {
  let n: i32 = 0;
  while (n < budget) {
    if (intrCheck) {
      boundaryAt(n);
      if ((debugGate() & DG_STEP) != 0) {
        stepArmed = true;
        return n;
      }
      if (checkInterrupts()) {
        fault = false;
        blockStop = false;
        if (exitReason >= 0) break;
        continue;
      }
    }
    const at = pc;
    execOrigin = <u64><i64>n - (at >> 2);
    let host: usize;
    let single = false;
    if ((at & 0xffff_ffff_ffff_f003) == fetchPage) {
      host = fetchHost + <usize>(at & 0xfff);
    } else {
      ipc = at;
      const f = fetchTranslate(at);
      if (f == FETCH_FAULT) {
        // As the interpreter: a faulting fetch counts as an executed instruction, a breakpoint does not.
        if (exitReason != EXIT_BREAK) n++;
        fault = false;
        blockStop = false;
        if (exitReason >= 0) break;
        continue;
      }
      host = fetchHostOnce + <usize>(at & 0xfff);
      // A page holding a breakpoint runs one instruction at a time, each fetch checked.
      single = f == FETCH_UNCACHED;
    }
    let b = lookupBlock(host);
    if (b == 0) b = buildBlock(host);
    let count = single ? 1 : load<i32>(b, B_COUNT);
    if (engine == ENGINE_JIT && !single && count <= budget - n) {
      let fn = load<u32>(b, B_FN);
      if (fn == 0) {
        const hits = load<u32>(b, B_HITS) + 1;
        store<u32>(b, hits, B_HITS);
        if (hits == jitThreshold) {
          if (hostJitCompile(<i32>b) == JIT_FLUSH) {
            codeFlush();
            continue;
          }
          fn = load<u32>(b, B_FN);
        }
      }
      if (fn != 0) {
        // Translated code keeps NZCV in the state block and returns the
        // instructions it executed; the next PC is in ST_JIT_PC unless the
        // flag says a helper already set it (an exception, a host exit).
        store<u32>(S + ST_NZCV, nzcv);
        jitBase = n;
        const r = call_indirect<i32>(fn, S, load<i32>(b, B_ENTRY), budget - n, at & 0xffff_ffff_ffff_f000);
        jitCalls++;
        n += r & 0x7fffffff;
        nzcv = load<u32>(S + ST_NZCV);
        if (r >= 0) pc = load<u64>(S + ST_JIT_PC);
        if (blockStop) {
          blockStop = false;
          fault = false;
          if (exitReason >= 0) break;
        }
        continue;
      }
    }
    if (count > budget - n) count = budget - n;
    let e = b + BLOCK_HEADER_BYTES;
    const end = e + (<usize>count << 3);
    let p = at;
    // Only the block's last instruction can branch or take a preferred-return
    // exception (SVC/HVC/SMC end blocks): pc is set once, to the block's end.
    pc = at + (<u64>count << 2);
    n += count;
    do {
      const ent = load<u64>(e);
      const insn = <u32>ent;
      const opaux = <u32>(ent >> 32);
      ipc = p;
      insnG = insn;
      p += 4;
      exec(opaux & 0xffff, opaux >> 16, insn);
      e += 8;
    } while (!blockStop && e < end);
    if (blockStop) {
      // Stopped inside the block: count what ran; without an exception the
      // next instruction follows the one that stopped it.
      n -= <i32>((end - e) >> 3);
      if (!fault && e != end) pc = p;
      blockStop = false;
      fault = false;
      if (exitReason >= 0) break;
    }
  }
  return n;
}

/** ERET from EL2/EL3 for `cpu` (its TypeScript handler is done). */
export function eret(cpu: i32): void {
  enter(cpu);
  exceptionReturn();
  fault = false;
  leave();
}

/** Replace PSTATE of `cpu` (SPSR format), banking stack pointers. */
export function writePstate(cpu: i32, value: i32): void {
  enter(cpu);
  setPstate(<u32>value);
  leave();
}

export function readPstate(cpu: i32): i32 {
  enter(cpu);
  const v = packPstate();
  leave();
  return <i32>v;
}

/** The TypeScript side changed translation controls (HCR_EL2, VTTBR_EL2, SCTLR...). */
export function flushTlb(cpu: i32): void {
  enter(cpu);
  tlbFlushCpu(cpu);
  contextChanged();
  leave();
}

/** TLBI by VMID on the CPUs in `cpuMask` (EL2 TLBI VMALLS12E1IS and friends)
 *  for the EL1&0 regime of one Security state; vmid < 0: all. */
export function invalidateVmid(cpuMask: i32, vmid: i32, secure: i32): void {
  tlbInvalidate(<u32>cpuMask, secure != 0 ? CTX_SECURE : 0, vmid, -1, false, 0, true);
}

/** ROM-device units in romd mode (bit n = unit n of layout.ts's ROMD window). */
export function setRomd(mask: i32): void {
  romdSet(<u32>mask);
}

/** Start a new dirty-page epoch: clear the map and drop every write tag so
 *  the next write to each page is seen (incremental snapshots). */
export function resetDirty(): void {
  dirtyReset();
}

/** TypeScript wrote guest memory at host offsets [host, host + len). */
export function codeWritten(host: i32, len: i32): void {
  codeWrittenRange(<usize>host, <usize>len);
}

/** Memory was replaced wholesale (snapshot restore): drop every cached block. */
export function flushCode(): void {
  codeFlush();
}

/** Block cache statistics: 0 blocks built, 1 flushes, 2 pages invalidated, 3 calls of translated code. */
export function codeStat(which: i32): i32 {
  if (which == 0) return <i32>blocksBuilt;
  if (which == 1) return <i32>cacheFlushes;
  if (which == 2) return <i32>pagesInvalidated;
  return <i32>jitCalls;
}

/** Page record address of a host address (for the translator). */
export function codePageRec(host: i32): i32 {
  return <i32>pageRec(<usize>host);
}
