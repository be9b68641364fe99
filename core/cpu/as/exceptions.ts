// Exception entry and return (ARM ARM D1.10-D1.11) and interrupt acceptance.
// Exceptions targeting EL1 are taken entirely in the core; those targeting
// EL2/EL3 perform the architectural entry (ESR/ELR/SPSR/FAR/HPFAR, PSTATE)
// and end the batch so the TypeScript software of that level runs.
import {
  SLOT_ESR_EL1, SLOT_ELR_EL1, SLOT_SPSR_EL1, SLOT_FAR_EL1, SLOT_VBAR_EL1,
  SLOT_ESR_EL2, SLOT_ELR_EL2, SLOT_SPSR_EL2, SLOT_FAR_EL2, SLOT_VBAR_EL2, SLOT_HPFAR_EL2,
  SLOT_ESR_EL3, SLOT_ELR_EL3, SLOT_SPSR_EL3, SLOT_FAR_EL3, SLOT_VBAR_EL3, SLOT_HCR_EL2,
  ST_DAIF, ST_EL, ST_SPSEL, ST_PSTATE_MISC, ST_EXC_KIND, ST_EXC_COUNT, ST_IRQ_LINES,
  ST_UNDEF_COUNT, ST_LAST_UNDEF_INSN, ST_EXCL_VALID, ST_FEATURES, ST_NS,
  EXC_SYNC, EXC_IRQ, EXC_FIQ, EXC_SERROR, EXIT_EL2, EXIT_EL3, EXIT_HOST,
  LINE_IRQ, LINE_FIQ, LINE_VIRQ, LINE_VFIQ, LINE_G1S, LINE_G1NS, FEAT_EL2, FEAT_EL3,
} from "../layout";
import {
  S, el, pc, ipc, insnG, cpuIndex, fault, exitReason, intrCheck, nzcv, blockStop,
  packPstate, setPstate, bankSp, unbankSp, sysreg, setSysreg, contextChanged, spsel, daif, hcr, scr,
  isNonSecure, publishNow, secureEl2Enabled,
} from "./cpu";
import { hostUndef, hostException } from "./host";
import { debugAfterEret, steppedInsn } from "./debugArch";

export const EC_UNKNOWN: u32 = 0x00;
export const EC_WFX: u32 = 0x01;
export const EC_FP: u32 = 0x07;
export const EC_ILLEGAL: u32 = 0x0e;
export const EC_SVC: u32 = 0x15;
export const EC_HVC: u32 = 0x16;
export const EC_SMC: u32 = 0x17;
export const EC_SYSREG: u32 = 0x18;
export const EC_IABORT_LOWER: u32 = 0x20;
export const EC_IABORT_SAME: u32 = 0x21;
export const EC_PC_ALIGN: u32 = 0x22;
export const EC_DABORT_LOWER: u32 = 0x24;
export const EC_DABORT_SAME: u32 = 0x25;
export const EC_SP_ALIGN: u32 = 0x26;
export const EC_SERROR: u32 = 0x2f;
export const EC_BRK: u32 = 0x3c;

@inline function hasEl2(): bool {
  return (load<u32>(S + ST_FEATURES) & FEAT_EL2) != 0;
}
@inline function hasEl3(): bool {
  return (load<u32>(S + ST_FEATURES) & FEAT_EL3) != 0;
}

/** EL2 is enabled for the current Security state: always in Non-secure
 *  state, in Secure state with FEAT_SEL2 and SCR_EL3.EEL2 (D1.2, EL2Enabled()). */
@inline export function el2Enabled(): bool {
  return hasEl2() && (isNonSecure() || secureEl2Enabled());
}

/** Where a synchronous exception from EL0/EL1 that the rules route to "EL1" goes:
 *  EL2 when HCR_EL2.TGE is set (D1.10.1). */
@inline export function syncTargetEl(): u32 {
  if (el == 0 && el2Enabled() && (hcr() & (1 << 27)) != 0) return 2;
  return el > 1 ? el : 1;
}

/**
 * Take an exception to `target`. `retAddr` is the preferred return address.
 * `far` is written only when `farValid`.
 */
export function takeException(target: u32, kind: u32, ec: u32, iss: u32, far: u64, farValid: bool, retAddr: u64): void {
  let spsr = packPstate();
  // An SVC/HVC/SMC (returning after itself) completes a stepped instruction:
  // SPSR.SS = 0, so the step is reported on return (active-pending, D2.12).
  if (steppedInsn && retAddr != ipc) spsr &= ~(<u32>1 << 21);
  const from = el;
  let off: u64 = <u64>kind * 0x80;
  if (target == from) {
    if (spsel() != 0) off += 0x200;
  } else {
    off += 0x400; // lower EL using AArch64
  }
  const esr: u64 = kind == EXC_SYNC ? ((<u64>ec << 26) | (1 << 25) | <u64>(iss & 0x1ffffff)) : 0;
  let vbar: u64 = 0;
  if (target == 1) {
    if (kind == EXC_SYNC || kind == EXC_SERROR) setSysreg(SLOT_ESR_EL1, kind == EXC_SERROR ? ((<u64>EC_SERROR << 26) | (1 << 25) | <u64>iss) : esr);
    setSysreg(SLOT_ELR_EL1, retAddr);
    setSysreg(SLOT_SPSR_EL1, spsr);
    if (farValid) setSysreg(SLOT_FAR_EL1, far);
    vbar = sysreg(SLOT_VBAR_EL1);
  } else if (target == 2) {
    if (kind == EXC_SYNC) setSysreg(SLOT_ESR_EL2, esr);
    setSysreg(SLOT_ELR_EL2, retAddr);
    setSysreg(SLOT_SPSR_EL2, spsr);
    if (farValid) setSysreg(SLOT_FAR_EL2, far);
    vbar = sysreg(SLOT_VBAR_EL2);
  } else {
    if (kind == EXC_SYNC) setSysreg(SLOT_ESR_EL3, esr);
    setSysreg(SLOT_ELR_EL3, retAddr);
    setSysreg(SLOT_SPSR_EL3, spsr);
    if (farValid) setSysreg(SLOT_FAR_EL3, far);
    vbar = sysreg(SLOT_VBAR_EL3);
  }
  // PSTATE on entry: EL=target, SP_ELx, all of DAIF masked, SS and IL cleared.
  bankSp();
  el = target;
  store<u32>(S + ST_EL, target);
  store<u32>(S + ST_SPSEL, 1);
  store<u32>(S + ST_DAIF, 0x3c0);
  store<u32>(S + ST_PSTATE_MISC, load<u32>(S + ST_PSTATE_MISC) & ~(<u32>0x00300000));
  unbankSp();
  pc = vbar + off;
  fault = true;
  blockStop = true;
  store<u32>(S + ST_EXCL_VALID, 0);
  store<u64>(S + ST_EXC_COUNT, load<u64>(S + ST_EXC_COUNT) + 1);
  contextChanged();
  publishNow();
  if (hostException(cpuIndex, <i32>from, <i32>target, <i32>kind) != 0) exitReason = EXIT_HOST;
  if (target >= 2) {
    store<u32>(S + ST_EXC_KIND, kind);
    exitReason = target == 2 ? EXIT_EL2 : EXIT_EL3;
  }
}

/** Synchronous exception with the usual routing to EL1 (or EL2 under TGE). */
@inline export function syncException(ec: u32, iss: u32, retAddr: u64): void {
  takeException(syncTargetEl(), EXC_SYNC, ec, iss, 0, false, retAddr);
}

/** UNDEFINED instruction (EC 0). `unimplemented` encodings are also reported to the host log. */
export function undefinedInsn(unimplemented: bool): void {
  if (unimplemented) {
    store<u64>(S + ST_UNDEF_COUNT, load<u64>(S + ST_UNDEF_COUNT) + 1);
    store<u32>(S + ST_LAST_UNDEF_INSN, insnG);
    publishNow();
    hostUndef(cpuIndex, <i32>insnG, <i32>ipc, <i32>(ipc >> 32));
  }
  syncException(EC_UNKNOWN, 0, ipc);
}

/** Trap of an instruction to EL2 (HCR_EL2/CPTR_EL2 trap controls). */
@inline export function trapToEl2(ec: u32, iss: u32, retAddr: u64): void {
  takeException(2, EXC_SYNC, ec, iss, 0, false, retAddr);
}

/** Is an SPSR value a legal return target from the current EL? (D1.11.2) */
function legalReturn(spsr: u32): bool {
  if ((spsr & 0x10) != 0) return false; // AArch32 not implemented
  const target = (spsr >> 2) & 3;
  if ((spsr & 2) != 0) return false; // M[1] is reserved
  if ((spsr & 0xf) == 1) return false; // EL0 with SP_ELx (M = 0b0001) does not exist
  if (target > el) return false;
  if (target == 2 && !hasEl2()) return false;
  // ERET to EL2 in Secure state needs Secure EL2 enabled (SCR_EL3.EEL2).
  if (target == 2 && !isNonSecure() && !secureEl2Enabled()) return false;
  if (target == 3 && !hasEl3()) return false;
  if (target == 1 && el2Enabled() && (hcr() & (1 << 27)) != 0) return false; // TGE
  return true;
}

/** ERET from the current EL (an ERET instruction at EL1, or the TypeScript
 *  software of EL2/EL3 finishing a handler). */
export function exceptionReturn(): void {
  let spsr: u32;
  let elr: u64;
  if (el == 1) {
    spsr = <u32>sysreg(SLOT_SPSR_EL1);
    elr = sysreg(SLOT_ELR_EL1);
  } else if (el == 2) {
    spsr = <u32>sysreg(SLOT_SPSR_EL2);
    elr = sysreg(SLOT_ELR_EL2);
  } else {
    spsr = <u32>sysreg(SLOT_SPSR_EL3);
    elr = sysreg(SLOT_ELR_EL3);
  }
  store<u32>(S + ST_EXCL_VALID, 0);
  intrCheck = true;
  if (el == 3 && (spsr & 0xc) != 0xc) {
    // Returning from EL3 to a lower EL enters the Security state named by SCR_EL3.NS.
    store<u32>(S + ST_NS, <u32>(scr() & 1));
  }
  if (!legalReturn(spsr)) {
    // Illegal exception return: EL and SP unchanged, IL set, PC from ELR; the next
    // instruction raises an Illegal Execution state exception (D1.11.4).
    const keep = packPstate() & 0x0f;
    setPstate((spsr & 0xf03003c0) | (1 << 20) | keep);
    pc = elr;
    takeException(syncTargetEl(), EXC_SYNC, EC_ILLEGAL, 0, 0, false, elr);
    return;
  }
  setPstate(spsr);
  debugAfterEret();
  pc = elr;
}

/**
 * Take a pending, unmasked interrupt if there is one (at an instruction
 * boundary). Returns true when an exception was taken.
 * Routing and masking per D1.14 (physical IRQ/FIQ to EL1, EL2 by HCR_EL2.IMO/FMO,
 * EL3 by SCR_EL3.IRQ/FIQ; virtual IRQ/FIQ/SError to EL1 when IMO/FMO/AMO).
 */
export function checkInterrupts(): bool {
  intrCheck = false;
  const h = el2Enabled() ? hcr() : 0;
  // HCR_EL2.VI/VF assert virtual IRQ/FIQ like the GIC virtual interface does (D1.14.3).
  const lines = physicalLines(load<u32>(S + ST_IRQ_LINES)) | ((h & (1 << 7)) != 0 ? LINE_VIRQ : 0) | ((h & (1 << 6)) != 0 ? LINE_VFIQ : 0);
  const vse = (h & (1 << 8)) != 0 && (h & (1 << 5)) != 0;
  if (lines == 0 && !vse) return false;
  const d = daif();
  const s = hasEl3() ? scr() : 0;
  if ((lines & LINE_FIQ) != 0) {
    const target = physTarget((s & 4) != 0, (h & (8 | TGE)) != 0);
    if (target > el || (target == el && (d & 0x40) == 0)) {
      takeException(target, EXC_FIQ, 0, 0, 0, false, pc);
      return true;
    }
  }
  if ((lines & LINE_IRQ) != 0) {
    const target = physTarget((s & 2) != 0, (h & (16 | TGE)) != 0);
    if (target > el || (target == el && (d & 0x80) == 0)) {
      takeException(target, EXC_IRQ, 0, 0, 0, false, pc);
      return true;
    }
  }
  if (el <= 1 && (h & (1 << 27)) == 0) {
    if ((lines & LINE_VFIQ) != 0 && (h & 8) != 0 && (d & 0x40) == 0) {
      takeException(1, EXC_FIQ, 0, 0, 0, false, pc);
      return true;
    }
    if ((lines & LINE_VIRQ) != 0 && (h & 16) != 0 && (d & 0x80) == 0) {
      takeException(1, EXC_IRQ, 0, 0, 0, false, pc);
      return true;
    }
    if (vse && (d & 0x100) == 0) {
      // Virtual SError: HCR_EL2.VSE is cleared when it is taken (D1.14.4).
      store<u64>(S + 0x800 + (<usize>SLOT_HCR_EL2 << 3), hcr() & ~(<u64>1 << 8));
      takeException(1, EXC_SERROR, 0, 0, 0, false, pc);
      return true;
    }
  }
  return false;
}

/** HCR_EL2.TGE: physical IRQ/FIQ route to EL2 as if IMO/FMO were set. */
const TGE: u64 = 1 << 27;

/** The EL a physical interrupt targets, or 0 when it is not taken at the
 *  current EL: one routed to a lower EL than the current one stays pending
 *  whatever PSTATE's masks (ARM ARM D1.3.6; e.g. at EL2 with IMO = TGE = 0). */
@inline function physTarget(toEl3: bool, toEl2: bool): u32 {
  if (toEl3) return 3;
  if (el == 3) return 0;
  if (toEl2) return 2;
  return el == 2 ? 0 : 1;
}

/** The physical IRQ/FIQ lines as the PE sees them: a Group 1 interrupt
 *  signalled by group (LINE_G1S/LINE_G1NS, a GIC with two Security states)
 *  is IRQ in its own Security state below EL3 and FIQ otherwise (GICv3
 *  IHI 0069 §4.6.2, Table 4-3: the CPU interface decides by the PE's state). */
@inline export function physicalLines(raw: u32): u32 {
  if ((raw & (LINE_G1S | LINE_G1NS)) == 0) return raw;
  return groupLines(raw);
}

function groupLines(raw: u32): u32 {
  const secure = el == 3 || !isNonSecure();
  let out = raw & ~(LINE_G1S | LINE_G1NS);
  if ((raw & LINE_G1S) != 0) out |= secure && el != 3 ? LINE_IRQ : LINE_FIQ;
  if ((raw & LINE_G1NS) != 0) out |= secure ? LINE_FIQ : LINE_IRQ;
  return out;
}

/** Any interrupt pending for this CPU, masked or not (WFI wake-up condition). */
export function anyInterruptPending(): bool {
  const lines = load<u32>(S + ST_IRQ_LINES);
  if (lines != 0) return true;
  const h = el2Enabled() ? hcr() : 0;
  if ((h & 0xc0) != 0) return true; // HCR_EL2.VI / VF
  return (h & (1 << 8)) != 0 && (h & (1 << 5)) != 0;
}
