import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatEvent, type TraceEvent, type TraceEventInput, VERBOSITY_MMIO } from './events.js';
import { DIGEST_BLOCK_CHARS, TraceSink, type TraceSinkState, traceDigest } from './sink.js';

/** Enough events for several digest blocks (varied kinds and line lengths). */
function many(n: number): TraceEventInput[] {
  const out: TraceEventInput[] = [];
  for (let i = 0; i < n; i++) {
    const tick = 1000 + i * 7;
    if (i % 5 === 0) out.push({ tick, cpu: i & 1, kind: 'exception', n: i, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0x' + (0x40000000 + i * 4).toString(16), far: '0x0' });
    else if (i % 5 === 1) out.push({ tick, cpu: -1, kind: 'irq-raise', intid: 33, target: 0 });
    else if (i % 5 === 2) out.push({ tick, cpu: 0, kind: 'irq-ack', intid: 27, target: 0, virt: true });
    else if (i % 5 === 3) out.push({ tick, cpu: 0, kind: 'irq-eoi', intid: 27, target: 0, dir: true });
    else out.push({ tick, cpu: 0, kind: 'halt', reason: 'r\u00e9ason ' + 'x'.repeat(i % 37) });
  }
  return out;
}

/** The documented digest definition, written out independently. */
function referenceDigest(events: TraceEvent[]): string {
  let chain = createHash('sha256').update('hvrr-trace-digest-v2').digest();
  let pending = '';
  for (const e of events) {
    pending += formatEvent(e) + '\n';
    if (pending.length >= DIGEST_BLOCK_CHARS) {
      chain = createHash('sha256').update(Buffer.concat([chain, Buffer.from('B' + pending, 'utf8')])).digest();
      pending = '';
    }
  }
  return createHash('sha256').update(Buffer.concat([chain, Buffer.from('F' + pending, 'utf8')])).digest('hex');
}

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

  it('emitNumbered numbers a whole event in place: the same events, field order and digest as emit', () => {
    const a = new TraceSink({ ringSize: 8 });
    const b = new TraceSink({ ringSize: 8 });
    const seenA: TraceEvent[] = [];
    const seenB: TraceEvent[] = [];
    a.subscribe((e) => seenA.push(e));
    b.subscribe((e) => seenB.push(e));
    for (const input of many(600)) {
      a.emit(input);
      const whole = { seq: 0, ...input } as TraceEvent;
      expect(b.emitNumbered(whole)).toBe(whole);
    }
    expect(seenB).toEqual(seenA);
    expect(seenB.map((e) => Object.keys(e).join())).toEqual(seenA.map((e) => Object.keys(e).join()));
    expect(b.digest()).toBe(a.digest());
    expect(b.getState()).toEqual(a.getState());
    const quiet = new TraceSink();
    expect(quiet.emitNumbered({ seq: 0, tick: 1, cpu: 0, kind: 'mmio', pa: '0x0', size: 4, write: false, value: '0x0' })).toBeUndefined();
    expect(quiet.count).toBe(0);
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
    expect(() => resumed.loadState({ ...st, version: 1 as 2 })).toThrow(/TraceSink state version 1: its digest is not block-chained/);
  });

  it('the digest follows its documented block-chained definition', () => {
    const s = new TraceSink();
    const recorded: TraceEvent[] = [];
    s.subscribe((e) => recorded.push(e));
    for (const e of many(1500)) s.emit(e);
    const st = s.getState();
    expect(st.pending.length).toBeLessThan(DIGEST_BLOCK_CHARS);
    expect(recorded.map(formatEvent).join('\n').length).toBeGreaterThan(3 * DIGEST_BLOCK_CHARS); // several folds happened
    expect(s.digest()).toBe(referenceDigest(recorded));
    expect(traceDigest(recorded)).toBe(s.digest());
    expect(new TraceSink().digest()).toBe(referenceDigest([]));
  });

  it('digest() does not disturb the stream', () => {
    const list = many(800);
    const quiet = run(list);
    const s = new TraceSink();
    for (const e of list) {
      s.emit(e);
      s.digest();
    }
    expect(s.digest()).toBe(quiet.digest());
  });

  it('any change of a field or of order changes the digest, in a folded block or in pending', () => {
    const list = many(1200);
    const d0 = run(list).digest();
    for (const i of [3, 600, 1198]) {
      const a = many(1200);
      (a[i] as { tick: number }).tick += 1;
      expect(run(a).digest()).not.toBe(d0);
      const b = many(1200);
      [b[i], b[i + 1]] = [b[i + 1]!, b[i]!];
      expect(run(b).digest()).not.toBe(d0);
    }
    const v = many(1200);
    delete (v[2] as { virt?: boolean }).virt;
    expect(run(v).digest()).not.toBe(d0);
  });

  it('a state saved anywhere, including right after a fold, resumes to the uninterrupted digest', () => {
    const list = many(1500);
    const whole = run(list, { ringSize: 8 });
    // Find a split point right after a fold (pending empty) and check it too.
    const probe = new TraceSink();
    let afterFold = -1;
    for (let i = 0; i < list.length && afterFold < 0; i++) {
      probe.emit(list[i]!);
      if (probe.getState().pending === '') afterFold = i + 1;
    }
    expect(afterFold).toBeGreaterThan(0);
    for (const cut of [0, 1, 257, afterFold, afterFold + 1, 1499, 1500]) {
      const first = run(list.slice(0, cut), { ringSize: 8 });
      const st = JSON.parse(JSON.stringify(first.getState())) as TraceSinkState;
      const resumed = new TraceSink();
      resumed.loadState(st);
      expect(resumed.digest()).toBe(first.digest());
      for (const e of list.slice(cut)) resumed.emit(e);
      expect(resumed.digest()).toBe(whole.digest());
      expect(resumed.getState()).toEqual(whole.getState());
    }
  });

  it('loadState rejects foreign versions and malformed digest state with a clear message', () => {
    const st = run(inputs()).getState();
    const resumed = new TraceSink();
    expect(() => resumed.loadState({ ...st, version: 1 } as unknown as TraceSinkState)).toThrow(/TraceSink state version 1: its digest is not block-chained, so it cannot continue the same digest/);
    expect(() => resumed.loadState({ ...st, chain: 'xyz' })).toThrow(/bad chain hash/);
    expect(() => resumed.loadState({ ...st, pending: 'no newline' })).toThrow(/bad pending/);
    expect(() => resumed.loadState({ ...st, pending: undefined } as unknown as TraceSinkState)).toThrow(/TraceSink state lacks pending/);
    expect(() => resumed.loadState({ ...st, pending: 'x\n'.repeat(DIGEST_BLOCK_CHARS) })).toThrow(/bad pending/);
  });
});
