// Partition information (DEN0077 v1.1 §13.8 FFA_PARTITION_INFO_GET, v1.2
// FFA_PARTITION_INFO_GET_REGS): the descriptors written to the caller's RX
// buffer, in the caller's version's form:
//   v1.0: 8 bytes  {u16 partition ID, u16 execution-context count, u32 properties}
//   v1.1+: 24 bytes, the same followed by the partition's UUID (16 bytes,
//   canonical order; see uuid.ts). A v1.0 caller gets no size in w3 and no UUID.
import { FFA_SUCCESS_64, FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from './functionIds.js';
import { INVALID_PARAMETERS } from './errors.js';
import { accept, ffaError, ffaSuccess32, ffaValue, reject, type Checked, type FfaResult } from './result.js';
import { UUID_BYTES, uuidFromX2, uuidToX2, type FfaUuid } from './uuid.js';

export const PARTITION_INFO_SIZE_V1_0 = 8;
export const PARTITION_INFO_SIZE_V1_1 = 24;

// Partition properties (the partition information descriptor's properties word; bits 9-10 are v1.2's).
export const FFA_PARTITION_DIRECT_REQ_RECV = 1 << 0;
export const FFA_PARTITION_DIRECT_REQ_SEND = 1 << 1;
export const FFA_PARTITION_INDIRECT_MSG = 1 << 2;
export const FFA_PARTITION_NOTIFICATION = 1 << 3;
/** Bits 5:4: what the ID names (0: a PE endpoint, 1: an SEPID independent of a PE, 2: dependent, 3: an auxiliary ID). */
export const FFA_PARTITION_ID_TYPE_SHIFT = 4;
export const FFA_PARTITION_VM_CREATED = 1 << 6;
export const FFA_PARTITION_VM_DESTROYED = 1 << 7;
export const FFA_PARTITION_AARCH64_EXEC = 1 << 8;
export const FFA_PARTITION_DIRECT_REQ2_RECV = 1 << 9;
export const FFA_PARTITION_DIRECT_REQ2_SEND = 1 << 10;

/** Property bits a version defines (the rest are reserved, MBZ): v1.0 had
 *  bits 2:0 only (Hafnium FFA_PARTITION_v1_0_RES_MASK), v1.1 bits 8:0, v1.2 bits 10:0. */
export function partitionPropertiesMask(version: number): number {
  if (version <= FFA_VERSION_1_0) return 0x7;
  if (version === FFA_VERSION_1_1) return 0x1ff;
  return 0x7ff;
}

export interface PartitionInfo {
  id: number;
  /** Execution contexts: the vCPU count of a VM, 1 or the PE count of an SP. */
  executionContexts: number;
  properties: number;
  uuid: FfaUuid;
}

/** The descriptor size for a caller's version. */
export function partitionInfoSize(version: number): number {
  return version <= FFA_VERSION_1_0 ? PARTITION_INFO_SIZE_V1_0 : PARTITION_INFO_SIZE_V1_1;
}

/** The descriptors for `version`, back to back; properties cut to the bits the version defines. */
export function encodePartitionInfo(list: readonly PartitionInfo[], version: number): Uint8Array {
  const size = partitionInfoSize(version);
  const out = new Uint8Array(size * list.length);
  const dv = new DataView(out.buffer);
  list.forEach((p, i) => {
    const o = i * size;
    dv.setUint16(o, p.id & 0xffff, true);
    dv.setUint16(o + 2, p.executionContexts & 0xffff, true);
    dv.setUint32(o + 4, (p.properties & partitionPropertiesMask(version)) >>> 0, true);
    if (size === PARTITION_INFO_SIZE_V1_1) out.set(p.uuid.subarray(0, UUID_BYTES), o + 8);
  });
  return out;
}

/** `count` descriptors of `size` bytes (8 or 24, or larger from a newer
 *  implementation: the known prefix is read). Refuses what does not fit. */
export function decodePartitionInfo(bytes: Uint8Array, count: number, size: number): Checked<PartitionInfo[]> {
  if (size !== PARTITION_INFO_SIZE_V1_0 && size < PARTITION_INFO_SIZE_V1_1) return reject(INVALID_PARAMETERS, `partition info size ${size} is neither 8 nor at least 24`);
  if (!Number.isSafeInteger(count) || count < 0 || count * size > bytes.length) return reject(INVALID_PARAMETERS, `${count} descriptors of ${size} bytes do not fit in ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: PartitionInfo[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    out.push({
      id: dv.getUint16(o, true),
      executionContexts: dv.getUint16(o + 2, true),
      properties: dv.getUint32(o + 4, true),
      uuid: size >= PARTITION_INFO_SIZE_V1_1 ? bytes.slice(o + 8, o + 8 + UUID_BYTES) : new Uint8Array(UUID_BYTES),
    });
  }
  return accept(out);
}

/** FFA_PARTITION_INFO_GET's flags (w5, v1.1): bit 0 asks for the count only; bits 31:1 MBZ. A v1.0 caller has no flags. */
export const FFA_PARTITION_COUNT_FLAG = 1;

export function decodePartitionInfoGetFlags(w5: number, version: number): Checked<{ countOnly: boolean }> {
  const flags = w5 >>> 0;
  if (version <= FFA_VERSION_1_0) {
    return flags === 0 ? accept({ countOnly: false }) : reject(INVALID_PARAMETERS, `w5 ${flags.toString(16)} must be zero for a v1.0 caller`);
  }
  if ((flags & ~FFA_PARTITION_COUNT_FLAG) !== 0) return reject(INVALID_PARAMETERS, `FFA_PARTITION_INFO_GET flags 0x${flags.toString(16)}: bits 31:1 must be zero`);
  return accept({ countOnly: (flags & FFA_PARTITION_COUNT_FLAG) !== 0 });
}

/** FFA_SUCCESS_32 of FFA_PARTITION_INFO_GET: the count in w2, the descriptor size in w3 (zero for v1.0 and for count-only). */
export function partitionInfoGetSuccess(count: number, version: number, countOnly: boolean): FfaResult {
  const size = version <= FFA_VERSION_1_0 || countOnly ? 0 : partitionInfoSize(version);
  return ffaSuccess32(0, count, size);
}

// FFA_PARTITION_INFO_GET_REGS (v1.2): up to five descriptors in x3-x17,
// three registers each: x(n) = ID | contexts << 16 | properties << 32,
// x(n+1)/x(n+2) the UUID (uuidToX2). x2 = size << 48 | tag << 32 | current index << 16 | last index.
export const PARTITION_INFO_REGS_PER_CALL = 5;

/** The answer covering `all[start..]` (at most five), or INVALID_PARAMETERS when `start` is past the end. */
export function partitionInfoRegsAnswer(all: readonly PartitionInfo[], start: number, tag: number): FfaResult {
  if (all.length === 0 || start < 0 || start >= all.length) return ffaError(INVALID_PARAMETERS, `start index ${start} is not below the partition count ${all.length}`);
  const last = all.length - 1;
  const current = Math.min(last, start + PARTITION_INFO_REGS_PER_CALL - 1);
  const x2 = (BigInt(PARTITION_INFO_SIZE_V1_1) << 48n) | (BigInt(tag & 0xffff) << 32n) | (BigInt(current) << 16n) | BigInt(last);
  const args: bigint[] = [0n, x2];
  for (let i = start; i <= current; i++) {
    const p = all[i] as PartitionInfo;
    const [lo, hi] = uuidToX2(p.uuid);
    args.push(BigInt(p.id & 0xffff) | (BigInt(p.executionContexts & 0xffff) << 16n) | (BigInt((p.properties & partitionPropertiesMask(FFA_VERSION_1_2)) >>> 0) << 32n), lo, hi);
  }
  return ffaValue(FFA_SUCCESS_64, args);
}

/** Reads an FFA_PARTITION_INFO_GET_REGS answer to a call that asked from `start` (for clients and tests). */
export function decodePartitionInfoRegs(x: readonly bigint[], start: number): { last: number; current: number; tag: number; size: number; entries: PartitionInfo[] } {
  const x2 = x[2] ?? 0n;
  const last = Number(x2 & 0xffffn);
  const current = Number((x2 >> 16n) & 0xffffn);
  const tag = Number((x2 >> 32n) & 0xffffn);
  const size = Number((x2 >> 48n) & 0xffffn);
  const entries: PartitionInfo[] = [];
  const count = Math.max(0, Math.min(PARTITION_INFO_REGS_PER_CALL, current - start + 1));
  for (let k = 0; k < count; k++) {
    const r = 3 + 3 * k;
    const head = x[r] ?? 0n;
    entries.push({
      id: Number(head & 0xffffn),
      executionContexts: Number((head >> 16n) & 0xffffn),
      properties: Number((head >> 32n) & 0xffff_ffffn),
      uuid: uuidFromX2(x[r + 1] ?? 0n, x[r + 2] ?? 0n),
    });
  }
  return { last, current, tag, size, entries };
}
