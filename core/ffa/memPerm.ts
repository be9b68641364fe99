// FFA_MEM_PERM_GET/SET (FF-A v1.1, for partitions during initialisation):
// x1 base address (4 KiB aligned), x2 page count (SET), w3 (SET) or w2
// (GET's answer) the permissions: bits 1:0 data access (1 read-write,
// 3 read-only; 0 no access, 2 reserved), bit 2 set for not executable, the
// rest MBZ. Writable and executable together is refused (Hafnium accepts
// exactly RO 0x7, RW 0x5 and RX 0x3).
import { INVALID_PARAMETERS } from './errors.js';
import { accept, reject, type Checked } from './result.js';

export const FFA_MEM_PERM_RO = 0x7;
export const FFA_MEM_PERM_RW = 0x5;
export const FFA_MEM_PERM_RX = 0x3;

export type MemPerm = 'RO' | 'RW' | 'RX';

export function memPermValue(p: MemPerm): number {
  return p === 'RO' ? FFA_MEM_PERM_RO : p === 'RW' ? FFA_MEM_PERM_RW : FFA_MEM_PERM_RX;
}

export interface MemPermSetArgs {
  base: bigint;
  pageCount: number;
  permission: MemPerm;
}

export function decodeMemPermSetArgs(x: readonly bigint[]): Checked<MemPermSetArgs> {
  const base = x[1] ?? 0n;
  const pageCount = Number((x[2] ?? 0n) & 0xffff_ffffn);
  const w3 = Number((x[3] ?? 0n) & 0xffff_ffffn);
  if (base % 4096n !== 0n) return reject(INVALID_PARAMETERS, `base 0x${base.toString(16)} is not 4 KiB aligned`);
  if (pageCount === 0) return reject(INVALID_PARAMETERS, 'page count is zero');
  if (base + BigInt(pageCount) * 4096n > 1n << 64n) return reject(INVALID_PARAMETERS, 'the range wraps the address space');
  const permission: MemPerm | null = w3 === FFA_MEM_PERM_RO ? 'RO' : w3 === FFA_MEM_PERM_RW ? 'RW' : w3 === FFA_MEM_PERM_RX ? 'RX' : null;
  if (!permission) return reject(INVALID_PARAMETERS, `permissions 0x${w3.toString(16)}: want RO (0x7), RW (0x5) or RX (0x3)`);
  return accept({ base, pageCount, permission });
}
