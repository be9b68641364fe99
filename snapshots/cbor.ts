// Deterministic CBOR for snapshot records: plain maps with string keys in
// insertion order (no cbor-x record extension or shared structures), byte
// strings for Uint8Array (no typed-array tags), bigints as 64-bit integers
// or bignum tags, numbers as integers or float64. Decoding gives plain
// objects and fresh Uint8Arrays (not Buffers sharing a pool).
import { Encoder } from 'cbor-x';
import { SnapshotError } from './errors.js';

const codec = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  structuredClone: false,
  pack: false,
  variableMapSize: true,
  useFloat32: 0,
});

export function cborEncode(value: unknown): Uint8Array {
  return codec.encode(value);
}

function plain(v: unknown, depth: number): unknown {
  if (depth > 256) throw new SnapshotError('CBOR nesting too deep');
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = plain(v[i], depth + 1);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = plain(o[k], depth + 1);
    return o;
  }
  return v;
}

export function cborDecode(bytes: Uint8Array, what: string): unknown {
  let v: unknown;
  try {
    v = codec.decode(bytes);
  } catch (e) {
    throw new SnapshotError(`${what}: bad CBOR (${e instanceof Error ? e.message : String(e)})`);
  }
  return plain(v, 0);
}
