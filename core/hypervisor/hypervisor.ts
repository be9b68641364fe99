// The NS-EL2 hypervisor: runs VMs of up to 8 vCPUs on the machine's pCPUs.
// It is the machine's Non-secure EL2 software: every exception taken to EL2
// lands in handle() with the pCPU at EL2, and a pCPU that sits at EL2 (idle,
// or just started by PSCI CPU_ON) is given to resume(). It acts only through
// architectural state (principle 4): the trapped PE's registers and EL2
// system registers, Stage-2 tables in RAM (stage2.ts), the GIC's ICC_*/ICH_*
// system registers and GICD/GICR frames, the CNTHP/CNTV/CNTP timers, and the
// physical PL011/PL031 registers.
//
// This file holds the entry points and the wiring; each concept has its own
// file: VM construction (vmBuild.ts), pCPU bring-up (pcpu.ts), the scheduler
// (scheduler.ts), trap dispatch (traps.ts, inject.ts), the guest device map
// (devices.ts), physical interrupts (physIrq.ts), the console (console.ts),
// guest PSCI (psci.ts). Their shared view is context.ts; all state is the one
// record of state.ts.
import type { Machine } from '../machine.js';
import { EXC_SYNC } from '../cpu/cpu.js';
import type { ExceptionSoftware } from '../software/software.js';
import type { Hv, SchedDecision } from './context.js';
import { pcpuInit, startSecondaries } from './pcpu.js';
import { hwDeactivated, hwDrop, hwLevel, physIrqs } from './physIrq.js';
import { enter, notify, schedule, unload } from './scheduler.js';
import { upgradeHvState, type HvState, type VcpuState, type VmState } from './state.js';
import { syncTrap } from './traps.js';
import { ffaResume } from './ffa/proxy.js';
import { vgicSync } from './vgic/vgic.js';
import { blkImage } from './virtio/blk.js';
import { vflashImage } from './vflash.js';
import type { VirtioMmioState } from './virtio/state.js';
import { buildVms, initialHvState, machineRamFor, type HypervisorConfig } from './vmBuild.js';

export type { SchedDecision } from './context.js';
export { SLICE_COUNTS } from './scheduler.js';
export {
  GUEST_RAM_IPA, HV_RESERVE_BYTES, VIRTIO_BLK_SLOT, VIRTIO_NET_SLOT, machineRamFor, vmMac,
  type HypervisorConfig, type VmConfig,
} from './vmBuild.js';

/** The name the hypervisor's state record is registered (and snapshotted) under. */
export const HYPERVISOR_COMPONENT = 'hypervisor';

export class Hypervisor implements Hv, ExceptionSoftware {
  s: HvState;
  cur = 0;
  readonly disks: Array<Uint8Array | null> = [];
  onPause: (vm: VmState, vcpu: number) => void = () => {};
  /** The monitor, while active: takes every console input byte (returns true). */
  onConsoleInput: ((byte: number) => boolean) | undefined;
  /** A console escape command for an attached tool (Ctrl-A m: the monitor); true when taken. */
  onConsoleEscape: ((key: 'm') => boolean) | undefined;
  onSched: ((d: SchedDecision) => void) | undefined;
  /** vgic.ts: vGICs known to have no SPI pending or active (not state). */
  readonly vgicSpisClear = new WeakSet<VmState['gic']>();

  /** Build the VMs of `cfg` and boot them; with `cfg` null, only attach
   *  (register the component and take NS-EL2) for a snapshot restore that
   *  brings the state. */
  constructor(readonly m: Machine, cfg: HypervisorConfig | null) {
    if (cfg && cfg.vms.length < 1) throw new Error('hypervisor: at least one VM');
    const need = cfg ? machineRamFor(cfg) : 0;
    if (m.config.ramBytes < need) throw new Error(`hypervisor: machine RAM ${m.config.ramBytes} < ${need} needed`);
    this.s = initialHvState(m.numCpus, cfg?.vms.length ?? 0);
    if (cfg) buildVms(this, cfg);
    m.registerComponent(HYPERVISOR_COMPONENT, {
      getState: () => structuredClone(this.s),
      loadState: (st: unknown) => {
        this.s = upgradeHvState(st, initialHvState(m.numCpus, 0));
      },
    });
    m.software.install('el2-ns', this);
    // pCPU 0 enters the hypervisor at EL2h; the others are started by PSCI
    // CPU_ON when they have vCPUs to run (pcpu.ts: an SMC to the EL3
    // firmware on a machine with two Security states).
    // Nothing is traced here: the run starts at pCPU 0's first resume().
    if (cfg) m.core.setPstate(0, 0x3c9);
  }

  // ---------------------------------------------------------- entry points

  /** An exception from a guest to EL2 on `cpu`. */
  handle(m: Machine, cpu: number, toEl: number): void {
    const l = toEl === 2 ? this.s.pcpus[cpu]?.loaded : null;
    if (!l) {
      m.stop({ kind: 'halt', message: `hypervisor: exception to EL${toEl} on pCPU ${cpu} with no vCPU loaded` });
      return;
    }
    const vm = this.s.vms[l[0]]!;
    const vc = vm.vcpus[l[1]]!;
    this.cur = cpu;
    this.s.counters['traps']!++;
    vc.exits++;
    vgicSync(this, cpu, vm, vc.id);
    const resched = m.core.excKind(cpu) === EXC_SYNC ? syncTrap(this, cpu, vm, vc) : physIrqs(this, cpu);
    if (m.stopped) return;
    // An FF-A call forwarded to the SPMC: the pCPU is in the Secure world; resume() completes it.
    if (this.s.ffa.pending[cpu]) return;
    if (vc.run === 'off') unload(this, cpu, vm, vc);
    if (resched || vc.run !== 'running' || vm.power !== 'running') schedule(this, cpu);
    else enter(this, cpu, vm, vc);
  }

  /** A pCPU at EL2 is given the CPU: first start, or woken from idle. */
  resume(m: Machine, cpu: number): void {
    this.cur = cpu;
    if (!this.s.pcpus[cpu]!.started) {
      pcpuInit(this, cpu);
      if (cpu === 0) startSecondaries(this);
    }
    // Back from the Secure world with the answer to a forwarded FF-A call (the vCPU is still loaded).
    ffaResume(this, cpu);
    if (this.s.ffa.pending[cpu] || m.stopped) return; // its next step took the pCPU to the Secure world again
    physIrqs(this, cpu);
    if (m.stopped) return;
    schedule(this, cpu);
  }

  // --------------------------------------------------------------- wiring

  sysRead(cpu: number, key: number): bigint {
    const m = this.m;
    const out = { value: 0n };
    (m.gic.claims(key) ? m.gic : m.timer).read(cpu, key, out);
    return out.value;
  }
  sysWrite(cpu: number, key: number, value: bigint): void {
    const m = this.m;
    (m.gic.claims(key) ? m.gic : m.timer).write(cpu, key, value);
  }
  hwLevel(cpu: number, intid: number): boolean {
    return hwLevel(this, cpu, intid);
  }
  hwDrop(cpu: number, intid: number): void {
    hwDrop(this, cpu, intid);
  }
  hwDeactivated(vm: VmState, vcpu: number, intid: number): void {
    hwDeactivated(this, vm, vcpu, intid);
  }
  /** Make `vcpu` (or all when -1) re-check for deliverable interrupts. */
  notify(vm: VmState, vcpu: number): void {
    notify(this, vm, vcpu);
  }
  log(msg: string): void {
    this.s.log.push(msg);
    if (this.s.log.length > 64) this.s.log.shift();
  }
  vcpuOf(cpu: number): [VmState, VcpuState] | null {
    const l = this.s.pcpus[cpu]?.loaded;
    if (!l) return null;
    const vm = this.s.vms[l[0]]!;
    return [vm, vm.vcpus[l[1]]!];
  }

  // ------------------------------------------------------------ disks

  /** VM `vmId`'s virtio-blk device, if it has one. */
  blkOf(vmId: number): VirtioMmioState | undefined {
    return this.s.vms[vmId]?.virtio.find((d) => d.kind === 'blk');
  }

  /** Give a restored VM its virtio-blk base image (the snapshot holds only the overlay). */
  attachDisk(vmId: number, disk: Uint8Array): void {
    const dev = this.blkOf(vmId);
    if (!dev?.blk) throw new Error(`VM ${vmId} has no virtio-blk disk`);
    if (dev.blk.capacityBytes !== disk.length) throw new Error(`the disk image has ${disk.length} bytes, the VM's disk had ${dev.blk.capacityBytes}`);
    this.disks[vmId] = disk;
  }

  /** VM `vmId`'s disk as the guest sees it now (base image with the overlay applied), or null without a disk. */
  diskImage(vmId: number): Uint8Array | null {
    const dev = this.blkOf(vmId);
    const base = this.disks[vmId];
    return dev && base ? blkImage(dev, base) : null;
  }

  /** Whether VM `vmId`'s guest has programmed or erased its flash bank `bank`. */
  flashWritten(vmId: number, bank: number): boolean {
    return this.s.vms[vmId]?.flash?.written[bank] ?? false;
  }

  /** VM `vmId`'s flash bank `bank` as the guest sees it now, or null without flash. */
  flashImage(vmId: number, bank: number): Uint8Array | null {
    const vm = this.s.vms[vmId];
    return vm ? vflashImage(this, vm, bank) : null;
  }

  /** Whether the guest of VM `vmId` has written to its disk (its overlay holds data). */
  diskDirty(vmId: number): boolean {
    const dev = this.blkOf(vmId);
    return dev?.blk !== undefined && Object.keys(dev.blk.overlay).length > 0;
  }
}
