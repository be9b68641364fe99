import { describe, expect, it } from 'vitest';
import { createVirtioNet, netDeliver } from './transport.js';
import { createVswitch } from './vswitch.js';
import { addChain, bringUp, type DriverQueue, kick, peek, poke, rd, RAM_BASE, reap, setAvailFlags, type TestCtx, testCtx, wr } from './testing.js';
import type { VirtioMmioState, VswitchState } from './state.js';
import * as R from './spec.js';

const MAC0 = [0x52, 0x54, 0, 0x12, 0x34, 0x00];
const MAC1 = [0x52, 0x54, 0, 0x12, 0x34, 0x01];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const TXBUF = RAM_BASE + 0x80000;
const RXBUF = RAM_BASE + 0x90000;
const RXLEN = 1526; // Linux's small-buffer size: 12 + 1514

interface Vm { ctx: TestCtx; dev: VirtioMmioState; rx: DriverQueue; tx: DriverQueue }

function vm(sw: VswitchState, port: number, mac: number[]): Vm {
  const ctx = testCtx({ vswitch: sw });
  const dev = createVirtioNet(port, mac, port);
  const [rx, tx] = bringUp(dev, ctx, 2);
  return { ctx, dev, rx: rx!, tx: tx! };
}

const frame = (dst: number[], src: number[], n = 60): Uint8Array => {
  const f = new Uint8Array(n);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  for (let i = 14; i < n; i++) f[i] = i & 0xff;
  return f;
};

/** Transmit like Linux: header and frame in one readable buffer. */
function send(v: Vm, f: Uint8Array): number[] {
  const b = new Uint8Array(12 + f.length);
  b.set(f, 12);
  poke(v.ctx, TXBUF, b);
  addChain(v.ctx, v.tx, [{ addr: TXBUF, len: b.length, write: false }]);
  return kick(v.dev, v.ctx, v.tx);
}

function postRx(v: Vm, n: number, len = RXLEN): void {
  for (let i = 0; i < n; i++) addChain(v.ctx, v.rx, [{ addr: RXBUF + i * 0x800, len, write: true }]);
}

describe('virtio-net (§5.1)', () => {
  it('TX -> vswitch -> RX between two devices, with the 12-byte header (num_buffers = 1)', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    postRx(b, 2);
    kick(b.dev, b.ctx, b.rx); // nothing waiting yet
    expect(reap(b.ctx, b.rx)).toEqual([]);
    const f = frame(BCAST, MAC0);
    const ports = send(a, f);
    expect(ports).toEqual([1]);
    expect(reap(a.ctx, a.tx)).toEqual([{ id: 0, len: 0 }]);
    expect(rd(a.dev, a.ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_VRING);
    expect(a.dev.net!.counters.txFrames).toBe(1);
    netDeliver(b.dev, b.ctx);
    expect(reap(b.ctx, b.rx)).toEqual([{ id: 0, len: 12 + f.length }]);
    const hdr = peek(b.ctx, RXBUF, 12);
    expect([...hdr]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(peek(b.ctx, RXBUF + 12, f.length)).toEqual(f);
    expect(rd(b.dev, b.ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_VRING);
    expect(sw.ports[1]!.rx).toHaveLength(0);
    expect(b.dev.net!.counters.rxFrames).toBe(1);
  });

  it('scatters a frame across a multi-descriptor receive chain and gathers a split transmit chain', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    const f = frame(MAC1, MAC0, 200);
    const b12 = new Uint8Array(12 + f.length);
    b12.set(f, 12);
    poke(a.ctx, TXBUF, b12.subarray(0, 12));
    poke(a.ctx, TXBUF + 0x100, b12.subarray(12, 50));
    poke(a.ctx, TXBUF + 0x200, b12.subarray(50));
    addChain(a.ctx, a.tx, [
      { addr: TXBUF, len: 12, write: false },
      { addr: TXBUF + 0x100, len: 38, write: false },
      { addr: TXBUF + 0x200, len: b12.length - 50, write: false },
    ]);
    expect(kick(a.dev, a.ctx, a.tx)).toEqual([1]);
    addChain(b.ctx, b.rx, [{ addr: RXBUF, len: 12, write: true }, { addr: RXBUF + 0x100, len: 100, write: true }, { addr: RXBUF + 0x200, len: 1000, write: true }]);
    kick(b.dev, b.ctx, b.rx);
    expect(reap(b.ctx, b.rx)).toEqual([{ id: 0, len: 212 }]);
    expect(peek(b.ctx, RXBUF + 0x100, 100)).toEqual(f.subarray(0, 100));
    expect(peek(b.ctx, RXBUF + 0x200, 100)).toEqual(f.subarray(100));
  });

  it('frames wait in the port until the guest posts buffers, then arrive in order', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    for (let i = 0; i < 3; i++) send(a, frame(BCAST, MAC0, 60 + i));
    netDeliver(b.dev, b.ctx);
    expect(sw.ports[1]!.rx).toHaveLength(3);
    expect(rd(b.dev, b.ctx, R.InterruptStatus)).toBe(0);
    postRx(b, 2);
    kick(b.dev, b.ctx, b.rx); // the driver's kick after refilling delivers
    expect(reap(b.ctx, b.rx).map((u) => u.len)).toEqual([72, 73]);
    expect(sw.ports[1]!.rx).toHaveLength(1);
    postRx(b, 1);
    netDeliver(b.dev, b.ctx);
    expect(reap(b.ctx, b.rx).map((u) => u.len)).toEqual([74]);
  });

  it('drops (and counts) a frame too large for the receive chain; the chain stays available', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    send(a, frame(BCAST, MAC0, 1000));
    send(a, frame(BCAST, MAC0, 100));
    postRx(b, 1, 512);
    netDeliver(b.dev, b.ctx);
    expect(b.dev.net!.counters.rxDrops).toBe(1);
    expect(reap(b.ctx, b.rx)).toEqual([{ id: 0, len: 112 }]);
    expect(b.ctx.logs.some((l) => l.includes('dropped'))).toBe(true);
    expect(rd(b.dev, b.ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(0);
  });

  it('drops transmit frames shorter than 14 bytes but still returns the buffer', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    expect(send(a, new Uint8Array(10))).toEqual([]);
    expect(reap(a.ctx, a.tx)).toEqual([{ id: 0, len: 0 }]);
    expect(a.dev.net!.counters.txDrops).toBe(1);
    expect(sw.ports[1]!.rx).toHaveLength(0);
  });

  it('a device-writable descriptor in the transmitq sets DEVICE_NEEDS_RESET', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    addChain(a.ctx, a.tx, [{ addr: TXBUF, len: 100, write: true }]);
    expect(kick(a.dev, a.ctx, a.tx)).toEqual([]);
    expect(rd(a.dev, a.ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(R.DEVICE_NEEDS_RESET);
    expect(rd(a.dev, a.ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_CONFIG);
  });

  it('a device-readable descriptor in the receiveq sets DEVICE_NEEDS_RESET and keeps the frame', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    send(a, frame(BCAST, MAC0));
    addChain(b.ctx, b.rx, [{ addr: RXBUF, len: RXLEN, write: false }]);
    netDeliver(b.dev, b.ctx);
    expect(rd(b.dev, b.ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(R.DEVICE_NEEDS_RESET);
    expect(sw.ports[1]!.rx).toHaveLength(1);
    expect(reap(b.ctx, b.rx)).toEqual([]);
  });

  it('honours VRING_AVAIL_F_NO_INTERRUPT on both queues', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const b = vm(sw, 1, MAC1);
    setAvailFlags(a.ctx, a.tx, R.VRING_AVAIL_F_NO_INTERRUPT);
    setAvailFlags(b.ctx, b.rx, R.VRING_AVAIL_F_NO_INTERRUPT);
    send(a, frame(BCAST, MAC0));
    postRx(b, 1);
    netDeliver(b.dev, b.ctx);
    expect(reap(a.ctx, a.tx)).toHaveLength(1);
    expect(reap(b.ctx, b.rx)).toHaveLength(1);
    expect(rd(a.dev, a.ctx, R.InterruptStatus)).toBe(0);
    expect(rd(b.dev, b.ctx, R.InterruptStatus)).toBe(0);
  });

  it('does not deliver before DRIVER_OK; frames wait in the port', () => {
    const sw = createVswitch(2);
    const a = vm(sw, 0, MAC0);
    const ctx = testCtx({ vswitch: sw });
    const b = createVirtioNet(1, MAC1, 1);
    send(a, frame(BCAST, MAC0));
    netDeliver(b, ctx);
    expect(sw.ports[1]!.rx).toHaveLength(1);
    wr(b, ctx, R.Status, 0);
    expect(b.net!.counters.rxFrames).toBe(0);
  });
});
