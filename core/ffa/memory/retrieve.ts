// A borrower's retrieve request held against the transaction it names
// (DEN0077 v1.1 chapter 10, FFA_MEM_RETRIEVE_REQ; Hafnium
// ffa_memory_retrieve_validate and ffa_memory_retrieve_validate_memory_access_list),
// and the retrieve response the Relayer writes back. Pure: the Relayer
// looks the handle up and passes both descriptors.
import { DENIED, INVALID_PARAMETERS } from '../errors.js';
import { endpointText } from '../endpoints.js';
import { accept, reject, type Checked } from '../result.js';
import {
  FFA_DATA_ACCESS_RO, FFA_DATA_ACCESS_RW, FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NX,
  FFA_INSTRUCTION_ACCESS_X, NORMAL_WRITE_BACK_INNER, permissionsText, type MemoryAccessPermissions,
} from './attributes.js';
import {
  FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK, FFA_MEMORY_REGION_FLAG_CLEAR, FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH,
  transactionTypeFlags, transactionTypeOf,
} from './flags.js';
import type { MemLayout } from './layout.js';
import type { SendOp } from './rules.js';
import { buildTransaction, type EndpointMemoryAccess, type MemoryTransaction } from './transaction.js';

/** The access a borrower gets: the data access it asked for, never more than sent (DENIED);
 *  the instruction access by the operation's rule (never executable when shared or lent to several). */
export function grantedPermissions(op: SendOp, sent: MemoryAccessPermissions, requested: MemoryAccessPermissions, multipleBorrowers: boolean): Checked<MemoryAccessPermissions> {
  let dataAccess: number;
  const asked = requested.dataAccess;
  if (sent.dataAccess === FFA_DATA_ACCESS_RO) {
    if (asked === FFA_DATA_ACCESS_RW) return reject(DENIED, `asked for ${permissionsText(requested)} but the sender granted read-only`);
    dataAccess = FFA_DATA_ACCESS_RO;
  } else {
    // Sent RW, or unspecified (a donate): the borrower chooses.
    dataAccess = asked === FFA_DATA_ACCESS_RO ? FFA_DATA_ACCESS_RO : FFA_DATA_ACCESS_RW;
  }
  const wants = requested.instructionAccess;
  const exclusive = op === 'donate' || (op === 'lend' && !multipleBorrowers);
  if (!exclusive && wants !== FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED) {
    return reject(INVALID_PARAMETERS, `a ${op}${op === 'lend' ? ' to several borrowers' : ''} is never executable: instruction access must be left unspecified`);
  }
  if (exclusive && wants === FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED) return reject(INVALID_PARAMETERS, `the only borrower of a ${op} must state the instruction access it wants`);
  let instructionAccess = FFA_INSTRUCTION_ACCESS_NX;
  if (wants === FFA_INSTRUCTION_ACCESS_X) {
    if (sent.instructionAccess === FFA_INSTRUCTION_ACCESS_NX) return reject(DENIED, 'asked for executable memory the sender made not executable');
    instructionAccess = FFA_INSTRUCTION_ACCESS_X;
  }
  return accept({ dataAccess, instructionAccess });
}

export interface RetrieveGrant {
  /** The retriever's index in the sent transaction's receivers. */
  receiverIndex: number;
  permissions: MemoryAccessPermissions;
  /** The retriever asked for the memory to be zeroed after it relinquishes. */
  clearOnRelinquish: boolean;
}

/**
 * `request` (decoded and checked by checkRetrieveRequest) against `sent`
 * (the stored transaction of operation `op`) for the endpoint `retriever`.
 */
export interface RetrieveContext {
  /** The memory is Non-secure and the retriever a partition: it may not be
   *  made executable there (Hafnium, when the Relayer cannot move the pages to the Secure PAS). */
  nonSecureMemoryToPartition?: boolean;
}

export function checkRetrieveAgainstSent(request: MemoryTransaction, sent: MemoryTransaction, op: SendOp, retriever: number, ctx: RetrieveContext = {}): Checked<RetrieveGrant> {
  if (request.sender !== sent.sender) return reject(DENIED, `retrieve request names sender ${endpointText(request.sender)}, the transaction's is ${endpointText(sent.sender)}`);
  const type = transactionTypeOf(request.flags);
  if (type !== 'unspecified' && type !== op) return reject(INVALID_PARAMETERS, `retrieve request expects a ${type}, the handle names a ${op}`);
  if (request.tag !== sent.tag) return reject(INVALID_PARAMETERS, `tag 0x${request.tag.toString(16)} differs from the transaction's 0x${sent.tag.toString(16)}`);
  const clearFlags = request.flags & (FFA_MEMORY_REGION_FLAG_CLEAR | FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH);
  if (op === 'share' && clearFlags !== 0) return reject(INVALID_PARAMETERS, 'shared memory cannot be zeroed by a borrower');
  if ((request.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0 && (sent.flags & FFA_MEMORY_REGION_FLAG_CLEAR) === 0) return reject(DENIED, 'the borrower asks for zeroed memory but the sender did not zero it');
  const receiverIndex = sent.receivers.findIndex((r) => r.receiver === retriever);
  if (receiverIndex < 0) return reject(INVALID_PARAMETERS, `${endpointText(retriever)} is not a borrower of this transaction`);

  const bypass = (request.flags & FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK) !== 0;
  if (bypass) {
    if (sent.receivers.length === 1) return reject(INVALID_PARAMETERS, 'bypassing the borrowers check is for transactions with several borrowers');
  } else if (request.receivers.length !== sent.receivers.length) {
    return reject(INVALID_PARAMETERS, `retrieve request lists ${request.receivers.length} borrowers, the transaction ${sent.receivers.length}`);
  }
  const multiple = sent.receivers.length > 1;
  let grant: RetrieveGrant | null = null;
  for (const asked of request.receivers) {
    const mine = asked.receiver === retriever;
    if (bypass && !mine) continue;
    const given = sent.receivers.find((r) => r.receiver === asked.receiver);
    if (!given) return reject(DENIED, `${endpointText(asked.receiver)} is not a borrower of this transaction`);
    const p = grantedPermissions(op, given.permissions, asked.permissions, multiple);
    if (!p.ok) return p;
    if (request.layout === 'v1.2' && sent.layout === 'v1.2' && (asked.impdef[0] !== given.impdef[0] || asked.impdef[1] !== given.impdef[1])) {
      return reject(INVALID_PARAMETERS, `${endpointText(asked.receiver)}: implementation-defined value differs from the sender's`);
    }
    if (mine) {
      if (ctx.nonSecureMemoryToPartition && p.value.instructionAccess === FFA_INSTRUCTION_ACCESS_X) return reject(INVALID_PARAMETERS, 'Non-secure memory cannot be executable for a partition');
      if (p.value.dataAccess === FFA_DATA_ACCESS_RO && clearFlags !== 0) return reject(DENIED, 'a read-only borrower cannot ask for the memory to be zeroed');
      grant = { receiverIndex, permissions: p.value, clearOnRelinquish: (request.flags & FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH) !== 0 };
    }
  }
  if (!grant) return reject(INVALID_PARAMETERS, `the retrieve request has no memory access descriptor for the caller ${endpointText(retriever)}`);
  return accept(grant);
}

export interface RetrieveResponseParams {
  sent: MemoryTransaction;
  op: SendOp;
  handle: bigint;
  /** The layout the retriever reads (its version's: layout.ts layoutOfVersion). */
  layout: MemLayout;
  /** Receivers to describe: the retriever with its granted access, or every
   *  receiver as sent for the hypervisor's retrieve request. */
  receivers: readonly EndpointMemoryAccess[];
  /** Set the NS bit (v1.1+): Non-secure memory retrieved by a partition. */
  nonSecure?: boolean;
}

/** The retrieve response: the transaction as the retriever may map it. A
 *  lend or donate to one borrower left the type to it; the Relayer maps
 *  Normal write-back inner shareable memory and says so. */
export function buildRetrieveResponse(p: RetrieveResponseParams): MemoryTransaction {
  const { sent } = p;
  const mapped = sent.attributes.type === 0 ? NORMAL_WRITE_BACK_INNER : sent.attributes;
  const attributes = { ...mapped, security: p.nonSecure && p.layout !== 'v1.0' ? 1 : 0 };
  return buildTransaction({
    layout: p.layout,
    sender: sent.sender,
    attributes,
    flags: (sent.flags & FFA_MEMORY_REGION_FLAG_CLEAR) | transactionTypeFlags(p.op),
    handle: p.handle,
    tag: sent.tag,
    receivers: p.receivers.map((r) => ({ receiver: r.receiver, permissions: r.permissions, flags: r.flags, impdef: r.impdef })),
    constituents: sent.composite?.constituents ?? [],
  });
}

/** Every receiver as sent (the hypervisor's retrieve request gets the whole transaction). */
export function sentReceivers(sent: MemoryTransaction): EndpointMemoryAccess[] {
  return sent.receivers.map((r) => ({ ...r, permissions: { ...r.permissions } }));
}

