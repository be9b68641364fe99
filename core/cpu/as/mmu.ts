// Address translation (ARM ARM D5: VMSAv8-64) for the EL1&0 regime with an
// optional stage 2, the software TLB, and the memory access paths.
//
// TLB: per CPU two direct-mapped arrays (unprivileged / privileged view),
// entry = { tagR, tagW, tagX, addend, ctx, paPage, attrs }. A tag holds the VA
// page when that access is permitted, so the fast path is one compare that
// also rejects misaligned accesses (the access-size low bits are kept in the
// compared value). ctx = VMID:ASID, or VMID:GLOBAL for nG=0 mappings, so
// entries survive context switches and TLBI follows the architectural
// matching rules (D5.10). Only RAM is cached; device pages always walk.
import {
  SLOT_SCTLR_EL1, SLOT_TCR_EL1, SLOT_TTBR0_EL1, SLOT_TTBR1_EL1, SLOT_MAIR_EL1,
  SLOT_VTCR_EL2, SLOT_VTTBR_EL2, SLOT_HPFAR_EL2, SLOT_HCR_EL2, SLOT_VSTCR_EL2, SLOT_VSTTBR_EL2,
  RAM_HOST_BASE, SECURE_RAM_HOST_BASE, SECURE_RAM_PA, SECURE_RAM_BYTES, TLB_ENTRIES, TLB_ENTRY_BYTES,
  ST_HOST_VALUE, ST_DBG_GATE, ST_TLB_GEN, ST_TLB_MISSES, HOST_OK, HOST_ABORT, HOST_END_BATCH, EXIT_HOST, EXC_SYNC, DIRTY_MAP_BASE, DIRTY_MAP_BYTES,
  MAX_CPUS, ROMD_PA, ROMD_BYTES, ROMD_UNIT_BYTES,
} from "../layout";
import {
  S, el, ipc, cpuIndex, fault, exitReason, blockStop, ramPa, ramBytes, tlbCur, ctxA, ctxG, fetchPage, fetchHost, romdHost, romdMask,
  sysreg, setSysreg, stage2On, inSecureState, publishNow, tlbArray, numCpus, intrCheck, hcr, stateOf, CTX_REGIME_MASK,
} from "./cpu";
import {
  takeException, syncTargetEl, EC_DABORT_LOWER, EC_DABORT_SAME, EC_IABORT_LOWER, EC_IABORT_SAME, EC_PC_ALIGN,
} from "./exceptions";
import { hostMmioRead, hostMmioWrite } from "./host";
import { isCodePage, codeWrite } from "./codecache";
import { breakpointsArmed, breakpointCheck, BP_HIT, BP_NONE, dataWatchesArmed, watchedPage, dataWatchCheck, WATCH_POISON, DW_READ, DW_WRITE } from "./debugStops";
import { dataAbortIss } from "./syndrome";
import { guestWatchedPage, guestWatchCheck, guestBreakpointFetch, DG_WP, DG_BP, GBP_HIT, GBP_PAGE } from "./debugArch";

export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

const PERM_R: u32 = 1;
const PERM_W: u32 = 2;
const PERM_X: u32 = 4;
const PA_BITS: u32 = 40; // ID_AA64MMFR0_EL1.PARange = 0b0010
const OA_MASK: u64 = 0x0000_ffff_ffff_f000;
const TAG_INVALID: u64 = 8; // never equal to a masked VA (bit 3 is always cleared)
const PAGE_MASK: u64 = 0xffff_ffff_ffff_f000;

// ---- result of the last translation ----
export let tPa: u64 = 0;
export let tPerm: u32 = 0;
export let tDevice: bool = false;
export let tGlobal: bool = false;
/** Output physical address space of the last translation: true = Non-secure
 *  (always so in Non-secure state; in Secure state chosen by the NS bits of
 *  stage 1 and by VSTCR_EL2/VTCR_EL2 for stage 2, ARM ARM D8 / D5.2.x). */
export let tNs: bool = true;
// ---- fault description of the last failed translation ----
let fStatus: u32 = 0; // DFSC/IFSC
let fStage2: bool = false;
let fS1ptw: bool = false;
let fIpa: u64 = 0;
/** The faulting IPA of a stage 2 fault is in the Non-secure IPA space of the
 *  Secure EL1&0 regime (HPFAR_EL2.NS). */
let fIpaNs: bool = false;
/** Set while a cache maintenance instruction faults: ESR ISS.CM (bit 8). */
export let faultCm: bool = false;
/** Set during AT S1E*: stage 1 only, the output is the IPA (stage 2 still applies to the walk). */
let stage1Only: bool = false;

// ---- physical memory ----

// Two physical address spaces (QEMU virt, secure=on): the Secure one sees
// everything the Non-secure one does, plus secure RAM.

/** Host address of a RAM byte of physical address space `ns`, or 0 when `pa`
 *  is not RAM there: what writes may reach directly. */
@inline export function writeHost(pa: u64, ns: bool): usize {
  const off = pa - ramPa;
  if (off < ramBytes) return RAM_HOST_BASE + <usize>off;
  const soff = pa - <u64>SECURE_RAM_PA;
  if (soff < <u64>SECURE_RAM_BYTES && !ns) return SECURE_RAM_HOST_BASE + <usize>soff;
  return 0;
}

/** Host address of a byte that reads and instruction fetches reach directly:
 *  RAM, or a ROM device in romd mode (a flash bank in read-array mode); 0
 *  otherwise (the access goes to the bus). */
@inline export function ramHost(pa: u64, ns: bool): usize {
  const h = writeHost(pa, ns);
  if (h != 0) return h;
  const roff = pa - <u64>ROMD_PA;
  if (roff < <u64>ROMD_BYTES && ((romdMask >> <u32>(roff / <u64>ROMD_UNIT_BYTES)) & 1) != 0) return romdHost + <usize>roff;
  return 0;
}

/** Is `host` inside the ROM-device window (never written through the TLB)? */
@inline function isRomdHost(host: usize): bool {
  return host - romdHost < <usize>ROMD_BYTES;
}

/** ROM-device units change mode (`mask`: bit n = unit n in romd mode): every
 *  TLB entry mapping a unit that leaves romd mode is dropped on every CPU, so
 *  its next access reaches the device. */
export function romdSet(mask: u32): void {
  const leaving = romdMask & ~mask;
  romdMask = mask;
  if (leaving == 0) return;
  for (let cpu = 0; cpu < numCpus; cpu++) {
    const base = tlbArray(cpu, 0);
    for (let i: usize = 0; i < <usize>(TLB_ENTRIES * 2); i++) {
      const e = base + i * TLB_ENTRY_BYTES;
      if (load<u64>(e, 56) == TAG_INVALID) continue;
      const roff = <usize>(load<u64>(e, 56) + load<u64>(e, 24)) - romdHost;
      if (roff < <usize>ROMD_BYTES && ((leaving >> <u32>(roff / <usize>ROMD_UNIT_BYTES)) & 1) != 0) clearEntry(e);
    }
  }
  fetchPage = 1;
}

/** Is `pa` secure-only memory seen through the Non-secure space (a bus error)? */
@inline function secureOnly(pa: u64, ns: bool): bool {
  return pa - <u64>SECURE_RAM_PA < <u64>SECURE_RAM_BYTES && ns;
}

// ---- translation table walks ----

@inline function walkFault(status: u32, level: u32): bool {
  fStatus = status + level;
  return false;
}

/** Read a descriptor at a physical address of space `ns` (walks only read RAM). */
@inline function readDesc(pa: u64, ns: bool): u64 {
  const h = ramHost(pa, ns);
  if (h == 0) return 0xffff_ffff_ffff_ffff;
  return load<u64>(h);
}

const VTCR_NSW: u64 = 1 << 29;
const VTCR_NSA: u64 = 1 << 30;
const VSTCR_SW: u64 = 1 << 29;
const VSTCR_SA: u64 = 1 << 30;

/**
 * Stage 2 (D5.2.x, 4 KB granule). Sets tPa/tPerm/tDevice/tNs. `ipaNs`: the
 * IPA is in the Non-secure IPA space. In Non-secure state that is the only
 * one (VTTBR_EL2/VTCR_EL2, walks and output Non-secure). In Secure state
 * (Secure EL2) a Secure IPA is translated by VSTTBR_EL2/VSTCR_EL2, a
 * Non-secure one by VTTBR_EL2/VTCR_EL2; the walk's address space is
 * VSTCR_EL2.SW / VTCR_EL2.NSW, the output's VSTCR_EL2.SA / VTCR_EL2.NSA,
 * where SW implies SA and NSW implies NSA, and SA (or SW) makes every output
 * Non-secure (the "behaves as 1" rules of VSTCR_EL2 and VTCR_EL2; QEMU's
 * get_phys_addr_twostage agrees).
 */
function stage2(ipa: u64, acc: u32, s1ptw: bool, ipaNs: bool): bool {
  const secure = inSecureState();
  const secureIpa = secure && !ipaNs;
  const vtcr = sysreg(SLOT_VTCR_EL2);
  const vstcr = secure ? sysreg(SLOT_VSTCR_EL2) : 0;
  const tcr = secureIpa ? vstcr : vtcr;
  let walkNs = true;
  let outNs = true;
  if (secure) {
    walkNs = secureIpa ? (vstcr & VSTCR_SW) != 0 : (vtcr & VTCR_NSW) != 0;
    outNs = (vstcr & (VSTCR_SA | VSTCR_SW)) != 0 || (!secureIpa && (vtcr & (VTCR_NSA | VTCR_NSW)) != 0);
  }
  fIpaNs = secure && ipaNs;
  let tsz = <u32>(tcr & 63);
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const inputBits: u32 = 64 - tsz;
  const sl0 = <u32>((tcr >> 6) & 3);
  fStage2 = true;
  fS1ptw = s1ptw;
  fIpa = ipa;
  if (sl0 == 3) return walkFault(0x04, 0);
  let level: u32 = 2 - sl0;
  if ((ipa >> inputBits) != 0) return walkFault(0x04, 0);
  const startShift: u32 = 12 + 9 * (3 - level);
  if (inputBits <= startShift) return walkFault(0x04, level);
  const startBits: u32 = inputBits - startShift;
  if (startBits > 13) return walkFault(0x04, level); // more than 16 concatenated tables
  let tableBytes: u64 = <u64>8 << startBits;
  if (tableBytes < 64) tableBytes = 64;
  // VTTBR_EL2.BADDR (VSTTBR_EL2.BADDR) is bits 47:1 (concatenated tables may be 64-byte aligned).
  const table0 = sysreg(secureIpa ? SLOT_VSTTBR_EL2 : SLOT_VTTBR_EL2) & 0x0000_ffff_ffff_fffe;
  let table = table0 & ~(tableBytes - 1);
  let idxBits = startBits;
  while (true) {
    const shift: u32 = 12 + 9 * (3 - level);
    const idx = (ipa >> shift) & ((<u64>1 << idxBits) - 1);
    const desc = readDesc(table + (idx << 3), walkNs);
    if (desc == 0xffff_ffff_ffff_ffff && ramHost(table + (idx << 3), walkNs) == 0) return walkFault(0x14, level);
    if ((desc & 1) == 0) return walkFault(0x04, level);
    if (level < 3 && (desc & 2) != 0) {
      table = desc & OA_MASK;
      if ((table >> PA_BITS) != 0) return walkFault(0x00, level);
      level++;
      idxBits = 9;
      continue;
    }
    if (level == 3 && (desc & 2) == 0) return walkFault(0x04, level);
    if (level == 0) return walkFault(0x04, level);
    if (((desc & OA_MASK) >> PA_BITS) != 0) return walkFault(0x00, level);
    if ((desc & 0x400) == 0) return walkFault(0x08, level);
    const lowMask: u64 = (<u64>1 << shift) - 1;
    tPa = (desc & OA_MASK & ~lowMask) | (ipa & lowMask);
    const s2ap = <u32>((desc >> 6) & 3);
    tPerm = (s2ap & 1 ? PERM_R : 0) | (s2ap & 2 ? PERM_W : 0) | (((desc >> 54) & 1) == 0 ? PERM_X : 0);
    tDevice = ((desc >> 4) & 3) == 0; // MemAttr[3:2] == 00: Device
    tNs = outNs;
    if (!permits(tPerm, acc)) return walkFault(0x0c, level);
    fStage2 = false;
    return true;
  }
  return false;
}

@inline function permits(perm: u32, acc: u32): bool {
  return (perm & (<u32>1 << acc)) != 0;
}

/**
 * Translate `va` for an access of kind `acc` with the permissions of EL1
 * (`priv`) or EL0. On success tPa/tPerm/tDevice/tGlobal describe the page
 * (tPerm combines both stages); on failure the fault is recorded for
 * raiseFault(). Never raises by itself (AT uses it too).
 */
export function translate(va: u64, acc: u32, priv: bool): bool {
  fStage2 = false;
  fS1ptw = false;
  const s2 = stage2On();
  const sctlr = sysreg(SLOT_SCTLR_EL1);
  // Secure state: the NS bit of the final descriptor, and NSTable of any
  // table descriptor on the way (which also moves the rest of the walk), put
  // the output in the Non-secure space (D5.4.x "Control of Secure or
  // Non-secure memory access"). Non-secure state ignores both.
  const secure = inSecureState();
  let outNs = !secure;
  let ipa: u64;
  let perm: u32;
  let device: bool;
  let global = true;
  if ((sctlr & 1) == 0) {
    // Stage 1 disabled (D5.2.9): flat map; data accesses are Device-nGnRnE
    // unless HCR_EL2.DC makes them Normal; instruction fetches are Normal.
    if ((va >> PA_BITS) != 0) return walkFault(0x00, 0);
    ipa = va;
    perm = PERM_R | PERM_W | PERM_X;
    device = acc != ACC_EXEC && !(s2 && (hcr() & (1 << 12)) != 0);
  } else {
    const tcr = sysreg(SLOT_TCR_EL1);
    const upper = ((va >> 55) & 1) != 0;
    let tsz: u32;
    let tbi: bool;
    let ttbr: u64;
    if (upper) {
      tsz = <u32>((tcr >> 16) & 63);
      tbi = ((tcr >> 38) & 1) != 0;
      if (((tcr >> 23) & 1) != 0) return walkFault(0x04, 0); // EPD1
      ttbr = sysreg(SLOT_TTBR1_EL1);
    } else {
      tsz = <u32>(tcr & 63);
      tbi = ((tcr >> 37) & 1) != 0;
      if (((tcr >> 7) & 1) != 0) return walkFault(0x04, 0); // EPD0
      ttbr = sysreg(SLOT_TTBR0_EL1);
    }
    if (tsz < 16) tsz = 16;
    if (tsz > 39) tsz = 39;
    const inputBits: u32 = 64 - tsz;
    // Bits above the input range must all equal bit 55 (bits 63:56 excluded under TBI).
    const topBit: u32 = tbi ? 55 : 63;
    const checkMask: u64 = ((<u64>1 << (topBit - inputBits + 1)) - 1) << inputBits;
    if ((va & checkMask) != (upper ? checkMask : 0)) return walkFault(0x04, 0);
    let level: u32 = inputBits > 39 ? 0 : inputBits > 30 ? 1 : 2;
    const startShift: u32 = 12 + 9 * (3 - level);
    let idxBits: u32 = inputBits - startShift;
    let tableBytes: u64 = <u64>8 << idxBits;
    if (tableBytes < 64) tableBytes = 64;
    let table = ttbr & 0x0000_ffff_ffff_fffe & ~(tableBytes - 1);
    let apTable: u32 = 0;
    let uxnTable: u32 = 0;
    let pxnTable: u32 = 0;
    while (true) {
      const shift: u32 = 12 + 9 * (3 - level);
      const idx = (va >> shift) & ((<u64>1 << idxBits) - 1);
      let descPa = table + (idx << 3);
      let descNs = outNs;
      if (s2) {
        if (!stage2(descPa, ACC_READ, true, outNs)) return false;
        descPa = tPa;
        descNs = tNs;
      }
      if (ramHost(descPa, descNs) == 0) return walkFault(0x14, level);
      const desc = readDesc(descPa, descNs);
      if ((desc & 1) == 0) return walkFault(0x04, level);
      if (level < 3 && (desc & 2) != 0) {
        table = desc & OA_MASK;
        if ((table >> PA_BITS) != 0) return walkFault(0x00, level);
        if (secure && (desc >> 63) != 0) outNs = true; // NSTable
        apTable |= <u32>((desc >> 61) & 3);
        uxnTable |= <u32>((desc >> 60) & 1);
        pxnTable |= <u32>((desc >> 59) & 1);
        level++;
        idxBits = 9;
        continue;
      }
      if (level == 3 && (desc & 2) == 0) return walkFault(0x04, level);
      if (level == 0) return walkFault(0x04, level);
      if (((desc & OA_MASK) >> PA_BITS) != 0) return walkFault(0x00, level);
      if ((desc & 0x400) == 0) return walkFault(0x08, level);
      const lowMask: u64 = (<u64>1 << shift) - 1;
      ipa = (desc & OA_MASK & ~lowMask) | (va & lowMask);
      // AP[2:1] with the hierarchical APTable limits (D5.4.5): APTable[0] removes
      // EL0 access, APTable[1] removes write access.
      let ap = <u32>((desc >> 6) & 3);
      if ((apTable & 1) != 0) ap &= ~(<u32>1);
      if ((apTable & 2) != 0) ap |= 2;
      const uxn = <u32>((desc >> 54) & 1) | uxnTable;
      const pxn = <u32>((desc >> 53) & 1) | pxnTable;
      const wxn = ((sctlr >> 19) & 1) != 0;
      if (priv) {
        const w = (ap & 2) == 0;
        // Memory writable at EL0 is never executable at EL1 (D5.4.6).
        const x = pxn == 0 && ap != 1 && !(wxn && w);
        perm = PERM_R | (w ? PERM_W : 0) | (x ? PERM_X : 0);
      } else {
        const r = (ap & 1) != 0;
        const w = ap == 1;
        const x = uxn == 0 && !(wxn && w);
        perm = (r ? PERM_R : 0) | (w ? PERM_W : 0) | (x ? PERM_X : 0);
      }
      if (secure && ((desc >> 5) & 1) != 0) outNs = true; // NS
      const attr = (sysreg(SLOT_MAIR_EL1) >> (((desc >> 2) & 7) << 3)) & 0xff;
      device = (attr & 0xf0) == 0;
      global = (desc & 0x800) == 0;
      if (!permits(perm, acc)) {
        fStatus = 0x0c + level;
        return false;
      }
      break;
    }
  }
  if (s2 && !stage1Only) {
    if (!stage2(ipa, acc, false, outNs)) return false;
    perm &= tPerm;
    device = device || tDevice;
  } else {
    tPa = ipa;
    tNs = outNs;
  }
  tPerm = perm;
  tDevice = device;
  tGlobal = global;
  return true;
}

/** Raise the abort recorded by the last failed translate(). */
export function raiseFault(va: u64, acc: u32): void {
  if (fStage2) {
    // Stage 2 faults go to EL2 with the IPA in HPFAR_EL2 (D13.2.54).
    let iss: u32 = fStatus;
    if (fS1ptw) iss |= 1 << 7;
    else if (acc == ACC_WRITE || faultCm) iss |= 1 << 6;
    if (faultCm) iss |= 1 << 8;
    if (acc != ACC_EXEC && !fS1ptw && !faultCm) iss |= dataAbortIss(true);
    const ec = acc == ACC_EXEC ? EC_IABORT_LOWER : EC_DABORT_LOWER;
    takeException(2, EXC_SYNC, ec, iss, va, true, ipc);
    // HPFAR_EL2.NS (bit 63, FEAT_SEL2): the IPA is in the Non-secure IPA
    // space of the Secure EL1&0 regime; 0 for faults from Non-secure state.
    setSysreg(SLOT_HPFAR_EL2, ((fIpa >> 12) << 4) | (fIpaNs ? <u64>1 << 63 : 0));
    return;
  }
  abortTo(va, acc, fStatus);
}

/** Stage 1 style abort (translation, permission, alignment, external) routed per TGE. */
export function abortTo(va: u64, acc: u32, status: u32): void {
  const target = syncTargetEl();
  let iss: u32 = status;
  if (acc == ACC_WRITE || faultCm) iss |= 1 << 6; // cache maintenance reports WnR=1
  if (faultCm) iss |= 1 << 8;
  let ec: u32;
  if (acc == ACC_EXEC) ec = target == el ? EC_IABORT_SAME : EC_IABORT_LOWER;
  else ec = target == el ? EC_DABORT_SAME : EC_DABORT_LOWER;
  if (acc != ACC_EXEC && target == 2) iss |= dataAbortIss(false);
  takeException(target, EXC_SYNC, ec, iss, va, true, ipc);
}

// ---- TLB ----

@inline function entryFor(tlb: usize, va: u64): usize {
  return tlb + ((<usize>(va >> 12) & (TLB_ENTRIES - 1)) * TLB_ENTRY_BYTES);
}

@inline function ctxOk(e: usize): bool {
  const c = load<u64>(e, 32);
  return c == ctxA || c == ctxG;
}

@inline function tagFor(e: usize, acc: u32): u64 {
  return acc == ACC_WRITE ? load<u64>(e, 8) : acc == ACC_EXEC ? load<u64>(e, 16) : load<u64>(e, 0);
}

// Dirty pages: one byte per host page. A TLB entry gets its write tag only
// once its page is dirty, so the first write after a dirty-map reset takes
// the slow path and marks the page; every later write is a plain fast-path
// store (no cost in the hot path).
@inline function markDirty(host: usize): void {
  store<u8>(DIRTY_MAP_BASE + (host >> 12), 1);
}
@inline function isDirty(host: usize): bool {
  return load<u8>(DIRTY_MAP_BASE + (host >> 12)) != 0;
}
/** Every write that does not hit a TLB write tag: dirty tracking and the
 *  block cache (pages holding blocks never get a write tag). */
@inline function noteWrite(host: usize, size: u32): void {
  markDirty(host);
  codeWrite(host, size);
}
/** Is the page (VA `page`, at `host`) watched, by a debugger's data watch
 *  (physical) or by a guest watchpoint of the CPU with state block `st` (virtual)? */
@inline function pageWatched(st: usize, page: u64, host: usize): bool {
  return (dataWatchesArmed() && watchedPage(host)) || ((load<u32>(st + ST_DBG_GATE) & DG_WP) != 0 && guestWatchedPage(st, page));
}

/** May a TLB entry for this page carry a write tag? */
@inline function writeTagAllowed(page: u64, host: usize): bool {
  return isDirty(host) && !isCodePage(host) && !pageWatched(S, page, host);
}

/** The read tag a fill gives a readable page: poisoned while a watch covers it. */
@inline function readTag(page: u64, host: usize): u64 {
  return pageWatched(S, page, host) ? page | WATCH_POISON : page;
}

/**
 * A read from a page whose TLB entry is valid but whose read tag is poisoned
 * (a data watch covered the page when it was filled): use the cached
 * translation as a hit would (no walk), and give the tag back once no watch
 * covers the page. Returns the host address, or 0.
 */
@inline function readRefill(e: usize, va: u64): usize {
  const page = va & PAGE_MASK;
  if (load<u64>(e, 0) != (page | WATCH_POISON) || !ctxOk(e)) return 0;
  const host = <usize>(va + load<u64>(e, 24));
  if (!pageWatched(S, page, host)) store<u64>(e, page, 0);
  return host;
}

/** Stop before this instruction if the access touches a debugger's watched
 *  range, or take the watchpoint exception of a guest watchpoint covering
 *  it (an access at `accessEl`: 0 for LDTR/STTR). */
@inline function watchStop(va: u64, host: usize, size: u32, kinds: u32, accessEl: u32): bool {
  if (dataWatchesArmed() && dataWatchCheck(host, size, kinds)) return true;
  return (load<u32>(S + ST_DBG_GATE) & DG_WP) != 0 && guestWatchCheck(va, size, (kinds & DW_READ) != 0, (kinds & DW_WRITE) != 0, accessEl);
}

// TLB entry attribute bits (offset 48).
const ATTR_DEVICE: u64 = 1;
const ATTR_WRITABLE: u64 = 2;

/**
 * A write to a page whose TLB entry is valid but lacks its write tag only
 * because the page was not dirty yet (dirty tracking): use the cached
 * translation exactly as a tagged hit would (no walk, so taking snapshots
 * never changes what a guest observes), mark the page dirty and set the tag.
 * Returns the host address, or 0 when the entry cannot serve the write.
 */
@inline function writeRefill(e: usize, va: u64, size: u32): usize {
  const page = va & PAGE_MASK;
  if (load<u64>(e, 56) != page || !ctxOk(e) || (load<u64>(e, 48) & ATTR_WRITABLE) == 0) return 0;
  const host = <usize>(va + load<u64>(e, 24));
  noteWrite(host, size);
  if (!isCodePage(host) && !pageWatched(S, page, host)) store<u64>(e, page, 8);
  return host;
}

export function dirtyReset(): void {
  memory.fill(DIRTY_MAP_BASE, 0, DIRTY_MAP_BYTES);
  for (let cpu = 0; cpu < numCpus; cpu++) {
    const base = tlbArray(cpu, 0);
    for (let i: usize = 0; i < <usize>(TLB_ENTRIES * 2); i++) store<u64>(base + i * TLB_ENTRY_BYTES, TAG_INVALID, 8);
  }
}

function fill(tlb: usize, va: u64, host: usize): void {
  const e = entryFor(tlb, va);
  const page = va & PAGE_MASK;
  // A ROM device's writes are command cycles: they never reach its contents directly.
  const writable = (tPerm & PERM_W) != 0 && !isRomdHost(host);
  store<u64>(e, (tPerm & PERM_R) != 0 ? readTag(page, host) : TAG_INVALID, 0);
  store<u64>(e, writable && writeTagAllowed(page, host) ? page : TAG_INVALID, 8);
  store<u64>(e, (tPerm & PERM_X) != 0 ? page : TAG_INVALID, 16);
  store<u64>(e, <u64>(host & ~(<usize>0xfff)) - page, 24);
  store<u64>(e, tGlobal ? ctxG : ctxA, 32);
  store<u64>(e, tPa & PAGE_MASK, 40);
  store<u64>(e, (tDevice ? ATTR_DEVICE : 0) | (writable ? ATTR_WRITABLE : 0), 48);
  store<u64>(e, page, 56);
  store<u64>(S + ST_TLB_MISSES, load<u64>(S + ST_TLB_MISSES) + 1);
}

function clearEntry(e: usize): void {
  store<u64>(e, TAG_INVALID, 0);
  store<u64>(e, TAG_INVALID, 8);
  store<u64>(e, TAG_INVALID, 16);
  store<u64>(e, TAG_INVALID, 56);
  store<u64>(e, 0, 48);
  store<u64>(e, 0, 32);
}

/** Invalidate every entry of a CPU's TLB. */
export function tlbFlushCpu(cpu: i32): void {
  const base = tlbArray(cpu, 0);
  for (let i: usize = 0; i < <usize>(TLB_ENTRIES * 2); i++) clearEntry(base + i * TLB_ENTRY_BYTES);
  const st = stateOf(cpu);
  store<u32>(st + ST_TLB_GEN, load<u32>(st + ST_TLB_GEN) + 1);
  if (cpu == cpuIndex) fetchPage = 1;
}

/**
 * Invalidate matching entries on the CPUs in `cpuMask`. `regime`: the
 * CTX_SECURE / CTX_EL2 bits entries must have (the Security state and
 * translation regime the TLBI applies to: a TLBI never touches the other
 * world's entries). `vmid` < 0: any VMID.
 * `asid` < 0: any ASID (global entries included); otherwise the entries of
 * that ASID plus, when `va` is given, global entries for the VA (TLBI VAE1).
 * `hasVa`: only the entry that may hold `va`.
 */
export function tlbInvalidate(cpuMask: u32, regime: u64, vmid: i32, asid: i32, hasVa: bool, va: u64, includeGlobal: bool): void {
  for (let cpu = 0; cpu < numCpus; cpu++) {
    if ((cpuMask & (<u32>1 << cpu)) == 0) continue;
    for (let arr = 0; arr < 2; arr++) {
      const base = tlbArray(cpu, arr);
      if (hasVa) {
        const e = entryFor(base, va);
        if (matches(e, regime, vmid, asid, includeGlobal) && pageOf(e) == ((va & PAGE_MASK) & 0x00ff_ffff_ffff_ffff)) clearEntry(e);
      } else {
        for (let i: usize = 0; i < <usize>TLB_ENTRIES; i++) {
          const e = base + i * TLB_ENTRY_BYTES;
          if (matches(e, regime, vmid, asid, includeGlobal)) clearEntry(e);
        }
      }
    }
  }
  fetchPage = 1;
}

/** VA page an entry was filled for (any of its tags), ignoring the top byte (TBI). */
@inline function pageOf(e: usize): u64 {
  return load<u64>(e, 56) & 0x00ff_ffff_ffff_f000;
}

@inline function matches(e: usize, regime: u64, vmid: i32, asid: i32, includeGlobal: bool): bool {
  const c = load<u64>(e, 32);
  if (load<u64>(e, 0) == TAG_INVALID && load<u64>(e, 8) == TAG_INVALID && load<u64>(e, 16) == TAG_INVALID) return false;
  if ((c & CTX_REGIME_MASK) != regime) return false;
  if (vmid >= 0 && <i32>((c >> 16) & 0xffff) != vmid) return false;
  const isGlobal = (c & 0x1_0000_0000) != 0;
  if (asid < 0) return true;
  if (isGlobal) return includeGlobal;
  return <i32>(c & 0xffff) == asid;
}

// ---- data accesses ----

/** Access outside the fast path. `acc` = ACC_READ or ACC_WRITE. */
function accessSlow(va: u64, size: u32, acc: u32, value: u64, priv: bool, tlb: usize): u64 {
  const misaligned = (va & <u64>(size - 1)) != 0;
  if (misaligned && (sysreg(SLOT_SCTLR_EL1) >> 1) & 1) {
    abortTo(va, acc, 0x21); // SCTLR_EL1.A alignment check
    return 0;
  }
  if (misaligned && ((va & 0xfff) + <u64>size) > 0x1000) {
    // Crosses a page: byte by byte, each with its own translation.
    let result: u64 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const b = accessSlow(va + i, 1, acc, (value >> (i * 8)) & 0xff, priv, tlb);
      if (fault) return 0;
      result |= b << (i * 8);
    }
    return result;
  }
  const e = entryFor(tlb, va);
  let host: usize = 0;
  // A TLB hit that only failed the alignment part of the compare.
  if (ctxOk(e) && tagFor(e, acc) == (va & PAGE_MASK)) {
    if (misaligned && (load<u64>(e, 48) & ATTR_DEVICE) != 0) {
      abortTo(va, acc, 0x21); // unaligned access to Device memory (B2.5.2)
      return 0;
    }
    host = <usize>(va + load<u64>(e, 24));
  } else if (acc == ACC_WRITE && (host = writeRefill(e, va, size)) != 0) {
    if (misaligned && (load<u64>(e, 48) & ATTR_DEVICE) != 0) {
      abortTo(va, acc, 0x21);
      return 0;
    }
  } else if (acc == ACC_READ && (host = readRefill(e, va)) != 0) {
    if (misaligned && (load<u64>(e, 48) & ATTR_DEVICE) != 0) {
      abortTo(va, acc, 0x21);
      return 0;
    }
  } else {
    if (!translate(va, acc, priv)) {
      raiseFault(va, acc);
      return 0;
    }
    if (misaligned && tDevice) {
      abortTo(va, acc, 0x21);
      return 0;
    }
    const h = acc == ACC_WRITE ? writeHost(tPa, tNs) : ramHost(tPa, tNs);
    if (h == 0) return mmio(va, tPa, tNs, size, acc, value);
    if (acc == ACC_WRITE) noteWrite(h, size);
    fill(tlb, va, h);
    host = h;
  }
  if (watchStop(va, host, size, acc == ACC_WRITE ? DW_WRITE : DW_READ, priv ? el : 0)) return 0;
  if (acc == ACC_WRITE) {
    noteWrite(host, size);
    if (size == 8) store<u64>(host, value);
    else if (size == 4) store<u32>(host, <u32>value);
    else if (size == 2) store<u16>(host, <u16>value);
    else store<u8>(host, <u8>value);
    return 0;
  }
  if (size == 8) return load<u64>(host);
  if (size == 4) return <u64>load<u32>(host);
  if (size == 2) return <u64>load<u16>(host);
  return <u64>load<u8>(host);
}

/** A device access: forwarded to TypeScript; the batch ends after this instruction. */
function mmio(va: u64, pa: u64, ns: bool, size: u32, acc: u32, value: u64): u64 {
  if (secureOnly(pa, ns)) {
    abortTo(va, acc, 0x10);
    return 0;
  }
  publishNow();
  // Bit 31 of the high word (above any PA) marks a Secure physical access.
  const hi = <i32>(pa >> 32) | (ns ? 0 : <i32>0x8000_0000);
  let status: i32;
  if (acc == ACC_WRITE) {
    store<u64>(S + ST_HOST_VALUE, value);
    status = hostMmioWrite(cpuIndex, <i32>pa, hi, size);
  } else {
    status = hostMmioRead(cpuIndex, <i32>pa, hi, size);
  }
  // The device may have changed interrupt lines: end the block (interrupts
  // are checked at block boundaries), and the batch only when asked.
  if ((status & HOST_END_BATCH) != 0) exitReason = EXIT_HOST;
  status &= ~HOST_END_BATCH;
  blockStop = true;
  intrCheck = true;
  if (status != HOST_OK) {
    abortTo(va, acc, 0x10); // synchronous external abort
    return 0;
  }
  if (acc == ACC_WRITE) return 0;
  const v = load<u64>(S + ST_HOST_VALUE);
  if (size == 8) return v;
  return v & ((<u64>1 << (size * 8)) - 1);
}

// Fast paths: aligned, RAM, TLB hit. `(va & (PAGE_MASK | size-1)) == tag` checks all three.
@inline export function ld64(va: u64): u64 {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f007) == load<u64>(e, 0) && ctxOk(e)) return load<u64>(<usize>(va + load<u64>(e, 24)));
  return accessSlow(va, 8, ACC_READ, 0, el != 0, tlbCur);
}
@inline export function ld32(va: u64): u64 {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f003) == load<u64>(e, 0) && ctxOk(e)) return <u64>load<u32>(<usize>(va + load<u64>(e, 24)));
  return accessSlow(va, 4, ACC_READ, 0, el != 0, tlbCur);
}
@inline export function ld16(va: u64): u64 {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f001) == load<u64>(e, 0) && ctxOk(e)) return <u64>load<u16>(<usize>(va + load<u64>(e, 24)));
  return accessSlow(va, 2, ACC_READ, 0, el != 0, tlbCur);
}
@inline export function ld8(va: u64): u64 {
  const e = entryFor(tlbCur, va);
  if ((va & PAGE_MASK) == load<u64>(e, 0) && ctxOk(e)) return <u64>load<u8>(<usize>(va + load<u64>(e, 24)));
  return accessSlow(va, 1, ACC_READ, 0, el != 0, tlbCur);
}
@inline export function st64(va: u64, v: u64): void {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f007) == load<u64>(e, 8) && ctxOk(e)) store<u64>(<usize>(va + load<u64>(e, 24)), v);
  else accessSlow(va, 8, ACC_WRITE, v, el != 0, tlbCur);
}
@inline export function st32(va: u64, v: u64): void {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f003) == load<u64>(e, 8) && ctxOk(e)) store<u32>(<usize>(va + load<u64>(e, 24)), <u32>v);
  else accessSlow(va, 4, ACC_WRITE, v, el != 0, tlbCur);
}
@inline export function st16(va: u64, v: u64): void {
  const e = entryFor(tlbCur, va);
  if ((va & 0xffff_ffff_ffff_f001) == load<u64>(e, 8) && ctxOk(e)) store<u16>(<usize>(va + load<u64>(e, 24)), <u16>v);
  else accessSlow(va, 2, ACC_WRITE, v, el != 0, tlbCur);
}
@inline export function st8(va: u64, v: u64): void {
  const e = entryFor(tlbCur, va);
  if ((va & PAGE_MASK) == load<u64>(e, 8) && ctxOk(e)) store<u8>(<usize>(va + load<u64>(e, 24)), <u8>v);
  else accessSlow(va, 1, ACC_WRITE, v, el != 0, tlbCur);
}

/** Generic sized access (sizes 1, 2, 4, 8). */
export function ldN(va: u64, size: u32): u64 {
  if (size == 8) return ld64(va);
  if (size == 4) return ld32(va);
  if (size == 2) return ld16(va);
  return ld8(va);
}
export function stN(va: u64, size: u32, v: u64): void {
  if (size == 8) st64(va, v);
  else if (size == 4) st32(va, v);
  else if (size == 2) st16(va, v);
  else st8(va, v);
}

/** Unprivileged access (LDTR/STTR): EL0 permissions when executed at EL1. */
export function ldUnpriv(va: u64, size: u32): u64 {
  // EL0 permissions at EL1 and at EL0 alike (at EL0 LDTR is an ordinary load).
  const priv = el >= 2;
  return accessSlow(va, size, ACC_READ, 0, priv, tlbArray(cpuIndex, priv ? 1 : 0));
}
export function stUnpriv(va: u64, size: u32, v: u64): void {
  const priv = el >= 2;
  accessSlow(va, size, ACC_WRITE, v, priv, tlbArray(cpuIndex, priv ? 1 : 0));
}

/** Alignment check for accesses that require natural alignment (exclusives,
 *  acquire/release, atomics: D1.8 "Alignment of data accesses"). */
export function requireAligned(va: u64, size: u32, acc: u32): bool {
  if ((va & <u64>(size - 1)) == 0) return true;
  abortTo(va, acc, 0x21);
  return false;
}

/** Host address for an exclusive, acquire/release or atomic access to RAM
 *  (natural alignment required, D1.8); 0 with an exception raised otherwise.
 *  Such accesses to Device memory or MMIO are answered with an external abort. */
export function rmwHost(va: u64, size: u32, acc: u32): usize {
  if (!requireAligned(va, size, acc)) return 0;
  const e = entryFor(tlbCur, va);
  if ((va & PAGE_MASK) == tagFor(e, acc) && ctxOk(e)) return <usize>(va + load<u64>(e, 24));
  const r = acc == ACC_WRITE ? writeRefill(e, va, size) : readRefill(e, va);
  if (r != 0) return watchStop(va, r, size, acc == ACC_WRITE ? DW_WRITE : DW_READ, el) ? 0 : r;
  if (!translate(va, acc, el != 0)) {
    raiseFault(va, acc);
    return 0;
  }
  const h = acc == ACC_WRITE ? writeHost(tPa, tNs) : ramHost(tPa, tNs);
  if (h == 0) {
    abortTo(va, acc, 0x10);
    return 0;
  }
  if (watchStop(va, h, size, acc == ACC_WRITE ? DW_WRITE : DW_READ, el)) return 0;
  if (acc == ACC_WRITE) noteWrite(h, size);
  fill(tlbCur, va, h);
  return h;
}

/**
 * Host address for an atomic read-modify-write (LD<op>, SWP, CAS, CASP). A
 * fault that a read of the address would also take is reported as a read
 * (ESR_ELx.ISS WnR = 0): "for faults from an atomic instruction that both
 * reads and writes, WnR is 0 if a read of the address would have generated
 * the fault, otherwise 1" (ARM ARM D17.2.40, ISS encoding for a Data Abort).
 */
export function atomicHost(va: u64, size: u32): usize {
  // The atomic read takes the alignment fault first: WnR = 0 (QEMU agrees).
  if (!requireAligned(va, size, ACC_READ)) return 0;
  const e = entryFor(tlbCur, va);
  if ((va & PAGE_MASK) == tagFor(e, ACC_WRITE) && ctxOk(e)) return <usize>(va + load<u64>(e, 24));
  const r = writeRefill(e, va, size);
  if (r != 0) return watchStop(va, r, size, DW_WRITE | DW_READ, el) ? 0 : r;
  if (!translate(va, ACC_READ, el != 0)) {
    raiseFault(va, ACC_READ);
    return 0;
  }
  if (ramHost(tPa, tNs) == 0) {
    abortTo(va, ACC_READ, 0x10);
    return 0;
  }
  return rmwHost(va, size, ACC_WRITE);
}

// ---- instruction fetch ----

@inline export function fetch(va: u64): u32 {
  if ((va & 0xffff_ffff_ffff_f003) == fetchPage) return load<u32>(fetchHost + <usize>(va & 0xfff));
  return fetchSlow(va);
}

function fetchSlow(va: u64): u32 {
  if (fetchTranslate(va) == FETCH_FAULT) return 0;
  return load<u32>(fetchHostOnce + <usize>(va & 0xfff));
}

export const FETCH_FAULT = 0; // the fetch took an exception, or stopped at a breakpoint (EXIT_BREAK)
export const FETCH_CACHED = 1; // fetchPage/fetchHost now describe the page
export const FETCH_UNCACHED = 2; // a page holding a breakpoint: fetchHostOnce, this fetch only
/** Host address of the page of the last successful fetchTranslate(). */
export let fetchHostOnce: usize = 0;

/** Translate `va` for an instruction fetch (FETCH_*). A page holding a
 *  breakpoint is never cached, so every fetch from it comes here and is
 *  checked (debugStops.ts). */
export function fetchTranslate(va: u64): i32 {
  let cachePage = true;
  if (breakpointsArmed()) {
    const b = breakpointCheck(va);
    if (b == BP_HIT) return FETCH_FAULT;
    cachePage = b == BP_NONE;
  }
  if ((va & 3) != 0) {
    takeException(syncTargetEl(), EXC_SYNC, EC_PC_ALIGN, 0, va, true, va);
    return FETCH_FAULT;
  }
  if ((load<u32>(S + ST_DBG_GATE) & DG_BP) != 0) {
    // The guest's breakpoints (debugArch.ts): after the stub's, which stop before them.
    const g = guestBreakpointFetch(va);
    if (g == GBP_HIT) return FETCH_FAULT;
    if (g == GBP_PAGE) cachePage = false;
  }
  const e = entryFor(tlbCur, va);
  let host: usize;
  if ((va & PAGE_MASK) == load<u64>(e, 16) && ctxOk(e)) {
    host = <usize>((va & PAGE_MASK) + load<u64>(e, 24));
  } else {
    if (!translate(va, ACC_EXEC, el != 0)) {
      raiseFault(va, ACC_EXEC);
      return FETCH_FAULT;
    }
    const h = ramHost(tPa, tNs);
    if (h == 0) {
      abortTo(va, ACC_EXEC, 0x10);
      return FETCH_FAULT;
    }
    fill(tlbCur, va, h);
    host = h & ~(<usize>0xfff);
  }
  fetchHostOnce = host;
  if (!cachePage) return FETCH_UNCACHED;
  fetchPage = va & PAGE_MASK;
  fetchHost = host;
  return FETCH_CACHED;
}

/** AT S1E{0,1}{R,W}: translate without faulting and produce PAR_EL1 (D13.2.97). */
export function addressTranslate(va: u64, acc: u32, priv: bool): u64 {
  stage1Only = true;
  const ok = translate(va, acc, priv);
  stage1Only = false;
  if (ok) {
    const ns: u64 = tNs ? (<u64>1 << 9) : 0;
    // PAR_EL1 bit 11 is RES1 in both the success and the fault format.
    return (tPa & 0x0000_ffff_ffff_f000) | ns | (tDevice ? 0 : (<u64>0xff << 56)) | (<u64>1 << 11) | (<u64>3 << 7);
  }
  let par: u64 = 1 | (<u64>1 << 11) | (<u64>(fStatus & 0x3f) << 1);
  if (fS1ptw) par |= 1 << 8;
  if (fStage2) par |= 1 << 9;
  return par;
}

/** DC ZVA: zero a 64-byte block (DCZID_EL0.BS = 4). */
export function dcZva(va: u64): void {
  const base = va & ~(<u64>63);
  if (!translate(base, ACC_WRITE, el != 0)) {
    raiseFault(va, ACC_WRITE);
    return;
  }
  if (tDevice) {
    abortTo(va, ACC_WRITE, 0x21);
    return;
  }
  const h = writeHost(tPa, tNs);
  if (h == 0) {
    for (let i: u64 = 0; i < 64; i += 8) {
      mmio(base + i, tPa + i, tNs, 8, ACC_WRITE, 0);
      if (fault) return;
    }
    return;
  }
  if (watchStop(base, h, 64, DW_WRITE, el)) return;
  noteWrite(h, 64);
  memory.fill(h, 0, 64);
}

/** The armed data watches changed: poison the read tags and drop the write
 *  tags of every TLB entry mapping a watched page, give back the read tags
 *  of pages no longer watched (never walks or refills: the TLB image stays
 *  the one a run without watches has). */
export function dataWatchesChanged(): void {
  for (let cpu = 0; cpu < numCpus; cpu++) guestWatchesChanged(cpu);
}

/** The same for one CPU's TLB (its guest watchpoints changed: debugArch.ts). */
export function guestWatchesChanged(cpu: i32): void {
  const st = stateOf(cpu);
  const base = tlbArray(cpu, 0);
  for (let i: usize = 0; i < <usize>(TLB_ENTRIES * 2); i++) {
    const e = base + i * TLB_ENTRY_BYTES;
    const page = load<u64>(e, 56);
    if (page == TAG_INVALID) continue;
    const host = <usize>(page + load<u64>(e, 24));
    const tagR = load<u64>(e, 0);
    if (pageWatched(st, page, host)) {
      if (tagR == page) store<u64>(e, page | WATCH_POISON, 0);
      store<u64>(e, TAG_INVALID, 8);
    } else if (tagR == (page | WATCH_POISON)) {
      store<u64>(e, page, 0);
    }
  }
}
