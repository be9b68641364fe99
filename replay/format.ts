// The hvrr trace file format: byte layouts, checksums, record types and their
// validation (docs/trace-format.md is the byte-by-byte description; keep the
// two in step). traceFile.ts builds the writer and the reader on top.
//
// Everything here is pure: no file access, no wall time.

import { Encoder, decodeMultiple } from 'cbor-x';
import { createRequire } from 'node:module';
import { compress } from 'zstd-napi';
import { NO_CPU, TRACE_FORMAT_OLDEST, TRACE_FORMAT_VERSION, TRACE_KINDS } from '../core/trace/events.js';
import type { TraceEvent, TraceKind } from '../core/trace/events.js';

// zstd-napi's high-level decompress() trusts the frame's content size (and
// streams when it is absent); the low-level context decompresses into a
// buffer of the size the chunk header promises and fails if it does not fit,
// so a corrupt or crafted frame can never allocate more than the header says.
const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');

/** File format version (the layout in this file). */
export const FILE_FORMAT_VERSION = 1;
/** "\x89HVRR\r\n\x1a": a non-ASCII first byte, then the name, then bytes that
 *  text-mode conversions and `type` on Windows would mangle (as PNG does). */
export const FILE_MAGIC: readonly number[] = [0x89, 0x48, 0x56, 0x52, 0x52, 0x0d, 0x0a, 0x1a];
/** Fixed part of the file header: magic(8) version(4) cborLength(4) crc(4). */
export const FILE_HEADER_FIXED = 20;
/** Chunk magic "HVCK" as stored (little-endian u32 of the four ASCII bytes). */
export const CHUNK_MAGIC = 0x4b435648;
export const CHUNK_HEADER_SIZE = 40;
/** Footer magic "HVFT". */
export const FOOTER_MAGIC = 0x54465648;
/** Smaller than a chunk header, so a damaged footer at the end of a scan is
 *  never mistaken for a chunk. */
export const FOOTER_SIZE = 32;

export const CHUNK_EVENTS = 1;
export const CHUNK_SNAPSHOT = 2;
export const CHUNK_INDEX = 3;
export type ChunkKind = 'events' | 'snapshot' | 'index';
export const CHUNK_KIND_NAMES: Record<number, ChunkKind> = { [CHUNK_EVENTS]: 'events', [CHUNK_SNAPSHOT]: 'snapshot', [CHUNK_INDEX]: 'index' };

/** Chunk flag bit 0: the payload is one zstd frame. */
export const FLAG_ZSTD = 1;
const KNOWN_FLAGS = FLAG_ZSTD;

/** Largest header CBOR map the reader accepts. */
export const MAX_HEADER_BYTES = 16 << 20;
/** Largest chunk payload (stored or uncompressed) the reader accepts. */
export const MAX_CHUNK_BYTES = 1 << 30;

/** Every malformed trace file: one line naming the problem (and, for a
 *  chunk, its number and file offset). I/O failures opening a trace are
 *  reported with it too, so a caller has one error type to catch. */
export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

// ---- CRC32C (Castagnoli, reflected polynomial 0x82f63b78), slice-by-8 ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/** CRC32C of `data`, continuing from `crc` (the value of a previous call). */
export function crc32c(data: Uint8Array, crc = 0): number {
  const t = CRC_TABLE;
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + (hi & 0xff)]! ^
      t[2 * 256 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[(hi >>> 24) & 0xff]!;
    i += 8;
  }
  while (i < n) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// ---- little-endian helpers ----

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A u64 that must be a safe integer; null when it is not. */
function getU64(v: DataView, off: number): number | null {
  const lo = v.getUint32(off, true);
  const hi = v.getUint32(off + 4, true);
  if (hi > 0x1fffff) return null;
  return hi * 0x1_0000_0000 + lo;
}

function setU64(v: DataView, off: number, n: number): void {
  v.setUint32(off, n % 0x1_0000_0000, true);
  v.setUint32(off + 4, Math.floor(n / 0x1_0000_0000), true);
}

// ---- CBOR ----

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, useFloat32: 0 } as ConstructorParameters<typeof Encoder>[0]);

/** One CBOR data item; the result is a copy (cbor-x reuses its buffer). */
export function cborEncode(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(cbor.encode(value));
}

/** Encode into cbor-x's shared buffer: valid only until the next encode. */
export function cborEncodeShared(value: unknown): Uint8Array {
  return cbor.encode(value) as Uint8Array;
}

/** Decode a CBOR sequence (RFC 8742); `where` names the data in errors. */
export function cborDecodeSequence(bytes: Uint8Array, where: string): unknown[] {
  try {
    return bytes.length === 0 ? [] : (decodeMultiple(bytes) as unknown[]);
  } catch (e) {
    throw new TraceFormatError(`${where}: malformed CBOR (${oneLine(e)})`);
  }
}

/** Decode exactly one CBOR data item. */
export function cborDecodeOne(bytes: Uint8Array, where: string): unknown {
  const items = cborDecodeSequence(bytes, where);
  if (items.length !== 1) throw new TraceFormatError(`${where}: expected one CBOR item, found ${items.length}`);
  return items[0];
}

function oneLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.replace(/\s*\n\s*/g, ' ').trim().slice(0, 200);
}

// ---- zstd ----

export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  return compress(data, { compressionLevel: level });
}

const dctx = new DCtx();

/** Decompress one zstd frame that must expand to exactly `length` bytes. */
export function zstdDecompressExact(data: Uint8Array, length: number, where: string): Uint8Array {
  const out = Buffer.allocUnsafe(length);
  let n: number;
  try {
    n = dctx.decompress(out, data);
  } catch (e) {
    throw new TraceFormatError(`${where}: bad zstd data (${oneLine(e)})`);
  }
  if (n !== length) throw new TraceFormatError(`${where}: zstd data expands to ${n} bytes, the chunk header says ${length}`);
  return out;
}

// ---- file header ----

/** An input file the run depends on, identified by content. */
export interface ImageDigest {
  name: string;
  /** 64 lower-case hex digits. */
  sha256: string;
  size: number;
}

/** What the recorder supplies. */
export interface TraceHeaderInput {
  hvrrVersion: string;
  /** The machine configuration, opaque to the file format: any CBOR-able
   *  plain object (numCpus, ramBytes, seed as a string, quantum, scenario,
   *  CLI options, ...). */
  machine: Record<string, unknown>;
  images: ImageDigest[];
  /** Machine PRNG seed, decimal or 0x hex text (64-bit values do not fit a number). */
  seed: string;
  /** Events between two state-hash records (0: none). */
  stateHashInterval: number;
  /** Events between two snapshots (0: none). */
  snapshotInterval: number;
  /** Seq of the first event the file holds (default 0). */
  firstSeq?: number;
}

export interface TraceHeader extends Required<TraceHeaderInput> {
  /** File layout version (FILE_FORMAT_VERSION). */
  formatVersion: number;
  /** Event schema / rendering version (TRACE_FORMAT_VERSION of events.ts). */
  traceFormatVersion: number;
}

export function encodeFileHeader(h: TraceHeader): Uint8Array {
  const map = {
    hvrr: h.hvrrVersion,
    formatVersion: h.formatVersion,
    traceFormatVersion: h.traceFormatVersion,
    machine: h.machine,
    images: h.images.map((i) => ({ name: i.name, sha256: i.sha256, size: i.size })),
    seed: h.seed,
    stateHashInterval: h.stateHashInterval,
    snapshotInterval: h.snapshotInterval,
    firstSeq: h.firstSeq,
  };
  const body = cborEncode(map);
  if (body.length > MAX_HEADER_BYTES) throw new RangeError(`trace header too large (${body.length} bytes)`);
  const out = new Uint8Array(FILE_HEADER_FIXED + body.length);
  out.set(FILE_MAGIC, 0);
  const v = view(out);
  v.setUint32(8, FILE_FORMAT_VERSION, true);
  v.setUint32(12, body.length, true);
  out.set(body, FILE_HEADER_FIXED);
  v.setUint32(16, crc32c(body, crc32c(out.subarray(0, 16))), true);
  return out;
}

/** Checks the fixed part; returns the CBOR length. `avail` = file size. */
export function checkFileHeaderFixed(fixed: Uint8Array, fileSize: number): number {
  if (fixed.length < FILE_HEADER_FIXED) {
    if (fixed.length === 0) throw new TraceFormatError('empty file (not an hvrr trace)');
    if (!FILE_MAGIC.slice(0, Math.min(8, fixed.length)).every((b, i) => fixed[i] === b)) throw new TraceFormatError('not an hvrr trace file (bad magic)');
    throw new TraceFormatError(`truncated file header (${fixed.length} of ${FILE_HEADER_FIXED} bytes)`);
  }
  if (!FILE_MAGIC.every((b, i) => fixed[i] === b)) throw new TraceFormatError('not an hvrr trace file (bad magic)');
  const v = view(fixed);
  const version = v.getUint32(8, true);
  if (version !== FILE_FORMAT_VERSION) throw new TraceFormatError(`unsupported trace file format version ${version} (this hvrr reads version ${FILE_FORMAT_VERSION})`);
  const len = v.getUint32(12, true);
  if (len > MAX_HEADER_BYTES) throw new TraceFormatError(`file header claims ${len} bytes of CBOR (at most ${MAX_HEADER_BYTES})`);
  if (FILE_HEADER_FIXED + len > fileSize) throw new TraceFormatError(`truncated file header (${fileSize} bytes, the header needs ${FILE_HEADER_FIXED + len})`);
  return len;
}

export function decodeFileHeader(fixed: Uint8Array, body: Uint8Array): TraceHeader {
  const want = view(fixed).getUint32(16, true);
  if (crc32c(body, crc32c(fixed.subarray(0, 16))) !== want) throw new TraceFormatError('file header checksum mismatch (corrupt header)');
  const m = cborDecodeOne(body, 'file header');
  const bad = (what: string): never => {
    throw new TraceFormatError(`file header: ${what}`);
  };
  if (!isPlainObject(m)) return bad('not a CBOR map');
  const hvrr = m.hvrr;
  if (typeof hvrr !== 'string') return bad("'hvrr' (version) is not a string");
  if (m.formatVersion !== FILE_FORMAT_VERSION) return bad(`format version ${String(m.formatVersion)} does not match the file's ${FILE_FORMAT_VERSION}`);
  const tfv = m.traceFormatVersion;
  if (!isUint(tfv)) return bad("'traceFormatVersion' is not a non-negative integer");
  // Version 1 events are version 2 events of the Non-secure world (no `world` field), version 2 'ffa'
  // events version 3 ones without the decoded fields: read as they are.
  if (tfv < TRACE_FORMAT_OLDEST || tfv > TRACE_FORMAT_VERSION) throw new TraceFormatError(`unsupported trace event format version ${tfv} (this hvrr reads versions ${TRACE_FORMAT_OLDEST} to ${TRACE_FORMAT_VERSION})`);
  if (!isPlainObject(m.machine)) return bad("'machine' is not a map");
  if (!Array.isArray(m.images)) return bad("'images' is not an array");
  const images: ImageDigest[] = [];
  for (const [i, img] of (m.images as unknown[]).entries()) {
    if (!isPlainObject(img) || typeof img.name !== 'string' || typeof img.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(img.sha256) || !isUint(img.size)) {
      return bad(`image ${i} is not {name, sha256 (64 hex digits), size}`);
    }
    images.push({ name: img.name, sha256: img.sha256, size: img.size });
  }
  if (typeof m.seed !== 'string') return bad("'seed' is not a string");
  if (!isUint(m.stateHashInterval)) return bad("'stateHashInterval' is not a non-negative integer");
  if (!isUint(m.snapshotInterval)) return bad("'snapshotInterval' is not a non-negative integer");
  if (!isUint(m.firstSeq)) return bad("'firstSeq' is not a non-negative integer");
  return {
    hvrrVersion: hvrr,
    formatVersion: FILE_FORMAT_VERSION,
    traceFormatVersion: tfv,
    machine: m.machine,
    images,
    seed: m.seed,
    stateHashInterval: m.stateHashInterval,
    snapshotInterval: m.snapshotInterval,
    firstSeq: m.firstSeq,
  };
}

// ---- chunk header ----

export interface ChunkHeader {
  kind: number;
  flags: number;
  /** Seq of the first event in the chunk; for chunks without events, the seq
   *  the next event will have. */
  firstSeq: number;
  eventCount: number;
  recordCount: number;
  /** Payload length after decompression (= storedLength when not compressed). */
  rawLength: number;
  /** Payload bytes in the file. */
  storedLength: number;
  payloadCrc: number;
}

export function encodeChunkHeader(h: ChunkHeader): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_SIZE);
  const v = view(out);
  v.setUint32(0, CHUNK_MAGIC, true);
  v.setUint8(4, h.kind);
  v.setUint8(5, h.flags);
  v.setUint16(6, 0, true);
  setU64(v, 8, h.firstSeq);
  v.setUint32(16, h.eventCount, true);
  v.setUint32(20, h.recordCount, true);
  v.setUint32(24, h.rawLength, true);
  v.setUint32(28, h.storedLength, true);
  v.setUint32(32, h.payloadCrc, true);
  v.setUint32(36, crc32c(out.subarray(0, 36)), true);
  return out;
}

/** Parses and checks a complete 40-byte chunk header. `where` names the
 *  chunk ("chunk 3 at offset 1234"). */
export function decodeChunkHeader(b: Uint8Array, where: string): ChunkHeader {
  const v = view(b);
  if (v.getUint32(0, true) !== CHUNK_MAGIC) throw new TraceFormatError(`${where}: bad chunk magic (corrupt or not a chunk boundary)`);
  if (v.getUint32(36, true) !== crc32c(b.subarray(0, 36))) throw new TraceFormatError(`${where}: chunk header checksum mismatch (corrupt)`);
  const kind = v.getUint8(4);
  const flags = v.getUint8(5);
  if (CHUNK_KIND_NAMES[kind] === undefined) throw new TraceFormatError(`${where}: unknown chunk kind ${kind}`);
  if ((flags & ~KNOWN_FLAGS) !== 0 || v.getUint16(6, true) !== 0) throw new TraceFormatError(`${where}: unknown chunk flags 0x${flags.toString(16)}`);
  const firstSeq = getU64(v, 8);
  if (firstSeq === null) throw new TraceFormatError(`${where}: first event seq out of range`);
  const h: ChunkHeader = {
    kind,
    flags,
    firstSeq,
    eventCount: v.getUint32(16, true),
    recordCount: v.getUint32(20, true),
    rawLength: v.getUint32(24, true),
    storedLength: v.getUint32(28, true),
    payloadCrc: v.getUint32(32, true),
  };
  if (h.rawLength > MAX_CHUNK_BYTES || h.storedLength > MAX_CHUNK_BYTES) throw new TraceFormatError(`${where}: chunk claims ${Math.max(h.rawLength, h.storedLength)} bytes (at most ${MAX_CHUNK_BYTES})`);
  if ((flags & FLAG_ZSTD) === 0 && h.rawLength !== h.storedLength) throw new TraceFormatError(`${where}: uncompressed chunk with different stored and raw lengths`);
  if (h.eventCount > h.recordCount) throw new TraceFormatError(`${where}: more events (${h.eventCount}) than records (${h.recordCount})`);
  if (kind !== CHUNK_EVENTS && h.eventCount !== 0) throw new TraceFormatError(`${where}: a ${CHUNK_KIND_NAMES[kind]} chunk with events`);
  return h;
}

// ---- footer ----

export interface Footer {
  indexOffset: number;
  footerOffset: number;
}

export function encodeFooter(f: Footer): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE);
  const v = view(out);
  v.setUint32(0, FOOTER_MAGIC, true);
  v.setUint32(4, FILE_FORMAT_VERSION, true);
  setU64(v, 8, f.indexOffset);
  setU64(v, 16, f.footerOffset);
  v.setUint32(24, 0, true);
  v.setUint32(28, crc32c(out.subarray(0, 28)), true);
  return out;
}

/** The footer, or a reason why the last 32 bytes are not a valid one. */
export function decodeFooter(b: Uint8Array, footerOffset: number): Footer | string {
  if (b.length < FOOTER_SIZE) return 'footer missing (file too short)';
  const v = view(b);
  if (v.getUint32(0, true) !== FOOTER_MAGIC) return 'footer missing (recording did not finish)';
  if (v.getUint32(28, true) !== crc32c(b.subarray(0, 28))) return 'footer checksum mismatch';
  if (v.getUint32(4, true) !== FILE_FORMAT_VERSION) return 'footer version mismatch';
  const indexOffset = getU64(v, 8);
  const at = getU64(v, 16);
  if (indexOffset === null || at !== footerOffset || v.getUint32(24, true) !== 0) return 'footer fields inconsistent with the file size';
  return { indexOffset, footerOffset };
}

// ---- records ----

/** Console input delivered to the machine (UART RX), as scheduled by the
 *  recorder's input hook. */
export interface InputRecord {
  input: 'uart-rx';
  /** Virtual tick at which the byte is delivered. */
  tick: number;
  byte: number;
}

/** A periodic machine state hash (hex digits), taken after event `seq`. */
export interface StateHashRecord {
  stateHash: string;
  seq: number;
  tick: number;
}

export type TraceRecord = TraceEvent | InputRecord | StateHashRecord;

export function isTraceEvent(r: TraceRecord): r is TraceEvent {
  return (r as { kind?: unknown }).kind !== undefined;
}
export function isInputRecord(r: TraceRecord): r is InputRecord {
  return (r as { input?: unknown }).input !== undefined;
}
export function isStateHashRecord(r: TraceRecord): r is StateHashRecord {
  return (r as { stateHash?: unknown }).stateHash !== undefined;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) && Object.getPrototypeOf(x) === Object.prototype;
}
function isUint(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}
const HEX64 = /^0x(?:0|[1-9a-f][0-9a-f]{0,15})$/;
function isHex64(x: unknown): boolean {
  return typeof x === 'string' && HEX64.test(x);
}
function isHexList(x: unknown): boolean {
  return Array.isArray(x) && x.every(isHex64);
}
function isByte(x: unknown): boolean {
  return isUint(x) && x <= 0xff;
}
function isU32(x: unknown): boolean {
  return isUint(x) && x <= 0xffff_ffff;
}
const TIMERS = new Set(['phys', 'virt', 'hyp', 'sec']);
const EXC_TYPES = new Set(['sync', 'irq', 'fiq', 'serror']);
const KIND_SET = new Set<string>(TRACE_KINDS);

const optional = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);
const isText = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** The 'ffa' fields of event format 3, each optional (formats 1 and 2 have none). */
function ffaDetailsOk(r: Record<string, unknown>): boolean {
  return optional(r.dir, (v) => v === 'call' || v === 'answer') && optional(r.name, isText) && optional(r.of, isText) && optional(r.error, isText) &&
    optional(r.handle, isHex64) && optional(r.receivers, (v) => Array.isArray(v) && v.every(isUint)) && optional(r.pages, isUint);
}

/** Why `r` is not a well-formed trace event, or null when it is. Field
 *  rules follow core/trace/events.ts; unknown extra fields are allowed. */
export function eventProblem(r: Record<string, unknown>): string | null {
  const k = r.kind;
  if (typeof k !== 'string' || !KIND_SET.has(k)) return `unknown event kind ${JSON.stringify(k)}`;
  if (!isUint(r.seq)) return 'seq is not a non-negative integer';
  if (!isUint(r.tick)) return 'tick is not a non-negative integer';
  if (!isInt(r.cpu) || (r.cpu as number) < NO_CPU) return 'cpu is not an integer >= -1';
  if (r.world !== undefined && r.world !== 's' && r.world !== 'ns') return "world is neither 's' nor 'ns'";
  let ok: boolean;
  switch (k as TraceKind) {
    case 'exception':
      ok = isUint(r.n) && EXC_TYPES.has(r.type as string) && isByte(r.fromEl) && isByte(r.toEl) && isUint(r.ec) && isHex64(r.esr) && isHex64(r.elr) && isHex64(r.far);
      break;
    case 'irq-raise':
    case 'irq-ack':
    case 'irq-eoi':
      ok = isInt(r.intid) && isInt(r.target);
      break;
    case 'timer-program':
      ok = TIMERS.has(r.timer as string) && isU32(r.ctl) && isHex64(r.cval);
      break;
    case 'timer-fire':
      ok = TIMERS.has(r.timer as string) && isHex64(r.cval);
      break;
    case 'uart-out':
    case 'uart-in':
      ok = isByte(r.byte);
      break;
    case 'psci':
      ok = isU32(r.fn) && isHexList(r.args) && isHex64(r.result);
      break;
    case 'halt':
      ok = typeof r.reason === 'string';
      break;
    case 'undef':
      ok = isU32(r.insn) && isHex64(r.pc);
      break;
    case 'sched':
      ok = isInt(r.vm) && isInt(r.vcpu) && (r.dir === 'in' || r.dir === 'out');
      break;
    case 'ffa':
      ok = isU32(r.fid) && isInt(r.src) && isInt(r.dst) && isHexList(r.args) && ffaDetailsOk(r);
      break;
    case 'mmio':
      ok = isHex64(r.pa) && isUint(r.size) && typeof r.write === 'boolean' && isHex64(r.value);
      break;
  }
  return ok ? null : `malformed ${k} event fields`;
}

/** Why `r` is not a well-formed record of any type, or null. */
export function recordProblem(r: unknown): string | null {
  if (!isPlainObject(r)) return 'record is not a CBOR map';
  if (r.kind !== undefined) return eventProblem(r);
  if (r.input !== undefined) {
    if (r.input !== 'uart-rx') return `unknown input record type ${JSON.stringify(r.input)}`;
    return isUint(r.tick) && isByte(r.byte) ? null : 'malformed input record';
  }
  if (r.stateHash !== undefined) {
    return typeof r.stateHash === 'string' && /^[0-9a-f]{1,128}$/.test(r.stateHash) && isInt(r.seq) && (r.seq as number) >= -1 && isUint(r.tick) ? null : 'malformed state hash record';
  }
  return 'record is neither an event, an input nor a state hash';
}

// ---- snapshots ----

export interface SnapshotMeta {
  id: string;
  /** Id of the snapshot this one is a delta against, null for a full one. */
  baseId: string | null;
  /** Seq of the last event recorded before the snapshot (-1: none);
   *  replay from it continues with event afterSeq + 1. */
  afterSeq: number;
  tick: number;
  instructions: number;
  /** Exceptions taken so far (the last exception's n). */
  exceptions: number;
}

export function snapshotMetaProblem(m: unknown): string | null {
  if (!isPlainObject(m)) return 'snapshot metadata is not a map';
  if (typeof m.id !== 'string') return 'snapshot id is not a string';
  if (m.baseId !== null && typeof m.baseId !== 'string') return 'snapshot base id is neither a string nor null';
  if (!isInt(m.afterSeq) || (m.afterSeq as number) < -1) return 'snapshot afterSeq is not an integer >= -1';
  if (!isUint(m.tick) || !isUint(m.instructions) || !isUint(m.exceptions)) return 'snapshot tick/instructions/exceptions are not non-negative integers';
  return null;
}

export function pickSnapshotMeta(m: SnapshotMeta): SnapshotMeta {
  return { id: m.id, baseId: m.baseId, afterSeq: m.afterSeq, tick: m.tick, instructions: m.instructions, exceptions: m.exceptions };
}

/** Snapshot chunk payload: u32 LE metadata length, CBOR metadata, blob. */
export function encodeSnapshotPayload(blob: Uint8Array, meta: SnapshotMeta): Uint8Array {
  const m = cborEncode(pickSnapshotMeta(meta));
  const out = new Uint8Array(4 + m.length + blob.length);
  view(out).setUint32(0, m.length, true);
  out.set(m, 4);
  out.set(blob, 4 + m.length);
  return out;
}

export function decodeSnapshotPayload(p: Uint8Array, where: string): { meta: SnapshotMeta; blobOffset: number } {
  if (p.length < 4) throw new TraceFormatError(`${where}: snapshot payload too short`);
  const len = view(p).getUint32(0, true);
  if (4 + len > p.length) throw new TraceFormatError(`${where}: snapshot metadata length ${len} exceeds the payload`);
  const meta = cborDecodeOne(p.subarray(4, 4 + len), where);
  const problem = snapshotMetaProblem(meta);
  if (problem) throw new TraceFormatError(`${where}: ${problem}`);
  return { meta: pickSnapshotMeta(meta as SnapshotMeta), blobOffset: 4 + len };
}

// ---- rendering ----

function byteText(b: number): string {
  const printable = b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c;
  return printable ? ` '${String.fromCharCode(b)}'` : '';
}

/** One line for an input record: `input @<tick> uart-rx byte=0x41 'A'`. */
export function formatInputRecord(r: InputRecord): string {
  return `input @${r.tick} ${r.input} byte=0x${r.byte.toString(16)}${byteText(r.byte)}`;
}

/** One line for a state hash: `state-hash @<tick> after=#<seq> <hex>`. */
export function formatStateHash(r: StateHashRecord): string {
  return `state-hash @${r.tick} after=#${r.seq} ${r.stateHash}`;
}

export { isPlainObject, isUint };
