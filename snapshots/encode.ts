// MachineSnapshot -> snapshot file image (full or incremental).
import type { MachineSnapshot } from '../core/snapshot.js';
import { cborEncode } from './cbor.js';
import { SnapshotError } from './errors.js';
import {
  computeId, frame, fromHex, sectionHeader, FORMAT_VERSION, PAGE_BYTES,
  SECTION_META, SECTION_RAM_PAGES, SECTION_SECURE_PAGES, SECTION_STATE,
  type SnapshotKind, type SnapshotMeta, type SnapshotRef,
} from './format.js';
import { encodePages, REGION_RAM, REGION_SECURE, type PageStats } from './pages.js';
import { HVRR_VERSION } from './version.js';
import { zstdCompress, ZSTD_LEVEL } from './zstd.js';

export const STATE_CODEC_CBOR_ZSTD = 1;
export const STATE_HEADER_BYTES = 8;

export interface EncodeOptions {
  /** zstd level for state, tables and page blocks (default 3). */
  level?: number;
}

export interface EncodeResult {
  bytes: Uint8Array;
  meta: SnapshotMeta;
  ram: PageStats;
  secure: PageStats;
  stateBytes: number;
}

/** The state section payload: codec u32, uncompressed length u32, zstd(CBOR(state without RAM)). */
function encodeState(snap: MachineSnapshot, level: number): Uint8Array[] {
  const { ram: _ram, secureRam: _secureRam, ...rest } = snap;
  const cbor = cborEncode(rest);
  const z = zstdCompress(cbor, level);
  const h = new Uint8Array(STATE_HEADER_BYTES);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, STATE_CODEC_CBOR_ZSTD, true);
  dv.setUint32(4, cbor.length, true);
  return [h, z];
}

function checkSnap(snap: MachineSnapshot): void {
  if (!snap || typeof snap !== 'object') throw new SnapshotError('not a MachineSnapshot');
  if (!(snap.ram instanceof Uint8Array) || !(snap.secureRam instanceof Uint8Array)) throw new SnapshotError('MachineSnapshot lacks ram/secureRam byte arrays');
  if (snap.ram.length % PAGE_BYTES || snap.secureRam.length % PAGE_BYTES) throw new SnapshotError('MachineSnapshot RAM sizes are not whole pages');
}

function encode(kind: SnapshotKind, snap: MachineSnapshot, baseId: string | null, dirtyRam: readonly number[] | null, dirtySecure: readonly number[] | null, opts: EncodeOptions): EncodeResult {
  checkSnap(snap);
  const level = opts.level ?? ZSTD_LEVEL;
  const state = encodeState(snap, level);
  const ram = encodePages(REGION_RAM, snap.ram, dirtyRam, level);
  const secure = encodePages(REGION_SECURE, snap.secureRam, dirtySecure, level);
  const stateLen = state.reduce((a, p) => a + p.length, 0);
  const framed = [
    sectionHeader(SECTION_STATE, stateLen), ...state,
    sectionHeader(SECTION_RAM_PAGES, ram.length), ...ram.parts,
    sectionHeader(SECTION_SECURE_PAGES, secure.length), ...secure.parts,
  ];
  const id = computeId(kind, baseId, framed);
  const meta: SnapshotMeta = {
    hvrrVersion: HVRR_VERSION,
    formatVersion: FORMAT_VERSION,
    kind,
    id,
    baseId,
    config: snap.config,
    machineSnapshotVersion: snap.version,
    numCpus: snap.cpus.length,
    tick: snap.machine.nowTick,
    instructions: snap.machine.instructions,
    exceptions: snap.machine.exceptionCount,
    ramPages: snap.ram.length / PAGE_BYTES,
    securePages: snap.secureRam.length / PAGE_BYTES,
  };
  const bytes = frame(kind, [
    { type: SECTION_META, parts: [cborEncode(meta)] },
    { type: SECTION_STATE, parts: state },
    { type: SECTION_RAM_PAGES, parts: ram.parts },
    { type: SECTION_SECURE_PAGES, parts: secure.parts },
  ]);
  return { bytes, meta, ram: ram.stats, secure: secure.stats, stateBytes: stateLen };
}

/** Encode a full snapshot (every page of RAM and secure RAM). */
export function encodeFull(snap: MachineSnapshot, opts: EncodeOptions = {}): Uint8Array {
  return encode('full', snap, null, null, null, opts).bytes;
}

export function encodeFullWithStats(snap: MachineSnapshot, opts: EncodeOptions = {}): EncodeResult {
  return encode('full', snap, null, null, null, opts);
}

/**
 * Encode a snapshot relative to `base`: RAM pages not in `dirtyRamPages`
 * (strictly increasing 4 KiB page indexes, as `core.dirtyRamPages()` gives)
 * are "unchanged from base". Secure RAM likewise with `dirtySecurePages`;
 * without that list every secure page is stored (zero pages cost nothing).
 */
export function encodeIncremental(snap: MachineSnapshot, base: SnapshotRef, dirtyRamPages: readonly number[], dirtySecurePages?: readonly number[], opts: EncodeOptions = {}): Uint8Array {
  return encodeIncrementalWithStats(snap, base, dirtyRamPages, dirtySecurePages, opts).bytes;
}

export function encodeIncrementalWithStats(snap: MachineSnapshot, base: SnapshotRef, dirtyRamPages: readonly number[], dirtySecurePages?: readonly number[], opts: EncodeOptions = {}): EncodeResult {
  fromHex(base.id); // validates the id's shape
  if (!Array.isArray(dirtyRamPages)) throw new SnapshotError('dirtyRamPages must be an array of page indexes');
  const secure = dirtySecurePages ?? Array.from({ length: snap.secureRam.length / PAGE_BYTES }, (_, i) => i);
  return encode('incremental', snap, base.id, dirtyRamPages, secure, opts);
}
