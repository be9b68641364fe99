// What the transport and the device models share: offered feature words,
// negotiated-feature tests, and the two ways a device reports to the driver
// (used-buffer interrupt; DEVICE_NEEDS_RESET + configuration change).
import type { VirtioMmioState } from './state.js';
import type { GuestMemory } from './guestMemory.js';
import { peekAvail, walkChain, type Desc } from './queue.js';
import type { VirtqueueState } from './state.js';
import {
  DEVICE_NEEDS_RESET, DRIVER_OK, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_F_VERSION_1, VIRTIO_MMIO_INT_CONFIG, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS,
} from './spec.js';

/** Context a device model needs to process a queue (a subset of VirtioCtx). */
export interface DeviceIo {
  mem: GuestMemory;
  log(msg: string): void;
}

function bit(n: number): [number, number] {
  return n < 32 ? [(1 << n) >>> 0, 0] : [0, (1 << (n - 32)) >>> 0];
}

function orBits(bits: number[]): number[] {
  const w = [0, 0];
  for (const b of bits) {
    const [lo, hi] = bit(b);
    w[0] = (w[0]! | lo) >>> 0;
    w[1] = (w[1]! | hi) >>> 0;
  }
  return w;
}

/** The device's offered features as two 32-bit words. Never INDIRECT_DESC or EVENT_IDX. */
export function deviceFeatureWords(kind: 'blk' | 'net'): number[] {
  return kind === 'blk'
    ? orBits([VIRTIO_F_VERSION_1, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH])
    : orBits([VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS]);
}

/** Whether the driver wrote feature bit n. */
export function driverHas(dev: VirtioMmioState, n: number): boolean {
  const w = dev.driverFeatures[n >> 5] ?? 0;
  return ((w >>> (n & 31)) & 1) === 1;
}

export function prefix(dev: VirtioMmioState): string {
  return `virtio-${dev.kind}@${dev.slot}`;
}

/**
 * §2.1.2: the device entered an error state only a reset clears. Sets
 * DEVICE_NEEDS_RESET and, if DRIVER_OK is set, the configuration change
 * interrupt (§2.1.2 device requirement; without DRIVER_OK the interrupt is
 * raised when the driver sets DRIVER_OK). Logs the reason.
 */
export function needsReset(dev: VirtioMmioState, io: { log(msg: string): void }, reason: string): void {
  io.log(`${prefix(dev)}: DEVICE_NEEDS_RESET: ${reason}`);
  if (dev.status & DEVICE_NEEDS_RESET) return;
  dev.status |= DEVICE_NEEDS_RESET;
  if (dev.status & DRIVER_OK) {
    dev.interruptStatus |= VIRTIO_MMIO_INT_CONFIG;
  }
}

/** Queues are processed only between DRIVER_OK and an error (§3.1.2, §2.1.2). */
export function deviceLive(dev: VirtioMmioState): boolean {
  return (dev.status & DRIVER_OK) !== 0 && (dev.status & DEVICE_NEEDS_RESET) === 0;
}

/** The next chain the driver made available on `q`, walked and validated
 *  (§2.7.5): its head index and descriptors; null when none is available;
 *  'reset' when a malformed ring or chain set DEVICE_NEEDS_RESET. */
export function nextChain(dev: VirtioMmioState, q: VirtqueueState, io: DeviceIo): { head: number; descs: Desc[] } | null | 'reset' {
  const head = peekAvail(q, io.mem);
  if (!head.ok) {
    needsReset(dev, io, head.reason);
    return 'reset';
  }
  if (head.value === null) return null;
  const chain = walkChain(q, io.mem, head.value);
  if (!chain.ok) {
    needsReset(dev, io, chain.reason);
    return 'reset';
  }
  return { head: head.value, descs: chain.value };
}
