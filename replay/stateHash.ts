// A hash of the machine's architectural and device state, recorded every K
// events so a replay notices a divergence even before it shows up as a
// different event. RAM is not included (too large to hash this often); a
// memory difference surfaces soon after in registers or events.
//
// The hash covers the state records as this hvrr writes them, so a build
// whose records have another shape (a field added, a version bumped, a
// register added to the CPU) hashes the same machine differently. Each hash
// therefore starts with a fingerprint of the shapes it covered (16 hex
// digits: record versions and field names, register names and places), then
// the hash proper (32): a replay compares only hashes whose fingerprints
// agree, and counts the others as not comparable (every hash of a trace
// written before the fingerprint existed, whose hashes are 32 digits).
// The fingerprint also names the hash algorithm (HASH_ALGORITHM), so a fix to
// what is hashed makes older traces' hashes not comparable rather than wrong.
import { createHash } from 'node:crypto';
import type { Machine } from '../core/machine.js';

const SHAPE_DIGITS = 16;
/** What the hash proper is computed from, in the fingerprint: 2 hashes the
 *  live SP in place of its stale bank copy (1 hashed the copy, so one state
 *  reached two ways could hash two ways); a hash of another algorithm is not
 *  comparable, never a divergence. */
const HASH_ALGORITHM = 2;
const HASH_DIGITS = 32;

export function machineStateHash(m: Machine): string {
  const h = createHash('sha256');
  const core = m.core;
  // Architectural state only: statistics (TLB fills, flush counts) and
  // per-call scratch depend on how the run was observed (e.g. snapshots).
  for (let c = 0; c < m.numCpus; c++) for (const part of core.hashableState(c)) h.update(part);
  const records = stateRecords(m);
  for (const r of records) h.update(JSON.stringify(r));
  return stateShape(m, records) + h.digest('hex').slice(0, HASH_DIGITS);
}

/** How a recorded hash compares with `mine` (machineStateHash now): 'same',
 *  'different' (a divergence), or 'not-comparable' when they cover records of
 *  other shapes. A hash from before the fingerprint (32 digits) that differs
 *  from mine's hash part is not comparable: the records may have changed. */
export function compareStateHashes(recorded: string, mine: string): 'same' | 'different' | 'not-comparable' {
  if (recorded.length === HASH_DIGITS) return recorded === mine.slice(SHAPE_DIGITS) ? 'same' : 'not-comparable';
  if (recorded.length !== SHAPE_DIGITS + HASH_DIGITS || recorded.slice(0, SHAPE_DIGITS) !== mine.slice(0, SHAPE_DIGITS)) return 'not-comparable';
  return recorded === mine ? 'same' : 'different';
}

/** The device and component records the hash covers, in a fixed order. */
function stateRecords(m: Machine): unknown[] {
  const out: unknown[] = [[m.gic.getState(), m.timer.getState(), m.uart.getState(), m.rtc.getState(), m.queue.getState(), m.prng.getState()]];
  for (const n of m.componentNames()) out.push(m.component(n).getState());
  return out;
}

/** Fingerprint of what the hash covers: the CPU's register places and every record's shape. */
function stateShape(m: Machine, records: unknown[]): string {
  const regs = [...m.core.registers.offsets].map(([n, off]) => `${n}@${off}`).join(',');
  const shapes = m.componentNames().join(',') + '|' + records.map(shapeOf).join('|');
  return createHash('sha256').update(`algorithm ${HASH_ALGORITHM}|`).update(regs).update('|').update(shapes).digest('hex').slice(0, SHAPE_DIGITS);
}

/** A record's field names and value types (and `version` values), not its other values; an array by its first element. */
function shapeOf(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${shapeOf(v[0])}]`;
  if (v instanceof Uint8Array) return 'bytes';
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => (k === 'version' ? `version=${String(o[k])}` : `${k}:${shapeOf(o[k])}`)).join(',')}}`;
}
