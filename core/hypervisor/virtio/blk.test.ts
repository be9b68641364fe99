import { describe, expect, it } from 'vitest';
import { blkImage, createVirtioBlk } from './transport.js';
import { addChain, bringUp, type DriverQueue, kick, peek, poke, rd, RAM_BASE, reap, setAvailFlags, type TestCtx, testCtx } from './testing.js';
import type { VirtioMmioState } from './state.js';
import * as R from './spec.js';

const HDR = RAM_BASE + 0x80000;
const DATA = RAM_BASE + 0x81000;
const STATUS = RAM_BASE + 0x8f000;

function disk(sectors: number): Uint8Array {
  const d = new Uint8Array(sectors * 512);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + (i >> 9)) & 0xff;
  return d;
}

function setup(base: Uint8Array) {
  const ctx = testCtx({ disk: base });
  const dev = createVirtioBlk(0, base.length);
  const [q] = bringUp(dev, ctx, 1);
  return { ctx, dev, q: q! };
}

/** A Linux-shaped request: header | data... | status. Returns the used element and the status byte. */
function request(dev: VirtioMmioState, ctx: TestCtx, q: DriverQueue, type: number, sector: number, data: { len: number; write: boolean }[]) {
  const h = new Uint8Array(16);
  const hv = new DataView(h.buffer);
  hv.setUint32(0, type, true);
  hv.setUint32(8, sector >>> 0, true);
  hv.setUint32(12, Math.floor(sector / 2 ** 32), true);
  poke(ctx, HDR, h);
  poke(ctx, STATUS, [0xff]);
  let a = DATA;
  const bufs = [{ addr: HDR, len: 16, write: false }];
  for (const d of data) {
    bufs.push({ addr: a, len: d.len, write: d.write });
    a += d.len;
  }
  bufs.push({ addr: STATUS, len: 1, write: true });
  const head = addChain(ctx, q, bufs);
  kick(dev, ctx, q);
  const used = reap(ctx, q);
  return { head, used, status: peek(ctx, STATUS, 1)[0] };
}

describe('virtio-blk (§5.2)', () => {
  it('reads sectors of the base image (VIRTIO_BLK_T_IN) with used.len = data + status', () => {
    const base = disk(64);
    const { ctx, dev, q } = setup(base);
    const r = request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 3, [{ len: 512, write: true }, { len: 1024, write: true }]);
    expect(r.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(r.used).toEqual([{ id: r.head, len: 1537 }]);
    expect(peek(ctx, DATA, 1536)).toEqual(base.slice(3 * 512, 6 * 512));
    expect(rd(dev, ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_VRING);
    expect(dev.blk!.counters.reads).toBe(1);
  });

  it('writes go to the copy-on-write overlay: base untouched, reads return the data, blkImage applies it', () => {
    const base = disk(64);
    const pristine = base.slice();
    const { ctx, dev, q } = setup(base);
    const payload = new Uint8Array(1024).map((_, i) => 255 - (i & 0xff));
    poke(ctx, DATA, payload);
    // Sectors 7..8 straddle the 4 KiB chunk boundary at sector 8.
    const w = request(dev, ctx, q, R.VIRTIO_BLK_T_OUT, 7, [{ len: 1024, write: false }]);
    expect(w.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(w.used[0]!.len).toBe(1);
    expect(base).toEqual(pristine);
    expect(Object.keys(dev.blk!.overlay).sort()).toEqual(['0', '1']);
    poke(ctx, DATA, new Uint8Array(4096));
    const r = request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 6, [{ len: 2048, write: true }]);
    expect(r.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(peek(ctx, DATA, 512)).toEqual(base.slice(6 * 512, 7 * 512)); // copied from base into chunk 0
    expect(peek(ctx, DATA + 512, 1024)).toEqual(payload);
    expect(peek(ctx, DATA + 1536, 512)).toEqual(base.slice(9 * 512, 10 * 512));
    const image = blkImage(dev, base);
    expect(image.length).toBe(base.length);
    expect(image.slice(7 * 512, 9 * 512)).toEqual(payload);
    expect(image.slice(0, 7 * 512)).toEqual(base.slice(0, 7 * 512));
    expect(image.slice(9 * 512)).toEqual(base.slice(9 * 512));
    expect(base).toEqual(pristine);
  });

  it('flushes and answers GET_ID with the 20-byte id', () => {
    const { ctx, dev, q } = setup(disk(8));
    const f = request(dev, ctx, q, R.VIRTIO_BLK_T_FLUSH, 0, []);
    expect(f.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(f.used[0]!.len).toBe(1);
    const g = request(dev, ctx, q, R.VIRTIO_BLK_T_GET_ID, 0, [{ len: 20, write: true }]);
    expect(g.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(g.used[0]!.len).toBe(21);
    const id = peek(ctx, DATA, 20);
    expect(new TextDecoder().decode(id.subarray(0, 9))).toBe('hvrr-disk');
    expect([...id.subarray(9)].every((b) => b === 0)).toBe(true);
  });

  it('answers VIRTIO_BLK_S_UNSUPP for unknown types (DISCARD, 99)', () => {
    const { ctx, dev, q } = setup(disk(8));
    for (const t of [R.VIRTIO_BLK_T_DISCARD, 99]) {
      const r = request(dev, ctx, q, t, 0, [{ len: 16, write: false }]);
      expect(r.status).toBe(R.VIRTIO_BLK_S_UNSUPP);
      expect(r.used[0]!.len).toBe(1);
    }
    expect(dev.blk!.counters.unsupported).toBe(2);
    expect(rd(dev, ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(0);
  });

  it('answers VIRTIO_BLK_S_IOERR past capacity, for partial sectors and 64-bit sectors', () => {
    const { ctx, dev, q } = setup(disk(8));
    expect(request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 7, [{ len: 1024, write: true }]).status).toBe(R.VIRTIO_BLK_S_IOERR);
    expect(request(dev, ctx, q, R.VIRTIO_BLK_T_OUT, 8, [{ len: 512, write: false }]).status).toBe(R.VIRTIO_BLK_S_IOERR);
    expect(request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 0, [{ len: 100, write: true }]).status).toBe(R.VIRTIO_BLK_S_IOERR);
    expect(request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 2 ** 32, [{ len: 512, write: true }]).status).toBe(R.VIRTIO_BLK_S_IOERR);
    const ok = request(dev, ctx, q, R.VIRTIO_BLK_T_IN, 7, [{ len: 512, write: true }]);
    expect(ok.status).toBe(R.VIRTIO_BLK_S_OK);
    expect(dev.blk!.counters.ioErrors).toBe(4);
    expect(Object.keys(dev.blk!.overlay)).toEqual([]);
    expect(ctx.logs.filter((l) => l.includes('VIRTIO_BLK_S_IOERR'))).toHaveLength(4);
  });

  it('capacity is the image size rounded down to 512', () => {
    const dev = createVirtioBlk(0, 5000);
    expect(dev.blk!.capacityBytes).toBe(4608);
  });

  it('a data buffer outside RAM is answered IOERR when the status byte is usable', () => {
    const { ctx, dev, q } = setup(disk(8));
    poke(ctx, STATUS, [0xff]);
    const head = addChain(ctx, q, [
      { addr: HDR, len: 16, write: false },
      { addr: RAM_BASE + (1 << 20) - 256, len: 512, write: true },
      { addr: STATUS, len: 1, write: true },
    ]);
    expect(() => kick(dev, ctx, q)).not.toThrow();
    expect(reap(ctx, q)).toEqual([{ id: head, len: 1 }]);
    expect(peek(ctx, STATUS, 1)[0]).toBe(R.VIRTIO_BLK_S_IOERR);
  });

  it('a readable status descriptor (wrong direction) cannot be answered: DEVICE_NEEDS_RESET + config interrupt', () => {
    const { ctx, dev, q } = setup(disk(8));
    addChain(ctx, q, [{ addr: HDR, len: 16, write: false }, { addr: STATUS, len: 1, write: false }]);
    kick(dev, ctx, q);
    expect(reap(ctx, q)).toEqual([]);
    expect(rd(dev, ctx, R.Status) & R.DEVICE_NEEDS_RESET).toBe(R.DEVICE_NEEDS_RESET);
    expect(rd(dev, ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_CONFIG);
    // Further requests are not processed until reset.
    const again = request(dev, ctx, q, R.VIRTIO_BLK_T_FLUSH, 0, []);
    expect(again.used).toEqual([]);
  });

  it('honours VRING_AVAIL_F_NO_INTERRUPT', () => {
    const { ctx, dev, q } = setup(disk(8));
    setAvailFlags(ctx, q, R.VRING_AVAIL_F_NO_INTERRUPT);
    const r = request(dev, ctx, q, R.VIRTIO_BLK_T_FLUSH, 0, []);
    expect(r.used).toHaveLength(1);
    expect(rd(dev, ctx, R.InterruptStatus)).toBe(0);
    setAvailFlags(ctx, q, 0);
    request(dev, ctx, q, R.VIRTIO_BLK_T_FLUSH, 0, []);
    expect(rd(dev, ctx, R.InterruptStatus)).toBe(R.VIRTIO_MMIO_INT_VRING);
  });

  it('completes several queued requests on one notify, in ring order', () => {
    const base = disk(16);
    const { ctx, dev, q } = setup(base);
    poke(ctx, HDR, new Uint8Array(16)); // IN sector 0
    const h1 = addChain(ctx, q, [{ addr: HDR, len: 16, write: false }, { addr: DATA, len: 512, write: true }, { addr: STATUS, len: 1, write: true }]);
    const h2 = addChain(ctx, q, [{ addr: HDR, len: 16, write: false }, { addr: DATA + 512, len: 512, write: true }, { addr: STATUS + 1, len: 1, write: true }]);
    kick(dev, ctx, q);
    expect(reap(ctx, q)).toEqual([{ id: h1, len: 513 }, { id: h2, len: 513 }]);
    expect(peek(ctx, DATA + 512, 512)).toEqual(base.slice(0, 512));
  });
});
