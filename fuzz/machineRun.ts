// What both machine-level fuzzers do with a case: write its guest image,
// build the machine from `hvrr run` options (the same options `hvrr record`
// takes, so a failing case's recording is the same run by construction),
// capture the console, and run it, a host exception caught and reported
// (never acceptable: the guest gets architectural answers).
import { writeFileSync } from 'node:fs';
import { parseRunOptions, prepareMachine } from '../cli/commands/run.js';
import { Hypervisor } from '../core/hypervisor/hypervisor.js';
import type { Machine, StopReason } from '../core/machine.js';

export interface FuzzMachine {
  m: Machine;
  hv: Hypervisor;
  console: () => string;
}

/** Write `image` to `kernelPath` and build the machine `argv` describes (it must have the hypervisor). */
export function fuzzMachine(image: Uint8Array, kernelPath: string, argv: string[]): FuzzMachine {
  writeFileSync(kernelPath, image);
  const m = prepareMachine(parseRunOptions(argv));
  const bytes: number[] = [];
  m.onConsole = (b) => bytes.push(b);
  const hv = m.software.get('el2-ns');
  if (!(hv instanceof Hypervisor)) throw new Error('fuzz: the machine has no hypervisor');
  return { m, hv, console: () => Buffer.from(bytes).toString('latin1') };
}

/** Run up to `maxInstructions`; a host exception becomes a halt with its message in `thrown`. */
export function runFuzzMachine(m: Machine, maxInstructions: number): { stop: StopReason; thrown: string | null } {
  try {
    return { stop: m.run(maxInstructions), thrown: null };
  } catch (e) {
    const thrown = (e as Error).message;
    return { stop: { kind: 'halt', message: `host exception: ${thrown}` }, thrown };
  }
}

/** The last trace event at or before now (replay --until event N lands on it). */
export function lastEvent(m: Machine): number {
  return Math.max(0, m.trace.count - 1);
}
