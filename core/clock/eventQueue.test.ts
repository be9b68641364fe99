import { describe, expect, it } from 'vitest';
import { EventQueue, type ScheduledEvent } from './eventQueue.js';

function drain(q: EventQueue, now = Number.MAX_SAFE_INTEGER): ScheduledEvent[] {
  const out: ScheduledEvent[] = [];
  for (let e = q.popDue(now); e !== undefined; e = q.popDue(now)) out.push(e);
  return out;
}

describe('EventQueue', () => {
  it('is empty at start', () => {
    const q = new EventQueue();
    expect(q.nextTick()).toBe(Infinity);
    expect(q.popDue(1e15)).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('orders by tick, ties by insertion order', () => {
    const q = new EventQueue();
    const a = q.schedule(100, 'a', 0);
    const b = q.schedule(50, 'b', 1);
    const c = q.schedule(100, 'c', 2);
    const d = q.schedule(50, 'd', 3, 7);
    const e = q.schedule(100, 'e', 4);
    expect([a, b, c, d, e]).toEqual([0, 1, 2, 3, 4]);
    expect(q.nextTick()).toBe(50);
    const got = drain(q);
    expect(got.map((x) => x.kind)).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(got[1]).toEqual({ id: 3, tick: 50, kind: 'd', target: 3, arg: 7 });
    expect(got[0]!.arg).toBe(0);
  });

  it('popDue respects now', () => {
    const q = new EventQueue();
    q.schedule(10, 'x', 0);
    q.schedule(20, 'y', 0);
    expect(q.popDue(9)).toBeUndefined();
    expect(q.popDue(10)?.kind).toBe('x');
    expect(q.popDue(19)).toBeUndefined();
    expect(q.nextTick()).toBe(20);
    expect(q.popDue(25)?.kind).toBe('y');
    expect(q.nextTick()).toBe(Infinity);
  });

  it('cancel removes events, including the top one, and is idempotent', () => {
    const q = new EventQueue();
    const a = q.schedule(5, 'a', 0);
    const b = q.schedule(6, 'b', 0);
    const c = q.schedule(7, 'c', 0);
    expect(q.cancel(a)).toBe(true);
    expect(q.cancel(a)).toBe(false);
    expect(q.cancel(999)).toBe(false);
    expect(q.nextTick()).toBe(6);
    expect(q.cancel(c)).toBe(true);
    expect(q.size).toBe(1);
    expect(drain(q).map((e) => e.id)).toEqual([b]);
    expect(q.cancel(b)).toBe(false); // already popped
  });

  it('rejects bad ticks', () => {
    const q = new EventQueue();
    expect(() => q.schedule(-1, 'a', 0)).toThrow(RangeError);
    expect(() => q.schedule(1.5, 'a', 0)).toThrow(RangeError);
    expect(() => q.schedule(Infinity, 'a', 0)).toThrow(RangeError);
  });

  it('stays correct under heavy reprogramming (matches a sorted reference)', () => {
    const q = new EventQueue();
    const ref = new Map<number, { tick: number; id: number }>();
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    let pending: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const op = rnd(10);
      if (op < 6) {
        const t = rnd(300);
        const id = q.schedule(t, 'k', i);
        ref.set(id, { tick: t, id });
        pending.push(id);
      } else if (op < 9 && pending.length > 0) {
        const idx = rnd(pending.length);
        const id = pending[idx]!;
        pending.splice(idx, 1);
        expect(q.cancel(id)).toBe(true);
        ref.delete(id);
      } else {
        const now = rnd(300);
        const e = q.popDue(now);
        const expected = [...ref.values()].sort((a, b) => a.tick - b.tick || a.id - b.id)[0];
        if (expected !== undefined && expected.tick <= now) {
          expect(e?.id).toBe(expected.id);
          ref.delete(expected.id);
          pending = pending.filter((p) => p !== expected.id);
        } else {
          expect(e).toBeUndefined();
        }
      }
      expect(q.size).toBe(ref.size);
    }
    const rest = drain(q).map((e) => e.id);
    expect(rest).toEqual([...ref.values()].sort((a, b) => a.tick - b.tick || a.id - b.id).map((e) => e.id));
  });

  it('state round-trips mid-run and continues identically', () => {
    const build = () => {
      const q = new EventQueue();
      for (let i = 0; i < 20; i++) q.schedule((i * 37) % 11, `k${i % 3}`, i, i * 2);
      q.cancel(4);
      q.cancel(9);
      q.popDue(3);
      q.popDue(3);
      return q;
    };
    const q1 = build();
    const st = q1.getState();
    expect(st.version).toBe(1);
    expect(st.nextSeq).toBe(20);
    // entries sorted canonically, cancelled/popped ones absent
    const ids = st.entries.map((e) => e.id);
    expect(ids).not.toContain(4);
    expect(ids).not.toContain(9);
    const copy = JSON.parse(JSON.stringify(st)) as typeof st;
    const q2 = new EventQueue();
    q2.loadState(copy);
    expect(q2.getState()).toEqual(st);
    // same future on both
    expect(q1.schedule(5, 'new', 0)).toBe(q2.schedule(5, 'new', 0));
    expect(drain(q2)).toEqual(drain(q1));
  });

  it('loadState rejects bad records', () => {
    const q = new EventQueue();
    expect(() => q.loadState({ version: 2 } as never)).toThrow(/version/);
    expect(() =>
      q.loadState({ version: 1, nextSeq: 1, entries: [{ id: 3, tick: 1, kind: 'a', target: 0, arg: 0 }] }),
    ).toThrow(/id/);
  });
});
