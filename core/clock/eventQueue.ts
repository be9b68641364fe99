// The machine's deterministic event queue.
//
// Events are plain data ({tick, kind, target, arg}), never closures: the
// machine dispatches a due event to the component named by `kind`, which
// interprets `target` / `arg` (a CPU index, a timer index, ...). Ordering is
// total and depends only on the calls made: events are returned by ascending
// tick, and events at the same tick in the order they were scheduled (a
// monotonically increasing sequence number, which is also the event's id).
//
// Storage is a binary min-heap on (tick, id). Cancelled events are removed
// lazily: they stay in the heap, marked dead in `live`, and are discarded
// when they reach the top; when dead entries outnumber live ones the heap is
// rebuilt, so a timer reprogrammed millions of times does not grow it.

import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

const EVENT_QUEUE_SCHEMA: RecordSchema = { name: 'EventQueue state', version: 1 };

export interface ScheduledEvent {
  /** Unique id, also the insertion sequence number (0, 1, 2, ...). */
  readonly id: number;
  /** Virtual tick at which the event is due. */
  readonly tick: number;
  /** Which component handles it (e.g. 'gtimer', 'pl031', 'uart-rx'). */
  readonly kind: string;
  /** Component-defined: usually a CPU or device index. */
  readonly target: number;
  /** Component-defined extra argument (0 when not given). */
  readonly arg: number;
}

/** Versioned state record: the live events, sorted by (tick, id). */
export interface EventQueueState {
  version: 1;
  nextSeq: number;
  entries: Array<{ id: number; tick: number; kind: string; target: number; arg: number }>;
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.tick < b.tick || (a.tick === b.tick && a.id < b.id);
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  /** id -> event for events that are scheduled and not cancelled/popped. */
  private live = new Map<number, ScheduledEvent>();
  private nextSeq = 0;

  /** Schedule an event at `tick` (a non-negative integer). Returns its id. */
  schedule(tick: number, kind: string, target: number, arg = 0): number {
    if (!Number.isSafeInteger(tick) || tick < 0) {
      throw new RangeError(`EventQueue.schedule: tick must be a non-negative safe integer, got ${tick}`);
    }
    if (!Number.isFinite(target) || !Number.isFinite(arg)) {
      throw new RangeError(`EventQueue.schedule: target/arg must be finite numbers (kind ${kind})`);
    }
    const id = this.nextSeq++;
    const ev: ScheduledEvent = { id, tick, kind, target, arg };
    this.live.set(id, ev);
    this.push(ev);
    return id;
  }

  /** Cancel a scheduled event. Returns false if it was not pending
   *  (already fired, already cancelled, or never existed). */
  cancel(id: number): boolean {
    if (!this.live.delete(id)) return false;
    if (this.heap.length > 32 && this.heap.length > 2 * this.live.size) this.rebuild();
    return true;
  }

  /** Is this event still pending? */
  isPending(id: number): boolean {
    return this.live.has(id);
  }

  /** The pending event with this id, if any. */
  get(id: number): ScheduledEvent | undefined {
    return this.live.get(id);
  }

  /** Number of pending events. */
  get size(): number {
    return this.live.size;
  }

  /** Tick of the earliest pending event, Infinity if there is none. */
  nextTick(): number {
    this.dropDeadTop();
    const top = this.heap[0];
    return top === undefined ? Infinity : top.tick;
  }

  /** The earliest pending event without removing it. */
  peek(): ScheduledEvent | undefined {
    this.dropDeadTop();
    return this.heap[0];
  }

  /** Remove and return the earliest event if it is due (tick <= now). */
  popDue(now: number): ScheduledEvent | undefined {
    this.dropDeadTop();
    const top = this.heap[0];
    if (top === undefined || top.tick > now) return undefined;
    this.popTop();
    this.live.delete(top.id);
    return top;
  }

  getState(): EventQueueState {
    const entries = [...this.live.values()]
      .sort((a, b) => a.tick - b.tick || a.id - b.id)
      .map((e) => ({ id: e.id, tick: e.tick, kind: e.kind, target: e.target, arg: e.arg }));
    return { version: 1, nextSeq: this.nextSeq, entries };
  }

  loadState(record: EventQueueState): void {
    const state = upgradeRecord<EventQueueState>(EVENT_QUEUE_SCHEMA, record);
    if (!Number.isSafeInteger(state.nextSeq) || state.nextSeq < 0) throw new Error('EventQueue: bad nextSeq in state');
    const live = new Map<number, ScheduledEvent>();
    for (const e of state.entries) {
      if (!Number.isSafeInteger(e.tick) || e.tick < 0) throw new Error(`EventQueue: bad tick in state entry ${e.id}`);
      if (!Number.isSafeInteger(e.id) || e.id < 0 || e.id >= state.nextSeq || live.has(e.id)) {
        throw new Error(`EventQueue: bad or duplicate id ${e.id} in state`);
      }
      live.set(e.id, { id: e.id, tick: e.tick, kind: e.kind, target: e.target, arg: e.arg });
    }
    this.live = live;
    this.nextSeq = state.nextSeq;
    this.rebuild();
  }

  // ---- heap internals ----

  private rebuild(): void {
    // A sorted array is a valid binary min-heap.
    this.heap = [...this.live.values()].sort((a, b) => a.tick - b.tick || a.id - b.id);
  }

  private dropDeadTop(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.live.has(top.id)) return;
      this.popTop();
    }
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(ev, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = ev;
  }

  private popTop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(h[r]!, h[l]!)) c = r;
      const child = h[c]!;
      if (!before(child, last)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}
