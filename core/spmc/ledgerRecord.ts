// Checks a saved memory-ledger record before the ledger adopts it, so a
// damaged or hand-edited snapshot is refused with one line naming the field
// instead of failing later inside an FF-A call. Types and ranges only; the
// ledger's invariants are its own operations' business.
import { MEM_LAYOUTS } from '../ffa/memory/layout.js';

const HEX64 = /^0x[0-9a-f]{1,16}$/;

type Check = (v: unknown, path: string) => void;

const fail = (path: string, want: string, v: unknown): never => {
  throw new Error(`memory ledger state ${path}: want ${want}, got ${JSON.stringify(v) ?? String(v)}`);
};
const int = (min: number, max: number): Check => (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(path, `an integer ${min}..${max}`, v);
};
const hex64: Check = (v, path) => {
  if (typeof v !== 'string' || !HEX64.test(v)) fail(path, 'a 64-bit hex string', v);
};
const oneOf = (values: readonly unknown[]): Check => (v, path) => {
  if (!values.includes(v)) fail(path, `one of ${values.join(', ')}`, v);
};
const bool: Check = (v, path) => {
  if (typeof v !== 'boolean') fail(path, 'a boolean', v);
};
const nullable = (c: Check): Check => (v, path) => {
  if (v !== null) c(v, path);
};
const list = (c: Check): Check => (v, path) => {
  if (!Array.isArray(v)) return fail(path, 'an array', v);
  v.forEach((x, i) => c(x, `${path}[${i}]`));
};
const record = (fields: Record<string, Check>): Check => (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const [k, c] of Object.entries(fields)) c(o[k], `${path}.${k}`);
};
const dictionary = (key: Check, c: Check): Check => (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'an object', v);
  for (const [k, x] of Object.entries(v)) {
    key(k, `${path} key`);
    c(x, `${path}[${k}]`);
  }
};

const U8 = int(0, 0xff);
const U16 = int(0, 0xffff);
const U32 = int(0, 0xffff_ffff);

const transaction = record({
  layout: oneOf(MEM_LAYOUTS),
  sender: U16,
  attributes: U16,
  flags: U32,
  handle: hex64,
  tag: hex64,
  receiversOffset: U32,
  receivers: list(record({ receiver: U16, permissions: U8, flags: U8, compositeOffset: U32, impdef: list(hex64) })),
  composite: nullable(record({ pageCount: U32, constituents: list(record({ address: hex64, pageCount: U32 })) })),
});

const ledger = record({
  nextHandleIndex: int(1, Number.MAX_SAFE_INTEGER),
  regions: list(record({ base: hex64, pageCount: int(1, 0xffff_ffff), owner: U16 })),
  pages: dictionary(hex64, record({ owner: U16, handle: nullable(hex64) })),
  transactions: list(record({
    handle: hex64,
    op: oneOf(['share', 'lend', 'donate']),
    tx: transaction,
    missingConstituents: U32,
    fragments: int(1, 0xffff),
    borrowers: list(record({ id: U16, granted: nullable(U8), clearOnRelinquish: bool, responseFragments: U32, deliveredFragments: U32 })),
    hypervisorResponse: record({ responseFragments: U32, deliveredFragments: U32 }),
  })),
});

/** Throws one line naming the first field of `v` that is not what a ledger record holds. */
export function checkLedgerRecord(v: unknown): void {
  ledger(v, '');
}
