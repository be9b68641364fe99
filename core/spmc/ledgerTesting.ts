// Descriptors for the ledger's tests (unit and property): sends and
// retrieve requests in the shape the rules accept, v1.1 layout.
import {
  ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_NOT_SPECIFIED, FFA_DATA_ACCESS_RO, FFA_DATA_ACCESS_RW,
  FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NX, NORMAL_WRITE_BACK_INNER,
} from '../ffa/memory/attributes.js';
import { FFA_VERSION_1_1 } from '../ffa/functionIds.js';
import type { SendOp } from '../ffa/memory/rules.js';
import { buildTransaction, type Constituent, type MemoryTransaction } from '../ffa/memory/transaction.js';

export const TEST_VERSION = FFA_VERSION_1_1;

export type DataAccess = 'ro' | 'rw';

const dataAccessOf = (a: DataAccess): number => (a === 'ro' ? FFA_DATA_ACCESS_RO : FFA_DATA_ACCESS_RW);

/** A valid DONATE/LEND/SHARE from `sender` granting `access` (ignored for a donate) to each receiver. */
export function sendTx(op: SendOp, sender: number, receivers: readonly number[], constituents: readonly Constituent[], access: DataAccess = 'rw'): MemoryTransaction {
  const typed = op === 'share' || (op === 'lend' && receivers.length > 1);
  return buildTransaction({
    layout: 'v1.1',
    sender,
    attributes: typed ? NORMAL_WRITE_BACK_INNER : ATTRIBUTES_NOT_SPECIFIED,
    receivers: receivers.map((receiver) => ({
      receiver,
      permissions: { dataAccess: op === 'donate' ? FFA_DATA_ACCESS_NOT_SPECIFIED : dataAccessOf(access), instructionAccess: FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED },
    })),
    constituents,
  });
}

/** A borrower's retrieve request for `handle`, listing every receiver of the send and asking `access`. */
export function retrieveTx(op: SendOp, sender: number, receivers: readonly number[], handle: bigint, access: DataAccess = 'rw'): MemoryTransaction {
  const exclusive = op === 'donate' || (op === 'lend' && receivers.length === 1);
  return buildTransaction({
    layout: 'v1.1',
    sender,
    attributes: ATTRIBUTES_NOT_SPECIFIED,
    handle,
    receivers: receivers.map((receiver) => ({
      receiver,
      permissions: { dataAccess: dataAccessOf(access), instructionAccess: exclusive ? FFA_INSTRUCTION_ACCESS_NX : FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED },
    })),
  });
}

export const pages = (address: bigint, pageCount: number): Constituent => ({ address, pageCount });
