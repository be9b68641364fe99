// The snapshot container (docs/snapshots.md has the byte-by-byte layout):
//
//   header   magic "HVRRSNAP" | formatVersion u32 | kind u32 | sectionCount u32 | flags u32
//   sections { type u32 | length u64 | payload[length] } x sectionCount
//   trailer  SHA-256 of every byte before it (32 bytes)
//
// All integers little-endian. This module frames and unframes; what the
// sections hold is encode.ts / decode.ts / pages.ts.
import { createHash } from 'node:crypto';
import { SnapshotError } from './errors.js';
import type { SnapshotConfig } from '../core/snapshot.js';

export const MAGIC = new Uint8Array([0x48, 0x56, 0x52, 0x52, 0x53, 0x4e, 0x41, 0x50]); // "HVRRSNAP"
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 24;
export const SECTION_HEADER_BYTES = 12;
export const TRAILER_BYTES = 32;

export const KIND_FULL = 1;
export const KIND_INCREMENTAL = 2;
export type SnapshotKind = 'full' | 'incremental';

export const SECTION_META = 1;
export const SECTION_STATE = 2;
export const SECTION_RAM_PAGES = 3;
export const SECTION_SECURE_PAGES = 4;
/** The sections of a version-1 file, in this order, each exactly once. */
export const SECTION_ORDER = [SECTION_META, SECTION_STATE, SECTION_RAM_PAGES, SECTION_SECURE_PAGES] as const;
const SECTION_NAMES: Record<number, string> = { 1: 'meta', 2: 'state', 3: 'ram pages', 4: 'secure pages' };
export const sectionName = (t: number): string => SECTION_NAMES[t] ?? `type ${t}`;

export const PAGE_BYTES = 4096;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('snapshots/ assumes a little-endian host');

/** What `readMeta` returns: the CBOR meta section, checked. */
export interface SnapshotMeta {
  hvrrVersion: string;
  formatVersion: number;
  kind: SnapshotKind;
  /** SHA-256 (hex) identifying this snapshot's content (see docs/snapshots.md). */
  id: string;
  /** The id of the snapshot this one is relative to (incremental only), else null. */
  baseId: string | null;
  config: SnapshotConfig;
  machineSnapshotVersion: number;
  numCpus: number;
  /** Virtual tick, instructions retired, exceptions taken, at capture. */
  tick: number;
  instructions: number;
  exceptions: number;
  ramPages: number;
  securePages: number;
}

export interface SnapshotRef {
  id: string;
}

export interface Section {
  type: number;
  /** Offset of the section header in the file. */
  start: number;
  payload: Uint8Array;
}

export interface Container {
  kind: SnapshotKind;
  sections: Section[];
  bytes: Uint8Array;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

export function fromHex(s: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(s)) throw new SnapshotError(`snapshot id '${s.slice(0, 80)}' is not 64 lowercase hex digits`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Assemble header, sections and trailer into one file image. */
export function frame(kind: SnapshotKind, sections: Array<{ type: number; parts: Uint8Array[] }>): Uint8Array {
  let total = HEADER_BYTES + TRAILER_BYTES;
  const lens = sections.map((s) => s.parts.reduce((a, p) => a + p.length, 0));
  for (const l of lens) total += SECTION_HEADER_BYTES + l;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, kind === 'full' ? KIND_FULL : KIND_INCREMENTAL, true);
  dv.setUint32(16, sections.length, true);
  dv.setUint32(20, 0, true);
  let p = HEADER_BYTES;
  sections.forEach((s, i) => {
    const len = lens[i]!;
    dv.setUint32(p, s.type, true);
    dv.setUint32(p + 4, len >>> 0, true);
    dv.setUint32(p + 8, Math.floor(len / 2 ** 32), true);
    p += SECTION_HEADER_BYTES;
    for (const part of s.parts) {
      out.set(part, p);
      p += part.length;
    }
  });
  out.set(sha256(out.subarray(0, p)), p);
  return out;
}

/** The 12-byte header of a section with `len` payload bytes. */
export function sectionHeader(type: number, len: number): Uint8Array {
  const h = new Uint8Array(SECTION_HEADER_BYTES);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len >>> 0, true);
  dv.setUint32(8, Math.floor(len / 2 ** 32), true);
  return h;
}

/** Split a file image into sections, checking magic, version, bounds and (unless told not to) the trailer. */
export function unframe(bytes: Uint8Array, verifyChecksum = true): Container {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('snapshot is not a byte array');
  const n = bytes.length;
  if (n < MAGIC.length) throw new SnapshotError(`snapshot truncated: ${n} bytes, shorter than the magic`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new SnapshotError('not an hvrr snapshot (bad magic)');
  }
  if (n < HEADER_BYTES + TRAILER_BYTES) throw new SnapshotError(`snapshot truncated: ${n} bytes, shorter than header and trailer`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) throw new SnapshotError(`snapshot format version ${version} is not supported (expected ${FORMAT_VERSION})`);
  if (verifyChecksum) {
    const want = bytes.subarray(n - TRAILER_BYTES);
    const got = sha256(bytes.subarray(0, n - TRAILER_BYTES));
    for (let i = 0; i < TRAILER_BYTES; i++) {
      if (want[i] !== got[i]) throw new SnapshotError('snapshot checksum mismatch (file corrupted or truncated)');
    }
  }
  const kindCode = dv.getUint32(12, true);
  if (kindCode !== KIND_FULL && kindCode !== KIND_INCREMENTAL) throw new SnapshotError(`snapshot kind ${kindCode} is unknown`);
  const count = dv.getUint32(16, true);
  if (dv.getUint32(20, true) !== 0) throw new SnapshotError('snapshot header flags are not zero');
  if (count !== SECTION_ORDER.length) throw new SnapshotError(`snapshot has ${count} sections, expected ${SECTION_ORDER.length}`);
  const end = n - TRAILER_BYTES;
  const sections: Section[] = [];
  let p = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + SECTION_HEADER_BYTES > end) throw new SnapshotError(`snapshot truncated: section ${i} header out of bounds`);
    const type = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true) + dv.getUint32(p + 8, true) * 2 ** 32;
    const want = SECTION_ORDER[i]!;
    if (type !== want) throw new SnapshotError(`snapshot section ${i} is ${sectionName(type)}, expected ${sectionName(want)}`);
    const body = p + SECTION_HEADER_BYTES;
    if (len > end - body) throw new SnapshotError(`snapshot ${sectionName(type)} section (${len} bytes) runs out of bounds`);
    sections.push({ type, start: p, payload: bytes.subarray(body, body + len) });
    p = body + len;
  }
  if (p !== end) throw new SnapshotError(`snapshot has ${end - p} stray bytes before the trailer`);
  return { kind: kindCode === KIND_FULL ? 'full' : 'incremental', sections, bytes };
}

/** The snapshot id: SHA-256 over a domain tag, the kind, the base id (zeros
 *  for a full snapshot) and the state, RAM-pages and secure-pages sections
 *  exactly as framed in the file (headers included). */
export function computeId(kind: SnapshotKind, baseId: string | null, framedSections: Uint8Array[]): string {
  const tag = new TextEncoder().encode('hvrr-snapshot-id\0');
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, kind === 'full' ? KIND_FULL : KIND_INCREMENTAL, true);
  const base = baseId === null ? new Uint8Array(32) : fromHex(baseId);
  return toHex(sha256(tag, k, base, ...framedSections));
}
