// virtio-mmio version 2 transport (§4.2.2): the register file of one slot,
// with its device (blk or net) behind it. The hypervisor calls virtioRead /
// virtioWrite on trapped accesses to VIRTIO_MMIO_BASE + slot*VIRTIO_MMIO_STRIDE.
import { VIRTIO_STATE_VERSION, type VirtioMmioState, type VswitchState } from './state.js';
import type { GuestMemory } from './guestMemory.js';
import { blkConfig, blkNotify, createBlkState } from './blk.js';
import { createNetState, NET_RECEIVEQ, NET_TRANSMITQ, netConfig, netDeliver, netTransmit } from './net.js';
import { createQueue, QUEUE_NUM_MAX, queueProblem } from './queue.js';
import { deviceFeatureWords, driverHas, needsReset, prefix } from './device.js';
import * as R from './spec.js';

export { netDeliver } from './net.js';
export { blkImage } from './blk.js';

export const VIRTIO_MMIO_BASE = 0x0a00_0000;
export const VIRTIO_MMIO_STRIDE = 0x200;
export const VIRTIO_MMIO_SLOTS = 32;
/** SPI 16+n = INTID 48+n (QEMU virt's VIRTIO_IRQ). */
export const VIRTIO_SPI_BASE = 16;

export interface VirtioCtx {
  mem: GuestMemory;
  /** Base disk image bytes for virtio-blk (read-only input; writes go to the overlay in BlkState), or null. */
  disk: Uint8Array | null;
  vswitch: VswitchState;
  log(msg: string): void;
}

function baseState(kind: 'blk' | 'net', slot: number, numQueues: number): VirtioMmioState {
  const queues = [];
  for (let i = 0; i < numQueues; i++) queues.push(createQueue());
  return {
    version: VIRTIO_STATE_VERSION, kind, slot,
    deviceFeaturesSel: 0, driverFeaturesSel: 0, driverFeatures: [0, 0],
    status: 0, queueSel: 0, queues, interruptStatus: 0, configGeneration: 0, shmSel: 0,
  };
}

/** capacityBytes is rounded down to a multiple of 512. */
export function createVirtioBlk(slot: number, capacityBytes: number): VirtioMmioState {
  return { ...baseState('blk', slot, 1), blk: createBlkState(capacityBytes) };
}

export function createVirtioNet(slot: number, mac: number[], port: number): VirtioMmioState {
  return { ...baseState('net', slot, 2), net: createNetState(mac, port) };
}

/** Status = 0 (§4.2.2, §2.4): back to the initial state, keeping the blk overlay, the net counters, MAC and port. */
export function virtioReset(dev: VirtioMmioState): void {
  const fresh = baseState(dev.kind, dev.slot, dev.queues.length);
  dev.deviceFeaturesSel = fresh.deviceFeaturesSel;
  dev.driverFeaturesSel = fresh.driverFeaturesSel;
  dev.driverFeatures = fresh.driverFeatures;
  dev.status = fresh.status;
  dev.queueSel = fresh.queueSel;
  dev.queues = fresh.queues;
  dev.interruptStatus = fresh.interruptStatus;
  dev.shmSel = fresh.shmSel;
}

/** The level of the transport's interrupt line: InterruptStatus != 0. */
export function virtioIrqLevel(dev: VirtioMmioState): boolean {
  return dev.interruptStatus !== 0;
}

/** Empty slots answer MagicValue/Version/DeviceID 0 (§4.2.3.1.1: the driver ignores a device with DeviceID 0). */
export function emptySlotRead(off: number, size: number): number | undefined {
  // As QEMU's virtio-mmio without a backend: magic, version and vendor, DeviceID (and everything else) 0,
  // so Linux stops probing without an error message.
  if (size !== 4 || off < 0 || off >= VIRTIO_MMIO_STRIDE || off % 4 !== 0) return undefined;
  if (off === R.MagicValue) return R.VIRTIO_MMIO_MAGIC;
  if (off === R.Version) return R.VIRTIO_MMIO_VERSION;
  if (off === R.VendorID) return R.VIRTIO_MMIO_VENDOR;
  return 0;
}

/** Writes to an empty slot: 32-bit accesses are accepted and ignored. */
export function emptySlotWrite(off: number, size: number): boolean {
  return size === 4 && off >= 0 && off < VIRTIO_MMIO_STRIDE && off % 4 === 0;
}

function configBytes(dev: VirtioMmioState): Uint8Array {
  if (dev.blk) return blkConfig(dev.blk);
  if (dev.net) return netConfig(dev.net);
  return new Uint8Array(0);
}

function readLe(b: Uint8Array, off: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (b[off + i] ?? 0);
  return v;
}

/** Register read at offset `off` (0..0x1ff) with access size 1/2/4/8. Config space (0x100+) allows 1/2/4-byte (and 8 for blk capacity) reads; the other registers are 32-bit only (other sizes: return undefined, and the caller injects an abort). */
export function virtioRead(dev: VirtioMmioState, off: number, size: number, ctx: VirtioCtx): number | undefined {
  if (off < 0 || off >= VIRTIO_MMIO_STRIDE || ![1, 2, 4, 8].includes(size) || off % size !== 0) return undefined;
  if (off >= R.Config) {
    // §4.2.2.2: config fields are accessed at their natural width; 8 only for the 64-bit blk capacity.
    const c = off - R.Config;
    if (size === 8 && !(dev.kind === 'blk' && c === 0)) return undefined;
    return readLe(configBytes(dev), c, size);
  }
  if (size !== 4) return undefined;
  const q = dev.queues[dev.queueSel];
  switch (off) {
    case R.MagicValue: return R.VIRTIO_MMIO_MAGIC;
    case R.Version: return R.VIRTIO_MMIO_VERSION;
    case R.DeviceID: return dev.kind === 'blk' ? R.VIRTIO_ID_BLOCK : R.VIRTIO_ID_NET;
    case R.VendorID: return R.VIRTIO_MMIO_VENDOR;
    case R.DeviceFeatures: return deviceFeatureWords(dev.kind)[dev.deviceFeaturesSel] ?? 0;
    case R.QueueNumMax: return q ? QUEUE_NUM_MAX : 0; // 0: queue not available (§4.2.2)
    case R.QueueReady: return q?.ready ? 1 : 0;
    case R.InterruptStatus: return dev.interruptStatus;
    case R.Status: return dev.status;
    // §4.2.2: a non-existent shared memory region reads length -1; no region exists.
    case R.SHMLenLow: case R.SHMLenHigh: case R.SHMBaseLow: case R.SHMBaseHigh: return 0xffff_ffff;
    case R.QueueReset: return 0; // VIRTIO_F_RING_RESET is not offered
    case R.ConfigGeneration: return dev.configGeneration;
  }
  ctx.log(`${prefix(dev)}: read of write-only or reserved register 0x${off.toString(16)} returns 0`);
  return 0;
}

/** §2.2/§3.1.1: FEATURES_OK holds only for a subset of the offered features that includes VIRTIO_F_VERSION_1. */
function featuresAcceptable(dev: VirtioMmioState): string | null {
  const offered = deviceFeatureWords(dev.kind);
  for (let w = 0; w < 2; w++) {
    const extra = ((dev.driverFeatures[w] ?? 0) & ~(offered[w] ?? 0)) >>> 0;
    if (extra !== 0) return `driver features word ${w} has bits 0x${extra.toString(16)} the device does not offer`;
  }
  if (!driverHas(dev, R.VIRTIO_F_VERSION_1)) return 'driver did not accept VIRTIO_F_VERSION_1';
  return null;
}

function writeStatus(dev: VirtioMmioState, value: number, ctx: VirtioCtx): void {
  if (value === 0) {
    virtioReset(dev);
    return;
  }
  const old = dev.status;
  // DEVICE_NEEDS_RESET belongs to the device: the driver neither sets nor clears it.
  let next = (value & 0xff & ~R.DEVICE_NEEDS_RESET) | (old & R.DEVICE_NEEDS_RESET);
  if ((next & R.FEATURES_OK) && !(old & R.FEATURES_OK)) {
    const why = featuresAcceptable(dev);
    if (why) {
      ctx.log(`${prefix(dev)}: FEATURES_OK refused: ${why}`);
      next &= ~R.FEATURES_OK;
    }
  }
  // §2.1.2: once DRIVER_OK is set the driver must hear about an earlier DEVICE_NEEDS_RESET (e.g. a bad QueueReady).
  if ((next & R.DRIVER_OK) && !(old & R.DRIVER_OK) && (next & R.DEVICE_NEEDS_RESET)) dev.interruptStatus |= R.VIRTIO_MMIO_INT_CONFIG;
  dev.status = next;
}

/** Register write; returns false for an access the device does not accept (caller injects an abort). Writing QueueNotify processes the queue synchronously (blk requests complete at once; net TX frames go to the vswitch). */
export function virtioWrite(dev: VirtioMmioState, off: number, size: number, value: number, ctx: VirtioCtx): { ok: boolean; /** vswitch ports that received frames during this write (the caller then calls netDeliver on their devices) */ deliveredPorts: number[] } {
  const deliveredPorts: number[] = [];
  const log = (m: string): void => ctx.log(`${prefix(dev)}: ${m}`);
  if (off < 0 || off >= VIRTIO_MMIO_STRIDE || ![1, 2, 4].includes(size) || off % size !== 0) return { ok: false, deliveredPorts };
  if (off >= R.Config) {
    // Neither device has a driver-writable config field without features we do not offer.
    log(`config space write at 0x${(off - R.Config).toString(16)} ignored`);
    return { ok: true, deliveredPorts };
  }
  if (size !== 4) return { ok: false, deliveredPorts };
  const v = value >>> 0;
  const q = dev.queues[dev.queueSel];
  const queueReg = (apply: (q: NonNullable<typeof dev.queues[0]>) => void, name: string): void => {
    if (!q) log(`${name} write for non-existent queue ${dev.queueSel} ignored`);
    else if (q.ready) log(`${name} write while queue ${dev.queueSel} QueueReady=1 rejected`);
    else apply(q);
  };
  switch (off) {
    case R.DeviceFeaturesSel: dev.deviceFeaturesSel = v; break;
    case R.DriverFeatures:
      if (dev.status & R.FEATURES_OK) log('DriverFeatures write after FEATURES_OK ignored');
      else if (dev.driverFeaturesSel < 2) dev.driverFeatures[dev.driverFeaturesSel] = v;
      else if (v !== 0) log(`DriverFeatures word ${dev.driverFeaturesSel} = 0x${v.toString(16)}: no such features, ignored`);
      break;
    case R.DriverFeaturesSel: dev.driverFeaturesSel = v; break;
    case R.QueueSel: dev.queueSel = v; break;
    case R.QueueNum:
      queueReg((q) => {
        if (v === 0 || v > QUEUE_NUM_MAX || (v & (v - 1)) !== 0) log(`QueueNum ${v} rejected (power of 2 ≤ ${QUEUE_NUM_MAX} required, §2.7)`);
        else q.num = v;
      }, 'QueueNum');
      break;
    case R.QueueReady:
      if (!q) log(`QueueReady write for non-existent queue ${dev.queueSel} ignored`);
      else if ((v & 1) === 0) q.ready = false;
      else if (!q.ready) {
        const why = queueProblem(q, ctx.mem);
        if (why) needsReset(dev, ctx, `queue ${dev.queueSel}: ${why}`);
        else q.ready = true;
      }
      break;
    case R.QueueNotify:
      if (dev.kind === 'blk') {
        if (v === 0) blkNotify(dev, ctx, ctx.disk);
        else log(`QueueNotify for non-existent queue ${v}`);
      } else if (v === NET_TRANSMITQ) deliveredPorts.push(...netTransmit(dev, ctx, ctx.vswitch));
      else if (v === NET_RECEIVEQ) netDeliver(dev, ctx);
      else log(`QueueNotify for non-existent queue ${v}`);
      break;
    case R.InterruptACK: dev.interruptStatus = (dev.interruptStatus & ~v) >>> 0; break;
    case R.Status: writeStatus(dev, v, ctx); break;
    case R.QueueDescLow: queueReg((q) => { q.descLow = v; }, 'QueueDescLow'); break;
    case R.QueueDescHigh: queueReg((q) => { q.descHigh = v; }, 'QueueDescHigh'); break;
    case R.QueueDriverLow: queueReg((q) => { q.driverLow = v; }, 'QueueDriverLow'); break;
    case R.QueueDriverHigh: queueReg((q) => { q.driverHigh = v; }, 'QueueDriverHigh'); break;
    case R.QueueDeviceLow: queueReg((q) => { q.deviceLow = v; }, 'QueueDeviceLow'); break;
    case R.QueueDeviceHigh: queueReg((q) => { q.deviceHigh = v; }, 'QueueDeviceHigh'); break;
    case R.SHMSel: dev.shmSel = v; break;
    default: log(`write of 0x${v.toString(16)} to read-only or reserved register 0x${off.toString(16)} ignored`);
  }
  return { ok: true, deliveredPorts };
}
