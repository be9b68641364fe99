import { describe, expect, it } from 'vitest';
import { encode, decode } from 'cbor-x';
import { createVirtioBlk, createVirtioNet, netDeliver, type VirtioCtx } from './transport.js';
import { createVswitch } from './vswitch.js';
import { arrayGuestMemory } from './guestMemory.js';
import { addChain, bringUp, type DriverQueue, kick, poke, RAM_BASE, reap, type TestCtx } from './testing.js';
import type { VirtioMmioState, VswitchState } from './state.js';
import * as R from './spec.js';

/** The whole world of one scenario: two net devices, one blk device, one vswitch, one RAM per device. */
interface World { sw: VswitchState; devs: VirtioMmioState[]; rams: Uint8Array[]; queues: DriverQueue[][] }

const BASE = new Uint8Array(64 * 512).map((_, i) => (i * 13) & 0xff);

function ctxFor(w: World, i: number): TestCtx {
  const logs: string[] = [];
  const ram = w.rams[i]!;
  return { ram, logs, mem: arrayGuestMemory(RAM_BASE, ram), disk: BASE, vswitch: w.sw, log: (m) => logs.push(m) } satisfies VirtioCtx & TestCtx;
}

function freshWorld(): World {
  const sw = createVswitch(2);
  const devs = [createVirtioNet(0, [2, 0, 0, 0, 0, 1], 0), createVirtioNet(1, [2, 0, 0, 0, 0, 2], 1), createVirtioBlk(2, BASE.length)];
  const w: World = { sw, devs, rams: devs.map(() => new Uint8Array(1 << 20)), queues: [] };
  w.queues = devs.map((d, i) => bringUp(d, ctxFor(w, i), d.kind === 'net' ? 2 : 1, 8));
  return w;
}

/** Step k of a deterministic workload touching every device. */
function step(w: World, k: number): void {
  const [a, b, blk] = [0, 1, 2].map((i) => ({ dev: w.devs[i]!, ctx: ctxFor(w, i), q: w.queues[i]! }));
  // a sends a frame to b (broadcast first, then unicast once learned).
  const f = new Uint8Array(12 + 60);
  f.set(k === 0 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [2, 0, 0, 0, 0, 2], 12);
  f.set([2, 0, 0, 0, 0, 1], 18);
  f[30] = k;
  poke(a!.ctx, RAM_BASE + 0x80000, f);
  addChain(a!.ctx, a!.q[1]!, [{ addr: RAM_BASE + 0x80000, len: f.length, write: false }]);
  kick(a!.dev, a!.ctx, a!.q[1]!);
  reap(a!.ctx, a!.q[1]!);
  if (k % 2 === 1) {
    addChain(b!.ctx, b!.q[0]!, [{ addr: RAM_BASE + 0x90000 + 0x800 * (k % 4), len: 1526, write: true }]);
    netDeliver(b!.dev, b!.ctx);
    reap(b!.ctx, b!.q[0]!);
  }
  // blk writes sector k and reads it back.
  const hdr = new Uint8Array(16);
  new DataView(hdr.buffer).setUint32(0, k % 2 ? R.VIRTIO_BLK_T_IN : R.VIRTIO_BLK_T_OUT, true);
  new DataView(hdr.buffer).setUint32(8, k, true);
  poke(blk!.ctx, RAM_BASE + 0x80000, hdr);
  poke(blk!.ctx, RAM_BASE + 0x81000, new Uint8Array(512).fill(k + 1));
  addChain(blk!.ctx, blk!.q[0]!, [
    { addr: RAM_BASE + 0x80000, len: 16, write: false },
    { addr: RAM_BASE + 0x81000, len: 512, write: k % 2 === 1 },
    { addr: RAM_BASE + 0x8f000, len: 1, write: true },
  ]);
  kick(blk!.dev, blk!.ctx, blk!.q[0]!);
  reap(blk!.ctx, blk!.q[0]!);
}

const snapshot = (w: World) => ({ sw: w.sw, devs: w.devs, rams: w.rams, queues: w.queues });

describe('state records', () => {
  it('survive structuredClone: continuing on a clone equals continuing on the original', () => {
    const w = freshWorld();
    for (let k = 0; k < 6; k++) step(w, k);
    const c = structuredClone(snapshot(w)) as World;
    for (let k = 6; k < 12; k++) { step(w, k); step(c, k); }
    expect(c.devs).toEqual(w.devs);
    expect(c.sw).toEqual(w.sw);
    expect(c.rams.map((r, i) => Buffer.compare(r, w.rams[i]!))).toEqual([0, 0, 0]);
    expect(w.devs[2]!.blk!.counters.writes).toBe(6);
    expect(w.devs[1]!.net!.counters.rxFrames).toBeGreaterThan(0);
    expect(w.sw.macTable).toEqual({ '020000000001': 0 });
  });

  it('survive a CBOR round trip (cbor-x) unchanged', () => {
    const w = freshWorld();
    for (let k = 0; k < 4; k++) step(w, k);
    const back = decode(encode({ sw: w.sw, devs: w.devs })) as { sw: VswitchState; devs: VirtioMmioState[] };
    expect(back.devs).toEqual(w.devs);
    expect(back.sw).toEqual(w.sw);
    expect(back.devs[2]!.blk!.overlay['0']).toBeInstanceOf(Uint8Array);
  });
});
