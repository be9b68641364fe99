// The per-world CPU context the EL3 firmware keeps for each PE (TF-A's
// cpu_context_t: gp_regs, el1_sysregs, el2_sysregs, fp_regs, el3_state),
// as plain bytes: one little-endian 64-bit word per register in the fixed
// order below, so a context is a typed array in the firmware's state record
// (state is data) and a switch costs no allocation.
//
// What is in it (the registers this CPU model implements of TF-A's
// cm_el1_sysregs_context_save / cm_el2_sysregs_context_save lists, plus the
// debug and GIC virtual-interface state they bank):
// - x0-x30; SP_EL0, SP_EL1, SP_EL2;
// - the EL1/EL0 system registers (translation, exception, thread ID,
//   CNTKCTL_EL1, the debug registers a world programs);
// - the EL2 system registers (HCR_EL2, stage 2 of either world, traps,
//   ELR/SPSR/ESR/FAR/HPFAR_EL2, CNTHCTL_EL2/CNTVOFF_EL2) and the GIC
//   virtual interface controls ICH_HCR_EL2, ICH_VMCR_EL2, ICH_AP0R0/AP1R0;
// - FP/SIMD: V0-V31, FPCR, FPSR (SMCCC 1.2 §2.8: the SIMD state of the
//   caller is preserved across a world switch, TF-A CTX_INCLUDE_FPREGS);
// - the EL3 state of the world: SCR_EL3, ELR_EL3, SPSR_EL3 (where and in
//   which mode the world resumes).
// Not switched, as in TF-A's default build (NS_TIMER_SWITCH=0): the EL1
// physical and virtual timers, which keep counting while the other world runs.
import type { Machine } from '../machine.js';
import { ICH_AP0R0_EL2, ICH_AP1R0_EL2, ICH_HCR_EL2, ICH_VMCR_EL2 } from '../devices/gicv3/registers.js';

/** System registers of a world, by ARM ARM name (those the CPU lacks are skipped). */
export const WORLD_SYSREGS: readonly string[] = [
  // EL1 and EL0
  'SCTLR_EL1', 'ACTLR_EL1', 'CPACR_EL1', 'CSSELR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'AFSR0_EL1',
  'AFSR1_EL1', 'ESR_EL1', 'FAR_EL1', 'PAR_EL1', 'MAIR_EL1', 'AMAIR_EL1', 'VBAR_EL1', 'CONTEXTIDR_EL1',
  'TPIDR_EL1', 'TPIDR_EL0', 'TPIDRRO_EL0', 'CNTKCTL_EL1', 'ELR_EL1', 'SPSR_EL1', 'SP_EL0', 'SP_EL1',
  'MDSCR_EL1', 'MDCCINT_EL1', 'OSDLR_EL1', 'DBGPRCR_EL1', 'DBGCLAIMSET_EL1',
  'DBGBVR0_EL1', 'DBGBCR0_EL1', 'DBGWVR0_EL1', 'DBGWCR0_EL1', 'DBGBVR1_EL1', 'DBGBCR1_EL1', 'DBGWVR1_EL1', 'DBGWCR1_EL1',
  // EL2
  'HCR_EL2', 'SCTLR_EL2', 'ACTLR_EL2', 'CPTR_EL2', 'MDCR_EL2', 'HSTR_EL2', 'VTTBR_EL2', 'VTCR_EL2', 'VSTTBR_EL2',
  'VSTCR_EL2', 'ESR_EL2', 'FAR_EL2', 'HPFAR_EL2', 'ELR_EL2', 'SPSR_EL2', 'VBAR_EL2', 'TPIDR_EL2', 'VPIDR_EL2',
  'VMPIDR_EL2', 'CNTHCTL_EL2', 'CNTVOFF_EL2', 'SP_EL2',
  // FP/SIMD control and status
  'FPCR', 'FPSR',
  // EL3 state of the world
  'SCR_EL3', 'ELR_EL3', 'SPSR_EL3',
];

/** GIC CPU-interface registers of a world (system-register keys, read and written through the GIC at EL3). */
const WORLD_GIC_REGS: readonly number[] = [ICH_HCR_EL2, ICH_VMCR_EL2, ICH_AP0R0_EL2, ICH_AP1R0_EL2];

const X_AT = 0;
const SYS_AT = X_AT + 31;
const V_AT = SYS_AT + WORLD_SYSREGS.length;
const GIC_AT = V_AT + 64;
const WORDS = GIC_AT + WORLD_GIC_REGS.length;

/** Bytes of one saved world context. */
export const WORLD_CONTEXT_BYTES = WORDS * 8;

/** Word index of general-purpose register x`n` in a context (for the SPMD's argument copies). */
export function xWord(n: number): number {
  return X_AT + n;
}
/** Word index of a named system register in a context. */
export function sysWord(name: string): number {
  const i = WORLD_SYSREGS.indexOf(name);
  if (i < 0) throw new Error(`${name} is not part of a world context`);
  return SYS_AT + i;
}

function view(ctx: Uint8Array): DataView {
  return new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
}

export function contextWord(ctx: Uint8Array, word: number): bigint {
  return view(ctx).getBigUint64(word * 8, true);
}
export function setContextWord(ctx: Uint8Array, word: number, v: bigint): void {
  view(ctx).setBigUint64(word * 8, BigInt.asUintN(64, v), true);
}

/** A fresh context: every register at its reset value (what TF-A's cm_setup_context starts from), x0-x30 zero. */
export function resetContext(m: Machine, cpu: number): Uint8Array {
  const ctx = new Uint8Array(WORLD_CONTEXT_BYTES);
  const dv = view(ctx);
  const regs = m.core.regs(cpu);
  WORLD_SYSREGS.forEach((n, i) => {
    if (regs.has(n)) dv.setBigUint64((SYS_AT + i) * 8, regs.resetValue(n), true);
  });
  // The identification EL2 presents to EL1 is the PE's own (CpuCore.reset sets them the same way).
  dv.setBigUint64(sysWord('VMPIDR_EL2') * 8, regs.get('MPIDR_EL1'), true);
  dv.setBigUint64(sysWord('VPIDR_EL2') * 8, regs.get('MIDR_EL1'), true);
  return ctx;
}

/** The context's 32-bit words (a context is always a fresh, aligned buffer: see the SPMD's loadState). */
function words(ctx: Uint8Array): Uint32Array {
  return new Uint32Array(ctx.buffer, ctx.byteOffset, ctx.byteLength / 4);
}

/** Save the world that just trapped to EL3 on `cpu` into `ctx` (the PE is at EL3). */
export function saveWorld(m: Machine, cpu: number, ctx: Uint8Array): void {
  const w = words(ctx);
  const regs = m.core.regs(cpu);
  regs.readGprWords(w, X_AT * 2);
  regs.readNamedWords(WORLD_SYSREGS, w, SYS_AT * 2);
  regs.readVectorWords(w, V_AT * 2);
  const dv = view(ctx);
  const out = { value: 0n };
  for (let i = 0; i < WORLD_GIC_REGS.length; i++) {
    out.value = 0n;
    m.gic.read(cpu, WORLD_GIC_REGS[i]!, out);
    dv.setBigUint64((GIC_AT + i) * 8, out.value, true);
  }
}

/** Load `ctx` into `cpu` (at EL3): the next ERET enters that world where it left off. */
export function restoreWorld(m: Machine, cpu: number, ctx: Uint8Array): void {
  const w = words(ctx);
  const regs = m.core.regs(cpu);
  regs.writeGprWords(w, X_AT * 2);
  regs.writeNamedWords(WORLD_SYSREGS, w, SYS_AT * 2);
  regs.writeVectorWords(w, V_AT * 2);
  const dv = view(ctx);
  for (let i = 0; i < WORLD_GIC_REGS.length; i++) m.gic.write(cpu, WORLD_GIC_REGS[i]!, dv.getBigUint64((GIC_AT + i) * 8, true));
  // No exclusive monitor survives a change of world (ARM ARM B2.9.5: an exception return may clear it; TF-A's el3_exit does).
  regs.clearExclusive();
}
