// The small bit fields of a memory transaction (DEN0077 v1.1 chapter 10):
// the memory region attributes (a byte in v1.0, 16 bits from v1.1), the
// memory access permissions byte and the receiver flags byte of an endpoint
// memory access descriptor. Decoding keeps every defined field; bits the
// version reserves are refused by the decoders (they must be zero).

/** Memory region attributes. */
export interface MemoryRegionAttributes {
  /** Bits 1:0: 0 non-shareable, 1 reserved, 2 outer, 3 inner shareable. */
  shareability: number;
  /** Bits 3:2: Normal memory 1 non-cacheable, 3 write-back (0, 2 reserved); Device memory 0 nGnRnE .. 3 GRE. */
  cacheability: number;
  /** Bits 5:4: 0 not specified, 1 Device, 2 Normal, 3 reserved. */
  type: number;
  /** Bit 6 (v1.1): the NS bit, set only by a Relayer in a retrieve response. */
  security: number;
}

export const FFA_MEMORY_SHARE_NON_SHAREABLE = 0;
export const FFA_MEMORY_SHARE_RESERVED = 1;
export const FFA_MEMORY_OUTER_SHAREABLE = 2;
export const FFA_MEMORY_INNER_SHAREABLE = 3;
export const FFA_MEMORY_CACHE_NON_CACHEABLE = 1;
export const FFA_MEMORY_CACHE_WRITE_BACK = 3;
export const FFA_MEMORY_DEV_NGNRNE = 0;
export const FFA_MEMORY_NOT_SPECIFIED_MEM = 0;
export const FFA_MEMORY_DEVICE_MEM = 1;
export const FFA_MEMORY_NORMAL_MEM = 2;
export const FFA_MEMORY_TYPE_RESERVED = 3;

/** Attribute bits each layout defines: v1.0 bits 5:0 of a byte, v1.1+ bits 6:0 of 16 (15:7 MBZ). */
export const ATTRIBUTES_MASK_V1_0 = 0x3f;
export const ATTRIBUTES_MASK_V1_1 = 0x7f;

export function decodeAttributes(raw: number): MemoryRegionAttributes {
  return { shareability: raw & 3, cacheability: (raw >> 2) & 3, type: (raw >> 4) & 3, security: (raw >> 6) & 1 };
}

export function encodeAttributes(a: MemoryRegionAttributes): number {
  return (a.shareability & 3) | ((a.cacheability & 3) << 2) | ((a.type & 3) << 4) | ((a.security & 1) << 6);
}

/** Normal, write-back, inner shareable: what Linux's driver sends for a share. */
export const NORMAL_WRITE_BACK_INNER: MemoryRegionAttributes = {
  shareability: FFA_MEMORY_INNER_SHAREABLE, cacheability: FFA_MEMORY_CACHE_WRITE_BACK, type: FFA_MEMORY_NORMAL_MEM, security: 0,
};

export const ATTRIBUTES_NOT_SPECIFIED: MemoryRegionAttributes = { shareability: 0, cacheability: 0, type: 0, security: 0 };

/** Memory access permissions: bits 1:0 data access, bits 3:2 instruction access, bits 7:4 MBZ. */
export interface MemoryAccessPermissions {
  /** 0 not specified, 1 read-only, 2 read-write, 3 reserved. */
  dataAccess: number;
  /** 0 not specified, 1 not executable, 2 executable, 3 reserved. */
  instructionAccess: number;
}

export const FFA_DATA_ACCESS_NOT_SPECIFIED = 0;
export const FFA_DATA_ACCESS_RO = 1;
export const FFA_DATA_ACCESS_RW = 2;
export const FFA_DATA_ACCESS_RESERVED = 3;
export const FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED = 0;
export const FFA_INSTRUCTION_ACCESS_NX = 1;
export const FFA_INSTRUCTION_ACCESS_X = 2;
export const FFA_INSTRUCTION_ACCESS_RESERVED = 3;

export const PERMISSIONS_MASK = 0x0f;

export function decodePermissions(raw: number): MemoryAccessPermissions {
  return { dataAccess: raw & 3, instructionAccess: (raw >> 2) & 3 };
}

export function encodePermissions(p: MemoryAccessPermissions): number {
  return (p.dataAccess & 3) | ((p.instructionAccess & 3) << 2);
}

/** Receiver flags: bit 0, in a retrieve request of a transaction with
 *  several borrowers, marks a borrower that does not retrieve now; bits 7:1 MBZ. */
export const FFA_MEMORY_RECEIVER_FLAG_NON_RETRIEVAL_BORROWER = 1;
export const RECEIVER_FLAGS_MASK = 0x01;

const DATA_NAMES = ['not-specified', 'RO', 'RW', 'reserved'];
const INSTRUCTION_NAMES = ['not-specified', 'NX', 'X', 'reserved'];

/** "RW/NX" for traces and refusal reasons. */
export function permissionsText(p: MemoryAccessPermissions): string {
  return `${DATA_NAMES[p.dataAccess & 3]}/${INSTRUCTION_NAMES[p.instructionAccess & 3]}`;
}
