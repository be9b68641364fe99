// What TypeScript software at EL2 does to execute `SMC #0`: the exception
// the PE takes to EL3 (ARM ARM D1.10: ESR_EL3 = EC 0x17 with IL, ELR_EL3 =
// the return address, SPSR_EL3 = PSTATE, EL3h with every exception masked),
// handed to the software plugged in at EL3. The S-EL2 software (the SPMC)
// talks to the EL3 firmware's SPMD this way, with x0-x17 as SMCCC 1.2 says.
//
// When the call returns to the caller (same EL and Security state), its
// results are in x0-x17 and `smcFromEl2` says so; otherwise EL3 switched the
// PE to the other world (the caller resumes later, entered again at EL2).
import { EXC_SYNC } from '../cpu/cpu.js';
import type { Machine } from '../machine.js';

const EC_SMC64 = 0x17;
const ESR_IL = 1n << 25n;
const PSTATE_EL3H = 0x3cd;

/** Set x0..x(args.length - 1), take the SMC to EL3; true when it returned to the caller. */
export function smcFromEl2(m: Machine, cpu: number, args: readonly bigint[]): boolean {
  const core = m.core;
  const regs = core.regs(cpu);
  args.forEach((v, i) => regs.setX(i, v));
  const pstate = core.pstate(cpu);
  const nonSecure = core.isNonSecure(cpu);
  regs.set('ESR_EL3', (BigInt(EC_SMC64) << 26n) | ESR_IL);
  regs.set('ELR_EL3', core.getPc(cpu));
  regs.set('SPSR_EL3', BigInt(pstate));
  core.setPstate(cpu, PSTATE_EL3H);
  core.setExcKind(cpu, EXC_SYNC);
  m.software.handle(m, cpu, 3);
  return !m.stopped && m.cpuState(cpu) !== 'off' && core.el(cpu) === ((pstate >>> 2) & 3) && core.isNonSecure(cpu) === nonSecure;
}
