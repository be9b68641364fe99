// VM construction: the hypervisor's initial state record and, for each VM of
// a configuration, its Stage-2 tables, vGIC, vPL011, vPL031 and virtio
// devices, vCPUs assigned round-robin to pCPUs, and its images placed in its
// RAM the way QEMU's -kernel does (core/firmware/boot.ts placeBootImages, the
// loader bare machines use too).
//
// Physical memory: [RAM_BASE, RAM_BASE + reserve) belongs to the hypervisor
// (its Stage-2 tables; never mapped into a guest); VM k's RAM follows (and,
// with flash, its two 64 MiB banks: vflash.ts), each VM seeing its RAM at
// IPA 0x40000000 with the QEMU virt device map below it.
import { RAM_BASE } from '../machine.js';
import { placeBootImages, placeFirmwareDtb, type BootTarget } from '../firmware/boot.js';
import * as A from './arch.js';
import type { Hv } from './context.js';
import { allocTablePage, s2MapRam } from './stage2.js';
import { HV_STATE_VERSION, type HvState, type VmState } from './state.js';
import { freshContext } from './vcpu.js';
import { initialFfaState } from './ffa/setup.js';
import { createVgic } from './vgic/vgic.js';
import { createVuart } from './vuart.js';
import { createVrtc } from './vrtc.js';
import { createVirtioBlk, createVirtioNet } from './virtio/transport.js';
import { createVswitch } from './virtio/vswitch.js';
import { createVflash, FLASH_IPA, loadVflash, syncVflash, VM_FLASH_BYTES } from './vflash.js';

export const HV_RESERVE_BYTES = 16 << 20;
export const GUEST_RAM_IPA = 0x4000_0000;
/** virtio-mmio slots, taken from the top like QEMU virt (its first -device lands at 0x0a003e00). */
export const VIRTIO_BLK_SLOT = 31;
export const VIRTIO_NET_SLOT = 30;

export interface VmConfig {
  name?: string;
  numVcpus: number;
  ramBytes: number;
  /** The kernel, booted as QEMU's -kernel does; or, without it, `bios`. */
  kernel?: Uint8Array;
  /** Firmware for flash bank 0 (QEMU's -bios): the VM starts at IPA 0 with the device tree at the start of its RAM. */
  bios?: Uint8Array;
  /** Flash bank 1's contents (QEMU's second -drive if=pflash). */
  pflash?: Uint8Array;
  initrd?: Uint8Array;
  dtb?: Uint8Array;
  bootargs?: string;
  /** A virtio-net device on the vswitch (default true; QEMU's -nic none: false). */
  nic?: boolean;
  /** Base image of the VM's virtio-blk disk (read-only input; guest writes go to a copy-on-write overlay in the state). */
  disk?: Uint8Array;
}

export interface HypervisorConfig {
  vms: VmConfig[];
}

/** The MAC address of VM `id`'s virtio-net device: 52:54:00:12:34:<id + 1> (the initramfs derives 10.0.0.<id + 1> from it). */
export function vmMac(id: number): number[] {
  return [0x52, 0x54, 0x00, 0x12, 0x34, (id + 1) & 0xff];
}

/** Whether a VM gets the two flash banks. */
function hasFlash(vc: VmConfig): boolean {
  return vc.bios !== undefined || vc.pflash !== undefined;
}

/** Machine RAM needed for a configuration: the reserve plus every VM's RAM and flash. */
export function machineRamFor(cfg: HypervisorConfig): number {
  return HV_RESERVE_BYTES + cfg.vms.reduce((a, v) => a + v.ramBytes + (hasFlash(v) ? VM_FLASH_BYTES : 0), 0);
}

/** The state record of a hypervisor on `numCpus` pCPUs before any VM is built. */
export function initialHvState(numCpus: number, numVms: number): HvState {
  return {
    version: HV_STATE_VERSION,
    reserveBase: RAM_BASE,
    reserveBytes: HV_RESERVE_BYTES,
    reserveNext: RAM_BASE + 0x1_0000, // the first 64 KiB: the hypervisor's own entry page
    vms: [],
    pcpus: Array.from({ length: numCpus }, () => ({ started: false, loaded: null, running: false, runq: [], rr: -1, sliceEnd: '0x0', lrUsed: 0 })),
    log: [],
    counters: { traps: 0, irqs: 0, hvc: 0, mmio: 0, sysreg: 0, wfi: 0, switches: 0, injectedAborts: 0 },
    vswitch: createVswitch(numVms),
    consoleOwner: -1,
    consoleVm: 0,
    consoleEscape: false,
    ffa: initialFfaState(numCpus, []),
  };
}

/** Build every VM of `cfg` into `hv.s` (which must hold no VM yet) and load their images. */
export function buildVms(hv: Hv, cfg: HypervisorConfig): void {
  const m = hv.m;
  let backing = RAM_BASE + HV_RESERVE_BYTES;
  let global = 0;
  cfg.vms.forEach((vc, id) => {
    if (!Number.isInteger(vc.numVcpus) || vc.numVcpus < 1 || vc.numVcpus > 8) throw new Error(`VM ${id}: 1..8 vCPUs`);
    if (vc.ramBytes % (2 << 20) !== 0 || vc.ramBytes < (2 << 20)) throw new Error(`VM ${id}: RAM must be a multiple of 2 MiB`);
    if ((vc.kernel === undefined) === (vc.bios === undefined)) throw new Error(`VM ${id}: give either a kernel or firmware (bios)`);
    const vm: VmState = {
      id, vmid: id + 1, name: vc.name ?? `vm${id}`, ramIpa: GUEST_RAM_IPA, ramBytes: vc.ramBytes, backingPa: backing,
      s2Root: allocTablePage(m.core, hv.s), cntvoff: '0x0',
      vcpus: [], gic: createVgic(vc.numVcpus), uart: createVuart(), rtc: createVrtc(), power: 'running',
      virtio: vc.nic === false ? [] : [createVirtioNet(VIRTIO_NET_SLOT, vmMac(id), id)],
    };
    if (vc.disk) {
      if (vc.disk.length < 512) throw new Error(`VM ${id}: the disk image has ${vc.disk.length} bytes, less than one 512-byte sector`);
      vm.virtio.push(createVirtioBlk(VIRTIO_BLK_SLOT, vc.disk.length));
    }
    hv.disks[id] = vc.disk ?? null;
    for (let v = 0; v < vc.numVcpus; v++, global++) {
      const pcpu = global % m.numCpus;
      vm.vcpus.push({ id: v, run: 'off', pcpu, ctx: null, exits: 0 });
      hv.s.pcpus[pcpu]!.runq.push([id, v]);
    }
    s2MapRam(m.core, hv.s, vm.s2Root, GUEST_RAM_IPA, backing, vc.ramBytes);
    backing += vc.ramBytes;
    if (hasFlash(vc)) {
      vm.flash = createVflash(backing);
      if (vc.bios) loadVflash(hv, vm.flash, 0, vc.bios);
      if (vc.pflash) loadVflash(hv, vm.flash, 1, vc.pflash);
      syncVflash(hv, vm);
      backing += VM_FLASH_BYTES;
    }
    hv.s.vms.push(vm);
    loadGuest(hv, vm, vc);
  });
  hv.s.ffa = initialFfaState(m.numCpus, hv.s.vms);
}

/** QEMU -kernel placement into the VM's RAM (written at the IPA's backing PA); vCPU 0 starts at the boot PC.
 *  With firmware (-bios): only the device tree, at the start of RAM, and vCPU 0 starts at IPA 0 with x0 = 0. */
function loadGuest(hv: Hv, vm: VmState, vc: VmConfig): void {
  const core = hv.m.core;
  const target: BootTarget = {
    core, ramBytes: BigInt(vc.ramBytes), pa: (ipa) => vm.backingPa + Number(ipa) - vm.ramIpa,
    numCpus: vm.vcpus.length, seed: hv.m.config.seed + BigInt(vm.id), virtio: true, flash: vm.flash !== undefined,
  };
  const v0 = vm.vcpus[0]!;
  if (!vc.kernel) {
    placeFirmwareDtb(target, vc);
    v0.ctx = freshContext(core, 0, BigInt(FLASH_IPA), 0n);
    v0.run = 'on-pending';
    for (const v of vm.vcpus) if (!v.ctx) v.ctx = freshContext(core, v.id, 0n, 0n);
    return;
  }
  const plan = placeBootImages(target, { ...vc, kernel: vc.kernel });
  v0.ctx = freshContext(core, 0, plan.bootPc, plan.bootRegs.x0);
  v0.ctx.x[1] = A.hex(plan.bootRegs.x1);
  v0.ctx.x[2] = A.hex(plan.bootRegs.x2);
  v0.ctx.x[3] = A.hex(plan.bootRegs.x3);
  v0.run = 'on-pending';
  for (const v of vm.vcpus) if (!v.ctx) v.ctx = freshContext(core, v.id, 0n, 0n);
}
