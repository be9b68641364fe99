// Scheduler invariants checked on every scheduling decision of the
// hypervisor (hv.onSched), from the seeds and the GIC/PSCI specs:
// - a vCPU is never in on two pCPUs at once, and a pCPU runs one vCPU;
// - a vCPU scheduled in is neither off nor blocked, and its VM runs
//   (a powered-off vCPU never runs);
// - a blocked vCPU never has a pending, enabled interrupt at a decision
//   (it is woken when the interrupt is raised: the bound is zero decisions);
// - the list registers of a pCPU never hold one vINTID twice
//   (GICv3 IHI 0069 §4.8.2: behaviour is UNPREDICTABLE otherwise);
// - fairness: a vCPU preempted while runnable runs again within one slice
//   per vCPU sharing its pCPU, plus FAIRNESS_SLACK_TICKS.
// The guest checks the rest (every SGI taken exactly once, timers fire,
// CPU_ON of an on vCPU is ALREADY_ON, the lock counter) and prints FAIL.
import { ICH_LR_EL2 } from '../../core/devices/gicv3/registers.js';
import type { Hypervisor, SchedDecision } from '../../core/hypervisor/hypervisor.js';
import { hasPendingFor, NUM_LRS } from '../../core/hypervisor/vgic/vgic.js';

/** One 10 ms slice in machine ticks (ns). */
export const SLICE_TICKS = 10_000_000;
export const FAIRNESS_SLACK_TICKS = 5_000_000;

export interface SchedViolation {
  /** What broke, one line. */
  message: string;
  /** The machine tick of the decision. */
  tick: number;
  /** The last trace event at or before the failure (replay --until event N lands on it). */
  event: number;
}

export class SchedMonitor {
  readonly violations: SchedViolation[] = [];
  decisions = 0;
  private readonly where = new Map<string, number>();
  private readonly onCpu = new Map<number, string>();
  private readonly preemptedAt = new Map<string, number>();

  constructor(private readonly hv: Hypervisor) {}

  attach(): void {
    this.hv.onSched = (d) => this.check(d);
  }

  private fail(d: SchedDecision, message: string): void {
    if (this.violations.length > 0) return; // the first one is the finding; stop there
    this.violations.push({ message, tick: d.tick, event: Math.max(0, this.hv.m.trace.count - 1) });
    this.hv.m.requestPause();
  }

  check(d: SchedDecision): void {
    this.decisions++;
    const key = `vm${d.vm}.vcpu${d.vcpu}`;
    const s = this.hv.s;
    const vm = s.vms.find((v) => v.id === d.vm);
    const vc = vm?.vcpus[d.vcpu];
    if (!vm || !vc) return this.fail(d, `decision for ${key}, which does not exist`);
    if (d.dir === 'in') {
      const other = this.where.get(key);
      if (other !== undefined) return this.fail(d, `${key} scheduled in on pCPU ${d.cpu} while in on pCPU ${other}`);
      const busy = this.onCpu.get(d.cpu);
      if (busy !== undefined) return this.fail(d, `pCPU ${d.cpu} got ${key} while running ${busy}`);
      if (vm.power !== 'running') return this.fail(d, `${key} scheduled in while its VM is ${vm.power}`);
      if (vc.run === 'off' || vc.run === 'blocked' || vc.run === 'paused') return this.fail(d, `${key} scheduled in while ${vc.run}`);
      this.where.set(key, d.cpu);
      this.onCpu.set(d.cpu, key);
      const since = this.preemptedAt.get(key);
      this.preemptedAt.delete(key);
      const sharing = s.pcpus[d.cpu]?.runq.length ?? 1;
      const bound = sharing * SLICE_TICKS + FAIRNESS_SLACK_TICKS;
      if (since !== undefined && d.tick - since > bound) {
        return this.fail(d, `${key} waited ${d.tick - since} ticks runnable for pCPU ${d.cpu} (bound ${bound}: ${sharing} vCPU(s) x 10 ms + slack)`);
      }
    } else {
      if (this.where.get(key) !== d.cpu) return this.fail(d, `${key} scheduled out of pCPU ${d.cpu}, where it was not in`);
      this.where.delete(key);
      this.onCpu.delete(d.cpu);
      if (vc.run === 'runnable') this.preemptedAt.set(key, d.tick);
    }
    for (const v of s.vms) {
      for (const c of v.vcpus) {
        if (c.run === 'blocked' && hasPendingFor(v, c.id)) return this.fail(d, `vm${v.id}.vcpu${c.id} blocked with a deliverable interrupt pending`);
      }
    }
    for (let cpu = 0; cpu < s.pcpus.length; cpu++) {
      if (!s.pcpus[cpu]!.started && cpu !== 0) continue;
      const seen = new Set<number>();
      for (let i = 0; i < NUM_LRS; i++) {
        const lr = this.hv.sysRead(cpu, ICH_LR_EL2(i));
        if (lr >> 62n === 0n) continue; // invalid
        const vintid = Number(lr & 0xffff_ffffn);
        if (seen.has(vintid)) return this.fail(d, `pCPU ${cpu}'s list registers hold vINTID ${vintid} twice`);
        seen.add(vintid);
      }
    }
  }
}
