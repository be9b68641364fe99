import { describe, expect, it } from 'vitest';
import {
  createVirtioBlk, createVirtioNet, emptySlotRead, emptySlotWrite, virtioIrqLevel, virtioRead, virtioWrite,
} from './transport.js';
import { bringUp, negotiate, rd, RAM_BASE, setupQueue, testCtx, wr } from './testing.js';
import * as R from './spec.js';

const MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

describe('virtio-mmio v2 registers (§4.2.2)', () => {
  it('identifies blk and net devices', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    const net = createVirtioNet(1, MAC, 0);
    for (const dev of [blk, net]) {
      expect(rd(dev, ctx, R.MagicValue)).toBe(0x74726976);
      expect(rd(dev, ctx, R.Version)).toBe(2);
      expect(rd(dev, ctx, R.VendorID)).toBe(0x554d4551);
      expect(rd(dev, ctx, R.ConfigGeneration)).toBe(0);
      expect(rd(dev, ctx, R.SHMLenLow)).toBe(0xffffffff);
      expect(rd(dev, ctx, R.SHMLenHigh)).toBe(0xffffffff);
    }
    expect(rd(blk, ctx, R.DeviceID)).toBe(R.VIRTIO_ID_BLOCK);
    expect(rd(net, ctx, R.DeviceID)).toBe(R.VIRTIO_ID_NET);
  });

  it('offers VIRTIO_F_VERSION_1 and the device features, never INDIRECT_DESC or EVENT_IDX', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    wr(blk, ctx, R.DeviceFeaturesSel, 1);
    expect(rd(blk, ctx, R.DeviceFeatures)).toBe(1); // bit 32
    wr(blk, ctx, R.DeviceFeaturesSel, 0);
    const lo = rd(blk, ctx, R.DeviceFeatures);
    expect(lo).toBe((1 << R.VIRTIO_BLK_F_SEG_MAX) | (1 << R.VIRTIO_BLK_F_BLK_SIZE) | (1 << R.VIRTIO_BLK_F_FLUSH));
    expect(lo & (1 << R.VIRTIO_F_INDIRECT_DESC)).toBe(0);
    expect(lo & (1 << R.VIRTIO_F_EVENT_IDX)).toBe(0);
    wr(blk, ctx, R.DeviceFeaturesSel, 2);
    expect(rd(blk, ctx, R.DeviceFeatures)).toBe(0);
    const net = createVirtioNet(1, MAC, 0);
    expect(rd(net, ctx, R.DeviceFeatures)).toBe((1 << R.VIRTIO_NET_F_MAC) | (1 << R.VIRTIO_NET_F_STATUS));
  });

  it('keeps FEATURES_OK for an acceptable subset and refuses otherwise', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    expect(negotiate(blk, ctx) & R.FEATURES_OK).toBe(R.FEATURES_OK);
    expect(negotiate(blk, ctx, [1 << R.VIRTIO_BLK_F_FLUSH, 1]) & R.FEATURES_OK).toBe(R.FEATURES_OK);
    // Without VIRTIO_F_VERSION_1 (a legacy driver).
    expect(negotiate(blk, ctx, [1 << R.VIRTIO_BLK_F_FLUSH, 0]) & R.FEATURES_OK).toBe(0);
    // A feature never offered (INDIRECT_DESC).
    expect(negotiate(blk, ctx, [1 << R.VIRTIO_F_INDIRECT_DESC, 1]) & R.FEATURES_OK).toBe(0);
    expect(ctx.logs.filter((l) => l.includes('FEATURES_OK refused'))).toHaveLength(2);
    expect(rd(blk, ctx, R.Status)).toBe(R.ACKNOWLEDGE | R.DRIVER);
  });

  it('ignores DriverFeatures writes after FEATURES_OK', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    negotiate(blk, ctx, [0, 1]);
    wr(blk, ctx, R.DriverFeaturesSel, 0);
    wr(blk, ctx, R.DriverFeatures, 1 << R.VIRTIO_F_INDIRECT_DESC);
    expect(blk.driverFeatures).toEqual([0, 1]);
  });

  it('validates queue registers: QueueNum power of 2 ≤ QueueNumMax, nothing while QueueReady=1', () => {
    const ctx = testCtx();
    const net = createVirtioNet(0, MAC, 0);
    negotiate(net, ctx);
    wr(net, ctx, R.QueueSel, 0);
    expect(rd(net, ctx, R.QueueNumMax)).toBe(256);
    wr(net, ctx, R.QueueNum, 100);
    wr(net, ctx, R.QueueNum, 512);
    expect(net.queues[0]!.num).toBe(256);
    wr(net, ctx, R.QueueNum, 64);
    expect(net.queues[0]!.num).toBe(64);
    wr(net, ctx, R.QueueSel, 2);
    expect(rd(net, ctx, R.QueueNumMax)).toBe(0); // no such queue
    const q = setupQueue(net, ctx, 1, 8);
    expect(rd(net, ctx, R.QueueReady)).toBe(1);
    wr(net, ctx, R.QueueDescLow, RAM_BASE);
    wr(net, ctx, R.QueueNum, 4);
    expect(net.queues[1]!.descLow).toBe(q.desc);
    expect(net.queues[1]!.num).toBe(8);
    expect(ctx.logs.filter((l) => l.includes('rejected'))).toHaveLength(4);
  });

  it.each([
    ['misaligned descriptor table', R.QueueDescLow, RAM_BASE + 8, 0],
    ['misaligned used ring', R.QueueDeviceLow, RAM_BASE + 0x102, 0],
    ['ring outside RAM', R.QueueDriverLow, RAM_BASE - 0x1000, 0],
    ['ring past the end of RAM', R.QueueDeviceLow, RAM_BASE + (1 << 20) - 8, 0],
    ['High part non-zero', R.QueueDescHigh, 1, 0],
  ])('QueueReady=1 with %s sets DEVICE_NEEDS_RESET', (_name, reg, value) => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    negotiate(blk, ctx);
    wr(blk, ctx, R.QueueSel, 0);
    wr(blk, ctx, R.QueueNum, 16);
    wr(blk, ctx, R.QueueDescLow, RAM_BASE);
    wr(blk, ctx, R.QueueDriverLow, RAM_BASE + 0x100);
    wr(blk, ctx, R.QueueDeviceLow, RAM_BASE + 0x200);
    wr(blk, ctx, reg, value);
    wr(blk, ctx, R.QueueReady, 1);
    expect(rd(blk, ctx, R.QueueReady)).toBe(0);
    expect(rd(blk, ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(R.DEVICE_NEEDS_RESET);
    expect(ctx.logs.some((l) => l.includes('DEVICE_NEEDS_RESET'))).toBe(true);
    expect(rd(blk, ctx, R.InterruptStatus)).toBe(0); // no interrupt before DRIVER_OK
    wr(blk, ctx, R.Status, R.ACKNOWLEDGE | R.DRIVER | R.FEATURES_OK | R.DRIVER_OK);
    expect(rd(blk, ctx, R.Status)).toBe(R.ACKNOWLEDGE | R.DRIVER | R.FEATURES_OK | R.DRIVER_OK | R.DEVICE_NEEDS_RESET);
    expect(rd(blk, ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_CONFIG);
    wr(blk, ctx, R.Status, 0);
    expect(rd(blk, ctx, R.Status)).toBe(0);
  });

  it('accepts 32-bit register accesses only; config space by natural width', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    expect(virtioRead(blk, R.MagicValue, 2, ctx)).toBeUndefined();
    expect(virtioRead(blk, R.MagicValue, 8, ctx)).toBeUndefined();
    expect(virtioRead(blk, 0x2, 4, ctx)).toBeUndefined();
    expect(virtioRead(blk, 0x200, 4, ctx)).toBeUndefined();
    expect(virtioWrite(blk, R.Status, 1, 1, ctx).ok).toBe(false);
    expect(virtioWrite(blk, 0x200, 4, 1, ctx).ok).toBe(false);
    expect(virtioRead(blk, R.Config, 8, ctx)).toBe(2048); // capacity in sectors
    expect(virtioRead(blk, R.Config, 4, ctx)).toBe(2048);
    expect(virtioRead(blk, R.Config + 4, 4, ctx)).toBe(0);
    expect(virtioRead(blk, R.Config + 12, 4, ctx)).toBe(254); // seg_max
    expect(virtioRead(blk, R.Config + 20, 4, ctx)).toBe(512); // blk_size
    expect(virtioRead(blk, R.Config + 8, 8, ctx)).toBeUndefined();
    expect(virtioRead(blk, R.Config + 1, 2, ctx)).toBeUndefined();
    const net = createVirtioNet(1, MAC, 0);
    expect([0, 1, 2, 3, 4, 5].map((i) => virtioRead(net, R.Config + i, 1, ctx))).toEqual(MAC);
    expect(virtioRead(net, R.Config + 6, 2, ctx)).toBe(R.VIRTIO_NET_S_LINK_UP);
    expect(virtioRead(net, R.Config, 8, ctx)).toBeUndefined();
  });

  it('reset (Status = 0) clears queues, features and interrupts but keeps the overlay', () => {
    const ctx = testCtx();
    const blk = createVirtioBlk(0, 1 << 20);
    bringUp(blk, ctx, 1);
    blk.blk!.overlay['0'] = new Uint8Array(4096).fill(7);
    blk.interruptStatus = 3;
    expect(virtioIrqLevel(blk)).toBe(true);
    wr(blk, ctx, R.InterruptACK, 1);
    expect(rd(blk, ctx, R.InterruptStatus)).toBe(2);
    wr(blk, ctx, R.Status, 0);
    expect(rd(blk, ctx, R.Status)).toBe(0);
    expect(rd(blk, ctx, R.InterruptStatus)).toBe(0);
    expect(virtioIrqLevel(blk)).toBe(false);
    wr(blk, ctx, R.QueueSel, 0);
    expect(rd(blk, ctx, R.QueueReady)).toBe(0);
    expect(blk.driverFeatures).toEqual([0, 0]);
    expect(blk.queues[0]!.descLow).toBe(0);
    expect(blk.blk!.overlay['0']![0]).toBe(7);
  });

  it('empty slots: magic and version, DeviceID 0', () => {
    expect(emptySlotRead(R.MagicValue, 4)).toBe(0x74726976);
    expect(emptySlotRead(R.Version, 4)).toBe(2);
    expect(emptySlotRead(R.DeviceID, 4)).toBe(0);
    expect(emptySlotRead(R.DeviceID, 2)).toBeUndefined();
    expect(emptySlotWrite(R.Status, 4)).toBe(true);
    expect(emptySlotWrite(R.Status, 1)).toBe(false);
  });
});
