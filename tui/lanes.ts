// Which VM/vCPU ran on each pCPU when: the sched events, per pCPU, searched
// by seq. An event on a pCPU belongs to the vCPU scheduled in on it by the
// last sched event at or before it (none after a sched out: the hypervisor,
// or idle). Bare-metal traces have no sched events and no lanes.
import type { TraceEvent } from '../core/trace/events.js';

export interface Running {
  vm: number;
  vcpu: number;
}

/** One pCPU's sched points: parallel arrays sorted by seq. */
interface Lane {
  seqs: number[];
  running: (Running | null)[];
}

export class Lanes {
  private readonly lanes: Lane[] = [];

  /** Adds a sched event (in seq order). */
  add(e: TraceEvent): void {
    if (e.kind !== 'sched' || e.cpu < 0) return;
    while (this.lanes.length <= e.cpu) this.lanes.push({ seqs: [], running: [] });
    const lane = this.lanes[e.cpu]!;
    lane.seqs.push(e.seq);
    lane.running.push(e.dir === 'in' ? { vm: e.vm, vcpu: e.vcpu } : null);
  }

  /** pCPUs that ever ran a vCPU. */
  get count(): number {
    return this.lanes.length;
  }

  /** What ran on `cpu` after the events up to and including `seq`. */
  runningAt(cpu: number, seq: number): Running | null {
    const lane = this.lanes[cpu];
    if (!lane) return null;
    let lo = 0;
    let hi = lane.seqs.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (lane.seqs[mid]! <= seq) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best < 0 ? null : lane.running[best]!;
  }

  /** Every pCPU's running vCPU at `seq`. */
  at(seq: number): (Running | null)[] {
    return this.lanes.map((_l, cpu) => this.runningAt(cpu, seq));
  }

  /** Plain data for a worker message, and back. */
  toJSON(): { seqs: number[]; running: (Running | null)[] }[] {
    return this.lanes;
  }

  static fromJSON(data: { seqs: number[]; running: (Running | null)[] }[]): Lanes {
    const l = new Lanes();
    for (const lane of data) l.lanes.push({ seqs: lane.seqs, running: lane.running });
    return l;
  }
}

/** Tracks what runs on each pCPU while events are walked in order. */
export class RunningTracker {
  private readonly state: (Running | null)[] = [];
  update(e: TraceEvent): void {
    if (e.kind !== 'sched' || e.cpu < 0) return;
    this.state[e.cpu] = e.dir === 'in' ? { vm: e.vm, vcpu: e.vcpu } : null;
  }
  on(cpu: number): Running | null {
    return cpu < 0 ? null : this.state[cpu] ?? null;
  }
}

/** "0.1" (VM 0, vCPU 1) or "-" for a lane cell. */
export function laneText(r: Running | null): string {
  return r ? `${r.vm}.${r.vcpu}` : '-';
}
