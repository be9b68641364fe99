// The PSCI firmware stand-in for bare-metal runs: what QEMU's built-in PSCI
// or KVM provide to a guest. Plugged in at Non-secure EL2 (HVC) on a machine
// with no hypervisor (EL3 has the firmware: el3Firmware.ts; tests may plug
// the stand-in in there too, and it then answers SMC the same way): it
// answers PSCI 1.0/SMCCC 1.1 calls (psci.ts, over the machine's power
// controller) and returns; any other exception at those levels stops the
// run, since nothing there could handle it.
import { EXC_SYNC } from '../cpu/cpu.js';
import type { Machine } from '../machine.js';
import type { ExceptionSoftware } from '../software/software.js';
import { hex64, worldField } from '../trace/events.js';
import { psciCall } from './psci.js';

const EC_HVC64 = 0x16;
const EC_SMC64 = 0x17;

export class PsciStandIn implements ExceptionSoftware {
  /** PSCI over HVC (EL2) and SMC (EL3); anything else at those levels stops the run. */
  handle(m: Machine, cpu: number, toEl: number): void {
    const esr = m.core.regs(cpu).get(toEl === 2 ? 'ESR_EL2' : 'ESR_EL3');
    const ec = Number((esr >> 26n) & 0x3fn);
    const kind = m.core.excKind(cpu);
    if (kind === EXC_SYNC && ((toEl === 2 && ec === EC_HVC64) || (toEl === 3 && ec === EC_SMC64))) {
      smcccCall(m, cpu, toEl);
      if (m.cpuState(cpu) !== 'off' && !m.stopped) m.core.eret(cpu);
      return;
    }
    m.stop({ kind: 'halt', message: `cpu${cpu}: exception to EL${toEl} (EC 0x${ec.toString(16)}, ESR 0x${esr.toString(16)}) with no EL${toEl} software to handle it` });
  }
}

/** An SMCCC call (x0 = function id) from `cpu`, taken to `toEl`, answered in x0. */
export function smcccCall(m: Machine, cpu: number, toEl: number): void {
  const regs = m.core.regs(cpu);
  const fn = Number(regs.x(0) & 0xffff_ffffn);
  const args = [regs.x(1), regs.x(2), regs.x(3)];
  // The caller's EL from SPSR_ELx.M[3:2] (CPU_ON starts the target there).
  const callerEl = Number((regs.get(toEl === 3 ? 'SPSR_EL3' : 'SPSR_EL2') >> 2n) & 3n) || 1;
  const result = psciCall(m, { cpu, callerEl, fn, args });
  if (result !== null) regs.setX(0, result);
  m.trace.emit({ kind: 'psci', tick: m.core.nowTick(cpu), cpu, fn, args: args.map(hex64), result: hex64(result ?? 0n), ...worldField(m.core.isNonSecure(cpu)) });
}
