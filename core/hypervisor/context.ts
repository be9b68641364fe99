// What the hypervisor's parts share. Each concept lives in its own file as
// functions of this context (vmBuild.ts, pcpu.ts, scheduler.ts, traps.ts,
// inject.ts, devices.ts, physIrq.ts, console.ts, psci.ts); hypervisor.ts
// implements it and wires the parts to the machine. All simulation state is
// in `s`, the one versioned record (state.ts); nothing is kept in closures or
// module variables.
import type { Machine } from '../machine.js';
import { TICKS_PER_COUNTER } from '../cpu/cpu.js';
import type { HvState, VcpuState, VmState } from './state.js';
import type { VgicHost } from './vgic/vgic.js';
import type { VgicMmioHost } from './vgic/mmio.js';

/** A scheduling decision, for tests that check invariants on every one. */
export interface SchedDecision {
  tick: number;
  cpu: number;
  vm: number;
  vcpu: number;
  dir: 'in' | 'out';
}

/** The parts' view of the hypervisor; as VgicHost and VgicMmioHost it also serves the vGIC. */
export interface Hv extends VgicHost, VgicMmioHost {
  readonly m: Machine;
  /** The whole mutable state. Replaced by a snapshot restore: always reach it through `hv.s`. */
  s: HvState;
  /** The pCPU whose trap (or resume) is being handled: set at every entry, not state. */
  cur: number;
  /** Each VM's virtio-blk base image by VM id: an input like the kernel image,
   *  never modified (writes go to the overlay in the state). */
  readonly disks: Array<Uint8Array | null>;
  /** Called for HVC PAUSE (the monitor overrides it). */
  onPause: (vm: VmState, vcpu: number) => void;
  /** The monitor, while active: takes every console input byte (returns true). */
  onConsoleInput: ((byte: number) => boolean) | undefined;
  /** A console escape command for an attached tool (Ctrl-A m: the monitor); true when taken. */
  onConsoleEscape: ((key: 'm') => boolean) | undefined;
  /** Observer of scheduling decisions (tests). */
  onSched: ((d: SchedDecision) => void) | undefined;
  log(msg: string): void;
  vcpuOf(cpu: number): [VmState, VcpuState] | null;
}

/** A 32-bit physical device register access from pCPU `cpu` (a read when `value` is absent). */
export function mmio32(hv: Hv, cpu: number, pa: number, value?: number): number {
  if (value === undefined) return Number(hv.m.bus.read(pa, 4, cpu) ?? 0n);
  hv.m.bus.write(pa, 4, BigInt(value >>> 0), cpu);
  return 0;
}

/** The system counter (CNTPCT) as seen by pCPU `cpu` now. */
export function counterNow(hv: Hv, cpu: number): number {
  return Math.floor(hv.m.core.nowTick(cpu) / TICKS_PER_COUNTER);
}
