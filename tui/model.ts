// The trace browser's model, without Ink: the sequence on show (every event
// or a filter's matches) and its rows, jumps, what the background index
// found (console lines, lanes, FF-A messages), bookmarks. The app keeps the
// scroll state (timeline.ts View) and draws what this computes.
import type { TraceEvent, TraceKind } from '../core/trace/events.js';
import type { TraceReader } from '../replay/traceFile.js';
import { lastExceptionNumber, lastSeqOf } from '../replay/targets.js';
import { Bookmarks, bookmarksFile } from './bookmarks.js';
import type { Filter } from './filter.js';
import type { ConsoleLine, IndexResult } from './jobs.js';
import { Lanes, type Running } from './lanes.js';
import { AllEvents, Matches, Timeline, type Sequence } from './timeline.js';

export type ModelReader = Pick<TraceReader, 'index' | 'firstSeq' | 'eventCount' | 'event' | 'eventsInRange' | 'findException' | 'findTick' | 'header'>;

export class TraceModel {
  readonly all: AllEvents;
  /** The filter on show and its matches (null: every event). */
  filter: Filter | null = null;
  matches: Matches | null = null;
  timeline: Timeline;
  /** What the background index found (null until it is done). */
  index: IndexResult | null = null;
  lanes: Lanes | null = null;
  readonly bookmarks: Bookmarks;
  /** pCPUs of the recorded machine. */
  readonly cpus: number;

  constructor(readonly reader: ModelReader, readonly path: string) {
    this.all = new AllEvents(reader.firstSeq, reader.eventCount);
    this.timeline = new Timeline((s) => reader.event(s), this.all);
    this.bookmarks = new Bookmarks(bookmarksFile(path));
    this.cpus = recordedCpus(reader);
  }

  get seq(): Sequence {
    return this.timeline.seq;
  }

  event(seq: number): TraceEvent | undefined {
    return this.reader.event(seq);
  }

  setIndex(r: IndexResult): void {
    this.index = r;
    this.lanes = Lanes.fromJSON(r.lanes);
  }

  /** Shows a filter's matches (filled in as its scan reports them), or every event. */
  setFilter(f: Filter | null): Matches | null {
    this.filter = f;
    this.matches = f ? new Matches() : null;
    this.timeline = new Timeline((s) => this.reader.event(s), this.matches ?? this.all);
    return this.matches;
  }

  /** What ran on each pCPU at `seq` (null until the index is done). */
  lanesAt(seq: number): (Running | null)[] | null {
    return this.lanes ? this.lanes.at(seq) : null;
  }

  /** Console lines printed up to and including event `seq` (the last one may be unfinished). */
  consoleUpTo(seq: number): ConsoleLine[] {
    const lines = this.index?.console ?? [];
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid]!.first <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lines.slice(0, lo);
  }

  /**
   * Where `g` goes: 'N' or '#N' event N, 'e N' (exc, exception) exception N,
   * 't T' (@T, tick) the first event at or after tick T. A seq, or why not.
   */
  resolveJump(text: string): { seq: number } | { error: string } {
    const t = text.trim().toLowerCase().replace(/_/g, '').replace(/,/g, '');
    let m = /^#?(\d+)$/.exec(t) ?? /^(?:event|ev)\s*#?(\d+)$/.exec(t);
    if (m) {
      const seq = Number(m[1]);
      const last = lastSeqOf(this.reader as TraceReader);
      if (seq < this.reader.firstSeq || seq > last) return { error: `no event ${seq}: the trace holds #${this.reader.firstSeq}..#${last}` };
      return { seq };
    }
    m = /^(?:e|exc|exception)\s*(\d+)$/.exec(t);
    if (m) {
      const n = Number(m[1]);
      const f = this.reader.findException(n);
      if (f) return { seq: f.seq };
      const lastN = lastExceptionNumber(this.reader as TraceReader);
      return { error: lastN === null ? 'the trace has no exceptions' : `no exception ${n}: the last is ${lastN.toLocaleString('en-US')}` };
    }
    m = /^(?:t|@|tick)\s*(\d+)$/.exec(t);
    if (m) {
      const f = this.reader.findTick(Number(m[1]));
      return f ? { seq: f.seq } : { error: `no event at or after tick ${Number(m[1]).toLocaleString('en-US')}` };
    }
    return { error: `'${text}': expected N (event), e N (exception) or t T (tick)` };
  }

  /** The next (dir 1) or previous (-1) event of `kind` after/before `seq`
   *  among those on show; null when there is none. */
  nextOfKind(seq: number, kind: TraceKind, dir: 1 | -1): number | null {
    if (this.matches) {
      for (let s = dir === 1 ? this.seq.next(seq) : this.seq.prev(seq); s !== null; s = dir === 1 ? this.seq.next(s) : this.seq.prev(s)) {
        if (this.event(s)?.kind === kind) return s;
      }
      return null;
    }
    if (dir === 1) {
      for (const e of this.reader.eventsInRange(seq + 1, Number.MAX_SAFE_INTEGER, [kind])) return e.seq;
      return null;
    }
    // Backwards, chunk by chunk (chunks without the kind are skipped unread).
    const chunks = this.reader.index.chunks.filter((c) => c.kind === 'events' && c.firstSeq < seq && (c.kinds[kind] ?? 0) > 0).reverse();
    for (const c of chunks) {
      let found: number | null = null;
      for (const e of this.reader.eventsInRange(c.firstSeq, Math.min(seq, c.firstSeq + c.eventCount), [kind])) found = e.seq;
      if (found !== null) return found;
    }
    return null;
  }

  /** The sequence's element at or after `seq`, else before it (a jump target on show). */
  nearestShown(seq: number): number | null {
    const f = this.seq.floor(seq);
    if (f === seq) return seq;
    const n = this.seq.next(seq);
    return n ?? f;
  }
}

/** pCPUs of the recorded machine: from its recorded options, else the CPUs the events name. */
export function recordedCpus(r: Pick<ModelReader, 'header'>): number {
  const argv = (r.header.machine as { argv?: unknown }).argv;
  if (Array.isArray(argv)) {
    const opt = (name: string): number | undefined => {
      for (const a of argv) if (typeof a === 'string' && a.startsWith(`--${name}=`)) return Number(a.slice(name.length + 3));
      return undefined;
    };
    // Under the hypervisor --pcpus defaults to --smp; bare, --smp is the CPUs.
    const n = opt('pcpus') ?? opt('smp') ?? 1;
    if (Number.isSafeInteger(n) && n > 0) return n;
  }
  const numCpus = (r.header.machine as { numCpus?: unknown }).numCpus;
  return typeof numCpus === 'number' && numCpus > 0 ? numCpus : 1;
}
