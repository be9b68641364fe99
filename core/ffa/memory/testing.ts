// Valid descriptors for tests: one per layout, the shape Linux's driver and
// Hafnium's vmlib write (EMADs after the header, composite after them).
import { FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../functionIds.js';
import { FFA_DATA_ACCESS_RW, NORMAL_WRITE_BACK_INNER } from './attributes.js';
import type { MemLayout } from './layout.js';
import { buildTransaction, type Constituent, type MemoryTransaction } from './transaction.js';

/** The FF-A version whose caller writes `layout`. */
export function versionOfLayout(layout: MemLayout): number {
  return layout === 'v1.0' ? FFA_VERSION_1_0 : layout === 'v1.1' ? FFA_VERSION_1_1 : FFA_VERSION_1_2;
}

export const SAMPLE_CONSTITUENTS: readonly Constituent[] = [
  { address: 0x4010_0000n, pageCount: 2 },
  { address: 0x4020_0000n, pageCount: 1 },
  { address: 0x4000_0000n, pageCount: 4 },
];

/** A share from VM 1 to SP 0x8001 (and 0x8002 when `receivers` is 2). */
export function sampleShare(layout: MemLayout, receivers = 1, constituents: readonly Constituent[] = SAMPLE_CONSTITUENTS): MemoryTransaction {
  return buildTransaction({
    layout,
    sender: 1,
    attributes: NORMAL_WRITE_BACK_INNER,
    tag: 0n,
    receivers: Array.from({ length: receivers }, (_, i) => ({
      receiver: 0x8001 + i, permissions: { dataAccess: FFA_DATA_ACCESS_RW, instructionAccess: 0 },
      impdef: layout === 'v1.2' ? [0x11n * BigInt(i + 1), 0x22n] as const : undefined,
    })),
    constituents,
  });
}
