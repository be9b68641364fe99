// The GICv3 state record: every mutable bit of the interrupt controller, as
// plain data (numbers and number arrays), versioned. A snapshot of this record
// is a complete snapshot of the device (ARCHITECTURE.md, principle 3).

import {
  BPR0_MIN,
  BPR1_MIN,
  GICR_WAKER_ProcessorSleep,
  ICH_VMCR_EL2_VBPR0_SHIFT,
  ICH_VMCR_EL2_VBPR1_SHIFT,
  ICH_VMCR_EL2_VFIQEn,
  NUM_LRS,
} from './registers.js';

import type { RecordSchema } from '../../stateRecord.js';

export const GIC_STATE_VERSION = 1;
/** Versions read (stateRecord.ts); a record without a field added since takes its reset value. */
export const GIC_STATE_SCHEMA: RecordSchema = { name: 'GIC state', version: GIC_STATE_VERSION, optional: ['gicd_nsacr'] };

/** One redistributor: the SGI/PPI half of the interrupt state of one PE. */
export interface GicRedistributorState {
  /** GICR_WAKER.ProcessorSleep (bit 1); ChildrenAsleep mirrors it at once. */
  gicr_waker: number;
  gicr_igroupr0: number;
  gicr_igrpmodr0: number;
  gicr_isenabler0: number;
  /** Pending latch: edge-detected, software-set (ISPENDR) or SGI-generated. */
  gicr_pend: number;
  /** Input line level of each PPI (level-sensitive pending follows it). */
  gicr_level: number;
  gicr_isactiver0: number;
  /** Bit n set: INTID n is edge-triggered (GICR_ICFGR<n/16> field bit 1). */
  gicr_edge: number;
  gicr_nsacr: number;
  /** 32 priority bytes (implemented bits only). */
  gicr_ipriorityr: number[];
}

/** The physical CPU interface (ICC_*) of one PE. Banked registers keep a
 *  Secure (_s) and a Non-secure (_ns) copy (§12.1.7). */
export interface GicCpuInterfaceState {
  icc_pmr: number;
  icc_bpr0: number;
  icc_bpr1_s: number;
  icc_bpr1_ns: number;
  icc_ctlr_s: number; // CBPR, EOImode only; RO fields are composed on read
  icc_ctlr_ns: number;
  icc_ctlr_el3: number; // EOImode_EL3 only
  icc_igrpen0: number;
  icc_igrpen1_s: number;
  icc_igrpen1_ns: number;
  /** Active priorities: bit i = group priority i << 3 is active (5 bits → one register). */
  icc_ap0r0: number;
  icc_ap1r0_s: number;
  icc_ap1r0_ns: number;
}

/** The virtual CPU interface control registers (ICH_*_EL2) of one PE. */
export interface GicVirtualInterfaceState {
  ich_hcr: number;
  ich_vmcr: number;
  ich_ap0r0: number;
  ich_ap1r0: number;
  /** ICH_LR<n>_EL2 bits 31:0 and 63:32. */
  ich_lr_lo: number[];
  ich_lr_hi: number[];
}

export interface GicState {
  version: typeof GIC_STATE_VERSION;
  numCpus: number;
  numIntids: number;
  /** Secure-view layout (EnableGrp0/EnableGrp1NS/EnableGrp1S/ARE_S/ARE_NS/DS). */
  gicd_ctlr: number;
  // Distributor interrupt state, one bit per INTID in 32-bit words
  // (word 0, the SGIs/PPIs, is unused: those live in the redistributors).
  gicd_igroupr: number[];
  gicd_igrpmodr: number[];
  gicd_isenabler: number[];
  gicd_pend: number[];
  gicd_level: number[];
  gicd_isactiver: number[];
  gicd_edge: number[];
  /** One priority byte per INTID (entries 0..31 unused). */
  gicd_ipriorityr: number[];
  /** GICD_IROUTER<n> bits 31:0 (Aff2.Aff1.Aff0, IRM at bit 31) and 63:32 (Aff3). */
  gicd_irouter_lo: number[];
  gicd_irouter_hi: number[];
  /** GICD_NSACR<n>: 2 bits per INTID, 16 INTIDs per word (words 0 and 1, the
   *  SGIs/PPIs, unused). Added after version 1; like a QEMU vmstate
   *  subsection, getState leaves it out while every field is 0 (always with
   *  DS = 1), and a record without it loads zeros. */
  gicd_nsacr?: number[];
  redist: GicRedistributorState[];
  cpuif: GicCpuInterfaceState[];
  vcpuif: GicVirtualInterfaceState[];
  /** LINE_* bits last driven to each CPU through `pins`. */
  lines: number[];
}

export interface GicResetOptions {
  /** GICD_CTLR.DS = 1 at reset: a single Security state. */
  disableSecurity: boolean;
  /** Reset every interrupt to Non-secure Group 1 and wake every
   *  redistributor, as QEMU does for a direct kernel boot
   *  (arm_gicv3_common.c irq_reset_nonsecure). */
  irqResetNonSecure: boolean;
}

/** The reset state (§12: reset values; UNKNOWN values chosen as 0). */
export function createGicState(numCpus: number, numIntids: number, opts: GicResetOptions): GicState {
  const words = numIntids >>> 5;
  const grp = opts.irqResetNonSecure ? 0xffffffff : 0;
  const zeros = (n: number): number[] => new Array<number>(n).fill(0);
  const redist: GicRedistributorState[] = [];
  const cpuif: GicCpuInterfaceState[] = [];
  const vcpuif: GicVirtualInterfaceState[] = [];
  for (let c = 0; c < numCpus; c++) {
    redist.push({
      gicr_waker: opts.irqResetNonSecure ? 0 : GICR_WAKER_ProcessorSleep,
      gicr_igroupr0: grp,
      gicr_igrpmodr0: 0,
      gicr_isenabler0: 0,
      gicr_pend: 0,
      gicr_level: 0,
      gicr_isactiver0: 0,
      gicr_edge: 0x0000ffff, // SGIs are always edge-triggered (GICR_ICFGR0 RO)
      gicr_nsacr: 0,
      gicr_ipriorityr: zeros(32),
    });
    cpuif.push({
      icc_pmr: 0,
      icc_bpr0: BPR0_MIN,
      // The Secure copy's minimum is BPR0's (§4.8.3); single-security
      // records keep the value they have always had (the copy is unused there).
      icc_bpr1_s: opts.disableSecurity ? BPR1_MIN : BPR0_MIN,
      icc_bpr1_ns: BPR1_MIN,
      icc_ctlr_s: 0,
      icc_ctlr_ns: 0,
      icc_ctlr_el3: 0,
      icc_igrpen0: 0,
      icc_igrpen1_s: 0,
      icc_igrpen1_ns: 0,
      icc_ap0r0: 0,
      icc_ap1r0_s: 0,
      icc_ap1r0_ns: 0,
    });
    vcpuif.push({
      ich_hcr: 0,
      ich_vmcr: (ICH_VMCR_EL2_VFIQEn | (BPR0_MIN << ICH_VMCR_EL2_VBPR0_SHIFT) | (BPR1_MIN << ICH_VMCR_EL2_VBPR1_SHIFT)) >>> 0,
      ich_ap0r0: 0,
      ich_ap1r0: 0,
      ich_lr_lo: zeros(NUM_LRS),
      ich_lr_hi: zeros(NUM_LRS),
    });
  }
  const igroupr = zeros(words).fill(grp);
  if (words > 0) igroupr[0] = 0;
  return {
    version: GIC_STATE_VERSION,
    numCpus,
    numIntids,
    // ARE_S/ARE_NS are RAO/WI: only affinity routing is implemented (§12.9.4).
    gicd_ctlr: (1 << 4) | (1 << 5) | (opts.disableSecurity ? 1 << 6 : 0),
    gicd_igroupr: igroupr,
    gicd_igrpmodr: zeros(words),
    gicd_isenabler: zeros(words),
    gicd_pend: zeros(words),
    gicd_level: zeros(words),
    gicd_isactiver: zeros(words),
    gicd_edge: zeros(words),
    gicd_ipriorityr: zeros(numIntids),
    gicd_irouter_lo: zeros(numIntids),
    gicd_irouter_hi: zeros(numIntids),
    gicd_nsacr: zeros(numIntids >>> 4),
    redist,
    cpuif,
    vcpuif,
    lines: zeros(numCpus),
  };
}

/** A deep copy (the record holds only numbers and arrays of numbers). */
export function cloneGicState(s: GicState): GicState {
  return {
    ...s,
    gicd_igroupr: [...s.gicd_igroupr],
    gicd_igrpmodr: [...s.gicd_igrpmodr],
    gicd_isenabler: [...s.gicd_isenabler],
    gicd_pend: [...s.gicd_pend],
    gicd_level: [...s.gicd_level],
    gicd_isactiver: [...s.gicd_isactiver],
    gicd_edge: [...s.gicd_edge],
    gicd_ipriorityr: [...s.gicd_ipriorityr],
    gicd_irouter_lo: [...s.gicd_irouter_lo],
    gicd_irouter_hi: [...s.gicd_irouter_hi],
    ...(s.gicd_nsacr ? { gicd_nsacr: [...s.gicd_nsacr] } : {}),
    redist: s.redist.map((r) => ({ ...r, gicr_ipriorityr: [...r.gicr_ipriorityr] })),
    cpuif: s.cpuif.map((c) => ({ ...c })),
    vcpuif: s.vcpuif.map((v) => ({ ...v, ich_lr_lo: [...v.ich_lr_lo], ich_lr_hi: [...v.ich_lr_hi] })),
    lines: [...s.lines],
  };
}

/** Check that a record fits a GIC of this shape; returns what is wrong, or null. */
export function checkGicState(s: GicState, numCpus: number, numIntids: number): string | null {
  if (s.version !== GIC_STATE_VERSION) return `GIC state version ${String(s.version)} is not ${GIC_STATE_VERSION}`;
  if (s.numCpus !== numCpus) return `GIC state is for ${s.numCpus} CPUs, this GIC has ${numCpus}`;
  if (s.numIntids !== numIntids) return `GIC state is for ${s.numIntids} INTIDs, this GIC has ${numIntids}`;
  const words = numIntids >>> 5;
  const wordArrays = [s.gicd_igroupr, s.gicd_igrpmodr, s.gicd_isenabler, s.gicd_pend, s.gicd_level, s.gicd_isactiver, s.gicd_edge];
  if (wordArrays.some((a) => !Array.isArray(a) || a.length !== words)) return 'GIC state distributor bitmaps have the wrong length';
  if ([s.gicd_ipriorityr, s.gicd_irouter_lo, s.gicd_irouter_hi].some((a) => !Array.isArray(a) || a.length !== numIntids))
    return 'GIC state per-INTID arrays have the wrong length';
  if (s.gicd_nsacr !== undefined && (!Array.isArray(s.gicd_nsacr) || s.gicd_nsacr.length !== numIntids >>> 4))
    return 'GIC state GICD_NSACR words have the wrong length';
  if (s.redist.length !== numCpus || s.cpuif.length !== numCpus || s.vcpuif.length !== numCpus || s.lines.length !== numCpus)
    return 'GIC state per-CPU arrays have the wrong length';
  if (s.redist.some((r) => r.gicr_ipriorityr.length !== 32)) return 'GIC state redistributor priorities have the wrong length';
  if (s.vcpuif.some((v) => v.ich_lr_lo.length !== NUM_LRS || v.ich_lr_hi.length !== NUM_LRS))
    return `GIC state must hold ${NUM_LRS} list registers per CPU`;
  return null;
}
