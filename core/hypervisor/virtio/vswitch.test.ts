import { describe, expect, it } from 'vitest';
import { createVswitch, VSWITCH_RX_QUEUE_MAX, vswitchSend } from './vswitch.js';

const A = [0x52, 0x54, 0, 0, 0, 0xa];
const B = [0x52, 0x54, 0, 0, 0, 0xb];
const C = [0x52, 0x54, 0, 0, 0, 0xc];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MCAST = [0x01, 0x00, 0x5e, 0, 0, 1];

const frame = (dst: number[], src: number[], payload = 46): Uint8Array =>
  new Uint8Array([...dst, ...src, 0x08, 0x00, ...new Array<number>(payload).fill(0x5a)]);

describe('vswitch', () => {
  it('floods unknown unicast, learns, then forwards to the learned port only', () => {
    const sw = createVswitch(3);
    expect(vswitchSend(sw, 0, frame(B, A))).toEqual([1, 2]); // B unknown: flood
    expect(sw.macTable).toEqual({ '52540000000a': 0 });
    expect(vswitchSend(sw, 1, frame(A, B))).toEqual([0]); // A learned on port 0
    expect(vswitchSend(sw, 0, frame(B, A))).toEqual([1]); // B learned on port 1
    expect(sw.ports.map((p) => p.rx.length)).toEqual([1, 2, 1]);
    expect(sw.ports.map((p) => p.txFrames)).toEqual([2, 1, 0]);
    expect(sw.ports.map((p) => p.rxFrames)).toEqual([1, 2, 1]);
  });

  it('floods broadcast and multicast (I/G bit) to every other port and never learns a multicast source', () => {
    const sw = createVswitch(3);
    expect(vswitchSend(sw, 2, frame(BCAST, C))).toEqual([0, 1]);
    expect(vswitchSend(sw, 0, frame(MCAST, A))).toEqual([1, 2]);
    vswitchSend(sw, 1, frame(C, MCAST));
    expect(Object.keys(sw.macTable).sort()).toEqual(['52540000000a', '52540000000c']);
  });

  it('drops a frame to a MAC learned on the sending port', () => {
    const sw = createVswitch(2);
    vswitchSend(sw, 0, frame(BCAST, A));
    expect(vswitchSend(sw, 0, frame(A, A))).toEqual([]);
    expect(sw.ports[1]!.rx).toHaveLength(1);
  });

  it('re-learns a MAC that moves to another port', () => {
    const sw = createVswitch(3);
    vswitchSend(sw, 0, frame(BCAST, A));
    vswitchSend(sw, 2, frame(BCAST, A));
    expect(sw.macTable['52540000000a']).toBe(2);
    expect(vswitchSend(sw, 1, frame(A, B))).toEqual([2]);
  });

  it('drops and counts runts and frames from non-existent ports', () => {
    const sw = createVswitch(2);
    expect(vswitchSend(sw, 0, new Uint8Array(13))).toEqual([]);
    expect(vswitchSend(sw, 5, frame(BCAST, A))).toEqual([]);
    expect(sw.runtDrops).toBe(2);
    expect(sw.ports[1]!.rx).toHaveLength(0);
  });

  it('bounds each port rx queue and counts the drops', () => {
    const sw = createVswitch(2);
    for (let i = 0; i < VSWITCH_RX_QUEUE_MAX + 5; i++) vswitchSend(sw, 0, frame(BCAST, A));
    expect(sw.ports[1]!.rx).toHaveLength(VSWITCH_RX_QUEUE_MAX);
    expect(sw.ports[1]!.rxDrops).toBe(5);
    expect(vswitchSend(sw, 0, frame(BCAST, A))).toEqual([]);
  });

  it('queues a copy: later changes to the sender buffer do not alter it', () => {
    const sw = createVswitch(2);
    const f = frame(BCAST, A);
    vswitchSend(sw, 0, f);
    f[20] = 1;
    expect(sw.ports[1]!.rx[0]![20]).toBe(0x5a);
  });
});
