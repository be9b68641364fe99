// Constituent memory region checks: each range 4 KiB aligned, at least one
// page, inside the 64-bit address space; the ranges of one transaction
// never overlap each other and their pages add up to the composite region's
// page count (Hafnium ffa_memory_check_overlap, ffa_send_check_update).
// Also the continuation fragments FFA_MEM_FRAG_TX carries: whole
// constituent descriptors only.
import { INVALID_PARAMETERS } from '../errors.js';
import { accept, reject, type Checked } from '../result.js';
import { CONSTITUENT_ADDRESS, CONSTITUENT_PAGE_COUNT, CONSTITUENT_RESERVED, CONSTITUENT_SIZE, FFA_PAGE_SIZE } from './layout.js';
import type { Constituent } from './transaction.js';

const PAGE = BigInt(FFA_PAGE_SIZE);
const ADDRESS_SPACE = 1n << 64n;

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** `count` constituent descriptors at `offset` of `bytes`, each checked on its own. The caller has checked they fit. */
export function decodeConstituents(bytes: Uint8Array, offset: number, count: number, firstIndex = 0): Checked<Constituent[]> {
  if (offset < 0 || offset + count * CONSTITUENT_SIZE > bytes.length) return reject(INVALID_PARAMETERS, `${count} constituents at offset ${offset} run past ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Constituent[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * CONSTITUENT_SIZE;
    const address = dv.getBigUint64(o + CONSTITUENT_ADDRESS, true);
    const pageCount = dv.getUint32(o + CONSTITUENT_PAGE_COUNT, true);
    const n = firstIndex + i;
    if (dv.getUint32(o + CONSTITUENT_RESERVED, true) !== 0) return reject(INVALID_PARAMETERS, `constituent ${n}: reserved field must be zero`);
    const checked = checkConstituent({ address, pageCount }, n);
    if (!checked.ok) return checked;
    out.push({ address, pageCount });
  }
  return accept(out);
}

/** One range on its own: aligned, non-empty, within 64 bits. */
export function checkConstituent(c: Constituent, index: number): Checked<Constituent> {
  if (c.address % PAGE !== 0n) return reject(INVALID_PARAMETERS, `constituent ${index}: address ${hex(c.address)} is not 4 KiB aligned`);
  if (c.pageCount === 0) return reject(INVALID_PARAMETERS, `constituent ${index}: page count is zero`);
  if (c.address + BigInt(c.pageCount) * PAGE > ADDRESS_SPACE) return reject(INVALID_PARAMETERS, `constituent ${index}: ${c.pageCount} pages at ${hex(c.address)} wrap the address space`);
  return accept(c);
}

/** The whole set: pages add up to `pageCount`, no two ranges overlap. */
export function checkConstituentSet(pageCount: number, constituents: readonly Constituent[]): Checked<void> {
  const total = constituents.reduce((n, c) => n + c.pageCount, 0);
  if (total !== pageCount) return reject(INVALID_PARAMETERS, `composite page count ${pageCount} differs from the constituents' ${total} pages`);
  const order = constituents.map((c, i) => ({ c, i })).sort((a, b) => (a.c.address < b.c.address ? -1 : a.c.address > b.c.address ? 1 : a.i - b.i));
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1] as { c: Constituent; i: number };
    const next = order[k] as { c: Constituent; i: number };
    if (prev.c.address + BigInt(prev.c.pageCount) * PAGE > next.c.address) {
      return reject(INVALID_PARAMETERS, `constituents ${Math.min(prev.i, next.i)} and ${Math.max(prev.i, next.i)} overlap at ${hex(next.c.address)}`);
    }
  }
  return accept(undefined);
}

/** Pages a set of ranges covers (for callers that walk them). */
export function constituentPages(constituents: readonly Constituent[]): number {
  return constituents.reduce((n, c) => n + c.pageCount, 0);
}

/** A continuation fragment (FFA_MEM_FRAG_TX): whole constituents only, at
 *  least one, no more than the `remaining` the transaction still expects. */
export function decodeConstituentFragment(bytes: Uint8Array, remaining: number, firstIndex = 0): Checked<Constituent[]> {
  if (bytes.length === 0 || bytes.length % CONSTITUENT_SIZE !== 0) return reject(INVALID_PARAMETERS, `fragment length ${bytes.length} is not a non-zero multiple of ${CONSTITUENT_SIZE}`);
  const count = bytes.length / CONSTITUENT_SIZE;
  if (count > remaining) return reject(INVALID_PARAMETERS, `fragment holds ${count} constituents but only ${remaining} remain`);
  return decodeConstituents(bytes, 0, count, firstIndex);
}
