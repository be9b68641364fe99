// virtio-net (§5.1): config space, the transmitq (frames to the vswitch) and
// the receiveq (frames from the device's vswitch port). No offloads, no
// VIRTIO_NET_F_MRG_RXBUF: each frame uses one receive chain and carries the
// 12-byte struct virtio_net_hdr (num_buffers = 1) in front.
import type { NetState, VirtioMmioState } from './state.js';
import type { VswitchState } from './state.js';
import { type DeviceIo, deviceLive, needsReset, nextChain, prefix } from './device.js';
import { bufferProblem, consumeAvail, type Desc, gather, interruptSuppressed, pushUsed, scatter } from './queue.js';
import { vswitchSend } from './vswitch.js';
import { VIRTIO_MMIO_INT_VRING, VIRTIO_NET_HDR_LEN, VIRTIO_NET_S_LINK_UP } from './spec.js';

export const NET_RECEIVEQ = 0;
export const NET_TRANSMITQ = 1;
/** Frames (without the virtio_net_hdr) longer than this are dropped on TX. */
export const NET_MAX_FRAME = 65535;
export const NET_MIN_FRAME = 14;

export function createNetState(mac: number[], port: number): NetState {
  return { mac: mac.slice(0, 6).map((b) => b & 0xff), port, counters: { txFrames: 0, txDrops: 0, rxFrames: 0, rxDrops: 0 } };
}

/** struct virtio_net_config (§5.1.4): mac[6], status (VIRTIO_NET_S_LINK_UP; VIRTIO_NET_F_STATUS is offered). */
export function netConfig(net: NetState): Uint8Array {
  const c = new Uint8Array(8);
  for (let i = 0; i < 6; i++) c[i] = net.mac[i] ?? 0;
  c[6] = VIRTIO_NET_S_LINK_UP;
  return c;
}

/** Validates a chain whose buffers must all be device-readable (tx) or all device-writable (rx). */
function chainProblem(io: DeviceIo, descs: Desc[], write: boolean): string | null {
  for (const d of descs) {
    if (d.write !== write) return write ? 'device-readable descriptor in a receive chain' : 'device-writable descriptor in a transmit chain';
    const p = bufferProblem(io.mem, d);
    if (p) return p;
  }
  return null;
}

/** QueueNotify on the transmitq: send every available frame. Returns the vswitch ports that received frames. */
export function netTransmit(dev: VirtioMmioState, io: DeviceIo, sw: VswitchState): number[] {
  const net = dev.net;
  const q = dev.queues[NET_TRANSMITQ];
  const delivered: number[] = [];
  if (!net || !q || !q.ready || !deviceLive(dev)) {
    io.log(`${prefix(dev)}: transmitq notify ignored (device not live or queue not ready)`);
    return delivered;
  }
  let used = false;
  for (let n = 0; n < q.num; n++) {
    const chain = nextChain(dev, q, io);
    if (chain === null || chain === 'reset') break;
    const bad = chainProblem(io, chain.descs, false);
    if (bad) { needsReset(dev, io, bad); break; }
    const total = chain.descs.reduce((s, d) => s + d.len, 0);
    // §5.1.6.2: the header precedes the packet; a chain without a whole header cannot be a packet.
    if (total < VIRTIO_NET_HDR_LEN) { needsReset(dev, io, `transmit chain of ${total} bytes has no virtio_net_hdr`); break; }
    const frameLen = total - VIRTIO_NET_HDR_LEN;
    if (frameLen < NET_MIN_FRAME || frameLen > NET_MAX_FRAME) {
      net.counters.txDrops++;
      io.log(`${prefix(dev)}: transmit frame of ${frameLen} bytes dropped`);
    } else {
      const bytes = gather(io.mem, chain.descs);
      if (!bytes) { needsReset(dev, io, 'transmit buffer unreadable'); break; }
      net.counters.txFrames++;
      for (const p of vswitchSend(sw, net.port, bytes.subarray(VIRTIO_NET_HDR_LEN))) if (!delivered.includes(p)) delivered.push(p);
    }
    consumeAvail(q);
    // The device writes nothing into a transmit buffer: used len 0.
    if (!pushUsed(q, io.mem, chain.head, 0)) { needsReset(dev, io, 'used ring not writable'); break; }
    used = true;
  }
  if (used && !interruptSuppressed(q, io.mem)) dev.interruptStatus |= VIRTIO_MMIO_INT_VRING;
  return delivered;
}

/**
 * Move frames waiting in the device's vswitch port into its receiveq, as many
 * as the guest has posted chains for. A frame larger than the next chain is
 * dropped (counted) and the chain stays available, as QEMU does without
 * VIRTIO_NET_F_MRG_RXBUF (virtqueue_unpop). Sets InterruptStatus bit 0 when
 * a chain was used, unless VIRTQ_AVAIL_F_NO_INTERRUPT.
 */
export function netDeliver(dev: VirtioMmioState, ctx: DeviceIo & { vswitch: VswitchState }): void {
  const net = dev.net;
  const q = dev.queues[NET_RECEIVEQ];
  const port = net ? ctx.vswitch.ports[net.port] : undefined;
  if (!net || !q || !port || !q.ready || !deviceLive(dev)) return;
  let used = false;
  while (port.rx.length > 0) {
    const chain = nextChain(dev, q, ctx);
    if (chain === null || chain === 'reset') break;
    const bad = chainProblem(ctx, chain.descs, true);
    if (bad) { needsReset(dev, ctx, bad); break; }
    const frame = port.rx.shift()!;
    const room = chain.descs.reduce((s, d) => s + d.len, 0);
    const need = VIRTIO_NET_HDR_LEN + frame.length;
    if (room < need) {
      net.counters.rxDrops++;
      ctx.log(`${prefix(dev)}: received frame of ${frame.length} bytes dropped: receive buffer holds ${room} bytes`);
      continue;
    }
    const data = new Uint8Array(need);
    data[10] = 1; // num_buffers = 1 (§5.1.6.4); flags, gso_type, hdr_len, gso_size, csum_* all 0
    data.set(frame, VIRTIO_NET_HDR_LEN);
    if (!scatter(ctx.mem, chain.descs, data)) { needsReset(dev, ctx, 'receive buffer not writable'); break; }
    consumeAvail(q);
    if (!pushUsed(q, ctx.mem, chain.head, need)) { needsReset(dev, ctx, 'used ring not writable'); break; }
    net.counters.rxFrames++;
    used = true;
  }
  if (used && !interruptSuppressed(q, ctx.mem)) dev.interruptStatus |= VIRTIO_MMIO_INT_VRING;
}
