import { describe, expect, it } from 'vitest';
import { createVirtioBlk } from './transport.js';
import { arrayGuestMemory, rangeInRam } from './guestMemory.js';
import { addChain, bringUp, type DriverQueue, kick, peek, poke, publish, rd, RAM_BASE, reap, type TestCtx, testCtx, writeDesc } from './testing.js';
import type { VirtioMmioState } from './state.js';
import * as R from './spec.js';

const HDR = RAM_BASE + 0x80000;
const STATUS = RAM_BASE + 0x8f000;
const { VIRTQ_DESC_F_NEXT: NEXT, VIRTQ_DESC_F_WRITE: WRITE, VIRTQ_DESC_F_INDIRECT: INDIRECT } = R;

function setup(): { ctx: TestCtx; dev: VirtioMmioState; q: DriverQueue } {
  const ctx = testCtx({ disk: new Uint8Array(8 * 512) });
  const dev = createVirtioBlk(0, 8 * 512);
  const [q] = bringUp(dev, ctx, 1, 8);
  poke(ctx, HDR, new Uint8Array(16)); // VIRTIO_BLK_T_IN sector 0
  return { ctx, dev, q: q! };
}

function expectNeedsReset(dev: VirtioMmioState, ctx: TestCtx, q: DriverQueue, reason: RegExp): void {
  expect(() => kick(dev, ctx, q)).not.toThrow();
  expect(reap(ctx, q)).toEqual([]);
  expect(rd(dev, ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(R.DEVICE_NEEDS_RESET);
  expect(rd(dev, ctx, R.InterruptStatus) & R.VIRTIO_MMIO_INT_CONFIG).toBe(R.VIRTIO_MMIO_INT_CONFIG);
  expect(ctx.logs.some((l) => l.includes('DEVICE_NEEDS_RESET') && reason.test(l))).toBe(true);
}

describe('split virtqueue validation (§2.7)', () => {
  it('a descriptor loop sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    writeDesc(ctx, q, 0, HDR, 16, NEXT, 1);
    writeDesc(ctx, q, 1, HDR, 16, NEXT, 0);
    publish(ctx, q, 0);
    expectNeedsReset(dev, ctx, q, /loop/);
  });

  it('a next index ≥ queue size sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    writeDesc(ctx, q, 0, HDR, 16, NEXT, 8);
    publish(ctx, q, 0);
    expectNeedsReset(dev, ctx, q, /index 8/);
  });

  it('an avail head ≥ queue size sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    publish(ctx, q, 9);
    expectNeedsReset(dev, ctx, q, /head 9/);
  });

  it('an avail idx more than queue size ahead sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    new DataView(ctx.ram.buffer).setUint16(q.avail - RAM_BASE + 2, 9, true);
    expectNeedsReset(dev, ctx, q, /ahead/);
  });

  it('VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    writeDesc(ctx, q, 0, HDR, 16, INDIRECT, 0);
    publish(ctx, q, 0);
    expectNeedsReset(dev, ctx, q, /INDIRECT/);
  });

  it('a status buffer outside RAM (cannot be answered) sets DEVICE_NEEDS_RESET', () => {
    const { ctx, dev, q } = setup();
    addChain(ctx, q, [{ addr: HDR, len: 16, write: false }, { addr: RAM_BASE - 1, len: 1, write: true }]);
    expectNeedsReset(dev, ctx, q, /status|outside/);
  });

  it('a buffer address with a non-zero high half is out of range: IOERR when the status is usable', () => {
    const { ctx, dev, q } = setup();
    writeDesc(ctx, q, 0, HDR, 16, NEXT, 1, 1);
    writeDesc(ctx, q, 1, STATUS, 1, WRITE, 0);
    publish(ctx, q, 0);
    poke(ctx, STATUS, [0xff]);
    kick(dev, ctx, q);
    expect(reap(ctx, q)).toEqual([{ id: 0, len: 1 }]);
    expect(peek(ctx, STATUS, 1)[0]).toBe(R.VIRTIO_BLK_S_IOERR);
    expect(ctx.logs.some((l) => /above 4 GiB/.test(l))).toBe(true);
  });

  it('a chain of exactly queue size descriptors is accepted', () => {
    const { ctx, dev, q } = setup();
    const bufs = [{ addr: HDR, len: 16, write: false }];
    for (let i = 0; i < 6; i++) bufs.push({ addr: RAM_BASE + 0x81000 + 512 * i, len: 512, write: true });
    bufs.push({ addr: STATUS, len: 1, write: true });
    expect(bufs).toHaveLength(8);
    addChain(ctx, q, bufs);
    kick(dev, ctx, q);
    expect(reap(ctx, q)).toEqual([{ id: 0, len: 6 * 512 + 1 }]);
    expect(peek(ctx, STATUS, 1)[0]).toBe(R.VIRTIO_BLK_S_OK);
  });

  it('notify before DRIVER_OK is ignored (§3.1.2)', () => {
    const ctx = testCtx({ disk: new Uint8Array(4096) });
    const dev = createVirtioBlk(0, 4096);
    kick(dev, ctx, { index: 0 } as DriverQueue);
    expect(ctx.logs.some((l) => l.includes('ignored'))).toBe(true);
  });
});

describe('guest memory', () => {
  it('arrayGuestMemory refuses anything not entirely inside', () => {
    const ram = new Uint8Array(64);
    const mem = arrayGuestMemory(0x1000, ram);
    expect(mem.read(0x0fff, 2)).toBeNull();
    expect(mem.read(0x103f, 2)).toBeNull();
    expect(mem.read(0x103f, 1)).toEqual(new Uint8Array([0]));
    expect(mem.write(0x103f, new Uint8Array([1, 2]))).toBe(false);
    expect(ram[63]).toBe(0);
    expect(mem.write(0x1000, new Uint8Array([9]))).toBe(true);
    expect(ram[0]).toBe(9);
    expect(rangeInRam(mem, 0x1000, 64)).toBe(true);
    expect(rangeInRam(mem, 0x1000, 65)).toBe(false);
    expect(rangeInRam(mem, 0x2000, 0)).toBe(true);
    const calls: number[][] = [];
    const fast = { ...mem, contains: (ipa: number, len: number) => { calls.push([ipa, len]); return ipa >= 0x1000 && ipa + len <= 0x1040; } };
    expect(rangeInRam(fast, 0x1000, 64)).toBe(true);
    expect(rangeInRam(fast, 0x1001, 64)).toBe(false);
    expect(calls).toEqual([[0x1000, 64], [0x1001, 64]]);
  });
});
