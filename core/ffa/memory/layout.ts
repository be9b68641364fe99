// Byte layouts of the memory transaction descriptor (DEN0077 v1.0 Table 5.19
// and chapter 5; v1.1 chapter 10, "Lend, donate or share memory transaction
// descriptor"; v1.2 memory management supplement "Endpoint memory access
// descriptor"). Cross-checked in layout.test.ts against Hafnium's
// inc/vmapi/hf/ffa.h, ffa_v1_0.h and Linux's include/linux/arm_ffa.h.
//
// Header                       v1.0   v1.1/v1.2
//   sender ID           u16      0       0
//   attributes          u8/u16   2       2     (v1.0: a byte, byte 3 reserved)
//   flags               u32      4       4
//   handle              u64      8       8
//   tag                 u64     16      16
//   EMAD size           u32     (24 reserved) 24
//   receiver count      u32     28      28
//   receivers offset    u32      -      32     (v1.0: the array starts at 32)
//   reserved           12 B      -      36
//   size                        32      48
// Endpoint memory access descriptor (EMAD)   v1.0/v1.1 16 B, v1.2 32 B
//   receiver ID u16 @0, permissions u8 @2, receiver flags u8 @3,
//   composite offset u32 @4, then v1.0/v1.1: reserved u64 @8;
//   v1.2: implementation-defined 16 B @8, reserved u64 @24.
// Composite memory region: page count u32 @0, constituent count u32 @4, reserved u64 @8 (16 B)
// Constituent memory region: address u64 @0, page count u32 @8, reserved u32 @12 (16 B)
import { FFA_VERSION_1_0, FFA_VERSION_1_2 } from '../functionIds.js';

export type MemLayout = 'v1.0' | 'v1.1' | 'v1.2';
export const MEM_LAYOUTS: readonly MemLayout[] = ['v1.0', 'v1.1', 'v1.2'];

export const HEADER_SENDER = 0;
export const HEADER_ATTRIBUTES = 2;
export const HEADER_RESERVED_0_V1_0 = 3;
export const HEADER_FLAGS = 4;
export const HEADER_HANDLE = 8;
export const HEADER_TAG = 16;
export const HEADER_EMAD_SIZE = 24; // v1.0: reserved_1
export const HEADER_RECEIVER_COUNT = 28;
export const HEADER_RECEIVERS_OFFSET = 32; // v1.1+
export const HEADER_RESERVED_V1_1 = 36; // 12 bytes

export const EMAD_RECEIVER = 0;
export const EMAD_PERMISSIONS = 2;
export const EMAD_FLAGS = 3;
export const EMAD_COMPOSITE_OFFSET = 4;
export const EMAD_RESERVED_V1_0 = 8; // 8 bytes, v1.0/v1.1
export const EMAD_IMPDEF_V1_2 = 8; // 16 bytes
export const EMAD_RESERVED_V1_2 = 24; // 8 bytes

export const COMPOSITE_PAGE_COUNT = 0;
export const COMPOSITE_CONSTITUENT_COUNT = 4;
export const COMPOSITE_RESERVED = 8;
export const COMPOSITE_SIZE = 16;

export const CONSTITUENT_ADDRESS = 0;
export const CONSTITUENT_PAGE_COUNT = 8;
export const CONSTITUENT_RESERVED = 12;
export const CONSTITUENT_SIZE = 16;

/** FF-A's page: 4 KiB whatever the translation granule (the spec counts pages of 4 KiB). */
export const FFA_PAGE_SIZE = 4096;

export function headerSize(layout: MemLayout): number {
  return layout === 'v1.0' ? 32 : 48;
}

export function emadSize(layout: MemLayout): number {
  return layout === 'v1.2' ? 32 : 16;
}

/** The layout a caller at `version` writes when it declares `declaredEmadSize` (v1.1+). Null when the pair is not valid:
 *  a 32-byte EMAD needs v1.2; a v1.2 caller may still use 16-byte ones (Hafnium ffa_version_from_memory_access_desc_size). */
export function layoutFor(version: number, declaredEmadSize: number): MemLayout | null {
  if (version <= FFA_VERSION_1_0) return 'v1.0';
  if (declaredEmadSize === 16) return 'v1.1';
  if (declaredEmadSize === 32 && version >= FFA_VERSION_1_2) return 'v1.2';
  return null;
}

/** The layout a Relayer writes for a caller at `version` (its newest). */
export function layoutOfVersion(version: number): MemLayout {
  if (version <= FFA_VERSION_1_0) return 'v1.0';
  return version >= FFA_VERSION_1_2 ? 'v1.2' : 'v1.1';
}
