import { describe, expect, it } from 'vitest';
import { DENIED, INVALID_PARAMETERS } from '../errors.js';
import { FFA_VERSION_1_1 } from '../functionIds.js';
import { errorCodeOf, type Checked } from '../result.js';
import { ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_RO, FFA_DATA_ACCESS_RW, FFA_INSTRUCTION_ACCESS_NX, FFA_INSTRUCTION_ACCESS_X } from './attributes.js';
import { decodeTransaction } from './decode.js';
import { FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK, transactionTypeFlags, transactionTypeOf } from './flags.js';
import { checkSend, type SendOp } from './rules.js';
import { buildRetrieveResponse, checkRetrieveAgainstSent, grantedPermissions, sentReceivers } from './retrieve.js';
import { buildTransaction, encodeTransaction, type MemoryTransaction } from './transaction.js';
import { sampleShare } from './testing.js';

function code<T>(r: Checked<T>): number | 'ok' {
  return r.ok ? 'ok' : (errorCodeOf(r.error) as number);
}

const P = (dataAccess: number, instructionAccess = 0) => ({ dataAccess, instructionAccess });

function stored(op: SendOp, receivers = 1, flags = 0): MemoryTransaction {
  const tx = sampleShare('v1.1', receivers);
  tx.flags = flags;
  if (op !== 'share' && receivers === 1) tx.attributes = { ...ATTRIBUTES_NOT_SPECIFIED };
  if (op === 'donate') tx.receivers.forEach((r) => { r.permissions.dataAccess = 0; });
  const r = checkSend(tx, op);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

function request(receivers: { id: number; data: number; instr?: number }[], flags = 0, tag = 0n, sender = 1): MemoryTransaction {
  return buildTransaction({
    layout: 'v1.1', sender, attributes: ATTRIBUTES_NOT_SPECIFIED, handle: 7n, flags, tag,
    receivers: receivers.map((r) => ({ receiver: r.id, permissions: P(r.data, r.instr ?? 0) })),
  });
}

describe('granted permissions', () => {
  it('data access: never more than sent, the borrower may ask for less', () => {
    expect(grantedPermissions('share', P(FFA_DATA_ACCESS_RW, 1), P(0), false)).toEqual({ ok: true, value: P(FFA_DATA_ACCESS_RW, FFA_INSTRUCTION_ACCESS_NX) });
    expect(grantedPermissions('share', P(FFA_DATA_ACCESS_RW, 1), P(FFA_DATA_ACCESS_RO), false)).toEqual({ ok: true, value: P(FFA_DATA_ACCESS_RO, FFA_INSTRUCTION_ACCESS_NX) });
    expect(code(grantedPermissions('share', P(FFA_DATA_ACCESS_RO, 1), P(FFA_DATA_ACCESS_RW), false))).toBe(DENIED);
  });

  it('instruction access: unspecified for shares and multi-borrower lends, stated by a sole borrower', () => {
    expect(code(grantedPermissions('share', P(2, 1), P(2, FFA_INSTRUCTION_ACCESS_NX), false))).toBe(INVALID_PARAMETERS);
    expect(code(grantedPermissions('lend', P(2), P(2, FFA_INSTRUCTION_ACCESS_X), true))).toBe(INVALID_PARAMETERS);
    expect(code(grantedPermissions('lend', P(2), P(2), false))).toBe(INVALID_PARAMETERS);
    expect(grantedPermissions('lend', P(2), P(2, FFA_INSTRUCTION_ACCESS_X), false)).toEqual({ ok: true, value: P(2, FFA_INSTRUCTION_ACCESS_X) });
    expect(grantedPermissions('donate', P(0), P(1, FFA_INSTRUCTION_ACCESS_NX), false)).toEqual({ ok: true, value: P(1, FFA_INSTRUCTION_ACCESS_NX) });
    expect(code(grantedPermissions('lend', P(2, FFA_INSTRUCTION_ACCESS_NX), P(2, FFA_INSTRUCTION_ACCESS_X), false))).toBe(DENIED);
  });
});

describe('a retrieve request against the sent transaction', () => {
  it('grants the retriever its access', () => {
    const g = checkRetrieveAgainstSent(request([{ id: 0x8001, data: FFA_DATA_ACCESS_RO }], transactionTypeFlags('share')), stored('share'), 'share', 0x8001);
    expect(g).toEqual({ ok: true, value: { receiverIndex: 0, permissions: P(FFA_DATA_ACCESS_RO, FFA_INSTRUCTION_ACCESS_NX), clearOnRelinquish: false } });
  });

  const cases: [string, () => Checked<unknown>, number][] = [
    ['another sender', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }], 0, 0n, 2), stored('share'), 'share', 0x8001), DENIED],
    ['another transaction type', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }], transactionTypeFlags('lend')), stored('share'), 'share', 0x8001), INVALID_PARAMETERS],
    ['another tag', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }], 0, 9n), stored('share'), 'share', 0x8001), INVALID_PARAMETERS],
    ['zeroing a share', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }], 4), stored('share'), 'share', 0x8001), INVALID_PARAMETERS],
    ['zeroing the sender did not do', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2, instr: 1 }], 1), stored('lend'), 'lend', 0x8001), DENIED],
    ['a caller that is no borrower', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }]), stored('share'), 'share', 0x8003), INVALID_PARAMETERS],
    ['a shorter borrower list', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }]), stored('share', 2), 'share', 0x8001), INVALID_PARAMETERS],
    ['a borrower the sender never named', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }, { id: 0x8009, data: 2 }]), stored('share', 2), 'share', 0x8001), DENIED],
    ['the caller missing from the list', () => checkRetrieveAgainstSent(request([{ id: 0x8002, data: 2 }], FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK), stored('share', 2), 'share', 0x8001), INVALID_PARAMETERS],
    ['a list naming a stranger', () => checkRetrieveAgainstSent(request([{ id: 0x8002, data: 2 }]), stored('share'), 'share', 0x8001), DENIED],
    ['more access than granted', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }]), (() => { const s = stored('share'); s.receivers[0]!.permissions.dataAccess = 1; return s; })(), 'share', 0x8001), DENIED],
    ['zeroing by a read-only borrower', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 1, instr: 1 }], 1), stored('lend', 1, 1), 'lend', 0x8001), DENIED],
    ['bypass on a single-borrower transaction', () => checkRetrieveAgainstSent(request([{ id: 0x8001, data: 2 }], FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK), stored('share'), 'share', 0x8001), INVALID_PARAMETERS],
  ];
  it.each(cases)('refuses %s', (_, run, want) => {
    expect(code(run())).toBe(want);
  });

  it('Non-secure memory is never executable for a partition', () => {
    const req = request([{ id: 0x8001, data: 2, instr: FFA_INSTRUCTION_ACCESS_X }]);
    expect(code(checkRetrieveAgainstSent(req, stored('lend'), 'lend', 0x8001))).toBe('ok');
    expect(code(checkRetrieveAgainstSent(req, stored('lend'), 'lend', 0x8001, { nonSecureMemoryToPartition: true }))).toBe(INVALID_PARAMETERS);
  });

  it('with the bypass flag, one descriptor for the caller is enough', () => {
    const g = checkRetrieveAgainstSent(request([{ id: 0x8002, data: 2 }], FFA_MEMORY_REGION_FLAG_BYPASS_BORROWERS_CHECK), stored('share', 2), 'share', 0x8002);
    expect(g.ok && g.value.receiverIndex).toBe(1);
  });

  it('v1.2 implementation-defined values must match the sender\'s', () => {
    const sent = checkSend(sampleShare('v1.2'), 'share');
    if (!sent.ok) throw new Error(sent.error.reason);
    const req = buildTransaction({ layout: 'v1.2', sender: 1, attributes: ATTRIBUTES_NOT_SPECIFIED, receivers: [{ receiver: 0x8001, permissions: P(2), impdef: [0x11n, 0x22n] }] });
    expect(code(checkRetrieveAgainstSent(req, sent.value, 'share', 0x8001))).toBe('ok');
    req.receivers[0]!.impdef = [0x11n, 0x23n];
    expect(code(checkRetrieveAgainstSent(req, sent.value, 'share', 0x8001))).toBe(INVALID_PARAMETERS);
  });
});

describe('retrieve responses', () => {
  it('describe the memory as mapped, with the transaction type, and decode as a response', () => {
    const sent = stored('lend', 1, 1);
    const resp = buildRetrieveResponse({ sent, op: 'lend', handle: 0x8000_0000_0000_0003n, layout: 'v1.1', receivers: [{ ...sent.receivers[0]!, permissions: P(2, 2) }] });
    expect(transactionTypeOf(resp.flags)).toBe('lend');
    expect(resp.attributes.type).toBe(2);
    const bytes = encodeTransaction(resp);
    const back = decodeTransaction(bytes, { kind: 'retrieve-response', version: FFA_VERSION_1_1, totalLength: bytes.length });
    expect(back.ok && back.value.tx).toEqual(resp);
  });

  it("the hypervisor's request gets every receiver", () => {
    const sent = stored('share', 2);
    const resp = buildRetrieveResponse({ sent, op: 'share', handle: 1n, layout: 'v1.0', receivers: sentReceivers(sent), nonSecure: true });
    expect(resp.receivers.map((r) => r.receiver)).toEqual([0x8001, 0x8002]);
    expect(resp.attributes.security).toBe(0); // v1.0 has no NS bit
    expect(buildRetrieveResponse({ sent, op: 'share', handle: 1n, layout: 'v1.1', receivers: sentReceivers(sent), nonSecure: true }).attributes.security).toBe(1);
    expect(resp.composite?.pageCount).toBe(7);
  });
});
