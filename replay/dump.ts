// Text rendering of a trace file for `hvrr dump`: a header summary as
// `# key: value` comment lines, then one line per event in the canonical
// formatEvent rendering (the text golden comparison uses), optionally with
// input and state-hash records (which start with a word, never with '#').

import { eventJson, formatEvent, TRACE_KINDS } from '../core/trace/events.js';
import type { TraceKind } from '../core/trace/events.js';
import { formatInputRecord as formatInput, formatStateHash as formatHash } from './format.js';
import type { InputRecord, StateHashRecord, TraceReader } from './traceFile.js';
import type { TraceEvent } from '../core/trace/events.js';

export interface DumpOptions {
  /** First event seq (default: the first in the file). */
  from?: number;
  /** At most this many event lines (input/state-hash lines are not counted). */
  count?: number;
  /** Only events of these kinds. */
  kinds?: readonly TraceKind[];
  /** Include input records. */
  inputs?: boolean;
  /** Include state-hash records. */
  stateHashes?: boolean;
  /** One JSON object per line instead of text (docs/trace-format.md "JSON"). */
  json?: boolean;
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
}

/** The `# key: value` lines describing the file. */
export function dumpHeaderLines(r: TraceReader, path: string): string[] {
  const h = r.header;
  const ix = r.index;
  const out: string[] = [];
  out.push(`# trace: ${path}`);
  out.push(`# format: ${h.formatVersion} (events ${h.traceFormatVersion}), written by hvrr ${h.hvrrVersion}`);
  out.push(`# seed: ${h.seed}`);
  out.push(`# machine: ${jsonText(h.machine)}`);
  // A machine with two Security states: say how to read the events' worlds.
  if ((h.machine as Record<string, unknown>)['secure'] === true) out.push('# worlds: Secure and Non-secure; events of the Secure world end in \'world=s\', the others are Non-secure');
  for (const i of h.images) out.push(`# image: ${i.name} sha256=${i.sha256} size=${i.size}`);
  out.push(`# state-hash interval: ${h.stateHashInterval === 0 ? 'none' : `${h.stateHashInterval} events`}`);
  out.push(`# snapshot interval: ${h.snapshotInterval === 0 ? 'none' : `${h.snapshotInterval} ticks`}`);
  const last = ix.eventCount > 0 ? ` (seq ${ix.firstSeq}..${ix.firstSeq + ix.eventCount - 1})` : '';
  const eventChunks = ix.chunks.filter((c) => c.kind === 'events').length;
  out.push(`# events: ${ix.eventCount}${last} in ${eventChunks} chunk${eventChunks === 1 ? '' : 's'}, inputs: ${ix.inputCount}, state hashes: ${ix.stateHashCount}, snapshots: ${ix.snapshots.length}`);
  const kinds = TRACE_KINDS.filter((k) => ix.kindCounts[k] > 0).map((k) => `${k}=${ix.kindCounts[k]}`);
  if (kinds.length > 0) out.push(`# kinds: ${kinds.join(' ')}`);
  const excChunks = ix.chunks.filter((c) => c.excMin !== null);
  if (excChunks.length > 0) out.push(`# exceptions: n=${Math.min(...excChunks.map((c) => c.excMin!))}..${Math.max(...excChunks.map((c) => c.excMax!))}`);
  for (const s of ix.snapshots) {
    out.push(`# snapshot: id=${s.id} base=${s.baseId ?? '-'} after=#${s.afterSeq} @${s.tick} instructions=${s.instructions} exceptions=${s.exceptions} bytes=${s.blobSize}`);
  }
  if (r.recovery) {
    const rc = r.recovery;
    out.push(`# recovered: ${rc.reason}; read ${rc.chunks} complete chunk${rc.chunks === 1 ? '' : 's'} (${rc.events} events, ${rc.validBytes} bytes), ignored ${rc.ignoredBytes} trailing bytes`);
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** One line (no newline) saying that `r` was recovered from a file without a
 *  usable footer, what it holds and what was lost; null for a complete file.
 *  `hvrr dump` and `hvrr replay` print it on stderr. */
export function recoveryWarning(r: TraceReader, path: string): string | null {
  const rc = r.recovery;
  if (!rc) return null;
  const held = rc.events > 0 ? `events #${r.firstSeq}..#${r.firstSeq + rc.events - 1} (${plural(rc.events, 'event')})` : 'no events';
  const t = rc.tail;
  const ignored = plural(rc.ignoredBytes, 'trailing byte');
  let lost: string;
  if (rc.indexRead) {
    lost = `every event and snapshot is there; only the footer is missing or damaged (${ignored} ignored)`;
  } else if (t !== null && 'incomplete' in t && t.incomplete.kind === 'index') {
    lost = `every event and snapshot is there; the index and footer are lost (${ignored}: an incomplete index chunk, ${t.incomplete.presentBytes.toLocaleString('en-US')} of its ${plural(t.incomplete.chunkBytes, 'byte')})`;
  } else {
    const what = t === null
      ? 'too few to hold a chunk header'
      : 'zeros' in t
        ? 'all zero: never written'
        : `an incomplete ${t.incomplete.kind} chunk${t.incomplete.kind === 'events' ? ` of ${plural(t.incomplete.eventCount, 'event')}` : ''}, ${t.incomplete.presentBytes.toLocaleString('en-US')} of its ${plural(t.incomplete.chunkBytes, 'byte')}`;
    lost = `${ignored} lost (${what}), with whatever was recorded after them`;
  }
  return `trace '${path}' was recovered from a truncated file (${rc.reason}): it holds ${held} and ${plural(rc.snapshots, 'snapshot')} in its first ${plural(rc.validBytes, 'byte')}; ${lost}`;
}

/**
 * Calls `write` with the dump's text in pieces of many lines (each ending in
 * '\n'): header lines, then the records. Returns the number of event lines.
 */
/** The header as one JSON object (for `dump --json`). */
export function dumpHeaderJson(r: TraceReader, path: string): Record<string, unknown> {
  const h = r.header;
  const ix = r.index;
  return {
    record: 'trace', path, formatVersion: h.formatVersion, traceFormatVersion: h.traceFormatVersion, hvrrVersion: h.hvrrVersion,
    seed: h.seed, machine: h.machine, images: h.images, stateHashInterval: h.stateHashInterval, snapshotIntervalTicks: h.snapshotInterval,
    firstSeq: ix.firstSeq, events: ix.eventCount, inputs: ix.inputCount, stateHashes: ix.stateHashCount,
    kinds: Object.fromEntries(TRACE_KINDS.filter((k) => ix.kindCounts[k] > 0).map((k) => [k, ix.kindCounts[k]])),
    snapshots: ix.snapshots.map((x) => ({ id: x.id, baseId: x.baseId, afterSeq: x.afterSeq, tick: x.tick, instructions: x.instructions, exceptions: x.exceptions, bytes: x.blobSize })),
    ...(r.recovery ? { recovered: r.recovery } : {}),
  };
}

const eventText = (e: TraceEvent): string => formatEvent(e);
const eventLine = (e: TraceEvent): string => JSON.stringify({ record: 'event', ...eventJson(e) });
const inputLine = (x: InputRecord): string => JSON.stringify({ record: 'input', input: x.input, tick: x.tick, byte: x.byte });
const hashLine = (x: StateHashRecord): string => JSON.stringify({ record: 'state-hash', seq: x.seq, tick: x.tick, stateHash: x.stateHash });

export function dumpTrace(r: TraceReader, path: string, opts: DumpOptions, write: (text: string) => void): number {
  const json = opts.json === true;
  const formatEvent = json ? eventLine : eventText;
  const formatInputRecord = json ? inputLine : formatInput;
  const formatStateHash = json ? hashLine : formatHash;
  write(json ? JSON.stringify(dumpHeaderJson(r, path)) + '\n' : dumpHeaderLines(r, path).join('\n') + '\n');
  const want = opts.kinds && opts.kinds.length > 0 ? new Set<string>(opts.kinds) : null;
  const limit = opts.count ?? Infinity;
  let events = 0;
  let batch: string[] = [];
  const emit = (line: string): void => {
    batch.push(line);
    if (batch.length >= 4096) {
      write(batch.join('\n') + '\n');
      batch = [];
    }
  };
  if (limit > 0) {
    if (!opts.inputs && !opts.stateHashes) {
      // Events only: the index lets chunks without a wanted kind be skipped.
      for (const e of r.eventsInRange(opts.from ?? r.firstSeq, Number.MAX_SAFE_INTEGER, opts.kinds && opts.kinds.length > 0 ? opts.kinds : undefined)) {
        emit(formatEvent(e));
        if (++events >= limit) break;
      }
    } else {
      for (const rec of r.events(opts.from)) {
        if ('kind' in rec) {
          if (want && !want.has(rec.kind)) continue;
          emit(formatEvent(rec));
          if (++events >= limit) break;
        } else if ('input' in rec) {
          if (opts.inputs) emit(formatInputRecord(rec));
        } else if (opts.stateHashes) {
          emit(formatStateHash(rec));
        }
      }
    }
  }
  if (batch.length > 0) write(batch.join('\n') + '\n');
  return events;
}
