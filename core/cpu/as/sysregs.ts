// MRS/MSR, MSR (immediate) and SYS instructions (ARM ARM C5). Registers are
// described by a table TypeScript fills at start-up (core/cpu/sysregs.ts):
// one u32 descriptor per 16-bit encoding key, saying where the value lives,
// who may access it, and which trap controls apply. Registers implemented by
// TypeScript devices (GIC CPU interface, timers) are forwarded to the host.
import {
  SYSREG_TABLE_BASE, SR_SLOT_MASK, SR_MINEL_SHIFT, SR_KIND_SHIFT, SR_KIND_UNDEF, SR_KIND_RW, SR_KIND_RO,
  SR_KIND_WO, SR_KIND_SPECIAL, SR_KIND_HOST, SR_FLAG_MMU, SR_FLAG_TVM, SR_FLAG_TID3, SR_FLAG_FP,
  SR_FLAG_EL0_UCT, SR_FLAG_EL0_UCI, SR_FLAG_EL0_DZE, SR_FLAG_CTX, SR_FLAG_EL0_UMA, SR_FLAG_TDA, SR_FLAG_TDOSA, SR_FLAG_DEBUG,
  SLOT_MDCR_EL2,
  SPEC_NZCV, SPEC_DAIF, SPEC_CURRENTEL, SPEC_SPSEL, SPEC_SP_EL0, SPEC_SP_EL1, SPEC_FPCR, SPEC_FPSR,
  SPEC_CNTPCT, SPEC_CNTVCT, SPEC_CNTFRQ, SPEC_ISR, SPEC_OSLAR, SPEC_SP_EL2,
  ST_DAIF, ST_FPCR, ST_FPSR, ST_HOST_VALUE, ST_IRQ_LINES, ST_SP_EL0, ST_SP_EL1, ST_SP_EL2,
  SLOT_SCTLR_EL1, SLOT_CPACR_EL1, SLOT_CPTR_EL2, SLOT_CNTVOFF_EL2, SLOT_CNTKCTL_EL1, SLOT_CNTHCTL_EL2,
  SLOT_PAR_EL1, SLOT_TCR_EL1, SLOT_MPIDR_EL1, SLOT_MIDR_EL1, SLOT_VMPIDR_EL2, SLOT_VPIDR_EL2, TICKS_PER_COUNTER, COUNTER_HZ, HOST_OK, HOST_UNDEF, HOST_TRAP_EL2, HOST_TRAP_EL1, HOST_TRAP_EL3, HOST_END_BATCH, EXIT_HOST,
  LINE_IRQ, LINE_FIQ, LINE_VIRQ, LINE_VFIQ, EXC_SYNC, MACHINE_GLOBALS_BASE, MG_WATCH_COUNT,
} from "../layout";
import {
  S, el, ipc, nzcv, cpuIndex, exitReason, intrCheck, fault, blockStop, rX, wX, sysreg, setSysreg, contextChanged,
  setSpsel, spsel, daif, hcr, publishNow, nowTick, ctxA, numCpus, isNonSecure, inSecureState, CTX_SECURE, CTX_EL2,
} from "./cpu";
import {
  undefinedInsn, trapToEl2, syncException, el2Enabled, takeException, physicalLines, EC_SYSREG, EC_FP,
} from "./exceptions";
import { hostSysreg } from "./host";
import { watchCheck } from "./debugStops";
import { debugConfigChanged, debugRegValue, oslarWrite } from "./debugArch";
import {
  tlbFlushCpu, tlbInvalidate, dcZva, translate, raiseFault, addressTranslate, ACC_READ, ACC_WRITE, faultCm,
} from "./mmu";

@inline function sysregIss(key: u32, rt: u32, isRead: u32): u32 {
  const op0 = key >> 14;
  const op1 = (key >> 11) & 7;
  const crn = (key >> 7) & 15;
  const crm = (key >> 3) & 15;
  const op2 = key & 7;
  return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | isRead;
}

/** Trap an EL0 access to EL1 as a system-register trap (EC 0x18). */
@inline function trapToEl1(key: u32, rt: u32, isRead: u32): void {
  syncException(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
}

/** FP/SIMD access check (CPACR_EL1.FPEN, CPTR_EL2.TFP; D1.13). Returns false
 *  when an exception was taken. Used by every FP/SIMD instruction. */
export function fpEnabled(): bool {
  if (el <= 1) {
    const fpen = <u32>(sysreg(SLOT_CPACR_EL1) >> 20) & 3;
    if (fpen == 0 || fpen == 2 || (fpen == 1 && el == 0)) {
      syncException(EC_FP, 0, ipc);
      return false;
    }
  }
  if (el <= 2 && el2Enabled() && (sysreg(SLOT_CPTR_EL2) & (1 << 10)) != 0) {
    trapToEl2(EC_FP, 0, ipc);
    return false;
  }
  return true;
}

@inline function counterNow(): u64 {
  return nowTick() / TICKS_PER_COUNTER;
}

/** MRS (isRead) / MSR (register). */
export function execMrsMsr(insn: u32): void {
  mrsMsr(insn);
  if (!fault && load<u32>(MACHINE_GLOBALS_BASE + MG_WATCH_COUNT) != 0) watchCheck((insn >> 5) & 0xffff, (insn >> 21) & 1);
}

function mrsMsr(insn: u32): void {
  const isRead: u32 = (insn >> 21) & 1;
  const key: u32 = (insn >> 5) & 0xffff;
  const rt: u32 = insn & 31;
  const d = load<u32>(SYSREG_TABLE_BASE + (<usize>key << 2));
  const kind = (d >> SR_KIND_SHIFT) & 15;
  if (kind == SR_KIND_UNDEF) {
    undefinedInsn(true);
    return;
  }
  const minEl = (d >> SR_MINEL_SHIFT) & 3;
  if (el < minEl) {
    undefinedInsn(false);
    return;
  }
  if (el == 0) {
    const sctlr = sysreg(SLOT_SCTLR_EL1);
    if (((d & SR_FLAG_EL0_UCT) != 0 && ((sctlr >> 15) & 1) == 0) ||
        ((d & SR_FLAG_EL0_DZE) != 0 && ((sctlr >> 14) & 1) == 0) ||
        ((d & SR_FLAG_EL0_UMA) != 0 && ((sctlr >> 9) & 1) == 0)) {
      trapToEl1(key, rt, isRead);
      return;
    }
  }
  if (el < 2 && el2Enabled()) {
    const h = hcr();
    if ((d & SR_FLAG_TVM) != 0 && ((isRead == 0 && (h & (1 << 26)) != 0) || (isRead != 0 && (h & (<u64>1 << 30)) != 0))) {
      trapToEl2(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
      return;
    }
    if ((d & SR_FLAG_TID3) != 0 && isRead != 0 && (h & (1 << 18)) != 0) {
      trapToEl2(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
      return;
    }
    // MDCR_EL2.TDA (bit 9) / TDOSA (bit 10), both implied by TDE (bit 8),
    // which HCR_EL2.TGE implies (D13.3: the debug register traps).
    if ((d & (SR_FLAG_TDA | SR_FLAG_TDOSA)) != 0) {
      const mdcr = sysreg(SLOT_MDCR_EL2);
      const all = (mdcr & (1 << 8)) != 0 || (h & (1 << 27)) != 0;
      if (all || (mdcr & ((d & SR_FLAG_TDA) != 0 ? (1 << 9) : (1 << 10))) != 0) {
        trapToEl2(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
        return;
      }
    }
  }
  if ((d & SR_FLAG_FP) != 0 && !fpEnabled()) return;
  const slot = <i32>(d & SR_SLOT_MASK);
  if (kind == SR_KIND_RW || kind == SR_KIND_RO || kind == SR_KIND_WO) {
    if (isRead != 0) {
      if (kind == SR_KIND_WO) {
        undefinedInsn(false);
        return;
      }
      // EL1 reads of MPIDR_EL1 / MIDR_EL1 return VMPIDR_EL2 / VPIDR_EL2 when
      // EL2 is enabled (Arm ARM D13.2.86, D13.2.78).
      if (el == 1 && (slot == SLOT_MPIDR_EL1 || slot == SLOT_MIDR_EL1) && el2Enabled()) {
        wX(rt, sysreg(slot == SLOT_MPIDR_EL1 ? SLOT_VMPIDR_EL2 : SLOT_VPIDR_EL2));
      } else {
        wX(rt, sysreg(slot));
      }
    } else {
      if (kind == SR_KIND_RO) {
        undefinedInsn(false);
        return;
      }
      if ((d & SR_FLAG_DEBUG) != 0) {
        setSysreg(slot, debugRegValue(slot, rX(rt)));
        debugConfigChanged();
        return;
      }
      setSysreg(slot, rX(rt));
      if ((d & SR_FLAG_MMU) != 0) {
        tlbFlushCpu(cpuIndex);
        contextChanged();
      } else if ((d & SR_FLAG_CTX) != 0) {
        contextChanged();
      }
    }
    return;
  }
  if (kind == SR_KIND_SPECIAL) {
    special(slot, isRead, rt, key);
    return;
  }
  if (kind == SR_KIND_HOST) {
    publishNow();
    if (isRead == 0) store<u64>(S + ST_HOST_VALUE, rX(rt));
    let status = hostSysreg(cpuIndex, <i32>key, <i32>isRead);
    if ((status & HOST_END_BATCH) != 0) exitReason = EXIT_HOST;
    status &= ~HOST_END_BATCH;
    blockStop = true;
    intrCheck = true;
    if (status == HOST_OK) {
      if (isRead != 0) wX(rt, load<u64>(S + ST_HOST_VALUE));
    } else if (status == HOST_TRAP_EL2) {
      trapToEl2(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
    } else if (status == HOST_TRAP_EL1) {
      trapToEl1(key, rt, isRead);
    } else if (status == HOST_TRAP_EL3) {
      takeException(3, EXC_SYNC, EC_SYSREG, sysregIss(key, rt, isRead), 0, false, ipc);
    } else {
      undefinedInsn(status == HOST_UNDEF);
    }
    return;
  }
  undefinedInsn(true);
}

function special(id: i32, isRead: u32, rt: u32, key: u32): void {
  switch (id) {
    case SPEC_NZCV:
      if (isRead != 0) wX(rt, <u64>nzcv);
      else nzcv = <u32>rX(rt) & 0xf0000000;
      return;
    case SPEC_DAIF:
      if (isRead != 0) wX(rt, <u64>daif());
      else {
        store<u32>(S + ST_DAIF, <u32>rX(rt) & 0x3c0);
        intrCheck = true;
      }
      return;
    case SPEC_CURRENTEL:
      if (isRead != 0) wX(rt, <u64>(el << 2));
      else undefinedInsn(false);
      return;
    case SPEC_SPSEL:
      if (isRead != 0) wX(rt, <u64>spsel());
      else setSpsel(<u32>rX(rt) & 1);
      return;
    case SPEC_SP_EL0:
      // UNDEFINED at EL1 while SP_EL0 is the current stack pointer (C5.2.17).
      if (el == 1 && spsel() == 0) {
        undefinedInsn(false);
        return;
      }
      if (isRead != 0) wX(rt, load<u64>(S + ST_SP_EL0));
      else store<u64>(S + ST_SP_EL0, rX(rt));
      return;
    case SPEC_SP_EL1:
      if (isRead != 0) wX(rt, load<u64>(S + ST_SP_EL1));
      else store<u64>(S + ST_SP_EL1, rX(rt));
      return;
    case SPEC_SP_EL2:
      if (isRead != 0) wX(rt, load<u64>(S + ST_SP_EL2));
      else store<u64>(S + ST_SP_EL2, rX(rt));
      return;
    case SPEC_FPCR:
      // Implemented bits: AHP, DN, FZ, RMode (D13.2.46); the rest RES0.
      if (isRead != 0) wX(rt, load<u64>(S + ST_FPCR));
      else store<u64>(S + ST_FPCR, rX(rt) & 0x07c00000);
      return;
    case SPEC_FPSR:
      if (isRead != 0) wX(rt, load<u64>(S + ST_FPSR));
      else store<u64>(S + ST_FPSR, rX(rt) & 0xf800009f);
      return;
    case SPEC_CNTPCT:
    case SPEC_CNTVCT: {
      if (isRead == 0) {
        undefinedInsn(false);
        return;
      }
      // EL0 access: CNTKCTL_EL1.EL0PCTEN/EL0VCTEN; EL1 physical counter: CNTHCTL_EL2.EL1PCTEN.
      const virt = id == SPEC_CNTVCT;
      if (el == 0 && (sysreg(SLOT_CNTKCTL_EL1) & (virt ? 2 : 1)) == 0 && !(el2Enabled() && (hcr() & (1 << 27)) != 0)) {
        trapToEl1(key, rt, isRead);
        return;
      }
      if (!virt && el < 2 && el2Enabled() && (hcr() & (1 << 27)) == 0 && (sysreg(SLOT_CNTHCTL_EL2) & 1) == 0) {
        trapToEl2(EC_SYSREG, sysregIss(key, rt, isRead), ipc);
        return;
      }
      let v = counterNow();
      if (virt && el < 2) v -= sysreg(SLOT_CNTVOFF_EL2);
      wX(rt, v);
      return;
    }
    case SPEC_CNTFRQ:
      if (isRead != 0) {
        if (el == 0 && (sysreg(SLOT_CNTKCTL_EL1) & 3) == 0) {
          trapToEl1(key, rt, isRead);
          return;
        }
        wX(rt, <u64>COUNTER_HZ);
      } else if (el < 3) undefinedInsn(false);
      return;
    case SPEC_ISR: {
      if (isRead == 0) {
        undefinedInsn(false);
        return;
      }
      const lines = physicalLines(load<u32>(S + ST_IRQ_LINES));
      const h = el2Enabled() && el < 2 ? hcr() : 0;
      let v: u64 = 0;
      const virtI = (h & (1 << 4)) != 0;
      const virtF = (h & (1 << 3)) != 0;
      if (virtI ? ((lines & LINE_VIRQ) != 0 || (h & (1 << 7)) != 0) : (lines & LINE_IRQ) != 0) v |= 1 << 7;
      if (virtF ? ((lines & LINE_VFIQ) != 0 || (h & (1 << 6)) != 0) : (lines & LINE_FIQ) != 0) v |= 1 << 6;
      if ((h & (1 << 5)) != 0 && (h & (1 << 8)) != 0) v |= 1 << 8;
      wX(rt, v);
      return;
    }
    case SPEC_OSLAR:
      // OS lock (OSLSR_EL1.OSLK): while set, no debug exceptions (debugArch.ts).
      if (isRead != 0) undefinedInsn(false);
      else oslarWrite(rX(rt));
      return;
  }
  undefinedInsn(true);
}

/** MSR (immediate): PSTATE fields (C5.1.3). */
export function execMsrImm(insn: u32): void {
  const op1 = (insn >> 16) & 7;
  const op2 = (insn >> 5) & 7;
  const crm = (insn >> 8) & 15;
  if (op1 == 0 && op2 == 5) {
    if (el == 0) {
      undefinedInsn(false);
      return;
    }
    setSpsel(crm & 1);
    return;
  }
  if (op1 == 3 && (op2 == 6 || op2 == 7)) {
    if (el == 0 && ((sysreg(SLOT_SCTLR_EL1) >> 9) & 1) == 0) {
      trapToEl1((1 << 14) | (op1 << 11) | (4 << 7) | (crm << 3) | op2, 31, 0);
      return;
    }
    const bits = (crm & 15) << 6;
    const cur = daif();
    store<u32>(S + ST_DAIF, op2 == 6 ? (cur | bits) : (cur & ~bits));
    intrCheck = true;
    return;
  }
  undefinedInsn(true);
}

/** SYS: cache maintenance, address translation, TLB maintenance (C5.3). */
export function execSys(insn: u32): void {
  const key: u32 = (insn >> 5) & 0xffff;
  const rt: u32 = insn & 31;
  const op1 = (key >> 11) & 7;
  const crn = (key >> 7) & 15;
  const crm = (key >> 3) & 15;
  const op2 = key & 7;
  const h = el < 2 && el2Enabled() ? hcr() : 0;
  if (crn == 7) {
    if (op1 == 3) {
      // EL0-accessible forms: DC ZVA, DC CVAC/CVAU/CIVAC, IC IVAU.
      if (el == 0) {
        const sctlr = sysreg(SLOT_SCTLR_EL1);
        const isZva = crm == 4 && op2 == 1;
        if (isZva ? ((sctlr >> 14) & 1) == 0 : ((sctlr >> 26) & 1) == 0) {
          trapToEl1(key, rt, 0);
          return;
        }
      }
      if (crm == 4 && op2 == 1) {
        dcZva(rX(rt));
        return;
      }
      if (op2 == 1 && (crm == 10 || crm == 11 || crm == 14 || crm == 5)) {
        // DC CVAC/CVAU/CIVAC, IC IVAU: no caches to maintain, but the VA must translate.
        cacheMaintVa(rX(rt), ACC_READ);
        return;
      }
    } else if (op1 == 0 && el >= 1) {
      if (crm == 1 && op2 == 0) return; // IC IALLUIS
      if (crm == 5 && op2 == 0) return; // IC IALLU
      if (crm == 6 && op2 == 1) {
        cacheMaintVa(rX(rt), ACC_WRITE); // DC IVAC needs write permission
        return;
      }
      if ((crm == 6 || crm == 10 || crm == 14) && op2 == 2) {
        // DC ISW/CSW/CISW: set/way operations, trapped by HCR_EL2.TSW.
        if ((h & (1 << 22)) != 0) {
          trapToEl2(EC_SYSREG, sysregIss(key, rt, 0), ipc);
        }
        return;
      }
      if (crm == 8 && op2 <= 3) {
        // AT S1E1R/S1E1W/S1E0R/S1E0W
        const acc = (op2 & 1) != 0 ? ACC_WRITE : ACC_READ;
        setSysreg(SLOT_PAR_EL1, addressTranslate(rX(rt), acc, op2 < 2));
        return;
      }
    }
  } else if (crn == 8 && op1 == 0 && el >= 1 && (crm == 3 || crm == 7)) {
    if ((h & (1 << 25)) != 0) {
      trapToEl2(EC_SYSREG, sysregIss(key, rt, 0), ipc); // HCR_EL2.TTLB
      return;
    }
    const broadcast = crm == 3 || (h & (1 << 9)) != 0; // IS, or HCR_EL2.FB
    const mask = tlbiMask(broadcast);
    // The EL1&0 regime of the current Security state (SCR_EL3.NS at EL3).
    const regime: u64 = isNonSecure() ? 0 : CTX_SECURE;
    const vmid = el == 1 ? <i32>((ctxA >> 16) & 0xffff) : -1;
    const xt = rX(rt);
    let asid = <i32>(xt >> 48);
    if (((sysreg(SLOT_TCR_EL1) >> 36) & 1) == 0) asid &= 0xff;
    const va = (xt & 0x0fff_ffff_ffff) << 12;
    switch (op2) {
      case 0: tlbInvalidate(mask, regime, vmid, -1, false, 0, true); return; // VMALLE1
      case 1: case 5: tlbInvalidate(mask, regime, vmid, asid, true, va, true); return; // VAE1, VALE1
      case 2: tlbInvalidate(mask, regime, vmid, asid, false, 0, false); return; // ASIDE1
      case 3: case 7: tlbInvalidate(mask, regime, vmid, -1, true, va, true); return; // VAAE1, VAALE1
    }
  } else if (crn == 8 && ((op1 == 4 && el >= 2) || (op1 == 6 && el == 3)) && (crm == 3 || crm == 7 || crm == 0 || crm == 4)) {
    if (el2Tlbi(op1, crm, op2, rX(rt))) return;
  }
  undefinedInsn(true);
}

@inline function tlbiMask(broadcast: bool): u32 {
  return broadcast ? (numCpus >= 32 ? 0xffffffff : ((<u32>1 << numCpus) - 1)) : (<u32>1 << cpuIndex);
}

/**
 * TLBI at EL2/EL3 (C5.5): the EL2/EL3 regime's own entries (ALLE2/ALLE3,
 * VAE2/VAE3, VALE2/VALE3), or the EL1&0 regime's (ALLE1, VMALLS12E1: every
 * VMID, a permitted over-invalidation; IPAS2E1/IPAS2LE1: no stage-2-only
 * entries are cached, so nothing). Always of the current Security state
 * (SCR_EL3.NS for EL1&0 at EL3). Returns false for an unallocated encoding.
 */
function el2Tlbi(op1: u32, crm: u32, op2: u32, xt: u64): bool {
  if (crm == 0 || crm == 4) return op1 == 4 && (op2 == 1 || op2 == 5); // IPAS2E1IS, IPAS2LE1IS / IPAS2E1, IPAS2LE1
  const mask = tlbiMask(crm == 3);
  const lower: u64 = isNonSecure() ? 0 : CTX_SECURE;
  const own: u64 = (inSecureState() ? CTX_SECURE : 0) | CTX_EL2;
  const va = (xt & 0x0fff_ffff_ffff) << 12;
  if (op2 == 0) tlbInvalidate(mask, own, -1, -1, false, 0, true); // ALLE2, ALLE3
  else if (op2 == 1 || op2 == 5) tlbInvalidate(mask, own, -1, -1, true, va, true); // VAE2, VALE2, VAE3, VALE3
  else if (op1 == 4 && (op2 == 4 || op2 == 6)) tlbInvalidate(mask, lower, -1, -1, false, 0, true); // ALLE1, VMALLS12E1
  else return false;
  return true;
}

function cacheMaintVa(va: u64, acc: u32): void {
  if (!translate(va, acc, el != 0)) {
    faultCm = true;
    raiseFault(va, acc);
    faultCm = false;
  }
}
