import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suiteSeed } from '../../property-tests/seed.js';
import { EventLineBytes, eventJson, formatEvent, hex64, NO_CPU, parseHex64, TRACE_KINDS, worldField, type TraceEvent } from './events.js';
import { SAMPLE_EVENTS as samples } from './sampleEvents.js';

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
      '#1 @11 cpu- irq-raise intid=33 target=-1',
      '#2 @12 cpu1 irq-ack intid=27 target=1 virt',
      '#3 @13 cpu1 irq-eoi intid=27 target=1 virt dir',
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
      '#14 @24 cpu3 mmio R1 pa=0x8000000 value=0x0',
      '#15 @25 cpu0 uart-out byte=0x27',
      '#16 @26 cpu0 psci fn=0x84000000 args=[] result=0x10000',
      '#17 @27 cpu1 exception n=2 sync el1->el3 ec=0x17 esr=0x5e000000 elr=0x6000 far=0x0 world=s',
      "#18 @28 cpu1 uart-out byte=0x42 'B'",
      '#19 @29 cpu0 ffa call FFA_MEM_SHARE_64 fid=0xc4000073 src=0x1 dst=0x0 args=[0x50,0x50,0x0,0x0,0x0,0x0,0x0] receivers=[0x8001,0x8002] pages=4',
      '#20 @30 cpu0 ffa answer FFA_SUCCESS_32 fid=0x84000061 src=0x0 dst=0x1 args=[0x0,0x2,0x80000000] of=FFA_MEM_SHARE_64 handle=0x8000000000000002',
      '#21 @31 cpu1 ffa answer FFA_ERROR fid=0x84000060 src=0x8000 dst=0x8001 args=[0x0,0xfffffffa] of=FFA_MEM_RETRIEVE_REQ_64 error=DENIED world=s',
    ]);
  });

  it('eventJson keeps the FF-A fields in canonical order, only those set', () => {
    expect(Object.keys(eventJson(samples[19]!))).toEqual(['seq', 'tick', 'cpu', 'kind', 'dir', 'name', 'fid', 'src', 'dst', 'args', 'receivers', 'pages']);
    expect(Object.keys(eventJson(samples[21]!))).toEqual(['seq', 'tick', 'cpu', 'kind', 'dir', 'name', 'fid', 'src', 'dst', 'args', 'of', 'error']);
    expect(Object.keys(eventJson(samples[12]!))).toEqual(['seq', 'tick', 'cpu', 'kind', 'fid', 'src', 'dst', 'args']);
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

describe('EventLineBytes (the sink digest path: each line written as bytes)', () => {
  const render = (events: readonly TraceEvent[], initialBytes = 64): { text: string; units: number } => {
    const w = new EventLineBytes(initialBytes);
    for (const e of events) w.line(e);
    return { text: w.bytes.toString('utf8', 0, w.len), units: w.units };
  };
  const expected = (events: readonly TraceEvent[]): { text: string; units: number } => {
    const text = events.map((e) => formatEvent(e) + '\n').join('');
    return { text, units: text.length };
  };
  const SEED = suiteSeed('EventLineBytes', 'HVRR_TRACE_SEED', 20261205);

  it('writes exactly formatEvent(e) + "\\n" and counts its UTF-16 units: samples and boundary values', () => {
    expect(render(samples)).toEqual(expected(samples));
    const base = samples[0]!;
    const edges: Partial<TraceEvent>[] = [
      { seq: Number.MAX_SAFE_INTEGER, tick: Number.MAX_SAFE_INTEGER }, { seq: 1e15, tick: 999_999_999_999 }, { seq: 100_000_000, tick: 100_000_001 },
      { cpu: 63 }, { cpu: 64 }, { cpu: 1000 }, { cpu: NO_CPU }, { tick: -1 }, { seq: 1.5 }, { tick: 2 ** 60 }, { tick: NaN },
      { world: 's' }, { world: 'ns' },
    ];
    for (const d of edges) {
      const e = { ...base, ...d } as TraceEvent;
      expect(render([e]), JSON.stringify(d)).toEqual(expected([e]));
    }
    const odd: TraceEvent[] = [
      { ...samples[0]!, kind: 'exception', n: 2 ** 60, fromEl: -1, ec: 0.5, esr: '0x\u00e9', far: 'x'.repeat(40) } as TraceEvent,
      { seq: 1, tick: 2, cpu: 0, kind: 'halt', reason: 'caf\u00e9 \u{1f600} ' + 'long '.repeat(50) },
      { seq: 1, tick: 2, cpu: 0, kind: 'undef', insn: -1, pc: '0x0' },
      { seq: 1, tick: 2, cpu: 0, kind: 'timer-program', timer: 'virt', ctl: 0xffff_ffff, cval: '0x0' },
    ];
    for (const e of odd) expect(render([e]), JSON.stringify(e)).toEqual(expected([e]));
    // Growth from a tiny buffer keeps every byte.
    expect(render([...samples, ...odd, ...samples], 1)).toEqual(expected([...samples, ...odd, ...samples]));
  });

  it('writes exactly formatEvent(e) + "\\n" for random events of every kind', () => {
    const hex = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => hex64(v));
    const num = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer({ min: -5, max: 5 }));
    const small = fc.oneof(fc.nat({ max: 1100 }), fc.integer(), fc.constant(0xffff_ffff));
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    const head = fc.record({ seq: num, tick: num, cpu: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constant(NO_CPU)) });
    const world = fc.constantFrom({}, { world: 's' as const }, { world: 'ns' as const });
    const body = fc.oneof(
      fc.record({ kind: fc.constant('exception'), n: num, type: fc.constantFrom('sync', 'irq', 'fiq', 'serror'), fromEl: fc.nat(3), toEl: fc.nat(3), ec: small, esr: hex, elr: hex, far: hex }),
      fc.record({ kind: fc.constantFrom('irq-raise', 'irq-ack', 'irq-eoi'), intid: small, target: fc.integer({ min: -1, max: 70 }), virt: fc.boolean(), dir: fc.boolean() }),
      fc.record({ kind: fc.constant('timer-program'), timer: fc.constantFrom('virt', 'phys', 'hyp'), ctl: small, cval: hex }),
      fc.record({ kind: fc.constant('timer-fire'), timer: fc.constantFrom('virt', 'phys'), cval: hex }),
      fc.record({ kind: fc.constantFrom('uart-out', 'uart-in'), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant('psci'), fn: small, args: fc.array(hex, { maxLength: 4 }), result: hex }),
      fc.record({ kind: fc.constant('halt'), reason: text }),
      fc.record({ kind: fc.constant('undef'), insn: small, pc: hex }),
      fc.record({ kind: fc.constant('sched'), vm: small, vcpu: small, dir: fc.constantFrom('in', 'out') }),
      fc.record({ kind: fc.constant('ffa'), fid: small, src: small, dst: small, args: fc.array(hex, { maxLength: 4 }) }),
      fc.record(
        {
          kind: fc.constant('ffa'), fid: small, src: small, dst: small, args: fc.array(hex, { maxLength: 7 }), dir: fc.constantFrom('call', 'answer'),
          name: fc.constantFrom('FFA_MEM_SHARE_64', 'FFA_SUCCESS_32', '0x84000099'), of: fc.constantFrom('FFA_MEM_LEND_32', 'FFA_VERSION'),
          error: fc.constantFrom('DENIED', 'code -99'), handle: hex, receivers: fc.array(small, { maxLength: 3 }), pages: num,
        },
        { requiredKeys: ['kind', 'fid', 'src', 'dst', 'args', 'dir', 'name'] },
      ),
      fc.record({ kind: fc.constant('mmio'), pa: hex, size: fc.constantFrom(1, 2, 4, 8), write: fc.boolean(), value: hex }),
    );
    const event = fc.tuple(head, body, world).map(([h, b, w]) => ({ ...h, ...b, ...w }) as TraceEvent);
    fc.assert(fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), (events) => {
      expect(render(events)).toEqual(expected(events));
    }), { seed: SEED, numRuns: 3000 });
  });
});
