// The privileged software the machine runs as TypeScript: what an exception
// taken to EL2 or EL3 is handed to. Three plug-in slots, by the level and
// Security state the exception is taken to (Arm ARM D1.3): the EL3 firmware,
// the Non-secure EL2 software (the hypervisor, or the PSCI stand-in on a bare
// machine) and the Secure EL2 software (the SPMC). Each acts only through
// architectural state (ARCHITECTURE.md principle 4).
import type { Machine } from '../machine.js';

export type SoftwareSlot = 'el3' | 'el2-ns' | 'el2-s';

export const SOFTWARE_SLOTS: readonly SoftwareSlot[] = ['el3', 'el2-ns', 'el2-s'];

export interface ExceptionSoftware {
  /** Handle an exception taken to `toEl` on `cpu`; must leave the CPU ready to run (usually via eret). */
  handle(m: Machine, cpu: number, toEl: number): void;
  /**
   * Optional: called instead of running the core when a CPU that is at EL2
   * is scheduled (an EL2 hypervisor's pCPU just started by PSCI CPU_ON at
   * EL2, or woken from sleepCpu()). It must either return the CPU to a lower
   * EL (usually via eret), put it back to sleep with sleepCpu(), or leave it
   * at the other Security state's EL2 through an SMC (a world switch at
   * EL3): the machine then hands it to that software's resume().
   */
  resume?(m: Machine, cpu: number): void;
}

/** The slot an exception taken to `toEl` in the given Security state goes to. */
export function slotFor(toEl: number, nonSecure: boolean): SoftwareSlot {
  return toEl === 3 ? 'el3' : nonSecure ? 'el2-ns' : 'el2-s';
}
