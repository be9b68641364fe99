// Helpers for whole-machine hypervisor tests: a machine sized for a
// configuration, the hypervisor installed, console captured.
import { Machine } from '../machine.js';
import { Hypervisor, machineRamFor, type HypervisorConfig, type SchedDecision } from './hypervisor.js';

export interface HvRun {
  m: Machine;
  hv: Hypervisor;
  console: () => string;
  diagnostics: string[];
  decisions: SchedDecision[];
}

export function hvMachine(cfg: HypervisorConfig, opts: { numCpus?: number; seed?: bigint; quantum?: number } = {}): HvRun {
  const m = new Machine({ numCpus: opts.numCpus ?? 1, ramBytes: machineRamFor(cfg), seed: opts.seed ?? 7n, ...(opts.quantum ? { quantumTicks: opts.quantum } : {}) });
  const bytes: number[] = [];
  const diagnostics: string[] = [];
  m.onConsole = (b) => bytes.push(b);
  m.onDiagnostic = (d) => diagnostics.push(d);
  const hv = new Hypervisor(m, cfg);
  const decisions: SchedDecision[] = [];
  hv.onSched = (d) => decisions.push(d);
  return { m, hv, console: () => Buffer.from(bytes).toString('latin1'), diagnostics, decisions };
}
