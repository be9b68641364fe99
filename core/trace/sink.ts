// The one event sink of a run (ARCHITECTURE.md "One clock, one trace").
//
// Emitters hand it events without a sequence number; the sink numbers them
// 0, 1, 2, ..., drops those above its verbosity level (before numbering, so a
// trace's numbering depends on its verbosity: compare traces recorded at the
// same level), counts them per kind, folds their canonical rendering into a
// running hash, keeps the last N for "last events" displays and passes them
// to subscribers in subscription order.
//
// The running hash is a SHA-256 chain, so it can be saved in a snapshot and
// resumed:  h0 = SHA-256("hvrr-trace-v1"),  h(k+1) = SHA-256(h(k) || line(k) || "\n")
// where line(k) = formatEvent(event k) in UTF-8. `traceDigest(events)`
// computes the same value for a list of events.

import { createHash } from 'node:crypto';
import { formatEvent, kindVerbosity, TRACE_FORMAT_VERSION, TRACE_KINDS, VERBOSITY_NORMAL } from './events.js';
import type { TraceEvent, TraceEventInput, TraceKind } from './events.js';

export type TraceListener = (e: TraceEvent) => void;

export interface TraceSinkOptions {
  /** Events whose kindVerbosity() exceeds this are dropped (default VERBOSITY_NORMAL). */
  verbosity?: number;
  /** Keep the last `ringSize` events for displays (default 0: none). */
  ringSize?: number;
}

export interface TraceSinkState {
  version: 1;
  nextSeq: number;
  /** Running hash, 64 hex digits. */
  chain: string;
  counts: Record<TraceKind, number>;
  verbosity: number;
  ringSize: number;
  /** Oldest first. */
  ring: TraceEvent[];
}

const CHAIN_SEED = `hvrr-trace-v${TRACE_FORMAT_VERSION}`;

function initialChain(): Buffer {
  return createHash('sha256').update(CHAIN_SEED, 'utf8').digest();
}

function stepChain(chain: Buffer, line: string): Buffer {
  return createHash('sha256').update(chain).update(line + '\n', 'utf8').digest();
}

function zeroCounts(): Record<TraceKind, number> {
  const c = {} as Record<TraceKind, number>;
  for (const k of TRACE_KINDS) c[k] = 0;
  return c;
}

/** The digest a TraceSink would report after receiving exactly `events`
 *  (which must already carry their seq numbers). */
export function traceDigest(events: Iterable<TraceEvent>): string {
  let chain = initialChain();
  for (const e of events) chain = stepChain(chain, formatEvent(e));
  return chain.toString('hex');
}

export class TraceSink {
  private nextSeq = 0;
  private chain: Buffer = initialChain();
  private counts: Record<TraceKind, number> = zeroCounts();
  private verbosityLevel: number;
  private ringSize: number;
  private ring: TraceEvent[] = [];
  private ringStart = 0; // index of the oldest event once the ring is full
  private listeners: TraceListener[] = [];

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
    const e = { seq: this.nextSeq++, ...input } as TraceEvent;
    this.chain = stepChain(this.chain, formatEvent(e));
    this.counts[e.kind]++;
    if (this.ringSize > 0) {
      if (this.ring.length < this.ringSize) {
        this.ring.push(e);
      } else {
        this.ring[this.ringStart] = e;
        this.ringStart = (this.ringStart + 1) % this.ringSize;
      }
    }
    if (this.listeners.length > 0) {
      for (const fn of this.listeners.slice()) fn(e);
    }
    return e;
  }

  /** Call `fn` for every recorded event from now on. Returns an unsubscribe function. */
  subscribe(fn: TraceListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
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

  /** Running hash of every recorded event's canonical line, 64 hex digits. */
  digest(): string {
    return this.chain.toString('hex');
  }

  /** The last `n` (default: all kept) events, oldest first. */
  last(n = this.ringSize): TraceEvent[] {
    const ordered = this.ring.length < this.ringSize ? this.ring.slice() : [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
    return n >= ordered.length ? ordered : ordered.slice(ordered.length - n);
  }

  getState(): TraceSinkState {
    return {
      version: 1,
      nextSeq: this.nextSeq,
      chain: this.digest(),
      counts: this.kindCounts(),
      verbosity: this.verbosityLevel,
      ringSize: this.ringSize,
      ring: this.last().map((e) => ({ ...e }) as TraceEvent),
    };
  }

  /** Restore a saved state. Subscribers are wiring, not state: they stay. */
  loadState(state: TraceSinkState): void {
    if (state.version !== 1) throw new Error(`TraceSink: unsupported state version ${String(state.version)}`);
    if (!/^[0-9a-f]{64}$/.test(state.chain)) throw new Error('TraceSink: bad chain hash in state');
    this.nextSeq = state.nextSeq;
    this.chain = Buffer.from(state.chain, 'hex');
    const counts = zeroCounts();
    for (const k of TRACE_KINDS) counts[k] = state.counts[k] ?? 0;
    this.counts = counts;
    this.verbosityLevel = state.verbosity;
    this.ringSize = state.ringSize;
    this.ring = state.ring.slice(Math.max(0, state.ring.length - state.ringSize)).map((e) => ({ ...e }) as TraceEvent);
    this.ringStart = 0;
  }
}
