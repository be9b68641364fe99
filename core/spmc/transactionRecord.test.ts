import { describe, expect, it } from 'vitest';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { MEM_LAYOUTS } from '../ffa/memory/layout.js';
import { sampleShare } from '../ffa/memory/testing.js';
import { hex64, transactionFromRecord, transactionToRecord } from './transactionRecord.js';

describe('transaction record', () => {
  it.each(MEM_LAYOUTS)('survives JSON in layout %s, 64-bit values intact', (layout) => {
    const tx = { ...sampleShare(layout, 2), handle: 0xffff_ffff_ffff_fff0n, tag: 0x8000_0000_0000_0001n };
    const back = transactionFromRecord(JSON.parse(JSON.stringify(transactionToRecord(tx))));
    expect(encodeTransaction(back)).toEqual(encodeTransaction(tx));
    expect(back.handle).toBe(tx.handle);
  });

  it('hex64 writes 64 bits: in-range values as they are, negative and wider ones wrapped', () => {
    expect([0n, 0x1000n, (1n << 64n) - 1n, -1n, 1n << 64n, (1n << 64n) + 0x10n].map(hex64)).toEqual(['0x0', '0x1000', '0xffffffffffffffff', '0xffffffffffffffff', '0x0', '0x10']);
  });
});
