// One execution context of a partition (a vCPU): what the SPMC saves when
// the partition stops running on a PE and loads when it runs again. As
// Hafnium's `struct arch_regs`: x0-x30, where it resumes (ELR_EL2) and in
// which mode (SPSR_EL2), its EL1/EL0 system registers (the EL1 part of the
// EL3 firmware's world context, worldContext.ts), FP/SIMD V0-V31, FPCR,
// FPSR, and its virtual-interrupt line (HCR_EL2.VI). Plain bytes, one
// little-endian 64-bit word per register, so a context sits in the SPMC's
// record as data.
import type { Machine } from '../machine.js';
import { WORLD_SYSREGS } from '../firmware/worldContext.js';

/** The EL1/EL0 system registers of a partition (the world context's list up to the EL2 ones). */
export const PARTITION_SYSREGS: readonly string[] = [...WORLD_SYSREGS.slice(0, WORLD_SYSREGS.indexOf('HCR_EL2')), 'FPCR', 'FPSR', 'ELR_EL2', 'SPSR_EL2'];

const X_AT = 0;
const SYS_AT = 31;
const V_AT = SYS_AT + PARTITION_SYSREGS.length;
const VI_AT = V_AT + 64;
const WORDS = VI_AT + 1;
export const PARTITION_CONTEXT_BYTES = WORDS * 8;

const HCR_VI = 1n << 7n;

function words(ctx: Uint8Array): Uint32Array {
  return new Uint32Array(ctx.buffer, ctx.byteOffset, ctx.byteLength / 4);
}
function view(ctx: Uint8Array): DataView {
  return new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
}

function sysIndex(name: string): number {
  const i = PARTITION_SYSREGS.indexOf(name);
  if (i < 0) throw new Error(`${name} is not part of a partition context`);
  return SYS_AT + i;
}

export function contextReg(ctx: Uint8Array, name: string): bigint {
  return view(ctx).getBigUint64(sysIndex(name) * 8, true);
}
export function setContextReg(ctx: Uint8Array, name: string, v: bigint): void {
  view(ctx).setBigUint64(sysIndex(name) * 8, BigInt.asUintN(64, v), true);
}
export function contextX(ctx: Uint8Array, n: number): bigint {
  return view(ctx).getBigUint64((X_AT + n) * 8, true);
}
export function setContextX(ctx: Uint8Array, n: number, v: bigint): void {
  view(ctx).setBigUint64((X_AT + n) * 8, BigInt.asUintN(64, v), true);
}

/**
 * A fresh context entering at `entry` at EL1h with every exception masked
 * (FF-A v1.1 §5.2 does not fix PSTATE; Hafnium's arch_regs_reset masks
 * DAIF), the EL1 registers at their reset values, x0-x30 zero but `args`.
 */
export function freshContext(m: Machine, cpu: number, entry: bigint, args: readonly bigint[] = []): Uint8Array {
  const ctx = new Uint8Array(PARTITION_CONTEXT_BYTES);
  const regs = m.core.regs(cpu);
  PARTITION_SYSREGS.forEach((n) => {
    if (regs.has(n)) setContextReg(ctx, n, regs.resetValue(n));
  });
  setContextReg(ctx, 'ELR_EL2', entry);
  setContextReg(ctx, 'SPSR_EL2', 0x3c5n);
  args.forEach((v, i) => setContextX(ctx, i, v));
  return ctx;
}

/** Save the partition that just trapped to S-EL2 on `cpu`, resuming at `elr`. */
export function saveContext(m: Machine, cpu: number, ctx: Uint8Array, elr: bigint): void {
  const w = words(ctx);
  const regs = m.core.regs(cpu);
  regs.readGprWords(w, X_AT * 2);
  regs.readNamedWords(PARTITION_SYSREGS, w, SYS_AT * 2);
  regs.readVectorWords(w, V_AT * 2);
  setContextReg(ctx, 'ELR_EL2', elr);
  view(ctx).setBigUint64(VI_AT * 8, (regs.get('HCR_EL2') & HCR_VI) !== 0n ? 1n : 0n, true);
}

/** Load `ctx` into `cpu` (at S-EL2); the next ERET resumes it. HCR_EL2.VI as the context had it. */
export function loadContext(m: Machine, cpu: number, ctx: Uint8Array): void {
  const w = words(ctx);
  const regs = m.core.regs(cpu);
  regs.writeGprWords(w, X_AT * 2);
  regs.writeNamedWords(PARTITION_SYSREGS, w, SYS_AT * 2);
  regs.writeVectorWords(w, V_AT * 2);
  const vi = view(ctx).getBigUint64(VI_AT * 8, true) !== 0n;
  const hcr = regs.get('HCR_EL2');
  regs.set('HCR_EL2', vi ? hcr | HCR_VI : hcr & ~HCR_VI);
  regs.clearExclusive();
}

/** The context's virtual IRQ line. */
export function setContextVirq(ctx: Uint8Array, on: boolean): void {
  view(ctx).setBigUint64(VI_AT * 8, on ? 1n : 0n, true);
}
