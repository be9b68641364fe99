import { describe, expect, it } from 'vitest';
import { DENIED, INVALID_PARAMETERS } from '../errors.js';
import { FFA_MEM_DONATE_32, FFA_MEM_LEND_64, FFA_MEM_SHARE_64, FFA_VERSION, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../functionIds.js';
import { errorCodeOf, type Checked } from '../result.js';
import { ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_NOT_SPECIFIED, FFA_DATA_ACCESS_RO, FFA_INSTRUCTION_ACCESS_NX } from './attributes.js';
import { transactionTypeFlags } from './flags.js';
import { checkRetrieveRequest, checkRetrieveResponse, checkSend, sendOpOf, type SendOp } from './rules.js';
import { buildTransaction, type MemoryTransaction } from './transaction.js';
import { sampleShare } from './testing.js';

function code<T>(r: Checked<T>): number | 'ok' {
  return r.ok ? 'ok' : (errorCodeOf(r.error) as number);
}

function lend(receivers = 1): MemoryTransaction {
  const tx = sampleShare('v1.1', receivers);
  if (receivers === 1) tx.attributes = { ...ATTRIBUTES_NOT_SPECIFIED };
  return tx;
}

function donate(): MemoryTransaction {
  const tx = lend(1);
  tx.receivers[0]!.permissions.dataAccess = FFA_DATA_ACCESS_NOT_SPECIFIED;
  return tx;
}

describe('send rules (DONATE/LEND/SHARE)', () => {
  it('maps function IDs to operations', () => {
    expect([sendOpOf(FFA_MEM_SHARE_64), sendOpOf(FFA_MEM_LEND_64), sendOpOf(FFA_MEM_DONATE_32), sendOpOf(FFA_VERSION)]).toEqual(['share', 'lend', 'donate', null]);
  });

  it('accepts what Linux and Hafnium send, storing a share as not executable', () => {
    const share = checkSend(sampleShare('v1.1', 2), 'share', { callerId: 1 });
    expect(share.ok && share.value.receivers.map((r) => r.permissions.instructionAccess)).toEqual([FFA_INSTRUCTION_ACCESS_NX, FFA_INSTRUCTION_ACCESS_NX]);
    expect(code(checkSend(lend(), 'lend'))).toBe('ok');
    expect(code(checkSend(lend(2), 'lend'))).toBe('ok');
    expect(code(checkSend(donate(), 'donate'))).toBe('ok');
  });

  const cases: [string, SendOp, () => MemoryTransaction, number, RegExp][] = [
    ['sender is not the caller', 'share', () => ({ ...sampleShare('v1.1'), sender: 2 }), DENIED, /not the caller/],
    ['non-zero handle', 'share', () => ({ ...sampleShare('v1.1'), handle: 5n }), INVALID_PARAMETERS, /handle/],
    ['undefined flag bits', 'lend', () => ({ ...lend(), flags: 1 << 3 }), INVALID_PARAMETERS, /only bits 1:0/],
    ['time slicing', 'lend', () => ({ ...lend(), flags: 2 }), INVALID_PARAMETERS, /time slicing/],
    ['zeroing shared memory', 'share', () => ({ ...sampleShare('v1.1'), flags: 1 }), INVALID_PARAMETERS, /cannot be zeroed/],
    ['donate to two', 'donate', () => { const t = lend(2); t.attributes = { ...ATTRIBUTES_NOT_SPECIFIED }; t.receivers.forEach((r) => { r.permissions.dataAccess = 0; }); return t; }, INVALID_PARAMETERS, /one borrower/],
    ['NS bit', 'share', () => { const t = sampleShare('v1.1'); t.attributes.security = 1; return t; }, INVALID_PARAMETERS, /NS bit/],
    ['sharing with itself', 'share', () => { const t = sampleShare('v1.1'); t.receivers[0]!.receiver = 1; return t; }, INVALID_PARAMETERS, /is the sender/],
    ['non-retrieval flag', 'share', () => { const t = sampleShare('v1.1'); t.receivers[0]!.flags = 1; return t; }, INVALID_PARAMETERS, /non-retrieval/],
    ['instruction access from the sender', 'share', () => { const t = sampleShare('v1.1'); t.receivers[0]!.permissions.instructionAccess = 1; return t; }, INVALID_PARAMETERS, /instruction access/],
    ['share without data access', 'share', () => { const t = sampleShare('v1.1'); t.receivers[0]!.permissions.dataAccess = 0; return t; }, INVALID_PARAMETERS, /must specify data access/],
    ['lend without data access', 'lend', () => { const t = lend(); t.receivers[0]!.permissions.dataAccess = 0; return t; }, INVALID_PARAMETERS, /must specify data access/],
    ['donate with data access', 'donate', () => { const t = donate(); t.receivers[0]!.permissions.dataAccess = FFA_DATA_ACCESS_RO; return t; }, INVALID_PARAMETERS, /unspecified/],
    ['lend to one with a memory type', 'lend', () => sampleShare('v1.1'), INVALID_PARAMETERS, /memory type unspecified/],
    ['share of non-cacheable memory', 'share', () => { const t = sampleShare('v1.1'); t.attributes.cacheability = 1; return t; }, DENIED, /write-back/],
    ['share of device nGnRE memory', 'share', () => { const t = sampleShare('v1.1'); t.attributes = { type: 1, cacheability: 1, shareability: 3, security: 0 }; return t; }, DENIED, /nGnRnE/],
    ['share of outer-shareable memory', 'share', () => { const t = sampleShare('v1.1'); t.attributes.shareability = 2; return t; }, DENIED, /inner shareable/],
    ['no composite', 'share', () => ({ ...sampleShare('v1.1'), composite: null }), INVALID_PARAMETERS, /composite/],
  ];
  it.each(cases)('refuses %s', (_, op, make, want, reason) => {
    const r = checkSend(make(), op, { callerId: 1 });
    expect(code(r)).toBe(want);
    if (!r.ok) expect(r.error.reason).toMatch(reason);
  });
});

describe('retrieve request rules', () => {
  const request = (flags: number, receivers = 1): MemoryTransaction => buildTransaction({
    layout: 'v1.1', sender: 1, attributes: ATTRIBUTES_NOT_SPECIFIED, handle: 1n, flags,
    receivers: Array.from({ length: receivers }, (_, i) => ({ receiver: 0x8001 + i, permissions: { dataAccess: 2, instructionAccess: 0 } })),
  });

  it('accepts transaction types, zeroing flags, time slicing', () => {
    for (const f of [0, transactionTypeFlags('lend') | 1 | 4, 2]) expect(code(checkRetrieveRequest(request(f), FFA_VERSION_1_1))).toBe('ok');
  });

  it('refuses flags a version does not define, hints, bypass with several descriptors, NS, unmappable attributes', () => {
    expect(code(checkRetrieveRequest(request(1 << 10), FFA_VERSION_1_1))).toBe(INVALID_PARAMETERS);
    expect(code(checkRetrieveRequest(request(1 << 10), FFA_VERSION_1_2))).toBe('ok');
    expect(code(checkRetrieveRequest(request(1 << 11), FFA_VERSION_1_2))).toBe(INVALID_PARAMETERS);
    expect(code(checkRetrieveRequest(request((1 << 9) | (2 << 5)), FFA_VERSION_1_1))).toBe(INVALID_PARAMETERS);
    expect(code(checkRetrieveRequest(request(2 << 5), FFA_VERSION_1_1))).toBe(INVALID_PARAMETERS);
    expect(code(checkRetrieveRequest(request(1 << 10, 2), FFA_VERSION_1_2))).toBe(INVALID_PARAMETERS);
    const ns = request(0);
    ns.attributes.security = 1;
    expect(code(checkRetrieveRequest(ns, FFA_VERSION_1_1))).toBe(INVALID_PARAMETERS);
    const nc = request(0);
    nc.attributes = { type: 2, cacheability: 1, shareability: 3, security: 0 };
    expect(code(checkRetrieveRequest(nc, FFA_VERSION_1_1))).toBe(DENIED);
  });
});

describe('retrieve response rules', () => {
  const response = (): MemoryTransaction => ({ ...sampleShare('v1.1'), handle: 3n, flags: transactionTypeFlags('share') });

  it('accepts a response naming its type, mapping and access', () => {
    expect(checkRetrieveResponse(response())).toEqual({ ok: true, value: 'share' });
  });

  it('refuses undefined flags, no type, no composite, no memory type, no data access', () => {
    const cases: (() => MemoryTransaction)[] = [
      () => ({ ...response(), flags: transactionTypeFlags('share') | (1 << 5) }),
      () => ({ ...response(), flags: 0 }),
      () => ({ ...response(), composite: null }),
      () => ({ ...response(), attributes: { ...ATTRIBUTES_NOT_SPECIFIED } }),
      () => { const t = response(); t.receivers[0]!.permissions.dataAccess = 0; return t; },
    ];
    for (const make of cases) expect(code(checkRetrieveResponse(make()))).toBe(INVALID_PARAMETERS);
  });
});
