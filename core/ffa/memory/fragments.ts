// Fragmentation (DEN0077 v1.1, "Transmission of transaction descriptor in
// fragments"): a descriptor larger than the sender's TX buffer (or the
// retriever's RX buffer) travels in pieces. The first fragment holds the
// header, every memory access descriptor and the composite header; every
// later fragment holds whole constituent descriptors only. FFA_MEM_FRAG_TX
// and FFA_MEM_FRAG_RX carry the offset already delivered.
import { INVALID_PARAMETERS } from '../errors.js';
import { accept, reject, type Checked } from '../result.js';
import { COMPOSITE_SIZE, CONSTITUENT_SIZE } from './layout.js';
import { compositeOffsetOf, type MemoryTransaction } from './transaction.js';

/** The fragment lengths an encoded transaction splits into for buffers of `bufferBytes`:
 *  each as long as fits, ending on a constituent boundary. Refused when even the first part does not fit. */
export function fragmentLengths(tx: MemoryTransaction, totalLength: number, bufferBytes: number): Checked<number[]> {
  const constituentsStart = compositeOffsetOf(tx) + COMPOSITE_SIZE;
  if (!tx.composite || constituentsStart + CONSTITUENT_SIZE > bufferBytes) {
    return reject(INVALID_PARAMETERS, `the header, memory access descriptors and first constituent need ${constituentsStart + CONSTITUENT_SIZE} bytes; the buffer has ${bufferBytes}`);
  }
  const perLater = Math.floor(bufferBytes / CONSTITUENT_SIZE) * CONSTITUENT_SIZE;
  const first = Math.min(totalLength, constituentsStart + Math.floor((bufferBytes - constituentsStart) / CONSTITUENT_SIZE) * CONSTITUENT_SIZE);
  const out = [first];
  for (let done = first; done < totalLength; done += out[out.length - 1] as number) out.push(Math.min(perLater, totalLength - done));
  return accept(out);
}

/** Splits `bytes` by fragmentLengths. */
export function splitFragments(bytes: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** An FFA_MEM_FRAG_RX/TX offset must be where the previous fragment ended. */
export function checkFragmentOffset(offset: number, delivered: number): Checked<number> {
  return offset === delivered ? accept(offset) : reject(INVALID_PARAMETERS, `fragment offset ${offset}: ${delivered} bytes were delivered so far`);
}

/** The fragment that starts at `offset` (FFA_MEM_FRAG_RX: the bytes the
 *  receiver has read so far). `offset` must be where a fragment ends and
 *  before the end of the descriptor. */
export function fragmentAt(bytes: Uint8Array, lengths: readonly number[], offset: number): Checked<Uint8Array> {
  let at = 0;
  for (const n of lengths) {
    if (at === offset) return at < bytes.length ? accept(bytes.subarray(at, at + n)) : reject(INVALID_PARAMETERS, `offset ${offset} is the end of the descriptor`);
    at += n;
  }
  return reject(INVALID_PARAMETERS, `offset ${offset} is not where a fragment ends (descriptor of ${bytes.length} bytes)`);
}
