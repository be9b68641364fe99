// The TUI's long computations over a trace, as generators that yield after
// each events chunk, so a driver can run them in slices (in a worker thread,
// or in this thread between frames) and cancel them between chunks:
//   index   the console lines (with the seqs that printed them), the sched
//           points (lanes) and the FF-A events;
//   filter  the seqs of the events that pass a filter;
//   search  the next (or previous) event whose text contains a query.
import { formatEvent, type FfaEvent, type TraceEvent, type TraceKind } from '../core/trace/events.js';
import type { TraceReader } from '../replay/traceFile.js';
import { summary } from './decode.js';
import { matches, needsSched, type Filter } from './filter.js';
import { Lanes, RunningTracker } from './lanes.js';

export type JobReader = Pick<TraceReader, 'index' | 'firstSeq' | 'eventCount' | 'eventsInRange'>;

/** A console line: its text (CR dropped, no LF) and the seqs of its first and last byte. */
export interface ConsoleLine {
  first: number;
  last: number;
  cpu: number;
  text: string;
}

export interface IndexResult {
  console: ConsoleLine[];
  lanes: ReturnType<Lanes['toJSON']>;
  ffa: FfaEvent[];
  /** Highest cpu number seen + 1 (from the chunk statistics there is none). */
  cpus: number;
}

export interface Progress {
  /** Events chunks done, of `total`. */
  done: number;
  total: number;
  /** filter: seqs found in this slice. */
  found?: number[];
}

/** [firstSeq, endSeq) of each events chunk, in order. */
function chunkRanges(r: JobReader): [number, number][] {
  return r.index.chunks.filter((c) => c.kind === 'events' && c.eventCount > 0).map((c) => [c.firstSeq, c.firstSeq + c.eventCount]);
}

const MAX_LINE = 4096;

export function* indexJob(r: JobReader): Generator<Progress, IndexResult> {
  const ranges = chunkRanges(r);
  const lanes = new Lanes();
  const console: ConsoleLine[] = [];
  const ffa: FfaEvent[] = [];
  let cpus = 0;
  // One line in progress per console: the Non-secure UART's and the secure
  // UART's (world=s, shown with the '[secure] ' prefix `hvrr run` uses).
  type Open = { first: number; last: number; cpu: number; bytes: number[] };
  const opened: { ns: Open | null; s: Open | null } = { ns: null, s: null };
  const close = (w: 'ns' | 's'): void => {
    const open = opened[w];
    if (!open) return;
    const text = Buffer.from(open.bytes).toString('latin1').replace(/\r/g, '');
    console.push({ first: open.first, last: open.last, cpu: open.cpu, text: w === 's' ? `[secure] ${text}` : text });
    opened[w] = null;
  };
  const kinds: TraceKind[] = ['uart-out', 'sched', 'ffa'];
  for (const [k, [from, to]] of ranges.entries()) {
    for (const e of r.eventsInRange(from, to, kinds)) {
      if (e.cpu + 1 > cpus) cpus = e.cpu + 1;
      if (e.kind === 'sched') lanes.add(e);
      else if (e.kind === 'ffa') ffa.push(e);
      else if (e.kind === 'uart-out') {
        const w = e.world ?? 'ns';
        const open = (opened[w] ??= { first: e.seq, last: e.seq, cpu: e.cpu, bytes: [] });
        open.last = e.seq;
        if (e.byte === 0x0a) close(w);
        else {
          open.bytes.push(e.byte);
          if (open.bytes.length >= MAX_LINE) close(w);
        }
      }
    }
    yield { done: k + 1, total: ranges.length };
  }
  close('ns');
  close('s');
  console.sort((a, b) => a.first - b.first);
  return { console, lanes: lanes.toJSON(), ffa, cpus };
}

export function* filterJob(r: JobReader, f: Filter): Generator<Progress, number> {
  const ranges = chunkRanges(r);
  // With vm/vcpu every sched event must be seen, whatever the kinds.
  const kinds = f.kinds && !needsSched(f) ? f.kinds : undefined;
  const tracker = new RunningTracker();
  let count = 0;
  for (const [k, [from, to]] of ranges.entries()) {
    const found: number[] = [];
    for (const e of r.eventsInRange(from, to, kinds)) {
      tracker.update(e);
      if (matches(f, e, tracker.on(e.cpu))) found.push(e.seq);
    }
    count += found.length;
    yield { done: k + 1, total: ranges.length, found };
  }
  return count;
}

/** The text search matches: the canonical line and the decoded summary, lower-cased. */
export function searchText(e: TraceEvent): string {
  return (formatEvent(e) + ' ' + summary(e)).toLowerCase();
}

/**
 * The first event after `fromSeq` (dir 1) or before it (dir -1) whose text
 * contains `query` (case-insensitive), among `within` (sorted seqs, a
 * filter's matches) when given; null when there is none. Wraps around once.
 */
export function* searchJob(r: JobReader, query: string, fromSeq: number, dir: 1 | -1, within?: ArrayLike<number>): Generator<Progress, number | null> {
  const q = query.toLowerCase();
  const ranges = chunkRanges(r);
  const member = within ? membership(within) : null;
  const order = ranges.map((_x, i) => i);
  // Start in the chunk holding fromSeq, go in `dir`, then wrap around.
  let start = ranges.findIndex(([a, b]) => fromSeq >= a && fromSeq < b);
  if (start < 0) start = dir === 1 ? 0 : ranges.length - 1;
  const visit = dir === 1 ? [...order.slice(start), ...order.slice(0, start + 1)] : [...order.slice(0, start + 1).reverse(), ...order.slice(start).reverse()];
  for (const [step, ci] of visit.entries()) {
    const [from, to] = ranges[ci]!;
    const events = [...r.eventsInRange(from, to)];
    if (dir === -1) events.reverse();
    const first = step === 0;
    const last = step === visit.length - 1;
    for (const e of events) {
      // The first visit covers the events past fromSeq; the wrapped last one those before it.
      if (first && !last && (dir === 1 ? e.seq <= fromSeq : e.seq >= fromSeq)) continue;
      if (last && step > 0 && (dir === 1 ? e.seq > fromSeq : e.seq < fromSeq)) continue;
      if (member && !member(e.seq)) continue;
      if (searchText(e).includes(q)) return e.seq;
    }
    yield { done: step + 1, total: visit.length };
  }
  return null;
}

/** A membership test over sorted seqs. */
function membership(sorted: ArrayLike<number>): (seq: number) => boolean {
  return (seq) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = sorted[mid]!;
      if (v === seq) return true;
      if (v < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
}
