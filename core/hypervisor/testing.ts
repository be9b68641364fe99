// Helpers for whole-machine hypervisor tests: a machine sized for a
// configuration, the hypervisor installed, console captured.
import { expect } from 'vitest';
import { Machine } from '../machine.js';
import { Hypervisor, machineRamFor, type HypervisorConfig, type SchedDecision } from './hypervisor.js';
import { hasPendingFor } from './vgic/vgic.js';

export interface HvRun {
  m: Machine;
  hv: Hypervisor;
  console: () => string;
  diagnostics: string[];
  decisions: SchedDecision[];
}

export function hvMachine(cfg: HypervisorConfig, opts: { numCpus?: number; seed?: bigint; quantum?: number; chaos?: number } = {}): HvRun {
  const m = new Machine({
    numCpus: opts.numCpus ?? 1, ramBytes: machineRamFor(cfg), seed: opts.seed ?? 7n, ...(opts.quantum ? { quantumTicks: opts.quantum } : {}),
    ...(opts.chaos ? { chaos: opts.chaos } : {}),
  });
  const bytes: number[] = [];
  const diagnostics: string[] = [];
  m.onConsole = (b) => bytes.push(b);
  m.onDiagnostic = (d) => diagnostics.push(d);
  const hv = new Hypervisor(m, cfg);
  const decisions: SchedDecision[] = [];
  hv.onSched = (d) => {
    decisions.push(d);
    checkBlockedInvariant(hv);
  };
  return { m, hv, console: () => Buffer.from(bytes).toString('latin1'), diagnostics, decisions };
}

/** Invariants over every scheduling decision: a vCPU is never in on two pCPUs; a pCPU runs one vCPU at a time. */
/** On every decision: a blocked vCPU never has a deliverable interrupt pending (it would have been woken). */
export function checkBlockedInvariant(hv: Hypervisor): void {
  for (const vm of hv.s.vms) for (const v of vm.vcpus) if (v.run === 'blocked') expect(hasPendingFor(vm, v.id), `vm${vm.id} vCPU ${v.id} blocked with an interrupt pending`).toBe(false);
}

export function checkSchedInvariants(ds: SchedDecision[]): void {
  const where = new Map<string, number>();
  const onCpu = new Map<number, string>();
  for (const d of ds) {
    const key = `${d.vm}.${d.vcpu}`;
    if (d.dir === 'in') {
      expect(where.has(key), `vCPU ${key} scheduled in on pCPU ${d.cpu} while on pCPU ${where.get(key)}`).toBe(false);
      expect(onCpu.has(d.cpu), `pCPU ${d.cpu} got ${key} while running ${onCpu.get(d.cpu)}`).toBe(false);
      where.set(key, d.cpu);
      onCpu.set(d.cpu, key);
    } else {
      expect(where.get(key)).toBe(d.cpu);
      where.delete(key);
      onCpu.delete(d.cpu);
    }
  }
}

