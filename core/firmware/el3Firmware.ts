// The EL3 firmware plugged in at EL3 (software/router.ts): what TF-A's BL31
// does on an SMC, acting only through architectural state. It reads the
// call's x0-x17, hands it to its service (el3Services.ts), writes back only
// the result registers the service defines (every other register returns
// unchanged, SMCCC 1.2), records the call as a trace event and returns to
// the caller with ERET. Any other exception taken to EL3 stops the run: no
// EL3 software could handle it.
//
// It holds no state of its own today (PSCI power states are the machine's);
// the world switch and the SPMD relay to Secure EL2 (answers of kind
// 'to-secure') come with the secure CPU and its state record.
import { EXC_SYNC } from '../cpu/cpu.js';
import type { Machine } from '../machine.js';
import type { ExceptionSoftware } from '../software/software.js';
import { hex64, worldField } from '../trace/events.js';
import { el3Service } from './el3Services.js';
import { fidOf, SMCCC_REGS, type SmcccAnswer, type SmcccCall } from './smccc.js';
import type { SecurePayload } from './securePayload.js';

/** ESR_EL3.EC of an SMC executed in AArch64 state. */
const EC_SMC64 = 0x17;

export class El3Firmware implements ExceptionSoftware {
  /** The secure payload dispatcher (securePayload.ts), when a payload runs at Secure EL1. */
  securePayload: SecurePayload | undefined = undefined;

  handle(m: Machine, cpu: number, toEl: number): void {
    const regs = m.core.regs(cpu);
    const esr = regs.get('ESR_EL3');
    const ec = Number((esr >> 26n) & 0x3fn);
    if (toEl === 3 && m.core.excKind(cpu) === EXC_SYNC && ec === EC_SMC64) {
      this.smc(m, cpu);
      return;
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
      x: Array.from({ length: SMCCC_REGS }, (_, i) => regs.x(i)),
    };
    const fn = fidOf(call);
    if (this.securePayload?.smc(m, cpu, call)) {
      m.trace.emit({ kind: 'psci', tick: m.core.nowTick(cpu), cpu, fn, args: call.x.slice(1, 4).map(hex64), result: '0x0', ...worldField(nonSecure) });
      return;
    }
    const a: SmcccAnswer = el3Service(fn)(call, { psci: m, secureEl2: m.software.get('el2-s') !== undefined });
    if (a.kind === 'to-secure') {
      m.stop({ kind: 'halt', message: `cpu${cpu}: FF-A call 0x${fn.toString(16)} for the Secure EL2 software: the SPMD relay is not built yet` });
      return;
    }
    if (a.kind === 'return') a.results.forEach((v, i) => regs.setX(i, v));
    m.trace.emit({
      kind: 'psci', tick: m.core.nowTick(cpu), cpu, fn, args: call.x.slice(1, 4).map(hex64),
      result: hex64(a.kind === 'return' ? a.results[0] ?? call.x[0]! : 0n), ...worldField(nonSecure),
    });
    if (m.cpuState(cpu) !== 'off' && !m.stopped) m.core.eret(cpu);
  }
}
