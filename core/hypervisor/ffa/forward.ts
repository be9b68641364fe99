// Calls the proxy passes to the SPMC through the EL3 firmware's SPMD
// (SMC from NS-EL2, core/software/smcConduit.ts): a direct request to a
// partition, FFA_RUN of a partition a Non-secure interrupt preempted, the
// SPMC's ID. The SPMD either answers at once (the call returns to EL2 with
// the answer in x0-x17) or switches the pCPU to the Secure world; then the
// pCPU comes back to NS-EL2 later with the answer in its registers and the
// hypervisor's resume() completes the call (`pending` records which vCPU
// waits: it stays loaded, its other registers kept by the SPMD's world
// switch). Whatever the Secure world answers (a direct response,
// FFA_INTERRUPT when a Non-secure interrupt preempted the partition,
// FFA_ERROR, FFA_SUCCESS) goes back to the VM as it is.
import { resultRegisters, type FfaResult } from '../../ffa/result.js';
import { smcFromEl2 } from '../../software/smcConduit.js';
import type { Hv } from '../context.js';
import type { VcpuState, VmState } from '../state.js';
import type { FfaPendingCall } from './state.js';

/** SMCCC 1.2: x0-x17 carry an FF-A call and its answer. */
const REGS = 18;

/** Forward `call` (x0-x17) for the vCPU; the answer, or null when the pCPU went to the Secure world (see resume). */
export function forwardToSpmc(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, call: readonly bigint[]): FfaResult | null {
  const fid = Number((call[0] ?? 0n) & 0xffff_ffffn);
  if (smcFromEl2(hv.m, cpu, call.slice(0, REGS))) return answerInRegisters(hv, cpu);
  if (hv.m.stopped) return null;
  hv.s.ffa.pending[cpu] = { vm: vm.id, vcpu: vc.id, fid };
  return null;
}

/** Registers as a pending step keeps them in the record (hex strings). */
export const hexArgs = (x: readonly bigint[]): string[] => x.map((v) => '0x' + v.toString(16));

/** One SMC of the proxy's own (x0-x7 = `call`, the VM's x8-x17 untouched) for a multi-step call;
 *  its answer, or null when the pCPU went to the Secure world (`pending` records `step`). */
export function smcStep(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, fid: number, call: readonly bigint[], step: FfaPendingCall['step'], args: string[]): FfaResult | null {
  if (smcFromEl2(hv.m, cpu, call.slice(0, 8))) return answerInRegisters(hv, cpu);
  if (hv.m.stopped) return null;
  hv.s.ffa.pending[cpu] = { vm: vm.id, vcpu: vc.id, fid, step, args };
  return null;
}

/** x0-x17 as an answer. */
export function answerInRegisters(hv: Hv, cpu: number): FfaResult {
  const regs = hv.m.core.regs(cpu);
  return { x: Array.from({ length: REGS }, (_, i) => regs.x(i)), reason: '' };
}

/** Put an answer in the caller's x0-x7 (x0-x17 when `wide`: an SMC64 call). */
export function setAnswer(hv: Hv, cpu: number, r: FfaResult, wide: boolean): void {
  const regs = hv.m.core.regs(cpu);
  const x = resultRegisters(r);
  const n = wide ? REGS : 8;
  for (let i = 0; i < n; i++) regs.setX(i, x[i]!);
}
