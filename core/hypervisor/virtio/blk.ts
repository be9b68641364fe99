// virtio-blk (§5.2): config space, request processing on QueueNotify, and
// the copy-on-write overlay over the read-only base image. Requests complete
// synchronously. Error policy: a request whose status byte is usable gets
// VIRTIO_BLK_S_IOERR (VIRTIO_BLK_S_UNSUPP for unknown types); a chain that
// cannot be answered that way sets DEVICE_NEEDS_RESET.
import { overlayApply, overlayRead, overlayWrite } from '../../memory/overlay.js';
import type { BlkState, VirtioMmioState } from './state.js';
import { type DeviceIo, deviceLive, needsReset, nextChain, prefix } from './device.js';
import {
  bufferProblem, consumeAvail, type Desc, gather, gatherPrefix, interruptSuppressed, pushUsed, QUEUE_NUM_MAX, scatter,
} from './queue.js';
import {
  VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_MMIO_INT_VRING,
} from './spec.js';

export const SECTOR = 512;
/** seg_max in config space: QueueNumMax minus header and status descriptors (as QEMU). */
export const BLK_SEG_MAX = QUEUE_NUM_MAX - 2;
/** The serial GET_ID answers (NUL-padded to VIRTIO_BLK_ID_BYTES). */
export const BLK_ID = 'hvrr-disk';
/** virtio_blk_config length covered here (through blk_size; later fields read 0). */
const CONFIG_LEN = 0x40;

export function createBlkState(capacityBytes: number): BlkState {
  return {
    capacityBytes: Math.floor(Math.max(0, capacityBytes) / SECTOR) * SECTOR,
    overlay: {},
    counters: { reads: 0, writes: 0, flushes: 0, getIds: 0, unsupported: 0, ioErrors: 0, bytesRead: 0, bytesWritten: 0 },
  };
}

/** struct virtio_blk_config (§5.2.4): capacity, size_max (0: SIZE_MAX not offered), seg_max, geometry (0), blk_size. */
export function blkConfig(blk: BlkState): Uint8Array {
  const c = new Uint8Array(CONFIG_LEN);
  const dv = new DataView(c.buffer);
  const sectors = blk.capacityBytes / SECTOR;
  dv.setUint32(0, sectors >>> 0, true);
  dv.setUint32(4, Math.floor(sectors / 0x1_0000_0000), true);
  dv.setUint32(12, BLK_SEG_MAX, true);
  dv.setUint32(20, SECTOR, true);
  return c;
}

/** Disk bytes [off, off+len) as the guest sees them: overlay chunks over the base image (zeros past its end). */
export function blkReadBytes(blk: BlkState, base: Uint8Array | null, off: number, len: number): Uint8Array {
  return overlayRead(blk.overlay, base, off, len);
}

/** Write into the overlay (copy-on-write: a chunk's first write copies it from the base). The base is never modified. */
export function blkWriteBytes(blk: BlkState, base: Uint8Array | null, off: number, data: Uint8Array): void {
  overlayWrite(blk.overlay, base, off, data);
}

/** The final disk contents for --disk-writeback: a copy of `base` with the overlay applied (base.length bytes). */
export function blkImage(dev: VirtioMmioState, base: Uint8Array): Uint8Array {
  return dev.blk ? overlayApply(dev.blk.overlay, base) : base.slice();
}

type Outcome = { used: number } | { fatal: string };

/** The status byte's location: the last byte of the last descriptor, if that descriptor is device-writable and inside RAM. */
function statusAddr(io: DeviceIo, descs: Desc[]): number | null {
  const last = descs[descs.length - 1];
  if (!last || !last.write || last.len < 1 || last.addrHigh !== 0) return null;
  const a = last.addr + last.len - 1;
  return io.mem.read(a, 1) ? a : null;
}

/** One request (§5.2.6): header | data | status, framing-independent (§2.6.4). */
function request(blk: BlkState, dev: VirtioMmioState, io: DeviceIo, disk: Uint8Array | null, descs: Desc[]): Outcome {
  const st = statusAddr(io, descs);
  const finish = (status: number, dataWritten: number, why?: string): Outcome => {
    if (status === VIRTIO_BLK_S_IOERR) blk.counters.ioErrors++;
    if (why) io.log(`${prefix(dev)}: request answered ${status === VIRTIO_BLK_S_IOERR ? 'VIRTIO_BLK_S_IOERR' : 'VIRTIO_BLK_S_UNSUPP'}: ${why}`);
    if (st === null || !io.mem.write(st, new Uint8Array([status]))) return { fatal: 'status byte not writable' };
    return { used: dataWritten + 1 };
  };
  const fail = (why: string): Outcome => (st === null ? { fatal: why } : finish(VIRTIO_BLK_S_IOERR, 0, why));

  // Validate the chain: buffers inside RAM, device-readable before device-writable (§2.7.4.2).
  let seenWrite = false;
  for (const d of descs) {
    const p = bufferProblem(io.mem, d);
    if (p) return fail(p);
    if (d.write) seenWrite = true;
    else if (seenWrite) return fail('device-readable descriptor after a device-writable one');
  }
  const readable = descs.filter((d) => !d.write);
  const writable = descs.filter((d) => d.write);
  const readLen = readable.reduce((s, d) => s + d.len, 0);
  const writeLen = writable.reduce((s, d) => s + d.len, 0);
  if (readLen < 16) return fail(`request header is ${readLen} bytes, need 16`);
  const header = gatherPrefix(io.mem, readable, 16);
  if (!header) return fail('request header unreadable');
  const hv = new DataView(header.buffer, header.byteOffset, 16);
  const type = hv.getUint32(0, true);
  const sectorLo = hv.getUint32(8, true);
  const sectorHi = hv.getUint32(12, true);
  const inLen = writeLen - 1; // device-writable bytes before the status byte
  const outLen = readLen - 16;

  const range = (len: number): number | string => {
    if (len % SECTOR !== 0) return `data length ${len} not a multiple of ${SECTOR}`;
    const off = (sectorHi * 0x1_0000_0000 + sectorLo) * SECTOR;
    if (sectorHi !== 0 || off + len > blk.capacityBytes) return `sectors ${sectorHi * 0x1_0000_0000 + sectorLo}+${len / SECTOR} past capacity ${blk.capacityBytes / SECTOR}`;
    return off;
  };

  switch (type) {
    case VIRTIO_BLK_T_IN: {
      const off = range(inLen);
      if (typeof off === 'string') return fail(off);
      const data = blkReadBytes(blk, disk, off, inLen);
      if (!scatter(io.mem, writable, data)) return fail('data buffer not writable');
      blk.counters.reads++;
      blk.counters.bytesRead += inLen;
      return finish(VIRTIO_BLK_S_OK, inLen);
    }
    case VIRTIO_BLK_T_OUT: {
      const off = range(outLen);
      if (typeof off === 'string') return fail(off);
      const all = gather(io.mem, readable);
      if (!all) return fail('data buffer unreadable');
      blkWriteBytes(blk, disk, off, all.subarray(16));
      blk.counters.writes++;
      blk.counters.bytesWritten += outLen;
      return finish(VIRTIO_BLK_S_OK, 0);
    }
    case VIRTIO_BLK_T_FLUSH:
      blk.counters.flushes++;
      return finish(VIRTIO_BLK_S_OK, 0);
    case VIRTIO_BLK_T_GET_ID: {
      const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
      for (let i = 0; i < BLK_ID.length; i++) id[i] = BLK_ID.charCodeAt(i);
      const n = Math.max(0, Math.min(VIRTIO_BLK_ID_BYTES, inLen));
      if (!scatter(io.mem, writable, id.subarray(0, n))) return fail('id buffer not writable');
      blk.counters.getIds++;
      return finish(VIRTIO_BLK_S_OK, n);
    }
    default:
      blk.counters.unsupported++;
      return finish(VIRTIO_BLK_S_UNSUPP, 0, `request type ${type} not supported`);
  }
}

/** QueueNotify on the request queue (queue 0): complete every available request. */
export function blkNotify(dev: VirtioMmioState, io: DeviceIo, disk: Uint8Array | null): void {
  const blk = dev.blk;
  const q = dev.queues[0];
  if (!blk || !q || !q.ready || !deviceLive(dev)) {
    io.log(`${prefix(dev)}: QueueNotify ignored (device not live or queue not ready)`);
    return;
  }
  let used = false;
  for (let n = 0; n < q.num; n++) {
    const chain = nextChain(dev, q, io);
    if (chain === 'reset') return;
    if (chain === null) break;
    const r = request(blk, dev, io, disk, chain.descs);
    if ('fatal' in r) return needsReset(dev, io, r.fatal);
    consumeAvail(q);
    if (!pushUsed(q, io.mem, chain.head, r.used)) return needsReset(dev, io, 'used ring not writable');
    used = true;
  }
  if (used && !interruptSuppressed(q, io.mem)) dev.interruptStatus |= VIRTIO_MMIO_INT_VRING;
}
