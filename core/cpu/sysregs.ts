// The system registers the CPU implements: names (verbatim from the ARM ARM),
// encodings, who may access them, where their values live and their reset
// values. The core reads the descriptor table built here; everything not
// listed is UNDEFINED (and logged) when accessed.
import * as L from './layout.js';
import { sysregKey } from './ports.js';

export type SysregKind = 'rw' | 'ro' | 'wo' | 'special' | 'host';

export interface SysregInfo {
  readonly name: string;
  readonly key: number;
  readonly kind: SysregKind;
  /** Lowest EL that may access it. */
  readonly minEl: number;
  /** Value slot (rw/ro/wo) or special id. */
  readonly slot: number;
  readonly flags: number;
  readonly reset: bigint;
}

export interface CpuFeatures {
  lse: boolean;
  crc32: boolean;
  /** Secure EL2 (FEAT_SEL2): a machine with two Security states. */
  sel2: boolean;
}

interface Def {
  name: string;
  enc: [number, number, number, number, number];
  kind: SysregKind;
  minEl: number;
  slot?: number;
  flags?: number;
  reset?: bigint;
}

const d = (name: string, enc: Def['enc'], kind: SysregKind, minEl: number, extra: Partial<Def> = {}): Def => ({ name, enc, kind, minEl, ...extra });

/** ID_AA64PFR0_EL1: EL0..EL3 AArch64 only, FP and AdvSIMD, GICv3 system registers. */
const ID_AA64PFR0 = 0x0100_1111n;
/** PARange 40 bits, 16-bit ASIDs, SNSMem, 4 KB granule only (TGran64 = 0xF, TGran16 = 0). */
const ID_AA64MMFR0 = 0x0f00_1022n;
/** Debug v8.0, 6 breakpoints (2 context-aware), 4 watchpoints, as QEMU's
 *  cortex-a57 (0x10305106) but without its PMU (PMUVer 0: none modelled). */
const ID_AA64DFR0 = (BigInt(L.DBG_CTX_CMPS - 1) << 28n) | (BigInt(L.DBG_WRPS - 1) << 20n) | (BigInt(L.DBG_BRPS - 1) << 12n) | 6n;

function defs(f: CpuFeatures): Def[] {
  const isar0 = (f.crc32 ? 1n << 16n : 0n) | (f.lse ? 2n << 20n : 0n);
  // ID_AA64PFR0_EL1.SEL2 (bits 39:36) = 1 with Secure EL2.
  const pfr0 = ID_AA64PFR0 | (f.sel2 ? 1n << 36n : 0n);
  const list: Def[] = [
    // --- identification (ID_* group 3 traps with HCR_EL2.TID3) ---
    d('MIDR_EL1', [3, 0, 0, 0, 0], 'ro', 1, { slot: L.SLOT_MIDR_EL1, reset: 0x411f_d073n }), // Cortex-A57 r1p3
    d('MPIDR_EL1', [3, 0, 0, 0, 5], 'ro', 1, { slot: L.SLOT_MPIDR_EL1 }),
    d('REVIDR_EL1', [3, 0, 0, 0, 6], 'ro', 1),
    d('ID_AA64PFR0_EL1', [3, 0, 0, 4, 0], 'ro', 1, { slot: L.SLOT_ID_AA64PFR0_EL1, reset: pfr0, flags: L.SR_FLAG_TID3 }),
    d('ID_AA64PFR1_EL1', [3, 0, 0, 4, 1], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64DFR0_EL1', [3, 0, 0, 5, 0], 'ro', 1, { reset: ID_AA64DFR0, flags: L.SR_FLAG_TID3 }),
    d('ID_AA64DFR1_EL1', [3, 0, 0, 5, 1], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64AFR0_EL1', [3, 0, 0, 5, 4], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64AFR1_EL1', [3, 0, 0, 5, 5], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64ISAR0_EL1', [3, 0, 0, 6, 0], 'ro', 1, { slot: L.SLOT_ID_AA64ISAR0_EL1, reset: isar0, flags: L.SR_FLAG_TID3 }),
    d('ID_AA64ISAR1_EL1', [3, 0, 0, 6, 1], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64MMFR0_EL1', [3, 0, 0, 7, 0], 'ro', 1, { slot: L.SLOT_ID_AA64MMFR0_EL1, reset: ID_AA64MMFR0, flags: L.SR_FLAG_TID3 }),
    d('ID_AA64MMFR1_EL1', [3, 0, 0, 7, 1], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('ID_AA64MMFR2_EL1', [3, 0, 0, 7, 2], 'ro', 1, { flags: L.SR_FLAG_TID3 }),
    d('CTR_EL0', [3, 3, 0, 0, 1], 'ro', 0, { slot: L.SLOT_CTR_EL0, reset: 0x8444_c004n, flags: L.SR_FLAG_EL0_UCT }),
    d('DCZID_EL0', [3, 3, 0, 0, 7], 'ro', 0, { slot: L.SLOT_DCZID_EL0, reset: 4n, flags: L.SR_FLAG_EL0_DZE }),
    d('CLIDR_EL1', [3, 1, 0, 0, 1], 'ro', 1, { reset: 0x0a20_0023n }),
    d('CCSIDR_EL1', [3, 1, 0, 0, 0], 'ro', 1, { reset: 0x701f_e00an }),
    d('CSSELR_EL1', [3, 2, 0, 0, 0], 'rw', 1),
    d('AIDR_EL1', [3, 1, 0, 0, 7], 'ro', 1),
    // --- EL1 control ---
    d('SCTLR_EL1', [3, 0, 1, 0, 0], 'rw', 1, { slot: L.SLOT_SCTLR_EL1, reset: 0x30d0_0800n, flags: L.SR_FLAG_MMU | L.SR_FLAG_TVM }),
    d('ACTLR_EL1', [3, 0, 1, 0, 1], 'rw', 1),
    d('CPACR_EL1', [3, 0, 1, 0, 2], 'rw', 1, { slot: L.SLOT_CPACR_EL1 }),
    d('TTBR0_EL1', [3, 0, 2, 0, 0], 'rw', 1, { slot: L.SLOT_TTBR0_EL1, flags: L.SR_FLAG_CTX | L.SR_FLAG_TVM }),
    d('TTBR1_EL1', [3, 0, 2, 0, 1], 'rw', 1, { slot: L.SLOT_TTBR1_EL1, flags: L.SR_FLAG_CTX | L.SR_FLAG_TVM }),
    d('TCR_EL1', [3, 0, 2, 0, 2], 'rw', 1, { slot: L.SLOT_TCR_EL1, flags: L.SR_FLAG_MMU | L.SR_FLAG_TVM }),
    d('AFSR0_EL1', [3, 0, 5, 1, 0], 'rw', 1, { flags: L.SR_FLAG_TVM }),
    d('AFSR1_EL1', [3, 0, 5, 1, 1], 'rw', 1, { flags: L.SR_FLAG_TVM }),
    d('ESR_EL1', [3, 0, 5, 2, 0], 'rw', 1, { slot: L.SLOT_ESR_EL1, flags: L.SR_FLAG_TVM }),
    d('FAR_EL1', [3, 0, 6, 0, 0], 'rw', 1, { slot: L.SLOT_FAR_EL1, flags: L.SR_FLAG_TVM }),
    d('PAR_EL1', [3, 0, 7, 4, 0], 'rw', 1, { slot: L.SLOT_PAR_EL1 }),
    d('MAIR_EL1', [3, 0, 10, 2, 0], 'rw', 1, { slot: L.SLOT_MAIR_EL1, flags: L.SR_FLAG_MMU | L.SR_FLAG_TVM }),
    d('AMAIR_EL1', [3, 0, 10, 3, 0], 'rw', 1, { flags: L.SR_FLAG_TVM }),
    d('VBAR_EL1', [3, 0, 12, 0, 0], 'rw', 1, { slot: L.SLOT_VBAR_EL1 }),
    d('CONTEXTIDR_EL1', [3, 0, 13, 0, 1], 'rw', 1, { slot: L.SLOT_CONTEXTIDR_EL1, flags: L.SR_FLAG_TVM }),
    d('TPIDR_EL1', [3, 0, 13, 0, 4], 'rw', 1, { slot: L.SLOT_TPIDR_EL1 }),
    d('TPIDR_EL0', [3, 3, 13, 0, 2], 'rw', 0, { slot: L.SLOT_TPIDR_EL0 }),
    d('TPIDRRO_EL0', [3, 3, 13, 0, 3], 'rw', 0, { slot: L.SLOT_TPIDRRO_EL0 }),
    d('CNTKCTL_EL1', [3, 0, 14, 1, 0], 'rw', 1, { slot: L.SLOT_CNTKCTL_EL1 }),
    d('ELR_EL1', [3, 0, 4, 0, 1], 'rw', 1, { slot: L.SLOT_ELR_EL1 }),
    d('SPSR_EL1', [3, 0, 4, 0, 0], 'rw', 1, { slot: L.SLOT_SPSR_EL1 }),
    // --- PSTATE and special-purpose ---
    d('NZCV', [3, 3, 4, 2, 0], 'special', 0, { slot: L.SPEC_NZCV }),
    d('DAIF', [3, 3, 4, 2, 1], 'special', 0, { slot: L.SPEC_DAIF, flags: L.SR_FLAG_EL0_UMA }),
    d('CurrentEL', [3, 0, 4, 2, 2], 'special', 1, { slot: L.SPEC_CURRENTEL }),
    d('SPSel', [3, 0, 4, 2, 0], 'special', 1, { slot: L.SPEC_SPSEL }),
    d('SP_EL0', [3, 0, 4, 1, 0], 'special', 1, { slot: L.SPEC_SP_EL0 }),
    d('SP_EL1', [3, 4, 4, 1, 0], 'special', 2, { slot: L.SPEC_SP_EL1 }),
    d('SP_EL2', [3, 6, 4, 1, 0], 'special', 3, { slot: L.SPEC_SP_EL2 }),
    d('FPCR', [3, 3, 4, 4, 0], 'special', 0, { slot: L.SPEC_FPCR, flags: L.SR_FLAG_FP }),
    d('FPSR', [3, 3, 4, 4, 1], 'special', 0, { slot: L.SPEC_FPSR, flags: L.SR_FLAG_FP }),
    d('ISR_EL1', [3, 0, 12, 1, 0], 'special', 1, { slot: L.SPEC_ISR }),
    // --- generic timer: counter in the core, timers in TypeScript ---
    d('CNTFRQ_EL0', [3, 3, 14, 0, 0], 'special', 0, { slot: L.SPEC_CNTFRQ }),
    d('CNTPCT_EL0', [3, 3, 14, 0, 1], 'special', 0, { slot: L.SPEC_CNTPCT }),
    d('CNTVCT_EL0', [3, 3, 14, 0, 2], 'special', 0, { slot: L.SPEC_CNTVCT }),
    d('CNTP_TVAL_EL0', [3, 3, 14, 2, 0], 'host', 0),
    d('CNTP_CTL_EL0', [3, 3, 14, 2, 1], 'host', 0),
    d('CNTP_CVAL_EL0', [3, 3, 14, 2, 2], 'host', 0),
    d('CNTV_TVAL_EL0', [3, 3, 14, 3, 0], 'host', 0),
    d('CNTV_CTL_EL0', [3, 3, 14, 3, 1], 'host', 0),
    d('CNTV_CVAL_EL0', [3, 3, 14, 3, 2], 'host', 0),
    d('CNTPS_TVAL_EL1', [3, 7, 14, 2, 0], 'host', 1),
    d('CNTPS_CTL_EL1', [3, 7, 14, 2, 1], 'host', 1),
    d('CNTPS_CVAL_EL1', [3, 7, 14, 2, 2], 'host', 1),
    d('CNTHP_TVAL_EL2', [3, 4, 14, 2, 0], 'host', 2),
    d('CNTHP_CTL_EL2', [3, 4, 14, 2, 1], 'host', 2),
    d('CNTHP_CVAL_EL2', [3, 4, 14, 2, 2], 'host', 2),
    d('CNTHCTL_EL2', [3, 4, 14, 1, 0], 'rw', 2, { slot: L.SLOT_CNTHCTL_EL2, reset: 3n }),
    d('CNTVOFF_EL2', [3, 4, 14, 0, 3], 'rw', 2, { slot: L.SLOT_CNTVOFF_EL2 }),
    // --- self-hosted debug (ARM ARM D2; core/cpu/as/debugArch.ts) ---
    // MDCR_EL2.TDA traps the debug registers, TDOSA the OS lock and power
    // registers (D13.3); a write of a DEBUG one re-arms the core's checks.
    d('MDSCR_EL1', [2, 0, 0, 2, 2], 'rw', 1, { slot: L.SLOT_MDSCR_EL1, flags: L.SR_FLAG_TDA | L.SR_FLAG_DEBUG }),
    d('MDCCINT_EL1', [2, 0, 0, 2, 0], 'rw', 1, { flags: L.SR_FLAG_TDA }),
    d('OSLAR_EL1', [2, 0, 1, 0, 4], 'special', 1, { slot: L.SPEC_OSLAR, flags: L.SR_FLAG_TDOSA }),
    // OSLSR_EL1: OSLM = 0b10 (OS lock implemented), OSLK = 1: locked from
    // cold reset until software clears it through OSLAR_EL1 (as QEMU: 10).
    d('OSLSR_EL1', [2, 0, 1, 1, 4], 'ro', 1, { slot: L.SLOT_OSLSR_EL1, reset: 0xan, flags: L.SR_FLAG_TDOSA }),
    d('OSDLR_EL1', [2, 0, 1, 3, 4], 'rw', 1, { slot: L.SLOT_OSDLR_EL1, flags: L.SR_FLAG_TDOSA | L.SR_FLAG_DEBUG }),
    d('DBGPRCR_EL1', [2, 0, 1, 4, 4], 'rw', 1, { slot: L.SLOT_DBGPRCR_EL1, flags: L.SR_FLAG_TDOSA | L.SR_FLAG_DEBUG }),
    d('DBGCLAIMSET_EL1', [2, 0, 7, 8, 6], 'rw', 1, { reset: 0xffn, flags: L.SR_FLAG_TDA }),
    d('DBGCLAIMCLR_EL1', [2, 0, 7, 9, 6], 'rw', 1, { flags: L.SR_FLAG_TDA }),
    d('MDCCSR_EL0', [2, 3, 0, 1, 0], 'ro', 0, { flags: L.SR_FLAG_TDA }),
    // --- GICv3 CPU interface (EL1), implemented by the GIC model ---
    ...gicEl1(),
    // --- EL2 (accessed by the TypeScript hypervisor; UNDEFINED below EL2) ---
    d('HCR_EL2', [3, 4, 1, 1, 0], 'rw', 2, { slot: L.SLOT_HCR_EL2 }),
    d('SCTLR_EL2', [3, 4, 1, 0, 0], 'rw', 2, { slot: L.SLOT_SCTLR_EL2, reset: 0x30c5_0830n }),
    d('ACTLR_EL2', [3, 4, 1, 0, 1], 'rw', 2),
    d('CPTR_EL2', [3, 4, 1, 1, 2], 'rw', 2, { slot: L.SLOT_CPTR_EL2, reset: 0x33ffn }),
    d('MDCR_EL2', [3, 4, 1, 1, 1], 'rw', 2, { slot: L.SLOT_MDCR_EL2 }),
    d('HSTR_EL2', [3, 4, 1, 1, 3], 'rw', 2, { slot: L.SLOT_HSTR_EL2 }),
    d('VTTBR_EL2', [3, 4, 2, 1, 0], 'rw', 2, { slot: L.SLOT_VTTBR_EL2 }),
    d('VTCR_EL2', [3, 4, 2, 1, 2], 'rw', 2, { slot: L.SLOT_VTCR_EL2 }),
    d('ESR_EL2', [3, 4, 5, 2, 0], 'rw', 2, { slot: L.SLOT_ESR_EL2 }),
    d('FAR_EL2', [3, 4, 6, 0, 0], 'rw', 2, { slot: L.SLOT_FAR_EL2 }),
    d('HPFAR_EL2', [3, 4, 6, 0, 4], 'rw', 2, { slot: L.SLOT_HPFAR_EL2 }),
    d('ELR_EL2', [3, 4, 4, 0, 1], 'rw', 2, { slot: L.SLOT_ELR_EL2 }),
    d('SPSR_EL2', [3, 4, 4, 0, 0], 'rw', 2, { slot: L.SLOT_SPSR_EL2 }),
    d('VBAR_EL2', [3, 4, 12, 0, 0], 'rw', 2, { slot: L.SLOT_VBAR_EL2 }),
    d('TPIDR_EL2', [3, 4, 13, 0, 2], 'rw', 2, { slot: L.SLOT_TPIDR_EL2 }),
    d('VPIDR_EL2', [3, 4, 0, 0, 0], 'rw', 2, { slot: L.SLOT_VPIDR_EL2 }),
    d('VMPIDR_EL2', [3, 4, 0, 0, 5], 'rw', 2, { slot: L.SLOT_VMPIDR_EL2 }),
    // Secure stage 2 (D13.2 VSTTBR_EL2, VSTCR_EL2): only with FEAT_SEL2, else
    // UNDEFINED as before. Like VTTBR_EL2/VTCR_EL2, a write invalidates
    // nothing: software follows it with a TLBI (VMALLS12E1), or the
    // TypeScript software with CpuCore.invalidateVmid / flushTlb.
    ...(f.sel2 ? [
      d('VSTTBR_EL2', [3, 4, 2, 6, 0], 'rw', 2, { slot: L.SLOT_VSTTBR_EL2 }),
      d('VSTCR_EL2', [3, 4, 2, 6, 2], 'rw', 2, { slot: L.SLOT_VSTCR_EL2 }),
    ] : []),
    // --- EL3 ---
    d('SCR_EL3', [3, 6, 1, 1, 0], 'rw', 3, { slot: L.SLOT_SCR_EL3 }),
    d('CPTR_EL3', [3, 6, 1, 1, 2], 'rw', 3, { slot: L.SLOT_CPTR_EL3 }),
    d('ESR_EL3', [3, 6, 5, 2, 0], 'rw', 3, { slot: L.SLOT_ESR_EL3 }),
    d('FAR_EL3', [3, 6, 6, 0, 0], 'rw', 3, { slot: L.SLOT_FAR_EL3 }),
    d('ELR_EL3', [3, 6, 4, 0, 1], 'rw', 3, { slot: L.SLOT_ELR_EL3 }),
    d('SPSR_EL3', [3, 6, 4, 0, 0], 'rw', 3, { slot: L.SLOT_SPSR_EL3 }),
    d('VBAR_EL3', [3, 6, 12, 0, 0], 'rw', 3, { slot: L.SLOT_VBAR_EL3 }),
  ];
  // The unallocated part of the ID register space (op0=3, op1=0, CRn=0, CRm=1..7)
  // is reserved RAZ in ARMv8.0 (D12.3.1); that includes the AArch32 feature
  // registers (ID_PFR0_EL1...), which read as zero because AArch32 is not implemented.
  const taken = new Set(list.map((x) => sysregKey(...x.enc)));
  for (let crm = 1; crm <= 7; crm++) {
    for (let op2 = 0; op2 <= 7; op2++) {
      const key = sysregKey(3, 0, 0, crm, op2);
      if (!taken.has(key)) list.push(d(`ID_RAZ_c0_c${crm}_${op2}`, [3, 0, 0, crm, op2], 'ro', 1, { flags: L.SR_FLAG_TID3 }));
    }
  }
  const dbg = { flags: L.SR_FLAG_TDA | L.SR_FLAG_DEBUG };
  for (let n = 0; n < L.DBG_BRPS; n++) {
    list.push(d(`DBGBVR${n}_EL1`, [2, 0, 0, n, 4], 'rw', 1, { slot: L.SLOT_DBGBVR0_EL1 + n, ...dbg }));
    list.push(d(`DBGBCR${n}_EL1`, [2, 0, 0, n, 5], 'rw', 1, { slot: L.SLOT_DBGBCR0_EL1 + n, ...dbg }));
  }
  for (let n = 0; n < L.DBG_WRPS; n++) {
    list.push(d(`DBGWVR${n}_EL1`, [2, 0, 0, n, 6], 'rw', 1, { slot: L.SLOT_DBGWVR0_EL1 + n, ...dbg }));
    list.push(d(`DBGWCR${n}_EL1`, [2, 0, 0, n, 7], 'rw', 1, { slot: L.SLOT_DBGWCR0_EL1 + n, ...dbg }));
  }
  return list;
}

function gicEl1(): Def[] {
  const h = (name: string, enc: Def['enc']): Def => d(name, enc, 'host', 1);
  const out: Def[] = [
    h('ICC_PMR_EL1', [3, 0, 4, 6, 0]),
    h('ICC_IAR0_EL1', [3, 0, 12, 8, 0]), h('ICC_EOIR0_EL1', [3, 0, 12, 8, 1]), h('ICC_HPPIR0_EL1', [3, 0, 12, 8, 2]),
    h('ICC_BPR0_EL1', [3, 0, 12, 8, 3]),
    h('ICC_DIR_EL1', [3, 0, 12, 11, 1]), h('ICC_RPR_EL1', [3, 0, 12, 11, 3]),
    h('ICC_SGI1R_EL1', [3, 0, 12, 11, 5]), h('ICC_ASGI1R_EL1', [3, 0, 12, 11, 6]), h('ICC_SGI0R_EL1', [3, 0, 12, 11, 7]),
    h('ICC_IAR1_EL1', [3, 0, 12, 12, 0]), h('ICC_EOIR1_EL1', [3, 0, 12, 12, 1]), h('ICC_HPPIR1_EL1', [3, 0, 12, 12, 2]),
    h('ICC_BPR1_EL1', [3, 0, 12, 12, 3]), h('ICC_CTLR_EL1', [3, 0, 12, 12, 4]), h('ICC_SRE_EL1', [3, 0, 12, 12, 5]),
    h('ICC_IGRPEN0_EL1', [3, 0, 12, 12, 6]), h('ICC_IGRPEN1_EL1', [3, 0, 12, 12, 7]),
  ];
  for (let n = 0; n < 4; n++) {
    out.push(h(`ICC_AP0R${n}_EL1`, [3, 0, 12, 8, 4 + n]), h(`ICC_AP1R${n}_EL1`, [3, 0, 12, 9, n]));
  }
  // The CPU interface's EL2/EL3 registers, for EL2/EL3 machine code (firmware
  // run natively at EL3, QEMU -bios images).
  out.push(
    d('ICC_SRE_EL2', [3, 4, 12, 9, 5], 'host', 2),
    d('ICC_CTLR_EL3', [3, 6, 12, 12, 4], 'host', 3), d('ICC_SRE_EL3', [3, 6, 12, 12, 5], 'host', 3),
    d('ICC_IGRPEN1_EL3', [3, 6, 12, 12, 7], 'host', 3),
  );
  return out;
}

const KIND_CODE: Record<SysregKind, number> = {
  rw: L.SR_KIND_RW, ro: L.SR_KIND_RO, wo: L.SR_KIND_WO, special: L.SR_KIND_SPECIAL, host: L.SR_KIND_HOST,
};

/** The implemented registers with slots assigned. */
export function sysregTable(features: CpuFeatures): SysregInfo[] {
  let next = L.SLOT_FIRST_FREE;
  const out: SysregInfo[] = [];
  for (const x of defs(features)) {
    let slot = x.slot ?? 0;
    if (x.slot === undefined && (x.kind === 'rw' || x.kind === 'ro' || x.kind === 'wo')) slot = next++;
    if (next > L.SLOT_FIXED_FIRST) throw new Error(`sysreg slots assigned up to the fixed ones at ${x.name}`);
    if (slot >= L.SYSREG_SLOTS && x.kind !== 'special') throw new Error(`sysreg slots exhausted at ${x.name}`);
    out.push({ name: x.name, key: sysregKey(...x.enc), kind: x.kind, minEl: x.minEl, slot, flags: x.flags ?? 0, reset: x.reset ?? 0n });
  }
  return out;
}

/** The u32 descriptor the core reads for a register. */
export function descriptorOf(r: SysregInfo): number {
  return (r.slot & L.SR_SLOT_MASK) | (r.minEl << L.SR_MINEL_SHIFT) | (KIND_CODE[r.kind] << L.SR_KIND_SHIFT) | r.flags;
}
