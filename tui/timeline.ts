// The timeline's rows over a sequence of events (every event, or a filter's
// matches): one row per event, except that runs of console bytes (uart-out
// events next to each other in the sequence, on one CPU) fold into one row
// per line. Rows are addressed by the seq of their first event, never by a
// row number, so nothing needs the rows before the ones on screen: moving
// and paging only look at the events around the cursor.
import type { TraceEvent } from '../core/trace/events.js';

/** The events the timeline shows, in seq order. */
export interface Sequence {
  /** Every element is known (a filter scan may still be running). */
  readonly complete: boolean;
  /** Elements known so far. */
  readonly count: number;
  first(): number | null;
  last(): number | null;
  /** Smallest element > seq. */
  next(seq: number): number | null;
  /** Largest element < seq. */
  prev(seq: number): number | null;
  /** Largest element <= seq, else the first. */
  floor(seq: number): number | null;
  /** Position of floor(seq) (for "row k of n"). */
  index(seq: number): number;
}

/** Every event of the trace. */
export class AllEvents implements Sequence {
  readonly complete = true;
  constructor(private readonly firstSeq: number, readonly count: number) {}
  first(): number | null {
    return this.count > 0 ? this.firstSeq : null;
  }
  last(): number | null {
    return this.count > 0 ? this.firstSeq + this.count - 1 : null;
  }
  next(seq: number): number | null {
    const n = Math.max(seq + 1, this.firstSeq);
    return n < this.firstSeq + this.count ? n : null;
  }
  prev(seq: number): number | null {
    const p = Math.min(seq - 1, this.firstSeq + this.count - 1);
    return p >= this.firstSeq ? p : null;
  }
  floor(seq: number): number | null {
    if (this.count === 0) return null;
    return Math.max(this.firstSeq, Math.min(seq, this.firstSeq + this.count - 1));
  }
  index(seq: number): number {
    return (this.floor(seq) ?? this.firstSeq) - this.firstSeq;
  }
}

/** A filter's matches, growing while its scan runs. */
export class Matches implements Sequence {
  private seqs = new Float64Array(1024);
  count = 0;
  complete = false;

  push(found: readonly number[]): void {
    if (this.count + found.length > this.seqs.length) {
      const bigger = new Float64Array(Math.max(this.seqs.length * 2, this.count + found.length));
      bigger.set(this.seqs.subarray(0, this.count));
      this.seqs = bigger;
    }
    for (const s of found) this.seqs[this.count++] = s;
  }
  /** The sorted seqs (a view; valid until the next push). */
  get values(): Float64Array {
    return this.seqs.subarray(0, this.count);
  }
  first(): number | null {
    return this.count > 0 ? this.seqs[0]! : null;
  }
  last(): number | null {
    return this.count > 0 ? this.seqs[this.count - 1]! : null;
  }
  /** Position of the largest element <= seq, -1 when none. */
  private floorIndex(seq: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.seqs[mid]! <= seq) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }
  next(seq: number): number | null {
    const i = this.floorIndex(seq) + 1;
    return i < this.count ? this.seqs[i]! : null;
  }
  prev(seq: number): number | null {
    const i = this.floorIndex(seq - 1);
    return i >= 0 ? this.seqs[i]! : null;
  }
  floor(seq: number): number | null {
    const i = this.floorIndex(seq);
    return i >= 0 ? this.seqs[i]! : this.first();
  }
  index(seq: number): number {
    return Math.max(0, this.floorIndex(seq));
  }
}

export interface Row {
  /** Seq of the first and last event of the row. */
  start: number;
  end: number;
  /** The first event. */
  event: TraceEvent;
  /** Events folded into the row (1 for all but console lines). */
  members: number;
  /** A folded console line's bytes (latin1, without the LF). */
  text?: string;
  /** The folded line ends with an LF. */
  complete?: boolean;
}

/** Bytes per folded row at most; longer lines continue on the next row. */
export const FOLD_BYTES = 160;
/** How far back a row start is looked for inside a run of console bytes. */
const MAX_BACK = 4096;

export class Timeline {
  constructor(
    private readonly event: (seq: number) => TraceEvent | undefined,
    readonly seq: Sequence,
  ) {}

  private ev(seq: number): TraceEvent {
    const e = this.event(seq);
    if (!e) throw new RangeError(`timeline: no event ${seq}`);
    return e;
  }

  /** Does the element after `prev` continue `prev`'s console row? */
  private continues(prev: TraceEvent, e: TraceEvent): boolean {
    return e.kind === 'uart-out' && prev.kind === 'uart-out' && prev.cpu === e.cpu && (prev.world ?? 'ns') === (e.world ?? 'ns') && prev.byte !== 0x0a;
  }

  /** The row that starts at element `start`. */
  rowFrom(start: number): Row {
    const first = this.ev(start);
    if (first.kind !== 'uart-out') return { start, end: start, event: first, members: 1 };
    const bytes = [first.byte];
    let end = start;
    let last = first;
    while (bytes.length < FOLD_BYTES && last.byte !== 0x0a) {
      const n = this.seq.next(end);
      if (n === null) break;
      const e = this.ev(n);
      if (!this.continues(last, e) || e.kind !== 'uart-out') break;
      bytes.push(e.byte);
      end = n;
      last = e;
    }
    const complete = bytes[bytes.length - 1] === 0x0a;
    if (complete) bytes.pop();
    return { start, end, event: first, members: complete ? bytes.length + 1 : bytes.length, text: Buffer.from(bytes).toString('latin1').replace(/\r/g, ''), complete };
  }

  /** The row holding element floor(seq) (null for an empty sequence). */
  rowAt(seq: number): Row | null {
    const s = this.seq.floor(seq);
    if (s === null) return null;
    const e = this.ev(s);
    if (e.kind !== 'uart-out') return this.rowFrom(s);
    // Back to the start of this run of console bytes, then rows forward to s.
    let anchor = s;
    let cur: TraceEvent = e;
    for (let steps = 0; steps < MAX_BACK; steps++) {
      const p = this.seq.prev(anchor);
      if (p === null) break;
      const pe = this.ev(p);
      if (!this.continues(pe, cur)) break;
      anchor = p;
      cur = pe;
    }
    let row = this.rowFrom(anchor);
    while (row.end < s) {
      const n = this.seq.next(row.end);
      if (n === null) break;
      row = this.rowFrom(n);
    }
    return row;
  }

  nextRow(row: Row): Row | null {
    const n = this.seq.next(row.end);
    return n === null ? null : this.rowFrom(n);
  }

  prevRow(row: Row): Row | null {
    const p = this.seq.prev(row.start);
    return p === null ? null : this.rowAt(p);
  }

  /** Up to `n` rows from the row holding `seq`. */
  rowsFrom(seq: number, n: number): Row[] {
    const out: Row[] = [];
    let row = this.rowAt(seq);
    while (row && out.length < n) {
      out.push(row);
      row = this.nextRow(row);
    }
    return out;
  }

  /** The row `delta` rows from the row holding `seq` (clamped at the ends). */
  move(seq: number, delta: number): Row | null {
    let row: Row | null = this.rowAt(seq);
    if (!row) return null;
    for (let i = 0; i < Math.abs(delta); i++) {
      const r: Row | null = delta > 0 ? this.nextRow(row) : this.prevRow(row);
      if (!r) break;
      row = r;
    }
    return row;
  }
}

/** Scroll state: the first row on screen and the cursor's row, by their start seqs. */
export interface View {
  top: number;
  cursor: number;
}

/** `view` with its top moved so the cursor's row is one of the `height` rows on screen. */
export function keepCursorVisible(t: Timeline, view: View, height: number): View {
  const cursor = t.rowAt(view.cursor);
  if (!cursor) return view;
  const top = t.rowAt(view.top);
  if (!top || cursor.start < top.start) return { top: cursor.start, cursor: cursor.start };
  const shown = t.rowsFrom(top.start, height);
  if (shown.some((r) => r.start === cursor.start)) return { top: top.start, cursor: cursor.start };
  // Below the screen: the cursor becomes the last row.
  const newTop = t.move(cursor.start, -(height - 1))!;
  return { top: newTop.start, cursor: cursor.start };
}
