import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suiteSeed } from '../../property-tests/seed.js';
import {
  EXCEPTION_LINE_MAX_BYTES, formatEvent, hex64, NO_CPU, parseHex64, TRACE_KINDS, worldField, writeExceptionLine, type ExceptionEvent, type TraceEvent,
} from './events.js';

const samples: TraceEvent[] = [
  { seq: 0, tick: 10, cpu: 0, kind: 'exception', n: 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0xffff800010000000', far: '0x0' },
  { seq: 1, tick: 11, cpu: NO_CPU, kind: 'irq-raise', intid: 33, target: 0 },
  { seq: 2, tick: 12, cpu: 1, kind: 'irq-ack', intid: 27, target: 1 },
  { seq: 3, tick: 13, cpu: 1, kind: 'irq-eoi', intid: 27, target: 1 },
  { seq: 4, tick: 14, cpu: 0, kind: 'timer-program', timer: 'virt', ctl: 1, cval: '0x1234' },
  { seq: 5, tick: 15, cpu: 0, kind: 'timer-fire', timer: 'phys', cval: '0xffffffffffffffff' },
  { seq: 6, tick: 16, cpu: 0, kind: 'uart-out', byte: 0x41 },
  { seq: 7, tick: 17, cpu: NO_CPU, kind: 'uart-in', byte: 0x0a },
  { seq: 8, tick: 18, cpu: 0, kind: 'psci', fn: 0xc4000003, args: ['0x1', '0x40080000', '0x0'], result: '0x0' },
  { seq: 9, tick: 19, cpu: 0, kind: 'halt', reason: 'SYSTEM_OFF "x"' },
  { seq: 10, tick: 20, cpu: 2, kind: 'undef', insn: 0xdeadbeef, pc: '0x40000000' },
  { seq: 11, tick: 21, cpu: 0, kind: 'sched', vm: 1, vcpu: 0, dir: 'in' },
  { seq: 12, tick: 22, cpu: 0, kind: 'ffa', fid: 0x84000071, src: 0x8001, dst: 0x1, args: ['0x0'] },
  { seq: 13, tick: 23, cpu: 0, kind: 'mmio', pa: '0x9000000', size: 4, write: true, value: '0x41' },
];

describe('trace events', () => {
  it('hex64 is canonical and round-trips', () => {
    expect(hex64(0)).toBe('0x0');
    expect(hex64(255)).toBe('0xff');
    expect(hex64(-1n)).toBe('0xffffffffffffffff');
    expect(hex64(1n << 64n)).toBe('0x0');
    expect(parseHex64(hex64(0x123456789abcdef0n))).toBe(0x123456789abcdef0n);
    expect(() => hex64(-1)).toThrow(RangeError);
    expect(() => hex64(1.5)).toThrow(RangeError);
    expect(() => parseHex64('0X12')).toThrow();
    expect(() => parseHex64('0x00000000000000001')).toThrow();
  });

  it('every kind has a sample and a stable rendering', () => {
    expect(new Set(samples.map((s) => s.kind))).toEqual(new Set(TRACE_KINDS));
    expect(samples.map(formatEvent)).toEqual([
      '#0 @10 cpu0 exception n=1 sync el1->el2 ec=0x16 esr=0x5a000000 elr=0xffff800010000000 far=0x0',
      '#1 @11 cpu- irq-raise intid=33 target=0',
      '#2 @12 cpu1 irq-ack intid=27 target=1',
      '#3 @13 cpu1 irq-eoi intid=27 target=1',
      '#4 @14 cpu0 timer-program virt ctl=0x1 cval=0x1234',
      '#5 @15 cpu0 timer-fire phys cval=0xffffffffffffffff',
      "#6 @16 cpu0 uart-out byte=0x41 'A'",
      '#7 @17 cpu- uart-in byte=0xa',
      '#8 @18 cpu0 psci fn=0xc4000003 args=[0x1,0x40080000,0x0] result=0x0',
      '#9 @19 cpu0 halt reason="SYSTEM_OFF \\"x\\""',
      '#10 @20 cpu2 undef insn=0xdeadbeef pc=0x40000000',
      '#11 @21 cpu0 sched vm=1 vcpu=0 in',
      '#12 @22 cpu0 ffa fid=0x84000071 src=0x8001 dst=0x1 args=[0x0]',
      '#13 @23 cpu0 mmio W4 pa=0x9000000 value=0x41',
    ]);
  });

  it('rendering does not depend on object key order', () => {
    const a: TraceEvent = { seq: 1, tick: 2, cpu: 0, kind: 'irq-raise', intid: 30, target: 0 };
    const b = JSON.parse('{"target":0,"intid":30,"kind":"irq-raise","cpu":0,"tick":2,"seq":1}') as TraceEvent;
    expect(formatEvent(b)).toBe(formatEvent(a));
  });

  it('events survive JSON unchanged', () => {
    for (const s of samples) expect(formatEvent(JSON.parse(JSON.stringify(s)) as TraceEvent)).toBe(formatEvent(s));
  });

  it('renders the optional irq fields virt and dir after target, only when true', () => {
    const base = { seq: 5, tick: 9, cpu: 1, intid: 27, target: 1 } as const;
    expect(formatEvent({ ...base, kind: 'irq-ack', virt: true })).toBe('#5 @9 cpu1 irq-ack intid=27 target=1 virt');
    expect(formatEvent({ ...base, kind: 'irq-eoi', dir: true })).toBe('#5 @9 cpu1 irq-eoi intid=27 target=1 dir');
    expect(formatEvent({ ...base, kind: 'irq-eoi', virt: true, dir: true })).toBe('#5 @9 cpu1 irq-eoi intid=27 target=1 virt dir');
    expect(formatEvent({ ...base, kind: 'irq-eoi', virt: false, dir: false })).toBe('#5 @9 cpu1 irq-eoi intid=27 target=1');
    expect(formatEvent({ ...base, kind: 'irq-raise', target: -1, cpu: NO_CPU })).toBe('#5 @9 cpu- irq-raise intid=27 target=-1');
  });

  it('renders large and unusual numbers like the general conversion', () => {
    expect(formatEvent({ seq: 1e9, tick: 2 ** 52, cpu: 70, kind: 'irq-raise', intid: 1020, target: 70 })).toBe(
      `#1000000000 @${2 ** 52} cpu70 irq-raise intid=1020 target=70`,
    );
    expect(formatEvent({ seq: 0, tick: 0, cpu: 0, kind: 'undef', insn: 0x3ff, pc: '0x0' })).toBe('#0 @0 cpu0 undef insn=0x3ff pc=0x0');
    expect(formatEvent({ seq: 0, tick: 0, cpu: 0, kind: 'undef', insn: 0x400, pc: '0x0' })).toBe('#0 @0 cpu0 undef insn=0x400 pc=0x0');
    expect(formatEvent({ seq: 0, tick: 0, cpu: 0, kind: 'psci', fn: 0x84000000, args: [], result: '0x0' })).toBe('#0 @0 cpu0 psci fn=0x84000000 args=[] result=0x0');
  });
});

describe('the world of an event (event format 2)', () => {
  it('a Secure event renders with a trailing world=s; a Non-secure one renders as in format 1', () => {
    const ns = samples[0]!;
    const line = formatEvent(ns);
    expect(formatEvent({ ...ns, world: 'ns' })).toBe(line);
    expect(formatEvent({ ...ns, world: 's' })).toBe(line + ' world=s');
    expect(formatEvent({ ...samples[10]!, world: 's' })).toBe('#10 @20 cpu2 undef insn=0xdeadbeef pc=0x40000000 world=s');
  });

  it('worldField writes only the Secure world', () => {
    expect(worldField(true)).toEqual({});
    expect(worldField(false)).toEqual({ world: 's' });
    expect({ ...samples[6]!, ...worldField(true) }).toEqual(samples[6]);
  });
});

describe('writeExceptionLine (the sink digest path of exception events)', () => {
  const render = (e: ExceptionEvent): string => {
    const out = new Uint8Array(EXCEPTION_LINE_MAX_BYTES + 8);
    const end = writeExceptionLine(e, out, 4);
    return end < 0 ? formatEvent(e) + '\n' : Buffer.from(out.subarray(4, end)).toString('latin1');
  };
  const SEED = suiteSeed('writeExceptionLine', 'HVRR_TRACE_SEED', 20261205);

  it('writes exactly formatEvent(e) + "\\n" (boundary values, then random events)', () => {
    const base: ExceptionEvent = { seq: 0, tick: 0, cpu: 0, kind: 'exception', n: 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0xffff800010000000', far: '0x0' };
    const edges: Partial<ExceptionEvent>[] = [
      {}, { seq: Number.MAX_SAFE_INTEGER, tick: Number.MAX_SAFE_INTEGER, n: Number.MAX_SAFE_INTEGER },
      { seq: 9, tick: 10, n: 99 }, { seq: 1e15, tick: 999_999_999_999 }, { cpu: 63 }, { cpu: 64 }, { cpu: 1000 },
      { ec: 0 }, { ec: 0x3f }, { ec: 0xffff_ffff }, { type: 'serror', fromEl: 3, toEl: 3 }, { world: 's' }, { world: 'ns' },
      { esr: '0xffffffffffffffff', elr: '0x0', far: '0x1' },
    ];
    for (const d of edges) {
      const e = { ...base, ...d };
      const out = new Uint8Array(EXCEPTION_LINE_MAX_BYTES);
      expect(writeExceptionLine(e, out, 0), JSON.stringify(d)).toBeGreaterThan(0); // the fast path, not the fallback
      expect(render(e)).toBe(formatEvent(e) + '\n');
    }
    const hex = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => hex64(v));
    fc.assert(fc.property(fc.record({
      seq: fc.nat(), tick: fc.oneof(fc.nat(), fc.maxSafeNat()), cpu: fc.integer({ min: 0, max: 511 }), n: fc.nat(),
      type: fc.constantFrom('sync', 'irq', 'fiq', 'serror'), fromEl: fc.integer({ min: 0, max: 3 }), toEl: fc.integer({ min: 1, max: 3 }),
      ec: fc.integer({ min: 0, max: 0x3f }), esr: hex, elr: hex, far: hex, secure: fc.boolean(),
    }), ({ secure, ...r }) => {
      const e: ExceptionEvent = { kind: 'exception', ...r, ...(secure ? { world: 's' as const } : {}) };
      expect(render(e)).toBe(formatEvent(e) + '\n');
    }), { seed: SEED, numRuns: 2000 });
  });

  it('declines what it cannot write, so the sink formats it', () => {
    const e: ExceptionEvent = { seq: 1, tick: 2, cpu: 0, kind: 'exception', n: 1, type: 'sync', fromEl: 1, toEl: 2, ec: 0, esr: '0x0', elr: '0x0', far: '0x0' };
    const out = new Uint8Array(EXCEPTION_LINE_MAX_BYTES);
    for (const d of [{ cpu: NO_CPU }, { tick: -1 }, { seq: 1.5 }, { n: 2 ** 60 }, { fromEl: -1 }, { ec: 0.5 }, { esr: '0x\u00e9' }, { far: 'x'.repeat(40) }]) {
      expect(writeExceptionLine({ ...e, ...d }, out, 0), JSON.stringify(d)).toBe(-1);
    }
  });
});
