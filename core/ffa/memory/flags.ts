// Flags words of the memory management ABIs (DEN0077 v1.1 chapter 10 and
// FFA_MEM_RELINQUISH/FFA_MEM_RECLAIM): which bits each use defines. Bits a
// use does not define are reserved and must be zero.

/** Zero the memory (before the receiver maps it; on reclaim or relinquish, before it returns). */
export const FFA_MEMORY_REGION_FLAG_CLEAR = 1 << 0;
/** The Relayer may time-slice the operation. */
export const FFA_MEMORY_REGION_FLAG_TIME_SLICE = 1 << 1;
/** Retrieve request: zero the memory after the receiver relinquishes it. */
export const FFA_MEMORY_REGION_FLAG_CLEAR_RELINQUISH = 1 << 2;
/** Retrieve request/response bits 4:3: the transaction type (0 in a request: not specified). */
export const FFA_MEMORY_REGION_TRANSACTION_TYPE_SHIFT = 3;
export const FFA_MEMORY_REGION_TRANSACTION_TYPE_MASK = 3 << 3;
/** Retrieve request bits 8:5: address range alignment hint (2^n pages), valid when bit 9 is set. */
export const FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_SHIFT = 5;
export const FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_MASK = 0xf << 5;
export const FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_VALID = 1 << 9;
/** Retrieve request bit 10 (v1.2): bypass the multiple borrower identifier check. */
export const FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK = 1 << 10;

export type TransactionType = 'unspecified' | 'share' | 'lend' | 'donate';
const TYPES: readonly TransactionType[] = ['unspecified', 'share', 'lend', 'donate'];

export function transactionTypeOf(flags: number): TransactionType {
  return TYPES[(flags >>> FFA_MEMORY_REGION_TRANSACTION_TYPE_SHIFT) & 3] as TransactionType;
}

export function transactionTypeFlags(type: TransactionType): number {
  return TYPES.indexOf(type) << FFA_MEMORY_REGION_TRANSACTION_TYPE_SHIFT;
}

/** Flags a DONATE/LEND/SHARE descriptor may carry: zero memory, time slicing. */
export const SEND_FLAGS_MASK = FFA_MEMORY_REGION_FLAG_CLEAR | FFA_MEMORY_REGION_FLAG_TIME_SLICE;
/** Flags a retrieve request may carry: v1.1 bits 9:0, v1.2 adds bit 10. */
export const RETRIEVE_REQUEST_FLAGS_MASK_V1_1 = 0x3ff;
export const RETRIEVE_REQUEST_FLAGS_MASK_V1_2 = 0x7ff;
/** Flags a retrieve response carries: zero memory, time slicing, zero after relinquish, transaction type. */
export const RETRIEVE_RESPONSE_FLAGS_MASK = 0x1f;
/** FFA_MEM_RELINQUISH's descriptor flags and FFA_MEM_RECLAIM's w3: zero memory, time slicing. */
export const RELINQUISH_FLAGS_MASK = FFA_MEMORY_REGION_FLAG_CLEAR | FFA_MEMORY_REGION_FLAG_TIME_SLICE;
export const RECLAIM_FLAGS_MASK = FFA_MEMORY_REGION_FLAG_CLEAR | FFA_MEMORY_REGION_FLAG_TIME_SLICE;

/** The address range alignment hint of a retrieve request, or null when bit 9 is clear. */
export function addressRangeHint(flags: number): number | null {
  return (flags & FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_VALID) !== 0 ? (flags & FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_MASK) >>> FFA_MEMORY_REGION_ADDRESS_RANGE_HINT_SHIFT : null;
}

export function flagsText(flags: number): string {
  return `0x${(flags >>> 0).toString(16)}`;
}
