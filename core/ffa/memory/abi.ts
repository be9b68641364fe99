// The register arguments of the memory management ABIs (DEN0077 v1.1
// chapter 16 / v1.2 memory management supplement), read from the caller's
// x1-x4 (W views for SMC32 calls): lengths, the buffer they travel in,
// handles split over two words, fragment offsets.
import { INVALID_PARAMETERS } from '../errors.js';
import { isFfaSmc64 } from '../functionIds.js';
import { accept, reject, type Checked } from '../result.js';
import { handleFromWords } from './handle.js';

const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn);

export interface MemTransmitArgs {
  /** w1: the whole descriptor's length. */
  totalLength: number;
  /** w2: the length in this call's buffer (the first fragment). */
  fragmentLength: number;
}

/**
 * FFA_MEM_DONATE/LEND/SHARE and FFA_MEM_RETRIEVE_REQ: w1 total length, w2
 * fragment length, x3/w3 buffer address and w4 page count (both zero: the
 * descriptor is in the caller's TX buffer). Only the TX buffer is supported,
 * as in Hafnium; the fragment must fit in it.
 */
export function decodeMemTransmitArgs(x: readonly bigint[], txBufferBytes: number): Checked<MemTransmitArgs> {
  const fid = w(x, 0);
  const totalLength = w(x, 1);
  const fragmentLength = w(x, 2);
  const address = isFfaSmc64(fid) ? (x[3] ?? 0n) : BigInt(w(x, 3));
  const pageCount = w(x, 4);
  if (address !== 0n || pageCount !== 0) return reject(INVALID_PARAMETERS, 'descriptors travel in the TX buffer only: address and page count must be zero');
  if (fragmentLength === 0 || fragmentLength > totalLength) return reject(INVALID_PARAMETERS, `fragment length ${fragmentLength} must be non-zero and not above total length ${totalLength}`);
  if (fragmentLength > txBufferBytes) return reject(INVALID_PARAMETERS, `fragment length ${fragmentLength} exceeds the ${txBufferBytes}-byte TX buffer`);
  return accept({ totalLength, fragmentLength });
}

export interface HandleArgs {
  handle: bigint;
}

/** FFA_MEM_RECLAIM: w1/w2 handle, w3 flags (relinquish.ts decodeReclaimFlags). */
export function decodeReclaimArgs(x: readonly bigint[]): HandleArgs & { flags: number } {
  return { handle: handleFromWords(w(x, 1), w(x, 2)), flags: w(x, 3) };
}

export interface FragArgs extends HandleArgs {
  /** FRAG_TX: this fragment's length; FRAG_RX: the offset the receiver has read up to. */
  value: number;
  /** w4 bits 31:16: the endpoint the hypervisor acts for (0 from anyone else). */
  endpoint: number;
}

/** FFA_MEM_FRAG_TX (w3 = fragment length) and FFA_MEM_FRAG_RX (w3 = fragment offset). */
export function decodeFragArgs(x: readonly bigint[]): FragArgs {
  return { handle: handleFromWords(w(x, 1), w(x, 2)), value: w(x, 3), endpoint: (w(x, 4) >>> 16) & 0xffff };
}

/** w4 bits 15:0 are reserved in FRAG_TX/FRAG_RX: MBZ. */
export function checkFragArgsReserved(x: readonly bigint[]): Checked<void> {
  return (w(x, 4) & 0xffff) === 0 ? accept(undefined) : reject(INVALID_PARAMETERS, 'w4 bits 15:0 must be zero');
}
