// The virtual CPU interface (GICv3 §6 "Virtual interrupt handling and
// prioritization"): the ICH_*_EL2 control registers used by a hypervisor
// (§12.4) and the ICV_* view of the ICC_*_EL1 registers that EL1 sees when
// HCR_EL2.IMO/FMO route its interrupts to EL2 (§12.3). Virtual interrupts
// live in the List registers; vIRQ/vFIQ follow the highest priority pending
// virtual interrupt, the maintenance interrupt follows ICH_MISR_EL2.

import { HOST_OK, HOST_UNDEF, LINE_VFIQ, LINE_VIRQ } from '../../cpu/cpu.js';
import type { HostStatus } from '../../cpu/ports.js';
import type { GicCore } from './core.js';
import type { GicVirtualInterfaceState } from './state.js';
import {
  APR_SHIFT,
  BPR0_MIN,
  BPR1_MIN,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_CTLR_EL1_CBPR,
  ICC_CTLR_EL1_EOImode,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICH_AP0R0_EL2,
  ICH_AP1R0_EL2,
  ICH_ELRSR_EL2,
  ICH_EISR_EL2,
  ICH_HCR_EL2,
  ICH_HCR_EL2_En,
  ICH_HCR_EL2_EOIcount_SHIFT,
  ICH_HCR_EL2_LRENPIE,
  ICH_HCR_EL2_MASK,
  ICH_HCR_EL2_NPIE,
  ICH_HCR_EL2_UIE,
  ICH_HCR_EL2_VGrp0DIE,
  ICH_HCR_EL2_VGrp0EIE,
  ICH_HCR_EL2_VGrp1DIE,
  ICH_HCR_EL2_VGrp1EIE,
  ICH_LR_EL2,
  ICH_LR_HI_EOI,
  ICH_LR_HI_Group,
  ICH_LR_HI_HW,
  ICH_LR_HI_MASK,
  ICH_LR_HI_pINTID_MASK,
  ICH_LR_HI_Priority_SHIFT,
  ICH_LR_HI_State_SHIFT,
  ICH_LR_LO_vINTID_MASK,
  ICH_LR_STATE_ACTIVE,
  ICH_LR_STATE_INVALID,
  ICH_LR_STATE_PENDING,
  ICH_MISR_EL2,
  ICH_MISR_EL2_EOI,
  ICH_MISR_EL2_LRENP,
  ICH_MISR_EL2_NP,
  ICH_MISR_EL2_U,
  ICH_MISR_EL2_VGrp0D,
  ICH_MISR_EL2_VGrp0E,
  ICH_MISR_EL2_VGrp1D,
  ICH_MISR_EL2_VGrp1E,
  ICH_VMCR_EL2,
  ICH_VMCR_EL2_VBPR0_SHIFT,
  ICH_VMCR_EL2_VBPR1_SHIFT,
  ICH_VMCR_EL2_VCBPR,
  ICH_VMCR_EL2_VEOIM,
  ICH_VMCR_EL2_VENG0,
  ICH_VMCR_EL2_VENG1,
  ICH_VMCR_EL2_VFIQEn,
  ICH_VMCR_EL2_VPMR_SHIFT,
  ICH_VTR_EL2,
  ICH_VTR_EL2_VALUE,
  IDLE_PRIORITY,
  INTID_SECURE,
  INTID_SPURIOUS,
  NUM_LRS,
  PRI_MASK,
  ctz32,
} from './registers.js';

/** First LPI INTID: vLPIs in List registers skip the EOImode split (VirtualWriteEOIR0/1 pseudocode). */
const LPI_INTID_START = 8192;

// ------------------------------------------------------------- LR accessors

function lrState(v: GicVirtualInterfaceState, i: number): number {
  return v.ich_lr_hi[i]! >>> ICH_LR_HI_State_SHIFT;
}
function lrPriority(v: GicVirtualInterfaceState, i: number): number {
  return (v.ich_lr_hi[i]! >>> ICH_LR_HI_Priority_SHIFT) & 0xff;
}
function lrGroup1(v: GicVirtualInterfaceState, i: number): boolean {
  return (v.ich_lr_hi[i]! & ICH_LR_HI_Group) !== 0;
}
function setLrState(v: GicVirtualInterfaceState, i: number, state: number): void {
  v.ich_lr_hi[i] = ((v.ich_lr_hi[i]! & 0x3fffffff) | (state << ICH_LR_HI_State_SHIFT)) >>> 0;
}
function vbpr0(v: GicVirtualInterfaceState): number {
  return (v.ich_vmcr >>> ICH_VMCR_EL2_VBPR0_SHIFT) & 7;
}
function vbpr1(v: GicVirtualInterfaceState): number {
  return (v.ich_vmcr >>> ICH_VMCR_EL2_VBPR1_SHIFT) & 7;
}
function vpmr(v: GicVirtualInterfaceState): number {
  return v.ich_vmcr >>> ICH_VMCR_EL2_VPMR_SHIFT;
}
function eoiCount(v: GicVirtualInterfaceState): number {
  return v.ich_hcr >>> ICH_HCR_EL2_EOIcount_SHIFT;
}
function incrementEoiCount(v: GicVirtualInterfaceState): void {
  const n = (eoiCount(v) + 1) & 31;
  v.ich_hcr = ((v.ich_hcr & 0x07ffffff) | (n << ICH_HCR_EL2_EOIcount_SHIFT)) >>> 0;
}

/** Group-priority mask from the virtual binary points (VCBPR: Group 1 uses VBPR0). */
function vGprioMask(v: GicVirtualInterfaceState, group1: boolean): number {
  let bpr: number;
  if (group1 && (v.ich_vmcr & ICH_VMCR_EL2_VCBPR) === 0) bpr = vbpr1(v) - 1;
  else bpr = vbpr0(v);
  return (0xff << (bpr + 1)) & 0xff;
}

/** Virtual running priority from ICH_AP0R0/ICH_AP1R0. */
function vRunningPriority(v: GicVirtualInterfaceState): number {
  const apr = v.ich_ap0r0 | v.ich_ap1r0;
  return apr === 0 ? IDLE_PRIORITY : ctz32(apr) << APR_SHIFT;
}

/** Highest priority pending virtual interrupt: an LR in the Pending state whose
 *  group is enabled in ICH_VMCR_EL2, lowest priority value, then lowest LR
 *  index. -1 when none, or when ICH_HCR_EL2.En == 0 (§12.4.4). */
function hppvi(v: GicVirtualInterfaceState): number {
  if ((v.ich_hcr & ICH_HCR_EL2_En) === 0) return -1;
  let best = -1;
  let bestPrio = 0x100;
  for (let i = 0; i < NUM_LRS; i++) {
    if (lrState(v, i) !== ICH_LR_STATE_PENDING) continue;
    const en = lrGroup1(v, i) ? v.ich_vmcr & ICH_VMCR_EL2_VENG1 : v.ich_vmcr & ICH_VMCR_EL2_VENG0;
    if (!en) continue;
    const p = lrPriority(v, i);
    if (p < bestPrio) {
      bestPrio = p;
      best = i;
    }
  }
  return best;
}

/** Can LR `i` be signalled: above the virtual priority mask and with a higher
 *  group priority than the virtual running priority (§6, virtual interrupt
 *  prioritization; ARM ARM CanSignalVirtualInterrupt)? */
function vCanPreempt(v: GicVirtualInterfaceState, i: number): boolean {
  const p = lrPriority(v, i);
  if (p >= vpmr(v)) return false;
  const rprio = vRunningPriority(v);
  if (rprio === IDLE_PRIORITY) return true;
  const mask = vGprioMask(v, lrGroup1(v, i));
  return (p & mask) < (rprio & mask);
}

/** vIRQ for a Group 1, vFIQ for a Group 0 virtual interrupt (VFIQEn is RES1). */
export function virtualLines(g: GicCore, cpu: number): number {
  const v = g.s.vcpuif[cpu]!;
  const i = hppvi(v);
  if (i < 0 || !vCanPreempt(v, i)) return 0;
  return lrGroup1(v, i) ? LINE_VIRQ : LINE_VFIQ;
}

function eisr(v: GicVirtualInterfaceState): number {
  let m = 0;
  for (let i = 0; i < NUM_LRS; i++) {
    const hi = v.ich_lr_hi[i]!;
    if (hi >>> ICH_LR_HI_State_SHIFT === ICH_LR_STATE_INVALID && (hi & ICH_LR_HI_HW) === 0 && (hi & ICH_LR_HI_EOI) !== 0) m |= 1 << i;
  }
  return m;
}
/** ICH_ELRSR_EL2: an LR is empty when Invalid and not waiting for an EOI maintenance interrupt. */
function elrsr(v: GicVirtualInterfaceState): number {
  let m = 0;
  for (let i = 0; i < NUM_LRS; i++) {
    const hi = v.ich_lr_hi[i]!;
    if (hi >>> ICH_LR_HI_State_SHIFT === ICH_LR_STATE_INVALID && ((hi & ICH_LR_HI_HW) !== 0 || (hi & ICH_LR_HI_EOI) === 0)) m |= 1 << i;
  }
  return m;
}
/** ICH_MISR_EL2 (§12.4.9). */
function misr(v: GicVirtualInterfaceState): number {
  const hcr = v.ich_hcr;
  const vmcr = v.ich_vmcr;
  let m = 0;
  if (eisr(v) !== 0) m |= ICH_MISR_EL2_EOI;
  let valid = 0;
  let pending = false;
  for (let i = 0; i < NUM_LRS; i++) {
    const st = lrState(v, i);
    if (st !== ICH_LR_STATE_INVALID) valid++;
    if (st === ICH_LR_STATE_PENDING) pending = true;
  }
  if (hcr & ICH_HCR_EL2_UIE && valid <= 1) m |= ICH_MISR_EL2_U;
  if (hcr & ICH_HCR_EL2_LRENPIE && eoiCount(v) !== 0) m |= ICH_MISR_EL2_LRENP;
  if (hcr & ICH_HCR_EL2_NPIE && !pending) m |= ICH_MISR_EL2_NP;
  if (hcr & ICH_HCR_EL2_VGrp0EIE && vmcr & ICH_VMCR_EL2_VENG0) m |= ICH_MISR_EL2_VGrp0E;
  if (hcr & ICH_HCR_EL2_VGrp0DIE && !(vmcr & ICH_VMCR_EL2_VENG0)) m |= ICH_MISR_EL2_VGrp0D;
  if (hcr & ICH_HCR_EL2_VGrp1EIE && vmcr & ICH_VMCR_EL2_VENG1) m |= ICH_MISR_EL2_VGrp1E;
  if (hcr & ICH_HCR_EL2_VGrp1DIE && !(vmcr & ICH_VMCR_EL2_VENG1)) m |= ICH_MISR_EL2_VGrp1D;
  return m;
}

/** The maintenance interrupt is asserted while En == 1 and ICH_MISR_EL2 != 0. */
export function maintenanceLevel(g: GicCore, cpu: number): boolean {
  const v = g.s.vcpuif[cpu]!;
  return (v.ich_hcr & ICH_HCR_EL2_En) !== 0 && misr(v) !== 0;
}

// ----------------------------------------------------- ICH_*_EL2 registers

export function ichClaims(key: number): boolean {
  if (key >= ICH_AP0R0_EL2 && key <= ICH_AP0R0_EL2 + 3) return true;
  if (key >= ICH_AP1R0_EL2 && key <= ICH_AP1R0_EL2 + 3) return true;
  if (key >= ICH_LR_EL2(0) && key <= ICH_LR_EL2(15)) return true;
  return (
    key === ICH_HCR_EL2 || key === ICH_VTR_EL2 || key === ICH_MISR_EL2 || key === ICH_EISR_EL2 || key === ICH_ELRSR_EL2 || key === ICH_VMCR_EL2
  );
}

/** Sanitize an ICH_VMCR_EL2 value: RES0 bits clear, VFIQEn RES1, binary points
 *  at least their minimum, unimplemented VPMR bits clear. */
function sanitizeVmcr(value: number): number {
  let v = value & (ICH_VMCR_EL2_VENG0 | ICH_VMCR_EL2_VENG1 | ICH_VMCR_EL2_VCBPR | ICH_VMCR_EL2_VEOIM);
  v |= ICH_VMCR_EL2_VFIQEn;
  v |= Math.max((value >>> ICH_VMCR_EL2_VBPR0_SHIFT) & 7, BPR0_MIN) << ICH_VMCR_EL2_VBPR0_SHIFT;
  v |= Math.max((value >>> ICH_VMCR_EL2_VBPR1_SHIFT) & 7, BPR1_MIN) << ICH_VMCR_EL2_VBPR1_SHIFT;
  v |= ((value >>> ICH_VMCR_EL2_VPMR_SHIFT) & PRI_MASK) << ICH_VMCR_EL2_VPMR_SHIFT;
  return v >>> 0;
}

/** The caller has checked EL >= 2. */
export function ichRead(g: GicCore, cpu: number, key: number, out: { value: bigint }): HostStatus {
  const v = g.s.vcpuif[cpu]!;
  if (key >= ICH_LR_EL2(0) && key <= ICH_LR_EL2(15)) {
    const n = lrIndex(key);
    if (n >= NUM_LRS) return HOST_UNDEF;
    out.value = (BigInt(v.ich_lr_hi[n]!) << 32n) | BigInt(v.ich_lr_lo[n]!);
    return HOST_OK;
  }
  let r: number;
  switch (key) {
    case ICH_AP0R0_EL2:
      r = v.ich_ap0r0;
      break;
    case ICH_AP1R0_EL2:
      r = v.ich_ap1r0;
      break;
    case ICH_HCR_EL2:
      r = v.ich_hcr;
      break;
    case ICH_VTR_EL2:
      r = ICH_VTR_EL2_VALUE;
      break;
    case ICH_MISR_EL2:
      r = misr(v);
      break;
    case ICH_EISR_EL2:
      r = eisr(v);
      break;
    case ICH_ELRSR_EL2:
      r = elrsr(v);
      break;
    case ICH_VMCR_EL2:
      r = v.ich_vmcr;
      break;
    default:
      return HOST_UNDEF; // ICH_AP<g>R1..3: not implemented with 5 preemption bits
  }
  out.value = BigInt(r >>> 0);
  return HOST_OK;
}

export function ichWrite(g: GicCore, cpu: number, key: number, value: bigint): HostStatus {
  const v = g.s.vcpuif[cpu]!;
  const lo = Number(value & 0xffffffffn) >>> 0;
  if (key >= ICH_LR_EL2(0) && key <= ICH_LR_EL2(15)) {
    const n = lrIndex(key);
    if (n >= NUM_LRS) return HOST_UNDEF;
    v.ich_lr_lo[n] = lo & ICH_LR_LO_vINTID_MASK;
    v.ich_lr_hi[n] = (Number((value >> 32n) & 0xffffffffn) & ICH_LR_HI_MASK) >>> 0;
    g.updateCpu(cpu);
    return HOST_OK;
  }
  switch (key) {
    case ICH_AP0R0_EL2:
      v.ich_ap0r0 = lo;
      break;
    case ICH_AP1R0_EL2:
      v.ich_ap1r0 = lo;
      break;
    case ICH_HCR_EL2:
      v.ich_hcr = (lo & ICH_HCR_EL2_MASK) >>> 0;
      break;
    case ICH_VMCR_EL2:
      v.ich_vmcr = sanitizeVmcr(lo);
      break;
    default:
      return HOST_UNDEF; // read-only registers and unimplemented APRs
  }
  g.updateCpu(cpu);
  return HOST_OK;
}

function lrIndex(key: number): number {
  return ((key >>> 3) & 1) * 8 + (key & 7);
}

// ------------------------------------------------------ ICV_* (EL1 view)

/** Virtual acknowledge (VirtualReadIAR0/1): Pending → Active, priority → APR. */
function icvAcknowledge(g: GicCore, cpu: number, group1: boolean): number {
  const v = g.s.vcpuif[cpu]!;
  const i = hppvi(v);
  let intid = INTID_SPURIOUS;
  if (i >= 0 && lrGroup1(v, i) === group1 && vCanPreempt(v, i)) {
    intid = v.ich_lr_lo[i]!;
    if (intid >= INTID_SECURE && intid <= INTID_SPURIOUS) {
      setLrState(v, i, ICH_LR_STATE_INVALID); // a special INTID in an LR: Pending → Invalid
    } else {
      const bit = (lrPriority(v, i) & vGprioMask(v, group1)) >>> APR_SHIFT;
      if (group1) v.ich_ap1r0 = (v.ich_ap1r0 | (1 << bit)) >>> 0;
      else v.ich_ap0r0 = (v.ich_ap0r0 | (1 << bit)) >>> 0;
      setLrState(v, i, ICH_LR_STATE_ACTIVE);
      if (g.trace !== null) g.emitIrq('irq-ack', cpu, intid, cpu, true);
    }
    g.updateCpu(cpu);
  }
  return intid;
}

/** FindActiveVirtualInterrupt: the LR holding `intid` in an Active state. */
function findActive(v: GicVirtualInterfaceState, intid: number): number {
  for (let i = 0; i < NUM_LRS; i++) {
    if ((lrState(v, i) & ICH_LR_STATE_ACTIVE) !== 0 && v.ich_lr_lo[i] === intid) return i;
  }
  return -1;
}

/** Deactivate LR `i`; with HW == 1 also deactivate the physical INTID
 *  (pINTID) in the Distributor/Redistributor (§6, List registers with HW == 1; VirtualDeactivate pseudocode). */
function vDeactivate(g: GicCore, cpu: number, v: GicVirtualInterfaceState, i: number): void {
  const hi = v.ich_lr_hi[i]!;
  setLrState(v, i, lrState(v, i) & ~ICH_LR_STATE_ACTIVE); // Active → Invalid, Active+Pending → Pending
  if (hi & ICH_LR_HI_HW) {
    const pintid = hi & ICH_LR_HI_pINTID_MASK;
    if (pintid < INTID_SECURE) g.deactivate(cpu, pintid);
  }
}

/** Drop the highest active virtual priority (Group 0 first on a tie); returns
 *  the dropped priority or 0xff when nothing was active. */
function vDropPriority(v: GicVirtualInterfaceState): number {
  const c0 = ctz32(v.ich_ap0r0);
  const c1 = ctz32(v.ich_ap1r0);
  if (c0 === 32 && c1 === 32) return IDLE_PRIORITY;
  if (c0 <= c1) {
    v.ich_ap0r0 = (v.ich_ap0r0 & (v.ich_ap0r0 - 1)) >>> 0;
    return c0 << APR_SHIFT;
  }
  v.ich_ap1r0 = (v.ich_ap1r0 & (v.ich_ap1r0 - 1)) >>> 0;
  return c1 << APR_SHIFT;
}

/** VirtualWriteEOIR0/1: priority drop, then (EOImode == 0) deactivation of the
 *  matching LR; an EOI with no matching LR increments ICH_HCR_EL2.EOIcount. */
function icvEndOfInterrupt(g: GicCore, cpu: number, group1: boolean, value: bigint): void {
  const v = g.s.vcpuif[cpu]!;
  const intid = Number(value & 0xffffffn);
  if (intid >= INTID_SECURE && intid <= INTID_SPURIOUS) return;
  const dropped = vDropPriority(v);
  if (dropped !== IDLE_PRIORITY) {
    if (g.trace !== null) g.emitIrq('irq-eoi', cpu, intid, cpu, true);
    const i = findActive(v, intid);
    if (i < 0) {
      if (intid < LPI_INTID_START) incrementEoiCount(v);
    } else if (lrGroup1(v, i) === group1 && (lrPriority(v, i) & vGprioMask(v, group1)) === dropped) {
      if ((v.ich_vmcr & ICH_VMCR_EL2_VEOIM) === 0 || intid >= LPI_INTID_START) vDeactivate(g, cpu, v, i);
    }
  }
  g.updateCpu(cpu);
}

/** VirtualWriteDIR: deactivate when VEOIM == 1. */
function icvDeactivate(g: GicCore, cpu: number, value: bigint): void {
  const v = g.s.vcpuif[cpu]!;
  const intid = Number(value & 0xffffffn);
  if (intid >= INTID_SECURE && intid <= INTID_SPURIOUS) return;
  if ((v.ich_vmcr & ICH_VMCR_EL2_VEOIM) === 0) return;
  const i = findActive(v, intid);
  if (i < 0) {
    incrementEoiCount(v);
  } else {
    if (g.trace !== null) g.emitIrq('irq-eoi', cpu, intid, cpu, true, true);
    vDeactivate(g, cpu, v, i);
  }
  g.updateCpu(cpu);
}

/** ICV_* reads; `key` is the ICC_*_EL1 encoding. Access checks are done. */
export function icvRead(g: GicCore, cpu: number, key: number, out: { value: bigint }): HostStatus {
  const v = g.s.vcpuif[cpu]!;
  let r: number;
  switch (key) {
    case ICC_PMR_EL1:
      r = vpmr(v);
      break;
    case ICC_RPR_EL1:
      r = vRunningPriority(v);
      break;
    case ICC_IAR0_EL1:
      r = icvAcknowledge(g, cpu, false);
      break;
    case ICC_IAR1_EL1:
      r = icvAcknowledge(g, cpu, true);
      break;
    case ICC_HPPIR0_EL1:
    case ICC_HPPIR1_EL1: {
      const i = hppvi(v);
      r = i >= 0 && lrGroup1(v, i) === (key === ICC_HPPIR1_EL1) ? v.ich_lr_lo[i]! : INTID_SPURIOUS;
      break;
    }
    case ICC_BPR0_EL1:
      r = vbpr0(v);
      break;
    case ICC_BPR1_EL1:
      r = v.ich_vmcr & ICH_VMCR_EL2_VCBPR ? Math.min(vbpr0(v) + 1, 7) : vbpr1(v);
      break;
    case ICC_AP0R0_EL1:
      r = v.ich_ap0r0;
      break;
    case ICC_AP1R0_EL1:
      r = v.ich_ap1r0;
      break;
    case ICC_CTLR_EL1: {
      const vtr = ICH_VTR_EL2_VALUE;
      r =
        (v.ich_vmcr & ICH_VMCR_EL2_VCBPR ? ICC_CTLR_EL1_CBPR : 0) |
        (v.ich_vmcr & ICH_VMCR_EL2_VEOIM ? ICC_CTLR_EL1_EOImode : 0) |
        (((vtr >>> 29) & 7) << 8) | // PRIbits
        (((vtr >>> 23) & 7) << 11) | // IDbits
        (((vtr >>> 22) & 1) << 14) | // SEIS
        (((vtr >>> 21) & 1) << 15); // A3V
      break;
    }
    case ICC_IGRPEN0_EL1:
      r = v.ich_vmcr & ICH_VMCR_EL2_VENG0 ? 1 : 0;
      break;
    case ICC_IGRPEN1_EL1:
      r = v.ich_vmcr & ICH_VMCR_EL2_VENG1 ? 1 : 0;
      break;
    default:
      return HOST_UNDEF;
  }
  out.value = BigInt(r >>> 0);
  return HOST_OK;
}

/** ICV_* writes; `key` is the ICC_*_EL1 encoding. Access checks are done. */
export function icvWrite(g: GicCore, cpu: number, key: number, value: bigint): HostStatus {
  const v = g.s.vcpuif[cpu]!;
  const x = Number(value & 0xffffffffn) >>> 0;
  const setVmcr = (mask: number, bits: number): void => {
    v.ich_vmcr = ((v.ich_vmcr & ~mask) | bits) >>> 0;
  };
  switch (key) {
    case ICC_PMR_EL1:
      setVmcr(0xff << ICH_VMCR_EL2_VPMR_SHIFT, (x & PRI_MASK) << ICH_VMCR_EL2_VPMR_SHIFT);
      break;
    case ICC_EOIR0_EL1:
      icvEndOfInterrupt(g, cpu, false, value);
      return HOST_OK;
    case ICC_EOIR1_EL1:
      icvEndOfInterrupt(g, cpu, true, value);
      return HOST_OK;
    case ICC_DIR_EL1:
      icvDeactivate(g, cpu, value);
      return HOST_OK;
    case ICC_BPR0_EL1:
      setVmcr(7 << ICH_VMCR_EL2_VBPR0_SHIFT, Math.max(x & 7, BPR0_MIN) << ICH_VMCR_EL2_VBPR0_SHIFT);
      break;
    case ICC_BPR1_EL1:
      if (v.ich_vmcr & ICH_VMCR_EL2_VCBPR) return HOST_OK; // writes ignored
      setVmcr(7 << ICH_VMCR_EL2_VBPR1_SHIFT, Math.max(x & 7, BPR1_MIN) << ICH_VMCR_EL2_VBPR1_SHIFT);
      break;
    case ICC_AP0R0_EL1:
      v.ich_ap0r0 = x;
      break;
    case ICC_AP1R0_EL1:
      v.ich_ap1r0 = x;
      break;
    case ICC_CTLR_EL1:
      setVmcr(
        ICH_VMCR_EL2_VCBPR | ICH_VMCR_EL2_VEOIM,
        (x & ICC_CTLR_EL1_CBPR ? ICH_VMCR_EL2_VCBPR : 0) | (x & ICC_CTLR_EL1_EOImode ? ICH_VMCR_EL2_VEOIM : 0),
      );
      break;
    case ICC_IGRPEN0_EL1:
      setVmcr(ICH_VMCR_EL2_VENG0, x & 1 ? ICH_VMCR_EL2_VENG0 : 0);
      break;
    case ICC_IGRPEN1_EL1:
      setVmcr(ICH_VMCR_EL2_VENG1, x & 1 ? ICH_VMCR_EL2_VENG1 : 0);
      break;
    default:
      return HOST_UNDEF;
  }
  g.updateCpu(cpu);
  return HOST_OK;
}
