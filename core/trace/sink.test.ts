import { describe, expect, it } from 'vitest';
import { type TraceEvent, type TraceEventInput, VERBOSITY_MMIO } from './events.js';
import { TraceSink, traceDigest } from './sink.js';

function inputs(): TraceEventInput[] {
  return [
    { tick: 100, cpu: 0, kind: 'timer-program', timer: 'virt', ctl: 1, cval: '0x64' },
    { tick: 1600, cpu: 0, kind: 'timer-fire', timer: 'virt', cval: '0x64' },
    { tick: 1601, cpu: -1, kind: 'irq-raise', intid: 27, target: 0 },
    { tick: 1700, cpu: 0, kind: 'exception', n: 1, type: 'irq', fromEl: 1, toEl: 1, ec: 0, esr: '0x0', elr: '0x40001000', far: '0x0' },
    { tick: 1800, cpu: 0, kind: 'uart-out', byte: 0x68 },
  ];
}

function run(list: TraceEventInput[], opts = {}): TraceSink {
  const s = new TraceSink(opts);
  for (const e of list) s.emit(e);
  return s;
}

describe('TraceSink', () => {
  it('numbers events 0,1,2,... and passes them to subscribers in order', () => {
    const s = new TraceSink();
    const seen: Array<[string, number]> = [];
    const unsubA = s.subscribe((e) => seen.push(['a', e.seq]));
    s.subscribe((e) => seen.push(['b', e.seq]));
    const out = inputs().map((e) => s.emit(e));
    expect(out.map((e) => e?.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.slice(0, 4)).toEqual([['a', 0], ['b', 0], ['a', 1], ['b', 1]]);
    unsubA();
    s.emit({ tick: 2000, cpu: 0, kind: 'uart-out', byte: 0x69 });
    expect(seen.at(-1)).toEqual(['b', 5]);
    expect(seen.filter(([w]) => w === 'a').length).toBe(5);
    expect(s.count).toBe(6);
  });

  it('counts per kind', () => {
    const s = run([...inputs(), ...inputs()]);
    const c = s.kindCounts();
    expect(c['timer-fire']).toBe(2);
    expect(c['uart-out']).toBe(2);
    expect(c.psci).toBe(0);
  });

  it('same events give the same digest; any changed field changes it', () => {
    const d1 = run(inputs()).digest();
    const d2 = run(inputs()).digest();
    expect(d1).toMatch(/^[0-9a-f]{64}$/);
    expect(d2).toBe(d1);
    const changed = inputs();
    (changed[4] as { byte: number }).byte = 0x69;
    expect(run(changed).digest()).not.toBe(d1);
    const changedTick = inputs();
    changedTick[1]!.tick = 1601;
    expect(run(changedTick).digest()).not.toBe(d1);
    const reordered = inputs();
    [reordered[0], reordered[1]] = [reordered[1]!, reordered[0]!];
    expect(run(reordered).digest()).not.toBe(d1);
    // empty sink digest is fixed
    expect(new TraceSink().digest()).toBe(traceDigest([]));
  });

  it('traceDigest recomputes the sink digest from a recorded event list', () => {
    const s = new TraceSink();
    const recorded: TraceEvent[] = [];
    s.subscribe((e) => recorded.push(e));
    for (const e of inputs()) s.emit(e);
    expect(traceDigest(JSON.parse(JSON.stringify(recorded)) as TraceEvent[])).toBe(s.digest());
  });

  it('verbosity gates mmio events before numbering', () => {
    const mmio: TraceEventInput = { tick: 5, cpu: 0, kind: 'mmio', pa: '0x9000000', size: 4, write: false, value: '0x90' };
    const quiet = new TraceSink();
    expect(quiet.wants('mmio')).toBe(false);
    expect(quiet.emit(mmio)).toBeUndefined();
    expect(quiet.count).toBe(0);
    const loud = new TraceSink({ verbosity: VERBOSITY_MMIO });
    expect(loud.emit(mmio)?.seq).toBe(0);
    expect(loud.kindCounts().mmio).toBe(1);
  });

  it('keeps a bounded ring of the last events', () => {
    const s = new TraceSink({ ringSize: 3 });
    expect(s.last()).toEqual([]);
    for (const e of inputs()) s.emit(e);
    expect(s.last().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(s.last(2).map((e) => e.seq)).toEqual([3, 4]);
    expect(new TraceSink().last()).toEqual([]);
  });

  it('state round-trip resumes numbering, counts, ring and hash', () => {
    const all = [...inputs(), ...inputs()];
    const whole = run(all, { ringSize: 4 });
    const first = run(all.slice(0, 3), { ringSize: 4 });
    const st = JSON.parse(JSON.stringify(first.getState())) as ReturnType<TraceSink['getState']>;
    const resumed = new TraceSink();
    resumed.loadState(st);
    expect(resumed.getState()).toEqual(first.getState());
    for (const e of all.slice(3)) resumed.emit(e);
    expect(resumed.digest()).toBe(whole.digest());
    expect(resumed.count).toBe(whole.count);
    expect(resumed.kindCounts()).toEqual(whole.kindCounts());
    expect(resumed.last()).toEqual(whole.last());
    expect(() => resumed.loadState({ ...st, version: 2 as 1 })).toThrow(/version/);
  });
});
