// Exceptions the hypervisor makes a guest take at EL1, as the PE would have
// taken them (D1.10.2): ESR/FAR/ELR/SPSR_EL1 written, and the trap's return
// (ELR_EL2/SPSR_EL2) redirected to the guest's vector at EL1h with DAIF masked.
import * as A from './arch.js';
import type { Hv } from './context.js';

/** Enter the guest's EL1 vector for a synchronous exception with `esr` (and `far` when it has one). */
export function injectSync(hv: Hv, cpu: number, esr: bigint, far: bigint | null): void {
  const regs = hv.m.core.regs(cpu);
  const spsr = regs.get('SPSR_EL2');
  const fromEl = Number((spsr >> 2n) & 3n);
  regs.set('ESR_EL1', esr);
  if (far !== null) regs.set('FAR_EL1', far);
  regs.set('ELR_EL1', regs.get('ELR_EL2'));
  regs.set('SPSR_EL1', spsr);
  const off = fromEl === 0 ? 0x400n : (spsr & 1n) ? 0x200n : 0n;
  regs.set('ELR_EL2', regs.get('VBAR_EL1') + off);
  regs.set('SPSR_EL2', BigInt(A.PSTATE_EL1H_MASKED));
}

/** A synchronous external abort (DFSC/IFSC 0x10), as KVM injects for an access nothing backs. */
export function injectAbort(hv: Hv, cpu: number, data: boolean, far: bigint): void {
  hv.s.counters['injectedAborts']!++;
  const fromEl = Number((hv.m.core.regs(cpu).get('SPSR_EL2') >> 2n) & 3n);
  const ec = data ? (fromEl === 0 ? A.EC_DABT_LOW : A.EC_DABT_CUR) : (fromEl === 0 ? A.EC_IABT_LOW : A.EC_IABT_CUR);
  injectSync(hv, cpu, (BigInt(ec) << 26n) | (1n << 25n) | 0x10n, far);
}

/** UNDEFINED at EL1 (EC 0, IL = 1). */
export function injectUndef(hv: Hv, cpu: number): void {
  injectSync(hv, cpu, 1n << 25n, null);
}
