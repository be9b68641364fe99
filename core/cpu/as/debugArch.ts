// The guest-visible self-hosted debug architecture (ARM ARM D2, registers
// D13.3): hardware breakpoints (DBGBCR<n>/DBGBVR<n>), watchpoints
// (DBGWCR<n>/DBGWVR<n>), software step (MDSCR_EL1.SS with PSTATE.SS), the
// OS lock, and the routing of the debug exceptions they raise. QEMU's
// target/arm/debug_helper.c is the oracle where the ARM ARM leaves a choice.
//
// What it costs when unused: nothing per instruction. The debug registers
// are summarised in ST_DBG_GATE whenever they may have changed (a write of
// one, and every run() entry, since the TypeScript software may have written
// them). Software step makes run() use the interpreter with a check before
// each instruction (index.ts). Breakpoints are checked where a fetch is
// translated (mmu.ts fetchTranslate), and a page holding one is never
// cached for fetches, so every engine runs it one instruction at a time,
// each checked (the stub's breakpoints work the same way); watchpoints only
// poison the TLB entries of the pages they cover (mmu.ts). Other pages keep
// the fast path of every engine.
import {
  ST_DBG_GATE, ST_DBG_WSIG, ST_PSTATE_MISC, ST_DAIF, ST_NS, EXC_SYNC, EXIT_WFI, EXIT_WFE,
  SLOT_MDSCR_EL1, SLOT_MDCR_EL2, SLOT_OSLSR_EL1, SLOT_OSDLR_EL1, SLOT_DBGPRCR_EL1, SLOT_CONTEXTIDR_EL1,
  SLOT_DBGBVR0_EL1, SLOT_DBGBCR0_EL1, SLOT_DBGWVR0_EL1, SLOT_DBGWCR0_EL1, ST_SYSREG,
  DBG_BRPS, DBG_WRPS, DBG_CTX_CMPS,
} from "../layout";
import { S, el, pc, ipc, cpuIndex, sysreg, hcr, intrCheck, blockStop, exitReason, fetchPage } from "./cpu";
import { takeException, el2Enabled } from "./exceptions";
import { guestWatchesChanged } from "./mmu";

export const DG_BP: u32 = 1; // MDSCR_EL1.MDE and an enabled breakpoint
export const DG_SS: u32 = 2; // MDSCR_EL1.SS
export const DG_WP: u32 = 4; // MDSCR_EL1.MDE and an enabled watchpoint
/** Software step armed: run() must use the checking interpreter. */
export const DG_STEP: u32 = DG_SS;

export const EC_BREAKPOINT_LOWER: u32 = 0x30;
export const EC_SOFTWARE_STEP_LOWER: u32 = 0x32;
export const EC_WATCHPOINT_LOWER: u32 = 0x34;
/** ISS fault status of every debug exception: "debug exception" (0b100010). */
const DEBUG_FSC: u32 = 0x22;

const MDSCR_SS: u64 = 1;
const MDSCR_KDE: u64 = 1 << 13;
const MDSCR_MDE: u64 = 1 << 15;
const MDCR_TDE: u64 = 1 << 8;
const HCR_TGE: u64 = 1 << 27;
const PSTATE_SS: u32 = 1 << 21;
const PSTATE_D: u32 = 1 << 9;

// ---- configuration ----

@inline function reg(st: usize, slot: i32): u64 {
  return load<u64>(st + ST_SYSREG + (<usize>slot << 3));
}

/** The address a watchpoint covers, [start, start + len), or len 0 when it
 *  watches nothing (disabled, LSC reserved, MASK reserved, BAS empty). As
 *  QEMU's hw_watchpoint_update: MASK >= 3 watches 2^MASK bytes at the
 *  aligned DBGWVR; otherwise the lowest contiguous run of BAS bytes. */
let wpStart: u64 = 0;
function wpRange(st: usize, n: i32): u64 {
  const wcr = reg(st, SLOT_DBGWCR0_EL1 + n);
  let wvr = reg(st, SLOT_DBGWVR0_EL1 + n);
  if ((wcr & 1) == 0 || ((wcr >> 3) & 3) == 0) return 0;
  const mask = <u32>(wcr >> 24) & 31;
  if (mask == 1 || mask == 2) return 0;
  if (mask != 0) {
    const len: u64 = <u64>1 << mask;
    wpStart = wvr & ~(len - 1);
    return len;
  }
  let bas = <u32>(wcr >> 5) & 0xff;
  if ((wvr & 4) != 0) bas &= 0xf; // 4-aligned, not 8-aligned: only BAS[3:0] (deprecated)
  if (bas == 0) return 0;
  const first = ctz<u32>(bas);
  wpStart = wvr + <u64>first;
  return <u64>ctz<u32>(~(bas >> first));
}

/** The debug registers of the CPU whose state block is `st` changed (or may
 *  have): recompute its gate; when what the watchpoints cover changed,
 *  re-poison its TLB. */
export function debugConfigFor(st: usize, cpu: i32): void {
  const mdscr = reg(st, SLOT_MDSCR_EL1);
  let gate: u32 = (mdscr & MDSCR_SS) != 0 ? DG_SS : 0;
  let sig: u64 = 0;
  if ((mdscr & MDSCR_MDE) != 0) {
    for (let n = 0; n < DBG_BRPS; n++) if ((reg(st, SLOT_DBGBCR0_EL1 + n) & 1) != 0) gate |= DG_BP;
    for (let n = 0; n < DBG_WRPS; n++) {
      const len = wpRange(st, n);
      if (len == 0) continue;
      gate |= DG_WP;
      sig = (sig ^ (wpStart + (len << 1) + <u64>n)) * 0x9e37_79b9_7f4a_7c15 + 1;
    }
  }
  store<u32>(st + ST_DBG_GATE, gate);
  if (load<u64>(st + ST_DBG_WSIG) != sig) {
    store<u64>(st + ST_DBG_WSIG, sig);
    guestWatchesChanged(cpu);
  }
}

/** As debugConfigFor, for the CPU being run (after an MSR of a debug
 *  register: the next boundary re-checks which loop runs, index.ts). */
export function debugConfigChanged(): void {
  debugConfigFor(S, cpuIndex);
  intrCheck = true;
  blockStop = true; // the rest of a block may be under a new breakpoint
  fetchPage = 1; // and the cached fetch page may now hold one
}

@inline export function debugGate(): u32 {
  return load<u32>(S + ST_DBG_GATE);
}

/** A write to a DEBUG-flagged register: the bits QEMU keeps (DBGWVR: bits
 *  [1:0] RES0, [63:49] a copy of bit 48; DBGBCR: BAS[1] = BAS[0] and BAS[3]
 *  = BAS[2] in AArch64-only PEs). */
export function debugRegValue(slot: i32, v: u64): u64 {
  if (slot >= SLOT_DBGWVR0_EL1 && slot < SLOT_DBGWVR0_EL1 + DBG_WRPS) return <u64>((<i64>(v << 15)) >> 15) & ~(<u64>3);
  if (slot >= SLOT_DBGBCR0_EL1 && slot < SLOT_DBGBCR0_EL1 + DBG_BRPS) {
    v = (v & ~(<u64>1 << 6)) | (((v >> 5) & 1) << 6);
    return (v & ~(<u64>1 << 8)) | (((v >> 7) & 1) << 8);
  }
  return v;
}

/** OSLAR_EL1 write: OSLSR_EL1.OSLK = OSLK (bit 1 of OSLSR, bit 0 of the value). */
export function oslarWrite(v: u64): void {
  const st = S + ST_SYSREG + (<usize>SLOT_OSLSR_EL1 << 3);
  store<u64>(st, (load<u64>(st) & ~(<u64>2)) | ((v & 1) << 1));
}

// ---- when debug exceptions are generated (D2.10) ----

/** Where debug exceptions go: EL2 when MDCR_EL2.TDE or HCR_EL2.TGE routes
 *  them there (EL2 enabled), otherwise EL1 (DebugTarget()). */
export function debugTargetEl(): u32 {
  if (el2Enabled() && ((sysreg(SLOT_MDCR_EL2) & MDCR_TDE) != 0 || (hcr() & HCR_TGE) != 0)) return 2;
  return 1;
}

/** AArch64.GenerateDebugExceptions(): never from EL3 nor with the OS lock
 *  or the OS double lock set; from the target EL itself only with
 *  MDSCR_EL1.KDE and PSTATE.D clear; never from above the target. */
export function debugExceptionsEnabled(): bool {
  if (el == 3) return false;
  if ((sysreg(SLOT_OSLSR_EL1) & 2) != 0) return false;
  if ((sysreg(SLOT_OSDLR_EL1) & 1) != 0 && (sysreg(SLOT_DBGPRCR_EL1) & 1) == 0) return false; // DoubleLockStatus()
  const target = debugTargetEl();
  if (target == el) return (sysreg(SLOT_MDSCR_EL1) & MDSCR_KDE) != 0 && (load<u32>(S + ST_DAIF) & PSTATE_D) == 0;
  return target > el;
}

/** Software step active (MDSCR_EL1.SS and debug exceptions enabled here). */
export function stepActive(): bool {
  return (sysreg(SLOT_MDSCR_EL1) & MDSCR_SS) != 0 && debugExceptionsEnabled();
}

/** Take a debug exception to the debug target EL: `lowerEc` + 1 when taken
 *  from that EL itself. */
function debugException(lowerEc: u32, iss: u32, far: u64, farValid: bool, retAddr: u64): void {
  const target = debugTargetEl();
  takeException(target, EXC_SYNC, lowerEc + (target == el ? 1 : 0), iss, far, farValid, retAddr);
}

// ---- breakpoints and software step, before each instruction ----

/** The instruction executing now is stepped (runInterp sets it around it). */
export let steppedInsn: bool = false;
export function setSteppedInsn(v: bool): void {
  steppedInsn = v;
}

export const DBG_NONE: i32 = 0;
export const DBG_TAKEN: i32 = 1; // an exception was taken instead of the instruction
export const DBG_STEP: i32 = 2; // the instruction is stepped: debugAfterStep once it completes

/** Before the instruction at `at` (ipc = at), software step armed: the
 *  step exception of the active-pending state (PSTATE.SS = 0: the step
 *  completed, reported now, ISV = 0; it has priority over a breakpoint,
 *  which the fetch checks next), or DBG_STEP when this instruction is
 *  stepped (active-not-pending). */
export function debugBefore(at: u64): i32 {
  if ((sysreg(SLOT_MDSCR_EL1) & MDSCR_SS) == 0 || !debugExceptionsEnabled()) return DBG_NONE;
  if ((load<u32>(S + ST_PSTATE_MISC) & PSTATE_SS) == 0) {
    debugException(EC_SOFTWARE_STEP_LOWER, DEBUG_FSC, 0, false, at);
    return DBG_TAKEN;
  }
  return DBG_STEP;
}

export const GBP_NONE: i32 = 0; // no enabled breakpoint can match on this page
export const GBP_PAGE: i32 = 1; // one may: fetch, do not cache the page
export const GBP_HIT: i32 = 2; // the breakpoint exception was taken

/** A fetch from `va` (4-aligned; breakpoints armed): the breakpoint
 *  exception when an enabled breakpoint matches (D2.9; FAR is UNKNOWN,
 *  QEMU writes 0, so as not to expose an address), else whether the page
 *  may hold a match. */
export function guestBreakpointFetch(va: u64): i32 {
  let onPage = false;
  for (let n = 0; n < DBG_BRPS; n++) {
    const bcr = sysreg(SLOT_DBGBCR0_EL1 + n);
    if ((bcr & 1) == 0) continue;
    const bt = <u32>(bcr >> 20) & 15;
    if (bt == 2) onPage = true; // context ID: any address
    else if ((bt == 0 || bt == 1) && ((breakpointAddress(n) ^ va) & ~(<u64>0xfff)) == 0) onPage = true;
  }
  if (!onPage) return GBP_NONE;
  if ((sysreg(SLOT_MDSCR_EL1) & MDSCR_MDE) == 0 || !debugExceptionsEnabled() || !breakpointHit(va)) return GBP_PAGE;
  debugException(EC_BREAKPOINT_LOWER, DEBUG_FSC, 0, true, va);
  return GBP_HIT;
}

/** DBGBVR<n>[48:2] sign-extended. */
@inline function breakpointAddress(n: i32): u64 {
  return <u64>((<i64>(sysreg(SLOT_DBGBVR0_EL1 + n) << 15)) >> 15) & ~(<u64>3);
}

/** The stepped instruction completed without an exception: PSTATE.SS = 0
 *  and the software step exception (ISV = 1, EX = it was a load-exclusive),
 *  returning to the next instruction. */
export function debugAfterStep(insn: u32): void {
  // A stepped WFI/WFE completes at once (as QEMU's): the step exception, not a sleep.
  if (exitReason == EXIT_WFI || exitReason == EXIT_WFE) exitReason = -1;
  store<u32>(S + ST_PSTATE_MISC, load<u32>(S + ST_PSTATE_MISC) & ~PSTATE_SS);
  const ex: u32 = (insn & 0x3fc0_0000) == 0x0840_0000 ? 1 : 0; // LDXR, LDAXR, LDXP, LDAXP
  debugException(EC_SOFTWARE_STEP_LOWER, (1 << 24) | (ex << 6) | DEBUG_FSC, 0, false, pc);
}

/** PSTATE.SS after an exception return: SPSR.SS only where step is active. */
export function debugAfterEret(): void {
  if (!stepActive()) store<u32>(S + ST_PSTATE_MISC, load<u32>(S + ST_PSTATE_MISC) & ~PSTATE_SS);
}

/** DBGBCR.PMC/HMC/SSC (and DBGWCR.PAC/HMC/SSC, the same bits) for an access
 *  at `accessEl`, as QEMU's bp_wp_matches: SSC 1 and 3 Non-secure only, 2
 *  Secure only; EL2/EL3 need HMC, EL1 PMC[0], EL0 PMC[1]. Then the linked
 *  context breakpoint, if WT/BT says linked. */
function filtersPass(cr: u64, accessEl: u32, linked: bool): bool {
  const ssc = <u32>(cr >> 14) & 3;
  const secure = el == 3 || load<u32>(S + ST_NS) == 0;
  if ((ssc == 1 || ssc == 3) && secure) return false;
  if (ssc == 2 && !secure) return false;
  if (accessEl >= 2) {
    if (((cr >> 13) & 1) == 0) return false;
  } else if (((cr >> (accessEl == 1 ? 1 : 2)) & 1) == 0) return false;
  return !linked || linkedContextMatches(<i32>(cr >> 16) & 15);
}

/** Is breakpoint `lbn` an enabled, context-aware, linked context ID
 *  breakpoint (BT 0b0011) matching CONTEXTIDR_EL1? (Context matches never
 *  fire at EL2 without E2H, nor at EL3.) */
function linkedContextMatches(lbn: i32): bool {
  if (lbn >= DBG_BRPS || lbn < DBG_BRPS - DBG_CTX_CMPS) return false;
  const bcr = sysreg(SLOT_DBGBCR0_EL1 + lbn);
  if ((bcr & 1) == 0 || ((bcr >> 20) & 15) != 3 || el >= 2) return false;
  return <u32>sysreg(SLOT_CONTEXTIDR_EL1) == <u32>sysreg(SLOT_DBGBVR0_EL1 + lbn);
}

function breakpointHit(at: u64): bool {
  for (let n = 0; n < DBG_BRPS; n++) {
    const bcr = sysreg(SLOT_DBGBCR0_EL1 + n);
    if ((bcr & 1) == 0) continue;
    const bt = <u32>(bcr >> 20) & 15;
    if (bt == 0 || bt == 1) {
      // Address match: DBGBVR[48:2] sign-extended; BAS 0 matches nothing,
      // 0b1100 only the upper halfword (never an A64 instruction).
      const bas = <u32>(bcr >> 5) & 15;
      if (bas == 0 || bas == 0xc || breakpointAddress(n) != at) continue;
    } else if (bt == 2) {
      // Unlinked context ID match (context-aware breakpoints only): every
      // instruction at EL0/EL1 while CONTEXTIDR_EL1 matches.
      if (n < DBG_BRPS - DBG_CTX_CMPS || el >= 2 || <u32>sysreg(SLOT_CONTEXTIDR_EL1) != <u32>sysreg(SLOT_DBGBVR0_EL1 + n)) continue;
    } else continue; // linked context types fire only through a link; the rest are reserved
    if (filtersPass(bcr, el, bt == 1)) return true;
  }
  return false;
}

// ---- watchpoints, on the slow path of an access ----

/** Does an enabled watchpoint of the CPU with state block `st` cover any
 *  byte of the 4 KiB VA page `page`? (TLB poisoning: mmu.ts.) */
export function guestWatchedPage(st: usize, page: u64): bool {
  if ((load<u32>(st + ST_DBG_GATE) & DG_WP) == 0) return false;
  for (let n = 0; n < DBG_WRPS; n++) {
    const len = wpRange(st, n);
    if (len != 0 && wpStart < page + 0x1000 && wpStart + len > page) return true;
  }
  return false;
}

/** An access of `size` bytes at `va` by an instruction at `accessEl` (0 for
 *  LDTR/STTR): a watchpoint exception, before the access, when an enabled
 *  watchpoint of a matching LSC covers a byte of it (D2.11). FAR is the
 *  first watched byte accessed, as QEMU (max(address, watched start)); WnR
 *  is 1 for a store and for an atomic read-modify-write. */
export function guestWatchCheck(va: u64, size: u32, isRead: bool, isWrite: bool, accessEl: u32): bool {
  if ((debugGate() & DG_WP) == 0 || !debugExceptionsEnabled()) return false;
  const end = va + <u64>size;
  for (let n = 0; n < DBG_WRPS; n++) {
    const len = wpRange(S, n);
    if (len == 0 || wpStart >= end || wpStart + len <= va) continue;
    const wcr = sysreg(SLOT_DBGWCR0_EL1 + n);
    const lsc = <u32>(wcr >> 3) & 3;
    if (!((isRead && (lsc & 1) != 0) || (isWrite && (lsc & 2) != 0))) continue;
    if (!filtersPass(wcr, accessEl, ((wcr >> 20) & 1) != 0)) continue;
    const far = va > wpStart ? va : wpStart;
    debugException(EC_WATCHPOINT_LOWER, (isWrite ? 1 << 6 : 0) | DEBUG_FSC, far, true, ipc);
    return true;
  }
  return false;
}

/** BRK: EC 0x3C with the comment, to the debug target EL, or the current EL
 *  when that is higher (BRK always generates an exception; D2.8). */
export function brkException(imm16: u32): void {
  const target = debugTargetEl();
  takeException(target > el ? target : el, EXC_SYNC, 0x3c, imm16, 0, false, ipc);
}
