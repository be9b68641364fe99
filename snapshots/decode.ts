// Snapshot file image -> meta / MachineSnapshot, resolving incremental chains.
import type { MachineSnapshot, SnapshotConfig } from '../core/snapshot.js';
import { cborDecode } from './cbor.js';
import { SnapshotError } from './errors.js';
import { computeId, unframe, PAGE_BYTES, TRAILER_BYTES, type Container, type SnapshotMeta } from './format.js';
import { applyPages, changedPages, parsePages, ENTRY_UNCHANGED, ENTRY_ZERO, REGION_RAM, REGION_SECURE, type PageSection } from './pages.js';
import { STATE_CODEC_CBOR_ZSTD, STATE_HEADER_BYTES } from './encode.js';
import { zstdDecompressExact } from './zstd.js';

/** Returns the bytes of the snapshot with this id (or undefined / throws when it has none). */
export type ResolveBase = (id: string) => Uint8Array | undefined;

/** Longest incremental chain followed before giving up. */
export const MAX_CHAIN = 4096;

const CONFIG_FIELDS: Array<[keyof SnapshotConfig, 'number' | 'string' | 'boolean']> = [
  ['numCpus', 'number'], ['ramBytes', 'number'], ['seed', 'string'], ['quantumTicks', 'number'],
  ['rtcEpochSeconds', 'number'], ['lse', 'boolean'], ['traceVerbosity', 'number'],
];

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function checkMeta(v: unknown, kind: string): SnapshotMeta {
  const bad = (why: string): never => {
    throw new SnapshotError(`snapshot meta section is malformed: ${why}`);
  };
  if (!isObj(v)) return bad('not a map');
  const str = (k: string): void => void (typeof v[k] !== 'string' && bad(`${k} is not a string`));
  const nat = (k: string): void => void ((typeof v[k] !== 'number' || !Number.isSafeInteger(v[k]) || (v[k] as number) < 0) && bad(`${k} is not a non-negative integer`));
  str('hvrrVersion');
  nat('formatVersion');
  if (v.kind !== 'full' && v.kind !== 'incremental') bad('kind is neither full nor incremental');
  if (v.kind !== kind) bad(`kind ${String(v.kind)} disagrees with the header (${kind})`);
  const hex = (k: string): void => void ((typeof v[k] !== 'string' || !/^[0-9a-f]{64}$/.test(v[k] as string)) && bad(`${k} is not a 64-digit hex id`));
  hex('id');
  if (kind === 'full') {
    if (v.baseId !== null) bad('a full snapshot has a baseId');
  } else hex('baseId');
  const c = v.config;
  if (!isObj(c)) return bad('config is not a map');
  for (const [k, t] of CONFIG_FIELDS) if (typeof c[k] !== t) bad(`config.${k} is not a ${t}`);
  for (const k of ['machineSnapshotVersion', 'numCpus', 'tick', 'instructions', 'exceptions', 'ramPages', 'securePages']) nat(k);
  return v as unknown as SnapshotMeta;
}

interface Parsed {
  c: Container;
  meta: SnapshotMeta;
}

function parse(bytes: Uint8Array, verifyChecksum = true): Parsed {
  const c = unframe(bytes, verifyChecksum);
  const meta = checkMeta(cborDecode(c.sections[0]!.payload, 'snapshot meta section'), c.kind);
  return { c, meta };
}

/** The meta section, after checking the container and its checksum; no page
 *  or state decompression. */
export function readMeta(bytes: Uint8Array): SnapshotMeta {
  return parse(bytes).meta;
}

/** The non-memory state of a snapshot (checksum and id verified; its pages
 *  and its bases are not read). */
export function decodeSnapshotState(bytes: Uint8Array): State {
  const p = parse(bytes);
  verifyId(p);
  return decodeState(p);
}

/** Names of the registered components (hypervisor, monitor...) whose state
 *  the snapshot carries: decodes the state section only, not the pages. */
export function snapshotComponents(bytes: Uint8Array): string[] {
  const st = decodeState(parse(bytes));
  const c = (st as { components?: unknown }).components;
  return isObj(c) ? Object.keys(c).sort() : [];
}

function verifyId(p: Parsed): void {
  const { c, meta } = p;
  const from = c.sections[1]!.start;
  const got = computeId(c.kind, meta.baseId, [c.bytes.subarray(from, c.bytes.length - TRAILER_BYTES)]);
  if (got !== meta.id) throw new SnapshotError(`snapshot id mismatch: meta says ${meta.id}, content hashes to ${got}`);
}

type State = Omit<MachineSnapshot, 'ram' | 'secureRam'>;

function decodeState(p: Parsed): State {
  const payload = p.c.sections[1]!.payload;
  if (payload.length < STATE_HEADER_BYTES) throw new SnapshotError('snapshot state section truncated');
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const codec = dv.getUint32(0, true);
  if (codec !== STATE_CODEC_CBOR_ZSTD) throw new SnapshotError(`snapshot state codec ${codec} is unknown`);
  const len = dv.getUint32(4, true);
  const cbor = zstdDecompressExact(payload.subarray(STATE_HEADER_BYTES), len, 'snapshot state section');
  const s = cborDecode(cbor, 'snapshot state section');
  const bad = (why: string): never => {
    throw new SnapshotError(`snapshot state is malformed: ${why}`);
  };
  if (!isObj(s)) return bad('not a map');
  // Only what this module relies on; restoreMachine checks the rest.
  for (const k of ['config', 'machine']) if (!isObj(s[k])) bad(`${k} is not a map`);
  if (!Array.isArray(s.cpus)) bad('cpus is not a list');
  const st = s as unknown as State;
  const m = p.meta;
  if (st.cpus.length !== m.numCpus || st.machine.nowTick !== m.tick || st.version !== m.machineSnapshotVersion) bad('it disagrees with the meta section');
  for (const [k] of CONFIG_FIELDS) if (st.config[k] !== m.config[k]) bad(`config.${k} disagrees with the meta section`);
  return st;
}

/** Parse and verify `bytes` and every base it depends on; newest first, the full snapshot last. */
function resolveChain(bytes: Uint8Array, resolveBase: ResolveBase | undefined, baseInMachine?: string): Parsed[] {
  const chain = [parse(bytes)];
  verifyId(chain[0]!);
  const seen = new Set<string>([chain[0]!.meta.id]);
  for (;;) {
    const top = chain[chain.length - 1]!;
    if (top.meta.kind === 'full') return chain;
    const id = top.meta.baseId!;
    if (id === baseInMachine) return chain;
    if (chain.length >= MAX_CHAIN) throw new SnapshotError(`incremental chain longer than ${MAX_CHAIN} snapshots`);
    if (seen.has(id)) throw new SnapshotError(`incremental chain loops back to ${id}`);
    seen.add(id);
    if (!resolveBase) throw new SnapshotError(`snapshot is incremental on base ${id} and no base resolver was given`);
    let b: Uint8Array | undefined;
    try {
      b = resolveBase(id);
    } catch (e) {
      throw new SnapshotError(`base snapshot ${id} is missing (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!(b instanceof Uint8Array)) throw new SnapshotError(`base snapshot ${id} is missing`);
    let p: Parsed;
    try {
      p = parse(b);
      verifyId(p);
    } catch (e) {
      throw new SnapshotError(`base snapshot ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (p.meta.id !== id) throw new SnapshotError(`base snapshot id mismatch: wanted ${id}, resolver gave ${p.meta.id}`);
    const { config: a, ramPages, securePages } = top.meta;
    if (p.meta.ramPages !== ramPages || p.meta.securePages !== securePages) throw new SnapshotError(`base snapshot ${id} has a different memory size`);
    for (const [k] of CONFIG_FIELDS) if (p.meta.config[k] !== a[k]) throw new SnapshotError(`base snapshot ${id} has config.${k} = ${String(p.meta.config[k])}, its successor ${String(a[k])}`);
    chain.push(p);
  }
}

function sections(p: Parsed): { ram: PageSection; secure: PageSection } {
  const inc = p.meta.kind === 'incremental';
  const ram = parsePages(p.c.sections[2]!.payload, REGION_RAM, inc);
  const secure = parsePages(p.c.sections[3]!.payload, REGION_SECURE, inc);
  if (ram.pageCount !== p.meta.ramPages || secure.pageCount !== p.meta.securePages) throw new SnapshotError('snapshot page counts disagree with the meta section');
  return { ram, secure };
}

/** The memory of the snapshot `id` an increment is based on, for the pages
 *  that increment changes (null: a zero page): with the increment's own
 *  memory, all of `id`'s memory, without decoding `id`'s chain again. */
export interface PreviousPages {
  id: string;
  /** The increment based on `id`. */
  increment: string;
  ram: Map<number, Uint8Array | null>;
  secure: Map<number, Uint8Array | null>;
}

/** Keep PreviousPages of the newest increments of a chain as it is written,
 *  newest first, while their pages fit `maxBytes`. */
export interface KeepPrevious {
  maxBytes: number;
  take(p: PreviousPages): void;
}

export interface DecodedChain {
  meta: SnapshotMeta;
  state: State;
  /** The chain goes down to a full snapshot (not cut at `baseInMachine`): it sets every page. */
  full: boolean;
  /** Write RAM and secure RAM into the given regions, oldest snapshot first.
   *  `fresh`: the regions are known to be all zero. */
  writeMemory(ram: Uint8Array, secureRam: Uint8Array, fresh: boolean, keep?: KeepPrevious): void;
}

/** Copies of the pages of `mem` that `sec` (an increment) changes. */
function previousOf(sec: PageSection, mem: Uint8Array): Map<number, Uint8Array | null> {
  const out = new Map<number, Uint8Array | null>();
  const buf = Buffer.from(mem.buffer, mem.byteOffset, mem.length);
  for (const p of changedPages(sec)) {
    const at = p * PAGE_BYTES;
    out.set(p, ZERO_PAGE.compare(buf, at, at + PAGE_BYTES) === 0 ? null : mem.slice(at, at + PAGE_BYTES));
  }
  return out;
}

const ZERO_PAGE = Buffer.alloc(PAGE_BYTES);

/** Verify everything (checksums, ids, chain links, state) without touching memory yet. */
/** `baseInMachine`: the id of a snapshot in the chain whose memory the target
 *  already holds (a machine freshly built at that snapshot's point): the chain
 *  stops above it, and only the newer increments are decoded and written. */
export function decodeChain(bytes: Uint8Array, resolveBase?: ResolveBase, baseInMachine?: string): DecodedChain {
  const chain = resolveChain(bytes, resolveBase, baseInMachine);
  const newest = chain[0]!;
  const state = decodeState(newest);
  // Parse every page table up front so a bad one fails before memory is written.
  const secs = chain.map(sections);
  return {
    meta: newest.meta,
    state,
    full: chain[chain.length - 1]!.meta.kind === 'full',
    writeMemory(ram, secureRam, fresh, keep) {
      // The newest increments whose base memory is kept (chain[i]'s base is chain[i + 1]).
      let kept = 0;
      for (let bytes = 0; keep && kept < secs.length && chain[kept]!.meta.kind === 'incremental'; kept++) {
        bytes += (changedPages(secs[kept]!.ram).length + changedPages(secs[kept]!.secure).length) * PAGE_BYTES;
        if (bytes > keep.maxBytes) break;
      }
      for (let i = secs.length - 1; i >= 0; i--) {
        const s = secs[i]!;
        if (keep && i < kept) keep.take({ id: chain[i]!.meta.baseId!, increment: chain[i]!.meta.id, ram: previousOf(s.ram, ram), secure: previousOf(s.secure, secureRam) });
        const mode = fresh && i === secs.length - 1 && chain[i]!.meta.kind === 'full' ? 'fresh' : 'overwrite';
        applyPages(s.ram, ram, mode);
        applyPages(s.secure, secureRam, mode);
      }
    },
  };
}

/**
 * Decode a snapshot (resolving incremental bases through `resolveBase`,
 * recursively), verifying checksums and ids. RAM and secure RAM are fresh arrays.
 */
export function decodeSnapshot(bytes: Uint8Array, resolveBase?: ResolveBase): MachineSnapshot {
  const d = decodeChain(bytes, resolveBase);
  let ram: Uint8Array;
  let secureRam: Uint8Array;
  try {
    ram = new Uint8Array(d.meta.ramPages * PAGE_BYTES);
    secureRam = new Uint8Array(d.meta.securePages * PAGE_BYTES);
  } catch (e) {
    throw new SnapshotError(`cannot allocate snapshot memory (${e instanceof Error ? e.message : String(e)})`);
  }
  d.writeMemory(ram, secureRam, true);
  return { ...d.state, ram, secureRam };
}

export interface RegionInfo {
  pages: number;
  zero: number;
  unchanged: number;
  /** Pages that reference a blob. */
  stored: number;
  blobs: number;
  /** Compressed table bytes and compressed blob bytes. */
  tableBytes: number;
  blobBytes: number;
}

export interface SnapshotInfo {
  meta: SnapshotMeta;
  fileBytes: number;
  sectionBytes: { meta: number; state: number; ram: number; secure: number };
  ram: RegionInfo;
  secure: RegionInfo;
}

function regionInfo(s: PageSection): RegionInfo {
  let zero = 0;
  let unchanged = 0;
  for (const e of s.table) {
    if (e === ENTRY_ZERO) zero++;
    else if (e === ENTRY_UNCHANGED) unchanged++;
  }
  return { pages: s.pageCount, zero, unchanged, stored: s.pageCount - zero - unchanged, blobs: s.blobCount, tableBytes: s.tableBytes, blobBytes: s.blobBytes };
}

/** Sizes and page statistics of one snapshot file (no base needed, no page decompression). */
export function describeSnapshot(bytes: Uint8Array): SnapshotInfo {
  const p = parse(bytes);
  verifyId(p);
  const { ram, secure } = sections(p);
  const sz = p.c.sections.map((s) => s.payload.length);
  return {
    meta: p.meta,
    fileBytes: bytes.length,
    sectionBytes: { meta: sz[0]!, state: sz[1]!, ram: sz[2]!, secure: sz[3]! },
    ram: regionInfo(ram),
    secure: regionInfo(secure),
  };
}
