// The physical CPU interface: ICC_* System registers (GICv3 §12.2), the
// IRQ/FIQ decision for a PE (§4.6.2), acknowledge / priority drop /
// deactivation (§4.1.1, §4.8), and SGI generation (§12.2.20-22).
//
// EL1 accesses are first checked against the ICH_HCR_EL2 trap bits and
// HCR_EL2.IMO/FMO; when IMO/FMO send them to the virtual CPU interface the
// ICV_* handlers in virtualInterface.ts answer (§6.1 / ARM ARM pseudocode of
// each ICC_*_EL1 register). Then SCR_EL3.FIQ (Group 0 registers), SCR_EL3.IRQ
// (Group 1 registers) or both (the common ones) trap EL1 and EL2 accesses to
// EL3 (§12.1.10, the same pseudocode).

import { HOST_OK, HOST_TRAP_EL2, HOST_TRAP_EL3, HOST_UNDEF, LINE_FIQ, LINE_G1NS, LINE_G1S, LINE_IRQ } from '../../cpu/cpu.js';
import type { HostStatus } from '../../cpu/ports.js';
import type { GicCore } from './core.js';
import {
  APR_SHIFT,
  BPR0_MIN,
  BPR1_MIN,
  GIC_INTERNAL,
  GRP_G0,
  GRP_G1NS,
  GRP_G1S,
  HCR_EL2_FMO,
  HCR_EL2_IMO,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_ASGI1R_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_CTLR_EL1_CBPR,
  ICC_CTLR_EL1_EOImode,
  ICC_CTLR_EL1_RO,
  ICC_CTLR_EL3,
  ICC_CTLR_EL3_CBPR_EL1NS,
  ICC_CTLR_EL3_CBPR_EL1S,
  ICC_CTLR_EL3_EOImode_EL1NS,
  ICC_CTLR_EL3_EOImode_EL1S,
  ICC_CTLR_EL3_EOImode_EL3,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_IGRPEN1_EL3,
  ICC_IGRPEN1_EL3_EnableGrp1NS,
  ICC_IGRPEN1_EL3_EnableGrp1S,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  ICC_SRE_EL1,
  ICC_SRE_EL1_VALUE,
  ICC_SRE_EL2,
  ICC_SRE_EL2_VALUE,
  ICC_SRE_EL3,
  ICC_SRE_EL3_VALUE,
  ICH_HCR_EL2_TALL0,
  ICH_HCR_EL2_TALL1,
  ICH_HCR_EL2_TC,
  ICH_HCR_EL2_TDIR,
  IDLE_PRIORITY,
  INTID_NONSECURE,
  INTID_SECURE,
  INTID_SPURIOUS,
  NO_PENDING,
  PRI_MASK,
  SCR_EL3_FIQ,
  SCR_EL3_IRQ,
  ctz32,
} from './registers.js';
import { icvRead, icvWrite } from './virtualInterface.js';

// ---- register classes for EL1 trap / virtualization routing ----
const CLS_G0 = 0; // Group 0 registers: TALL0, FMO
const CLS_G1 = 1; // Group 1 registers: TALL1, IMO
const CLS_COMMON = 2; // PMR, RPR, CTLR: TC, IMO|FMO
const CLS_DIR = 3; // DIR: TC, TDIR, IMO|FMO
const CLS_SGI = 4; // SGI0R/SGI1R/ASGI1R: TC; trapped to EL2 when IMO|FMO
const CLS_SRE = 5; // SRE_EL1: not trapped (ICC_SRE_EL2.Enable is RAO)

const ACC_RW = 0;
const ACC_RO = 1;
const ACC_WO = 2;

interface El1Reg {
  readonly cls: number;
  readonly acc: number;
}

/** The EL1 ICC_* registers (immutable table). */
const EL1_REGS: ReadonlyMap<number, El1Reg> = new Map<number, El1Reg>([
  [ICC_PMR_EL1, { cls: CLS_COMMON, acc: ACC_RW }],
  [ICC_IAR0_EL1, { cls: CLS_G0, acc: ACC_RO }],
  [ICC_EOIR0_EL1, { cls: CLS_G0, acc: ACC_WO }],
  [ICC_HPPIR0_EL1, { cls: CLS_G0, acc: ACC_RO }],
  [ICC_BPR0_EL1, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_AP0R0_EL1, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_AP0R0_EL1 + 1, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_AP0R0_EL1 + 2, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_AP0R0_EL1 + 3, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_AP1R0_EL1, { cls: CLS_G1, acc: ACC_RW }],
  [ICC_AP1R0_EL1 + 1, { cls: CLS_G1, acc: ACC_RW }],
  [ICC_AP1R0_EL1 + 2, { cls: CLS_G1, acc: ACC_RW }],
  [ICC_AP1R0_EL1 + 3, { cls: CLS_G1, acc: ACC_RW }],
  [ICC_DIR_EL1, { cls: CLS_DIR, acc: ACC_WO }],
  [ICC_RPR_EL1, { cls: CLS_COMMON, acc: ACC_RO }],
  [ICC_SGI1R_EL1, { cls: CLS_SGI, acc: ACC_WO }],
  [ICC_ASGI1R_EL1, { cls: CLS_SGI, acc: ACC_WO }],
  [ICC_SGI0R_EL1, { cls: CLS_SGI, acc: ACC_WO }],
  [ICC_IAR1_EL1, { cls: CLS_G1, acc: ACC_RO }],
  [ICC_EOIR1_EL1, { cls: CLS_G1, acc: ACC_WO }],
  [ICC_HPPIR1_EL1, { cls: CLS_G1, acc: ACC_RO }],
  [ICC_BPR1_EL1, { cls: CLS_G1, acc: ACC_RW }],
  [ICC_CTLR_EL1, { cls: CLS_COMMON, acc: ACC_RW }],
  [ICC_SRE_EL1, { cls: CLS_SRE, acc: ACC_RW }],
  [ICC_IGRPEN0_EL1, { cls: CLS_G0, acc: ACC_RW }],
  [ICC_IGRPEN1_EL1, { cls: CLS_G1, acc: ACC_RW }],
]);

/** ICC_* keys for EL2/EL3 that this model implements. */
const HIGH_EL_REGS: ReadonlyMap<number, number> = new Map<number, number>([
  [ICC_SRE_EL2, 2],
  [ICC_CTLR_EL3, 3],
  [ICC_SRE_EL3, 3],
  [ICC_IGRPEN1_EL3, 3],
]);

export function iccClaims(key: number): boolean {
  return EL1_REGS.has(key) || HIGH_EL_REGS.has(key);
}

/** Only AP0R0/AP1R0 exist with 5 priority bits (32 levels); AP<g>R1..3 are UNDEFINED. */
function apIndex(key: number): number {
  if (key >= ICC_AP0R0_EL1 && key <= ICC_AP0R0_EL1 + 3) return key - ICC_AP0R0_EL1;
  if (key >= ICC_AP1R0_EL1 && key <= ICC_AP1R0_EL1 + 3) return key - ICC_AP1R0_EL1;
  return 0;
}

/** Decide how an access is handled: HOST_UNDEF/HOST_TRAP_EL2, 0 = physical ICC, 1 = virtual ICV. */
const ROUTE_ICC = -1;
const ROUTE_ICV = -2;
function route(g: GicCore, cpu: number, key: number, isWrite: boolean): number {
  const el = g.el(cpu);
  if (el === 0) return HOST_UNDEF;
  const high = HIGH_EL_REGS.get(key);
  if (high !== undefined) return el >= high ? ROUTE_ICC : HOST_UNDEF;
  const reg = EL1_REGS.get(key);
  if (reg === undefined) return HOST_UNDEF;
  if ((isWrite && reg.acc === ACC_RO) || (!isWrite && reg.acc === ACC_WO)) return HOST_UNDEF;
  if (apIndex(key) !== 0) return HOST_UNDEF;
  if (el === 3 || reg.cls === CLS_SRE) return ROUTE_ICC;
  if (el === 1 && g.el2Enabled(cpu)) {
    // EL1 with EL2 enabled: ICH_HCR_EL2 traps first, then HCR_EL2.{IMO,FMO}
    // (ARM ARM, ICC_*_EL1 accessibility pseudocode; GICv3 §12.4.4).
    const ich = g.s.vcpuif[cpu]!.ich_hcr;
    const hcr = g.cpus.reg(cpu, 'HCR_EL2');
    const imo = (hcr & HCR_EL2_IMO) !== 0n;
    const fmo = (hcr & HCR_EL2_FMO) !== 0n;
    switch (reg.cls) {
      case CLS_G0:
        if (ich & ICH_HCR_EL2_TALL0) return HOST_TRAP_EL2;
        if (fmo) return ROUTE_ICV;
        break;
      case CLS_G1:
        if (ich & ICH_HCR_EL2_TALL1) return HOST_TRAP_EL2;
        if (imo) return ROUTE_ICV;
        break;
      case CLS_COMMON:
        if (ich & ICH_HCR_EL2_TC) return HOST_TRAP_EL2;
        if (imo || fmo) return ROUTE_ICV;
        break;
      case CLS_DIR:
        if (ich & (ICH_HCR_EL2_TC | ICH_HCR_EL2_TDIR)) return HOST_TRAP_EL2;
        if (imo || fmo) return ROUTE_ICV;
        break;
      case CLS_SGI:
        // SGI generation is never virtualized: with IMO or FMO set it traps to
        // EL2 so the hypervisor can emulate it.
        if (ich & ICH_HCR_EL2_TC) return HOST_TRAP_EL2;
        if (imo || fmo) return HOST_TRAP_EL2;
        break;
    }
  }
  // EL1 (not sent to the virtual interface) and EL2: the registers of a group
  // whose interrupts EL3 takes (SCR_EL3.FIQ for Group 0, SCR_EL3.IRQ for
  // Group 1, both for the common ones) trap to EL3.
  const scr = g.cpus.reg(cpu, 'SCR_EL3');
  const fiq = (scr & SCR_EL3_FIQ) !== 0n;
  const irq = (scr & SCR_EL3_IRQ) !== 0n;
  if (reg.cls === CLS_G0 ? fiq : reg.cls === CLS_G1 ? irq : fiq && irq) return HOST_TRAP_EL3;
  return ROUTE_ICC;
}

export function iccRead(g: GicCore, cpu: number, key: number, out: { value: bigint }): HostStatus {
  const r = route(g, cpu, key, false);
  if (r === ROUTE_ICV) return icvRead(g, cpu, key, out);
  if (r !== ROUTE_ICC) return r;
  out.value = BigInt(physicalRead(g, cpu, key));
  return HOST_OK;
}

export function iccWrite(g: GicCore, cpu: number, key: number, value: bigint): HostStatus {
  const r = route(g, cpu, key, true);
  if (r === ROUTE_ICV) return icvWrite(g, cpu, key, value);
  if (r !== ROUTE_ICC) return r;
  physicalWrite(g, cpu, key, value);
  return HOST_OK;
}

// ------------------------------------------------------------------ helpers

/** Non-secure access while Group 0 belongs to EL3 (DS == 0, SCR_EL3.FIQ == 1):
 *  ICC_PMR_EL1 and ICC_RPR_EL1 show the Non-secure view of priorities (§4.8.6,
 *  "Software accesses of interrupt priority"). */
function nsPriorityView(g: GicCore, cpu: number): boolean {
  if (g.ds() || g.secureState(cpu)) return false;
  return (g.cpus.reg(cpu, 'SCR_EL3') & SCR_EL3_FIQ) !== 0n;
}

/** Group-priority mask for `grp` from the binary point registers (§4.8.3,
 *  GroupBits()): BPR0 and the Secure BPR1 give group priority [7:BPR+1], the
 *  Non-secure BPR1 [7:BPR]; with CBPR the group uses BPR0. */
export function gprioMask(g: GicCore, cpu: number, grp: number): number {
  const ci = g.s.cpuif[cpu]!;
  let bpr: number;
  if (grp === GRP_G0) bpr = ci.icc_bpr0;
  else if (grp === GRP_G1S) bpr = ci.icc_ctlr_s & ICC_CTLR_EL1_CBPR ? ci.icc_bpr0 : ci.icc_bpr1_s;
  else bpr = ci.icc_ctlr_ns & ICC_CTLR_EL1_CBPR ? ci.icc_bpr0 : ci.icc_bpr1_ns - 1;
  return (0xff << (bpr + 1)) & 0xff;
}

/** Running priority: the highest priority with a bit set in any APR (§4.8.4). */
export function highestActivePriority(g: GicCore, cpu: number): number {
  const ci = g.s.cpuif[cpu]!;
  const apr = ci.icc_ap0r0 | ci.icc_ap1r0_s | ci.icc_ap1r0_ns;
  return apr === 0 ? IDLE_PRIORITY : ctz32(apr) << APR_SHIFT;
}

function highestActiveGroup(g: GicCore, cpu: number): number {
  const ci = g.s.cpuif[cpu]!;
  const c0 = ctz32(ci.icc_ap0r0);
  const c1s = ctz32(ci.icc_ap1r0_s);
  const c1ns = ctz32(ci.icc_ap1r0_ns);
  if (c1ns < c0 && c1ns < c1s) return GRP_G1NS;
  if (c1s < c0) return GRP_G1S;
  if (c0 < 32) return GRP_G0;
  return -1;
}

/** Can the HPPI in g.hId/hPrio/hGrp be signalled (priority mask and preemption, §4.8)? */
function hppiCanPreempt(g: GicCore, cpu: number): boolean {
  if (g.hPrio === NO_PENDING) return false;
  const ci = g.s.cpuif[cpu]!;
  if (g.hPrio >= ci.icc_pmr) return false;
  const rprio = highestActivePriority(g, cpu);
  if (rprio === IDLE_PRIORITY) return true;
  const mask = gprioMask(g, cpu, g.hGrp);
  return (g.hPrio & mask) < (rprio & mask);
}

/** The physical interrupt signal for PE `cpu` (§4.6.2, Table 4-3): Group 0
 *  is always FIQ; with DS == 1 Group 1 is IRQ. With two Security states a
 *  Group 1 interrupt is IRQ in its own Security state and FIQ in the other
 *  one and at EL3: that depends on the PE's state at every instant, so it is
 *  signalled by group (LINE_G1S/LINE_G1NS) and the PE picks IRQ or FIQ
 *  (core/cpu/as/exceptions.ts physicalLines). */
export function physicalLines(g: GicCore, cpu: number): number {
  g.computeHppi(cpu);
  if (!hppiCanPreempt(g, cpu)) return 0;
  const grp = g.hGrp;
  if (grp === GRP_G0) return LINE_FIQ;
  if (g.ds()) return LINE_IRQ;
  return grp === GRP_G1S ? LINE_G1S : LINE_G1NS;
}

/** CheckGroup0ForSpecialIdentifiers (ICC_IAR0_EL1 / ICC_HPPIR0_EL1). */
function hppir0Value(g: GicCore, cpu: number): number {
  if (g.hPrio === NO_PENDING) return INTID_SPURIOUS;
  const irqSecure = !g.ds() && g.hGrp !== GRP_G1NS;
  if (g.hGrp !== GRP_G0 && g.el(cpu) !== 3) return INTID_SPURIOUS;
  if (irqSecure && !g.secureState(cpu)) return INTID_SPURIOUS;
  if (g.hGrp !== GRP_G0) return irqSecure ? INTID_SECURE : INTID_NONSECURE;
  return g.hId;
}

/** CheckGroup1ForSpecialIdentifiers (ICC_IAR1_EL1 / ICC_HPPIR1_EL1), ICC_SRE_EL3.RM = 0. */
function hppir1Value(g: GicCore, cpu: number): number {
  if (g.hPrio === NO_PENDING || g.hGrp === GRP_G0) return INTID_SPURIOUS;
  if (g.ds()) return g.hId;
  const irqSecure = g.hGrp !== GRP_G1NS;
  const secure = g.secureState(cpu);
  if (irqSecure && !secure) return INTID_SPURIOUS;
  if (!irqSecure && secure && g.el(cpu) !== 3) return INTID_SPURIOUS;
  return g.hId;
}

function setApr(g: GicCore, cpu: number, grp: number, bit: number): void {
  const ci = g.s.cpuif[cpu]!;
  const m = 1 << bit;
  if (grp === GRP_G0) ci.icc_ap0r0 = (ci.icc_ap0r0 | m) >>> 0;
  else if (grp === GRP_G1S) ci.icc_ap1r0_s = (ci.icc_ap1r0_s | m) >>> 0;
  else ci.icc_ap1r0_ns = (ci.icc_ap1r0_ns | m) >>> 0;
}

/** ICC_IAR0/1_EL1: acknowledge the HPPI if it can preempt and belongs to the group. */
function acknowledge(g: GicCore, cpu: number, regGroup: number): number {
  g.computeHppi(cpu);
  if (!hppiCanPreempt(g, cpu)) return INTID_SPURIOUS;
  const id = regGroup === 0 ? hppir0Value(g, cpu) : hppir1Value(g, cpu);
  if (id >= INTID_SECURE) return id;
  // Priority of the acknowledged interrupt becomes the running priority:
  // its group priority is recorded in the active priority register (§4.8.4).
  setApr(g, cpu, g.hGrp, (g.hPrio & gprioMask(g, cpu, g.hGrp)) >>> APR_SHIFT);
  g.activate(cpu, id);
  if (g.trace !== null) g.emitIrq('irq-ack', cpu, id, cpu);
  if (id < GIC_INTERNAL) g.updateCpu(cpu);
  else g.updateMask(g.spiCpuMask(id) | (1 << cpu));
  return id;
}

function eoiSplit(g: GicCore, cpu: number): boolean {
  const ci = g.s.cpuif[cpu]!;
  if (g.el(cpu) === 3) return (ci.icc_ctlr_el3 & ICC_CTLR_EL3_EOImode_EL3) !== 0;
  const ctlr = g.secureState(cpu) ? ci.icc_ctlr_s : ci.icc_ctlr_ns;
  return (ctlr & ICC_CTLR_EL1_EOImode) !== 0;
}

/** ICC_EOIR0/1_EL1 (§4.1.1 "Priority drop and interrupt deactivation"): drop
 *  the running priority of the group; with EOImode == 0 also deactivate. The
 *  drop is for the highest active priority, which must belong to a group this
 *  register and Security state may end (otherwise UNPREDICTABLE; ignored
 *  here): EOIR0 ends Group 0 (Secure state only, with DS == 0); EOIR1 ends
 *  Secure Group 1 in Secure state and Non-secure Group 1 in Non-secure state,
 *  either at EL3. */
function endOfInterrupt(g: GicCore, cpu: number, regGroup: number, value: bigint): void {
  const id = Number(value & 0xffffffn);
  if (id >= INTID_SECURE) return; // special INTIDs (and LPIs, not implemented) are ignored
  const grp = highestActiveGroup(g, cpu);
  const secure = g.secureState(cpu);
  if (grp < 0 || (grp === GRP_G0) !== (regGroup === 0)) return;
  if (grp === GRP_G0 && !g.ds() && !secure) return;
  if (grp === GRP_G1S && !secure) return;
  if (grp === GRP_G1NS && !g.ds() && secure && g.el(cpu) !== 3) return;
  const ci = g.s.cpuif[cpu]!;
  // Clear the lowest set bit: the highest active priority of this group.
  if (grp === GRP_G0) ci.icc_ap0r0 = (ci.icc_ap0r0 & (ci.icc_ap0r0 - 1)) >>> 0;
  else if (grp === GRP_G1S) ci.icc_ap1r0_s = (ci.icc_ap1r0_s & (ci.icc_ap1r0_s - 1)) >>> 0;
  else ci.icc_ap1r0_ns = (ci.icc_ap1r0_ns & (ci.icc_ap1r0_ns - 1)) >>> 0;
  if (g.trace !== null) g.emitIrq('irq-eoi', cpu, id, cpu);
  if (!eoiSplit(g, cpu) && id < g.numIntids) g.deactivate(cpu, id);
  else g.updateCpu(cpu);
}

/** ICC_DIR_EL1: deactivate when EOImode == 1, if the current EL may handle
 *  the interrupt's group given the routing (SCR_EL3.IRQ/FIQ, HCR_EL2.IMO/FMO)
 *  and the Security state (ICC_DIR_EL1 pseudocode, §12.2.10): Non-secure
 *  software never deactivates Secure interrupts, and no EL deactivates an
 *  interrupt routed above it. */
function deactivateInterrupt(g: GicCore, cpu: number, value: bigint): void {
  if (!eoiSplit(g, cpu)) return;
  const id = Number(value & 0xffffffn);
  if (id >= g.numIntids) return;
  if (!mayDeactivate(g, cpu, g.group(cpu, id))) return;
  if (g.trace !== null) g.emitIrq('irq-eoi', cpu, id, cpu, false, true);
  g.deactivate(cpu, id);
}

function mayDeactivate(g: GicCore, cpu: number, grp: number): boolean {
  const el = g.el(cpu);
  if (el === 3) return true;
  const single = g.ds();
  const isSecure = !single && grp !== GRP_G1NS;
  const isG0 = grp === GRP_G0;
  const scr = g.cpus.reg(cpu, 'SCR_EL3');
  const fiqToEl3 = (scr & SCR_EL3_FIQ) !== 0n;
  const irqToEl3 = (scr & SCR_EL3_IRQ) !== 0n;
  if (el === 2) return (single && isG0 && !fiqToEl3) || (!isSecure && !isG0 && !irqToEl3);
  if (g.cpus.isNonSecure(cpu)) {
    const hcr = g.cpus.reg(cpu, 'HCR_EL2');
    const fiqToEl2 = (hcr & HCR_EL2_FMO) !== 0n;
    const irqToEl2 = (hcr & HCR_EL2_IMO) !== 0n;
    return (single && isG0 && !fiqToEl3 && !fiqToEl2) || (!isSecure && !isG0 && !irqToEl3 && !irqToEl2);
  }
  return (isG0 && !fiqToEl3) || (!isG0 && !irqToEl3);
}

/** ICC_SGI0R_EL1 (kind 0), ICC_SGI1R_EL1 (1), ICC_ASGI1R_EL1 (2): §12.2.20-22
 *  and the SGI forwarding rules (which group the target's SGI must have,
 *  and GICR_NSACR for Non-secure requests of Secure SGIs). */
function generateSgi(g: GicCore, cpu: number, kind: number, value: bigint): void {
  const lo = Number(value & 0xffffffffn) >>> 0;
  const hi = Number((value >> 32n) & 0xffffffffn) >>> 0;
  const targetList = lo & 0xffff;
  const aff1 = (lo >>> 16) & 0xff;
  const intid = (lo >>> 24) & 0xf;
  const aff2 = hi & 0xff;
  const irm = (hi >>> 8) & 1;
  const rs = (hi >>> 12) & 0xf;
  const aff3 = (hi >>> 16) & 0xff;
  const ds = g.ds();
  const secure = g.secureState(cpu);
  let reqGrp: number;
  if (kind === 0) reqGrp = GRP_G0;
  else if (kind === 1) reqGrp = ds || !secure ? GRP_G1NS : GRP_G1S;
  else {
    if (ds) return; // no "other" Security state
    reqGrp = secure ? GRP_G1NS : GRP_G1S;
  }
  let mask = 0;
  for (let t = 0; t < g.numCpus; t++) {
    if (irm) {
      if (t === cpu) continue;
    } else {
      const a = g.affinity(t);
      if (a >>> 24 !== aff3 || ((a >>> 16) & 0xff) !== aff2 || ((a >>> 8) & 0xff) !== aff1) continue;
      const aff0 = a & 0xff;
      if (aff0 >>> 4 !== rs || (targetList & (1 << (aff0 & 15))) === 0) continue;
    }
    if (forwardSgi(g, cpu, t, intid, reqGrp, !secure && !ds)) mask |= 1 << t;
  }
  g.updateMask(mask);
}

/** Set SGI `intid` pending on PE `t` if its configured group accepts the
 *  request; a newly pending SGI is reported as irq-raise caused by `cpu`. */
function forwardSgi(g: GicCore, cpu: number, t: number, intid: number, reqGrp: number, nsRequest: boolean): boolean {
  const tg = g.group(t, intid);
  // A Secure Group 1 request may hit an SGI configured as Group 0.
  const rg = reqGrp === GRP_G1S && tg === GRP_G0 ? GRP_G0 : reqGrp;
  if (rg !== tg) return false;
  const r = g.s.redist[t]!;
  if (nsRequest && tg !== GRP_G1NS) {
    // GICR_NSACR: 0b01 lets Non-secure software raise a Group 0 SGI,
    // 0b10 also a Secure Group 1 SGI.
    const field = (r.gicr_nsacr >>> (2 * intid)) & 3;
    if (tg === GRP_G0 ? field < 1 : field < 2) return false;
  }
  const was = r.gicr_pend & (1 << intid);
  r.gicr_pend = (r.gicr_pend | (1 << intid)) >>> 0;
  if (was === 0 && g.trace !== null) g.emitIrq('irq-raise', cpu, intid, t);
  return true;
}

// ------------------------------------------------------------ physical regs

function physicalRead(g: GicCore, cpu: number, key: number): number {
  const ci = g.s.cpuif[cpu]!;
  switch (key) {
    case ICC_PMR_EL1: {
      const v = ci.icc_pmr;
      if (!nsPriorityView(g, cpu)) return v;
      return v & 0x80 ? (v << 1) & 0xff : 0; // Non-secure view (§4.8.6)
    }
    case ICC_RPR_EL1: {
      const v = highestActivePriority(g, cpu);
      if (!nsPriorityView(g, cpu) || v === IDLE_PRIORITY) return v;
      return v & 0x80 ? (v << 1) & 0xff : 0;
    }
    case ICC_IAR0_EL1:
      return acknowledge(g, cpu, 0);
    case ICC_IAR1_EL1:
      return acknowledge(g, cpu, 1);
    case ICC_HPPIR0_EL1:
      g.computeHppi(cpu);
      return hppir0Value(g, cpu);
    case ICC_HPPIR1_EL1:
      g.computeHppi(cpu);
      return hppir1Value(g, cpu);
    case ICC_BPR0_EL1:
      return ci.icc_bpr0;
    case ICC_BPR1_EL1: {
      // Below EL3 with CBPR set the group shares BPR0: Non-secure reads
      // return BPR0 + 1, saturated; Secure ones reach BPR0 (§12.2.5).
      const below3 = g.el(cpu) < 3;
      if (g.nsBank(cpu)) {
        if (below3 && ci.icc_ctlr_ns & ICC_CTLR_EL1_CBPR) return Math.min(ci.icc_bpr0 + 1, 7);
        return ci.icc_bpr1_ns;
      }
      return below3 && ci.icc_ctlr_s & ICC_CTLR_EL1_CBPR ? ci.icc_bpr0 : ci.icc_bpr1_s;
    }
    case ICC_AP0R0_EL1:
      return ci.icc_ap0r0;
    case ICC_AP1R0_EL1:
      return g.nsBank(cpu) ? ci.icc_ap1r0_ns : ci.icc_ap1r0_s;
    case ICC_CTLR_EL1: {
      const bank = g.nsBank(cpu) ? ci.icc_ctlr_ns : ci.icc_ctlr_s;
      return (bank & (ICC_CTLR_EL1_CBPR | ICC_CTLR_EL1_EOImode)) | ICC_CTLR_EL1_RO;
    }
    case ICC_SRE_EL1:
      return ICC_SRE_EL1_VALUE;
    case ICC_IGRPEN0_EL1:
      return ci.icc_igrpen0 & 1;
    case ICC_IGRPEN1_EL1:
      return (g.nsBank(cpu) ? ci.icc_igrpen1_ns : ci.icc_igrpen1_s) & 1;
    case ICC_SRE_EL2:
      return ICC_SRE_EL2_VALUE;
    case ICC_SRE_EL3:
      return ICC_SRE_EL3_VALUE;
    case ICC_CTLR_EL3:
      return (
        (ci.icc_ctlr_s & ICC_CTLR_EL1_CBPR ? ICC_CTLR_EL3_CBPR_EL1S : 0) |
        (ci.icc_ctlr_ns & ICC_CTLR_EL1_CBPR ? ICC_CTLR_EL3_CBPR_EL1NS : 0) |
        (ci.icc_ctlr_el3 & ICC_CTLR_EL3_EOImode_EL3) |
        (ci.icc_ctlr_s & ICC_CTLR_EL1_EOImode ? ICC_CTLR_EL3_EOImode_EL1S : 0) |
        (ci.icc_ctlr_ns & ICC_CTLR_EL1_EOImode ? ICC_CTLR_EL3_EOImode_EL1NS : 0) |
        ICC_CTLR_EL1_RO
      );
    case ICC_IGRPEN1_EL3:
      return (ci.icc_igrpen1_ns & 1 ? ICC_IGRPEN1_EL3_EnableGrp1NS : 0) | (ci.icc_igrpen1_s & 1 ? ICC_IGRPEN1_EL3_EnableGrp1S : 0);
    default:
      return 0;
  }
}

function physicalWrite(g: GicCore, cpu: number, key: number, value: bigint): void {
  const ci = g.s.cpuif[cpu]!;
  const v = Number(value & 0xffffffffn) >>> 0;
  switch (key) {
    case ICC_PMR_EL1: {
      let p = v & 0xff;
      if (nsPriorityView(g, cpu)) {
        if ((ci.icc_pmr & 0x80) === 0) return; // mask in the Secure range: NS write ignored
        p = 0x80 | (p >>> 1);
      }
      ci.icc_pmr = p & PRI_MASK;
      g.updateCpu(cpu);
      return;
    }
    case ICC_EOIR0_EL1:
      endOfInterrupt(g, cpu, 0, value);
      return;
    case ICC_EOIR1_EL1:
      endOfInterrupt(g, cpu, 1, value);
      return;
    case ICC_DIR_EL1:
      deactivateInterrupt(g, cpu, value);
      return;
    case ICC_SGI0R_EL1:
      generateSgi(g, cpu, 0, value);
      return;
    case ICC_SGI1R_EL1:
      generateSgi(g, cpu, 1, value);
      return;
    case ICC_ASGI1R_EL1:
      generateSgi(g, cpu, 2, value);
      return;
    case ICC_BPR0_EL1:
      ci.icc_bpr0 = Math.max(v & 7, BPR0_MIN);
      g.updateCpu(cpu);
      return;
    case ICC_BPR1_EL1: {
      const below3 = g.el(cpu) < 3;
      if (g.nsBank(cpu)) {
        if (below3 && ci.icc_ctlr_ns & ICC_CTLR_EL1_CBPR) return; // writes ignored
        ci.icc_bpr1_ns = Math.max(v & 7, BPR1_MIN);
      } else if (below3 && ci.icc_ctlr_s & ICC_CTLR_EL1_CBPR) {
        ci.icc_bpr0 = Math.max(v & 7, BPR0_MIN); // Secure CBPR: accesses reach BPR0
      } else {
        ci.icc_bpr1_s = Math.max(v & 7, BPR0_MIN);
      }
      g.updateCpu(cpu);
      return;
    }
    case ICC_AP0R0_EL1:
      ci.icc_ap0r0 = v;
      g.updateCpu(cpu);
      return;
    case ICC_AP1R0_EL1:
      if (g.nsBank(cpu)) ci.icc_ap1r0_ns = v;
      else ci.icc_ap1r0_s = v;
      g.updateCpu(cpu);
      return;
    case ICC_CTLR_EL1: {
      // With DS == 0 (and EL3 present) CBPR is read-only here and set through
      // ICC_CTLR_EL3 (§12.2.6).
      const wmask = g.ds() ? ICC_CTLR_EL1_CBPR | ICC_CTLR_EL1_EOImode : ICC_CTLR_EL1_EOImode;
      if (g.nsBank(cpu)) ci.icc_ctlr_ns = (ci.icc_ctlr_ns & ~wmask) | (v & wmask);
      else ci.icc_ctlr_s = (ci.icc_ctlr_s & ~wmask) | (v & wmask);
      g.updateCpu(cpu);
      return;
    }
    case ICC_CTLR_EL3:
      ci.icc_ctlr_s =
        (v & ICC_CTLR_EL3_CBPR_EL1S ? ICC_CTLR_EL1_CBPR : 0) | (v & ICC_CTLR_EL3_EOImode_EL1S ? ICC_CTLR_EL1_EOImode : 0);
      ci.icc_ctlr_ns =
        (v & ICC_CTLR_EL3_CBPR_EL1NS ? ICC_CTLR_EL1_CBPR : 0) | (v & ICC_CTLR_EL3_EOImode_EL1NS ? ICC_CTLR_EL1_EOImode : 0);
      ci.icc_ctlr_el3 = v & ICC_CTLR_EL3_EOImode_EL3;
      g.updateCpu(cpu);
      return;
    case ICC_IGRPEN0_EL1:
      ci.icc_igrpen0 = v & 1;
      g.updateAfterEligibilityChange(cpu);
      return;
    case ICC_IGRPEN1_EL1:
      if (g.nsBank(cpu)) ci.icc_igrpen1_ns = v & 1;
      else ci.icc_igrpen1_s = v & 1;
      g.updateAfterEligibilityChange(cpu);
      return;
    case ICC_IGRPEN1_EL3:
      ci.icc_igrpen1_ns = v & ICC_IGRPEN1_EL3_EnableGrp1NS ? 1 : 0;
      ci.icc_igrpen1_s = v & ICC_IGRPEN1_EL3_EnableGrp1S ? 1 : 0;
      g.updateAfterEligibilityChange(cpu);
      return;
    default:
      return; // SRE registers: RAO/WI
  }
}
