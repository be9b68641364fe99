// A hash of the machine's architectural and device state, recorded every K
// events so a replay notices a divergence even before it shows up as a
// different event. RAM is not included (too large to hash this often); a
// memory difference surfaces soon after in registers or events.
import { createHash } from 'node:crypto';
import type { Machine } from '../core/machine.js';

export function machineStateHash(m: Machine): string {
  const h = createHash('sha256');
  const core = m.core;
  // Architectural state only: statistics (TLB fills, flush counts) and
  // per-call scratch depend on how the run was observed (e.g. snapshots).
  for (let c = 0; c < m.numCpus; c++) for (const part of core.hashableState(c)) h.update(part);
  h.update(JSON.stringify([m.gic.getState(), m.timer.getState(), m.uart.getState(), m.rtc.getState(), m.queue.getState(), m.prng.getState()]));
  for (const n of m.componentNames()) h.update(JSON.stringify(m.component(n).getState()));
  return h.digest('hex').slice(0, 32);
}
