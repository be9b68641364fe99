// The NS-EL2 hypervisor: runs VMs of up to 8 vCPUs on the machine's pCPUs.
// It is the machine's `software` (HighLevelSoftware): every exception taken
// to EL2 lands in handle() with the pCPU at EL2, and a pCPU that sits at EL2
// (idle, or just started by PSCI CPU_ON) is given to resume(). It acts only
// through architectural state (principle 4): the trapped PE's registers and
// EL2 system registers, Stage-2 tables in RAM (stage2.ts), the GIC's ICC_*/
// ICH_* system registers and GICD/GICR frames, the CNTHP/CNTV/CNTP timers,
// and the physical PL011/PL031 registers.
//
// Physical memory: [RAM_BASE, RAM_BASE + reserve) belongs to the hypervisor
// (its Stage-2 tables; never mapped into a guest); VM k's RAM follows, each
// VM seeing it at IPA 0x40000000 with the QEMU virt device map below it.
import type { HighLevelSoftware, Machine } from '../machine.js';
import { GICR_BASE, RAM_BASE, RTC_BASE, UART_BASE } from '../machine.js';
import * as L from '../cpu/layout.js';
import { psciCall, PSCI_CPU_ON_64 } from '../firmware/psci.js';
import { planBoot } from '../firmware/loader.js';
import { buildVirtDeviceTreeBlob } from '../fdt/virtDtb.js';
import {
  ICC_CTLR_EL1, ICC_DIR_EL1, ICC_EOIR1_EL1, ICC_IAR1_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1, ICC_SGI1R_EL1, ICH_HCR_EL2,
} from '../devices/gicv3/registers.js';
import { KEY_CNTHP_CTL_EL2, KEY_CNTHP_CVAL_EL2, KEY_CNTP_CTL_EL0, KEY_CNTV_CTL_EL0 } from '../devices/timer/genericTimer.js';
import { sysregKey } from '../cpu/ports.js';
import * as A from './arch.js';
import { allocTablePage, s2MapRam, s2Translate } from './stage2.js';
import { HV_STATE_VERSION, upgradeHvState, type HvState, type VcpuState, type VmState } from './state.js';
import { createVgic, hasPendingFor, setLevel, slotOf, targetOf, vgicClear, vgicFlush, vgicSync } from './vgic/vgic.js';
import { GICD_SIZE, GICR_STRIDE, gicdRead, gicdWrite, gicrRead, gicrWrite, type VgicMmioHost } from './vgic/mmio.js';
import { createVuart, UART_INTID, vuartFull, vuartLevel, vuartPushRx, vuartRead, vuartWrite } from './vuart.js';
import { createVrtc, RTC_INTID, vrtcArmed, vrtcLevel, vrtcMatchAt, vrtcRead, vrtcWrite } from './vrtc.js';
import { freshContext, loadContext, saveContext, timerDeadline } from './vcpu.js';
import { guestPsciPlatform, type GuestPsciHost } from './psci.js';
import * as H from './hypercalls.js';
import { decodeDataAbort, type MmioAccess } from './mmio.js';
import {
  createVirtioBlk, createVirtioNet, emptySlotRead, emptySlotWrite, netDeliver, virtioIrqLevel, virtioRead, virtioWrite,
  VIRTIO_MMIO_BASE, VIRTIO_MMIO_SLOTS, VIRTIO_MMIO_STRIDE, VIRTIO_SPI_BASE, type VirtioCtx,
} from './virtio/transport.js';
import { createVswitch } from './virtio/vswitch.js';
import { blkImage } from './virtio/blk.js';
import type { GuestMemory } from './virtio/guestMemory.js';
import type { VirtioMmioState } from './virtio/state.js';

/** The name the hypervisor's state record is registered (and snapshotted) under. */
export const HYPERVISOR_COMPONENT = 'hypervisor';
export const HV_RESERVE_BYTES = 16 << 20;
export const GUEST_RAM_IPA = 0x4000_0000;
const GICD_IPA = 0x0800_0000;
const GICR_IPA = 0x080a_0000;
const UART_IPA = 0x0900_0000;
const RTC_IPA = 0x0901_0000;
const UART_SPI_PHYS = 33;
const RTC_SPI_PHYS = 34;
const PPI_MAINT = 25;
const PPI_HYP_TIMER = 26;
const PPI_VTIMER = 27;
const PPI_PTIMER = 30;
const SGI_KICK = 0;
/** virtio-mmio slots, taken from the top like QEMU virt (its first -device lands at 0x0a003e00). */
export const VIRTIO_BLK_SLOT = 31;
export const VIRTIO_NET_SLOT = 30;
/** Scheduler time slice: 10 ms of the 62.5 MHz counter. */
export const SLICE_COUNTS = 625_000;
const COUNTS_PER_SECOND = 62_500_000;

export interface VmConfig {
  name?: string;
  numVcpus: number;
  ramBytes: number;
  kernel: Uint8Array;
  initrd?: Uint8Array;
  dtb?: Uint8Array;
  bootargs?: string;
  /** Base image of the VM's virtio-blk disk (read-only input; guest writes go to a copy-on-write overlay in the state). */
  disk?: Uint8Array;
}

/** The MAC address of VM `id`'s virtio-net device: 52:54:00:12:34:<id + 1> (the initramfs derives 10.0.0.<id + 1> from it). */
export function vmMac(id: number): number[] {
  return [0x52, 0x54, 0x00, 0x12, 0x34, (id + 1) & 0xff];
}

export interface HypervisorConfig {
  vms: VmConfig[];
}

/** Machine RAM needed for a configuration: the reserve plus every VM's RAM. */
export function machineRamFor(cfg: HypervisorConfig): number {
  return HV_RESERVE_BYTES + cfg.vms.reduce((a, v) => a + v.ramBytes, 0);
}

/** A scheduling decision, for tests that check invariants on every one. */
export interface SchedDecision {
  tick: number;
  cpu: number;
  vm: number;
  vcpu: number;
  dir: 'in' | 'out';
}

export class Hypervisor implements HighLevelSoftware, GuestPsciHost, VgicMmioHost {
  s: HvState;
  /** Called for HVC PAUSE (the monitor overrides it). */
  onPause: (vm: VmState, vcpu: number) => void = () => {};
  /** Sees every byte from the physical UART before the console VM does; true = consumed (the monitor's Ctrl-A m). */
  onConsoleInput: ((byte: number) => boolean) | undefined;
  /** Observer of scheduling decisions (tests). */
  onSched: ((d: SchedDecision) => void) | undefined;
  /** The pCPU whose trap is being handled. */
  private cur = 0;
  private readonly out = { value: 0n };
  /** Each VM's virtio-blk base image by VM id: an input like the kernel image, never modified (writes go to the overlay in the state). */
  private readonly disks: Array<Uint8Array | null> = [];

  /** Build the VMs of `cfg` and boot them; with `cfg` null, only attach
   *  (register the component and take EL2) for a snapshot restore that
   *  brings the state. */
  constructor(readonly m: Machine, cfg: HypervisorConfig | null) {
    if (cfg && cfg.vms.length < 1) throw new Error('hypervisor: at least one VM');
    const need = cfg ? machineRamFor(cfg) : 0;
    if (m.config.ramBytes < need) throw new Error(`hypervisor: machine RAM ${m.config.ramBytes} < ${need} needed`);
    this.s = {
      version: HV_STATE_VERSION,
      reserveBase: RAM_BASE,
      reserveBytes: HV_RESERVE_BYTES,
      reserveNext: RAM_BASE + 0x1_0000, // the first 64 KiB: the hypervisor's own entry page
      vms: [],
      pcpus: Array.from({ length: m.numCpus }, () => ({ started: false, loaded: null, running: false, runq: [], rr: -1, sliceEnd: '0x0', lrUsed: 0 })),
      log: [],
      counters: { traps: 0, irqs: 0, hvc: 0, mmio: 0, sysreg: 0, wfi: 0, switches: 0, injectedAborts: 0 },
      vswitch: createVswitch(cfg?.vms.length ?? 0),
      consoleOwner: -1,
      consoleVm: 0,
    };
    let backing = RAM_BASE + HV_RESERVE_BYTES;
    let global = 0;
    cfg?.vms.forEach((vc, id) => {
      if (!Number.isInteger(vc.numVcpus) || vc.numVcpus < 1 || vc.numVcpus > 8) throw new Error(`VM ${id}: 1..8 vCPUs`);
      if (vc.ramBytes % (2 << 20) !== 0 || vc.ramBytes < (2 << 20)) throw new Error(`VM ${id}: RAM must be a multiple of 2 MiB`);
      const vm: VmState = {
        id, vmid: id + 1, name: vc.name ?? `vm${id}`, ramIpa: GUEST_RAM_IPA, ramBytes: vc.ramBytes, backingPa: backing,
        s2Root: allocTablePage(m.core, this.s), cntvoff: '0x0',
        vcpus: [], gic: createVgic(vc.numVcpus), uart: createVuart(), rtc: createVrtc(), power: 'running',
        virtio: [createVirtioNet(VIRTIO_NET_SLOT, vmMac(id), id)],
      };
      if (vc.disk) {
        if (vc.disk.length < 512) throw new Error(`VM ${id}: the disk image has ${vc.disk.length} bytes, less than one 512-byte sector`);
        vm.virtio.push(createVirtioBlk(VIRTIO_BLK_SLOT, vc.disk.length));
      }
      this.disks[id] = vc.disk ?? null;
      for (let v = 0; v < vc.numVcpus; v++, global++) {
        const pcpu = global % m.numCpus;
        vm.vcpus.push({ id: v, run: 'off', pcpu, ctx: null, exits: 0 });
        this.s.pcpus[pcpu]!.runq.push([id, v]);
      }
      s2MapRam(m.core, this.s, vm.s2Root, GUEST_RAM_IPA, backing, vc.ramBytes);
      this.s.vms.push(vm);
      this.loadGuest(vm, vc);
      backing += vc.ramBytes;
    });
    m.registerComponent(HYPERVISOR_COMPONENT, {
      getState: () => structuredClone(this.s),
      loadState: (st: unknown) => {
        const x = upgradeHvState(st);
        if (x instanceof Error) throw x;
        this.s = x;
      },
    });
    m.software = this;
    // pCPU 0 enters the hypervisor at EL2h; the others are started by PSCI
    // CPU_ON to the EL3 firmware (SMC from EL2) when they have vCPUs to run.
    // Nothing is traced here: the run starts at pCPU 0's first resume().
    if (cfg) m.core.setPstate(0, 0x3c9);
  }

  /** pCPU 0's boot path: start the other pCPUs that have vCPUs (SMC CPU_ON to the EL3 firmware, entry in the reserve). */
  private startSecondaries(): void {
    const m = this.m;
    for (let c = 1; c < m.numCpus; c++) {
      if (this.s.pcpus[c]!.runq.length === 0) continue;
      const args = [m.mpidr(c), BigInt(RAM_BASE), 0n];
      const r = psciCall(m, { cpu: 0, callerEl: 2, fn: PSCI_CPU_ON_64, args });
      m.trace.emit({ kind: 'psci', tick: m.core.nowTick(0), cpu: 0, fn: PSCI_CPU_ON_64, args: args.map(A.hex), result: A.hex(r ?? 0n) });
    }
  }

  /** QEMU -kernel placement into the VM's RAM (written at the IPA's backing PA). */
  private loadGuest(vm: VmState, vc: VmConfig): void {
    const core = this.m.core;
    const plan = planBoot({ kernel: vc.kernel, initrd: vc.initrd, dtbSize: Math.max(vc.dtb?.length ?? 0, 0x10000), ramBytes: BigInt(vc.ramBytes) });
    const dtb = vc.dtb ?? buildVirtDeviceTreeBlob({
      numCpus: vm.vcpus.length, memBytes: BigInt(vc.ramBytes), bootargs: vc.bootargs ?? '', initrd: plan.initrd ?? undefined,
      seed: this.m.config.seed + BigInt(vm.id), psciMethod: 'hvc', virtio: true,
    });
    const pa = (ipa: bigint): number => vm.backingPa + Number(ipa) - vm.ramIpa;
    for (const region of plan.loads) {
      core.writePhys(pa(region.address), region.bytes);
      const tail = Number(region.memSize) - region.bytes.length;
      if (tail > 0) core.writePhys(pa(region.address) + region.bytes.length, new Uint8Array(tail));
    }
    if (plan.dtbAddress !== null) core.writePhys(pa(plan.dtbAddress), dtb);
    const v0 = vm.vcpus[0]!;
    v0.ctx = freshContext(core, 0, plan.bootPc, plan.bootRegs.x0);
    v0.ctx.x[1] = A.hex(plan.bootRegs.x1);
    v0.ctx.x[2] = A.hex(plan.bootRegs.x2);
    v0.ctx.x[3] = A.hex(plan.bootRegs.x3);
    v0.run = 'on-pending';
    for (const v of vm.vcpus) if (!v.ctx) v.ctx = freshContext(core, v.id, 0n, 0n);
  }

  // ---------------------------------------------------------------- helpers

  sysRead(cpu: number, key: number): bigint {
    const m = this.m;
    const dev = m.gic.claims(key) ? m.gic : m.timer;
    dev.read(cpu, key, this.out);
    return this.out.value;
  }
  sysWrite(cpu: number, key: number, value: bigint): void {
    const m = this.m;
    (m.gic.claims(key) ? m.gic : m.timer).write(cpu, key, value);
  }
  private mmio32(cpu: number, pa: number, value?: number): number {
    if (value === undefined) return Number(this.m.bus.read(pa, 4, cpu) ?? 0n);
    this.m.bus.write(pa, 4, BigInt(value >>> 0), cpu);
    return 0;
  }
  private count(cpu: number): number {
    return Math.floor(this.m.core.nowTick(cpu) / L.TICKS_PER_COUNTER);
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

  /** Whether the guest of VM `vmId` has written to its disk (its overlay holds data). */
  diskDirty(vmId: number): boolean {
    const dev = this.blkOf(vmId);
    return dev?.blk !== undefined && Object.keys(dev.blk.overlay).length > 0;
  }

  // -------------------------------------------------------- pCPU bring-up

  /** What EL2 boot code does on each pCPU: physical GIC CPU interface and
   *  redistributor, (pCPU 0) distributor and UART, EL2 controls. */
  private pcpuInit(cpu: number): void {
    const core = this.m.core;
    const rd = GICR_BASE + cpu * 0x2_0000;
    this.mmio32(cpu, rd + 0x14, 0); // GICR_WAKER.ProcessorSleep = 0
    const ppis = (1 << SGI_KICK) | (1 << PPI_MAINT) | (1 << PPI_HYP_TIMER) | (1 << PPI_VTIMER) | (1 << PPI_PTIMER);
    this.mmio32(cpu, rd + 0x1_0080, 0xffff_ffff); // IGROUPR0: Group 1
    this.mmio32(cpu, rd + 0x1_0100, ppis); // ISENABLER0
    this.sysWrite(cpu, ICC_PMR_EL1, 0xffn);
    this.sysWrite(cpu, ICC_CTLR_EL1, 2n); // EOImode = 1: EOIR drops priority, DIR deactivates (HW-injected interrupts are deactivated by the guest)
    this.sysWrite(cpu, ICC_IGRPEN1_EL1, 1n);
    if (cpu === 0) {
      const gicd = 0x0800_0000;
      this.mmio32(cpu, gicd + 0x0000, 0x12); // GICD_CTLR: EnableGrp1, ARE
      const spis = (1 << (UART_SPI_PHYS - 32)) | (1 << (RTC_SPI_PHYS - 32));
      this.mmio32(cpu, gicd + 0x0084, spis); // IGROUPR1
      this.mmio32(cpu, gicd + 0x6000 + UART_SPI_PHYS * 8, 0); // IROUTER: pCPU 0
      this.mmio32(cpu, gicd + 0x6000 + RTC_SPI_PHYS * 8, 0);
      this.mmio32(cpu, gicd + 0x0104, spis); // ISENABLER1
      this.mmio32(cpu, UART_BASE + 0x38, 0x50); // UARTIMSC: RX, RT
      this.mmio32(cpu, UART_BASE + 0x30, 0x301); // UARTCR: UARTEN, TXE, RXE
    }
    core.setSysregSlot(cpu, L.SLOT_CNTHCTL_EL2, A.CNTHCTL_GUEST);
    core.setSysregSlot(cpu, L.SLOT_CPTR_EL2, A.CPTR_GUEST);
    core.setSysregSlot(cpu, L.SLOT_VTCR_EL2, A.VTCR_VALUE);
    core.setSysregSlot(cpu, L.SLOT_HCR_EL2, A.HCR_GUEST);
    this.s.pcpus[cpu]!.started = true;
  }

  // ---------------------------------------------------------- entry points

  handle(m: Machine, cpu: number, toEl: number): void {
    const cur = toEl === 2 ? this.vcpuOf(cpu) : null;
    if (!cur) {
      m.stop({ kind: 'halt', message: `hypervisor: exception to EL${toEl} on pCPU ${cpu} with no vCPU loaded` });
      return;
    }
    const [vm, vc] = cur;
    this.cur = cpu;
    this.s.counters['traps']!++;
    vc.exits++;
    vgicSync(this, cpu, vm, vc.id);
    const kind = m.core.excKind(cpu);
    let resched = false;
    if (kind === L.EXC_SYNC) resched = this.syncTrap(cpu, vm, vc);
    else resched = this.physIrqs(cpu);
    if (m.stopped) return;
    if (vc.run === 'off') this.unload(cpu, vm, vc);
    if (resched || vc.run !== 'running' || vm.power !== 'running') this.schedule(cpu);
    else this.enter(cpu, vm, vc);
  }

  /** A vCPU that powered off leaves its pCPU: its context is dropped (CPU_ON gives it a fresh one). */
  private unload(cpu: number, vm: VmState, vc: VcpuState): void {
    const p = this.s.pcpus[cpu]!;
    if (p.running) this.emitSched(cpu, vm.id, vc.id, 'out');
    p.running = false;
    saveContext(this.m.core, this, cpu); // quiesces its timers; the context itself is not kept
    this.mmio32(cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0380, (1 << PPI_VTIMER) | (1 << PPI_PTIMER));
    vgicClear(this, cpu, p.lrUsed);
    p.lrUsed = 0;
    p.loaded = null;
  }

  /** A pCPU at EL2 is given the CPU: first start, or woken from idle. */
  resume(m: Machine, cpu: number): void {
    this.cur = cpu;
    if (!this.s.pcpus[cpu]!.started) {
      this.pcpuInit(cpu);
      if (cpu === 0) this.startSecondaries();
    }
    this.physIrqs(cpu);
    if (m.stopped) return;
    this.schedule(cpu);
  }

  // --------------------------------------------------------------- entries

  private enter(cpu: number, vm: VmState, vc: VcpuState): void {
    const p = this.s.pcpus[cpu]!;
    p.lrUsed = vgicFlush(this, cpu, vm, vc.id, p.lrUsed);
    this.m.core.eret(cpu);
  }

  private emitSched(cpu: number, vm: number, vcpu: number, dir: 'in' | 'out'): void {
    const tick = this.m.core.nowTick(cpu);
    this.m.trace.emit({ kind: 'sched', tick, cpu, vm, vcpu, dir });
    this.onSched?.({ tick, cpu, vm, vcpu, dir });
  }

  /** Wake the saved (not loaded) blocked vCPUs of a pCPU whose timer fired or that have a pending interrupt. */
  private wakeSaved(cpu: number): void {
    const p = this.s.pcpus[cpu]!;
    const now = this.count(cpu);
    for (const [vi, ci] of p.runq) {
      const vm = this.s.vms[vi]!;
      const vc = vm.vcpus[ci]!;
      if (vc.run !== 'blocked') continue;
      if (hasPendingFor(vm, ci) || (vc.ctx && timerDeadline(vc.ctx, BigInt(vm.cntvoff)) <= now)) vc.run = 'runnable';
    }
  }

  /** Pick the next vCPU for `cpu` (round-robin among runnable ones) and enter it, or idle. */
  schedule(cpu: number): void {
    const p = this.s.pcpus[cpu]!;
    const core = this.m.core;
    this.wakeSaved(cpu);
    const cur = this.vcpuOf(cpu);
    if (cur && cur[1].run === 'running') cur[1].run = 'runnable';
    const n = p.runq.length;
    let pick = -1;
    for (let k = 1; k <= n; k++) {
      const idx = (((p.rr + k) % n) + n) % n;
      const [vi, ci] = p.runq[idx]!;
      const vm = this.s.vms[vi]!;
      const r = vm.vcpus[ci]!.run;
      if (vm.power === 'running' && (r === 'runnable' || r === 'on-pending')) {
        pick = idx;
        break;
      }
    }
    const wasRunning = p.running;
    if (pick < 0) {
      // Idle: keep the last vCPU's context loaded (its timers keep running and wake us).
      if (cur && wasRunning) this.emitSched(cpu, cur[0].id, cur[1].id, 'out');
      p.running = false;
      vgicClear(this, cpu, p.lrUsed);
      p.lrUsed = 0;
      this.programTimer(cpu);
      this.m.sleepCpu(cpu);
      return;
    }
    const [vi, ci] = p.runq[pick]!;
    const vm = this.s.vms[vi]!;
    const vc = vm.vcpus[ci]!;
    p.rr = pick;
    const same = cur !== null && cur[0] === vm && cur[1] === vc;
    if (!same) {
      if (cur) {
        if (wasRunning) this.emitSched(cpu, cur[0].id, cur[1].id, 'out');
        this.switchOut(cpu, cur[0], cur[1]);
      }
      this.switchIn(cpu, vm, vc);
      this.s.counters['switches']!++;
    }
    if (!same || !wasRunning) this.emitSched(cpu, vm.id, vc.id, 'in');
    vc.run = 'running';
    p.running = true;
    // A slice that has run out is renewed also when the same vCPU continues
    // (nothing else runnable on this pCPU): otherwise programTimer arms CNTHP
    // at a deadline in the past and the pCPU takes the hyp timer IRQ forever
    // without running the guest, a host hang (found by guests/conformance
    // 'timer' with 3 vCPUs on 2 pCPUs; regression test in
    // guests/conformance/hypervisor.test.ts).
    if (!same || !wasRunning || this.count(cpu) >= Number(BigInt(p.sliceEnd))) p.sliceEnd = A.hex(BigInt(this.count(cpu) + SLICE_COUNTS));
    this.programTimer(cpu);
    this.enter(cpu, vm, vc);
  }

  private switchOut(cpu: number, vm: VmState, vc: VcpuState): void {
    const core = this.m.core;
    vc.ctx = saveContext(core, this, cpu);
    // A HW-injected timer interrupt still active for this vCPU keeps the
    // physical PPI active: deactivate it here, re-activate on switch-in.
    const rd = GICR_BASE + cpu * 0x2_0000;
    this.mmio32(cpu, rd + 0x1_0380, (1 << PPI_VTIMER) | (1 << PPI_PTIMER)); // GICR_ICACTIVER0
    const p = this.s.pcpus[cpu]!;
    vgicClear(this, cpu, p.lrUsed);
    p.lrUsed = 0;
    p.loaded = null;
  }

  private switchIn(cpu: number, vm: VmState, vc: VcpuState): void {
    const core = this.m.core;
    // VM controls: VTTBR_EL2 (Stage-2 root, VMID in bits 55:48 with 8-bit VMIDs), VTCR, HCR, CNTVOFF.
    core.setSysregSlot(cpu, L.SLOT_VTTBR_EL2, (BigInt(vm.vmid) << 48n) | BigInt(vm.s2Root));
    core.setSysregSlot(cpu, L.SLOT_VTCR_EL2, A.VTCR_VALUE);
    core.setSysregSlot(cpu, L.SLOT_HCR_EL2, A.HCR_GUEST | (this.s.pcpus[cpu]!.runq.length > 1 ? A.HCR_TWE : 0n));
    core.setSysregSlot(cpu, L.SLOT_CNTVOFF_EL2, BigInt(vm.cntvoff));
    loadContext(core, this, cpu, vc.ctx!);
    vc.ctx = null;
    this.m.timer.reevaluate(cpu);
    const g = vm.gic;
    let act = 0;
    for (const intid of [PPI_VTIMER, PPI_PTIMER]) {
      const s = slotOf(vm, vc.id, intid);
      if (g.hw[s] && (g.active[s] || g.pending[s])) act |= 1 << intid;
    }
    if (act) this.mmio32(cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0300, act); // GICR_ISACTIVER0
    this.sysWrite(cpu, ICH_HCR_EL2, 1n);
    this.s.pcpus[cpu]!.loaded = [vm.id, vc.id];
  }

  /** CNTHP_EL2: end of the time slice when others wait, or the earliest timer of a saved blocked vCPU. */
  private programTimer(cpu: number): void {
    const p = this.s.pcpus[cpu]!;
    let deadline = Infinity;
    if (p.running && p.runq.length > 1) deadline = Number(BigInt(p.sliceEnd));
    const loaded = p.loaded;
    for (const [vi, ci] of p.runq) {
      const vm = this.s.vms[vi]!;
      const vc = vm.vcpus[ci]!;
      if (vc.run === 'blocked' && vc.ctx && !(loaded && loaded[0] === vi && loaded[1] === ci)) {
        deadline = Math.min(deadline, timerDeadline(vc.ctx, BigInt(vm.cntvoff)));
      }
    }
    if (deadline === Infinity) {
      this.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 0n);
      return;
    }
    this.sysWrite(cpu, KEY_CNTHP_CVAL_EL2, BigInt(Math.max(0, deadline)));
    this.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 1n);
  }

  /** Make `vcpu` (or all when -1) re-check for deliverable interrupts: wake it if blocked, kick its pCPU. */
  notify(vm: VmState, vcpu: number): void {
    if (vcpu < 0) {
      for (let v = 0; v < vm.vcpus.length; v++) this.notify(vm, v);
      return;
    }
    const vc = vm.vcpus[vcpu]!;
    if (vc.run === 'blocked' && hasPendingFor(vm, vcpu)) vc.run = 'runnable';
    else if (vc.run !== 'running' && vc.run !== 'runnable') return;
    if (vc.pcpu !== this.cur) this.kick(vc.pcpu);
  }

  /** Physical SGI to another pCPU so it re-evaluates (ICC_SGI1R_EL1 at EL2: TargetList bit = Aff0). */
  private kick(pcpu: number): void {
    if (!this.s.pcpus[pcpu]!.started && pcpu !== 0) return;
    this.sysWrite(this.cur, ICC_SGI1R_EL1, (BigInt(SGI_KICK) << 24n) | (1n << BigInt(pcpu)));
  }

  hwLevel(cpu: number, intid: number): boolean {
    const ctl = Number(this.sysRead(cpu, intid === PPI_VTIMER ? KEY_CNTV_CTL_EL0 : KEY_CNTP_CTL_EL0));
    return (ctl & 7) === 5; // ENABLE, not IMASK, ISTATUS (D11.2.4)
  }
  hwDrop(cpu: number, intid: number): void {
    this.mmio32(cpu, GICR_BASE + cpu * 0x2_0000 + 0x1_0380, 1 << intid); // GICR_ICACTIVER0
  }

  hwDeactivated(vm: VmState, vcpu: number, intid: number): void {
    const vc = vm.vcpus[vcpu]!;
    const l = this.s.pcpus[vc.pcpu]!.loaded;
    if (l && l[0] === vm.id && l[1] === vcpu) this.mmio32(this.cur, GICR_BASE + vc.pcpu * 0x2_0000 + 0x1_0380, 1 << intid);
  }

  // ----------------------------------------------------- physical IRQs

  /** Acknowledge and dispatch every pending physical interrupt. Returns true when a scheduling decision is due. */
  private physIrqs(cpu: number): boolean {
    let resched = false;
    const p = this.s.pcpus[cpu]!;
    for (let guard = 0; guard < 64; guard++) {
      const intid = Number(this.sysRead(cpu, ICC_IAR1_EL1) & 0xff_ffffn);
      if (intid >= 1020) break;
      this.s.counters['irqs']!++;
      this.sysWrite(cpu, ICC_EOIR1_EL1, BigInt(intid)); // priority drop
      const cur = this.vcpuOf(cpu);
      if ((intid === PPI_VTIMER || intid === PPI_PTIMER) && cur) {
        // Inject with HW = 1: the guest's EOI deactivates the physical PPI.
        const [vm, vc] = cur;
        const s = slotOf(vm, vc.id, intid);
        vm.gic.hw[s] = 1;
        vm.gic.pending[s] = 1;
        if (vc.run === 'blocked' && hasPendingFor(vm, vc.id)) vc.run = 'runnable';
        if (!p.running) resched = true;
        continue;
      }
      this.sysWrite(cpu, ICC_DIR_EL1, BigInt(intid));
      if (intid === PPI_HYP_TIMER) {
        this.sysWrite(cpu, KEY_CNTHP_CTL_EL2, 0n);
        resched = true;
      } else if (intid === RTC_SPI_PHYS) {
        this.rtcMatch(cpu);
      } else if (intid === UART_SPI_PHYS) {
        this.uartRx(cpu);
      } else if (intid < 16) {
        resched = true;
      }
    }
    return resched;
  }

  /** Move console input from the physical PL011 into the console VM's vPL011 while it has
   *  room. With the vPL011 FIFO full the physical RX interrupts are masked, so
   *  input waits in the physical FIFO (and behind it, in the recorder's flow
   *  control) instead of being lost; the guest's next DR read drains again. */
  private uartRx(cpu: number): void {
    const vm = this.s.vms[this.s.consoleVm]!;
    let imsc = 0x50; // RX, RT
    for (;;) {
      if (this.mmio32(cpu, UART_BASE + 0x18) & 0x10) break; // RXFE
      if (vuartFull(vm.uart)) {
        imsc = 0;
        break;
      }
      const b = this.mmio32(cpu, UART_BASE) & 0xff;
      if (this.onConsoleInput?.(b)) continue;
      vuartPushRx(vm.uart, b);
    }
    if (this.mmio32(cpu, UART_BASE + 0x38) !== imsc) this.mmio32(cpu, UART_BASE + 0x38, imsc); // UARTIMSC
    this.uartIrq(vm);
  }

  private uartIrq(vm: VmState): void {
    this.spiLine(vm, UART_INTID, vuartLevel(vm.uart), true);
  }

  /** Drive an emulated device's level-sensitive SPI; on a rising level make the
   *  target vCPU (`all`: every vCPU) re-check for interrupts. */
  private spiLine(vm: VmState, intid: number, level: boolean, all = false): void {
    const s = slotOf(vm, 0, intid);
    if ((vm.gic.level[s] === 1) === level) return;
    setLevel(vm, s, level);
    if (level) this.notify(vm, all ? -1 : targetOf(vm, s));
  }

  /** Console output of a VM, through the physical PL011. With several VMs every
   *  line is prefixed with the VM's name; the VM that started a line owns the
   *  console until its newline (so a prompt shows at once), and a line another
   *  VM completes meanwhile is printed after a line break, followed by a redraw
   *  of the owner's unfinished line. */
  /** Bytes (or latin1 text) to the physical PL011's data register. */
  private physOut(bytes: Iterable<number> | string): void {
    for (const b of typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes) this.m.bus.write(UART_BASE, 4, BigInt(b & 0xff), this.cur);
  }

  private consoleOut(vm: VmState, byte: number): void {
    if (this.s.vms.length === 1) {
      this.physOut([byte]);
      return;
    }
    const prefix = (v: VmState): string => `[${v.name}] `;
    const owner = this.s.consoleOwner;
    const newline = byte === 10;
    if (owner === -1 || owner === vm.id) {
      if (owner === -1) this.physOut(prefix(vm));
      this.physOut([byte]);
      if (newline) {
        vm.uart.line = [];
        this.s.consoleOwner = -1;
      } else {
        if (vm.uart.line.length < 1024) vm.uart.line.push(byte & 0xff); // kept for redraws
        this.s.consoleOwner = vm.id;
      }
      return;
    }
    vm.uart.line.push(byte & 0xff);
    if (!newline && vm.uart.line.length < 256) return;
    const o = this.s.vms[owner]!;
    this.physOut([13, 10]);
    this.physOut(prefix(vm));
    this.physOut(vm.uart.line);
    if (!newline) this.physOut([13, 10]);
    vm.uart.line = [];
    this.physOut(prefix(o));
    this.physOut(o.uart.line);
  }

  // ----------------------------------------------------------- sync traps

  private advance(cpu: number): void {
    const core = this.m.core;
    core.setSysregSlot(cpu, L.SLOT_ELR_EL2, core.sysregSlot(cpu, L.SLOT_ELR_EL2) + 4n);
  }

  private syncTrap(cpu: number, vm: VmState, vc: VcpuState): boolean {
    const core = this.m.core;
    const esr = Number(core.sysregSlot(cpu, L.SLOT_ESR_EL2) & 0xffff_ffffn);
    const ec = esr >>> 26;
    const iss = esr & 0x1ff_ffff;
    switch (ec) {
      case A.EC_WFX:
        this.advance(cpu);
        this.s.counters['wfi']!++;
        if (iss & 1) return true; // WFE (trapped only on a shared pCPU): yield to the next runnable vCPU
        if (hasPendingFor(vm, vc.id)) return false;
        vc.run = 'blocked';
        return true;
      case A.EC_HVC64:
        this.s.counters['hvc']!++;
        this.hvc(cpu, vm, vc);
        return false;
      case A.EC_SMC64: {
        this.advance(cpu); // a trapped SMC's preferred return address is the SMC itself
        const fn = Number(core.getX(cpu, 0) & 0xffff_ffffn);
        const oen = (fn >>> 24) & 0x3f; // SMCCC owning entity: 0 Arm architecture, 4 standard (PSCI)
        if (oen === 0 || oen === 4) this.psci(cpu, vm, vc, fn);
        else core.setX(cpu, 0, BigInt.asUintN(64, -1n)); // NOT_SUPPORTED
        return false;
      }
      case A.EC_SYSREG:
        this.s.counters['sysreg']!++;
        this.sysregTrap(cpu, vm, vc, iss);
        return false;
      case A.EC_DABT_LOW:
        this.dataAbort(cpu, vm, vc, iss);
        return false;
      case A.EC_IABT_LOW:
        this.injectAbort(cpu, false, core.sysregSlot(cpu, L.SLOT_FAR_EL2));
        return false;
    }
    this.injectUndef(cpu);
    return false;
  }

  private psci(cpu: number, vm: VmState, vc: VcpuState, fn: number): void {
    const core = this.m.core;
    const args = [core.getX(cpu, 1), core.getX(cpu, 2), core.getX(cpu, 3)];
    const r = psciCall(guestPsciPlatform(this, vm), { cpu: vc.id, callerEl: 1, fn, args });
    if (r !== null) core.setX(cpu, 0, r);
    this.m.trace.emit({ kind: 'psci', tick: core.nowTick(cpu), cpu, fn, args: args.map(A.hex), result: A.hex(r ?? 0n) });
  }

  private hvc(cpu: number, vm: VmState, vc: VcpuState): void {
    const core = this.m.core;
    const x0 = core.getX(cpu, 0);
    if (x0 > 5n) {
      this.psci(cpu, vm, vc, Number(x0 & 0xffff_ffffn));
      return;
    }
    const x1 = core.getX(cpu, 1);
    const x2 = core.getX(cpu, 2);
    const x3 = core.getX(cpu, 3);
    let r = H.HV_OK;
    switch (Number(x0)) {
      case H.HVC_GET_HV_ID:
        core.setX(cpu, 1, H.HV_ABI_VERSION);
        r = H.HV_ID;
        break;
      case H.HVC_DUMP_LOG:
        for (const line of this.s.log) this.physOut(`hv: ${line}\n`);
        r = BigInt(this.s.log.length);
        break;
      case H.HVC_GET_STATUS:
        core.setX(cpu, 1, BigInt(vm.id));
        core.setX(cpu, 2, BigInt(vc.id));
        core.setX(cpu, 3, BigInt(vm.vcpus.length));
        break;
      case H.HVC_PAUSE:
        this.log(`${vm.name} vcpu${vc.id}: pause`);
        this.onPause(vm, vc.id);
        break;
      case H.HVC_GUEST_CONSOLE_WRITE: {
        if (x2 > BigInt(H.HV_CONSOLE_MAX)) {
          r = H.HV_ERR_INVALID;
          break;
        }
        const len = Number(x2);
        if (x1 >= 1n << 32n) {
          r = H.HV_ERR_FAULT;
          break;
        }
        const ipa = Number(x1);
        const bytes: number[] = [];
        for (let i = 0; i < len; i++) {
          const pa = s2Translate(core, vm.s2Root, ipa + i);
          if (pa < 0) break;
          bytes.push(core.readPhys(pa, 1)[0]!);
        }
        if (bytes.length !== len) {
          r = H.HV_ERR_FAULT;
          break;
        }
        for (const b of bytes) this.consoleOut(vm, b);
        r = BigInt(len);
        break;
      }
      case H.HVC_REPORT_EXCEPTION:
        this.log(`${vm.name} vcpu${vc.id}: exception ESR=${A.hex(x1)} ELR=${A.hex(x2)} FAR=${A.hex(x3)}`);
        break;
    }
    core.setX(cpu, 0, r);
  }

  private sysregTrap(cpu: number, vm: VmState, vc: VcpuState, iss: number): void {
    const core = this.m.core;
    // ISS for EC 0x18 (D13.2.37): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1 = read).
    const op0 = (iss >> 20) & 3;
    const op2 = (iss >> 17) & 7;
    const op1 = (iss >> 14) & 7;
    const crn = (iss >> 10) & 15;
    const rt = (iss >> 5) & 31;
    const crm = (iss >> 1) & 15;
    const read = (iss & 1) === 1;
    const key = sysregKey(op0, op1, crn, crm, op2);
    // ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 (trapped with HCR_EL2.IMO/FMO, §12.2).
    if (!read && op0 === 3 && op1 === 0 && crn === 12 && crm === 11 && op2 >= 5) {
      this.sgi(vm, vc.id, core.getX(cpu, rt));
      this.advance(cpu);
      return;
    }
    void key;
    this.injectUndef(cpu);
  }

  /** Emulate an SGI write (IHI 0069 §12.2.18): TargetList [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]. */
  private sgi(vm: VmState, self: number, value: bigint): void {
    const lo = Number(value & 0xffff_ffffn);
    const hi = Number(value >> 32n);
    const intid = (lo >>> 24) & 0xf;
    const irm = (hi >>> 8) & 1;
    const targets: number[] = [];
    if (irm) {
      for (let v = 0; v < vm.vcpus.length; v++) if (v !== self) targets.push(v);
    } else {
      const aff1 = (lo >>> 16) & 0xff;
      const aff2 = hi & 0xff;
      const aff3 = (hi >>> 16) & 0xff;
      const rs = (hi >>> 12) & 0xf;
      if (aff1 === 0 && aff2 === 0 && aff3 === 0) {
        for (let b = 0; b < 16; b++) {
          const v = rs * 16 + b;
          if ((lo >>> b) & 1 && v < vm.vcpus.length) targets.push(v);
        }
      }
    }
    for (const v of targets) {
      vm.gic.pending[v * 32 + intid] = 1;
      this.notify(vm, v);
    }
  }

  private dataAbort(cpu: number, vm: VmState, vc: VcpuState, iss: number): void {
    const core = this.m.core;
    const far = core.sysregSlot(cpu, L.SLOT_FAR_EL2);
    const dfsc = iss & 0x3f;
    const s1ptw = (iss >> 7) & 1;
    const ipa = Number(core.sysregSlot(cpu, L.SLOT_HPFAR_EL2) >> 4n) * 0x1000 + Number(far & 0xfffn);
    const acc = (dfsc & 0x3c) === 0x04 && !s1ptw ? decodeDataAbort(core, cpu, vm, iss) : null;
    if (!acc || !this.mmio(cpu, vm, vc, ipa, acc)) {
      this.injectAbort(cpu, true, far);
      return;
    }
    this.s.counters['mmio']!++;
    this.advance(cpu);
  }

  /** Emulate one device access at `ipa`; false when nothing is there. */
  private mmio(cpu: number, vm: VmState, vc: VcpuState, ipa: number, a: MmioAccess): boolean {
    const core = this.m.core;
    const regs = a.rt2 >= 0 ? [a.rt, a.rt2] : [a.rt];
    for (let i = 0; i < regs.length; i++) {
      const addr = ipa + i * a.size;
      const rt = regs[i]!;
      const mask = a.size === 8 ? (1n << 64n) - 1n : (1n << BigInt(a.size * 8)) - 1n;
      if (a.write) {
        const v = core.getX(cpu, rt) & mask; // X31 reads as XZR
        if (!this.devWrite(vm, vc, addr, a.size, v)) return false;
      } else {
        let v = this.devRead(vm, vc, addr, a.size);
        if (v === undefined) return false;
        v &= mask;
        if (a.signExtend && a.size < 8) v = BigInt.asUintN(64, BigInt.asIntN(a.size * 8, v));
        if (!a.sf) v &= 0xffff_ffffn;
        core.setX(cpu, rt, v);
      }
    }
    if (a.writeback) a.writeback();
    return true;
  }

  private devRead(vm: VmState, vc: VcpuState, ipa: number, size: number): bigint | undefined {
    if (ipa >= GICD_IPA && ipa < GICD_IPA + GICD_SIZE) return gicdRead(vm, vc.id, ipa - GICD_IPA, size);
    if (ipa >= GICR_IPA && ipa < GICR_IPA + vm.vcpus.length * GICR_STRIDE) {
      const o = ipa - GICR_IPA;
      return gicrRead(vm, Math.floor(o / GICR_STRIDE), o % GICR_STRIDE, size);
    }
    if (ipa >= UART_IPA && ipa < UART_IPA + 0x1000) {
      const full = vuartFull(vm.uart);
      const v = vuartRead(vm.uart, ipa - UART_IPA);
      if (full && vm.id === this.s.consoleVm && !vuartFull(vm.uart)) this.uartRx(this.cur); // room again: take held-back input
      this.uartIrq(vm);
      return v === undefined ? undefined : BigInt(v);
    }
    if (ipa >= RTC_IPA && ipa < RTC_IPA + 0x1000) {
      const v = vrtcRead(vm.rtc, ipa - RTC_IPA, this.physSeconds());
      return v === undefined ? undefined : BigInt(v);
    }
    if (ipa >= VIRTIO_MMIO_BASE && ipa < VIRTIO_MMIO_BASE + VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_STRIDE) {
      const off = (ipa - VIRTIO_MMIO_BASE) % VIRTIO_MMIO_STRIDE;
      const dev = this.virtioAt(vm, ipa);
      const v = dev ? virtioRead(dev, off, size, this.virtioCtx(vm)) : emptySlotRead(off, size);
      if (dev) this.virtioIrq(vm, dev);
      return v === undefined ? undefined : BigInt(v);
    }
    return undefined;
  }

  private devWrite(vm: VmState, vc: VcpuState, ipa: number, size: number, value: bigint): boolean {
    if (ipa >= GICD_IPA && ipa < GICD_IPA + GICD_SIZE) return gicdWrite(this, vm, vc.id, ipa - GICD_IPA, size, value);
    if (ipa >= GICR_IPA && ipa < GICR_IPA + vm.vcpus.length * GICR_STRIDE) {
      const o = ipa - GICR_IPA;
      return gicrWrite(this, vm, Math.floor(o / GICR_STRIDE), o % GICR_STRIDE, size, value);
    }
    if (ipa >= UART_IPA && ipa < UART_IPA + 0x1000) {
      const b = vuartWrite(vm.uart, ipa - UART_IPA, Number(value & 0xffff_ffffn));
      if (b >= 0) this.consoleOut(vm, b);
      this.uartIrq(vm);
      return true;
    }
    if (ipa >= RTC_IPA && ipa < RTC_IPA + 0x1000) {
      const now = this.physSeconds();
      vrtcWrite(vm.rtc, ipa - RTC_IPA, Number(value & 0xffff_ffffn), now);
      // Setting RTCMR or RTCLR so that the count equals the match register matches
      // at once (as QEMU's pl031 does); a match is otherwise the count reaching it.
      const off = ipa - RTC_IPA;
      if ((off === 0x04 || off === 0x08) && vrtcArmed(vm.rtc) && vrtcMatchAt(vm.rtc) === now) vm.rtc.ris |= 1;
      this.rtcIrq(vm);
      this.rtcProgram(this.cur, now);
      return true;
    }
    if (ipa >= VIRTIO_MMIO_BASE && ipa < VIRTIO_MMIO_BASE + VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_STRIDE) {
      const dev = this.virtioAt(vm, ipa);
      if (!dev) return emptySlotWrite((ipa - VIRTIO_MMIO_BASE) % VIRTIO_MMIO_STRIDE, size);
      const r = virtioWrite(dev, (ipa - VIRTIO_MMIO_BASE) % VIRTIO_MMIO_STRIDE, size, Number(value & 0xffff_ffffn), this.virtioCtx(vm));
      this.virtioIrq(vm, dev);
      for (const port of r.deliveredPorts) this.netPortDeliver(port);
      return r.ok;
    }
    return false;
  }

  // ------------------------------------------------------------- virtio

  private virtioAt(vm: VmState, ipa: number): VirtioMmioState | undefined {
    const slot = Math.floor((ipa - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_STRIDE);
    return vm.virtio.find((d) => d.slot === slot);
  }

  private virtioCtx(vm: VmState): VirtioCtx {
    return { mem: this.guestMemory(vm), disk: this.disks[vm.id] ?? null, vswitch: this.s.vswitch, log: (msg) => this.log(`${vm.name} virtio: ${msg}`) };
  }

  /** The VM's RAM as its devices reach it: [ramIpa, ramIpa + ramBytes) is one contiguous
   *  physical range, so an IPA range inside it needs no Stage-2 walk; nothing else is reachable. */
  private guestMemory(vm: VmState): GuestMemory {
    const core = this.m.core;
    const inside = (ipa: number, len: number): boolean =>
      Number.isSafeInteger(ipa) && Number.isSafeInteger(len) && len >= 0 && ipa >= vm.ramIpa && ipa + len <= vm.ramIpa + vm.ramBytes;
    return {
      contains: inside,
      read: (ipa, len) => (!inside(ipa, len) ? null : len === 0 ? new Uint8Array(0) : core.readPhys(vm.backingPa + ipa - vm.ramIpa, len).slice()),
      write: (ipa, bytes) => {
        if (!inside(ipa, bytes.length)) return false;
        if (bytes.length > 0) core.writePhys(vm.backingPa + ipa - vm.ramIpa, bytes);
        return true;
      },
    };
  }

  /** Frames arrived at vswitch port `port` (= VM id): fill that VM's RX buffers and interrupt it. */
  private netPortDeliver(port: number): void {
    const vm = this.s.vms[port];
    const dev = vm?.virtio.find((d) => d.kind === 'net');
    if (!vm || !dev || vm.power !== 'running') return;
    netDeliver(dev, this.virtioCtx(vm));
    this.virtioIrq(vm, dev);
  }

  /** Drive the transport's SPI (16 + slot) from its InterruptStatus. */
  private virtioIrq(vm: VmState, dev: VirtioMmioState): void {
    this.spiLine(vm, 32 + VIRTIO_SPI_BASE + dev.slot, virtioIrqLevel(dev));
  }

  // ------------------------------------------------------------ vPL031 alarms

  /** The physical PL031 matched: every VM whose armed alarm is this second gets RIS set. */
  private rtcMatch(cpu: number): void {
    const now = this.physSeconds();
    this.mmio32(cpu, RTC_BASE + 0x1c, 1); // RTCICR
    for (const vm of this.s.vms) {
      if (vm.power === 'running' && vrtcArmed(vm.rtc) && vrtcMatchAt(vm.rtc) === now) {
        vm.rtc.ris |= 1;
        this.rtcIrq(vm);
      }
    }
    this.rtcProgram(cpu, now);
  }

  /** Physical RTCMR = the next second (after `now`) at which an armed VM alarm matches; the match interrupt only while one is armed. */
  private rtcProgram(cpu: number, now: number): void {
    let best = 0;
    let bestDelta = 0;
    for (const vm of this.s.vms) {
      if (vm.power !== 'running' || !vrtcArmed(vm.rtc)) continue;
      const at = vrtcMatchAt(vm.rtc);
      const delta = (at - now) >>> 0;
      if (delta > 0 && (bestDelta === 0 || delta < bestDelta)) {
        best = at;
        bestDelta = delta;
      }
    }
    if (bestDelta === 0) {
      this.mmio32(cpu, RTC_BASE + 0x10, 0); // RTCIMSC: nothing armed
      return;
    }
    this.mmio32(cpu, RTC_BASE + 0x04, best); // RTCMR
    this.mmio32(cpu, RTC_BASE + 0x10, 1);
  }

  /** Drive the VM's vPL031 line (SPI 2, INTID 34) from RIS & IMSC. */
  private rtcIrq(vm: VmState): void {
    this.spiLine(vm, RTC_INTID, vrtcLevel(vm.rtc));
  }

  private physSeconds(): number {
    return Number(this.m.bus.read(RTC_BASE, 4, this.cur) ?? 0n);
  }

  // ------------------------------------------------- injection into EL1

  /** Enter the guest's EL1 vector as the PE would for a synchronous exception (D1.10.2). */
  private injectSync(cpu: number, esr: bigint, far: bigint | null): void {
    const core = this.m.core;
    const spsr = core.sysregSlot(cpu, L.SLOT_SPSR_EL2);
    const fromEl = Number((spsr >> 2n) & 3n);
    core.setSysregSlot(cpu, L.SLOT_ESR_EL1, esr);
    if (far !== null) core.setSysregSlot(cpu, L.SLOT_FAR_EL1, far);
    core.setSysregSlot(cpu, L.SLOT_ELR_EL1, core.sysregSlot(cpu, L.SLOT_ELR_EL2));
    core.setSysregSlot(cpu, L.SLOT_SPSR_EL1, spsr);
    const off = fromEl === 0 ? 0x400n : (spsr & 1n) ? 0x200n : 0n;
    core.setSysregSlot(cpu, L.SLOT_ELR_EL2, core.sysregSlot(cpu, L.SLOT_VBAR_EL1) + off);
    core.setSysregSlot(cpu, L.SLOT_SPSR_EL2, BigInt(A.PSTATE_EL1H_MASKED));
  }

  /** A synchronous external abort (DFSC/IFSC 0x10), as KVM injects for an access nothing backs. */
  private injectAbort(cpu: number, data: boolean, far: bigint): void {
    this.s.counters['injectedAborts']!++;
    const fromEl = Number((this.m.core.sysregSlot(cpu, L.SLOT_SPSR_EL2) >> 2n) & 3n);
    const ec = data ? (fromEl === 0 ? A.EC_DABT_LOW : A.EC_DABT_CUR) : (fromEl === 0 ? A.EC_IABT_LOW : A.EC_IABT_CUR);
    this.injectSync(cpu, (BigInt(ec) << 26n) | (1n << 25n) | 0x10n, far);
  }

  private injectUndef(cpu: number): void {
    this.injectSync(cpu, 1n << 25n, null);
  }

  // ------------------------------------------------------- guest PSCI

  vcpuOn(vm: VmState, c: number, entry: bigint, contextId: bigint): void {
    const vc = vm.vcpus[c]!;
    vc.ctx = freshContext(this.m.core, c, entry, contextId);
    vc.run = 'on-pending';
    if (vc.pcpu !== this.cur) this.kick(vc.pcpu);
  }
  vcpuOff(vm: VmState, c: number): void {
    const vc = vm.vcpus[c]!;
    vc.run = 'off';
    // Forget interrupt state that can no longer be delivered.
    for (let i = 0; i < 32; i++) {
      vm.gic.pending[c * 32 + i] = 0;
      vm.gic.active[c * 32 + i] = 0;
    }
  }
  vcpuStandby(vm: VmState, c: number): void {
    const vc = vm.vcpus[c]!;
    if (!hasPendingFor(vm, c)) vc.run = 'blocked';
  }
  vmOff(vm: VmState, reset: boolean): void {
    vm.power = reset ? 'reset' : 'off';
    for (const v of vm.vcpus) {
      // vCPUs running on other pCPUs are kicked: they trap, find the VM off and leave.
      if (v.run === 'running' && v.pcpu !== this.cur) this.kick(v.pcpu);
      v.run = 'off';
    }
    this.log(`${vm.name}: ${reset ? 'SYSTEM_RESET' : 'SYSTEM_OFF'}`);
    if (this.s.vms.every((x) => x.power !== 'running')) {
      const anyReset = this.s.vms.some((x) => x.power === 'reset');
      this.m.stop({ kind: anyReset ? 'system-reset' : 'system-off' });
      return;
    }
    if (vm.id === this.s.consoleVm) this.handOverConsole(vm);
  }

  /** The console VM went off: input goes to the next running VM, with what it had not read yet. */
  private handOverConsole(from: VmState): void {
    const n = this.s.vms.length;
    let to = from;
    for (let k = 1; k < n && to === from; k++) {
      const c = this.s.vms[(from.id + k) % n]!;
      if (c.power === 'running') to = c;
    }
    if (to === from) return;
    this.s.consoleVm = to.id;
    for (const b of from.uart.rx) vuartPushRx(to.uart, b);
    from.uart.rx = [];
    this.physOut(`\r\n[hv] ${from.name} is off: console input goes to ${to.name}\r\n`);
    const owner = this.s.consoleOwner;
    if (owner === from.id) this.s.consoleOwner = -1;
    else if (owner !== -1) {
      const o = this.s.vms[owner]!;
      this.physOut(`[${o.name}] `);
      this.physOut(o.uart.line);
    }
    this.log(`console input now goes to ${to.name}`);
    this.uartRx(this.cur);
  }
}
