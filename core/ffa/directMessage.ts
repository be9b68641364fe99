// Direct messages (FF-A v1.1 FFA_MSG_SEND_DIRECT_REQ/RESP, v1.2 REQ2/RESP2):
// w1 sender << 16 | receiver; for REQ/RESP w2 holds the message flags
// (bit 31: a framework message, bits 7:0 its type; bits 30:8 MBZ, bits 7:0
// MBZ for a partition message) and w3-w7 the payload; REQ2/RESP2 carry the
// target's protocol UUID in x2/x3 (REQ2 only) and a payload in x4-x17.
import { INVALID_PARAMETERS } from './errors.js';
import { FFA_MSG_SEND_DIRECT_REQ2, FFA_MSG_SEND_DIRECT_RESP2 } from './functionIds.js';
import { accept, reject, type Checked } from './result.js';
import { receiverOf, senderOf } from './endpoints.js';
import { uuidFromX2, type FfaUuid } from './uuid.js';

export const FFA_FRAMEWORK_MSG_BIT = 0x8000_0000;
export const FFA_FRAMEWORK_MSG_TYPE_MASK = 0xff;

export interface DirectMessage {
  sender: number;
  receiver: number;
  /** Null for a partition message; the framework message type otherwise. */
  frameworkType: number | null;
  /** REQ2 only: the protocol UUID it addresses. */
  uuid: FfaUuid | null;
  /** w3-w7 (REQ/RESP) or x4-x17 (REQ2/RESP2), as the caller's views. */
  payload: bigint[];
}

/** Decodes a direct request or response from registers x0-x17. */
export function decodeDirectMessage(x: readonly bigint[]): Checked<DirectMessage> {
  const fid = Number((x[0] ?? 0n) & 0xffff_ffffn);
  const w1 = x[1] ?? 0n;
  const base = { sender: senderOf(w1), receiver: receiverOf(w1) };
  if (fid === FFA_MSG_SEND_DIRECT_REQ2 || fid === FFA_MSG_SEND_DIRECT_RESP2) {
    const uuid = fid === FFA_MSG_SEND_DIRECT_REQ2 ? uuidFromX2(x[2] ?? 0n, x[3] ?? 0n) : null;
    return accept({ ...base, frameworkType: null, uuid, payload: Array.from({ length: 14 }, (_, i) => x[4 + i] ?? 0n) });
  }
  const wide = (fid & 0x4000_0000) !== 0;
  const flags = Number((x[2] ?? 0n) & 0xffff_ffffn);
  let frameworkType: number | null = null;
  if ((flags & FFA_FRAMEWORK_MSG_BIT) !== 0) {
    if ((flags & 0x7fff_ff00) !== 0) return reject(INVALID_PARAMETERS, `direct message flags 0x${flags.toString(16)}: bits 30:8 must be zero`);
    frameworkType = flags & FFA_FRAMEWORK_MSG_TYPE_MASK;
  } else if (flags !== 0) {
    return reject(INVALID_PARAMETERS, `direct message flags 0x${flags.toString(16)} must be zero for a partition message`);
  }
  const payload = Array.from({ length: 5 }, (_, i) => (wide ? (x[3 + i] ?? 0n) : (x[3 + i] ?? 0n) & 0xffff_ffffn));
  return accept({ ...base, frameworkType, uuid: null, payload });
}
