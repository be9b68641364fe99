// Split virtqueues (§2.7): ring geometry checks when the driver sets
// QueueReady, avail ring consumption, descriptor chain walking with
// validation, used ring writes and the avail ring's interrupt suppression.
// Nothing here throws on guest data: every problem comes back as a reason.
import type { VirtqueueState } from './state.js';
import { type GuestMemory, rangeInRam } from './guestMemory.js';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './spec.js';

/** QueueNumMax of every queue. */
export const QUEUE_NUM_MAX = 256;

export function createQueue(): VirtqueueState {
  return {
    num: QUEUE_NUM_MAX, ready: false,
    descLow: 0, descHigh: 0, driverLow: 0, driverHigh: 0, deviceLow: 0, deviceHigh: 0,
    lastAvailIdx: 0, usedIdx: 0,
  };
}

/** A descriptor (§2.7.5). addrHigh != 0 is an address this device can never reach. */
export interface Desc {
  addr: number;
  addrHigh: number;
  len: number;
  write: boolean;
}

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

const le16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const le32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** §2.7: sizes of the three parts for queue size n (without EVENT_IDX the trailing event fields are still part of the layout). */
export const descTableBytes = (n: number): number => 16 * n;
export const availRingBytes = (n: number): number => 6 + 2 * n;
export const usedRingBytes = (n: number): number => 6 + 8 * n;

/**
 * Checks done when the driver writes QueueReady = 1 (§2.7 alignment: desc 16,
 * avail 2, used 4; all three parts entirely inside guest RAM). null = fine.
 */
export function queueProblem(q: VirtqueueState, mem: GuestMemory): string | null {
  if (q.num === 0 || q.num > QUEUE_NUM_MAX || (q.num & (q.num - 1)) !== 0) return `QueueNum ${q.num} invalid`;
  if (q.descHigh !== 0 || q.driverHigh !== 0 || q.deviceHigh !== 0) return 'ring address above 4 GiB';
  if (q.descLow % 16 !== 0) return `descriptor table 0x${q.descLow.toString(16)} not 16-byte aligned`;
  if (q.driverLow % 2 !== 0) return `available ring 0x${q.driverLow.toString(16)} not 2-byte aligned`;
  if (q.deviceLow % 4 !== 0) return `used ring 0x${q.deviceLow.toString(16)} not 4-byte aligned`;
  if (!rangeInRam(mem, q.descLow, descTableBytes(q.num))) return `descriptor table 0x${q.descLow.toString(16)} outside guest RAM`;
  if (!rangeInRam(mem, q.driverLow, availRingBytes(q.num))) return `available ring 0x${q.driverLow.toString(16)} outside guest RAM`;
  if (!rangeInRam(mem, q.deviceLow, usedRingBytes(q.num))) return `used ring 0x${q.deviceLow.toString(16)} outside guest RAM`;
  return null;
}

/**
 * The head of the next available chain without consuming it; null when the
 * ring is empty. An avail idx more than QueueNum ahead, or a head index ≥
 * QueueNum, is an error (§2.7.6, §2.7.13.2).
 */
export function peekAvail(q: VirtqueueState, mem: GuestMemory): Result<number | null> {
  const hdr = mem.read(q.driverLow, 4);
  if (!hdr) return { ok: false, reason: 'available ring unreadable' };
  const idx = le16(hdr, 2);
  const pending = (idx - q.lastAvailIdx) & 0xffff;
  if (pending === 0) return { ok: true, value: null };
  if (pending > q.num) return { ok: false, reason: `avail idx ${idx} is ${pending} entries ahead of ${q.lastAvailIdx} (queue size ${q.num})` };
  const e = mem.read(q.driverLow + 4 + 2 * (q.lastAvailIdx % q.num), 2);
  if (!e) return { ok: false, reason: 'available ring unreadable' };
  const head = le16(e, 0);
  if (head >= q.num) return { ok: false, reason: `avail head ${head} ≥ queue size ${q.num}` };
  return { ok: true, value: head };
}

/** Consume the chain peekAvail returned. */
export function consumeAvail(q: VirtqueueState): void {
  q.lastAvailIdx = (q.lastAvailIdx + 1) & 0xffff;
}

/**
 * Walk the chain starting at `head` (§2.7.5): every next index < QueueNum, at
 * most QueueNum descriptors (a longer chain loops), no VIRTQ_DESC_F_INDIRECT
 * (VIRTIO_F_INDIRECT_DESC is never offered, §2.7.5.3.1). Buffer addresses are
 * not checked here (bufferProblem).
 */
export function walkChain(q: VirtqueueState, mem: GuestMemory, head: number): Result<Desc[]> {
  const descs: Desc[] = [];
  let i = head;
  for (;;) {
    if (i >= q.num) return { ok: false, reason: `descriptor index ${i} ≥ queue size ${q.num}` };
    if (descs.length >= q.num) return { ok: false, reason: `descriptor chain from ${head} longer than queue size ${q.num} (loop)` };
    const b = mem.read(q.descLow + 16 * i, 16);
    if (!b) return { ok: false, reason: 'descriptor table unreadable' };
    const flags = le16(b, 12);
    if (flags & VIRTQ_DESC_F_INDIRECT) return { ok: false, reason: `descriptor ${i} has VIRTQ_DESC_F_INDIRECT, not negotiated` };
    descs.push({ addr: le32(b, 0), addrHigh: le32(b, 4), len: le32(b, 8), write: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
    if (!(flags & VIRTQ_DESC_F_NEXT)) return { ok: true, value: descs };
    i = le16(b, 14);
  }
}

/** Why a descriptor's buffer is unusable (not entirely inside guest RAM), or null. */
export function bufferProblem(mem: GuestMemory, d: Desc): string | null {
  if (d.addrHigh !== 0) return `buffer address 0x${d.addrHigh.toString(16)}${d.addr.toString(16).padStart(8, '0')} above 4 GiB`;
  if (!rangeInRam(mem, d.addr, d.len)) return `buffer 0x${d.addr.toString(16)}+0x${d.len.toString(16)} outside guest RAM`;
  return null;
}

/** Concatenated contents of the given (validated) descriptors. */
export function gather(mem: GuestMemory, descs: Desc[]): Uint8Array | null {
  let total = 0;
  for (const d of descs) total += d.len;
  const out = new Uint8Array(total);
  let o = 0;
  for (const d of descs) {
    const b = mem.read(d.addr, d.len);
    if (!b) return null;
    out.set(b, o);
    o += d.len;
  }
  return out;
}

/** The first n bytes of the concatenated descriptors (null if they hold fewer or a read fails). */
export function gatherPrefix(mem: GuestMemory, descs: Desc[], n: number): Uint8Array | null {
  const out = new Uint8Array(n);
  let o = 0;
  for (const d of descs) {
    if (o >= n) break;
    const k = Math.min(d.len, n - o);
    const b = mem.read(d.addr, k);
    if (!b) return null;
    out.set(b, o);
    o += k;
  }
  return o === n ? out : null;
}

/** Scatter `data` across the given (validated) descriptors in order; false if it does not fit or a write fails. */
export function scatter(mem: GuestMemory, descs: Desc[], data: Uint8Array): boolean {
  let o = 0;
  for (const d of descs) {
    if (o >= data.length) break;
    const n = Math.min(d.len, data.length - o);
    if (!mem.write(d.addr, data.subarray(o, o + n))) return false;
    o += n;
  }
  return o === data.length;
}

/** Put (head, len) into the used ring and publish it by advancing used.idx (§2.7.8). */
export function pushUsed(q: VirtqueueState, mem: GuestMemory, head: number, len: number): boolean {
  const e = new Uint8Array(8);
  const dv = new DataView(e.buffer);
  dv.setUint32(0, head, true);
  dv.setUint32(4, len >>> 0, true);
  if (!mem.write(q.deviceLow + 4 + 8 * (q.usedIdx % q.num), e)) return false;
  const next = (q.usedIdx + 1) & 0xffff;
  if (!mem.write(q.deviceLow + 2, new Uint8Array([next & 0xff, next >> 8]))) return false;
  q.usedIdx = next;
  return true;
}

/** §2.7.7: the driver asked for no used-buffer notifications (VIRTQ_AVAIL_F_NO_INTERRUPT). */
export function interruptSuppressed(q: VirtqueueState, mem: GuestMemory): boolean {
  const b = mem.read(q.driverLow, 2);
  return b !== null && (le16(b, 0) & VIRTQ_AVAIL_F_NO_INTERRUPT) !== 0;
}
