// Per-run globals of the CPU core and the architectural register file.
// The state of every CPU lives in its block of linear memory (layout.ts);
// while run() executes a CPU, its hottest fields are mirrored in the wasm
// globals below and written back before run() returns or calls the host.
import {
  CPU_STATE_BASE, CPU_STATE_BYTES, ST_PC, ST_NZCV, ST_DAIF, ST_EL, ST_SPSEL, ST_PSTATE_MISC,
  ST_SP_EL0, ST_SYSREG, ST_NS, TLB_BASE, TLB_PER_CPU_BYTES, TLB_ENTRIES, TLB_ENTRY_BYTES,
  SLOT_TTBR0_EL1, SLOT_TTBR1_EL1, SLOT_TCR_EL1, SLOT_VTTBR_EL2, SLOT_HCR_EL2, SLOT_SCR_EL3,
  ST_NOW_TICK, ST_SLICE_START_TICK, ST_JIT_TLB, ST_JIT_CTXA, ST_JIT_CTXG, ST_FEATURES, FEAT_SEL2,
} from "../layout";

// ---- current CPU ----
export let S: usize = CPU_STATE_BASE; // state block of the CPU being run
export let cpuIndex: i32 = 0;
export let numCpus: i32 = 1;

// ---- mirrored architectural state ----
export let pc: u64 = 0; // address of the next instruction
export let ipc: u64 = 0; // address of the instruction executing now
export let insnG: u32 = 0; // the instruction executing now (for fault syndromes)
export let nzcv: u32 = 0; // bits 31:28
export let el: u32 = 1;

// ---- run control ----
export let exitReason: i32 = -1; // EXIT_* once the batch must end after this instruction
export let fault: bool = false; // the current instruction took an exception: skip its side effects
export let intrCheck: bool = true; // re-evaluate pending interrupts at the next boundary
// The running block must end after the current instruction: set with every
// exception taken, every exitReason, and when a write dropped cached blocks.
export let blockStop: bool = false;
// Instructions of this run() up to and including the one at ipc are
// execOrigin + ipc / 4 + 1: set once per block (per instruction by the
// interpreter), so the hot loop does not store a count per instruction.
export let execOrigin: u64 = 0;
export let sliceStart: u64 = 0;

// ---- translation context ----
export let tlbCur: usize = TLB_BASE; // the TLB array matching the current privilege
export let ctxA: u64 = 0; // VMID:ASID of the current context
export let ctxG: u64 = 0; // VMID:global
export let fetchPage: u64 = 1; // VA page of the cached fetch translation (1 = none)
export let fetchHost: usize = 0; // host address of that page

// ---- physical memory ----
export let ramPa: u64 = 0x40000000;
export let ramBytes: u64 = 0;
/** Host address of the ROM-device window's contents (ROMD_PA..+ROMD_BYTES), right after RAM. */
export let romdHost: usize = 0;
/** Bit n: ROM-device unit n is in romd mode (reads and fetches served from romdHost). */
export let romdMask: u32 = 0;

export const CTX_GLOBAL: u64 = 0x1_0000_0000;
// Context bits above VMID:ASID: entries of one Security state or translation
// regime are never used for, nor invalidated by, another.
export const CTX_SECURE: u64 = 0x2_0000_0000;
export const CTX_EL2: u64 = 0x4_0000_0000; // filled at EL2/EL3 (not the EL1&0 regime)
export const CTX_REGIME_MASK: u64 = CTX_SECURE | CTX_EL2;

@inline export function stateOf(cpu: i32): usize {
  return CPU_STATE_BASE + <usize>cpu * CPU_STATE_BYTES;
}

@inline export function tlbArray(cpu: i32, privileged: i32): usize {
  return TLB_BASE + <usize>cpu * TLB_PER_CPU_BYTES + <usize>privileged * (TLB_ENTRIES * TLB_ENTRY_BYTES);
}

// ---- general-purpose registers: slot 31 holds the current SP ----
@inline export function rX(r: u32): u64 {
  return select<u64>(load<u64>(S + (<usize>r << 3)), 0, r != 31);
}
@inline export function rW(r: u32): u32 {
  return <u32>rX(r);
}
@inline export function rSP(r: u32): u64 {
  return load<u64>(S + (<usize>r << 3));
}
@inline export function wX(r: u32, v: u64): void {
  if (r != 31) store<u64>(S + (<usize>r << 3), v);
}
@inline export function wW(r: u32, v: u32): void {
  if (r != 31) store<u64>(S + (<usize>r << 3), <u64>v);
}
@inline export function wSP(r: u32, v: u64): void {
  store<u64>(S + (<usize>r << 3), v);
}

@inline export function sysreg(slot: i32): u64 {
  return load<u64>(S + ST_SYSREG + (<usize>slot << 3));
}
@inline export function setSysreg(slot: i32, v: u64): void {
  store<u64>(S + ST_SYSREG + (<usize>slot << 3), v);
}

// ---- PSTATE ----
@inline export function daif(): u32 {
  return load<u32>(S + ST_DAIF);
}
@inline export function spsel(): u32 {
  return load<u32>(S + ST_SPSEL);
}

/** Index of the banked SP selected by an EL and SPSel. */
@inline function spBankOffset(level: u32, sel: u32): usize {
  return ST_SP_EL0 + (sel != 0 ? <usize>level << 3 : 0);
}

/** Save the live SP (slot 31) to its bank. */
export function bankSp(): void {
  store<u64>(S + spBankOffset(load<u32>(S + ST_EL), load<u32>(S + ST_SPSEL)), load<u64>(S + 248));
}
/** Load the live SP from the bank selected by the stored EL/SPSel. */
export function unbankSp(): void {
  store<u64>(S + 248, load<u64>(S + spBankOffset(load<u32>(S + ST_EL), load<u32>(S + ST_SPSEL))));
}

/** PSTATE in SPSR format (AArch64 state). */
export function packPstate(): u32 {
  return (nzcv & 0xf0000000) | load<u32>(S + ST_PSTATE_MISC) | (daif() & 0x3c0) | (el << 2) | (spsel() & 1);
}

/** Set the whole PSTATE from an SPSR-format value (the caller has checked
 *  it describes a legal AArch64 state); banks SPs as needed. */
export function setPstate(v: u32): void {
  bankSp();
  nzcv = v & 0xf0000000;
  store<u32>(S + ST_NZCV, nzcv);
  store<u32>(S + ST_DAIF, v & 0x3c0);
  el = (v >> 2) & 3;
  store<u32>(S + ST_EL, el);
  store<u32>(S + ST_SPSEL, v & 1);
  // SS (21), IL (20), PAN (22), UAO (23) kept verbatim.
  store<u32>(S + ST_PSTATE_MISC, v & 0x00f00000);
  unbankSp();
  contextChanged();
}

/** Write a new SPSel. */
export function setSpsel(v: u32): void {
  bankSp();
  store<u32>(S + ST_SPSEL, v & 1);
  unbankSp();
}

/** Load the mirrored globals from the state block of `cpu`. */
export function enter(cpu: i32): void {
  cpuIndex = cpu;
  S = stateOf(cpu);
  pc = load<u64>(S + ST_PC);
  nzcv = load<u32>(S + ST_NZCV);
  el = load<u32>(S + ST_EL);
  exitReason = -1;
  fault = false;
  blockStop = false;
  intrCheck = true;
  contextChanged();
}

/** Write the mirrored globals back. */
export function leave(): void {
  store<u64>(S + ST_PC, pc);
  store<u32>(S + ST_NZCV, nzcv);
  store<u32>(S + ST_EL, el);
}

/** Instructions of this run() so far, the executing one included. */
@inline export function executedNow(): u64 {
  return execOrigin + (ipc >> 2) + 1;
}

/** At the boundary before the instruction at pc, with n instructions done
 *  (interrupts are taken there): ipc = pc, executedNow() = n. */
@inline export function boundaryAt(n: i32): void {
  ipc = pc;
  execOrigin = <u64><i64>(n - 1) - (pc >> 2);
}

/** Publish the tick of the executing instruction for host calls. */
@inline export function publishNow(): void {
  store<u64>(S + ST_NOW_TICK, sliceStart + executedNow());
  store<u64>(S + ST_PC, ipc);
  store<u32>(S + ST_NZCV, nzcv);
}

/** SCR_EL3.NS as seen below EL3 (ST_NS). EL3 itself is always Secure:
 *  inSecureState() is the Security state of what executes now. */
@inline export function isNonSecure(): bool {
  return load<u32>(S + ST_NS) != 0;
}
@inline export function inSecureState(): bool {
  return el == 3 || load<u32>(S + ST_NS) == 0;
}

/** Secure EL2 implemented and enabled: FEAT_SEL2 and SCR_EL3.EEL2 (bit 18). */
export function secureEl2Enabled(): bool {
  return (load<u32>(S + ST_FEATURES) & FEAT_SEL2) != 0 && (sysreg(SLOT_SCR_EL3) & (1 << 18)) != 0;
}

/** Is stage 2 translation active for the EL1&0 regime (Non-secure, or
 *  Secure with Secure EL2 enabled)? */
@inline export function stage2On(): bool {
  return el < 2 && (sysreg(SLOT_HCR_EL2) & 1) != 0 && (isNonSecure() || secureEl2Enabled());
}

/** Recompute the translation context after EL, ASID, VMID or regime changes. */
export function contextChanged(): void {
  fetchPage = 1;
  tlbCur = tlbArray(cpuIndex, el >= 1 ? 1 : 0);
  const tcr = sysreg(SLOT_TCR_EL1);
  // TCR_EL1.A1 (bit 22) selects which TTBR holds the ASID; TCR_EL1.AS (bit 36) 16-bit ASIDs.
  let asid = ((tcr >> 22) & 1) != 0 ? sysreg(SLOT_TTBR1_EL1) >> 48 : sysreg(SLOT_TTBR0_EL1) >> 48;
  if (((tcr >> 36) & 1) == 0) asid &= 0xff;
  let vmid: u64 = 0;
  if (stage2On()) vmid = (sysreg(SLOT_VTTBR_EL2) >> 48) & 0xff;
  // Secure state gets its own context so secure and NS entries never alias;
  // so do EL2/EL3 (whose own translation regimes are not modelled: they use
  // the EL1 controls, and must not share entries with EL1).
  const sec: u64 = (inSecureState() ? CTX_SECURE : 0) | (el >= 2 ? CTX_EL2 : 0);
  ctxA = (vmid << 16) | asid | sec;
  ctxG = (vmid << 16) | CTX_GLOBAL | sec;
  // Translated code reads the context from the state block.
  store<u32>(S + ST_JIT_TLB, <u32>tlbCur);
  store<u64>(S + ST_JIT_CTXA, ctxA);
  store<u64>(S + ST_JIT_CTXG, ctxG);
}

@inline export function scr(): u64 {
  return sysreg(SLOT_SCR_EL3);
}
@inline export function hcr(): u64 {
  return sysreg(SLOT_HCR_EL2);
}
@inline export function nowTick(): u64 {
  return sliceStart + executedNow();
}
