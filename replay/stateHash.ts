// A hash of the machine's architectural and device state, recorded every K
// events so a replay notices a divergence even before it shows up as a
// different event. RAM is not included (too large to hash this often); a
// memory difference surfaces soon after in registers or events.
import { createHash } from 'node:crypto';
import * as L from '../core/cpu/layout.js';
import type { Machine } from '../core/machine.js';

export function machineStateHash(m: Machine): string {
  const h = createHash('sha256');
  const core = m.core;
  // Architectural state only: statistics (TLB fills, flush counts) and
  // per-call scratch depend on how the run was observed (e.g. snapshots).
  for (let c = 0; c < m.numCpus; c++) {
    const b = core.base(c);
    h.update(core.bytes.subarray(b, b + L.ST_EXIT_REASON)); // X, PC, PSTATE, SP banks, exclusive values
    h.update(core.bytes.subarray(b + L.ST_IRQ_LINES, b + L.ST_EXCL_ADDR + 8)); // lines, event register, monitor
    h.update(core.bytes.subarray(b + L.ST_V, b + L.ST_FPSR + 8)); // V0-V31, FPCR, FPSR
    h.update(core.bytes.subarray(b + L.ST_SYSREG, b + L.ST_SYSREG + L.SYSREG_SLOTS * 8));
  }
  h.update(JSON.stringify([m.gic.getState(), m.timer.getState(), m.uart.getState(), m.rtc.getState(), m.queue.getState(), m.prng.getState()]));
  for (const n of m.componentNames()) h.update(JSON.stringify(m.component(n).getState()));
  return h.digest('hex').slice(0, 32);
}
