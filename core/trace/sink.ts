// The one event sink of a run (ARCHITECTURE.md "One clock, one trace").
//
// Emitters hand it events without a sequence number; the sink numbers them
// 0, 1, 2, ..., drops those above its verbosity level (before numbering, so a
// trace's numbering depends on its verbosity: compare traces recorded at the
// same level), counts them per kind, folds their canonical rendering into a
// running hash, keeps the last N for "last events" displays and passes them
// to subscribers in subscription order.
//
// The running hash is a SHA-256 chain over *blocks* of canonical lines, so an
// event costs its canonical line written as bytes, not a hash round:
//
//   line(k)  = formatEvent(event k) + "\n"                     (UTF-8)
//   pending  = line(j) || line(j+1) || ...   (lines not yet folded)
//   after appending a line, when pending holds >= DIGEST_BLOCK_CHARS UTF-16
//   code units it is folded:  chain = SHA-256(chain || "B" || pending),
//   pending = ""
//   chain0   = SHA-256("hvrr-trace-digest-v2")
//   digest() = SHA-256(chain || "F" || pending)                 (no mutation)
//
// Block boundaries depend only on the lines, so the digest is a pure function
// of the event sequence; chain and pending are both in getState(), so a
// restored sink reaches the same digest as an uninterrupted one.
// `traceDigest(events)` computes the same value for a list of events.

import { createHash } from 'node:crypto';
import { EventLineBytes, kindVerbosity, TRACE_KINDS, VERBOSITY_NORMAL } from './events.js';
import type { TraceEvent, TraceEventInput, TraceKind } from './events.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';

export type TraceListener = (e: TraceEvent) => void;

export interface TraceSinkOptions {
  /** Events whose kindVerbosity() exceeds this are dropped (default VERBOSITY_NORMAL). */
  verbosity?: number;
  /** Keep the last `ringSize` events for displays (default 0: none). */
  ringSize?: number;
}

/** Version of the TraceSink state record (2: block-chained digest). */
export const TRACE_SINK_STATE_VERSION = 2;

/** Version 1 held a digest over the unblocked line stream: it cannot continue as a block-chained one. */
const SINK_SCHEMA: RecordSchema = {
  name: 'TraceSink state',
  version: TRACE_SINK_STATE_VERSION,
  steps: { 1: () => new Error('its digest is not block-chained, so it cannot continue the same digest') },
};

export interface TraceSinkState {
  version: typeof TRACE_SINK_STATE_VERSION;
  nextSeq: number;
  /** Hash chain over the folded blocks, 64 hex digits (not the digest()). */
  chain: string;
  /** Canonical lines ("\n"-terminated) not yet folded into `chain`. */
  pending: string;
  counts: Record<TraceKind, number>;
  verbosity: number;
  ringSize: number;
  /** Oldest first. */
  ring: TraceEvent[];
}

/** Fold the pending lines into the chain once they reach this many UTF-16
 *  code units (~250 typical events; part of the digest definition). */
export const DIGEST_BLOCK_CHARS = 16384;

const CHAIN_SEED = 'hvrr-trace-digest-v2';
const INITIAL_CHAIN: Buffer = createHash('sha256').update(CHAIN_SEED, 'utf8').digest();

/** The block-chained digest of a stream of canonical lines (see the header).
 *  The pending lines are kept as their UTF-8 bytes (what a fold hashes) with
 *  their count of UTF-16 code units (what the block rule counts); each
 *  event's line is written straight into them, never built as a string. */
class DigestStream {
  chain: Buffer = INITIAL_CHAIN;
  private readonly lines = new EventLineBytes(4 * DIGEST_BLOCK_CHARS);
  private cached: string | null = null;

  /** The pending lines as text (a state record holds them so). */
  get pending(): string {
    return this.lines.bytes.toString('utf8', 0, this.lines.len);
  }

  /** formatEvent(e) + "\n". */
  pushEvent(e: TraceEvent): void {
    this.lines.line(e);
    this.added();
  }

  private added(): void {
    this.cached = null;
    if (this.lines.units >= DIGEST_BLOCK_CHARS) {
      this.chain = createHash('sha256').update(this.chain).update('B', 'latin1').update(this.lines.bytes.subarray(0, this.lines.len)).digest();
      this.lines.clear();
    }
  }

  digest(): string {
    if (this.cached === null) {
      this.cached = createHash('sha256').update(this.chain).update('F', 'latin1').update(this.lines.bytes.subarray(0, this.lines.len)).digest('hex');
    }
    return this.cached;
  }

  load(chainHex: string, pending: string): void {
    this.chain = Buffer.from(chainHex, 'hex');
    this.lines.clear();
    this.lines.text(pending); // shorter than a block (checked by the caller): no fold
    this.cached = null;
  }
}

function zeroCounts(): Record<TraceKind, number> {
  const c = {} as Record<TraceKind, number>;
  for (const k of TRACE_KINDS) c[k] = 0;
  return c;
}

/** The digest a TraceSink would report after receiving exactly `events`
 *  (which must already carry their seq numbers). */
export function traceDigest(events: Iterable<TraceEvent>): string {
  const d = new DigestStream();
  for (const e of events) d.pushEvent(e);
  return d.digest();
}

export class TraceSink {
  private nextSeq = 0;
  private readonly hash = new DigestStream();
  private counts: Record<TraceKind, number> = zeroCounts();
  private verbosityLevel: number;
  private ringSize: number;
  private ring: TraceEvent[] = [];
  private ringStart = 0; // index of the oldest event once the ring is full
  /** Replaced (never mutated) on (un)subscribe, so emit iterates it as is. */
  private listeners: readonly TraceListener[] = [];

  constructor(opts: TraceSinkOptions = {}) {
    this.verbosityLevel = opts.verbosity ?? VERBOSITY_NORMAL;
    this.ringSize = Math.max(0, Math.floor(opts.ringSize ?? 0));
  }

  get verbosity(): number {
    return this.verbosityLevel;
  }

  set verbosity(level: number) {
    this.verbosityLevel = level;
  }

  /** Would an event of this kind be recorded? Emitters of costly events
   *  (mmio) check this before building one. */
  wants(kind: TraceKind): boolean {
    return kindVerbosity(kind) <= this.verbosityLevel;
  }

  /** Record an event: returns it with its seq, or undefined when the
   *  verbosity level drops it. */
  emit(input: TraceEventInput): TraceEvent | undefined {
    if (!this.wants(input.kind)) return undefined;
    return this.numbered(Object.assign({ seq: 0 }, input) as TraceEvent);
  }

  /** Record an event built by its emitter with `seq: 0` as its first field:
   *  the sink numbers it in place instead of copying it (the same event, the
   *  same field order as emit's copy). For the per-trap events, where the
   *  copy is a measurable part of a trap's cost. */
  emitNumbered(e: TraceEvent): TraceEvent | undefined {
    if (!this.wants(e.kind)) return undefined;
    return this.numbered(e);
  }

  private numbered(e: TraceEvent): TraceEvent {
    e.seq = this.nextSeq++;
    this.hash.pushEvent(e);
    this.counts[e.kind]++;
    if (this.ringSize > 0) {
      if (this.ring.length < this.ringSize) {
        this.ring.push(e);
      } else {
        this.ring[this.ringStart] = e;
        this.ringStart = (this.ringStart + 1) % this.ringSize;
      }
    }
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!(e);
    return e;
  }

  /** Call `fn` for every recorded event from now on. Returns an unsubscribe function. */
  subscribe(fn: TraceListener): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)];
    };
  }

  /** Number of events recorded so far (= the next seq). */
  get count(): number {
    return this.nextSeq;
  }

  /** Per-kind counts (a copy). */
  kindCounts(): Record<TraceKind, number> {
    return { ...this.counts };
  }

  /** Hash of every recorded event's canonical line, 64 hex digits (the
   *  block-chained digest described at the top of this file). */
  digest(): string {
    return this.hash.digest();
  }

  /** The last `n` (default: all kept) events, oldest first. */
  last(n = this.ringSize): TraceEvent[] {
    const ordered = this.ring.length < this.ringSize ? this.ring.slice() : [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
    return n >= ordered.length ? ordered : ordered.slice(ordered.length - n);
  }

  getState(): TraceSinkState {
    return {
      version: TRACE_SINK_STATE_VERSION,
      nextSeq: this.nextSeq,
      chain: this.hash.chain.toString('hex'),
      pending: this.hash.pending,
      counts: this.kindCounts(),
      verbosity: this.verbosityLevel,
      ringSize: this.ringSize,
      ring: this.last().map((e) => ({ ...e }) as TraceEvent),
    };
  }

  /** A sink's state before any event (fields a record lacks take these values). */
  private resetState(): TraceSinkState {
    return {
      version: TRACE_SINK_STATE_VERSION, nextSeq: 0, chain: INITIAL_CHAIN.toString('hex'), pending: '',
      counts: zeroCounts(), verbosity: this.verbosityLevel, ringSize: this.ringSize, ring: [],
    };
  }

  /** Restore a saved state. Subscribers are wiring, not state: they stay. */
  loadState(record: TraceSinkState): void {
    const state = upgradeRecord<TraceSinkState>(SINK_SCHEMA, record, this.resetState());
    if (typeof state.chain !== 'string' || !/^[0-9a-f]{64}$/.test(state.chain)) throw new Error('TraceSink: bad chain hash in state');
    if (typeof state.pending !== 'string' || state.pending.length >= DIGEST_BLOCK_CHARS || (state.pending !== '' && !state.pending.endsWith('\n')))
      throw new Error('TraceSink: bad pending digest block in state');
    this.nextSeq = state.nextSeq;
    this.hash.load(state.chain, state.pending);
    const counts = zeroCounts();
    for (const k of TRACE_KINDS) counts[k] = state.counts[k] ?? 0;
    this.counts = counts;
    this.verbosityLevel = state.verbosity;
    this.ringSize = state.ringSize;
    this.ring = state.ring.slice(Math.max(0, state.ring.length - state.ringSize)).map((e) => ({ ...e }) as TraceEvent);
    this.ringStart = 0;
  }
}
