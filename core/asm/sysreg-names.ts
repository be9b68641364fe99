/**
 * System register names for MRS/MSR (ARM ARM D13 / C5.3 system instruction
 * encodings). key = op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2, the 16-bit
 * field that sits in bits [20:5] of MRS/MSR.
 *
 * The table covers the ARMv8.0-A EL0..EL3 registers, the v8.1..v8.4 registers
 * hypervisors commonly touch (VHE *_EL12/*_EL02, PAN, UAO, RAS, pointer-auth
 * keys, Secure EL2), GICv3 ICC_* / ICH_* (ICV_* share the ICC encodings),
 * generic timers, ID registers, and the debug / PMU basics.
 */

/** name op0 op1 CRn CRm op2 [r|w]  (r = read-only, w = write-only). */
const TABLE = `
osdtrrx_el1 2 0 0 0 2
mdccint_el1 2 0 0 2 0
mdscr_el1 2 0 0 2 2
osdtrtx_el1 2 0 0 3 2
oseccr_el1 2 0 0 6 2
mdrar_el1 2 0 1 0 0 r
oslar_el1 2 0 1 0 4 w
oslsr_el1 2 0 1 1 4 r
osdlr_el1 2 0 1 3 4
dbgprcr_el1 2 0 1 4 4
dbgclaimset_el1 2 0 7 8 6
dbgclaimclr_el1 2 0 7 9 6
dbgauthstatus_el1 2 0 7 14 6 r
mdccsr_el0 2 3 0 1 0 r
dbgdtr_el0 2 3 0 4 0
dbgdtrrx_el0 2 3 0 5 0 r
dbgvcr32_el2 2 4 0 7 0
midr_el1 3 0 0 0 0 r
mpidr_el1 3 0 0 0 5 r
revidr_el1 3 0 0 0 6 r
id_pfr0_el1 3 0 0 1 0 r
id_pfr1_el1 3 0 0 1 1 r
id_dfr0_el1 3 0 0 1 2 r
id_afr0_el1 3 0 0 1 3 r
id_mmfr0_el1 3 0 0 1 4 r
id_mmfr1_el1 3 0 0 1 5 r
id_mmfr2_el1 3 0 0 1 6 r
id_mmfr3_el1 3 0 0 1 7 r
id_isar0_el1 3 0 0 2 0 r
id_isar1_el1 3 0 0 2 1 r
id_isar2_el1 3 0 0 2 2 r
id_isar3_el1 3 0 0 2 3 r
id_isar4_el1 3 0 0 2 4 r
id_isar5_el1 3 0 0 2 5 r
id_mmfr4_el1 3 0 0 2 6 r
id_isar6_el1 3 0 0 2 7 r
mvfr0_el1 3 0 0 3 0 r
mvfr1_el1 3 0 0 3 1 r
mvfr2_el1 3 0 0 3 2 r
id_pfr2_el1 3 0 0 3 4 r
id_dfr1_el1 3 0 0 3 5 r
id_mmfr5_el1 3 0 0 3 6 r
id_aa64pfr0_el1 3 0 0 4 0 r
id_aa64pfr1_el1 3 0 0 4 1 r
id_aa64zfr0_el1 3 0 0 4 4 r
id_aa64dfr0_el1 3 0 0 5 0 r
id_aa64dfr1_el1 3 0 0 5 1 r
id_aa64afr0_el1 3 0 0 5 4 r
id_aa64afr1_el1 3 0 0 5 5 r
id_aa64isar0_el1 3 0 0 6 0 r
id_aa64isar1_el1 3 0 0 6 1 r
id_aa64isar2_el1 3 0 0 6 2 r
id_aa64mmfr0_el1 3 0 0 7 0 r
id_aa64mmfr1_el1 3 0 0 7 1 r
id_aa64mmfr2_el1 3 0 0 7 2 r
ccsidr_el1 3 1 0 0 0 r
clidr_el1 3 1 0 0 1 r
ccsidr2_el1 3 1 0 0 2 r
aidr_el1 3 1 0 0 7 r
csselr_el1 3 2 0 0 0
ctr_el0 3 3 0 0 1 r
dczid_el0 3 3 0 0 7 r
vpidr_el2 3 4 0 0 0
vmpidr_el2 3 4 0 0 5
sctlr_el1 3 0 1 0 0
actlr_el1 3 0 1 0 1
cpacr_el1 3 0 1 0 2
zcr_el1 3 0 1 2 0
sctlr_el2 3 4 1 0 0
actlr_el2 3 4 1 0 1
hcr_el2 3 4 1 1 0
mdcr_el2 3 4 1 1 1
cptr_el2 3 4 1 1 2
hstr_el2 3 4 1 1 3
hacr_el2 3 4 1 1 7
zcr_el2 3 4 1 2 0
sder32_el2 3 4 1 3 1
sctlr_el12 3 5 1 0 0
cpacr_el12 3 5 1 0 2
zcr_el12 3 5 1 2 0
sctlr_el3 3 6 1 0 0
actlr_el3 3 6 1 0 1
scr_el3 3 6 1 1 0
sder32_el3 3 6 1 1 1
cptr_el3 3 6 1 1 2
zcr_el3 3 6 1 2 0
mdcr_el3 3 6 1 3 1
ttbr0_el1 3 0 2 0 0
ttbr1_el1 3 0 2 0 1
tcr_el1 3 0 2 0 2
apiakeylo_el1 3 0 2 1 0
apiakeyhi_el1 3 0 2 1 1
apibkeylo_el1 3 0 2 1 2
apibkeyhi_el1 3 0 2 1 3
apdakeylo_el1 3 0 2 2 0
apdakeyhi_el1 3 0 2 2 1
apdbkeylo_el1 3 0 2 2 2
apdbkeyhi_el1 3 0 2 2 3
apgakeylo_el1 3 0 2 3 0
apgakeyhi_el1 3 0 2 3 1
ttbr0_el2 3 4 2 0 0
ttbr1_el2 3 4 2 0 1
tcr_el2 3 4 2 0 2
vttbr_el2 3 4 2 1 0
vtcr_el2 3 4 2 1 2
vncr_el2 3 4 2 2 0
vsttbr_el2 3 4 2 6 0
vstcr_el2 3 4 2 6 2
ttbr0_el12 3 5 2 0 0
ttbr1_el12 3 5 2 0 1
tcr_el12 3 5 2 0 2
ttbr0_el3 3 6 2 0 0
tcr_el3 3 6 2 0 2
dacr32_el2 3 4 3 0 0
spsr_el1 3 0 4 0 0
elr_el1 3 0 4 0 1
sp_el0 3 0 4 1 0
spsel 3 0 4 2 0
currentel 3 0 4 2 2 r
pan 3 0 4 2 3
uao 3 0 4 2 4
icc_pmr_el1 3 0 4 6 0
nzcv 3 3 4 2 0
daif 3 3 4 2 1
dit 3 3 4 2 5
ssbs 3 3 4 2 6
fpcr 3 3 4 4 0
fpsr 3 3 4 4 1
dspsr_el0 3 3 4 5 0
dlr_el0 3 3 4 5 1
spsr_el2 3 4 4 0 0
elr_el2 3 4 4 0 1
sp_el1 3 4 4 1 0
spsr_irq 3 4 4 3 0
spsr_abt 3 4 4 3 1
spsr_und 3 4 4 3 2
spsr_fiq 3 4 4 3 3
spsr_el12 3 5 4 0 0
elr_el12 3 5 4 0 1
spsr_el3 3 6 4 0 0
elr_el3 3 6 4 0 1
sp_el2 3 6 4 1 0
afsr0_el1 3 0 5 1 0
afsr1_el1 3 0 5 1 1
esr_el1 3 0 5 2 0
erridr_el1 3 0 5 3 0 r
errselr_el1 3 0 5 3 1
erxfr_el1 3 0 5 4 0 r
erxctlr_el1 3 0 5 4 1
erxstatus_el1 3 0 5 4 2
erxaddr_el1 3 0 5 4 3
erxmisc0_el1 3 0 5 5 0
erxmisc1_el1 3 0 5 5 1
ifsr32_el2 3 4 5 0 1
afsr0_el2 3 4 5 1 0
afsr1_el2 3 4 5 1 1
esr_el2 3 4 5 2 0
vsesr_el2 3 4 5 2 3
fpexc32_el2 3 4 5 3 0
afsr0_el12 3 5 5 1 0
afsr1_el12 3 5 5 1 1
esr_el12 3 5 5 2 0
afsr0_el3 3 6 5 1 0
afsr1_el3 3 6 5 1 1
esr_el3 3 6 5 2 0
far_el1 3 0 6 0 0
far_el2 3 4 6 0 0
hpfar_el2 3 4 6 0 4
far_el12 3 5 6 0 0
far_el3 3 6 6 0 0
par_el1 3 0 7 4 0
pmintenset_el1 3 0 9 14 1
pmintenclr_el1 3 0 9 14 2
pmcr_el0 3 3 9 12 0
pmcntenset_el0 3 3 9 12 1
pmcntenclr_el0 3 3 9 12 2
pmovsclr_el0 3 3 9 12 3
pmswinc_el0 3 3 9 12 4 w
pmselr_el0 3 3 9 12 5
pmceid0_el0 3 3 9 12 6 r
pmceid1_el0 3 3 9 12 7 r
pmccntr_el0 3 3 9 13 0
pmxevtyper_el0 3 3 9 13 1
pmxevcntr_el0 3 3 9 13 2
pmuserenr_el0 3 3 9 14 0
pmovsset_el0 3 3 9 14 3
pmccfiltr_el0 3 3 14 15 7
mair_el1 3 0 10 2 0
amair_el1 3 0 10 3 0
lorsa_el1 3 0 10 4 0
lorea_el1 3 0 10 4 1
lorn_el1 3 0 10 4 2
lorc_el1 3 0 10 4 3
lorid_el1 3 0 10 4 7 r
mair_el2 3 4 10 2 0
amair_el2 3 4 10 3 0
mair_el12 3 5 10 2 0
amair_el12 3 5 10 3 0
mair_el3 3 6 10 2 0
amair_el3 3 6 10 3 0
vbar_el1 3 0 12 0 0
rvbar_el1 3 0 12 0 1 r
rmr_el1 3 0 12 0 2
isr_el1 3 0 12 1 0 r
disr_el1 3 0 12 1 1
icc_iar0_el1 3 0 12 8 0 r
icc_eoir0_el1 3 0 12 8 1 w
icc_hppir0_el1 3 0 12 8 2 r
icc_bpr0_el1 3 0 12 8 3
icc_ap0r0_el1 3 0 12 8 4
icc_ap0r1_el1 3 0 12 8 5
icc_ap0r2_el1 3 0 12 8 6
icc_ap0r3_el1 3 0 12 8 7
icc_ap1r0_el1 3 0 12 9 0
icc_ap1r1_el1 3 0 12 9 1
icc_ap1r2_el1 3 0 12 9 2
icc_ap1r3_el1 3 0 12 9 3
icc_dir_el1 3 0 12 11 1 w
icc_rpr_el1 3 0 12 11 3 r
icc_sgi1r_el1 3 0 12 11 5 w
icc_asgi1r_el1 3 0 12 11 6 w
icc_sgi0r_el1 3 0 12 11 7 w
icc_iar1_el1 3 0 12 12 0 r
icc_eoir1_el1 3 0 12 12 1 w
icc_hppir1_el1 3 0 12 12 2 r
icc_bpr1_el1 3 0 12 12 3
icc_ctlr_el1 3 0 12 12 4
icc_sre_el1 3 0 12 12 5
icc_igrpen0_el1 3 0 12 12 6
icc_igrpen1_el1 3 0 12 12 7
vbar_el2 3 4 12 0 0
rvbar_el2 3 4 12 0 1 r
rmr_el2 3 4 12 0 2
vdisr_el2 3 4 12 1 1
ich_ap0r0_el2 3 4 12 8 0
ich_ap0r1_el2 3 4 12 8 1
ich_ap0r2_el2 3 4 12 8 2
ich_ap0r3_el2 3 4 12 8 3
ich_ap1r0_el2 3 4 12 9 0
ich_ap1r1_el2 3 4 12 9 1
ich_ap1r2_el2 3 4 12 9 2
ich_ap1r3_el2 3 4 12 9 3
icc_sre_el2 3 4 12 9 5
ich_hcr_el2 3 4 12 11 0
ich_vtr_el2 3 4 12 11 1 r
ich_misr_el2 3 4 12 11 2 r
ich_eisr_el2 3 4 12 11 3 r
ich_elrsr_el2 3 4 12 11 5 r
ich_vmcr_el2 3 4 12 11 7
vbar_el12 3 5 12 0 0
vbar_el3 3 6 12 0 0
rvbar_el3 3 6 12 0 1 r
rmr_el3 3 6 12 0 2
icc_ctlr_el3 3 6 12 12 4
icc_sre_el3 3 6 12 12 5
icc_igrpen1_el3 3 6 12 12 7
contextidr_el1 3 0 13 0 1
tpidr_el1 3 0 13 0 4
tpidr_el0 3 3 13 0 2
tpidrro_el0 3 3 13 0 3
contextidr_el2 3 4 13 0 1
tpidr_el2 3 4 13 0 2
contextidr_el12 3 5 13 0 1
tpidr_el3 3 6 13 0 2
cntkctl_el1 3 0 14 1 0
cntfrq_el0 3 3 14 0 0
cntpct_el0 3 3 14 0 1 r
cntvct_el0 3 3 14 0 2 r
cntp_tval_el0 3 3 14 2 0
cntp_ctl_el0 3 3 14 2 1
cntp_cval_el0 3 3 14 2 2
cntv_tval_el0 3 3 14 3 0
cntv_ctl_el0 3 3 14 3 1
cntv_cval_el0 3 3 14 3 2
cntvoff_el2 3 4 14 0 3
cnthctl_el2 3 4 14 1 0
cnthp_tval_el2 3 4 14 2 0
cnthp_ctl_el2 3 4 14 2 1
cnthp_cval_el2 3 4 14 2 2
cnthv_tval_el2 3 4 14 3 0
cnthv_ctl_el2 3 4 14 3 1
cnthv_cval_el2 3 4 14 3 2
cnthvs_tval_el2 3 4 14 4 0
cnthvs_ctl_el2 3 4 14 4 1
cnthvs_cval_el2 3 4 14 4 2
cnthps_tval_el2 3 4 14 5 0
cnthps_ctl_el2 3 4 14 5 1
cnthps_cval_el2 3 4 14 5 2
cntkctl_el12 3 5 14 1 0
cntp_tval_el02 3 5 14 2 0
cntp_ctl_el02 3 5 14 2 1
cntp_cval_el02 3 5 14 2 2
cntv_tval_el02 3 5 14 3 0
cntv_ctl_el02 3 5 14 3 1
cntv_cval_el02 3 5 14 3 2
cntps_tval_el1 3 7 14 2 0
cntps_ctl_el1 3 7 14 2 1
cntps_cval_el1 3 7 14 2 2
`;

/** GICv3 virtual CPU interface names: ICV_* accesses use the ICC_* encodings. */
const ICV_NAMES = [
  "pmr_el1", "iar0_el1", "eoir0_el1", "hppir0_el1", "bpr0_el1",
  "ap0r0_el1", "ap0r1_el1", "ap0r2_el1", "ap0r3_el1",
  "ap1r0_el1", "ap1r1_el1", "ap1r2_el1", "ap1r3_el1",
  "dir_el1", "rpr_el1", "iar1_el1", "eoir1_el1", "hppir1_el1", "bpr1_el1",
  "ctlr_el1", "igrpen0_el1", "igrpen1_el1",
];

export function sysregKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/** Access restriction of a named register. */
export type SysregAccess = "rw" | "r" | "w";

function build(): { byName: Map<string, number>; byKey: Map<number, string>; access: Map<number, SysregAccess> } {
  const byName = new Map<string, number>();
  const byKey = new Map<number, string>();
  const access = new Map<number, SysregAccess>();
  const add = (name: string, key: number, acc: SysregAccess): void => {
    byName.set(name, key);
    if (!byKey.has(key)) {
      byKey.set(key, name);
      access.set(key, acc);
    }
  };
  for (const line of TABLE.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [name, ...nums] = f;
    const [op0, op1, crn, crm, op2] = nums.slice(0, 5).map(Number) as [number, number, number, number, number];
    add(name!, sysregKey(op0, op1, crn, crm, op2), (f[6] as SysregAccess | undefined) ?? "rw");
  }
  for (let n = 0; n < 16; n++) {
    add(`dbgbvr${n}_el1`, sysregKey(2, 0, 0, n, 4), "rw");
    add(`dbgbcr${n}_el1`, sysregKey(2, 0, 0, n, 5), "rw");
    add(`dbgwvr${n}_el1`, sysregKey(2, 0, 0, n, 6), "rw");
    add(`dbgwcr${n}_el1`, sysregKey(2, 0, 0, n, 7), "rw");
    add(`ich_lr${n}_el2`, sysregKey(3, 4, 12, 12 + (n >> 3), n & 7), "rw");
  }
  for (let n = 0; n < 31; n++) {
    add(`pmevcntr${n}_el0`, sysregKey(3, 3, 14, 8 + (n >> 3), n & 7), "rw");
    add(`pmevtyper${n}_el0`, sysregKey(3, 3, 14, 12 + (n >> 3), n & 7), "rw");
  }
  // DBGDTRTX_EL0 is the write view of DBGDTRRX_EL0's encoding
  byName.set("dbgdtrtx_el0", sysregKey(2, 3, 0, 5, 0));
  for (const n of ICV_NAMES) {
    const k = byName.get(`icc_${n}`);
    if (k !== undefined) byName.set(`icv_${n}`, k);
  }
  return { byName, byKey, access };
}

const BUILT = build();

/** Lower-case register name -> 16-bit key. Also accepts ICV_* names. */
export const SYSREG_BY_NAME: ReadonlyMap<string, number> = BUILT.byName;
/** 16-bit key -> canonical lower-case name (ICC_* for the shared ICC/ICV encodings). */
export const SYSREG_NAME_BY_KEY: ReadonlyMap<number, string> = BUILT.byKey;
/** Registers that are read-only (r) or write-only (w); objdump prints the generic name for the other direction. */
export const SYSREG_ACCESS: ReadonlyMap<number, SysregAccess> = BUILT.access;

/** Generic `s<op0>_<op1>_c<n>_c<m>_<op2>` spelling of a key. */
export function genericSysregName(key: number): string {
  return `s${(key >> 14) & 3}_${(key >> 11) & 7}_c${(key >> 7) & 15}_c${(key >> 3) & 15}_${key & 7}`;
}

/** Parse a register name or the generic form; undefined if unknown. */
export function parseSysreg(name: string): number | undefined {
  const n = name.toLowerCase();
  const k = SYSREG_BY_NAME.get(n);
  if (k !== undefined) return k;
  const m = /^s([0-3])_([0-7])_c(\d+)_c(\d+)_([0-7])$/.exec(n);
  if (!m) return undefined;
  const op0 = Number(m[1]);
  const crn = Number(m[3]);
  const crm = Number(m[4]);
  if (op0 < 2 || crn > 15 || crm > 15) return undefined;
  return sysregKey(op0, Number(m[2]), crn, crm, Number(m[5]));
}
