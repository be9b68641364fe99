// The CPU core's exported surface: init, run(budget) and the few operations
// the TypeScript side (EL2/EL3 software, the machine) performs on a CPU.
import {
  ST_EXECUTED, ST_EXIT_REASON, ST_SLICE_START_TICK, ST_EXCL_VALID, ST_CPU_INDEX, EXIT_BUDGET,
  DECODE_MEMO_BASE, DECODE_MEMO_ENTRIES,
} from "../layout";
import {
  S, pc, ipc, insnG, fault, exitReason, intrCheck, executed, sliceStart, numCpus, ramPa, ramBytes,
  enter, leave, stateOf, setPstate, packPstate, contextChanged,
} from "./cpu";
import { checkInterrupts, exceptionReturn } from "./exceptions";
import { fetch, tlbFlushCpu, tlbInvalidate, dirtyReset } from "./mmu";
import { decode } from "./decode";
import { exec, initTables } from "./exec";
import { clearBreakSkips } from "./debugStops";

export { clearBreakSkips };

/** One-time set-up: machine size and constant tables. */
export function init(cpus: i32, ramPaLo: i32, ramPaHi: i32, ramSizeLo: i32, ramSizeHi: i32): void {
  numCpus = cpus;
  ramPa = (<u64><u32>ramPaHi << 32) | <u64><u32>ramPaLo;
  ramBytes = (<u64><u32>ramSizeHi << 32) | <u64><u32>ramSizeLo;
  for (let c = 0; c < cpus; c++) {
    store<u32>(stateOf(c) + ST_CPU_INDEX, c);
    tlbFlushCpu(c);
  }
  initTables();
  clearBreakSkips(cpus);
  memory.fill(DECODE_MEMO_BASE, 0, DECODE_MEMO_ENTRIES * 8);
  store<u64>(DECODE_MEMO_BASE, <u64>decode(0) << 32);
}

/**
 * Execute up to `budget` instructions on `cpu`, starting at virtual tick
 * start. Returns the EXIT_* reason; ST_EXECUTED holds the ticks used.
 */
export function run(cpu: i32, budget: i32, startLo: i32, startHi: i32): i32 {
  enter(cpu);
  sliceStart = (<u64><u32>startHi << 32) | <u64><u32>startLo;
  store<u64>(S + ST_SLICE_START_TICK, sliceStart);
  executed = 0;
  while (executed < budget) {
    if (intrCheck) {
      if (checkInterrupts()) {
        fault = false;
        if (exitReason >= 0) break;
        continue;
      }
    }
    ipc = pc;
    executed++;
    const insn = fetch(pc);
    if (fault) {
      fault = false;
      if (exitReason >= 0) break;
      continue;
    }
    insnG = insn;
    pc = ipc + 4;
    // Decode memo: encoding -> (op | aux << 16), direct-mapped by a multiplicative hash.
    const slot = DECODE_MEMO_BASE + (<usize>((insn * 0x9e3779b1) >> 16) << 3);
    const m = load<u64>(slot);
    let opaux: u32;
    // Empty slots hold zero, which only encoding 0 could match, and encoding 0
    // always hashes to slot 0, which init() seeds with decode(0): no validity bit.
    if (<u32>m == insn) {
      opaux = <u32>(m >> 32);
    } else {
      opaux = decode(insn);
      store<u64>(slot, (<u64>opaux << 32) | <u64>insn);
    }
    exec(opaux & 0xffff, opaux >> 16, insn);
    fault = false;
    if (exitReason >= 0) break;
  }
  leave();
  store<u64>(S + ST_EXECUTED, <u64>executed);
  store<u32>(S + ST_EXIT_REASON, exitReason >= 0 ? exitReason : EXIT_BUDGET);
  return exitReason >= 0 ? exitReason : EXIT_BUDGET;
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

/** TLBI by VMID on the CPUs in `cpuMask` (EL2 TLBI VMALLS12E1IS and friends); vmid < 0: all. */
export function invalidateVmid(cpuMask: i32, vmid: i32): void {
  tlbInvalidate(<u32>cpuMask, vmid, -1, false, 0, true);
}

/** Start a new dirty-page epoch: clear the map and drop every write tag so
 *  the next write to each page is seen (incremental snapshots). */
export function resetDirty(): void {
  dirtyReset();
}
