// Wires the EL2 UART monitor into a Hypervisor: a guest's PAUSE hypercall
// (hv.onPause) and Ctrl-A m on the console (hv.onConsoleEscape, from the
// console's escape parser) enter it; while it is
// active every vCPU is stopped (run state 'paused', the previous state kept
// in the monitor's record) and console bytes are its input; 'resume' puts
// every vCPU back. Output goes to the physical PL011, as EL2 software writes
// it. The monitor's record is registered with the machine ('hv-monitor'), so
// snapshots carry it; its inputs are UART RX bytes, recorded inputs of a run.
//
// `regs` of a vCPU loaded on a pCPU reads that pCPU's registers (every pCPU is
// idle at EL2 while the monitor is active, the vCPU's PC in ELR_EL2); a saved
// vCPU shows its saved context.
import { UART_BASE } from '../../machine.js';
import * as A from '../arch.js';
import { CONTEXT_SYSREGS } from '../vcpu.js';
import type { Hypervisor } from '../hypervisor.js';
import type { VcpuRunState, VmState } from '../state.js';
import type { MonitorRegs, MonitorView } from './commands.js';
import { initialMonitorState, monitorEnter, monitorInput, upgradeMonitorState, type MonitorState } from './monitor.js';

export const MONITOR_COMPONENT = 'hv-monitor';

export class HvMonitor {
  state: MonitorState = initialMonitorState();

  constructor(readonly hv: Hypervisor) {
    hv.m.registerComponent(MONITOR_COMPONENT, {
      getState: () => structuredClone(this.state),
      loadState: (st: unknown) => {
        const x = upgradeMonitorState(st);
        if (x instanceof Error) throw x;
        this.state = x;
      },
    });
    hv.onPause = (vm, vcpu) => this.enter(`PAUSE from ${vm.name} vcpu${vcpu}`);
    hv.onConsoleInput = (byte) => this.input(byte);
    hv.onConsoleEscape = () => {
      this.enter('entered from the console');
      return true;
    };
  }

  get active(): boolean {
    return this.state.active;
  }

  /** The read-only view the command interpreter works on. */
  view(): MonitorView {
    const hv = this.hv;
    const core = hv.m.core;
    return {
      hv: hv.s,
      eventCounts: hv.m.trace.kindCounts(),
      readPhys64: (pa) => {
        if (pa % 8 !== 0 || core.ramOffset(pa, 8) < 0) return null;
        const b = core.readPhys(pa, 8);
        return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
      },
      regs: (vmId, vcpu): MonitorRegs | null => {
        const vm = hv.s.vms[vmId];
        const vc = vm?.vcpus[vcpu];
        if (!vm || !vc) return null;
        const on = hv.s.pcpus.findIndex((p) => p.loaded !== null && p.loaded[0] === vmId && p.loaded[1] === vcpu);
        if (on >= 0) {
          const regs = core.regs(on);
          const sys: Record<string, string> = {};
          for (const n of CONTEXT_SYSREGS) if (regs.has(n)) sys[n] = A.hex(regs.get(n));
          return {
            x: Array.from({ length: 31 }, (_, i) => A.hex(regs.x(i))),
            pc: A.hex(regs.get('ELR_EL2')),
            pstate: A.hex(regs.get('SPSR_EL2')),
            spEl0: A.hex(regs.get('SP_EL0')),
            spEl1: A.hex(regs.get('SP_EL1')),
            sys,
            source: `loaded on pCPU ${on}`,
          };
        }
        if (!vc.ctx || vc.run === 'off') return null;
        return { x: vc.ctx.x, pc: vc.ctx.pc, pstate: vc.ctx.pstate, spEl0: vc.ctx.spEl0, spEl1: vc.ctx.spEl1, sys: vc.ctx.sys, source: 'saved context' };
      },
    };
  }

  private print(text: string): void {
    for (const b of Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1')) this.hv.m.bus.write(UART_BASE, 4, BigInt(b), 0);
  }

  /** Enter the monitor (from PAUSE, the console escape, or a test): stop every vCPU, print the banner. */
  enter(reason: string): void {
    if (this.state.active) return;
    this.stopAll();
    this.print(monitorEnter(this.state, reason));
  }

  /** A console RX byte: true when the monitor consumed it. */
  input(byte: number): boolean {
    const r = monitorInput(this.state, byte, this.view());
    if (!r.consumed) return false;
    if (r.action === 'enter') this.stopAll();
    if (r.output) this.print(r.output);
    if (r.action === 'resume') this.resumeAll();
    return true;
  }

  private stopAll(): void {
    const hv = this.hv;
    for (const vm of hv.s.vms) {
      vm.vcpus.forEach((vc, i) => {
        if (vc.run === 'off' || vc.run === 'paused') return;
        // A vCPU running on another pCPU is kicked first, so that pCPU traps
        // and, finding it paused, idles.
        if (vc.run === 'running') hv.notify(vm, i);
        this.state.paused.push([vm.id, i, vc.run]);
        vc.run = 'paused';
      });
    }
  }

  private resumeAll(): void {
    const hv = this.hv;
    const paused = this.state.paused;
    this.state.paused = [];
    const touched = new Set<VmState>();
    for (const [vmId, i, prev] of paused) {
      const vm = hv.s.vms[vmId]!;
      const vc = vm.vcpus[i]!;
      if (vc.run !== 'paused') continue;
      vc.run = (prev === 'running' ? 'runnable' : prev) as VcpuRunState;
      touched.add(vm);
    }
    for (const vm of touched) hv.notify(vm, -1);
  }
}

/** Attach the monitor to a hypervisor. */
export function attachMonitor(hv: Hypervisor): HvMonitor {
  return new HvMonitor(hv);
}
