import { describe, expect, it } from 'vitest';
import type { TraceEvent, TraceEventInput } from '../core/trace/events.js';
import { AllEvents, FOLD_BYTES, keepCursorVisible, Matches, Timeline, type Sequence } from './timeline.js';
import { numbered, uartText } from './testing.js';

const exc = (tick: number): TraceEventInput => ({ kind: 'exception', tick, cpu: 0, n: tick, type: 'sync', fromEl: 1, toEl: 2, ec: 0x16, esr: '0x5a000000', elr: '0x0', far: '0x0' });

// #0 exception, #1..#6 'hello\n' (cpu0), #7..#9 'ab' + 'c' interleaved with cpu1, #10 exception
const EVENTS: TraceEvent[] = numbered([
  exc(1),
  ...uartText('hello\n', 0, 2),
  ...uartText('ab', 0, 10),
  ...uartText('c', 1, 12),
  exc(13),
]);

const timeline = (seq: Sequence = new AllEvents(0, EVENTS.length)): Timeline => new Timeline((s) => EVENTS[s], seq);

describe('timeline rows', () => {
  it('folds console bytes into lines, per CPU, ending at LF', () => {
    const rows = timeline().rowsFrom(0, 10);
    expect(rows.map((r) => [r.start, r.end, r.text])).toEqual([
      [0, 0, undefined],
      [1, 6, 'hello'],
      [7, 8, 'ab'],
      [9, 9, 'c'],
      [10, 10, undefined],
    ]);
    expect(rows[1]).toMatchObject({ complete: true, members: 6 });
    expect(rows[2]).toMatchObject({ complete: false });
  });

  it('finds the row holding any of its events, and the rows around it', () => {
    const t = timeline();
    expect(t.rowAt(4)!.start).toBe(1);
    expect(t.rowAt(8)!.start).toBe(7);
    expect(t.nextRow(t.rowAt(3)!)!.start).toBe(7);
    expect(t.prevRow(t.rowAt(7)!)!.start).toBe(1);
    expect(t.prevRow(t.rowAt(0)!)).toBeNull();
    expect(t.move(0, 3)!.start).toBe(9);
    expect(t.move(10, -100)!.start).toBe(0);
    expect(t.move(0, 100)!.start).toBe(10);
  });

  it('splits long lines every FOLD_BYTES bytes, wherever it starts looking', () => {
    const long = numbered(uartText('x'.repeat(FOLD_BYTES * 2 + 5) + '\n', 0, 0));
    const t = new Timeline((s) => long[s], new AllEvents(0, long.length));
    expect(t.rowsFrom(0, 5).map((r) => [r.start, r.members])).toEqual([[0, FOLD_BYTES], [FOLD_BYTES, FOLD_BYTES], [2 * FOLD_BYTES, 6]]);
    expect(t.rowAt(FOLD_BYTES + 7)!.start).toBe(FOLD_BYTES);
    expect(t.rowAt(long.length - 1)!.start).toBe(2 * FOLD_BYTES);
  });

  it('shows a filter\'s matches as they arrive; rows fold among them', () => {
    const m = new Matches();
    const t = timeline(m);
    expect(t.rowAt(0)).toBeNull();
    m.push([0, 3]);
    m.push([4, 10]);
    expect(m.values).toEqual(new Float64Array([0, 3, 4, 10]));
    expect(t.rowsFrom(0, 5).map((r) => [r.start, r.end, r.text])).toEqual([[0, 0, undefined], [3, 4, 'll'], [10, 10, undefined]]);
    expect(m.floor(5)).toBe(4);
    expect(m.floor(-1)).toBe(0);
    expect(m.next(4)).toBe(10);
    expect(m.prev(3)).toBe(0);
    expect(m.index(10)).toBe(3);
    m.push(Array.from({ length: 5000 }, (_, i) => 100 + i));
    expect(m.count).toBe(5004);
    expect(m.last()).toBe(5099);
  });

  it('keeps the cursor on screen', () => {
    const t = timeline();
    expect(keepCursorVisible(t, { top: 0, cursor: 10 }, 3)).toEqual({ top: 7, cursor: 10 });
    expect(keepCursorVisible(t, { top: 7, cursor: 2 }, 3)).toEqual({ top: 1, cursor: 1 });
    expect(keepCursorVisible(t, { top: 0, cursor: 7 }, 3)).toEqual({ top: 0, cursor: 7 });
  });
});
