import { beforeEach, describe, expect, it } from 'vitest';
import { EventQueue } from '../clock/eventQueue.js';
import type { InterruptSink } from '../memory/mmio.js';
import { Pl031, RTCCR, RTCDR, RTCICR, RTCIMSC, RTCLR, RTCMIS, RTCMR, RTCRIS } from './pl031.js';

class FakeGic implements InterruptSink {
  log: string[] = [];
  setSpiLevel(intid: number, level: boolean): void {
    this.log.push(`spi ${intid} ${level}`);
  }
  setPpiLevel(): void {
    throw new Error('PL031 must not raise PPIs');
  }
}

const BASE = 1_700_000_000;
const S = 1_000_000_000;
let gic: FakeGic;
let queue: EventQueue;
let tick: number;
let rtc: Pl031;
const rd = (off: number) => rtc.read(off, 4, 0);
const wr = (off: number, v: number) => rtc.write(off, 4, v, 0);

function make(q: EventQueue, g: FakeGic): Pl031 {
  return new Pl031({ irq: g, queue: q, cpus: { nowTick: () => tick }, baseEpochSeconds: BASE });
}

function runTo(t: number, dev = rtc, q = queue): void {
  for (let ev = q.popDue(t); ev !== undefined; ev = q.popDue(t)) {
    tick = ev.tick;
    dev.onEvent(ev);
  }
  tick = t;
}

beforeEach(() => {
  gic = new FakeGic();
  queue = new EventQueue();
  tick = 0;
  rtc = make(queue, gic);
});

describe('PL031', () => {
  it('has the PrimeCell IDs', () => {
    const ids = [];
    for (let off = 0xfe0; off <= 0xffc; off += 4) ids.push(rd(off));
    expect(ids).toEqual([0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]); // QEMU's pl031 (hw/rtc/pl031.c), the virt oracle
  });

  it('counts virtual seconds from the base epoch', () => {
    expect(rd(RTCDR)).toBe(BASE);
    tick = S - 1;
    expect(rd(RTCDR)).toBe(BASE);
    tick = S;
    expect(rd(RTCDR)).toBe(BASE + 1);
    tick = 3600 * S + 5;
    expect(rd(RTCDR)).toBe(BASE + 3600);
    expect(rd(RTCCR)).toBe(1);
    wr(RTCDR, 5); // read-only
    expect(rd(RTCDR)).toBe(BASE + 3600);
  });

  it('RTCLR loads the counter', () => {
    tick = 2.5 * S;
    wr(RTCLR, 1000);
    expect(rd(RTCLR)).toBe(1000);
    expect(rd(RTCDR)).toBe(1000);
    tick = 3 * S;
    expect(rd(RTCDR)).toBe(1001);
    wr(RTCLR, 0xffffffff);
    tick = 4 * S;
    expect(rd(RTCDR)).toBe(0); // wraps modulo 2^32
  });

  it('match interrupt fires at the exact tick the count reaches MR', () => {
    tick = S / 2;
    wr(RTCIMSC, 1);
    wr(RTCMR, BASE + 10);
    expect(rtc.pendingTick()).toBe(10 * S);
    runTo(10 * S - 1);
    expect(rd(RTCRIS)).toBe(0);
    expect(gic.log).toEqual([]);
    runTo(10 * S);
    expect(rd(RTCRIS)).toBe(1);
    expect(rd(RTCMIS)).toBe(1);
    expect(gic.log).toEqual(['spi 34 true']);
    wr(RTCICR, 1);
    expect(rd(RTCRIS)).toBe(0);
    expect(gic.log).toEqual(['spi 34 true', 'spi 34 false']);
    expect(queue.size).toBe(0);
  });

  it('masking, rescheduling on MR/LR writes, immediate match', () => {
    wr(RTCMR, BASE + 5);
    wr(RTCMR, BASE + 7); // replaces the first event
    expect(queue.size).toBe(1);
    tick = S;
    wr(RTCLR, BASE + 6); // now one second from the match
    expect(rtc.pendingTick()).toBe(2 * S);
    runTo(2 * S);
    expect(rd(RTCRIS)).toBe(1);
    expect(rd(RTCMIS)).toBe(0);
    expect(gic.log).toEqual([]); // masked
    wr(RTCIMSC, 1);
    expect(gic.log).toEqual(['spi 34 true']);
    wr(RTCICR, 1);
    wr(RTCMR, rd(RTCDR)); // equal to the current count: at once
    expect(rd(RTCRIS)).toBe(1);
    // a match 2^32 - 1 seconds away is beyond any run
    wr(RTCMR, (rd(RTCDR) - 1) >>> 0);
    expect(queue.size).toBe(0);
  });

  it('unknown offsets are RAZ/WI and counted', () => {
    expect(rd(0x20)).toBe(0);
    wr(0x40, 1);
    expect(rtc.getState().log).toEqual({ unknownReads: 1, unknownWrites: 1, lastUnknownOffset: 0x40 });
  });

  it('state round-trips with a pending match', () => {
    wr(RTCIMSC, 1);
    tick = 3 * S;
    wr(RTCLR, 42);
    wr(RTCMR, 50);
    const st = JSON.parse(JSON.stringify(rtc.getState())) as ReturnType<Pl031['getState']>;
    const q2 = new EventQueue();
    q2.loadState(JSON.parse(JSON.stringify(queue.getState())) as ReturnType<EventQueue['getState']>);
    const gic2 = new FakeGic();
    const r2 = make(q2, gic2);
    r2.loadState(st);
    expect(r2.getState()).toEqual(rtc.getState());
    expect(r2.read(RTCDR, 4, 0)).toBe(42);
    expect(r2.pendingTick()).toBe(11 * S);
    runTo(100 * S, r2, q2);
    expect(gic2.log).toEqual(['spi 34 true']);
    expect(tick).toBe(100 * S);
    expect(() => r2.loadState({ ...st, version: 2 as 1 })).toThrow(/version/);
  });
});
