// The EL3 firmware plugged in at EL3 (software/router.ts): what TF-A's BL31
// does on an SMC, acting only through architectural state. It reads the
// call's x0-x17, hands it to its service (el3Services.ts), writes back only
// the result registers the service defines (every other register returns
// unchanged, SMCCC 1.2), records the call as a trace event and returns to
// the caller with ERET. Any other exception taken to EL3 stops the run: no
// EL3 software could handle it.
//
// FF-A calls with S-EL2 software present (answers of kind 'to-secure'), the
// Secure world's boot and power-management messages and Secure interrupts
// taken to EL3 go to its SPM Dispatcher (spmd.ts), which owns the per-PE
// world switch and the firmware's state record.
import { EXC_FIQ, EXC_SYNC } from '../cpu/cpu.js';
import type { Machine } from '../machine.js';
import type { ExceptionSoftware } from '../software/software.js';
import { hex64, worldField } from '../trace/events.js';
import { el3Service } from './el3Services.js';
import { fidOf, SMCCC_REGS, type SmcccAnswer, type SmcccCall } from './smccc.js';
import { PSCI_CPU_OFF, PSCI_CPU_ON_32, PSCI_CPU_ON_64 } from './psci.js';
import { Spmd } from './spmd.js';
import { takeGroup0 } from './el3Interrupts.js';
import type { SecurePayload } from './securePayload.js';

/** The component name of the firmware's record (a machine with two Security states registers it itself). */
export const EL3_FIRMWARE_COMPONENT = 'el3-firmware';

/** ESR_EL3.EC of an SMC executed in AArch64 state. */
const EC_SMC64 = 0x17;

export class El3Firmware implements ExceptionSoftware {
  /** The SPM Dispatcher: world switch and FF-A relay (its state is the firmware's record). */
  readonly spmd: Spmd;
  /** The secure payload dispatcher (securePayload.ts), when a payload runs at Secure EL1 (no S-EL2 software). */
  securePayload: SecurePayload | undefined = undefined;

  constructor(numCpus: number) {
    this.spmd = new Spmd(numCpus);
  }

  handle(m: Machine, cpu: number, toEl: number): void {
    const regs = m.core.regs(cpu);
    const esr = regs.get('ESR_EL3');
    const ec = Number((esr >> 26n) & 0x3fn);
    const kind = m.core.excKind(cpu);
    if (toEl === 3 && kind === EXC_SYNC && ec === EC_SMC64) {
      this.smc(m, cpu);
      return;
    }
    if (toEl === 3 && kind === EXC_FIQ && m.config.secure) {
      if (takeGroup0(m, cpu)) {
        m.core.eret(cpu);
        return;
      }
      if (this.spmd.secureInterrupt(m, cpu)) return;
    }
    m.stop({ kind: 'halt', message: `cpu${cpu}: exception to EL3 (EC 0x${ec.toString(16)}, ESR 0x${esr.toString(16)}) that the EL3 firmware does not handle` });
  }

  private smc(m: Machine, cpu: number): void {
    const regs = m.core.regs(cpu);
    const nonSecure = m.core.isNonSecure(cpu);
    const call: SmcccCall = {
      cpu,
      // The caller's EL from SPSR_EL3.M[3:2] (CPU_ON starts the target there).
      callerEl: Number((regs.get('SPSR_EL3') >> 2n) & 3n) || 1,
      world: nonSecure ? 'ns' : 's',
      x: readArgs(regs),
    };
    const fn = fidOf(call);
    if (this.securePayload?.smc(m, cpu, call)) {
      callEvent(m, call, fn, 0n);
      return;
    }
    const secureEl2 = m.software.get('el2-s') !== undefined;
    if (fn === PSCI_CPU_OFF && secureEl2 && nonSecure && this.spmd.cpuOff(m, cpu, call)) return;
    const a: SmcccAnswer = el3Service(fn)(call, { psci: m, secureEl2 });
    if (a.kind === 'to-secure') {
      this.spmd.smc(m, cpu, call);
      return;
    }
    if (a.kind === 'return') a.results.forEach((v, i) => regs.setX(i, v));
    callEvent(m, call, fn, a.kind === 'return' ? a.results[0] ?? call.x[0]! : 0n);
    if (m.cpuState(cpu) !== 'off' && !m.stopped) m.core.eret(cpu);
    // CPU_ON done: with S-EL2 software the target enters the SPMC's secondary entry first.
    if (secureEl2 && (fn === PSCI_CPU_ON_32 || fn === PSCI_CPU_ON_64) && a.kind === 'return' && a.results[0] === 0n) {
      const target = cpuOfMpidr(m, call.x[1]!);
      if (target >= 0) this.spmd.cpuOnFinish(m, target);
    }
  }
}

/** The trace event of an SMC the firmware answered: its function, x1-x3, and x0 of the answer. */
function callEvent(m: Machine, call: SmcccCall, fn: number, result: bigint): void {
  m.trace.emit({
    kind: 'psci', tick: m.core.nowTick(call.cpu), cpu: call.cpu, fn, args: call.x.slice(1, 4).map(hex64),
    result: hex64(result), ...worldField(call.world === 'ns'),
  });
}

/** x0-x17 of an SMC (a plain loop: this is on every SMC's path). */
function readArgs(regs: ReturnType<Machine['core']['regs']>): bigint[] {
  const x = new Array<bigint>(SMCCC_REGS);
  for (let i = 0; i < SMCCC_REGS; i++) x[i] = regs.x(i);
  return x;
}

/** The PE whose MPIDR affinity fields (Aff3, Aff2:Aff0) match `mpidr`, or -1. */
function cpuOfMpidr(m: Machine, mpidr: bigint): number {
  const aff = (v: bigint): bigint => v & 0xff_00ff_ffffn;
  for (let c = 0; c < m.numCpus; c++) if (aff(m.mpidr(c)) === aff(mpidr)) return c;
  return -1;
}
