// A memory transaction as JSON-safe data, for the ledger's saved record:
// core/ffa's MemoryTransaction holds 64-bit values as bigint, which JSON
// cannot carry, so handles, tags, addresses and the v1.2 implementation-
// defined words are kept as hex strings and the bit fields as their raw bytes.
import { decodeAttributes, decodePermissions, encodeAttributes, encodePermissions } from '../ffa/memory/attributes.js';
import type { MemLayout } from '../ffa/memory/layout.js';
import type { Constituent, MemoryTransaction } from '../ffa/memory/transaction.js';

export interface ConstituentRecord {
  address: string;
  pageCount: number;
}

export interface TransactionRecord {
  layout: MemLayout;
  sender: number;
  attributes: number;
  flags: number;
  handle: string;
  tag: string;
  receiversOffset: number;
  receivers: { receiver: number; permissions: number; flags: number; compositeOffset: number; impdef: [string, string] }[];
  composite: { pageCount: number; constituents: ConstituentRecord[] } | null;
}

const U64_MAX = (1n << 64n) - 1n;
/** A 64-bit value as hex (negative or wider values wrap to 64 bits; the usual in-range value skips BigInt.asUintN's copy). */
export const hex64 = (v: bigint): string => `0x${(v >= 0n && v <= U64_MAX ? v : BigInt.asUintN(64, v)).toString(16)}`;

export function constituentToRecord(c: Constituent): ConstituentRecord {
  return { address: hex64(c.address), pageCount: c.pageCount };
}

export function constituentFromRecord(c: ConstituentRecord): Constituent {
  return { address: BigInt(c.address), pageCount: c.pageCount };
}

export function transactionToRecord(tx: MemoryTransaction): TransactionRecord {
  return {
    layout: tx.layout,
    sender: tx.sender,
    attributes: encodeAttributes(tx.attributes),
    flags: tx.flags,
    handle: hex64(tx.handle),
    tag: hex64(tx.tag),
    receiversOffset: tx.receiversOffset,
    receivers: tx.receivers.map((r) => ({
      receiver: r.receiver, permissions: encodePermissions(r.permissions), flags: r.flags, compositeOffset: r.compositeOffset,
      impdef: [hex64(r.impdef[0]), hex64(r.impdef[1])],
    })),
    composite: tx.composite ? { pageCount: tx.composite.pageCount, constituents: tx.composite.constituents.map(constituentToRecord) } : null,
  };
}

export function transactionFromRecord(r: TransactionRecord): MemoryTransaction {
  return {
    layout: r.layout,
    sender: r.sender,
    attributes: decodeAttributes(r.attributes),
    flags: r.flags,
    handle: BigInt(r.handle),
    tag: BigInt(r.tag),
    receiversOffset: r.receiversOffset,
    receivers: r.receivers.map((e) => ({
      receiver: e.receiver, permissions: decodePermissions(e.permissions), flags: e.flags, compositeOffset: e.compositeOffset,
      impdef: [BigInt(e.impdef[0]), BigInt(e.impdef[1])] as const,
    })),
    composite: r.composite ? { pageCount: r.composite.pageCount, constituents: r.composite.constituents.map(constituentFromRecord) } : null,
  };
}
