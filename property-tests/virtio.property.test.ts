// virtio devices under a hostile driver: fast-check drives a virtio-blk and
// two virtio-net devices (on one vswitch) with random register accesses,
// random descriptors, scribbled rings and well-formed chains, starting from a
// Linux-like bring-up. Properties, checked after every step:
// - nothing throws (a bad request gets the spec's answer, never a host exception);
// - the device writes guest memory only inside a used ring of one of its
//   ready queues or a descriptor the driver marked device-writable (§2.7.4);
// - InterruptStatus holds only bits 0-1; every state record survives
//   structuredClone; the same steps on a fresh setup give the same states and memory.
// A failure prints the seed and path (fast-check) for an exact replay:
// HVRR_VIRTIO_SEED=<seed> npx vitest run property-tests/virtio.property.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addChain, bringUp, RAM_BASE, testCtx, writeDesc, type DriverQueue, type TestCtx,
} from '../core/hypervisor/virtio/testing.js';
import { createVirtioBlk, createVirtioNet, virtioRead, virtioWrite } from '../core/hypervisor/virtio/transport.js';
import { netDeliver } from '../core/hypervisor/virtio/net.js';
import { createVswitch } from '../core/hypervisor/virtio/vswitch.js';
import type { VirtioMmioState, VswitchState } from '../core/hypervisor/virtio/state.js';
import { VIRTQ_DESC_F_WRITE } from '../core/hypervisor/virtio/spec.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_PROP_RUNS ?? 150);
const SEED = suiteSeed('virtio property', 'HVRR_VIRTIO_SEED', 20261121, { runs: RUNS });
const RAM_BYTES = 1 << 20;
const DISK = new Uint8Array(64 * 1024).map((_, i) => (i * 7) & 0xff);

interface Setup {
  sw: VswitchState;
  devs: VirtioMmioState[];
  ctxs: TestCtx[];
  queues: DriverQueue[][];
  /** Set when a device wrote outside the allowed regions. */
  violations: string[];
}

/** Regions a device may write: the used rings of its ready queues and the device-writable descriptors. */
function allowed(dev: VirtioMmioState, ram: Uint8Array, ipa: number, len: number): boolean {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const inside = (a: number, l: number): boolean => ipa >= a && ipa + len <= a + l;
  for (const q of dev.queues) {
    if (!q.ready || q.num === 0) continue;
    if (q.deviceHigh === 0 && inside(q.deviceLow, 6 + 8 * q.num)) return true;
    if (q.descHigh !== 0) continue;
    for (let i = 0; i < q.num; i++) {
      const o = q.descLow - RAM_BASE + 16 * i;
      if (o < 0 || o + 16 > ram.length) break;
      const addr = dv.getUint32(o, true);
      const hi = dv.getUint32(o + 4, true);
      const dlen = dv.getUint32(o + 8, true);
      const flags = dv.getUint16(o + 12, true);
      if (hi === 0 && (flags & VIRTQ_DESC_F_WRITE) && inside(addr, dlen)) return true;
    }
  }
  return false;
}

function setup(): Setup {
  const sw = createVswitch(2);
  const violations: string[] = [];
  const devs = [createVirtioBlk(31, DISK.length), createVirtioNet(30, [0x52, 0x54, 0, 0x12, 0x34, 1], 0), createVirtioNet(30, [0x52, 0x54, 0, 0x12, 0x34, 2], 1)];
  const ctxs = devs.map((_, i) => testCtx({ ramBytes: RAM_BYTES, disk: i === 0 ? DISK : null, vswitch: sw }));
  const queues = devs.map((d, i) => bringUp(d, ctxs[i]!, i === 0 ? 1 : 2, 16));
  ctxs.forEach((ctx, i) => {
    const inner = ctx.mem;
    ctx.mem = {
      read: (ipa, len) => inner.read(ipa, len),
      contains: (ipa, len) => ipa >= RAM_BASE && ipa + len <= RAM_BASE + RAM_BYTES,
      write: (ipa, bytes) => {
        if (!allowed(devs[i]!, ctx.ram, ipa, bytes.length)) violations.push(`device ${i} wrote ${bytes.length} bytes at 0x${ipa.toString(16)}`);
        return inner.write(ipa, bytes);
      },
    };
  });
  return { sw, devs, ctxs, queues, violations };
}

const ramAddr = fc.oneof(
  fc.integer({ min: RAM_BASE, max: RAM_BASE + RAM_BYTES - 1 }),
  fc.integer({ min: RAM_BASE + 0x10000, max: RAM_BASE + 0x30400 }), // the rings
  fc.constantFrom(0, RAM_BASE - 16, RAM_BASE + RAM_BYTES - 8, 0xffff_fff0),
);
const REGS = [0x000, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0fc, 0x100, 0x104, 0x108];

const step = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('reg' as const), dev: fc.nat(2), off: fc.oneof(fc.constantFrom(...REGS), fc.nat(0x1ff)), size: fc.constantFrom(1, 2, 4, 8), value: fc.nat(0xffff_ffff), read: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('chain' as const), dev: fc.nat(2), queue: fc.nat(1), bufs: fc.array(fc.record({ addr: ramAddr, len: fc.oneof(fc.nat(2048), fc.constantFrom(0, 12, 16, 512, 0xffff_ffff)), write: fc.boolean() }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('desc' as const), dev: fc.nat(2), queue: fc.nat(1), index: fc.nat(15), addr: ramAddr, len: fc.nat(0xffff_ffff), flags: fc.nat(7), next: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scribble' as const), dev: fc.nat(2), addr: fc.integer({ min: RAM_BASE + 0x10000, max: RAM_BASE + 0x30400 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kick' as const), dev: fc.nat(2), queue: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deliver' as const), dev: fc.integer({ min: 1, max: 2 }) }) },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

function apply(s: Setup, st: Step): void {
  const dev = s.devs[st.dev]!;
  const ctx = s.ctxs[st.dev]!;
  const qs = s.queues[st.dev]!;
  const deliver = (ports: number[]): void => {
    for (const p of ports) netDeliver(s.devs[p + 1]!, s.ctxs[p + 1]!);
  };
  switch (st.kind) {
    case 'reg':
      if (st.read) virtioRead(dev, st.off, st.size, ctx);
      else deliver(virtioWrite(dev, st.off, st.size, st.value, ctx).deliveredPorts);
      return;
    case 'chain': {
      const q = qs[Math.min(st.queue, qs.length - 1)]!;
      addChain(ctx, q, st.bufs);
      deliver(virtioWrite(dev, 0x050, 4, q.index, ctx).deliveredPorts);
      return;
    }
    case 'desc':
      writeDesc(ctx, qs[Math.min(st.queue, qs.length - 1)]!, st.index, st.addr, st.len, st.flags, st.next);
      return;
    case 'scribble':
      ctx.ram.set(st.bytes, st.addr - RAM_BASE);
      return;
    case 'kick':
      deliver(virtioWrite(dev, 0x050, 4, st.queue, ctx).deliveredPorts);
      return;
    case 'deliver':
      netDeliver(dev, ctx);
      return;
  }
}

function run(steps: Step[]): Setup {
  const s = setup();
  for (const st of steps) {
    apply(s, st);
    expect(s.violations).toEqual([]);
    for (const d of s.devs) expect(d.interruptStatus & ~3).toBe(0);
  }
  return s;
}

describe('virtio devices under a hostile driver (fast-check)', () => {
  it('never throw, write only where the driver allowed, keep state as data, and are deterministic', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const a = run(steps);
        for (const d of a.devs) expect(structuredClone(d)).toEqual(d);
        expect(structuredClone(a.sw)).toEqual(a.sw);
        const b = run(steps);
        expect(b.devs).toEqual(a.devs);
        expect(b.sw).toEqual(a.sw);
        a.ctxs.forEach((c, i) => expect(Buffer.compare(c.ram, b.ctxs[i]!.ram)).toBe(0));
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
