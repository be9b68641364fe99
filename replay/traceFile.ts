// Trace files: TraceWriter (recording) and TraceReader (replay, dump, TUI).
// Layout and record types are in format.ts; docs/trace-format.md describes
// the bytes.
//
// The writer writes straight to the final path: every chunk is written with
// fs.writeSync/writevSync as soon as it is cut, and close() appends the index
// and the footer. A recording killed half-way therefore leaves a file without
// a footer whose complete chunks are all readable: the reader notices the
// missing footer, scans the chunks from the start and reports what it
// recovered (`recovered`, `recovery`).

import { closeSync, fstatSync, openSync, readSync, writevSync } from 'node:fs';
import { TRACE_FORMAT_VERSION, TRACE_KINDS } from '../core/trace/events.js';
import type { ExceptionEvent, TraceEvent, TraceKind } from '../core/trace/events.js';
import {
  CHUNK_EVENTS,
  CHUNK_HEADER_SIZE,
  CHUNK_INDEX,
  CHUNK_KIND_NAMES,
  CHUNK_SNAPSHOT,
  FILE_FORMAT_VERSION,
  FILE_HEADER_FIXED,
  FLAG_ZSTD,
  FOOTER_SIZE,
  TraceFormatError,
  cborDecodeOne,
  cborDecodeSequence,
  cborEncode,
  cborEncodeShared,
  checkFileHeaderFixed,
  crc32c,
  decodeChunkHeader,
  decodeFileHeader,
  decodeFooter,
  decodeSnapshotPayload,
  encodeChunkHeader,
  encodeFileHeader,
  encodeFooter,
  encodeSnapshotPayload,
  eventProblem,
  isPlainObject,
  isUint,
  pickSnapshotMeta,
  recordProblem,
  snapshotMetaProblem,
  zstdCompress,
  zstdDecompressExact,
} from './format.js';
import type { ChunkHeader, ChunkKind, InputRecord, SnapshotMeta, StateHashRecord, TraceHeader, TraceHeaderInput, TraceRecord } from './format.js';

export { TraceFormatError } from './format.js';
export type { ImageDigest, InputRecord, SnapshotMeta, StateHashRecord, TraceHeader, TraceHeaderInput, TraceRecord } from './format.js';
export { formatInputRecord, formatStateHash, isInputRecord, isStateHashRecord, isTraceEvent } from './format.js';

/** What the index knows about one chunk (events or snapshot). */
export interface ChunkEntry {
  /** File offset of the chunk header. */
  offset: number;
  /** Header + payload bytes. */
  size: number;
  kind: 'events' | 'snapshot';
  /** Seq of the first event; for a chunk without events, the next event's seq. */
  firstSeq: number;
  eventCount: number;
  recordCount: number;
  /** Smallest / largest event tick in the chunk (a snapshot: its tick); null without events. */
  minTick: number | null;
  maxTick: number | null;
  /** Smallest / largest exception number `n` in the chunk; null without exceptions. */
  excMin: number | null;
  excMax: number | null;
  inputs: number;
  stateHashes: number;
  /** Events per kind (kinds with none are absent). */
  kinds: Partial<Record<TraceKind, number>>;
}

/** A snapshot in the trace: its metadata and where its chunk is. */
export interface SnapshotEntry extends SnapshotMeta {
  /** Position in `index.chunks`. */
  chunk: number;
  offset: number;
  blobSize: number;
}

export interface TraceIndex {
  /** Events and snapshot chunks in file order (the index chunk itself is not listed). */
  chunks: ChunkEntry[];
  snapshots: SnapshotEntry[];
  firstSeq: number;
  eventCount: number;
  inputCount: number;
  stateHashCount: number;
  kindCounts: Record<TraceKind, number>;
}

/** How a file without a valid footer was read. */
export interface RecoveryInfo {
  /** Why the footer was not used ("footer missing (recording did not finish)"). */
  reason: string;
  /** Complete chunks read. */
  chunks: number;
  events: number;
  /** Bytes up to the end of the last complete chunk. */
  validBytes: number;
  /** Bytes after it (an incomplete chunk, a damaged footer), ignored. */
  ignoredBytes: number;
  /** Snapshots read. */
  snapshots: number;
  /** The complete chunks include the index chunk: only the footer is missing or damaged. */
  indexRead: boolean;
  /** What the ignored bytes start with: a chunk whose header is intact but whose payload
   *  runs past the end of the file (`presentBytes` of its `chunkBytes`), bytes that are
   *  all zero (a file extended but never written), or too few bytes to tell (null). */
  tail: { incomplete: { kind: ChunkKind; eventCount: number; presentBytes: number; chunkBytes: number } } | { zeros: true } | null;
}

export interface TraceWriterOptions {
  /** Cut an events chunk after this many events (default 65536). */
  chunkEvents?: number;
  /** ... or once its uncompressed records reach this many bytes (default 4 MiB). */
  chunkBytes?: number;
  /** zstd level (default 9: on a Linux boot's events 11% smaller than level 3 for
   *  about 10% more compression time, a small part of recording; 19 is 29% smaller
   *  but 20x slower). */
  compressionLevel?: number;
}

export const DEFAULT_CHUNK_EVENTS = 65536;
export const DEFAULT_CHUNK_BYTES = 4 << 20;
export const DEFAULT_COMPRESSION_LEVEL = 9;
const INDEX_VERSION = 1;

/** Per-chunk statistics, gathered while writing and while decoding. */
export class ChunkStats {
  eventCount = 0;
  recordCount = 0;
  minTick: number | null = null;
  maxTick: number | null = null;
  excMin: number | null = null;
  excMax: number | null = null;
  inputs = 0;
  stateHashes = 0;
  kinds: Partial<Record<TraceKind, number>> = {};

  constructor(readonly firstSeq: number) {}

  addEvent(e: TraceEvent): void {
    this.eventCount++;
    this.recordCount++;
    if (this.minTick === null || e.tick < this.minTick) this.minTick = e.tick;
    if (this.maxTick === null || e.tick > this.maxTick) this.maxTick = e.tick;
    if (e.kind === 'exception') {
      if (this.excMin === null || e.n < this.excMin) this.excMin = e.n;
      if (this.excMax === null || e.n > this.excMax) this.excMax = e.n;
    }
    this.kinds[e.kind] = (this.kinds[e.kind] ?? 0) + 1;
  }

  entry(offset: number, size: number): ChunkEntry {
    return {
      offset,
      size,
      kind: 'events',
      firstSeq: this.firstSeq,
      eventCount: this.eventCount,
      recordCount: this.recordCount,
      minTick: this.minTick,
      maxTick: this.maxTick,
      excMin: this.excMin,
      excMax: this.excMax,
      inputs: this.inputs,
      stateHashes: this.stateHashes,
      kinds: orderedKinds(this.kinds),
    };
  }
}

/** The index entry of a snapshot chunk. */
export function snapshotChunkEntry(offset: number, size: number, firstSeq: number, tick: number): ChunkEntry {
  return { offset, size, kind: 'snapshot', firstSeq, eventCount: 0, recordCount: 0, minTick: tick, maxTick: tick, excMin: null, excMax: null, inputs: 0, stateHashes: 0, kinds: {} };
}

function orderedKinds(k: Partial<Record<TraceKind, number>>): Partial<Record<TraceKind, number>> {
  const out: Partial<Record<TraceKind, number>> = {};
  for (const kind of TRACE_KINDS) if (k[kind]) out[kind] = k[kind];
  return out;
}

function writeAll(fd: number, parts: Uint8Array[]): void {
  let bufs = parts.filter((p) => p.length > 0);
  while (bufs.length > 0) {
    let n = writevSync(fd, bufs);
    const rest: Uint8Array[] = [];
    for (const b of bufs) {
      if (n >= b.length) {
        n -= b.length;
        continue;
      }
      rest.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
    bufs = rest;
  }
}

export class TraceWriter {
  private fd: number | null;
  private offset: number;
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private stats: ChunkStats;
  private nextSeq: number;
  private readonly chunks: ChunkEntry[] = [];
  private readonly snaps: SnapshotEntry[] = [];
  private readonly chunkEvents: number;
  private readonly chunkBytes: number;
  private readonly level: number;
  readonly header: TraceHeader;

  private constructor(readonly path: string, fd: number, header: TraceHeader, opts: TraceWriterOptions) {
    this.fd = fd;
    this.header = header;
    this.nextSeq = header.firstSeq;
    this.stats = new ChunkStats(this.nextSeq);
    this.chunkEvents = Math.max(1, Math.floor(opts.chunkEvents ?? DEFAULT_CHUNK_EVENTS));
    this.chunkBytes = Math.max(1, Math.floor(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    this.level = opts.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
    const h = encodeFileHeader(header);
    writeAll(fd, [h]);
    this.offset = h.length;
  }

  /** Creates (or truncates) `path` and writes the file header. */
  static create(path: string, header: TraceHeaderInput, opts: TraceWriterOptions = {}): TraceWriter {
    const full: TraceHeader = {
      hvrrVersion: header.hvrrVersion,
      formatVersion: FILE_FORMAT_VERSION,
      traceFormatVersion: TRACE_FORMAT_VERSION,
      machine: header.machine,
      images: header.images.map((i) => ({ name: i.name, sha256: i.sha256, size: i.size })),
      seed: header.seed,
      stateHashInterval: header.stateHashInterval,
      snapshotInterval: header.snapshotInterval,
      firstSeq: header.firstSeq ?? 0,
    };
    for (const i of full.images) if (!/^[0-9a-f]{64}$/.test(i.sha256) || !isUint(i.size)) throw new TypeError(`TraceWriter: image '${i.name}' needs a 64-hex-digit sha256 and a size`);
    if (!isUint(full.firstSeq) || !isUint(full.stateHashInterval) || !isUint(full.snapshotInterval)) throw new TypeError('TraceWriter: firstSeq and the intervals must be non-negative integers');
    const fd = openSync(path, 'w');
    try {
      return new TraceWriter(path, fd, full, opts);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Events added so far (= the seq the next event must have, minus firstSeq). */
  get eventCount(): number {
    return this.nextSeq - this.header.firstSeq;
  }

  /** Bytes written to the file so far (pending records not included). */
  get bytesWritten(): number {
    return this.offset;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  private live(): number {
    if (this.fd === null) throw new Error('TraceWriter: already closed');
    return this.fd;
  }

  private append(record: unknown): void {
    const b = cborEncodeShared(record);
    if (this.len + b.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + b.length) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Appends a trace event; its seq must be the next one. */
  addEvent(e: TraceEvent): void {
    this.live();
    if (e.seq !== this.nextSeq) throw new RangeError(`TraceWriter: event seq ${e.seq} out of order (expected ${this.nextSeq})`);
    const problem = eventProblem(e as unknown as Record<string, unknown>);
    if (problem) throw new TypeError(`TraceWriter: event #${e.seq}: ${problem}`);
    this.append(e);
    this.stats.addEvent(e);
    this.nextSeq++;
    if (this.stats.eventCount >= this.chunkEvents || this.len >= this.chunkBytes) this.flush();
  }

  /** Appends an input record (in stream order with the events). */
  addInput(rec: InputRecord): void {
    this.live();
    const r: InputRecord = { input: rec.input, tick: rec.tick, byte: rec.byte };
    const problem = recordProblem(r);
    if (problem) throw new TypeError(`TraceWriter: ${problem}`);
    this.append(r);
    this.stats.recordCount++;
    this.stats.inputs++;
    if (this.len >= this.chunkBytes) this.flush();
  }

  /** Appends a state hash record. */
  addStateHash(rec: StateHashRecord): void {
    this.live();
    const r: StateHashRecord = { stateHash: rec.stateHash, seq: rec.seq, tick: rec.tick };
    const problem = recordProblem(r);
    if (problem) throw new TypeError(`TraceWriter: ${problem}`);
    this.append(r);
    this.stats.recordCount++;
    this.stats.stateHashes++;
    if (this.len >= this.chunkBytes) this.flush();
  }

  /** Writes the pending records, then a snapshot chunk holding `blob`
   *  (stored as is: snapshots/ compresses its own encoding). */
  addSnapshot(blob: Uint8Array, meta: SnapshotMeta): void {
    const fd = this.live();
    const problem = snapshotMetaProblem(pickSnapshotMeta(meta));
    if (problem) throw new TypeError(`TraceWriter: ${problem}`);
    this.flush();
    const payload = encodeSnapshotPayload(blob, meta);
    const header = encodeChunkHeader({
      kind: CHUNK_SNAPSHOT,
      flags: 0,
      firstSeq: this.nextSeq,
      eventCount: 0,
      recordCount: 0,
      rawLength: payload.length,
      storedLength: payload.length,
      payloadCrc: crc32c(payload),
    });
    writeAll(fd, [header, payload]);
    const size = header.length + payload.length;
    const chunk = this.chunks.length;
    this.chunks.push(snapshotChunkEntry(this.offset, size, this.nextSeq, meta.tick));
    this.snaps.push({ ...pickSnapshotMeta(meta), chunk, offset: this.offset, blobSize: blob.length });
    this.offset += size;
  }

  /** Writes the pending records as a chunk now (nothing when there are none). */
  flush(): void {
    const fd = this.live();
    if (this.stats.recordCount === 0) return;
    const raw = this.buf.subarray(0, this.len);
    const payload = zstdCompress(raw, this.level);
    const header = encodeChunkHeader({
      kind: CHUNK_EVENTS,
      flags: FLAG_ZSTD,
      firstSeq: this.stats.firstSeq,
      eventCount: this.stats.eventCount,
      recordCount: this.stats.recordCount,
      rawLength: raw.length,
      storedLength: payload.length,
      payloadCrc: crc32c(payload),
    });
    writeAll(fd, [header, payload]);
    const size = header.length + payload.length;
    this.chunks.push(this.stats.entry(this.offset, size));
    this.offset += size;
    this.len = 0;
    if (this.buf.length > 4 * this.chunkBytes && this.buf.length > 1 << 16) this.buf = new Uint8Array(1 << 16);
    this.stats = new ChunkStats(this.nextSeq);
  }

  /** Flushes, writes the index chunk and the footer, and closes the file. */
  close(): void {
    const fd = this.live();
    try {
      this.flush();
      const index = buildIndexMap(this.header.firstSeq, this.eventCount, this.chunks, this.snaps);
      const raw = cborEncode(index);
      const payload = zstdCompress(raw, this.level);
      const header = encodeChunkHeader({
        kind: CHUNK_INDEX,
        flags: FLAG_ZSTD,
        firstSeq: this.nextSeq,
        eventCount: 0,
        recordCount: 0,
        rawLength: raw.length,
        storedLength: payload.length,
        payloadCrc: crc32c(payload),
      });
      const indexOffset = this.offset;
      const footerOffset = indexOffset + header.length + payload.length;
      writeAll(fd, [header, payload, encodeFooter({ indexOffset, footerOffset })]);
      this.offset = footerOffset + FOOTER_SIZE;
    } finally {
      this.fd = null;
      closeSync(fd);
    }
  }

  /** Closes the file without index or footer (what a killed recording
   *  leaves; the reader recovers it). Pending records are dropped. */
  abandon(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}

function buildIndexMap(firstSeq: number, eventCount: number, chunks: ChunkEntry[], snaps: SnapshotEntry[]): Record<string, unknown> {
  return { v: INDEX_VERSION, firstSeq, eventCount, chunks, snapshots: snaps };
}

// ---------------------------------------------------------------------------
// Reading

export interface DecodedChunk {
  records: TraceRecord[];
  /** Position in `records` of each event (events[i] has seq firstSeq + i). */
  eventPos: number[];
}

/** Decodes and checks an events chunk's payload: every record well formed,
 *  events numbered on from the header's first seq, the header's counts. */
export function decodeEventsPayload(payload: Uint8Array, h: ChunkHeader, where: string): { decoded: DecodedChunk; stats: ChunkStats } {
  const items = cborDecodeSequence(payload, where);
  if (items.length !== h.recordCount) throw new TraceFormatError(`${where}: ${items.length} records, the chunk header says ${h.recordCount}`);
  const stats = new ChunkStats(h.firstSeq);
  const eventPos: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = items[i];
    const problem = recordProblem(r);
    if (problem) throw new TraceFormatError(`${where}: record ${i}: ${problem}`);
    const rec = r as TraceRecord;
    if ('kind' in rec) {
      const want = h.firstSeq + stats.eventCount;
      if (rec.seq !== want) throw new TraceFormatError(`${where}: record ${i} is event #${rec.seq}, expected #${want}`);
      eventPos.push(i);
      stats.addEvent(rec);
    } else {
      stats.recordCount++;
      if ('input' in rec) stats.inputs++;
      else stats.stateHashes++;
    }
  }
  if (stats.eventCount !== h.eventCount) throw new TraceFormatError(`${where}: ${stats.eventCount} events, the chunk header says ${h.eventCount}`);
  return { decoded: { records: items as TraceRecord[], eventPos }, stats };
}

function nullableUint(x: unknown): x is number | null {
  return x === null || isUint(x);
}

/** The index chunk's CBOR, checked field by field. */
export function parseIndexMap(m: unknown, where: string): { firstSeq: number; eventCount: number; chunks: ChunkEntry[]; snapshots: SnapshotEntry[] } {
  const bad = (what: string): never => {
    throw new TraceFormatError(`${where}: ${what}`);
  };
  if (!isPlainObject(m)) return bad('index is not a map');
  if (m.v !== INDEX_VERSION) return bad(`unsupported index version ${String(m.v)}`);
  if (!isUint(m.firstSeq) || !isUint(m.eventCount)) return bad('bad firstSeq/eventCount');
  if (!Array.isArray(m.chunks) || !Array.isArray(m.snapshots)) return bad('chunks/snapshots are not arrays');
  const chunks: ChunkEntry[] = [];
  for (const [i, c] of (m.chunks as unknown[]).entries()) {
    if (
      !isPlainObject(c) ||
      !isUint(c.offset) ||
      !isUint(c.size) ||
      (c.kind !== 'events' && c.kind !== 'snapshot') ||
      !isUint(c.firstSeq) ||
      !isUint(c.eventCount) ||
      !isUint(c.recordCount) ||
      !nullableUint(c.minTick) ||
      !nullableUint(c.maxTick) ||
      !nullableUint(c.excMin) ||
      !nullableUint(c.excMax) ||
      !isUint(c.inputs) ||
      !isUint(c.stateHashes) ||
      !isPlainObject(c.kinds)
    ) {
      return bad(`malformed entry for chunk ${i}`);
    }
    const kinds: Partial<Record<TraceKind, number>> = {};
    for (const [k, n] of Object.entries(c.kinds)) {
      if (!(TRACE_KINDS as readonly string[]).includes(k) || !isUint(n)) return bad(`malformed kind counts for chunk ${i}`);
      kinds[k as TraceKind] = n;
    }
    chunks.push({
      offset: c.offset,
      size: c.size,
      kind: c.kind,
      firstSeq: c.firstSeq,
      eventCount: c.eventCount,
      recordCount: c.recordCount,
      minTick: c.minTick,
      maxTick: c.maxTick,
      excMin: c.excMin,
      excMax: c.excMax,
      inputs: c.inputs,
      stateHashes: c.stateHashes,
      kinds: orderedKinds(kinds),
    });
  }
  const snapshots: SnapshotEntry[] = [];
  for (const [i, s] of (m.snapshots as unknown[]).entries()) {
    const problem = snapshotMetaProblem(isPlainObject(s) ? { id: s.id, baseId: s.baseId, afterSeq: s.afterSeq, tick: s.tick, instructions: s.instructions, exceptions: s.exceptions } : s);
    if (problem || !isPlainObject(s) || !isUint(s.chunk) || !isUint(s.offset) || !isUint(s.blobSize)) return bad(`malformed snapshot entry ${i}${problem ? `: ${problem}` : ''}`);
    snapshots.push({ ...pickSnapshotMeta(s as unknown as SnapshotMeta), chunk: s.chunk, offset: s.offset, blobSize: s.blobSize });
  }
  return { firstSeq: m.firstSeq, eventCount: m.eventCount, chunks, snapshots };
}

/** Why an index does not describe the file, or null: its chunks must tile
 *  the area between the file header (ending at `dataStart`) and the index
 *  chunk at `indexOffset`, with consecutive event numbers from `firstSeq` up to
 *  the index chunk header's `indexFirstSeq`, and its snapshot entries must
 *  point to snapshot chunks. */
export function indexLayoutProblem(m: ReturnType<typeof parseIndexMap>, dataStart: number, firstSeq: number, indexOffset: number, indexFirstSeq: number): string | null {
  let pos = dataStart;
  let seq = firstSeq;
  if (m.firstSeq !== seq) return `index starts at seq ${m.firstSeq}, the header says ${seq}`;
  for (const [i, c] of m.chunks.entries()) {
    if (c.offset !== pos || c.size < CHUNK_HEADER_SIZE) return `chunk ${i} offset ${c.offset} out of bounds (expected ${pos})`;
    if (c.firstSeq !== seq) return `chunk ${i} starts at seq ${c.firstSeq}, expected ${seq}`;
    if (c.kind === 'snapshot' && (c.eventCount !== 0 || c.recordCount !== 0)) return `snapshot chunk ${i} with records`;
    pos += c.size;
    seq += c.eventCount;
    if (pos > indexOffset) return `chunk ${i} extends past the index (offset ${c.offset}, ${c.size} bytes)`;
  }
  if (pos !== indexOffset) return `the indexed chunks end at offset ${pos}, not at the index`;
  if (seq - m.firstSeq !== m.eventCount) return `event count ${m.eventCount} does not match the chunks (${seq - m.firstSeq})`;
  if (indexFirstSeq !== seq) return `index chunk header says seq ${indexFirstSeq}, the chunks end at ${seq}`;
  for (const [i, sn] of m.snapshots.entries()) {
    const c = m.chunks[sn.chunk];
    if (!c || c.kind !== 'snapshot' || c.offset !== sn.offset) return `snapshot entry ${i} points to chunk ${sn.chunk}, which is not that snapshot`;
  }
  return null;
}

/** Do two entries of one chunk agree on its statistics? */
export function statsMatch(a: ChunkEntry, b: ChunkEntry): boolean {
  if (
    a.eventCount !== b.eventCount ||
    a.recordCount !== b.recordCount ||
    a.minTick !== b.minTick ||
    a.maxTick !== b.maxTick ||
    a.excMin !== b.excMin ||
    a.excMax !== b.excMax ||
    a.inputs !== b.inputs ||
    a.stateHashes !== b.stateHashes
  ) {
    return false;
  }
  for (const k of TRACE_KINDS) if ((a.kinds[k] ?? 0) !== (b.kinds[k] ?? 0)) return false;
  return true;
}

function ioMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EISDIR'
      ? 'is a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOTDIR'
          ? 'a component of the path is not a directory'
          : e instanceof Error
            ? e.message
            : String(e);
}

export interface SeekResult {
  seq: number;
  /** Position in `index.chunks`. */
  chunk: number;
}

export class TraceReader {
  readonly header: TraceHeader;
  readonly index: TraceIndex;
  /** True when the footer or index was missing or unusable and the chunks were scanned. */
  readonly recovered: boolean;
  readonly recovery: RecoveryInfo | null;
  readonly fileSize: number;
  private fd: number | null;
  private readonly dataStart: number;
  /** Positions in index.chunks of the events chunks, in order. */
  private readonly eventChunks: number[];
  private cache = new Map<number, DecodedChunk>();

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (e) {
      throw new TraceFormatError(`cannot read '${path}': ${ioMessage(e)}`);
    }
    this.fileSize = size;
    const fixed = this.read(0, Math.min(FILE_HEADER_FIXED, size));
    const len = checkFileHeaderFixed(fixed, size);
    this.header = decodeFileHeader(fixed, this.read(FILE_HEADER_FIXED, len));
    this.dataStart = FILE_HEADER_FIXED + len;

    let reason: string;
    if (size - this.dataStart >= CHUNK_HEADER_SIZE + FOOTER_SIZE) {
      const footer = decodeFooter(this.read(size - FOOTER_SIZE, FOOTER_SIZE), size - FOOTER_SIZE);
      if (typeof footer !== 'string') {
        this.index = this.loadIndex(footer.indexOffset, footer.footerOffset);
        this.recovered = false;
        this.recovery = null;
        this.eventChunks = this.index.chunks.flatMap((c, i) => (c.kind === 'events' ? [i] : []));
        return;
      }
      reason = footer;
    } else {
      reason = 'footer missing (recording did not finish)';
    }
    const { index, recovery } = this.scan(reason);
    this.index = index;
    this.recovery = recovery;
    this.recovered = true;
    this.eventChunks = this.index.chunks.flatMap((c, i) => (c.kind === 'events' ? [i] : []));
  }

  /** Opens a trace file and reads its header and index (or recovers the
   *  index by scanning when the footer is missing). Throws TraceFormatError
   *  for malformed files and I/O errors. */
  static open(path: string): TraceReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new TraceFormatError(`cannot read '${path}': ${ioMessage(e)}`);
    }
    try {
      return new TraceReader(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.cache.clear();
  }

  get firstSeq(): number {
    return this.index.firstSeq;
  }

  /** Number of events in the file. */
  get eventCount(): number {
    return this.index.eventCount;
  }

  private read(offset: number, length: number): Uint8Array {
    if (this.fd === null) throw new Error('TraceReader: closed');
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      let n: number;
      try {
        n = readSync(this.fd, out, got, length - got, offset + got);
      } catch (e) {
        throw new TraceFormatError(`cannot read '${this.path}' at offset ${offset + got}: ${ioMessage(e)}`);
      }
      if (n === 0) throw new TraceFormatError(`unexpected end of file at offset ${offset + got} (file changed while reading?)`);
      got += n;
    }
    return out;
  }

  /** Reads a chunk at `offset`, checks header and payload checksums and
   *  returns the (decompressed) payload. */
  private readChunk(offset: number, where: string): { h: ChunkHeader; payload: Uint8Array } {
    if (offset + CHUNK_HEADER_SIZE > this.fileSize) throw new TraceFormatError(`${where}: chunk header past the end of the file`);
    const h = decodeChunkHeader(this.read(offset, CHUNK_HEADER_SIZE), where);
    if (offset + CHUNK_HEADER_SIZE + h.storedLength > this.fileSize) throw new TraceFormatError(`${where}: chunk payload past the end of the file`);
    const stored = this.read(offset + CHUNK_HEADER_SIZE, h.storedLength);
    if (crc32c(stored) !== h.payloadCrc) throw new TraceFormatError(`${where}: chunk payload checksum mismatch (corrupt)`);
    const payload = h.flags & FLAG_ZSTD ? zstdDecompressExact(stored, h.rawLength, where) : stored;
    return { h, payload };
  }

  private loadIndex(indexOffset: number, footerOffset: number): TraceIndex {
    const where = `index chunk at offset ${indexOffset}`;
    if (indexOffset < this.dataStart || indexOffset + CHUNK_HEADER_SIZE > footerOffset) throw new TraceFormatError(`footer points to an index at offset ${indexOffset}, outside the chunk area (${this.dataStart}..${footerOffset})`);
    const { h, payload } = this.readChunk(indexOffset, where);
    if (h.kind !== CHUNK_INDEX) throw new TraceFormatError(`${where}: footer points to a ${CHUNK_KIND_NAMES[h.kind]} chunk, not the index`);
    if (indexOffset + CHUNK_HEADER_SIZE + h.storedLength !== footerOffset) throw new TraceFormatError(`${where}: index chunk does not end at the footer`);
    const m = parseIndexMap(cborDecodeOne(payload, where), where);
    const problem = indexLayoutProblem(m, this.dataStart, this.header.firstSeq, indexOffset, h.firstSeq);
    if (problem) throw new TraceFormatError(`${where}: ${problem}`);
    return this.summarise(m.chunks, m.snapshots, m.firstSeq);
  }

  private summarise(chunks: ChunkEntry[], snapshots: SnapshotEntry[], firstSeq: number): TraceIndex {
    const kindCounts = {} as Record<TraceKind, number>;
    for (const k of TRACE_KINDS) kindCounts[k] = 0;
    let eventCount = 0;
    let inputCount = 0;
    let stateHashCount = 0;
    for (const c of chunks) {
      eventCount += c.eventCount;
      inputCount += c.inputs;
      stateHashCount += c.stateHashes;
      for (const k of TRACE_KINDS) kindCounts[k] += c.kinds[k] ?? 0;
    }
    return { chunks, snapshots, firstSeq, eventCount, inputCount, stateHashCount, kindCounts };
  }

  /** Reads the chunks forward from the start (no usable footer). */
  private scan(reason: string): { index: TraceIndex; recovery: RecoveryInfo } {
    const chunks: ChunkEntry[] = [];
    const snapshots: SnapshotEntry[] = [];
    let pos = this.dataStart;
    let seq = this.header.firstSeq;
    let sawIndex = false;
    let tail: RecoveryInfo['tail'] = null;
    for (;;) {
      const remaining = this.fileSize - pos;
      if (remaining < CHUNK_HEADER_SIZE) break; // nothing, a partial chunk header or a damaged footer
      const where = `chunk ${chunks.length} at offset ${pos}`;
      let h: ChunkHeader;
      try {
        h = decodeChunkHeader(this.read(pos, CHUNK_HEADER_SIZE), where);
      } catch (e) {
        // A crash of the machine (not of the process) can leave the file
        // extended with zeros that were never written: that is a tail too.
        if (e instanceof TraceFormatError && this.allZero(pos)) {
          tail = { zeros: true };
          break;
        }
        throw e;
      }
      if (CHUNK_HEADER_SIZE + h.storedLength > remaining) {
        // The chunk being written when the recording stopped (or where the file was cut).
        tail = { incomplete: { kind: CHUNK_KIND_NAMES[h.kind]!, eventCount: h.eventCount, presentBytes: remaining, chunkBytes: CHUNK_HEADER_SIZE + h.storedLength } };
        break;
      }
      if (sawIndex) throw new TraceFormatError(`${where}: chunk after the index chunk`);
      if (h.firstSeq !== seq) throw new TraceFormatError(`${where}: chunk starts at seq ${h.firstSeq}, expected ${seq}`);
      const size = CHUNK_HEADER_SIZE + h.storedLength;
      if (h.kind === CHUNK_INDEX) {
        this.readChunk(pos, where); // checksums only: its content is not trusted without the footer
        sawIndex = true;
      } else if (h.kind === CHUNK_SNAPSHOT) {
        const { payload } = this.readChunk(pos, where);
        const { meta, blobOffset } = decodeSnapshotPayload(payload, where);
        snapshots.push({ ...meta, chunk: chunks.length, offset: pos, blobSize: payload.length - blobOffset });
        chunks.push(snapshotChunkEntry(pos, size, seq, meta.tick));
      } else {
        const { payload } = this.readChunk(pos, where);
        const { decoded, stats } = decodeEventsPayload(payload, h, where);
        const entry = stats.entry(pos, size);
        this.remember(chunks.length, decoded);
        chunks.push(entry);
        seq += h.eventCount;
      }
      pos += size;
    }
    const index = this.summarise(chunks, snapshots, this.header.firstSeq);
    return {
      index,
      recovery: { reason, chunks: chunks.length, events: index.eventCount, validBytes: pos, ignoredBytes: this.fileSize - pos, snapshots: snapshots.length, indexRead: sawIndex, tail },
    };
  }

  /** Are all bytes from `pos` to the end of the file zero? */
  private allZero(pos: number): boolean {
    for (let at = pos; at < this.fileSize; ) {
      const n = Math.min(1 << 20, this.fileSize - at);
      const b = this.read(at, n);
      for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
      at += n;
    }
    return true;
  }

  private remember(i: number, d: DecodedChunk): void {
    this.cache.delete(i);
    this.cache.set(i, d);
    while (this.cache.size > 4) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
  }

  /** The decoded records of events chunk `i` (position in index.chunks). */
  chunkRecords(i: number): readonly TraceRecord[] {
    return this.decoded(i).records;
  }

  private decoded(i: number): DecodedChunk {
    const hit = this.cache.get(i);
    if (hit) {
      this.remember(i, hit);
      return hit;
    }
    const c = this.index.chunks[i];
    if (!c || c.kind !== 'events') throw new RangeError(`TraceReader: chunk ${i} is not an events chunk`);
    const where = `chunk ${i} at offset ${c.offset}`;
    const { h, payload } = this.readChunk(c.offset, where);
    if (h.kind !== CHUNK_EVENTS || h.firstSeq !== c.firstSeq || h.eventCount !== c.eventCount || h.recordCount !== c.recordCount || CHUNK_HEADER_SIZE + h.storedLength !== c.size) {
      throw new TraceFormatError(`${where}: chunk header does not match the index`);
    }
    const { decoded, stats } = decodeEventsPayload(payload, h, where);
    if (!statsMatch(stats.entry(c.offset, c.size), c)) throw new TraceFormatError(`${where}: chunk contents do not match the index`);
    this.remember(i, decoded);
    return decoded;
  }

  /** Position in `eventChunks` of the events chunk holding event `seq`, or -1. */
  private eventChunkOf(seq: number): number {
    let lo = 0;
    let hi = this.eventChunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.index.chunks[this.eventChunks[mid]!]!;
      if (seq < c.firstSeq) hi = mid - 1;
      else if (seq >= c.firstSeq + c.eventCount) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Every record from event `fromSeq` on, in file order: events, inputs and
   * state hashes. Non-event records written after event fromSeq-1 (and
   * before fromSeq) are included. Without `fromSeq`, the whole stream.
   */
  *events(fromSeq?: number): Generator<TraceRecord> {
    let k = 0;
    let skipThrough = -1; // record position in chunk eventChunks[k] to start after
    if (fromSeq !== undefined && fromSeq > this.firstSeq) {
      if (fromSeq > this.firstSeq + this.eventCount) return;
      const before = fromSeq - 1;
      k = this.eventChunkOf(before);
      if (k < 0) return;
      const d = this.decoded(this.eventChunks[k]!);
      skipThrough = d.eventPos[before - this.index.chunks[this.eventChunks[k]!]!.firstSeq]!;
      // A chunk may end with non-event records, so event fromSeq-1 being the
      // last event of its chunk still leaves records to yield from it.
    }
    for (; k < this.eventChunks.length; k++) {
      const recs = this.decoded(this.eventChunks[k]!).records;
      for (let i = skipThrough + 1; i < recs.length; i++) yield recs[i]!;
      skipThrough = -1;
    }
  }

  /** Events (only) with fromSeq <= seq < toSeq, optionally of the given kinds;
   *  chunks without a wanted kind are skipped without decompressing them. */
  *eventsInRange(fromSeq: number, toSeq: number = Number.MAX_SAFE_INTEGER, kinds?: readonly TraceKind[]): Generator<TraceEvent> {
    const want = kinds ? new Set<string>(kinds) : null;
    let k = Math.max(0, this.eventChunkOf(Math.max(fromSeq, this.firstSeq)));
    if (fromSeq >= this.firstSeq + this.eventCount) return;
    for (; k < this.eventChunks.length; k++) {
      const ci = this.eventChunks[k]!;
      const c = this.index.chunks[ci]!;
      if (c.firstSeq >= toSeq) return;
      if (c.eventCount === 0 || c.firstSeq + c.eventCount <= fromSeq) continue;
      if (want && !kinds!.some((kind) => (c.kinds[kind] ?? 0) > 0)) continue;
      const d = this.decoded(ci);
      const start = Math.max(0, fromSeq - c.firstSeq);
      const end = Math.min(c.eventCount, toSeq - c.firstSeq);
      for (let j = start; j < end; j++) {
        const e = d.records[d.eventPos[j]!] as TraceEvent;
        if (!want || want.has(e.kind)) yield e;
      }
    }
  }

  /** The event with this seq, or undefined when the file does not hold it. */
  event(seq: number): TraceEvent | undefined {
    const k = this.eventChunkOf(seq);
    if (k < 0) return undefined;
    const ci = this.eventChunks[k]!;
    const d = this.decoded(ci);
    return d.records[d.eventPos[seq - this.index.chunks[ci]!.firstSeq]!] as TraceEvent;
  }

  /** Where exception number `n` is (decompresses only chunks whose exception range covers n). */
  findException(n: number): (SeekResult & { event: ExceptionEvent }) | undefined {
    for (const ci of this.eventChunks) {
      const c = this.index.chunks[ci]!;
      if (c.excMin === null || c.excMax === null || n < c.excMin || n > c.excMax) continue;
      const d = this.decoded(ci);
      for (const p of d.eventPos) {
        const e = d.records[p] as TraceEvent;
        if (e.kind === 'exception' && e.n === n) return { seq: e.seq, chunk: ci, event: e };
      }
    }
    return undefined;
  }

  /** The first event (in seq order) whose tick is >= `tick`. */
  findTick(tick: number): (SeekResult & { event: TraceEvent }) | undefined {
    for (const ci of this.eventChunks) {
      const c = this.index.chunks[ci]!;
      if (c.maxTick === null || c.maxTick < tick) continue;
      const d = this.decoded(ci);
      for (const p of d.eventPos) {
        const e = d.records[p] as TraceEvent;
        if (e.tick >= tick) return { seq: e.seq, chunk: ci, event: e };
      }
    }
    return undefined;
  }

  /** Where event `seq` is. */
  findSeq(seq: number): SeekResult | undefined {
    const k = this.eventChunkOf(seq);
    return k < 0 ? undefined : { seq, chunk: this.eventChunks[k]! };
  }

  /** Every input record, in order (only chunks holding inputs are read). */
  inputs(): InputRecord[] {
    const out: InputRecord[] = [];
    for (const ci of this.eventChunks) {
      if (this.index.chunks[ci]!.inputs === 0) continue;
      for (const r of this.decoded(ci).records) if ('input' in r) out.push(r);
    }
    return out;
  }

  /** Every state hash record, in order. */
  stateHashes(): StateHashRecord[] {
    const out: StateHashRecord[] = [];
    for (const ci of this.eventChunks) {
      if (this.index.chunks[ci]!.stateHashes === 0) continue;
      for (const r of this.decoded(ci).records) if ('stateHash' in r) out.push(r);
    }
    return out;
  }

  snapshots(): SnapshotEntry[] {
    return this.index.snapshots.slice();
  }

  /** The latest snapshot from which event `seq` can be reached (afterSeq < seq). */
  snapshotBefore(seq: number): SnapshotEntry | undefined {
    let best: SnapshotEntry | undefined;
    for (const s of this.index.snapshots) if (s.afterSeq < seq && (!best || s.afterSeq >= best.afterSeq)) best = s;
    return best;
  }

  /** The opaque snapshot blob (checksum-verified). */
  snapshotBlob(entry: SnapshotEntry): Uint8Array {
    const c = this.index.chunks[entry.chunk];
    if (!c || c.kind !== 'snapshot' || c.offset !== entry.offset) throw new RangeError(`TraceReader: not a snapshot of this trace (chunk ${entry.chunk})`);
    const where = `snapshot chunk ${entry.chunk} at offset ${c.offset}`;
    const { h, payload } = this.readChunk(c.offset, where);
    if (h.kind !== CHUNK_SNAPSHOT || CHUNK_HEADER_SIZE + h.storedLength !== c.size || h.firstSeq !== c.firstSeq) throw new TraceFormatError(`${where}: chunk header does not match the index`);
    const { meta, blobOffset } = decodeSnapshotPayload(payload, where);
    if (meta.id !== entry.id || meta.afterSeq !== entry.afterSeq || meta.tick !== entry.tick || payload.length - blobOffset !== entry.blobSize) {
      throw new TraceFormatError(`${where}: snapshot metadata does not match the index`);
    }
    return payload.subarray(blobOffset);
  }

  /** Every record written after the snapshot (what a replay restored from it must feed). */
  *recordsAfterSnapshot(entry: SnapshotEntry): Generator<TraceRecord> {
    for (const ci of this.eventChunks) {
      if (ci < entry.chunk) continue;
      yield* this.decoded(ci).records;
    }
  }
}
