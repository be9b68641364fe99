// The strict decoder of memory transaction descriptors. It takes the first
// fragment as the caller wrote it (already copied out of the caller's TX
// buffer: no guest memory is read twice) and refuses anything the layout
// does not allow, with INVALID_PARAMETERS and the reason: reserved fields
// and reserved values, sizes, offsets, alignment, lengths, repeated
// receivers, overlapping or misaligned constituents, page counts that do
// not add up. It never throws on any input. What a value means for one
// operation (may a lender set this flag?) is rules.ts's business.
import { FFA_VERSION_1_0, ffaVersionText } from '../functionIds.js';
import { INVALID_PARAMETERS } from '../errors.js';
import { accept, reject, type Checked } from '../result.js';
import {
  ATTRIBUTES_MASK_V1_0, ATTRIBUTES_MASK_V1_1, FFA_DATA_ACCESS_RESERVED, FFA_INSTRUCTION_ACCESS_RESERVED, FFA_MEMORY_TYPE_RESERVED,
  PERMISSIONS_MASK, RECEIVER_FLAGS_MASK, decodeAttributes, decodePermissions,
} from './attributes.js';
import { checkConstituentSet, decodeConstituents } from './constituents.js';
import {
  COMPOSITE_CONSTITUENT_COUNT, COMPOSITE_PAGE_COUNT, COMPOSITE_RESERVED, COMPOSITE_SIZE, CONSTITUENT_SIZE, EMAD_COMPOSITE_OFFSET, EMAD_FLAGS,
  EMAD_IMPDEF_V1_2, EMAD_PERMISSIONS, EMAD_RECEIVER, EMAD_RESERVED_V1_0, EMAD_RESERVED_V1_2, HEADER_ATTRIBUTES, HEADER_EMAD_SIZE, HEADER_FLAGS,
  HEADER_HANDLE, HEADER_RECEIVER_COUNT, HEADER_RECEIVERS_OFFSET, HEADER_RESERVED_0_V1_0, HEADER_RESERVED_V1_1, HEADER_SENDER, HEADER_TAG,
  emadSize, headerSize, layoutFor, type MemLayout,
} from './layout.js';
import type { EndpointMemoryAccess, MemoryTransaction } from './transaction.js';

/** What the bytes are meant to be. */
export type DescriptorKind =
  /** FFA_MEM_DONATE/LEND/SHARE: a composite region in the first fragment. */
  | 'send'
  /** FFA_MEM_RETRIEVE_REQ: no composite; no receivers means the hypervisor's request. */
  | 'retrieve-request'
  /** FFA_MEM_RETRIEVE_RESP as a Relayer wrote it: like a send. */
  | 'retrieve-response';

export interface DecodeOptions {
  kind: DescriptorKind;
  /** The FF-A version the writer negotiated: v1.0 selects the v1.0 layout;
   *  v1.1+ the layout its declared EMAD size names (layout.ts layoutFor). */
  version: number;
  /** The whole descriptor's length (w1 of the call); the fragment is `bytes`. */
  totalLength: number;
}

export interface DecodedTransaction {
  tx: MemoryTransaction;
  /** Constituents still to come in FFA_MEM_FRAG_TX fragments (0 when complete). */
  missingConstituents: number;
  /** No receivers: the hypervisor asking the SPMC for a transaction's descriptor (as pKVM does before a reclaim). */
  hypervisorRetrieveRequest: boolean;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function isZero(bytes: Uint8Array, from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Decodes the first (or only) fragment of a memory transaction descriptor. */
export function decodeTransaction(bytes: Uint8Array, opts: DecodeOptions): Checked<DecodedTransaction> {
  const fragmentLength = bytes.length;
  const total = opts.totalLength;
  if (!Number.isSafeInteger(total) || total < 0 || total > 0xffff_ffff) return reject(INVALID_PARAMETERS, `total length ${total} is not a 32-bit length`);
  if (fragmentLength > total) return reject(INVALID_PARAMETERS, `fragment length ${fragmentLength} exceeds total length ${total}`);
  const v10 = opts.version <= FFA_VERSION_1_0;
  const minHeader = v10 ? headerSize('v1.0') : headerSize('v1.1');
  if (fragmentLength < minHeader) return reject(INVALID_PARAMETERS, `fragment length ${fragmentLength} is shorter than the ${minHeader}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const receiverCount = dv.getUint32(HEADER_RECEIVER_COUNT, true);
  const hypervisorRequest = opts.kind === 'retrieve-request' && receiverCount === 0;
  let layout: MemLayout;
  let receiversOffset: number;
  let rawAttributes: number;
  if (v10) {
    layout = 'v1.0';
    receiversOffset = headerSize('v1.0');
    if (bytes[HEADER_RESERVED_0_V1_0] !== 0) return reject(INVALID_PARAMETERS, 'v1.0 header: reserved byte 3 must be zero');
    if (dv.getUint32(HEADER_EMAD_SIZE, true) !== 0) return reject(INVALID_PARAMETERS, 'v1.0 header: reserved word at 24 must be zero');
    rawAttributes = bytes[HEADER_ATTRIBUTES] as number;
    if ((rawAttributes & ~ATTRIBUTES_MASK_V1_0) !== 0) return reject(INVALID_PARAMETERS, `v1.0 attributes ${hex(rawAttributes)}: bits 7:6 must be zero`);
  } else {
    if (!isZero(bytes, HEADER_RESERVED_V1_1, 12)) return reject(INVALID_PARAMETERS, 'header: reserved bytes 36-47 must be zero');
    rawAttributes = dv.getUint16(HEADER_ATTRIBUTES, true);
    if ((rawAttributes & ~ATTRIBUTES_MASK_V1_1) !== 0) return reject(INVALID_PARAMETERS, `attributes ${hex(rawAttributes)}: bits 15:7 must be zero`);
    const declaredSize = dv.getUint32(HEADER_EMAD_SIZE, true);
    receiversOffset = dv.getUint32(HEADER_RECEIVERS_OFFSET, true);
    if (hypervisorRequest) {
      // pKVM writes only the sender and the handle: EMAD size and offset may be zero.
      layout = layoutFor(opts.version, declaredSize) ?? 'v1.1';
      if (declaredSize !== 0 && layoutFor(opts.version, declaredSize) === null) return reject(INVALID_PARAMETERS, `memory access descriptor size ${declaredSize} is not valid for FF-A ${ffaVersionText(opts.version)}`);
    } else {
      const found = layoutFor(opts.version, declaredSize);
      if (!found) return reject(INVALID_PARAMETERS, `memory access descriptor size ${declaredSize} is not valid for FF-A ${ffaVersionText(opts.version)}`);
      layout = found;
      if (receiversOffset < headerSize(layout) || receiversOffset % 16 !== 0) return reject(INVALID_PARAMETERS, `receivers offset ${receiversOffset} must be 16-byte aligned and not inside the header`);
    }
  }
  const attributes = decodeAttributes(rawAttributes);
  if (attributes.type === FFA_MEMORY_TYPE_RESERVED) return reject(INVALID_PARAMETERS, 'memory type 3 is reserved');

  const header = {
    sender: dv.getUint16(HEADER_SENDER, true),
    flags: dv.getUint32(HEADER_FLAGS, true),
    handle: dv.getBigUint64(HEADER_HANDLE, true),
    tag: dv.getBigUint64(HEADER_TAG, true),
  };

  if (hypervisorRequest) {
    if (fragmentLength !== total) return reject(INVALID_PARAMETERS, 'a retrieve request cannot be fragmented');
    if (total !== headerSize(layout === 'v1.0' ? 'v1.0' : 'v1.1')) return reject(INVALID_PARAMETERS, `hypervisor retrieve request of ${total} bytes: want the header alone`);
    return accept({
      tx: { layout, ...header, attributes, receiversOffset, receivers: [], composite: null },
      missingConstituents: 0,
      hypervisorRetrieveRequest: true,
    });
  }

  if (receiverCount === 0) return reject(INVALID_PARAMETERS, 'no receivers');
  const size = emadSize(layout);
  const receiversEnd = receiversOffset + receiverCount * size;
  if (receiversEnd > fragmentLength) return reject(INVALID_PARAMETERS, `${receiverCount} memory access descriptors at ${receiversOffset} do not fit in the ${fragmentLength}-byte first fragment`);

  const receivers: EndpointMemoryAccess[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < receiverCount; i++) {
    const o = receiversOffset + i * size;
    const receiver = dv.getUint16(o + EMAD_RECEIVER, true);
    const rawPermissions = bytes[o + EMAD_PERMISSIONS] as number;
    const flags = bytes[o + EMAD_FLAGS] as number;
    const compositeOffset = dv.getUint32(o + EMAD_COMPOSITE_OFFSET, true);
    if (layout === 'v1.2') {
      if (!isZero(bytes, o + EMAD_RESERVED_V1_2, 8)) return reject(INVALID_PARAMETERS, `receiver ${i}: reserved bytes 24-31 must be zero`);
    } else if (!isZero(bytes, o + EMAD_RESERVED_V1_0, 8)) return reject(INVALID_PARAMETERS, `receiver ${i}: reserved bytes 8-15 must be zero`);
    if ((rawPermissions & ~PERMISSIONS_MASK) !== 0) return reject(INVALID_PARAMETERS, `receiver ${i}: permissions ${hex(rawPermissions)}: bits 7:4 must be zero`);
    const permissions = decodePermissions(rawPermissions);
    if (permissions.dataAccess === FFA_DATA_ACCESS_RESERVED) return reject(INVALID_PARAMETERS, `receiver ${i}: data access value 3 is reserved`);
    if (permissions.instructionAccess === FFA_INSTRUCTION_ACCESS_RESERVED) return reject(INVALID_PARAMETERS, `receiver ${i}: instruction access value 3 is reserved`);
    if ((flags & ~RECEIVER_FLAGS_MASK) !== 0) return reject(INVALID_PARAMETERS, `receiver ${i}: receiver flags ${hex(flags)}: bits 7:1 must be zero`);
    if (seen.has(receiver)) return reject(INVALID_PARAMETERS, `receiver 0x${receiver.toString(16)} appears twice`);
    seen.add(receiver);
    const impdef: [bigint, bigint] = layout === 'v1.2'
      ? [dv.getBigUint64(o + EMAD_IMPDEF_V1_2, true), dv.getBigUint64(o + EMAD_IMPDEF_V1_2 + 8, true)]
      : [0n, 0n];
    receivers.push({ receiver, permissions, flags, compositeOffset, impdef });
  }
  const compositeOffset = (receivers[0] as EndpointMemoryAccess).compositeOffset;
  const differing = receivers.findIndex((r) => r.compositeOffset !== compositeOffset);
  if (differing >= 0) return reject(INVALID_PARAMETERS, `receiver ${differing}: composite offset ${receivers[differing]?.compositeOffset} differs from receiver 0's ${compositeOffset}`);
  const tx: MemoryTransaction = { layout, ...header, attributes, receiversOffset, receivers, composite: null };

  if (opts.kind === 'retrieve-request') {
    if (fragmentLength !== total) return reject(INVALID_PARAMETERS, 'a retrieve request cannot be fragmented');
    if (compositeOffset !== 0) return reject(INVALID_PARAMETERS, `retrieve request: composite offset ${compositeOffset} must be zero (a retriever cannot choose address ranges)`);
    if (total !== receiversEnd) return reject(INVALID_PARAMETERS, `retrieve request of ${total} bytes: want ${receiversEnd} (header and ${receiverCount} memory access descriptors)`);
    return accept({ tx, missingConstituents: 0, hypervisorRetrieveRequest: false });
  }

  // A send or a retrieve response: the composite region follows the EMADs in the first fragment.
  if (total % CONSTITUENT_SIZE !== 0 || fragmentLength % CONSTITUENT_SIZE !== 0) return reject(INVALID_PARAMETERS, `total length ${total} and fragment length ${fragmentLength} must be multiples of 16`);
  if (compositeOffset === 0 || compositeOffset < receiversEnd || compositeOffset % 16 !== 0) {
    return reject(INVALID_PARAMETERS, `composite offset ${compositeOffset} must be 16-byte aligned and after the memory access descriptors (end ${receiversEnd})`);
  }
  if (compositeOffset + COMPOSITE_SIZE > fragmentLength) return reject(INVALID_PARAMETERS, `composite region at ${compositeOffset} does not fit in the ${fragmentLength}-byte first fragment`);
  if (!isZero(bytes, compositeOffset + COMPOSITE_RESERVED, 8)) return reject(INVALID_PARAMETERS, 'composite region: reserved bytes 8-15 must be zero');
  const pageCount = dv.getUint32(compositeOffset + COMPOSITE_PAGE_COUNT, true);
  const constituentCount = dv.getUint32(compositeOffset + COMPOSITE_CONSTITUENT_COUNT, true);
  const constituentsStart = compositeOffset + COMPOSITE_SIZE;
  if (constituentCount === 0) return reject(INVALID_PARAMETERS, 'composite region has no constituents');
  if (constituentsStart + constituentCount * CONSTITUENT_SIZE !== total) {
    return reject(INVALID_PARAMETERS, `total length ${total} does not match ${constituentCount} constituents starting at ${constituentsStart}`);
  }
  const inFirst = (fragmentLength - constituentsStart) / CONSTITUENT_SIZE;
  const constituents = decodeConstituents(bytes, constituentsStart, inFirst);
  if (!constituents.ok) return constituents;
  tx.composite = { pageCount, constituents: constituents.value };
  const missing = constituentCount - inFirst;
  if (missing === 0) {
    const set = checkConstituentSet(pageCount, constituents.value);
    if (!set.ok) return set;
  }
  return accept({ tx, missingConstituents: missing, hypervisorRetrieveRequest: false });
}
