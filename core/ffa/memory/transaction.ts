// A memory transaction descriptor as data, and its encoder. The same
// structure describes a DONATE/LEND/SHARE (with a composite memory region),
// a retrieve request (composite offset 0, as Hafnium requires of a borrower),
// a retrieve response and the hypervisor's retrieve request (no receivers).
import {
  COMPOSITE_CONSTITUENT_COUNT, COMPOSITE_PAGE_COUNT, COMPOSITE_SIZE, CONSTITUENT_ADDRESS, CONSTITUENT_PAGE_COUNT, CONSTITUENT_SIZE,
  EMAD_COMPOSITE_OFFSET, EMAD_FLAGS, EMAD_IMPDEF_V1_2, EMAD_PERMISSIONS, EMAD_RECEIVER, HEADER_ATTRIBUTES, HEADER_EMAD_SIZE, HEADER_FLAGS,
  HEADER_HANDLE, HEADER_RECEIVER_COUNT, HEADER_RECEIVERS_OFFSET, HEADER_SENDER, HEADER_TAG, emadSize, headerSize, type MemLayout,
} from './layout.js';
import { encodeAttributes, encodePermissions, type MemoryAccessPermissions, type MemoryRegionAttributes } from './attributes.js';

export interface EndpointMemoryAccess {
  receiver: number;
  permissions: MemoryAccessPermissions;
  /** Receiver flags byte (bit 0: non-retrieval borrower). */
  flags: number;
  /** Offset of the composite memory region from the descriptor's start; 0 when there is none. */
  compositeOffset: number;
  /** v1.2's implementation-defined 16 bytes as two u64 (zero in earlier layouts). */
  impdef: readonly [bigint, bigint];
}

export interface Constituent {
  /** Base address, 4 KiB aligned (an IPA for a VM or partition). */
  address: bigint;
  /** 4 KiB pages, at least one. */
  pageCount: number;
}

export interface CompositeRegion {
  /** Total pages: must equal the sum of the constituents' page counts. */
  pageCount: number;
  constituents: Constituent[];
}

export interface MemoryTransaction {
  layout: MemLayout;
  sender: number;
  attributes: MemoryRegionAttributes;
  flags: number;
  handle: bigint;
  tag: bigint;
  /** Where the EMAD array starts (v1.0: always 32). */
  receiversOffset: number;
  receivers: EndpointMemoryAccess[];
  /** Null for retrieve requests; every receiver's compositeOffset points at it. */
  composite: CompositeRegion | null;
}

export interface TransactionParams {
  layout: MemLayout;
  sender: number;
  attributes: MemoryRegionAttributes;
  flags?: number;
  handle?: bigint;
  tag?: bigint;
  receivers: readonly { receiver: number; permissions: MemoryAccessPermissions; flags?: number; impdef?: readonly [bigint, bigint] }[];
  /** Omit for a retrieve request. */
  constituents?: readonly Constituent[];
}

/** A transaction in the canonical arrangement: EMADs right after the header, the composite right after them. */
export function buildTransaction(p: TransactionParams): MemoryTransaction {
  const receiversOffset = headerSize(p.layout);
  const compositeOffset = p.constituents ? receiversOffset + p.receivers.length * emadSize(p.layout) : 0;
  return {
    layout: p.layout,
    sender: p.sender,
    attributes: { ...p.attributes },
    flags: p.flags ?? 0,
    handle: p.handle ?? 0n,
    tag: p.tag ?? 0n,
    receiversOffset,
    receivers: p.receivers.map((r) => ({
      receiver: r.receiver, permissions: { ...r.permissions }, flags: r.flags ?? 0, compositeOffset,
      impdef: p.layout === 'v1.2' ? (r.impdef ?? [0n, 0n]) : [0n, 0n],
    })),
    composite: p.constituents
      ? { pageCount: p.constituents.reduce((n, c) => n + c.pageCount, 0), constituents: p.constituents.map((c) => ({ ...c })) }
      : null,
  };
}

/** Where the composite region sits (the first receiver's offset), or 0. */
export function compositeOffsetOf(tx: MemoryTransaction): number {
  return tx.composite ? (tx.receivers[0]?.compositeOffset ?? 0) : 0;
}

/** Bytes the encoded descriptor takes. */
export function transactionLength(tx: MemoryTransaction): number {
  const receiversEnd = tx.receiversOffset + tx.receivers.length * emadSize(tx.layout);
  if (!tx.composite) return Math.max(headerSize(tx.layout), receiversEnd);
  return compositeOffsetOf(tx) + COMPOSITE_SIZE + tx.composite.constituents.length * CONSTITUENT_SIZE;
}

/** The descriptor's bytes; gaps and reserved fields are zero. */
export function encodeTransaction(tx: MemoryTransaction): Uint8Array {
  const out = new Uint8Array(transactionLength(tx));
  const dv = new DataView(out.buffer);
  const v10 = tx.layout === 'v1.0';
  dv.setUint16(HEADER_SENDER, tx.sender & 0xffff, true);
  if (v10) dv.setUint8(HEADER_ATTRIBUTES, encodeAttributes(tx.attributes) & 0xff);
  else dv.setUint16(HEADER_ATTRIBUTES, encodeAttributes(tx.attributes), true);
  dv.setUint32(HEADER_FLAGS, tx.flags >>> 0, true);
  dv.setBigUint64(HEADER_HANDLE, BigInt.asUintN(64, tx.handle), true);
  dv.setBigUint64(HEADER_TAG, BigInt.asUintN(64, tx.tag), true);
  dv.setUint32(HEADER_RECEIVER_COUNT, tx.receivers.length, true);
  if (!v10) {
    dv.setUint32(HEADER_EMAD_SIZE, emadSize(tx.layout), true);
    dv.setUint32(HEADER_RECEIVERS_OFFSET, tx.receiversOffset, true);
  }
  tx.receivers.forEach((r, i) => {
    const o = tx.receiversOffset + i * emadSize(tx.layout);
    dv.setUint16(o + EMAD_RECEIVER, r.receiver & 0xffff, true);
    dv.setUint8(o + EMAD_PERMISSIONS, encodePermissions(r.permissions));
    dv.setUint8(o + EMAD_FLAGS, r.flags & 0xff);
    dv.setUint32(o + EMAD_COMPOSITE_OFFSET, r.compositeOffset >>> 0, true);
    if (tx.layout === 'v1.2') {
      dv.setBigUint64(o + EMAD_IMPDEF_V1_2, BigInt.asUintN(64, r.impdef[0]), true);
      dv.setBigUint64(o + EMAD_IMPDEF_V1_2 + 8, BigInt.asUintN(64, r.impdef[1]), true);
    }
  });
  if (tx.composite) {
    const c = compositeOffsetOf(tx);
    dv.setUint32(c + COMPOSITE_PAGE_COUNT, tx.composite.pageCount >>> 0, true);
    dv.setUint32(c + COMPOSITE_CONSTITUENT_COUNT, tx.composite.constituents.length, true);
    tx.composite.constituents.forEach((k, i) => {
      const o = c + COMPOSITE_SIZE + i * CONSTITUENT_SIZE;
      dv.setBigUint64(o + CONSTITUENT_ADDRESS, BigInt.asUintN(64, k.address), true);
      dv.setUint32(o + CONSTITUENT_PAGE_COUNT, k.pageCount >>> 0, true);
    });
  }
  return out;
}

/** The same transaction arranged canonically in another layout (to answer a
 *  caller of another version): v1.0 has no NS bit, only v1.2 keeps the
 *  implementation-defined words. */
export function relayout(tx: MemoryTransaction, layout: MemLayout): MemoryTransaction {
  return buildTransaction({
    layout,
    sender: tx.sender,
    attributes: layout === 'v1.0' ? { ...tx.attributes, security: 0 } : tx.attributes,
    flags: tx.flags,
    handle: tx.handle,
    tag: tx.tag,
    receivers: tx.receivers.map((r) => ({ receiver: r.receiver, permissions: r.permissions, flags: r.flags, impdef: r.impdef })),
    constituents: tx.composite?.constituents,
  });
}
