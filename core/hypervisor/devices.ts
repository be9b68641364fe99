// The guest device map: the emulated devices each VM sees below its RAM, as
// QEMU virt places them (the CFI flash banks when the VM has flash, GICv3
// distributor and redistributors, PL011, PL031, 32 virtio-mmio slots), one
// window each. A trapped access (traps.ts) is
// looked up here by IPA and handed to the device model with its offset; the
// interrupt lines of the emulated devices are driven from here too.
import type { Hv } from './context.js';
import { consoleOut, consoleRx } from './console.js';
import { physSeconds, rtcProgram } from './physIrq.js';
import { notify } from './scheduler.js';
import type { VcpuState, VmState } from './state.js';
import { GICD_SIZE, GICR_STRIDE, gicdRead, gicdWrite, gicrRead, gicrWrite } from './vgic/mmio.js';
import { setLevel, slotOf, targetOf } from './vgic/vgic.js';
import { UART_INTID, vuartFull, vuartLevel, vuartRead, vuartWrite } from './vuart.js';
import { RTC_INTID, vrtcLevel, vrtcMatchAt, vrtcRead, vrtcWrite } from './vrtc.js';
import {
  emptySlotRead, emptySlotWrite, netDeliver, virtioIrqLevel, virtioRead, virtioWrite,
  VIRTIO_MMIO_BASE, VIRTIO_MMIO_SLOTS, VIRTIO_MMIO_STRIDE, VIRTIO_SPI_BASE, type VirtioCtx,
} from './virtio/transport.js';
import type { GuestMemory } from './virtio/guestMemory.js';
import { FLASH_IPA, VM_FLASH_BYTES, vflashRead, vflashWrite } from './vflash.js';
import type { VirtioMmioState } from './virtio/state.js';

export const GICD_IPA = 0x0800_0000;
export const GICR_IPA = 0x080a_0000;
export const UART_IPA = 0x0900_0000;
export const RTC_IPA = 0x0901_0000;

/** One emulated device's register window. `off` is the offset in the window. */
interface DeviceWindow {
  readonly name: string;
  readonly base: number;
  /** The window's size for this VM (the redistributors: one frame pair per vCPU). */
  size(vm: VmState): number;
  read(hv: Hv, vm: VmState, vc: VcpuState, off: number, size: number): bigint | undefined;
  write(hv: Hv, vm: VmState, vc: VcpuState, off: number, size: number, value: bigint): boolean;
}

const big = (v: number | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v));

const WINDOWS: readonly DeviceWindow[] = [
  {
    // The CFI flash banks (vflash.ts): only writes trap while a bank is in read-array mode.
    name: 'flash', base: FLASH_IPA, size: (vm) => (vm.flash ? VM_FLASH_BYTES : 0),
    read: (hv, vm, _vc, off, size) => vflashRead(hv, vm, off, size),
    write: (hv, vm, _vc, off, size, value) => vflashWrite(hv, vm, off, size, value),
  },
  {
    name: 'GICD', base: GICD_IPA, size: () => GICD_SIZE,
    read: (_hv, vm, vc, off, size) => gicdRead(vm, vc.id, off, size),
    write: (hv, vm, vc, off, size, value) => gicdWrite(hv, vm, vc.id, off, size, value),
  },
  {
    name: 'GICR', base: GICR_IPA, size: (vm) => vm.vcpus.length * GICR_STRIDE,
    read: (_hv, vm, _vc, off, size) => gicrRead(vm, Math.floor(off / GICR_STRIDE), off % GICR_STRIDE, size),
    write: (hv, vm, _vc, off, size, value) => gicrWrite(hv, vm, Math.floor(off / GICR_STRIDE), off % GICR_STRIDE, size, value),
  },
  {
    name: 'PL011', base: UART_IPA, size: () => 0x1000,
    read: (hv, vm, _vc, off) => {
      const full = vuartFull(vm.uart);
      const v = vuartRead(vm.uart, off);
      if (full && vm.id === hv.s.consoleVm && !vuartFull(vm.uart)) consoleRx(hv, hv.cur); // room again: take held-back input
      uartIrq(hv, vm);
      return big(v);
    },
    write: (hv, vm, _vc, off, _size, value) => {
      const b = vuartWrite(vm.uart, off, Number(value & 0xffff_ffffn));
      if (b >= 0) consoleOut(hv, vm, b);
      uartIrq(hv, vm);
      return true;
    },
  },
  {
    name: 'PL031', base: RTC_IPA, size: () => 0x1000,
    read: (hv, vm, _vc, off) => big(vrtcRead(vm.rtc, off, physSeconds(hv))),
    write: (hv, vm, _vc, off, _size, value) => {
      const now = physSeconds(hv);
      vrtcWrite(vm.rtc, off, Number(value & 0xffff_ffffn), now);
      // Setting RTCMR or RTCLR so that the count equals the match register matches
      // at once (as QEMU's pl031 does); a match is otherwise the count reaching it.
      if ((off === 0x04 || off === 0x08) && vrtcMatchAt(vm.rtc) === now) vm.rtc.ris |= 1;
      rtcIrq(hv, vm);
      rtcProgram(hv, hv.cur, now);
      return true;
    },
  },
  {
    name: 'virtio-mmio', base: VIRTIO_MMIO_BASE, size: () => VIRTIO_MMIO_SLOTS * VIRTIO_MMIO_STRIDE,
    read: (hv, vm, _vc, off, size) => {
      const dev = virtioAt(vm, off);
      const reg = off % VIRTIO_MMIO_STRIDE;
      const v = dev ? virtioRead(dev, reg, size, virtioCtx(hv, vm)) : emptySlotRead(reg, size);
      if (dev) virtioIrq(hv, vm, dev);
      return big(v);
    },
    write: (hv, vm, _vc, off, size, value) => {
      const dev = virtioAt(vm, off);
      const reg = off % VIRTIO_MMIO_STRIDE;
      if (!dev) return emptySlotWrite(reg, size);
      const r = virtioWrite(dev, reg, size, Number(value & 0xffff_ffffn), virtioCtx(hv, vm));
      virtioIrq(hv, vm, dev);
      for (const port of r.deliveredPorts) netPortDeliver(hv, port);
      return r.ok;
    },
  },
];

function windowAt(vm: VmState, ipa: number): DeviceWindow | undefined {
  return WINDOWS.find((w) => ipa >= w.base && ipa < w.base + w.size(vm));
}

/** A device read of `size` bytes at `ipa`; undefined when nothing answers there (the access aborts). */
export function deviceRead(hv: Hv, vm: VmState, vc: VcpuState, ipa: number, size: number): bigint | undefined {
  const w = windowAt(vm, ipa);
  return w ? w.read(hv, vm, vc, ipa - w.base, size) : undefined;
}

/** A device write; false when nothing takes it (the access aborts). */
export function deviceWrite(hv: Hv, vm: VmState, vc: VcpuState, ipa: number, size: number, value: bigint): boolean {
  const w = windowAt(vm, ipa);
  return w ? w.write(hv, vm, vc, ipa - w.base, size, value) : false;
}

// ------------------------------------------------------------- interrupt lines

/** Drive an emulated device's level-sensitive SPI; on a rising level make the
 *  target vCPU (`all`: every vCPU) re-check for interrupts. */
function spiLine(hv: Hv, vm: VmState, intid: number, level: boolean, all = false): void {
  const s = slotOf(vm, 0, intid);
  if ((vm.gic.level[s] === 1) === level) return;
  setLevel(hv, vm, s, level);
  if (level) notify(hv, vm, all ? -1 : targetOf(vm, s));
}

/** The vPL011's line (SPI 1, INTID 33) from its RIS & IMSC. */
export function uartIrq(hv: Hv, vm: VmState): void {
  spiLine(hv, vm, UART_INTID, vuartLevel(vm.uart), true);
}

/** The vPL031's line (SPI 2, INTID 34) from its RIS & IMSC. */
export function rtcIrq(hv: Hv, vm: VmState): void {
  spiLine(hv, vm, RTC_INTID, vrtcLevel(vm.rtc));
}

/** A virtio transport's SPI (16 + slot) from its InterruptStatus. */
function virtioIrq(hv: Hv, vm: VmState, dev: VirtioMmioState): void {
  spiLine(hv, vm, 32 + VIRTIO_SPI_BASE + dev.slot, virtioIrqLevel(dev));
}

// ------------------------------------------------------------------- virtio

/** The device in the virtio-mmio slot at window offset `off`, if any. */
function virtioAt(vm: VmState, off: number): VirtioMmioState | undefined {
  const slot = Math.floor(off / VIRTIO_MMIO_STRIDE);
  return vm.virtio.find((d) => d.slot === slot);
}

function virtioCtx(hv: Hv, vm: VmState): VirtioCtx {
  return { mem: guestMemory(hv, vm), disk: hv.disks[vm.id] ?? null, vswitch: hv.s.vswitch, log: (msg) => hv.log(`${vm.name} virtio: ${msg}`) };
}

/** The VM's RAM as its devices reach it: [ramIpa, ramIpa + ramBytes) is one contiguous
 *  physical range, so an IPA range inside it needs no Stage-2 walk; nothing else is reachable. */
function guestMemory(hv: Hv, vm: VmState): GuestMemory {
  const core = hv.m.core;
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
function netPortDeliver(hv: Hv, port: number): void {
  const vm = hv.s.vms[port];
  const dev = vm?.virtio.find((d) => d.kind === 'net');
  if (!vm || !dev || vm.power !== 'running') return;
  netDeliver(dev, virtioCtx(hv, vm));
  virtioIrq(hv, vm, dev);
}
