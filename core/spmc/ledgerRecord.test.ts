import { describe, expect, it } from 'vitest';
import { MemoryLedger, type MemoryLedgerState } from './memoryLedger.js';
import { TEST_VERSION, pages, retrieveTx, sendTx } from './ledgerTesting.js';
import { checkLedgerRecord } from './ledgerRecord.js';

function busyRecord(): MemoryLedgerState {
  const l = new MemoryLedger();
  l.declareRegion(1, 0x4000_0000n, 8);
  const s = l.send('lend', 1, sendTx('lend', 1, [0x8001], [pages(0x4000_0000n, 2)]));
  if (!s.ok) throw new Error(s.error.reason);
  const r = l.retrieve(0x8001, retrieveTx('lend', 1, [0x8001], s.value.handle), TEST_VERSION, 2);
  if (!r.ok) throw new Error(r.error.reason);
  return JSON.parse(JSON.stringify(l.getState())) as MemoryLedgerState;
}

describe('memory ledger record check', () => {
  it('accepts what the ledger saves', () => {
    expect(() => checkLedgerRecord(busyRecord())).not.toThrow();
    expect(() => checkLedgerRecord(new MemoryLedger().getState())).not.toThrow();
  });

  it.each([
    ['.nextHandleIndex', (r: any) => { r.nextHandleIndex = 0; }],
    ['.regions[0].base', (r: any) => { r.regions[0].base = 1073741824; }],
    ['.pages key', (r: any) => { r.pages['page'] = { owner: 1, handle: null }; }],
    ['.pages[0x40000000].handle', (r: any) => { r.pages['0x40000000'].handle = 7; }],
    ['.transactions[0].op', (r: any) => { r.transactions[0].op = 'borrow'; }],
    ['.transactions[0].tx.layout', (r: any) => { r.transactions[0].tx.layout = 'v2.0'; }],
    ['.transactions[0].tx.composite.constituents[0].address', (r: any) => { r.transactions[0].tx.composite.constituents[0].address = '0xg'; }],
    ['.transactions[0].borrowers[0].granted', (r: any) => { r.transactions[0].borrowers[0].granted = 256; }],
    ['.transactions[0].borrowers', (r: any) => { r.transactions[0].borrowers = {}; }],
  ] as const)('refuses a bad %s, naming it', (path, damage) => {
    const r = busyRecord();
    damage(r);
    expect(() => checkLedgerRecord(r)).toThrow(`memory ledger state ${path}: want`);
    expect(() => new MemoryLedger().setState(r)).toThrow(path);
  });
});
