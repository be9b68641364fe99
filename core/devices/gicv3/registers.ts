// GICv3 register offsets, field masks and system-register keys.
// Names follow the GICv3/v4 Architecture Specification (ARM IHI 0069) verbatim.

import { sysregKey } from '../../cpu/ports.js';

// ---- QEMU virt placement (hw/arm/virt.c VIRT_GIC_DIST / VIRT_GIC_REDIST) ----
export const GICD_BASE = 0x08000000;
export const GICD_SIZE = 0x10000;
export const GICR_BASE = 0x080a0000;
/** One redistributor = RD_base frame (64 KiB) + SGI_base frame (64 KiB), §12.10. */
export const GICR_STRIDE = 0x20000;
export const GICR_SGI_BASE_OFFSET = 0x10000;

// ---- INTID space (§2.2) ----
export const SGI_COUNT = 16;
export const GIC_INTERNAL = 32; // SGIs + PPIs
export const INTID_SECURE = 1020; // only at EL3: HPPI is Secure Group 1
export const INTID_NONSECURE = 1021; // only at EL3: HPPI is Non-secure Group 1
export const INTID_SPURIOUS = 1023;
export const MAINTENANCE_INTID = 25; // QEMU virt ARCH_GIC_MAINT_IRQ (PPI 9)
/** Default number of INTIDs: QEMU virt's NUM_IRQS (256 SPIs) + 32 = 288,
 *  GICD_TYPER.ITLinesNumber = 8. */
export const DEFAULT_NUM_INTIDS = 288;
export const MAX_NUM_INTIDS = 992; // largest multiple of 32 below the special INTIDs

// ---- priorities (§4.8) ----
/** Implemented priority bits: 5 (32 levels); the low 3 bits are RAZ/WI. */
export const PRI_BITS = 5;
export const PRI_MASK = 0xf8;
export const IDLE_PRIORITY = 0xff;
/** Priority value meaning "no pending interrupt" in HPPI results. */
export const NO_PENDING = 0x100;
/** Minimum ICC_BPR0_EL1 value for 5 priority bits: group priority [7:3].
 *  The Secure copy of ICC_BPR1_EL1 has the same minimum; the Non-secure copy
 *  (and the single copy with DS = 1) one more (§4.8.3, Table 4-7/4-8). */
export const BPR0_MIN = 7 - PRI_BITS; // 2
export const BPR1_MIN = BPR0_MIN + 1; // 3
/** APR bit index = group priority >> APR_SHIFT (32 bits → only AP0R0/AP1R0). */
export const APR_SHIFT = 8 - PRI_BITS; // 3

// ---- interrupt groups (internal encoding) ----
export const GRP_G0 = 0; // Group 0 (Secure when DS=0)
export const GRP_G1S = 1; // Secure Group 1
export const GRP_G1NS = 2; // Non-secure Group 1

// ---- Distributor (§12.9) ----
export const GICD_CTLR = 0x0000;
export const GICD_TYPER = 0x0004;
export const GICD_IIDR = 0x0008;
export const GICD_TYPER2 = 0x000c;
export const GICD_STATUSR = 0x0010;
export const GICD_IGROUPR = 0x0080;
export const GICD_ISENABLER = 0x0100;
export const GICD_ICENABLER = 0x0180;
export const GICD_ISPENDR = 0x0200;
export const GICD_ICPENDR = 0x0280;
export const GICD_ISACTIVER = 0x0300;
export const GICD_ICACTIVER = 0x0380;
export const GICD_IPRIORITYR = 0x0400; // ..0x07fb
export const GICD_ITARGETSR = 0x0800; // RAZ/WI with ARE=1
export const GICD_ICFGR = 0x0c00;
export const GICD_IGRPMODR = 0x0d00;
export const GICD_NSACR = 0x0e00; // ..0x0eff, 2 bits per INTID
export const GICD_SGIR = 0x0f00; // WI with ARE=1
export const GICD_IROUTER = 0x6000; // 8 bytes per INTID; INTIDs 0..31 reserved
export const GICD_IROUTER_END = 0x7fe0;
export const GICD_PIDR4 = 0xffd0;
export const GICD_PIDR2 = 0xffe8;
export const GICD_ID_END = 0x10000;

// GICD_CTLR, Secure (or DS=1) view (§12.9.4)
export const GICD_CTLR_EnableGrp0 = 1 << 0;
export const GICD_CTLR_EnableGrp1NS = 1 << 1;
export const GICD_CTLR_EnableGrp1S = 1 << 2;
export const GICD_CTLR_ARE_S = 1 << 4;
export const GICD_CTLR_ARE_NS = 1 << 5;
export const GICD_CTLR_DS = 1 << 6;
export const GICD_CTLR_E1NWF = 1 << 7;
export const GICD_CTLR_RWP = 1 << 31;
// GICD_CTLR, Non-secure view when DS=0
export const GICD_CTLR_NS_EnableGrp1 = 1 << 0;
export const GICD_CTLR_NS_EnableGrp1A = 1 << 1;
export const GICD_CTLR_NS_ARE_NS = 1 << 4;

// GICD_TYPER fields
export const GICD_TYPER_SecurityExtn = 1 << 10;
export const GICD_TYPER_IDbits_SHIFT = 19;
export const GICD_TYPER_A3V = 1 << 24;

/** ARM implementer code, product 0 (not a part with known errata). */
export const GIC_IIDR = 0x0000043b;

/** PIDR4..PIDR7, PIDR0..PIDR3, CIDR0..CIDR3 (offsets 0xffd0..0xfffc).
 *  PIDR2.ArchRev [7:4] = 3 (GICv3). Values as QEMU's GICv3 model. */
export const GICD_ID_REGS = [0x44, 0x00, 0x00, 0x00, 0x92, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;
export const GICR_ID_REGS = [0x44, 0x00, 0x00, 0x00, 0x93, 0xb4, 0x3b, 0x00, 0x0d, 0xf0, 0x05, 0xb1] as const;

// ---- Redistributor RD_base (§12.10) ----
export const GICR_CTLR = 0x0000;
export const GICR_IIDR = 0x0004;
export const GICR_TYPER = 0x0008; // 64-bit: low word 0x08, high word 0x0c
export const GICR_TYPER_HI = 0x000c;
export const GICR_STATUSR = 0x0010;
export const GICR_WAKER = 0x0014;
export const GICR_PIDR2 = 0xffe8;
export const GICR_TYPER_Last = 1 << 4;
export const GICR_TYPER_Processor_Number_SHIFT = 8;
export const GICR_WAKER_ProcessorSleep = 1 << 1;
export const GICR_WAKER_ChildrenAsleep = 1 << 2;

// ---- Redistributor SGI_base (offsets inside the SGI_base frame) ----
export const GICR_IGROUPR0 = 0x0080;
export const GICR_ISENABLER0 = 0x0100;
export const GICR_ICENABLER0 = 0x0180;
export const GICR_ISPENDR0 = 0x0200;
export const GICR_ICPENDR0 = 0x0280;
export const GICR_ISACTIVER0 = 0x0300;
export const GICR_ICACTIVER0 = 0x0380;
export const GICR_IPRIORITYR = 0x0400; // ..0x041f
export const GICR_ICFGR0 = 0x0c00;
export const GICR_ICFGR1 = 0x0c04;
export const GICR_IGRPMODR0 = 0x0d00;
export const GICR_NSACR = 0x0e00;

// ---- CPU interface system registers (§12.2), keys op0:op1:CRn:CRm:op2 ----
export const ICC_PMR_EL1 = sysregKey(3, 0, 4, 6, 0);
export const ICC_IAR0_EL1 = sysregKey(3, 0, 12, 8, 0);
export const ICC_EOIR0_EL1 = sysregKey(3, 0, 12, 8, 1);
export const ICC_HPPIR0_EL1 = sysregKey(3, 0, 12, 8, 2);
export const ICC_BPR0_EL1 = sysregKey(3, 0, 12, 8, 3);
export const ICC_AP0R0_EL1 = sysregKey(3, 0, 12, 8, 4); // AP0R<n>: op2 = 4 + n
export const ICC_AP1R0_EL1 = sysregKey(3, 0, 12, 9, 0); // AP1R<n>: op2 = n
export const ICC_DIR_EL1 = sysregKey(3, 0, 12, 11, 1);
export const ICC_RPR_EL1 = sysregKey(3, 0, 12, 11, 3);
export const ICC_SGI1R_EL1 = sysregKey(3, 0, 12, 11, 5);
export const ICC_ASGI1R_EL1 = sysregKey(3, 0, 12, 11, 6);
export const ICC_SGI0R_EL1 = sysregKey(3, 0, 12, 11, 7);
export const ICC_IAR1_EL1 = sysregKey(3, 0, 12, 12, 0);
export const ICC_EOIR1_EL1 = sysregKey(3, 0, 12, 12, 1);
export const ICC_HPPIR1_EL1 = sysregKey(3, 0, 12, 12, 2);
export const ICC_BPR1_EL1 = sysregKey(3, 0, 12, 12, 3);
export const ICC_CTLR_EL1 = sysregKey(3, 0, 12, 12, 4);
export const ICC_SRE_EL1 = sysregKey(3, 0, 12, 12, 5);
export const ICC_IGRPEN0_EL1 = sysregKey(3, 0, 12, 12, 6);
export const ICC_IGRPEN1_EL1 = sysregKey(3, 0, 12, 12, 7);
export const ICC_SRE_EL2 = sysregKey(3, 4, 12, 9, 5);
export const ICC_CTLR_EL3 = sysregKey(3, 6, 12, 12, 4);
export const ICC_SRE_EL3 = sysregKey(3, 6, 12, 12, 5);
export const ICC_IGRPEN1_EL3 = sysregKey(3, 6, 12, 12, 7);

// ---- virtualization control registers (§12.4) ----
export const ICH_AP0R0_EL2 = sysregKey(3, 4, 12, 8, 0); // ICH_AP0R<n>: op2 = n
export const ICH_AP1R0_EL2 = sysregKey(3, 4, 12, 9, 0); // ICH_AP1R<n>: op2 = n (0..3)
export const ICH_HCR_EL2 = sysregKey(3, 4, 12, 11, 0);
export const ICH_VTR_EL2 = sysregKey(3, 4, 12, 11, 1);
export const ICH_MISR_EL2 = sysregKey(3, 4, 12, 11, 2);
export const ICH_EISR_EL2 = sysregKey(3, 4, 12, 11, 3);
export const ICH_ELRSR_EL2 = sysregKey(3, 4, 12, 11, 5);
export const ICH_VMCR_EL2 = sysregKey(3, 4, 12, 11, 7);
/** ICH_LR<n>_EL2: CRm = 12 + (n >> 3), op2 = n & 7, n = 0..15. */
export function ICH_LR_EL2(n: number): number {
  return sysregKey(3, 4, 12, 12 + (n >> 3), n & 7);
}

// ICC_CTLR_EL1 fields (§12.2.6)
export const ICC_CTLR_EL1_CBPR = 1 << 0;
export const ICC_CTLR_EL1_EOImode = 1 << 1;
export const ICC_CTLR_EL1_PRIbits_SHIFT = 8;
export const ICC_CTLR_EL1_A3V = 1 << 15;
/** Read-only part of ICC_CTLR_EL1: PRIbits = 4 (5 bits), IDbits = 0 (16 bits), A3V = 1. */
export const ICC_CTLR_EL1_RO = ((PRI_BITS - 1) << ICC_CTLR_EL1_PRIbits_SHIFT) | ICC_CTLR_EL1_A3V;
// ICC_CTLR_EL3 fields (§12.2.7)
export const ICC_CTLR_EL3_CBPR_EL1S = 1 << 0;
export const ICC_CTLR_EL3_CBPR_EL1NS = 1 << 1;
export const ICC_CTLR_EL3_EOImode_EL3 = 1 << 2;
export const ICC_CTLR_EL3_EOImode_EL1S = 1 << 3;
export const ICC_CTLR_EL3_EOImode_EL1NS = 1 << 4;
// ICC_SRE_ELx: SRE | DFB | DIB (| Enable for EL2/EL3), all RAO/WI: only the
// System register interface is implemented (no legacy GICC_* operation, §1.3.5).
export const ICC_SRE_EL1_VALUE = 0x7;
export const ICC_SRE_EL2_VALUE = 0xf;
export const ICC_SRE_EL3_VALUE = 0xf;
// ICC_IGRPEN1_EL3
export const ICC_IGRPEN1_EL3_EnableGrp1NS = 1 << 0;
export const ICC_IGRPEN1_EL3_EnableGrp1S = 1 << 1;

// ICH_HCR_EL2 fields (§12.4.4)
export const ICH_HCR_EL2_En = 1 << 0;
export const ICH_HCR_EL2_UIE = 1 << 1;
export const ICH_HCR_EL2_LRENPIE = 1 << 2;
export const ICH_HCR_EL2_NPIE = 1 << 3;
export const ICH_HCR_EL2_VGrp0EIE = 1 << 4;
export const ICH_HCR_EL2_VGrp0DIE = 1 << 5;
export const ICH_HCR_EL2_VGrp1EIE = 1 << 6;
export const ICH_HCR_EL2_VGrp1DIE = 1 << 7;
export const ICH_HCR_EL2_TC = 1 << 10;
export const ICH_HCR_EL2_TALL0 = 1 << 11;
export const ICH_HCR_EL2_TALL1 = 1 << 12;
export const ICH_HCR_EL2_TDIR = 1 << 14;
export const ICH_HCR_EL2_EOIcount_SHIFT = 27;
/** Writable bits: the enables/traps above and EOIcount (TSEI and DVIM are RES0 here). */
export const ICH_HCR_EL2_MASK = 0xf8005cff;

// ICH_VTR_EL2: ListRegs = 3 (4 LRs), TDS, nV4 (no direct vLPI), A3V, IDbits = 0 (16),
// PREbits = PRIbits = 4 (5 bits).
export const NUM_LRS = 4;
export const ICH_VTR_EL2_VALUE =
  ((PRI_BITS - 1) << 29) | ((PRI_BITS - 1) << 26) | (1 << 21) | (1 << 20) | (1 << 19) | (NUM_LRS - 1);

// ICH_VMCR_EL2 fields (§12.4.8)
export const ICH_VMCR_EL2_VENG0 = 1 << 0;
export const ICH_VMCR_EL2_VENG1 = 1 << 1;
export const ICH_VMCR_EL2_VFIQEn = 1 << 3; // RES1 with the System register interface
export const ICH_VMCR_EL2_VCBPR = 1 << 4;
export const ICH_VMCR_EL2_VEOIM = 1 << 9;
export const ICH_VMCR_EL2_VBPR1_SHIFT = 18;
export const ICH_VMCR_EL2_VBPR0_SHIFT = 21;
export const ICH_VMCR_EL2_VPMR_SHIFT = 24;

// ICH_MISR_EL2 fields (§12.4.9)
export const ICH_MISR_EL2_EOI = 1 << 0;
export const ICH_MISR_EL2_U = 1 << 1;
export const ICH_MISR_EL2_LRENP = 1 << 2;
export const ICH_MISR_EL2_NP = 1 << 3;
export const ICH_MISR_EL2_VGrp0E = 1 << 4;
export const ICH_MISR_EL2_VGrp0D = 1 << 5;
export const ICH_MISR_EL2_VGrp1E = 1 << 6;
export const ICH_MISR_EL2_VGrp1D = 1 << 7;

// ICH_LR<n>_EL2 fields (§12.4.6); held as two 32-bit halves.
export const ICH_LR_LO_vINTID_MASK = 0xffff; // 16-bit virtual INTIDs (ICH_VTR_EL2.IDbits = 0)
export const ICH_LR_HI_pINTID_MASK = 0x1fff; // bits 44:32
export const ICH_LR_HI_EOI = 1 << 9; // bit 41 (when HW = 0)
export const ICH_LR_HI_Priority_SHIFT = 16; // bits 55:48
export const ICH_LR_HI_Group = 1 << 28; // bit 60
export const ICH_LR_HI_HW = 1 << 29; // bit 61
export const ICH_LR_HI_State_SHIFT = 30; // bits 63:62
export const ICH_LR_STATE_INVALID = 0;
export const ICH_LR_STATE_PENDING = 1;
export const ICH_LR_STATE_ACTIVE = 2;
export const ICH_LR_STATE_PENDING_ACTIVE = 3;
/** Writable bits of the high half: pINTID, Priority (implemented bits), Group, HW, State. */
export const ICH_LR_HI_MASK = (0xf0000000 | (PRI_MASK << 16) | ICH_LR_HI_pINTID_MASK) >>> 0;

// HCR_EL2 bits the CPU interface looks at
export const HCR_EL2_FMO = 1n << 3n;
export const HCR_EL2_IMO = 1n << 4n;
// SCR_EL3 bits
export const SCR_EL3_NS = 1n;
export const SCR_EL3_IRQ = 1n << 1n;
export const SCR_EL3_FIQ = 1n << 2n;
export const SCR_EL3_EEL2 = 1n << 18n;

/** Count trailing zeros of a 32-bit value (32 for 0). */
export function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}
