// vCPU context switch: what a hypervisor saves when a vCPU leaves its pCPU
// and restores when it comes back (GPRs, SP_EL0/SP_EL1, ELR/SPSR_EL2 as the
// vCPU's PC/PSTATE, the EL1 system registers, FP/SIMD, both EL1 timers and
// the GIC virtual CPU interface control state). The list registers are not
// here: vgic.ts folds them into the shadow state at every exit.
import type { CpuCore } from '../cpu/cpu.js';
import { ICH_AP0R0_EL2, ICH_AP1R0_EL2, ICH_VMCR_EL2 } from '../devices/gicv3/registers.js';
import { KEY_CNTP_CTL_EL0, KEY_CNTP_CVAL_EL0, KEY_CNTV_CTL_EL0, KEY_CNTV_CVAL_EL0 } from '../devices/timer/genericTimer.js';
import * as A from './arch.js';
import type { VcpuContext } from './state.js';

export const CONTEXT_SYSREGS = [
  'SCTLR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'MAIR_EL1', 'AMAIR_EL1', 'VBAR_EL1', 'ESR_EL1', 'FAR_EL1',
  'ELR_EL1', 'SPSR_EL1', 'PAR_EL1', 'AFSR0_EL1', 'AFSR1_EL1', 'CPACR_EL1', 'CONTEXTIDR_EL1', 'TPIDR_EL0',
  'TPIDRRO_EL0', 'TPIDR_EL1', 'CNTKCTL_EL1', 'MDSCR_EL1', 'VMPIDR_EL2',
  // The guest's self-hosted debug state (each vCPU its own breakpoints, watchpoints, OS lock).
  'OSLSR_EL1', 'OSDLR_EL1', 'DBGPRCR_EL1',
  ...[0, 1, 2, 3, 4, 5].flatMap((n) => [`DBGBVR${n}_EL1`, `DBGBCR${n}_EL1`]),
  ...[0, 1, 2, 3].flatMap((n) => [`DBGWVR${n}_EL1`, `DBGWCR${n}_EL1`]),
];

/** Physical system-register access of the pCPU at EL2 (GIC and timer). */
export interface SysAccess {
  sysRead(cpu: number, key: number): bigint;
  sysWrite(cpu: number, key: number, value: bigint): void;
}

/** The architectural reset context of a vCPU entering at `entry` with x0 = `x0`, EL1h. */
export function freshContext(core: CpuCore, vcpu: number, entry: bigint, x0: bigint): VcpuContext {
  const regs = core.regs(0);
  const sys: Record<string, string> = {};
  for (const n of CONTEXT_SYSREGS) if (regs.has(n)) sys[n] = A.hex(regs.resetValue(n));
  sys['VMPIDR_EL2'] = A.hex(0x8000_0000n | BigInt(vcpu)); // Aff0 = vCPU index, U = 0, MT = 0
  return {
    x: Array.from({ length: 31 }, (_, i) => (i === 0 ? A.hex(x0) : '0x0')),
    pc: A.hex(entry), pstate: A.hex(BigInt(A.PSTATE_EL1H_MASKED)), spEl0: '0x0', spEl1: '0x0', sys,
    v: new Array<string>(64).fill('0x0'), fpcr: '0x0', fpsr: '0x0',
    cntvCtl: 0, cntvCval: '0x0', cntpCtl: 0, cntpCval: '0x0', vmcr: '0x0', ap0r: '0x0', ap1r: '0x0',
  };
}

/** Save the vCPU loaded on `cpu` (the pCPU is at EL2) and quiesce its timers. */
export function saveContext(core: CpuCore, h: SysAccess, cpu: number): VcpuContext {
  const regs = core.regs(cpu);
  const sys: Record<string, string> = {};
  for (const n of CONTEXT_SYSREGS) if (regs.has(n)) sys[n] = A.hex(regs.get(n));
  const v: string[] = [];
  for (let i = 0; i < 32; i++) {
    const [lo, hi] = regs.v(i);
    v.push(A.hex(lo), A.hex(hi));
  }
  const ctx: VcpuContext = {
    x: Array.from({ length: 31 }, (_, i) => A.hex(regs.x(i))),
    pc: A.hex(regs.get('ELR_EL2')),
    pstate: A.hex(regs.get('SPSR_EL2')),
    spEl0: A.hex(regs.get('SP_EL0')),
    spEl1: A.hex(regs.get('SP_EL1')),
    sys, v,
    fpcr: A.hex(regs.get('FPCR')),
    fpsr: A.hex(regs.get('FPSR')),
    cntvCtl: Number(h.sysRead(cpu, KEY_CNTV_CTL_EL0) & 3n),
    cntvCval: A.hex(h.sysRead(cpu, KEY_CNTV_CVAL_EL0)),
    cntpCtl: Number(h.sysRead(cpu, KEY_CNTP_CTL_EL0) & 3n),
    cntpCval: A.hex(h.sysRead(cpu, KEY_CNTP_CVAL_EL0)),
    vmcr: A.hex(h.sysRead(cpu, ICH_VMCR_EL2)),
    ap0r: A.hex(h.sysRead(cpu, ICH_AP0R0_EL2)),
    ap1r: A.hex(h.sysRead(cpu, ICH_AP1R0_EL2)),
  };
  // The timers stay with the vCPU: stop them on this pCPU.
  h.sysWrite(cpu, KEY_CNTV_CTL_EL0, 0n);
  h.sysWrite(cpu, KEY_CNTP_CTL_EL0, 0n);
  regs.clearExclusive();
  return ctx;
}

/** Load a saved context into `cpu` (at EL2; CNTVOFF_EL2 already set for the VM). */
export function loadContext(core: CpuCore, h: SysAccess, cpu: number, c: VcpuContext): void {
  const regs = core.regs(cpu);
  for (let i = 0; i < 31; i++) regs.setX(i, BigInt(c.x[i]!));
  regs.set('ELR_EL2', BigInt(c.pc));
  regs.set('SPSR_EL2', BigInt(c.pstate));
  regs.set('SP_EL0', BigInt(c.spEl0));
  regs.set('SP_EL1', BigInt(c.spEl1));
  for (const n of CONTEXT_SYSREGS) {
    // A context saved before a register joined the list: its reset value.
    if (regs.has(n)) regs.set(n, c.sys[n] !== undefined ? BigInt(c.sys[n]) : regs.resetValue(n));
  }
  for (let i = 0; i < 32; i++) regs.setV(i, BigInt(c.v[2 * i]!), BigInt(c.v[2 * i + 1]!));
  regs.set('FPCR', BigInt(c.fpcr));
  regs.set('FPSR', BigInt(c.fpsr));
  h.sysWrite(cpu, KEY_CNTV_CVAL_EL0, BigInt(c.cntvCval));
  h.sysWrite(cpu, KEY_CNTV_CTL_EL0, BigInt(c.cntvCtl));
  h.sysWrite(cpu, KEY_CNTP_CVAL_EL0, BigInt(c.cntpCval));
  h.sysWrite(cpu, KEY_CNTP_CTL_EL0, BigInt(c.cntpCtl));
  h.sysWrite(cpu, ICH_VMCR_EL2, BigInt(c.vmcr));
  h.sysWrite(cpu, ICH_AP0R0_EL2, BigInt(c.ap0r));
  h.sysWrite(cpu, ICH_AP1R0_EL2, BigInt(c.ap1r));
  regs.clearExclusive();
}

/** Counter value at which a saved vCPU's enabled, unmasked timer fires (Infinity: never). */
export function timerDeadline(c: VcpuContext, cntvoff: bigint): number {
  let d = Infinity;
  if ((c.cntvCtl & 3) === 1) d = Math.min(d, Number(BigInt(c.cntvCval) + cntvoff));
  if ((c.cntpCtl & 3) === 1) d = Math.min(d, Number(BigInt(c.cntpCval)));
  return d;
}
