// The partition message header of indirect messaging (FFA_MSG_SEND2, FF-A
// v1.1; v1.2 appended a reserved word and a protocol UUID). The sender
// writes header and payload to its TX buffer; the Relayer copies them to
// the receiver's RX buffer (Hafnium api_ffa_msg_send2_copy_data).
//   flags u32 @0, reserved u32 @4 (both SBZ: written as zero, ignored on read,
//   as Hafnium does), payload offset u32 @8,
//   receiver u16 @12, sender u16 @14 (w: sender << 16 | receiver), payload size u32 @16,
//   v1.2: reserved u32 @20, UUID @24 (16 B)
// The whole message occupies at most one 4 KiB page, whatever the buffer size.
import { FFA_VERSION_1_0, FFA_VERSION_1_1 } from './functionIds.js';
import { INVALID_PARAMETERS, NOT_SUPPORTED } from './errors.js';
import { accept, reject, type Checked } from './result.js';
import { UUID_BYTES, type FfaUuid } from './uuid.js';

export const PARTITION_MESSAGE_HEADER_SIZE_V1_1 = 20;
export const PARTITION_MESSAGE_HEADER_SIZE_V1_2 = 40;
/** An indirect message, header included, fits in one FF-A page. */
export const PARTITION_MESSAGE_MAX_BYTES = 4096;

export interface PartitionMessage {
  sender: number;
  receiver: number;
  /** v1.2's protocol UUID (zero for v1.1). */
  uuid: FfaUuid;
  payload: Uint8Array;
}

export function partitionMessageHeaderSize(version: number): number {
  return version <= FFA_VERSION_1_1 ? PARTITION_MESSAGE_HEADER_SIZE_V1_1 : PARTITION_MESSAGE_HEADER_SIZE_V1_2;
}

/** Header and payload as the sender writes them, the payload right after the header. */
export function encodePartitionMessage(m: PartitionMessage, version: number): Uint8Array {
  const offset = partitionMessageHeaderSize(version);
  const out = new Uint8Array(offset + m.payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, offset, true);
  dv.setUint16(12, m.receiver & 0xffff, true);
  dv.setUint16(14, m.sender & 0xffff, true);
  dv.setUint32(16, m.payload.length, true);
  if (offset === PARTITION_MESSAGE_HEADER_SIZE_V1_2) out.set(m.uuid.subarray(0, UUID_BYTES), 24);
  out.set(m.payload, offset);
  return out;
}

/** A message read from the sender's (copied) TX buffer: no v1.0 (indirect
 *  messages arrived in v1.1), the payload after the header, inside one page
 *  and inside the buffer. */
export function decodePartitionMessage(buffer: Uint8Array, version: number): Checked<PartitionMessage> {
  if (version <= FFA_VERSION_1_0) return reject(NOT_SUPPORTED, 'indirect messaging is not part of FF-A v1.0');
  const headerSize = partitionMessageHeaderSize(version);
  if (buffer.length < headerSize) return reject(INVALID_PARAMETERS, `buffer of ${buffer.length} bytes cannot hold the ${headerSize}-byte header`);
  const dv = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const offset = dv.getUint32(8, true);
  const size = dv.getUint32(16, true);
  if (offset < headerSize) return reject(INVALID_PARAMETERS, `payload offset ${offset} overlaps the ${headerSize}-byte header`);
  if (offset + size > PARTITION_MESSAGE_MAX_BYTES) return reject(INVALID_PARAMETERS, `message of ${offset + size} bytes is larger than one page`);
  if (offset + size > buffer.length) return reject(INVALID_PARAMETERS, `message of ${offset + size} bytes runs past the ${buffer.length}-byte buffer`);
  return accept({
    receiver: dv.getUint16(12, true),
    sender: dv.getUint16(14, true),
    uuid: headerSize === PARTITION_MESSAGE_HEADER_SIZE_V1_2 ? buffer.slice(24, 24 + UUID_BYTES) : new Uint8Array(UUID_BYTES),
    payload: buffer.slice(offset, offset + size),
  });
}
