// The memory descriptors the partitions write in their TX buffers, built at
// assembly time by core/ffa's encoders (v1.1 layout: 48-byte header, one
// 16-byte endpoint memory access descriptor, then for a send one composite
// region with one constituent). The machine code copies a template and
// patches the few fields that vary: the sender or receiver, the handle, the
// permissions, the constituent's address.
import { ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_NOT_SPECIFIED, FFA_DATA_ACCESS_RW, FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED, NORMAL_WRITE_BACK_INNER } from '../../core/ffa/memory/attributes.js';
import { CONSTITUENT_ADDRESS, COMPOSITE_SIZE, EMAD_PERMISSIONS, EMAD_RECEIVER, HEADER_HANDLE, HEADER_SENDER, headerSize, emadSize } from '../../core/ffa/memory/layout.js';
import { buildTransaction, encodeTransaction } from '../../core/ffa/memory/transaction.js';
import { encodeRelinquish, RELINQUISH_HANDLE } from '../../core/ffa/memory/relinquish.js';

const V11 = 'v1.1' as const;
const RW = { dataAccess: FFA_DATA_ACCESS_RW, instructionAccess: FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED };

/** Offsets the code patches. */
export const DESC_SENDER = HEADER_SENDER;
export const DESC_HANDLE = HEADER_HANDLE;
export const DESC_EMAD = headerSize(V11);
export const DESC_EMAD_RECEIVER = DESC_EMAD + EMAD_RECEIVER;
export const DESC_EMAD_PERMISSIONS = DESC_EMAD + EMAD_PERMISSIONS;
export const DESC_CONSTITUENT_ADDRESS = DESC_EMAD + emadSize(V11) + COMPOSITE_SIZE + CONSTITUENT_ADDRESS;
export const RELINQUISH_DESC_HANDLE = RELINQUISH_HANDLE;

/** A retrieve request by `receiver` asking read-write (sender and handle patched). */
export function retrieveRequestTemplate(receiver: number): Uint8Array {
  return encodeTransaction(buildTransaction({ layout: V11, sender: 0, attributes: ATTRIBUTES_NOT_SPECIFIED, receivers: [{ receiver, permissions: RW }] }));
}

/** A send of one page (receiver and address patched): a share or lend
 *  read-write with the attributes a share needs (a lend to one borrower and a
 *  donate leave the memory type to the borrower; a donate leaves access too). */
export function sendTemplate(sender: number, op: 'share' | 'lend' | 'donate'): Uint8Array {
  const exclusive = op !== 'share';
  return encodeTransaction(buildTransaction({
    layout: V11,
    sender,
    attributes: exclusive ? ATTRIBUTES_NOT_SPECIFIED : NORMAL_WRITE_BACK_INNER,
    receivers: [{ receiver: 0, permissions: op === 'donate' ? { dataAccess: FFA_DATA_ACCESS_NOT_SPECIFIED, instructionAccess: FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED } : RW }],
    constituents: [{ address: 0n, pageCount: 1 }],
  }));
}

/** The relinquish descriptor of one endpoint (handle patched). */
export function relinquishTemplate(endpoint: number): Uint8Array {
  return encodeRelinquish({ handle: 0n, flags: 0, endpoints: [endpoint] });
}

/** Bytes as assembler data at a `label`, padded to whole 8-byte words (the code copies words). */
export function asmData(label: string, bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  const lines: string[] = [];
  for (let i = 0; i < padded.length; i += 16) lines.push(`    .byte ${Array.from(padded.subarray(i, i + 16), (b) => `0x${b.toString(16)}`).join(', ')}`);
  return `    .balign 8\n${label}:\n${lines.join('\n')}`;
}

/** Bytes to copy for a template (its length rounded up to words). */
export function copyBytes(bytes: Uint8Array): number {
  return Math.ceil(bytes.length / 8) * 8;
}
