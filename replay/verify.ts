// `hvrr verify`: checks a trace file (and the snapshot file beside it) end to
// end and lists every problem found, where readers stop at the first one and
// decode only what a command needs. Every byte of a trace file is covered by a
// checksum (file header, chunk headers, payloads, footer), so any damage a
// reader could decode is found; on top of that verify checks what the
// checksums cannot: that the index describes the chunks, that the records
// follow the recorder's rules (consecutive seqs and exception numbers, a state
// hash after every K events, snapshots chained and spaced as the header says),
// that every snapshot restores into a machine built from the recorded
// configuration, and, with `replay`, that replaying the trace from power-on
// and from every snapshot reproduces every event and state hash.
//
// docs/trace-format.md ("Verifying a trace") lists the checks.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Machine } from '../core/machine.js';
import { formatEvent, type TraceEvent } from '../core/trace/events.js';
import { describeSnapshot, restoreInto, snapshotComponents } from '../snapshots/index.js';
import {
  CHUNK_EVENTS,
  CHUNK_HEADER_SIZE,
  CHUNK_INDEX,
  CHUNK_KIND_NAMES,
  CHUNK_MAGIC,
  FILE_HEADER_FIXED,
  FLAG_ZSTD,
  FOOTER_SIZE,
  TraceFormatError,
  checkFileHeaderFixed,
  cborDecodeOne,
  crc32c,
  decodeChunkHeader,
  decodeFileHeader,
  decodeFooter,
  decodeSnapshotPayload,
  zstdDecompressExact,
  type ChunkHeader,
  type SnapshotMeta,
  type TraceHeader,
} from './format.js';
import { Replayer, snapshotFileProblem, type ReplayResult, type ReplayTarget } from './replayer.js';
import {
  TraceReader,
  decodeEventsPayload,
  indexLayoutProblem,
  parseIndexMap,
  snapshotChunkEntry,
  statsMatch,
  type ChunkEntry,
  type TraceRecord,
} from './traceFile.js';

/** A file verify cannot open at all (missing, a directory, no permission). */
export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

/** One problem: the file and a one-line message that starts with where in it. */
export interface VerifyProblem {
  file: string;
  message: string;
}

export interface VerifyOptions {
  /** A new machine built from the recorded configuration; throws (one-line
   *  message) when it cannot be built (images missing or different). Without
   *  it snapshots are only decoded, not restored, and `replay` is skipped. */
  buildMachine?(header: TraceHeader): Machine;
  /** Also replay the trace from power-on and from every snapshot. */
  replay?: boolean;
  /** Told what is being checked, often (per chunk, per snapshot, every 64K replayed events). */
  progress?(what: string): void;
}

export interface FileSummary {
  path: string;
  bytes: number;
  /** Events and snapshot chunks walked (the index chunk not counted). */
  chunks: number;
  events: number;
  inputs: number;
  stateHashes: number;
  snapshots: number;
  /** Snapshots restored into a scratch machine. */
  restored: number;
  /** Snapshots not restored because a snapshot they build on is damaged or missing. */
  baseLost: number;
  problems: number;
}

export interface VerifyReport {
  problems: VerifyProblem[];
  files: FileSummary[];
  /** Replays run (from power-on, then one per snapshot) and what they checked; null without `replay`. */
  replay: { runs: number; events: number; stateHashes: number } | null;
}

const REPLAY_PROGRESS_EVERY = 65536;

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ').trim();
}

function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : message(e);
}

/** A file opened for random reads. */
class Source {
  readonly size: number;
  private constructor(readonly path: string, private fd: number | null) {
    this.size = fstatSync(fd!).size;
  }

  static open(path: string): Source {
    let fd: number;
    try {
      fd = openSync(path, 'r');
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
    } catch (e) {
      throw new VerifyInputError(`cannot read '${path}': ${ioMessage(e)}`);
    }
    return new Source(path, fd);
  }

  read(offset: number, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd!, out, got, length - got, offset + got);
      if (n === 0) throw new TraceFormatError(`unexpected end of file at offset ${offset + got} (file changed while verifying?)`);
      got += n;
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** A snapshot found in a file: its chunk metadata and where its blob is. */
interface FoundSnapshot {
  meta: SnapshotMeta;
  /** Position among the file's events/snapshot chunks. */
  chunk: number;
  offset: number;
  blobOffset: number;
  blobSize: number;
  /** The blob decoded cleanly and agrees with the chunk metadata. */
  blobOk: boolean;
}

interface FileScan {
  summary: FileSummary;
  header: TraceHeader | null;
  snapshots: FoundSnapshot[];
  clean: boolean;
}

/** The recorder's rules for the record stream, checked as records go by. */
class StreamRules {
  private lastEvent: TraceEvent | null = null;
  private hashDue = false;
  private lastException: number | null = null;
  /** False after records were lost (a damaged chunk): the next exception number and snapshot start afresh. */
  private inSync = true;
  private lastInputTick = -1;
  private prevSnapshot: SnapshotMeta | null = null;
  /** A snapshot chunk may have been among the lost records. */
  private snapshotsLost = false;

  /** `withEvents`: the file is a trace (a snapshot file has no events to check snapshots against). */
  constructor(private readonly header: TraceHeader, private readonly withEvents: boolean, private readonly problem: (msg: string) => void) {}

  record(r: TraceRecord, where: string): void {
    if ('kind' in r) {
      if (this.hashDue) this.problem(`${where}: no state hash after event #${this.lastEvent!.seq} (the header says one every ${this.header.stateHashInterval} events)`);
      if (r.kind === 'exception') {
        const want = !this.inSync ? r.n : this.lastException === null ? (this.header.firstSeq === 0 ? 1 : r.n) : this.lastException + 1;
        if (r.n !== want) this.problem(`${where}: event #${r.seq} is exception n=${r.n}, expected n=${want}`);
        this.lastException = r.n;
        this.inSync = true;
      }
      this.lastEvent = r;
      const k = this.header.stateHashInterval;
      this.hashDue = k > 0 && (r.seq + 1) % k === 0;
    } else if ('stateHash' in r) {
      const e = this.lastEvent;
      if (!this.hashDue) this.problem(`${where}: a state hash after event #${r.seq} where none is due`);
      else if (e === null || r.seq !== e.seq || r.tick !== e.tick) this.problem(`${where}: state hash says it follows event #${r.seq} @${r.tick}, but it follows #${e?.seq ?? -1} @${e?.tick ?? 0}`);
      this.hashDue = false;
    } else {
      if (r.tick < this.lastInputTick) this.problem(`${where}: input at tick ${r.tick} after one at tick ${this.lastInputTick}`);
      this.lastInputTick = r.tick;
    }
  }

  /** Records were lost here (a chunk that could not be read): what follows is checked against itself only. */
  lose(): void {
    this.lastEvent = null;
    this.hashDue = false;
    this.inSync = false;
    this.lastInputTick = -1;
    this.prevSnapshot = null;
    this.snapshotsLost = true;
  }

  snapshot(s: SnapshotMeta, where: string): void {
    const p = this.prevSnapshot;
    // One line per snapshot: the first rule it breaks.
    let why: string | null = null;
    if (p === null && this.snapshotsLost) {
      // The previous snapshot may be in the lost records: nothing to compare with.
    } else if (p === null) {
      if (s.baseId !== null) why = `the first snapshot is incremental (on ${s.baseId.slice(0, 12)}…), not full`;
    } else if (s.baseId !== p.id) {
      why = `snapshot is based on ${s.baseId === null ? 'nothing (full)' : s.baseId.slice(0, 12) + '…'}, not on the previous snapshot ${p.id.slice(0, 12)}…`;
    } else if (s.tick < p.tick + Math.max(1, this.header.snapshotInterval)) {
      why = `snapshot at tick ${s.tick} only ${s.tick - p.tick} ticks after the previous one (the header says every ${this.header.snapshotInterval})`;
    } else if (s.instructions < p.instructions || s.afterSeq < p.afterSeq || s.exceptions < p.exceptions) {
      why = 'snapshot counts go backwards from the previous snapshot';
    }
    if (why === null && this.withEvents && this.inSync && this.header.firstSeq === 0 && s.exceptions !== (this.lastException ?? 0)) {
      why = `snapshot says ${s.exceptions} exceptions were taken, the events before it number ${this.lastException ?? 0}`;
    }
    if (why !== null) this.problem(`${where}: ${why}`);
    this.prevSnapshot = s;
  }

  end(where: string): void {
    // The recorder adds the hash right after its event: one due at the very end is missing.
    if (this.hashDue) this.problem(`${where}: no state hash after the last event #${this.lastEvent!.seq}`);
  }
}

function sameSnapshotMeta(a: SnapshotMeta, b: SnapshotMeta): boolean {
  return a.id === b.id && a.baseId === b.baseId && a.afterSeq === b.afterSeq && a.tick === b.tick && a.instructions === b.instructions && a.exceptions === b.exceptions;
}

/** The first field in which two entries of one chunk differ, or null. */
function entryDifference(walked: ChunkEntry, indexed: ChunkEntry): string | null {
  for (const k of ['offset', 'size', 'kind', 'firstSeq', 'eventCount', 'recordCount'] as const) {
    if (walked[k] !== indexed[k]) return `${k} ${String(indexed[k])} in the index, ${String(walked[k])} in the file`;
  }
  return statsMatch(walked, indexed) ? null : 'its statistics (ticks, exception numbers, inputs, hashes or kinds) differ from the index';
}

/** Where the next intact chunk header is at or after `from` (magic and header checksum), or -1. */
function findChunkHeader(src: Source, from: number, end: number): number {
  const magic = [CHUNK_MAGIC & 0xff, (CHUNK_MAGIC >>> 8) & 0xff, (CHUNK_MAGIC >>> 16) & 0xff, CHUNK_MAGIC >>> 24];
  const block = 1 << 20;
  for (let at = from; at + CHUNK_HEADER_SIZE <= end; at += block) {
    const b = src.read(at, Math.min(block + CHUNK_HEADER_SIZE, end - at));
    for (let i = b.indexOf(magic[0]!); i !== -1 && i < block && i + CHUNK_HEADER_SIZE <= b.length; i = b.indexOf(magic[0]!, i + 1)) {
      if (b[i + 1] !== magic[1] || b[i + 2] !== magic[2] || b[i + 3] !== magic[3]) continue;
      const h = b.subarray(i, i + CHUNK_HEADER_SIZE);
      if (new DataView(h.buffer, h.byteOffset, 40).getUint32(36, true) === crc32c(h.subarray(0, 36))) return at + i;
    }
  }
  return -1;
}

/** Reads a chunk's payload (checksum, decompression) after its header was checked. */
function readPayload(src: Source, offset: number, h: ChunkHeader, where: string): Uint8Array {
  const stored = src.read(offset + CHUNK_HEADER_SIZE, h.storedLength);
  if (crc32c(stored) !== h.payloadCrc) throw new TraceFormatError(`${where}: chunk payload checksum mismatch (corrupt)`);
  return h.flags & FLAG_ZSTD ? zstdDecompressExact(stored, h.rawLength, where) : stored;
}

/** Walks one trace or snapshot file, checking every byte of it. */
function scanFile(src: Source, role: 'trace' | 'snapshots', add: (msg: string) => void, progress: (what: string) => void): FileScan {
  const path = src.path;
  const summary: FileSummary = { path, bytes: src.size, chunks: 0, events: 0, inputs: 0, stateHashes: 0, snapshots: 0, restored: 0, baseLost: 0, problems: 0 };
  const snapshots: FoundSnapshot[] = [];
  let problems = 0;
  const problem = (msg: string): void => {
    problems++;
    add(msg);
  };
  const done = (header: TraceHeader | null): FileScan => {
    summary.problems = problems;
    return { summary, header, snapshots, clean: problems === 0 };
  };

  // File header.
  let dataStart: number;
  let header: TraceHeader | null = null;
  try {
    const fixed = src.read(0, Math.min(FILE_HEADER_FIXED, src.size));
    const len = checkFileHeaderFixed(fixed, src.size);
    dataStart = FILE_HEADER_FIXED + len;
    try {
      header = decodeFileHeader(fixed, src.read(FILE_HEADER_FIXED, len));
    } catch (e) {
      problem(message(e));
    }
  } catch (e) {
    problem(message(e));
    return done(null);
  }

  // Footer and index.
  let footerProblem: string | null = null;
  let index: ReturnType<typeof parseIndexMap> | null = null;
  let walkEnd = src.size;
  let indexOffset = -1;
  if (src.size - dataStart >= CHUNK_HEADER_SIZE + FOOTER_SIZE) {
    const f = decodeFooter(src.read(src.size - FOOTER_SIZE, FOOTER_SIZE), src.size - FOOTER_SIZE);
    if (typeof f === 'string') {
      footerProblem = f;
    } else {
      indexOffset = f.indexOffset;
      walkEnd = f.indexOffset >= dataStart && f.indexOffset <= f.footerOffset ? f.indexOffset : f.footerOffset;
      const where = `index chunk at offset ${f.indexOffset}`;
      try {
        if (f.indexOffset < dataStart || f.indexOffset + CHUNK_HEADER_SIZE > f.footerOffset) throw new TraceFormatError(`footer points to an index at offset ${f.indexOffset}, outside the chunk area (${dataStart}..${f.footerOffset})`);
        const h = decodeChunkHeader(src.read(f.indexOffset, CHUNK_HEADER_SIZE), where);
        if (h.kind !== CHUNK_INDEX) throw new TraceFormatError(`${where}: footer points to a ${CHUNK_KIND_NAMES[h.kind]} chunk, not the index`);
        if (f.indexOffset + CHUNK_HEADER_SIZE + h.storedLength !== f.footerOffset) throw new TraceFormatError(`${where}: index chunk does not end at the footer`);
        const m = parseIndexMap(cborDecodeOne(readPayload(src, f.indexOffset, h, where), where), where);
        const layout = indexLayoutProblem(m, dataStart, header?.firstSeq ?? m.firstSeq, f.indexOffset, h.firstSeq);
        if (layout) throw new TraceFormatError(`${where}: ${layout}`);
        index = m;
      } catch (e) {
        problem(message(e));
      }
    }
  } else {
    footerProblem = 'footer missing (file too short)';
  }

  // Every chunk from the header to the index (or to the end of the file).
  const rules = header ? new StreamRules(header, role === 'trace', problem) : null;
  const walked: Array<ChunkEntry | null> = [];
  let seq: number | null = header?.firstSeq ?? null;
  let pos = dataStart;
  let sawIndex = false;
  let lostTail: string | null = null;
  while (pos < walkEnd) {
    const n = walked.length;
    const where = `chunk ${n} at offset ${pos}`;
    progress(`${path}: ${where} (${Math.floor((100 * pos) / Math.max(1, src.size))}%)`);
    const resync = (why: string): boolean => {
      // Carry on at the next chunk the index knows of, or else the next intact chunk header.
      const next = index ? (index.chunks.find((c) => c.offset > pos)?.offset ?? walkEnd) : findChunkHeader(src, pos + 1, walkEnd);
      problem(`${why}${next === -1 || next >= walkEnd ? '; nothing readable follows' : `; ${next - pos} bytes skipped to the next chunk at offset ${next}`}`);
      rules?.lose();
      walked.push(null);
      seq = null;
      if (next === -1) return false;
      pos = next;
      return true;
    };
    if (walkEnd - pos < CHUNK_HEADER_SIZE) {
      if (index === null && footerProblem !== null) lostTail = `${walkEnd - pos} bytes, too few for a chunk header`;
      else problem(`${where}: ${walkEnd - pos} stray bytes before the ${indexOffset >= 0 ? 'index' : 'end of the file'}`);
      break;
    }
    let h: ChunkHeader;
    try {
      h = decodeChunkHeader(src.read(pos, CHUNK_HEADER_SIZE), where);
    } catch (e) {
      if (!resync(message(e))) break;
      continue;
    }
    const size = CHUNK_HEADER_SIZE + h.storedLength;
    if (pos + size > walkEnd) {
      if (index === null && footerProblem !== null) {
        lostTail = `an incomplete ${CHUNK_KIND_NAMES[h.kind]} chunk${h.kind === CHUNK_EVENTS ? ` of ${h.eventCount} events` : ''}, ${walkEnd - pos} of its ${size} bytes`;
        break;
      }
      if (!resync(`${where}: ${size}-byte chunk runs past ${indexOffset >= 0 ? `the index at offset ${walkEnd}` : 'the end of the file'}`)) break;
      continue;
    }
    if (sawIndex) problem(`${where}: chunk after the index chunk`);
    if (seq !== null && h.firstSeq !== seq) {
      // Chunks out of order or missing: the rules start afresh rather than repeat it.
      problem(`${where}: chunk starts at seq ${h.firstSeq}, expected ${seq}`);
      rules?.lose();
    }
    seq = h.firstSeq;
    let entry: ChunkEntry | null = null;
    try {
      const payload = readPayload(src, pos, h, where);
      if (h.kind === CHUNK_EVENTS) {
        const { decoded, stats } = decodeEventsPayload(payload, h, where);
        entry = stats.entry(pos, size);
        if (rules) for (const [i, r] of decoded.records.entries()) rules.record(r, `${where}: record ${i}`);
        summary.events += h.eventCount;
        summary.inputs += stats.inputs;
        summary.stateHashes += stats.stateHashes;
      } else if (h.kind === CHUNK_INDEX) {
        // Only without a usable footer: the index of a recording whose footer is gone.
        parseIndexMap(cborDecodeOne(payload, where), where);
        sawIndex = true;
      } else {
        const { meta, blobOffset } = decodeSnapshotPayload(payload, where);
        // In a trace the chunk's seq is the next event's; a snapshot file has no events (its chunks say 0).
        if (role === 'trace' && meta.afterSeq !== h.firstSeq - 1) problem(`${where}: snapshot after event #${meta.afterSeq} in a chunk at seq ${h.firstSeq}`);
        rules?.snapshot(meta, where);
        entry = snapshotChunkEntry(pos, size, h.firstSeq, meta.tick);
        snapshots.push({ meta, chunk: n, offset: pos, blobOffset: pos + CHUNK_HEADER_SIZE + blobOffset, blobSize: payload.length - blobOffset, blobOk: false });
      }
    } catch (e) {
      problem(message(e));
      rules?.lose();
    }
    if (h.kind !== CHUNK_INDEX) walked.push(entry);
    seq += h.eventCount;
    pos += size;
  }
  rules?.end(`end of ${walked.length > 0 ? `chunk ${walked.length - 1}` : 'the chunks'}`);
  if (footerProblem !== null) {
    const lost = sawIndex ? 'every chunk and the index are there' : lostTail ? `lost after offset ${pos}: ${lostTail}` : 'no chunk is incomplete';
    problem(`footer: ${footerProblem}: the file is truncated, damaged at its end, or the recording did not finish (${lost})`);
  }

  // The index against the chunks walked.
  if (index) {
    const where = `index chunk at offset ${indexOffset}`;
    // One line for the chunk entries and one for the snapshot entries, naming the first difference.
    const chunkDiffs: string[] = [];
    if (index.chunks.length !== walked.length) chunkDiffs.push(`it lists ${index.chunks.length} chunks, the file has ${walked.length}`);
    for (const [i, w] of walked.entries()) {
      const x = index.chunks[i];
      const d = w && x ? entryDifference(w, x) : null;
      if (d) chunkDiffs.push(`chunk ${i}: ${d}`);
    }
    if (chunkDiffs.length > 0) problem(`${where}: ${chunkDiffs.length === 1 ? 'the index does not match the chunks' : `${chunkDiffs.length} differences from the chunks`}: ${chunkDiffs[0]}`);
    // Snapshot entries by chunk (a damaged snapshot chunk was reported already).
    const snapDiffs: string[] = [];
    for (const [i, x] of index.snapshots.entries()) {
      if (walked[x.chunk] === null) continue;
      const s = snapshots.find((y) => y.chunk === x.chunk);
      if (!s) snapDiffs.push(`entry ${i} points to chunk ${x.chunk}, which holds no snapshot`);
      else if (!sameSnapshotMeta(x, s.meta) || x.offset !== s.offset || x.blobSize !== s.blobSize) snapDiffs.push(`entry ${i} does not match the snapshot in chunk ${s.chunk}`);
    }
    for (const s of snapshots) if (!index.snapshots.some((x) => x.chunk === s.chunk)) snapDiffs.push(`the snapshot in chunk ${s.chunk} is not in the index`);
    if (snapDiffs.length > 0) problem(`${where}: ${snapDiffs.length === 1 ? 'a snapshot entry is wrong' : `${snapDiffs.length} snapshot entries are wrong`}: ${snapDiffs[0]}`);
  }

  // Each snapshot blob: container, checksum, id, page tables; its metadata as the chunk says.
  for (const [i, s] of snapshots.entries()) {
    const where = `snapshot ${i} (chunk ${s.chunk} at offset ${s.offset})`;
    progress(`${path}: ${where}: decoding`);
    try {
      const blob = src.read(s.blobOffset, s.blobSize);
      const info = describeSnapshot(blob);
      snapshotComponents(blob); // decodes the state section too
      const m = info.meta;
      const got: SnapshotMeta = { id: m.id, baseId: m.baseId, afterSeq: s.meta.afterSeq, tick: m.tick, instructions: m.instructions, exceptions: m.exceptions };
      const differs = (['id', 'baseId', 'tick', 'instructions', 'exceptions'] as const).filter((k) => got[k] !== s.meta[k]);
      if (differs.length > 0) problem(`${where}: the snapshot's own metadata differs from its chunk's: ${differs.map((k) => `${k} ${String(got[k])}, the chunk says ${String(s.meta[k])}`).join('; ')}`);
      else s.blobOk = true;
    } catch (e) {
      problem(`${where}: ${message(e)}`);
    }
  }
  summary.chunks = walked.length;
  summary.snapshots = snapshots.length;
  return done(header);
}

/** Restores every snapshot of a file, in order, into one scratch machine. */
function restoreAll(src: Source, scan: FileScan, m: Machine, trace: TraceReader | null, problem: (msg: string) => void, progress: (what: string) => void): void {
  const byId = new Map(scan.snapshots.filter((s) => s.blobOk).map((s) => [s.meta.id, s]));
  const resolve = (id: string): Uint8Array => {
    const s = byId.get(id);
    if (!s) throw new Error(`no intact snapshot ${id.slice(0, 12)}… in ${src.path}`);
    return src.read(s.blobOffset, s.blobSize);
  };
  // A snapshot whose base is damaged or missing cannot be restored; the damage was reported.
  const intact = (s: FoundSnapshot, depth = 0): boolean => {
    if (!s.blobOk || depth > scan.snapshots.length) return false;
    if (s.meta.baseId === null) return true;
    const b = byId.get(s.meta.baseId);
    return b !== undefined && intact(b, depth + 1);
  };
  let inMachine: string | null = null;
  const differing = new Set<number>();
  for (const [i, s] of scan.snapshots.entries()) {
    if (!intact(s)) {
      if (s.blobOk) scan.summary.baseLost++;
      continue;
    }
    const where = `snapshot ${i} (chunk ${s.chunk} at offset ${s.offset})`;
    progress(`${src.path}: ${where}: restoring`);
    try {
      // The machine holds the previous snapshot: only the increment above it is applied.
      const opts = inMachine !== null && s.meta.baseId === inMachine ? { baseInMachine: inMachine } : {};
      inMachine = null;
      restoreInto(m, resolve(s.meta.id), resolve, opts);
      inMachine = s.meta.id;
      const exceptions = m.getMachineState().exceptionCount;
      if (m.nowTick !== s.meta.tick || m.instructions !== s.meta.instructions || m.trace.count !== s.meta.afterSeq + 1 || exceptions !== s.meta.exceptions) {
        problem(`${where}: restored to tick ${m.nowTick}, ${m.instructions} instructions, ${m.trace.count} events, ${exceptions} exceptions; its chunk says ${s.meta.tick}, ${s.meta.instructions}, ${s.meta.afterSeq + 1}, ${s.meta.exceptions}`);
        continue;
      }
      // The snapshot's record of the last events must be the trace's (an
      // event several snapshots hold is reported once).
      if (trace) {
        for (const e of m.trace.last()) {
          const rec = trace.event(e.seq);
          if (!rec || formatEvent(rec) !== formatEvent(e)) {
            if (!differing.has(e.seq)) problem(`${where}: its event #${e.seq} (${formatEvent(e)}) is not the trace's (${rec ? formatEvent(rec) : 'none'})`);
            differing.add(e.seq);
            break;
          }
        }
      }
      scan.summary.restored++;
    } catch (e) {
      const msg = message(e);
      problem(`${where}: ${msg.startsWith('cannot restore') ? msg : `cannot restore: ${msg}`}`);
    }
  }
}

function describeResult(r: ReplayResult): string {
  if (r.status === 'diverged') {
    const d = r.divergence!;
    return `diverged at event #${d.seq}: recorded ${d.recorded}; replayed ${d.replayed}`;
  }
  if (r.status === 'machine-stopped') return `the machine stopped (${r.machineStop ?? 'unknown'}) before the end of the recording`;
  return `stopped: ${r.status}`;
}

/**
 * Verifies a trace file and, when `snapPath` is given, its snapshot file.
 * Problems are collected, never thrown; only a file that cannot be opened at
 * all throws VerifyInputError.
 */
export function verifyRecording(tracePath: string, snapPath: string | null, opts: VerifyOptions = {}): VerifyReport {
  const problems: VerifyProblem[] = [];
  const progress = opts.progress ?? ((): void => {});
  const sources: Source[] = [];
  const report: VerifyReport = { problems, files: [], replay: null };
  try {
    const traceSrc = Source.open(tracePath);
    sources.push(traceSrc);
    const snapSrc = snapPath !== null ? Source.open(snapPath) : null;
    if (snapSrc) sources.push(snapSrc);
    const adder = (file: string) => (msg: string): void => void problems.push({ file, message: msg });
    const trace = scanFile(traceSrc, 'trace', adder(tracePath), progress);
    const snap = snapSrc ? scanFile(snapSrc, 'snapshots', adder(snapPath!), progress) : null;
    report.files.push(trace.summary);
    if (snap) report.files.push(snap.summary);

    // Readers for the cross-checks: only on files with no problem so far.
    const traceReader = trace.clean ? TraceReader.open(tracePath) : null;
    let snapReader: TraceReader | null = null;
    try {
      let foreign = false;
      if (snap && snap.clean) {
        snapReader = TraceReader.open(snapPath!);
        if (traceReader) {
          const p = snapshotFileProblem(traceReader, snapReader);
          if (p) {
            problems.push({ file: snapPath!, message: `does not belong to trace '${tracePath}': ${p}` });
            foreign = true; // its snapshots are not restored into the trace's machine, nor replayed
            snapReader.close();
            snapReader = null;
          }
        }
      }

      // Restore every snapshot into a scratch machine.
      const header = trace.header ?? snap?.header ?? null;
      const build = (): Machine | null => {
        if (!opts.buildMachine || !header) return null;
        try {
          return opts.buildMachine(header);
        } catch (e) {
          problems.push({ file: tracePath, message: `cannot build the recorded machine (${message(e)}): snapshots not restored${opts.replay ? ', nothing replayed' : ''}` });
          return null;
        }
      };
      const withSnapshots = [{ src: traceSrc, scan: trace }, ...(snap && snapSrc && !foreign ? [{ src: snapSrc, scan: snap }] : [])].filter((f) => f.scan.snapshots.some((s) => s.blobOk));
      let scratch: Machine | null = null;
      if (withSnapshots.length > 0 || opts.replay) scratch = build();
      if (scratch) {
        for (const f of withSnapshots) {
          restoreAll(f.src, f.scan, scratch, traceReader, (msg) => {
            f.scan.summary.problems++;
            problems.push({ file: f.src.path, message: msg });
          }, progress);
        }
      }

      // Replay from power-on, then from every snapshot to the next.
      if (opts.replay && scratch && opts.buildMachine && header) {
        if (!traceReader) {
          problems.push({ file: tracePath, message: 'not replayed: the trace has problems' });
        } else {
          report.replay = replayAll(traceReader, [traceReader, ...(snapReader ? [snapReader] : [])], build, (msg) => problems.push({ file: tracePath, message: msg }), progress);
        }
      }
    } finally {
      traceReader?.close();
      snapReader?.close();
    }
  } finally {
    for (const s of sources) s.close();
  }
  return report;
}

/** Replays `reader` from power-on, then from every snapshot to the next one,
 *  each in a new machine (restoring a full snapshot into a machine that was
 *  only built costs a pass over the pages it wrote; into a used one, a pass
 *  over all its memory). */
function replayAll(reader: TraceReader, snapSources: TraceReader[], build: () => Machine | null, problem: (msg: string) => void, progress: (what: string) => void): { runs: number; events: number; stateHashes: number } {
  const last = reader.firstSeq + reader.eventCount - 1;
  const hashes = reader.stateHashes();
  const out = { runs: 0, events: 0, stateHashes: 0 };
  const run = (m: Machine, target: ReplayTarget, label: string, wantEvents: number): void => {
    const stop = m.trace.subscribe((e) => {
      if ((e.seq + 1) % REPLAY_PROGRESS_EVERY === 0) progress(`replaying ${label}: event #${e.seq + 1} of ${last + 1}`);
    });
    let r: ReplayResult;
    try {
      progress(`replaying ${label}`);
      r = new Replayer(reader).run(m, target, { useSnapshots: false });
    } catch (e) {
      problem(`replay ${label}: ${message(e)}`);
      return;
    } finally {
      stop();
    }
    out.runs++;
    out.events += r.checked;
    out.stateHashes += r.stateHashesChecked;
    const ok = target.kind === 'end' ? r.status === 'end-of-recording' : r.status === 'reached';
    const at = r.divergence?.seq;
    if (!ok) {
      // Replays from several points that diverge at one event: one line.
      if (at === undefined || !diverged.has(at)) problem(`replay ${label}: ${describeResult(r)}`);
      if (at !== undefined) diverged.add(at);
    } else if (r.checked < wantEvents) {
      problem(`replay ${label}: only ${r.checked} of ${wantEvents} events checked`);
    } else if (hashesWanted !== null && r.stateHashesChecked + (r.stateHashesNotComparable ?? 0) !== hashesWanted) {
      problem(`replay ${label}: ${r.stateHashesChecked} of the ${hashesWanted} state hashes checked`);
    }
  };
  const diverged = new Set<number>();
  let hashesWanted: number | null = hashes.length;

  const m0 = build();
  if (m0) run(m0, { kind: 'end' }, 'from power-on', reader.eventCount);
  hashesWanted = null;

  for (const src of snapSources) {
    const snaps = src.snapshots();
    const blob = (id: string): Uint8Array => {
      const s = snaps.find((x) => x.id === id);
      if (!s) throw new Error(`no snapshot ${id.slice(0, 12)}…`);
      return src.snapshotBlob(s);
    };
    for (const [i, s] of snaps.entries()) {
      if (s.afterSeq >= last) continue; // no event after it to check
      const next = snaps.find((x) => x.afterSeq > s.afterSeq);
      const label = `from snapshot ${i} of ${src.path} (after event #${s.afterSeq})`;
      const m = build();
      if (!m) break;
      try {
        restoreInto(m, src.snapshotBlob(s), blob);
      } catch (e) {
        problem(`replay ${label}: ${message(e)}`);
        continue;
      }
      const target: ReplayTarget = next ? { kind: 'event', seq: next.afterSeq } : { kind: 'end' };
      run(m, target, label, (next ? next.afterSeq : last) - s.afterSeq);
    }
  }
  return out;
}
