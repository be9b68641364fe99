import { beforeEach, describe, expect, it } from 'vitest';
import { EventQueue } from '../../clock/eventQueue.js';
import { HOST_OK, HOST_TRAP_EL2, HOST_UNDEF } from '../../cpu/cpu.js';
import type { CpuView } from '../../cpu/ports.js';
import type { InterruptSink } from '../../memory/mmio.js';
import { TraceSink } from '../../trace/sink.js';
import {
  firstTickMet,
  GenericTimer,
  KEY_CNTHP_CTL_EL2,
  KEY_CNTHP_CVAL_EL2,
  KEY_CNTP_CTL_EL0,
  KEY_CNTP_CVAL_EL0,
  KEY_CNTP_TVAL_EL0,
  KEY_CNTPS_CTL_EL1,
  KEY_CNTV_CTL_EL0,
  KEY_CNTV_CVAL_EL0,
  KEY_CNTV_TVAL_EL0,
  TIMER_PHYS,
  TIMER_VIRT,
} from './genericTimer.js';

class FakeCpus implements CpuView {
  numCpus = 2;
  els = [1, 1];
  ns = [true, true];
  regs = new Map<string, bigint>();
  tick = 0;
  el(cpu: number): number {
    return this.els[cpu]!;
  }
  isNonSecure(cpu: number): boolean {
    return this.ns[cpu]!;
  }
  reg(cpu: number, name: string): bigint {
    return this.regs.get(`${cpu}:${name}`) ?? 0n;
  }
  set(cpu: number, name: string, v: bigint): void {
    this.regs.set(`${cpu}:${name}`, v);
  }
  nowTick(): number {
    return this.tick;
  }
}

class FakeGic implements InterruptSink {
  log: string[] = [];
  ppi = new Map<string, boolean>();
  setSpiLevel(intid: number, level: boolean): void {
    this.log.push(`spi ${intid} ${level}`);
  }
  setPpiLevel(cpu: number, intid: number, level: boolean): void {
    this.log.push(`ppi ${cpu} ${intid} ${level}`);
    this.ppi.set(`${cpu}:${intid}`, level);
  }
}

let cpus: FakeCpus;
let gic: FakeGic;
let queue: EventQueue;
let trace: TraceSink;
let timer: GenericTimer;

function make(): GenericTimer {
  return new GenericTimer({ cpus, irq: gic, queue, trace, hasEl2: true, hasEl3: true });
}

beforeEach(() => {
  cpus = new FakeCpus();
  for (const c of [0, 1]) cpus.set(c, 'CNTHCTL_EL2', 3n); // EL1PCTEN | EL1PCEN
  gic = new FakeGic();
  queue = new EventQueue();
  trace = new TraceSink();
  timer = make();
});

/** Advance virtual time to `tick`, dispatching due events at their own tick. */
function runTo(tick: number, t: GenericTimer = timer, q: EventQueue = queue): void {
  for (let ev = q.popDue(tick); ev !== undefined; ev = q.popDue(tick)) {
    cpus.tick = ev.tick;
    t.onEvent(ev);
  }
  cpus.tick = tick;
}

function rd(cpu: number, key: number): bigint {
  const out = { value: -1n };
  expect(timer.read(cpu, key, out)).toBe(HOST_OK);
  return out.value;
}
function wr(cpu: number, key: number, v: bigint): void {
  expect(timer.write(cpu, key, v)).toBe(HOST_OK);
}

describe('GenericTimer firing', () => {
  it('physical timer fires exactly at CVAL * 16', () => {
    wr(0, KEY_CNTP_CVAL_EL0, 100n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    expect(timer.pendingTick(0, TIMER_PHYS)).toBe(1600);
    runTo(1599);
    expect(timer.lineLevel(0, TIMER_PHYS)).toBe(false);
    expect(rd(0, KEY_CNTP_CTL_EL0)).toBe(1n);
    expect(gic.log).toEqual([]);
    runTo(1600);
    expect(timer.lineLevel(0, TIMER_PHYS)).toBe(true);
    expect(gic.log).toEqual(['ppi 0 30 true']);
    expect(rd(0, KEY_CNTP_CTL_EL0)).toBe(5n); // ENABLE | ISTATUS
    expect(trace.kindCounts()['timer-fire']).toBe(1);
    expect(trace.kindCounts()['timer-program']).toBe(2);
    expect(queue.size).toBe(0);
    // disabling drops the line
    wr(0, KEY_CNTP_CTL_EL0, 0n);
    expect(gic.log.at(-1)).toBe('ppi 0 30 false');
    expect(rd(0, KEY_CNTP_CTL_EL0)).toBe(0n); // ISTATUS reads 0 while disabled
  });

  it('virtual timer counts CNTPCT - CNTVOFF and fires at the exact tick', () => {
    cpus.tick = 16000; // CNTPCT = 1000
    cpus.set(1, 'CNTVOFF_EL2', 1000n); // CNTVCT = 0
    const ev: string[] = [];
    trace.subscribe((e) => ev.push(`${e.tick} ${e.kind}`));
    wr(1, KEY_CNTV_CVAL_EL0, 50n);
    wr(1, KEY_CNTV_CTL_EL0, 1n);
    expect(rd(1, KEY_CNTV_TVAL_EL0)).toBe(50n);
    expect(timer.pendingTick(1, TIMER_VIRT)).toBe((1000 + 50) * 16);
    runTo(16799);
    expect(timer.lineLevel(1, TIMER_VIRT)).toBe(false);
    runTo(16800);
    expect(gic.log).toEqual(['ppi 1 27 true']);
    expect(ev).toEqual(['16000 timer-program', '16000 timer-program', '16800 timer-fire']);
  });

  it('CNTVOFF changes take effect through reevaluate()', () => {
    cpus.set(0, 'CNTVOFF_EL2', 0n);
    wr(0, KEY_CNTV_CVAL_EL0, 1000n);
    wr(0, KEY_CNTV_CTL_EL0, 1n);
    expect(timer.pendingTick(0, TIMER_VIRT)).toBe(16000);
    cpus.tick = 160;
    cpus.set(0, 'CNTVOFF_EL2', 5n); // CNTVCT = 10 - 5 = 5
    timer.reevaluate(0);
    expect(timer.pendingTick(0, TIMER_VIRT)).toBe(1005 * 16);
    expect(queue.size).toBe(1);
    cpus.set(0, 'CNTVOFF_EL2', 0n);
    cpus.tick = 20000;
    timer.reevaluate(0); // condition already met: line rises now, no event
    expect(timer.lineLevel(0, TIMER_VIRT)).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('a virtual count that wrapped below zero still fires after the wrap', () => {
    cpus.tick = 0;
    cpus.set(0, 'CNTVOFF_EL2', 10n); // CNTVCT = 2^64 - 10
    wr(0, KEY_CNTV_CVAL_EL0, 5n);
    wr(0, KEY_CNTV_CTL_EL0, 1n);
    // 2^64-10 >= 5 unsigned: the condition holds already
    expect(timer.lineLevel(0, TIMER_VIRT)).toBe(true);
    wr(0, KEY_CNTV_CVAL_EL0, (1n << 64n) - 5n);
    expect(timer.lineLevel(0, TIMER_VIRT)).toBe(false);
    expect(timer.pendingTick(0, TIMER_VIRT)).toBe(5 * 16);
  });

  it('reprogramming cancels the previous event', () => {
    wr(0, KEY_CNTP_CVAL_EL0, 100n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    wr(0, KEY_CNTP_CVAL_EL0, 200n);
    wr(0, KEY_CNTP_CVAL_EL0, 50n);
    expect(queue.size).toBe(1);
    expect(queue.nextTick()).toBe(800);
    runTo(1000000);
    expect(gic.log).toEqual(['ppi 0 30 true']);
    // CVAL in the past fires on the write itself
    wr(0, KEY_CNTP_CTL_EL0, 0n);
    wr(0, KEY_CNTP_CVAL_EL0, 10n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    expect(gic.log.slice(1)).toEqual(['ppi 0 30 false', 'ppi 0 30 true']);
  });

  it('far-future CVAL never schedules', () => {
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    wr(0, KEY_CNTP_CVAL_EL0, (1n << 64n) - 1n);
    expect(queue.size).toBe(0);
    wr(0, KEY_CNTP_CVAL_EL0, 1n << 60n);
    expect(queue.size).toBe(0);
    expect(timer.lineLevel(0, TIMER_PHYS)).toBe(false);
    expect(firstTickMet(0, BigInt(Math.floor(Number.MAX_SAFE_INTEGER / 16)), 0n)).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    expect(firstTickMet(0, BigInt(Math.floor(Number.MAX_SAFE_INTEGER / 16)) + 1n, 0n)).toBe(Infinity);
  });

  it('TVAL is a signed 32-bit view of CVAL - counter', () => {
    cpus.tick = 1600; // count 100
    wr(0, KEY_CNTP_TVAL_EL0, 50n);
    expect(rd(0, KEY_CNTP_CVAL_EL0)).toBe(150n);
    wr(0, KEY_CNTP_TVAL_EL0, 0xfffffffbn); // -5
    expect(rd(0, KEY_CNTP_CVAL_EL0)).toBe(95n);
    wr(0, KEY_CNTP_TVAL_EL0, 0x1_0000_0010n); // only bits 31:0 count
    expect(rd(0, KEY_CNTP_CVAL_EL0)).toBe(116n);
    cpus.tick = 16 * 120; // count 120, CVAL 116: TVAL = -4, bits 63:32 RES0
    expect(rd(0, KEY_CNTP_TVAL_EL0)).toBe(0xfffffffcn);
    // sign extension reaching below zero wraps CVAL modulo 2^64
    cpus.tick = 0;
    wr(0, KEY_CNTP_TVAL_EL0, 0x80000000n);
    expect(rd(0, KEY_CNTP_CVAL_EL0)).toBe((1n << 64n) - 0x80000000n);
    expect(rd(0, KEY_CNTP_TVAL_EL0)).toBe(0x80000000n);
    // TVAL programming fires at counter + TVAL
    wr(0, KEY_CNTP_TVAL_EL0, 7n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    expect(timer.pendingTick(0, TIMER_PHYS)).toBe(7 * 16);
  });

  it('IMASK keeps the line low but ISTATUS still reports the condition', () => {
    wr(0, KEY_CNTP_CVAL_EL0, 10n);
    wr(0, KEY_CNTP_CTL_EL0, 3n); // ENABLE | IMASK
    expect(queue.size).toBe(0); // no event needed while masked
    cpus.tick = 160;
    expect(rd(0, KEY_CNTP_CTL_EL0)).toBe(7n);
    expect(gic.log).toEqual([]);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    expect(gic.log).toEqual(['ppi 0 30 true']);
    wr(0, KEY_CNTP_CTL_EL0, 3n);
    expect(gic.log).toEqual(['ppi 0 30 true', 'ppi 0 30 false']);
    // ISTATUS is read-only
    wr(0, KEY_CNTP_CTL_EL0, 4n);
    expect(rd(0, KEY_CNTP_CTL_EL0)).toBe(0n);
  });

  it('hyp and secure timers drive INTIDs 26 and 29', () => {
    cpus.els[0] = 2;
    wr(0, KEY_CNTHP_CVAL_EL2, 0n);
    wr(0, KEY_CNTHP_CTL_EL2, 1n);
    cpus.els[0] = 3;
    wr(0, KEY_CNTPS_CTL_EL1, 1n);
    expect(gic.log).toEqual(['ppi 0 26 true', 'ppi 0 29 true']);
  });
});

describe('GenericTimer access checks', () => {
  const st = (cpu: number, key: number) => timer.read(cpu, key, { value: 0n });

  it('EL0 access is governed by CNTKCTL_EL1.EL0PTEN / EL0VTEN', () => {
    cpus.els[0] = 0;
    expect(st(0, KEY_CNTV_CTL_EL0)).toBe(HOST_UNDEF);
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_UNDEF);
    expect(timer.write(0, KEY_CNTV_CVAL_EL0, 5n)).toBe(HOST_UNDEF);
    expect(trace.count).toBe(0); // refused writes change nothing
    cpus.set(0, 'CNTKCTL_EL1', 1n << 8n); // EL0VTEN
    expect(st(0, KEY_CNTV_CTL_EL0)).toBe(HOST_OK);
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_UNDEF);
    cpus.set(0, 'CNTKCTL_EL1', 1n << 9n); // EL0PTEN
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_OK);
    expect(st(0, KEY_CNTV_CTL_EL0)).toBe(HOST_UNDEF);
    // with HCR_EL2.TGE the EL0 trap goes to EL2
    cpus.set(0, 'HCR_EL2', 1n << 27n);
    expect(st(0, KEY_CNTV_CTL_EL0)).toBe(HOST_TRAP_EL2);
  });

  it('EL1/EL0 physical timer access traps to EL2 unless CNTHCTL_EL2.EL1PCEN', () => {
    cpus.set(0, 'CNTHCTL_EL2', 1n); // EL1PCTEN only
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_TRAP_EL2);
    expect(st(0, KEY_CNTV_CTL_EL0)).toBe(HOST_OK);
    cpus.els[0] = 0;
    cpus.set(0, 'CNTKCTL_EL1', 3n << 8n);
    expect(st(0, KEY_CNTP_CVAL_EL0)).toBe(HOST_TRAP_EL2);
    cpus.els[0] = 2;
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_OK);
    // Secure EL1 without SCR_EL3.EEL2: EL2 not enabled, no trap
    cpus.els[0] = 1;
    cpus.ns[0] = false;
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_OK);
    cpus.set(0, 'SCR_EL3', 1n << 18n);
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_OK); // EEL2 means nothing without Secure EL2
    cpus.set(0, 'ID_AA64PFR0_EL1', 1n << 36n); // SEL2
    expect(st(0, KEY_CNTP_CTL_EL0)).toBe(HOST_TRAP_EL2);
    cpus.set(0, 'ID_AA64PFR0_EL1', 0n);
    // without EL2 there is no trap at all
    const t2 = new GenericTimer({ cpus, irq: gic, queue, trace, hasEl2: false, hasEl3: false });
    cpus.ns[0] = true;
    expect(t2.read(0, KEY_CNTP_CTL_EL0, { value: 0n })).toBe(HOST_OK);
    expect(t2.claims(KEY_CNTHP_CTL_EL2)).toBe(false);
    expect(t2.claims(KEY_CNTPS_CTL_EL1)).toBe(false);
  });

  it('EL2 and secure timer registers are UNDEFINED below their level', () => {
    expect(timer.claims(KEY_CNTHP_CTL_EL2)).toBe(true);
    expect(st(0, KEY_CNTHP_CTL_EL2)).toBe(HOST_UNDEF);
    cpus.els[0] = 0;
    expect(st(0, KEY_CNTHP_CTL_EL2)).toBe(HOST_UNDEF);
    cpus.els[0] = 2;
    expect(st(0, KEY_CNTHP_CTL_EL2)).toBe(HOST_OK);
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_UNDEF);
    cpus.els[0] = 1;
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_UNDEF); // non-secure
    cpus.ns[0] = false;
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_UNDEF); // SCR_EL3.ST = 0
    cpus.set(0, 'SCR_EL3', 1n << 11n);
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_OK);
    // With Secure EL2 enabled, Secure EL1 has no access (UNDEFINED).
    cpus.set(0, 'ID_AA64PFR0_EL1', 1n << 36n);
    cpus.set(0, 'SCR_EL3', (1n << 11n) | (1n << 18n));
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_UNDEF);
    cpus.els[0] = 2;
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_UNDEF);
    cpus.els[0] = 3;
    expect(st(0, KEY_CNTPS_CTL_EL1)).toBe(HOST_OK);
    expect(timer.claims(0x1234)).toBe(false);
    expect(st(0, 0x1234)).toBe(HOST_UNDEF);
  });
});

describe('GenericTimer state', () => {
  it('round-trips mid-run: the restored machine fires at the same tick', () => {
    cpus.set(1, 'CNTVOFF_EL2', 3n);
    wr(0, KEY_CNTP_CVAL_EL0, 300n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    wr(1, KEY_CNTV_CVAL_EL0, 40n);
    wr(1, KEY_CNTV_CTL_EL0, 1n);
    runTo(1000); // virt on cpu1 fired at (40+3)*16 = 688
    expect(gic.log).toEqual(['ppi 1 27 true']);
    const tState = JSON.parse(JSON.stringify(timer.getState())) as ReturnType<GenericTimer['getState']>;
    const qState = JSON.parse(JSON.stringify(queue.getState())) as ReturnType<EventQueue['getState']>;
    expect(tState.cpus[0]!.phys.eventId).toBeGreaterThanOrEqual(0);
    expect(tState.cpus[1]!.virt.level).toBe(true);

    const q2 = new EventQueue();
    q2.loadState(qState);
    const gic2 = new FakeGic();
    const t2 = new GenericTimer({ cpus, irq: gic2, queue: q2, trace: new TraceSink(), hasEl2: true, hasEl3: true });
    t2.loadState(tState);
    expect(t2.getState()).toEqual(timer.getState());
    runTo(10000, t2, q2);
    runTo(10000);
    expect(gic2.log).toEqual(['ppi 0 30 true']);
    expect(gic.log.at(-1)).toBe('ppi 0 30 true');
    expect(t2.getState()).toEqual(timer.getState());
    expect(() => t2.loadState({ ...tState, version: 2 as 1 })).toThrow(/version/);
    expect(() => t2.loadState({ version: 1, cpus: [] })).toThrow(/CPUs/);
  });

  it('ignores stale events', () => {
    wr(0, KEY_CNTP_CVAL_EL0, 10n);
    wr(0, KEY_CNTP_CTL_EL0, 1n);
    timer.onEvent({ id: 9999, tick: 160, kind: 'gtimer', target: 0, arg: TIMER_PHYS });
    expect(gic.log).toEqual([]);
  });
});
