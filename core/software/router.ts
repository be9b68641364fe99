// Routes an exception taken to EL2/EL3 to the software plugged in for that
// level and Security state (software.ts). A slot left empty stops the run
// with a halt naming it, as a real machine with nothing at that level would
// be stuck.
import type { Machine } from '../machine.js';
import { slotFor, type ExceptionSoftware, type SoftwareSlot } from './software.js';

export class SoftwareRouter {
  private readonly slots = new Map<SoftwareSlot, ExceptionSoftware>();

  /** Plug `sw` in at `slot`, replacing what was there. */
  install(slot: SoftwareSlot, sw: ExceptionSoftware): void {
    this.slots.set(slot, sw);
  }

  get(slot: SoftwareSlot): ExceptionSoftware | undefined {
    return this.slots.get(slot);
  }

  /** The software at EL `el` of `cpu`'s current Security state. */
  at(m: Machine, cpu: number, el: number): ExceptionSoftware | undefined {
    return this.slots.get(slotFor(el, m.core.isNonSecure(cpu)));
  }

  /** Hand an exception taken to `toEl` on `cpu` to its software. */
  handle(m: Machine, cpu: number, toEl: number): void {
    const slot = slotFor(toEl, m.core.isNonSecure(cpu));
    const sw = this.slots.get(slot);
    if (sw) sw.handle(m, cpu, toEl);
    else m.stop({ kind: 'halt', message: `cpu${cpu}: exception to ${slot === 'el3' ? 'EL3' : slot === 'el2-ns' ? 'Non-secure EL2' : 'Secure EL2'} with no software there` });
  }
}
