// The vCPU scheduler: each pCPU round-robins over the vCPUs assigned to it
// (static affinity), in 10 ms slices timed by the EL2 hypervisor timer
// (CNTHP) while others wait; a pCPU with nothing runnable idles at EL2 with
// its last vCPU's context loaded (its timers keep running and wake it).
// Entering a vCPU loads its context and VM controls (switchIn), leaving saves
// them (switchOut); a vCPU that waits on another pCPU is made to re-check by a
// physical SGI (kick).
import { GICR_BASE } from '../machine.js';
import { ICC_SGI1R_EL1, ICH_HCR_EL2 } from '../devices/gicv3/registers.js';
import { KEY_CNTHP_CTL_EL2, KEY_CNTHP_CVAL_EL2 } from '../devices/timer/genericTimer.js';
import { worldField } from '../trace/events.js';
import * as A from './arch.js';
import { counterNow, mmio32, type Hv } from './context.js';
import { PPI_PTIMER, PPI_VTIMER, SGI_KICK } from './physIrq.js';
import type { VcpuState, VmState } from './state.js';
import { loadContext, saveContext, timerDeadline } from './vcpu.js';
import { hasPendingFor, slotOf, vgicClear, vgicFlush } from './vgic/vgic.js';

/** Scheduler time slice: 10 ms of the 62.5 MHz counter. */
export const SLICE_COUNTS = 625_000;

/** Re-enter the vCPU loaded on `cpu`: list registers from the shadow vGIC, then ERET. */
export function enter(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): void {
  const p = hv.s.pcpus[cpu]!;
  p.lrUsed = vgicFlush(hv, cpu, vm, vc.id, p.lrUsed);
  hv.m.core.eret(cpu);
}

function emitSched(hv: Hv, cpu: number, vm: number, vcpu: number, dir: 'in' | 'out'): void {
  const tick = hv.m.core.nowTick(cpu);
  hv.m.trace.emit({ kind: 'sched', tick, cpu, vm, vcpu, dir, ...worldField(hv.m.core.isNonSecure(cpu)) });
  hv.onSched?.({ tick, cpu, vm, vcpu, dir });
}

/** A vCPU that powered off leaves its pCPU: its context is dropped (CPU_ON gives it a fresh one). */
export function unload(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): void {
  const p = hv.s.pcpus[cpu]!;
  if (p.running) emitSched(hv, cpu, vm.id, vc.id, 'out');
  p.running = false;
  saveContext(hv.m.core, hv, cpu); // quiesces its timers; the context itself is not kept
  mmio32(hv, cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0380, (1 << PPI_VTIMER) | (1 << PPI_PTIMER));
  vgicClear(hv, cpu, p.lrUsed);
  p.lrUsed = 0;
  p.loaded = null;
}

/** Wake the saved (not loaded) blocked vCPUs of a pCPU whose timer fired or that have a pending interrupt. */
function wakeSaved(hv: Hv, cpu: number): void {
  const p = hv.s.pcpus[cpu]!;
  const now = counterNow(hv, cpu);
  for (const [vi, ci] of p.runq) {
    const vm = hv.s.vms[vi]!;
    const vc = vm.vcpus[ci]!;
    if (vc.run !== 'blocked') continue;
    if (hasPendingFor(vm, ci) || (vc.ctx && timerDeadline(vc.ctx, BigInt(vm.cntvoff)) <= now)) vc.run = 'runnable';
  }
}

/** Pick the next vCPU for `cpu` (round-robin among runnable ones) and enter it, or idle. */
export function schedule(hv: Hv, cpu: number): void {
  const p = hv.s.pcpus[cpu]!;
  wakeSaved(hv, cpu);
  const cur = hv.vcpuOf(cpu);
  if (cur && cur[1].run === 'running') cur[1].run = 'runnable';
  const n = p.runq.length;
  let pick = -1;
  // Seeded chaos (core/clock/chaos.ts): any eligible vCPU, not the next in turn.
  const eligible: number[] | null = hv.m.chaos.randomVcpuPick ? [] : null;
  for (let k = 1; k <= n; k++) {
    const idx = (((p.rr + k) % n) + n) % n;
    const [vi, ci] = p.runq[idx]!;
    const vm = hv.s.vms[vi]!;
    const r = vm.vcpus[ci]!.run;
    if (vm.power === 'running' && (r === 'runnable' || r === 'on-pending')) {
      if (pick < 0) pick = idx;
      if (!eligible) break;
      eligible.push(idx);
    }
  }
  if (eligible && eligible.length > 1) pick = eligible[hv.m.prng.nextBelow(eligible.length)]!;
  const wasRunning = p.running;
  if (pick < 0) {
    // Idle: keep the last vCPU's context loaded (its timers keep running and wake us).
    if (cur && wasRunning) emitSched(hv, cpu, cur[0].id, cur[1].id, 'out');
    // Planted defect (core/mutations.ts): the idle pCPU decides to run a vCPU running on another pCPU.
    const stolen = hv.m.config.mutation === 'double-run' ? hv.s.pcpus.find((q, i) => i !== cpu && q.running && q.loaded)?.loaded : undefined;
    if (stolen) emitSched(hv, cpu, hv.s.vms[stolen[0]]!.id, stolen[1], 'in');
    p.running = false;
    vgicClear(hv, cpu, p.lrUsed);
    p.lrUsed = 0;
    programTimer(hv, cpu);
    hv.m.sleepCpu(cpu);
    return;
  }
  const [vi, ci] = p.runq[pick]!;
  const vm = hv.s.vms[vi]!;
  const vc = vm.vcpus[ci]!;
  p.rr = pick;
  const same = cur !== null && cur[0] === vm && cur[1] === vc;
  if (!same) {
    if (cur) {
      if (wasRunning) emitSched(hv, cpu, cur[0].id, cur[1].id, 'out');
      switchOut(hv, cpu, cur[1]);
    }
    switchIn(hv, cpu, vm, vc);
    hv.s.counters['switches']!++;
  }
  if (!same || !wasRunning) emitSched(hv, cpu, vm.id, vc.id, 'in');
  vc.run = 'running';
  p.running = true;
  // A slice that has run out is renewed also when the same vCPU continues
  // (nothing else runnable on this pCPU): otherwise programTimer arms CNTHP
  // at a deadline in the past and the pCPU takes the hyp timer IRQ forever
  // without running the guest, a host hang (found by guests/conformance
  // 'timer' with 3 vCPUs on 2 pCPUs; regression test in
  // guests/conformance/hypervisor.test.ts).
  if (!same || !wasRunning || counterNow(hv, cpu) >= Number(BigInt(p.sliceEnd))) p.sliceEnd = A.hex(BigInt(counterNow(hv, cpu) + SLICE_COUNTS));
  programTimer(hv, cpu);
  enter(hv, cpu, vm, vc);
}

function switchOut(hv: Hv, cpu: number, vc: VcpuState): void {
  vc.ctx = saveContext(hv.m.core, hv, cpu);
  // A HW-injected timer interrupt still active for this vCPU keeps the
  // physical PPI active: deactivate it here, re-activate on switch-in.
  const rd = GICR_BASE + cpu * 0x2_0000;
  mmio32(hv, cpu, rd + 0x1_0380, (1 << PPI_VTIMER) | (1 << PPI_PTIMER)); // GICR_ICACTIVER0
  const p = hv.s.pcpus[cpu]!;
  vgicClear(hv, cpu, p.lrUsed);
  p.lrUsed = 0;
  p.loaded = null;
}

function switchIn(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): void {
  const core = hv.m.core;
  const regs = core.regs(cpu);
  // VM controls: VTTBR_EL2 (Stage-2 root, VMID in bits 55:48 with 8-bit VMIDs), VTCR, HCR, CNTVOFF.
  regs.set('VTTBR_EL2', (BigInt(vm.vmid) << 48n) | BigInt(vm.s2Root));
  regs.set('VTCR_EL2', A.VTCR_VALUE);
  regs.set('HCR_EL2', A.HCR_GUEST | (hv.s.pcpus[cpu]!.runq.length > 1 ? A.HCR_TWE : 0n));
  regs.set('CNTVOFF_EL2', BigInt(vm.cntvoff));
  loadContext(core, hv, cpu, vc.ctx!);
  vc.ctx = null;
  hv.m.timer.reevaluate(cpu);
  const g = vm.gic;
  let act = 0;
  for (const intid of [PPI_VTIMER, PPI_PTIMER]) {
    const s = slotOf(vm, vc.id, intid);
    if (g.hw[s] && (g.active[s] || g.pending[s])) act |= 1 << intid;
  }
  if (act) mmio32(hv, cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0300, act); // GICR_ISACTIVER0
  hv.sysWrite(cpu, ICH_HCR_EL2, 1n);
  hv.s.pcpus[cpu]!.loaded = [vm.id, vc.id];
}

/** CNTHP_EL2: end of the time slice when others wait, or the earliest timer of a saved blocked vCPU. */
function programTimer(hv: Hv, cpu: number): void {
  const p = hv.s.pcpus[cpu]!;
  let deadline = Infinity;
  if (p.running && p.runq.length > 1) deadline = Number(BigInt(p.sliceEnd));
  const loaded = p.loaded;
  for (const [vi, ci] of p.runq) {
    const vm = hv.s.vms[vi]!;
    const vc = vm.vcpus[ci]!;
    if (vc.run === 'blocked' && vc.ctx && !(loaded && loaded[0] === vi && loaded[1] === ci)) {
      deadline = Math.min(deadline, timerDeadline(vc.ctx, BigInt(vm.cntvoff)));
    }
  }
  if (deadline === Infinity) {
    hv.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 0n);
    return;
  }
  hv.sysWrite(cpu, KEY_CNTHP_CVAL_EL2, BigInt(Math.max(0, deadline)));
  hv.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 1n);
}

/** Make `vcpu` (or all when -1) re-check for deliverable interrupts: wake it if blocked, kick its pCPU. */
export function notify(hv: Hv, vm: VmState, vcpu: number): void {
  if (vcpu < 0) {
    for (let v = 0; v < vm.vcpus.length; v++) notify(hv, vm, v);
    return;
  }
  const vc = vm.vcpus[vcpu]!;
  if (vc.run === 'blocked' && hasPendingFor(vm, vcpu)) vc.run = 'runnable';
  else if (vc.run !== 'running' && vc.run !== 'runnable') return;
  if (vc.pcpu !== hv.cur) kick(hv, vc.pcpu);
}

/** Physical SGI to another pCPU so it re-evaluates (ICC_SGI1R_EL1 at EL2: TargetList bit = Aff0). */
export function kick(hv: Hv, pcpu: number): void {
  if (!hv.s.pcpus[pcpu]!.started && pcpu !== 0) return;
  hv.sysWrite(hv.cur, ICC_SGI1R_EL1, (BigInt(SGI_KICK) << 24n) | (1n << BigInt(pcpu)));
}
