import { describe, expect, it } from 'vitest';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { MEM_LAYOUTS } from '../ffa/memory/layout.js';
import { sampleShare } from '../ffa/memory/testing.js';
import { transactionFromRecord, transactionToRecord } from './transactionRecord.js';

describe('transaction record', () => {
  it.each(MEM_LAYOUTS)('survives JSON in layout %s, 64-bit values intact', (layout) => {
    const tx = { ...sampleShare(layout, 2), handle: 0xffff_ffff_ffff_fff0n, tag: 0x8000_0000_0000_0001n };
    const back = transactionFromRecord(JSON.parse(JSON.stringify(transactionToRecord(tx))));
    expect(encodeTransaction(back)).toEqual(encodeTransaction(tx));
    expect(back.handle).toBe(tx.handle);
  });
});
