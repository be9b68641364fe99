// Test helper: a minimal driver doing what Linux's virtio_mmio + virtio_ring
// do (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue setup,
// DRIVER_OK; chains into the avail ring, kick, used ring reaping), over an
// arrayGuestMemory. Test-only: plain objects, no device state here.
import { arrayGuestMemory } from './guestMemory.js';
import type { VirtioMmioState, VswitchState } from './state.js';
import { type VirtioCtx, virtioRead, virtioWrite } from './transport.js';
import { createVswitch } from './vswitch.js';
import * as R from './spec.js';

export const RAM_BASE = 0x4000_0000;

export interface TestCtx extends VirtioCtx {
  ram: Uint8Array;
  logs: string[];
}

export function testCtx(opts: { ramBytes?: number; disk?: Uint8Array | null; vswitch?: VswitchState } = {}): TestCtx {
  const ram = new Uint8Array(opts.ramBytes ?? 1 << 20);
  const logs: string[] = [];
  return { ram, logs, mem: arrayGuestMemory(RAM_BASE, ram), disk: opts.disk ?? null, vswitch: opts.vswitch ?? createVswitch(2), log: (m) => logs.push(m) };
}

export const rd = (dev: VirtioMmioState, ctx: VirtioCtx, off: number): number => {
  const v = virtioRead(dev, off, 4, ctx);
  if (v === undefined) throw new Error(`read 0x${off.toString(16)} refused`);
  return v;
};

export function wr(dev: VirtioMmioState, ctx: VirtioCtx, off: number, value: number): number[] {
  const r = virtioWrite(dev, off, 4, value, ctx);
  if (!r.ok) throw new Error(`write 0x${off.toString(16)} refused`);
  return r.deliveredPorts;
}

/** Driver-side view of one queue: where its parts live in guest RAM. */
export interface DriverQueue {
  index: number;
  num: number;
  desc: number;
  avail: number;
  used: number;
  /** Next free descriptor (descriptors are used round-robin). */
  nextDesc: number;
  availIdx: number;
  lastUsed: number;
}

export interface Buf {
  addr: number;
  len: number;
  write: boolean;
}

const dv = (ctx: TestCtx): DataView => new DataView(ctx.ram.buffer, ctx.ram.byteOffset, ctx.ram.byteLength);

/** Queue q's rings at RAM_BASE + 0x10000 * (q + 1); queue size `num`. */
export function setupQueue(dev: VirtioMmioState, ctx: TestCtx, index: number, num = 16, at?: number): DriverQueue {
  const base = at ?? RAM_BASE + 0x10000 * (index + 1);
  const dq: DriverQueue = { index, num, desc: base, avail: base + 16 * num, used: (base + 16 * num + 6 + 2 * num + 3) & ~3, nextDesc: 0, availIdx: 0, lastUsed: 0 };
  wr(dev, ctx, R.QueueSel, index);
  if (rd(dev, ctx, R.QueueReady) !== 0) throw new Error('queue already live');
  if (rd(dev, ctx, R.QueueNumMax) < num) throw new Error('queue too small');
  wr(dev, ctx, R.QueueNum, num);
  wr(dev, ctx, R.QueueDescLow, dq.desc);
  wr(dev, ctx, R.QueueDescHigh, 0);
  wr(dev, ctx, R.QueueDriverLow, dq.avail);
  wr(dev, ctx, R.QueueDriverHigh, 0);
  wr(dev, ctx, R.QueueDeviceLow, dq.used);
  wr(dev, ctx, R.QueueDeviceHigh, 0);
  wr(dev, ctx, R.QueueReady, 1);
  return dq;
}

/** Linux's probe sequence up to FEATURES_OK; returns the Status read back. `features` defaults to everything offered. */
export function negotiate(dev: VirtioMmioState, ctx: TestCtx, features?: [number, number]): number {
  wr(dev, ctx, R.Status, 0);
  wr(dev, ctx, R.Status, R.ACKNOWLEDGE);
  wr(dev, ctx, R.Status, R.ACKNOWLEDGE | R.DRIVER);
  wr(dev, ctx, R.DeviceFeaturesSel, 1);
  const hi = rd(dev, ctx, R.DeviceFeatures);
  wr(dev, ctx, R.DeviceFeaturesSel, 0);
  const lo = rd(dev, ctx, R.DeviceFeatures);
  const [flo, fhi] = features ?? [lo, hi];
  wr(dev, ctx, R.DriverFeaturesSel, 1);
  wr(dev, ctx, R.DriverFeatures, fhi);
  wr(dev, ctx, R.DriverFeaturesSel, 0);
  wr(dev, ctx, R.DriverFeatures, flo);
  wr(dev, ctx, R.Status, R.ACKNOWLEDGE | R.DRIVER | R.FEATURES_OK);
  return rd(dev, ctx, R.Status);
}

/** Full bring-up: negotiate, set up `numQueues` queues, DRIVER_OK. */
export function bringUp(dev: VirtioMmioState, ctx: TestCtx, numQueues: number, num = 16): DriverQueue[] {
  const st = negotiate(dev, ctx);
  if (!(st & R.FEATURES_OK)) throw new Error('FEATURES_OK refused');
  const qs: DriverQueue[] = [];
  for (let i = 0; i < numQueues; i++) qs.push(setupQueue(dev, ctx, i, num));
  wr(dev, ctx, R.Status, R.ACKNOWLEDGE | R.DRIVER | R.FEATURES_OK | R.DRIVER_OK);
  return qs;
}

/** Write a raw descriptor. */
export function writeDesc(ctx: TestCtx, q: DriverQueue, i: number, addr: number, len: number, flags: number, next: number, addrHigh = 0): void {
  const d = dv(ctx);
  const o = q.desc - RAM_BASE + 16 * i;
  d.setUint32(o, addr, true);
  d.setUint32(o + 4, addrHigh, true);
  d.setUint32(o + 8, len, true);
  d.setUint16(o + 12, flags, true);
  d.setUint16(o + 14, next, true);
}

/** Publish head in the avail ring (no kick). */
export function publish(ctx: TestCtx, q: DriverQueue, head: number): void {
  const d = dv(ctx);
  d.setUint16(q.avail - RAM_BASE + 4 + 2 * (q.availIdx % q.num), head, true);
  q.availIdx = (q.availIdx + 1) & 0xffff;
  d.setUint16(q.avail - RAM_BASE + 2, q.availIdx, true);
}

/** Put a chain of buffers into the ring (no kick); returns its head. */
export function addChain(ctx: TestCtx, q: DriverQueue, bufs: Buf[]): number {
  const idx = bufs.map((_, k) => (q.nextDesc + k) % q.num);
  q.nextDesc = (q.nextDesc + bufs.length) % q.num;
  bufs.forEach((b, k) => {
    const last = k === bufs.length - 1;
    writeDesc(ctx, q, idx[k]!, b.addr, b.len, (last ? 0 : R.VIRTQ_DESC_F_NEXT) | (b.write ? R.VIRTQ_DESC_F_WRITE : 0), last ? 0 : idx[k + 1]!);
  });
  publish(ctx, q, idx[0]!);
  return idx[0]!;
}

export function kick(dev: VirtioMmioState, ctx: TestCtx, q: DriverQueue): number[] {
  return wr(dev, ctx, R.QueueNotify, q.index);
}

export function setAvailFlags(ctx: TestCtx, q: DriverQueue, flags: number): void {
  dv(ctx).setUint16(q.avail - RAM_BASE, flags, true);
}

/** Used elements published since the last call. */
export function reap(ctx: TestCtx, q: DriverQueue): { id: number; len: number }[] {
  const d = dv(ctx);
  const idx = d.getUint16(q.used - RAM_BASE + 2, true);
  const out: { id: number; len: number }[] = [];
  while (q.lastUsed !== idx) {
    const o = q.used - RAM_BASE + 4 + 8 * (q.lastUsed % q.num);
    out.push({ id: d.getUint32(o, true), len: d.getUint32(o + 4, true) });
    q.lastUsed = (q.lastUsed + 1) & 0xffff;
  }
  return out;
}

export function poke(ctx: TestCtx, ipa: number, bytes: Uint8Array | number[]): void {
  ctx.ram.set(bytes, ipa - RAM_BASE);
}

export function peek(ctx: TestCtx, ipa: number, len: number): Uint8Array {
  return ctx.ram.slice(ipa - RAM_BASE, ipa - RAM_BASE + len);
}
