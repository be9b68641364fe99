// What each memory operation may say, on top of the layout (decode.ts):
// the rules of DEN0077 v1.1 chapter 10 ("Memory region attributes usage",
// "Memory access permissions usage", the flags of each ABI) as Hafnium's
// ffa_memory_send_validate and ffa_memory_retrieve_validate apply them.
// Pure: the Relayer passes the decoded descriptor and, where a rule needs
// it, the caller's ID; state-dependent checks (ownership, page states) stay
// with the SPMC and the proxy.
import {
  FFA_MEM_DONATE_32, FFA_MEM_DONATE_64, FFA_MEM_LEND_32, FFA_MEM_LEND_64, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_VERSION_1_2,
} from '../functionIds.js';
import { DENIED, INVALID_PARAMETERS } from '../errors.js';
import { endpointText } from '../endpoints.js';
import { accept, reject, type Checked } from '../result.js';
import {
  FFA_DATA_ACCESS_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NX, FFA_MEMORY_CACHE_WRITE_BACK, FFA_MEMORY_DEV_NGNRNE, FFA_MEMORY_DEVICE_MEM,
  FFA_MEMORY_INNER_SHAREABLE, FFA_MEMORY_NORMAL_MEM, FFA_MEMORY_NOT_SPECIFIED_MEM, FFA_MEMORY_RECEIVER_FLAG_NON_RETRIEVAL_BORROWER,
  permissionsText, type MemoryRegionAttributes,
} from './attributes.js';
import {
  FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_MASK, FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_VALID, FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK,
  FFA_MEMORY_REGION_FLAG_CLEAR, FFA_MEMORY_REGION_FLAG_TIME_SLICE, RETRIEVE_REQUEST_FLAGS_MASK_V1_1, RETRIEVE_REQUEST_FLAGS_MASK_V1_2,
  RETRIEVE_RESPONSE_FLAGS_MASK, SEND_FLAGS_MASK, flagsText, transactionTypeOf, type TransactionType,
} from './flags.js';
import type { MemoryTransaction } from './transaction.js';

export type SendOp = 'share' | 'lend' | 'donate';

/** The operation a DONATE/LEND/SHARE function ID asks for, or null. */
export function sendOpOf(fid: number): SendOp | null {
  switch (fid >>> 0) {
    case FFA_MEM_SHARE_32: case FFA_MEM_SHARE_64: return 'share';
    case FFA_MEM_LEND_32: case FFA_MEM_LEND_64: return 'lend';
    case FFA_MEM_DONATE_32: case FFA_MEM_DONATE_64: return 'donate';
    default: return null;
  }
}

/** Attributes the Relayer maps with: Normal write-back or Device nGnRnE, inner shareable; anything else is DENIED (Hafnium ffa_memory_attributes_validate). */
export function checkMappableAttributes(a: MemoryRegionAttributes): Checked<MemoryRegionAttributes> {
  if (a.type === FFA_MEMORY_NORMAL_MEM && a.cacheability !== FFA_MEMORY_CACHE_WRITE_BACK) return reject(DENIED, `Normal memory with cacheability ${a.cacheability}: only write-back is mapped`);
  if (a.type === FFA_MEMORY_DEVICE_MEM && a.cacheability !== FFA_MEMORY_DEV_NGNRNE) return reject(DENIED, `Device memory with attribute ${a.cacheability}: only nGnRnE is mapped`);
  if (a.shareability !== FFA_MEMORY_INNER_SHAREABLE) return reject(DENIED, `shareability ${a.shareability}: only inner shareable is mapped`);
  return accept(a);
}

export interface SendContext {
  /** The caller's endpoint ID when the Relayer knows it (an SP, or a VM at the hypervisor); the sender field must name it. */
  callerId?: number;
}

/**
 * A DONATE/LEND/SHARE descriptor's rules. Returns the descriptor as the
 * Relayer should store it: for a share, each receiver's instruction access
 * becomes NX (a share is never executable by its borrowers, and the sender
 * must leave it unspecified).
 */
export function checkSend(tx: MemoryTransaction, op: SendOp, ctx: SendContext = {}): Checked<MemoryTransaction> {
  if (ctx.callerId !== undefined && tx.sender !== ctx.callerId) return reject(DENIED, `sender ${endpointText(tx.sender)} is not the caller ${endpointText(ctx.callerId)}`);
  if (tx.handle !== 0n) return reject(INVALID_PARAMETERS, `handle 0x${tx.handle.toString(16)} must be zero in a ${op} (the Relayer allocates it)`);
  if ((tx.flags & ~SEND_FLAGS_MASK) !== 0) return reject(INVALID_PARAMETERS, `flags ${flagsText(tx.flags)}: only bits 1:0 are defined for a ${op}`);
  if ((tx.flags & FFA_MEMORY_REGION_FLAG_TIME_SLICE) !== 0) return reject(INVALID_PARAMETERS, 'time slicing is not supported');
  if (op === 'share' && (tx.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0) return reject(INVALID_PARAMETERS, 'shared memory cannot be zeroed: the sender keeps access');
  if (op === 'donate' && tx.receivers.length !== 1) return reject(INVALID_PARAMETERS, `a donate passes ownership to one borrower, not ${tx.receivers.length}`);
  if (!tx.composite) return reject(INVALID_PARAMETERS, `a ${op} needs a composite memory region`);
  if (tx.attributes.security !== 0) return reject(INVALID_PARAMETERS, `the NS bit must be zero in a ${op}`);
  for (const [i, r] of tx.receivers.entries()) {
    const p = r.permissions;
    if (r.receiver === tx.sender) return reject(INVALID_PARAMETERS, `receiver ${i} is the sender ${endpointText(tx.sender)}`);
    if ((r.flags & FFA_MEMORY_RECEIVER_FLAG_NON_RETRIEVAL_BORROWER) !== 0) return reject(INVALID_PARAMETERS, `receiver ${i}: the non-retrieval borrower flag belongs in retrieve requests`);
    if (p.instructionAccess !== FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED) return reject(INVALID_PARAMETERS, `receiver ${i}: instruction access ${permissionsText(p)} must be left unspecified by the sender`);
    if (op !== 'donate' && p.dataAccess === FFA_DATA_ACCESS_NOT_SPECIFIED) return reject(INVALID_PARAMETERS, `receiver ${i}: a ${op} must specify data access`);
    if (op === 'donate' && p.dataAccess !== FFA_DATA_ACCESS_NOT_SPECIFIED) return reject(INVALID_PARAMETERS, `receiver ${i}: a donate must leave data access unspecified (${permissionsText(p)})`);
  }
  // The memory type is the borrower's choice when one borrower gets the memory exclusively.
  if (op === 'donate' || (op === 'lend' && tx.receivers.length === 1)) {
    if (tx.attributes.type !== FFA_MEMORY_NOT_SPECIFIED_MEM) return reject(INVALID_PARAMETERS, `a ${op} to one borrower must leave the memory type unspecified`);
  } else {
    const a = checkMappableAttributes(tx.attributes);
    if (!a.ok) return a;
  }
  const stored: MemoryTransaction = {
    ...tx,
    receivers: tx.receivers.map((r) => (op === 'share' ? { ...r, permissions: { ...r.permissions, instructionAccess: FFA_INSTRUCTION_ACCESS_NX } } : { ...r, permissions: { ...r.permissions } })),
  };
  return accept(stored);
}

/** A retrieve request's own rules (before it is matched with the transaction it names). */
export function checkRetrieveRequest(tx: MemoryTransaction, version: number): Checked<MemoryTransaction> {
  const mask = version >= FFA_VERSION_1_2 ? RETRIEVE_REQUEST_FLAGS_MASK_V1_2 : RETRIEVE_REQUEST_FLAGS_MASK_V1_1;
  if ((tx.flags & ~mask) !== 0) return reject(INVALID_PARAMETERS, `retrieve request flags ${flagsText(tx.flags)}: bits above ${mask === RETRIEVE_REQUEST_FLAGS_MASK_V1_2 ? 10 : 9} must be zero`);
  if ((tx.flags & FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_VALID) !== 0) return reject(INVALID_PARAMETERS, 'address range alignment hints are not supported (the Relayer maps at the sender\'s addresses)');
  if ((tx.flags & FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_MASK) !== 0) return reject(INVALID_PARAMETERS, 'address range hint bits 8:5 must be zero when the hint is not valid');
  if ((tx.flags & FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK) !== 0 && tx.receivers.length !== 1) return reject(INVALID_PARAMETERS, 'bypassing the borrowers check needs exactly one memory access descriptor');
  if (tx.attributes.security !== 0) return reject(INVALID_PARAMETERS, 'the NS bit must be zero in a retrieve request');
  if (tx.attributes.type !== FFA_MEMORY_NOT_SPECIFIED_MEM) {
    const a = checkMappableAttributes(tx.attributes);
    if (!a.ok) return a;
  }
  return accept(tx);
}

/**
 * A retrieve response as a borrower (or the proxy relaying one) reads it: it
 * names the transaction (a handle, the transaction type in flags 4:3), says
 * how the memory is mapped (a memory type) and grants each listed receiver
 * its data access. Returns the transaction type.
 */
export function checkRetrieveResponse(tx: MemoryTransaction): Checked<Exclude<TransactionType, 'unspecified'>> {
  if ((tx.flags & ~RETRIEVE_RESPONSE_FLAGS_MASK) !== 0) return reject(INVALID_PARAMETERS, `retrieve response flags ${flagsText(tx.flags)}: bits 31:5 must be zero`);
  const type = transactionTypeOf(tx.flags);
  if (type === 'unspecified') return reject(INVALID_PARAMETERS, 'a retrieve response must name the transaction type');
  if (!tx.composite) return reject(INVALID_PARAMETERS, 'a retrieve response describes the memory: it needs a composite region');
  if (tx.attributes.type === FFA_MEMORY_NOT_SPECIFIED_MEM) return reject(INVALID_PARAMETERS, 'a retrieve response must say how the memory is mapped (a memory type)');
  for (const [i, r] of tx.receivers.entries()) {
    if (r.permissions.dataAccess === FFA_DATA_ACCESS_NOT_SPECIFIED) return reject(INVALID_PARAMETERS, `receiver ${i}: a retrieve response grants a data access`);
  }
  return accept(type);
}
