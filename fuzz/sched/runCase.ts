// One scheduler-fuzz case: the workload's guest written to a file, the
// machine built from `hvrr run` options (the same options `hvrr record`
// takes, so a failing case's recording is the same run by construction),
// run to the end under the invariant monitor.
import { join } from 'node:path';
import type { StopReason } from '../../core/machine.js';
import { fuzzMachine, lastEvent, runFuzzMachine } from '../machineRun.js';
import { OP_ERRORS, schedGuestImage } from './guest.js';
import { SchedMonitor, type SchedViolation } from './invariants.js';
import type { SchedWorkload } from './workload.js';

/** Instructions a case may take before it counts as hung (a correct case takes well under 10 M). */
export const SCHED_CASE_MAX_INSTRUCTIONS = 200_000_000;

export interface SchedCaseResult {
  /** The first broken invariant, or null. */
  violation: SchedViolation | null;
  stop: StopReason;
  instructions: number;
  decisions: number;
  console: string;
  /** The `hvrr run`/`record` options of this case (the kernel file included). */
  argv: string[];
}

/** The `hvrr run` options of a case whose guest image is at `kernelPath`. */
export function schedArgv(w: SchedWorkload, kernelPath: string, mutate?: string): string[] {
  return [
    `--kernel=${kernelPath}`, `--smp=${w.vcpus}`, `--pcpus=${w.pcpus}`, `--vms=${w.vms}`, '--mem=32M', '--nic=none',
    `--seed=${w.machineSeed}`, `--chaos=${w.chaos}`, ...(mutate ? [`--mutate=${mutate}`] : []),
  ];
}

/** Run one case; its guest image goes to `dir`/sched-case.bin. */
export function runSchedCase(w: SchedWorkload, dir: string, opts: { mutate?: string; maxInstructions?: number } = {}): SchedCaseResult {
  const kernelPath = join(dir, 'sched-case.bin');
  const argv = schedArgv(w, kernelPath, opts.mutate);
  const { m, hv, console: out } = fuzzMachine(schedGuestImage(w), kernelPath, argv);
  const monitor = new SchedMonitor(hv);
  monitor.attach();
  const { stop, thrown } = runFuzzMachine(m, opts.maxInstructions ?? SCHED_CASE_MAX_INSTRUCTIONS);
  const console = out();
  let violation = monitor.violations[0] ?? (thrown !== null ? { message: `host exception: ${thrown}`, tick: m.nowTick, event: lastEvent(m) } : null);
  if (!violation) {
    const at = { tick: m.nowTick, event: lastEvent(m) };
    const fail = opFailure(console) ?? /^(?:\[vm\d+\] )?FAIL: .*$/m.exec(console)?.[0];
    const summaries = console.match(/^(?:\[vm\d+\] )?SUMMARY: \d+ tests, 0 failures$/gm)?.length ?? 0;
    if (fail) violation = { message: `the guest reports ${fail}`, ...at };
    else if (stop.kind === 'instruction-limit') violation = { message: `not finished after ${m.instructions.toLocaleString('en-US')} instructions (hung)`, ...at };
    else if (stop.kind !== 'system-off') violation = { message: `the machine stopped: ${stop.kind === 'halt' ? stop.message : stop.kind}`, ...at };
    else if (summaries !== w.vms) violation = { message: `${summaries} of ${w.vms} VM(s) reported a clean summary`, ...at };
  }
  return { violation, stop, instructions: m.instructions, decisions: monitor.decisions, console, argv };
}

/** The first failed operation a round reported ('INFO: round R cpuK result 0xCODE'), decoded. */
function opFailure(console: string): string | null {
  const m = /^(\[vm\d+\] )?INFO: round (\d+) cpu(\d+) result 0x([0-9a-f]*[1-9a-f][0-9a-f]*)$/m.exec(console);
  if (!m) return null;
  const code = parseInt(m[4]!, 16);
  return `${m[1] ?? ''}round ${m[2]} vCPU ${m[3]} operation ${code >> 8}: ${OP_ERRORS[code & 0xff] ?? `error ${code & 0xff}`}`;
}
