// FFA_RXTX_MAP's arguments (FF-A v1.1): the TX buffer's
// address in x1/w1, the RX buffer's in x2/w2, the page count of each in w3
// (v1.0/v1.1 define bits 5:0; later versions let FFA_FEATURES advertise
// larger buffers, so, as Hafnium, the whole word is the count, bounded by
// the Relayer's page limit). Both buffers 4 KiB aligned and disjoint
// (Hafnium api_vm_configure_pages).
import { INVALID_PARAMETERS } from './errors.js';
import { isFfaSmc64 } from './functionIds.js';
import { accept, reject, type Checked } from './result.js';

export interface RxtxMapArgs {
  tx: bigint;
  rx: bigint;
  pageCount: number;
}

const PAGE = 4096n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function decodeRxtxMapArgs(x: readonly bigint[], maxPages: number): Checked<RxtxMapArgs> {
  const fid = Number((x[0] ?? 0n) & 0xffff_ffffn);
  const view = (n: number): bigint => (isFfaSmc64(fid) ? (x[n] ?? 0n) : (x[n] ?? 0n) & 0xffff_ffffn);
  const tx = view(1);
  const rx = view(2);
  const w3 = Number((x[3] ?? 0n) & 0xffff_ffffn);
  const pageCount = w3;
  if (pageCount < 1 || pageCount > maxPages) return reject(INVALID_PARAMETERS, `page count ${pageCount} must be 1..${maxPages}`);
  if (tx % PAGE !== 0n || rx % PAGE !== 0n) return reject(INVALID_PARAMETERS, `buffers ${hex(tx)} and ${hex(rx)} must be 4 KiB aligned`);
  const size = BigInt(pageCount) * PAGE;
  if (tx + size > 1n << 64n || rx + size > 1n << 64n) return reject(INVALID_PARAMETERS, 'a buffer wraps the address space');
  if (tx < rx + size && rx < tx + size) return reject(INVALID_PARAMETERS, `TX ${hex(tx)} and RX ${hex(rx)} overlap`);
  return accept({ tx, rx, pageCount });
}
