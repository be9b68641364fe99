// `hvrr fuzz sched` as a campaign target.
import type { FuzzTarget } from '../campaign.js';
import { writeFileSync } from 'node:fs';
import { schedGuestImage } from './guest.js';
import { runSchedCase, schedArgv, SCHED_CASE_MAX_INSTRUCTIONS, type SchedCaseResult } from './runCase.js';
import { describeWorkload, opCounts, workloadArb, type SchedWorkload } from './workload.js';

export interface SchedTargetOptions {
  /** Where each case's guest image is written. */
  dir: string;
  /** Fix the chaos level (default: drawn per case, 1..3). */
  chaos?: number;
  /** A planted defect (--mutate). */
  mutate?: string;
}

export function schedTarget(o: SchedTargetOptions): FuzzTarget<SchedWorkload> & { last: SchedCaseResult | null } {
  const t = {
    name: 'sched',
    arbitrary: workloadArb(o.chaos !== undefined ? { chaos: o.chaos } : {}),
    last: null as SchedCaseResult | null,
    run(w: SchedWorkload) {
      const r = runSchedCase(w, o.dir, o.mutate !== undefined ? { mutate: o.mutate } : {});
      t.last = r;
      const covered = [...Object.keys(opCounts(w)), `pcpus-${w.pcpus}`, `vms-${w.vms}`, `chaos-${w.chaos}`];
      return { violation: r.violation, covered };
    },
    describe: describeWorkload,
    recordArgs(w: SchedWorkload, imagePath: string): string[] {
      writeFileSync(imagePath, schedGuestImage(w));
      // The whole case (the monitor's pause is not a run option; the events up to it are the same).
      return [...schedArgv(w, imagePath, o.mutate), `--max-insns=${SCHED_CASE_MAX_INSTRUCTIONS}`];
    },
  };
  return t;
}
