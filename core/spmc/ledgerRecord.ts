// Checks a saved memory-ledger record before the ledger adopts it
// (recordChecks.ts): one line naming the first bad field.
import { MEM_LAYOUTS } from '../ffa/memory/layout.js';
import { U16, U32, U8, bool, checkRecord, dictionary, hex64, int, list, nullable, oneOf, record } from './recordChecks.js';

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
  checkRecord('memory ledger state', ledger, v);
}
