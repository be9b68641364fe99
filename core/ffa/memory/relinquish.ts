// FFA_MEM_RELINQUISH's descriptor (DEN0077 v1.1, "Descriptor to relinquish
// a memory region"; Hafnium struct ffa_mem_relinquish) and FFA_MEM_RECLAIM's
// flags word. The relinquish descriptor sits in the caller's TX buffer with
// no length in the call, so the decoder bounds it by the buffer.
//   handle u64 @0, flags u32 @8, endpoint count u32 @12, endpoint IDs u16[] @16
import { INVALID_PARAMETERS } from '../errors.js';
import { accept, reject, type Checked } from '../result.js';
import { FFA_MEMORY_REGION_FLAG_CLEAR, FFA_MEMORY_REGION_FLAG_TIME_SLICE, RECLAIM_FLAGS_MASK, RELINQUISH_FLAGS_MASK, flagsText } from './flags.js';

export const RELINQUISH_HANDLE = 0;
export const RELINQUISH_FLAGS = 8;
export const RELINQUISH_ENDPOINT_COUNT = 12;
export const RELINQUISH_ENDPOINTS = 16;

export interface Relinquish {
  handle: bigint;
  /** Bit 0: zero the memory after it is unmapped; bit 1: time slicing. */
  flags: number;
  endpoints: number[];
}

export function relinquishLength(r: Relinquish): number {
  return RELINQUISH_ENDPOINTS + 2 * r.endpoints.length;
}

export function encodeRelinquish(r: Relinquish): Uint8Array {
  const out = new Uint8Array(relinquishLength(r));
  const dv = new DataView(out.buffer);
  dv.setBigUint64(RELINQUISH_HANDLE, BigInt.asUintN(64, r.handle), true);
  dv.setUint32(RELINQUISH_FLAGS, r.flags >>> 0, true);
  dv.setUint32(RELINQUISH_ENDPOINT_COUNT, r.endpoints.length, true);
  r.endpoints.forEach((e, i) => dv.setUint16(RELINQUISH_ENDPOINTS + 2 * i, e & 0xffff, true));
  return out;
}

/** Decodes the descriptor at the start of `buffer` (the copied TX buffer). */
export function decodeRelinquish(buffer: Uint8Array): Checked<Relinquish> {
  if (buffer.length < RELINQUISH_ENDPOINTS) return reject(INVALID_PARAMETERS, `relinquish descriptor needs ${RELINQUISH_ENDPOINTS} bytes, the buffer has ${buffer.length}`);
  const dv = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const flags = dv.getUint32(RELINQUISH_FLAGS, true);
  const count = dv.getUint32(RELINQUISH_ENDPOINT_COUNT, true);
  if ((flags & ~RELINQUISH_FLAGS_MASK) !== 0) return reject(INVALID_PARAMETERS, `relinquish flags ${flagsText(flags)}: bits 31:2 must be zero`);
  if ((flags & FFA_MEMORY_REGION_FLAG_TIME_SLICE) !== 0) return reject(INVALID_PARAMETERS, 'time slicing is not supported');
  if (count === 0) return reject(INVALID_PARAMETERS, 'relinquish names no endpoint');
  if (RELINQUISH_ENDPOINTS + 2 * count > buffer.length) return reject(INVALID_PARAMETERS, `${count} endpoints do not fit in the ${buffer.length}-byte buffer`);
  const endpoints: number[] = [];
  for (let i = 0; i < count; i++) endpoints.push(dv.getUint16(RELINQUISH_ENDPOINTS + 2 * i, true));
  return accept({ handle: dv.getBigUint64(RELINQUISH_HANDLE, true), flags, endpoints });
}

/** FFA_MEM_RECLAIM's w3: bit 0 zero the memory before the owner gets it back, bit 1 time slicing, the rest MBZ. */
export function decodeReclaimFlags(w3: number): Checked<{ clear: boolean }> {
  const flags = w3 >>> 0;
  if ((flags & ~RECLAIM_FLAGS_MASK) !== 0) return reject(INVALID_PARAMETERS, `reclaim flags ${flagsText(flags)}: bits 31:2 must be zero`);
  if ((flags & FFA_MEMORY_REGION_FLAG_TIME_SLICE) !== 0) return reject(INVALID_PARAMETERS, 'time slicing is not supported');
  return accept({ clear: (flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0 });
}
