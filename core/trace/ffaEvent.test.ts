import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { encodeRelinquish } from '../ffa/memory/relinquish.js';
import { MEM_LAYOUTS } from '../ffa/memory/layout.js';
import { sampleShare, versionOfLayout } from '../ffa/memory/testing.js';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { eventProblem } from '../../replay/format.js';
import { formatEvent } from './events.js';
import { ffaEvent, isFfaAnswer } from './ffaEvent.js';

const HANDLE = 0x8000_0000_0000_0007n;
const u = (v: number): bigint => BigInt(v >>> 0);

describe('ffaEvent (event format 3)', () => {
  it('names the function and tells a call from an answer', () => {
    const call = ffaEvent(5, 0, undefined, F.FFA_MSG_SEND_DIRECT_REQ_32, 1, 0x8001, [0x18001n, 0n, 7n]);
    expect(call).toMatchObject({ dir: 'call', name: 'FFA_MSG_SEND_DIRECT_REQ_32', args: ['0x18001', '0x0', '0x7'] });
    expect(call.world).toBeUndefined();
    const resp = ffaEvent(6, 0, 's', F.FFA_MSG_SEND_DIRECT_RESP_32, 0x8001, 1, [0x80010001n]);
    expect(resp).toMatchObject({ dir: 'answer', name: 'FFA_MSG_SEND_DIRECT_RESP_32', world: 's' });
    expect(ffaEvent(0, 0, undefined, 0x8400_00fe, 1, 0, []).name).toBe('0x840000fe');
    expect(ffaEvent(0, 0, undefined, 0, 0xffff, 0x8000, [], { dir: 'call' }).name).toBe('0x0');
    for (const fid of [F.FFA_MSG_WAIT, F.FFA_YIELD, F.FFA_INTERRUPT, F.FFA_SUCCESS_64, F.FFA_MEM_RETRIEVE_RESP, F.FFA_MSG_SEND_DIRECT_RESP2]) expect(isFfaAnswer(fid)).toBe(true);
    for (const fid of [F.FFA_RUN, F.FFA_MEM_SHARE_64, F.FFA_MEM_FRAG_TX, F.FFA_VERSION]) expect(isFfaAnswer(fid)).toBe(false);
  });

  it('names the error of FFA_ERROR (w2) and FFA_VERSION NOT_SUPPORTED (w0)', () => {
    expect(ffaEvent(0, 0, undefined, F.FFA_ERROR, 0, 1, [0n, u(-6)]).error).toBe('DENIED');
    expect(ffaEvent(0, 0, undefined, F.FFA_ERROR, 0, 1, [0n, u(-77)]).error).toBe('code -77');
    expect(ffaEvent(0, 0, undefined, 0xffff_ffff, 0, 1, [], { dir: 'answer', of: F.FFA_VERSION }).error).toBe('NOT_SUPPORTED');
    expect(ffaEvent(0, 0, undefined, 0x10002, 0, 1, [], { dir: 'answer', of: F.FFA_VERSION }).error).toBeUndefined();
    expect(ffaEvent(0, 0, undefined, F.FFA_VERSION, 0, 0, [0xffff_ffffn], { dir: 'answer', of: F.FFA_VERSION, error: 'NOT_SUPPORTED' }).error).toBe('NOT_SUPPORTED');
  });

  it('takes the handle from the registers: RECLAIM and FRAG_RX/TX in w1/w2, a memory send\'s FFA_SUCCESS in w2/w3', () => {
    const lo = HANDLE & 0xffff_ffffn;
    const hi = HANDLE >> 32n;
    expect(ffaEvent(0, 0, undefined, F.FFA_MEM_RECLAIM, 1, 0, [lo, hi, 0n]).handle).toBe('0x8000000000000007');
    expect(ffaEvent(0, 0, undefined, F.FFA_MEM_FRAG_RX, 0, 1, [lo, hi, 0x100n]).handle).toBe('0x8000000000000007');
    expect(ffaEvent(0, 0, undefined, F.FFA_MEM_FRAG_TX, 1, 0, [lo, hi, 0x100n]).handle).toBe('0x8000000000000007');
    const ok = ffaEvent(0, 0, undefined, F.FFA_SUCCESS_32, 0, 1, [0n, lo, hi], { dir: 'answer', of: F.FFA_MEM_LEND_64 });
    expect(ok).toMatchObject({ of: 'FFA_MEM_LEND_64', handle: '0x8000000000000007' });
    // An FFA_SUCCESS to anything else carries no handle, nor one whose call is unknown.
    expect(ffaEvent(0, 0, undefined, F.FFA_SUCCESS_32, 0, 1, [0n, lo, hi], { dir: 'answer', of: F.FFA_ID_GET }).handle).toBeUndefined();
    expect(ffaEvent(0, 0, undefined, F.FFA_SUCCESS_32, 0, 1, [0n, lo, hi]).handle).toBeUndefined();
  });

  it.each(MEM_LAYOUTS)('reads receivers and pages of a memory send, and the handle of a retrieve, from a %s descriptor', (layout) => {
    const version = versionOfLayout(layout);
    const tx = { ...sampleShare(layout, 2), handle: HANDLE };
    const bytes = new Uint8Array(4096);
    bytes.set(encodeTransaction(tx));
    const send = ffaEvent(0, 0, undefined, F.FFA_MEM_SHARE_64, 1, 0, [0x80n, 0x80n], { descriptor: bytes, version });
    expect(send).toMatchObject({ receivers: [0x8001, 0x8002], pages: 7 });
    const retrieve = ffaEvent(0, 0, 's', F.FFA_MEM_RETRIEVE_REQ_64, 0x8001, 0x8000, [0x80n, 0x80n], { descriptor: bytes, version });
    expect(retrieve.handle).toBe('0x8000000000000007');
    expect(retrieve.receivers).toBeUndefined();
    // A descriptor cut short (a first fragment) names no receivers rather than wrong ones.
    expect(ffaEvent(0, 0, undefined, F.FFA_MEM_SHARE_64, 1, 0, [], { descriptor: bytes.subarray(0, 40), version }).receivers).toBeUndefined();
  });

  it('reads the handle of FFA_MEM_RELINQUISH from its relinquish descriptor', () => {
    const d = encodeRelinquish({ handle: HANDLE, flags: 0, endpoints: [0x8001] });
    expect(ffaEvent(0, 0, 's', F.FFA_MEM_RELINQUISH, 0x8001, 0x8000, [], { descriptor: d }).handle).toBe('0x8000000000000007');
  });

  it('builds events the trace reader accepts, rendered with their decoded fields', () => {
    const e = { ...ffaEvent(3, 1, 's', F.FFA_ERROR, 0x8000, 0x8001, [0n, u(-2)], { of: F.FFA_MEM_RETRIEVE_REQ_64 }), seq: 9 };
    expect(eventProblem(e as unknown as Record<string, unknown>)).toBeNull();
    expect(formatEvent(e)).toBe('#9 @3 cpu1 ffa answer FFA_ERROR fid=0x84000060 src=0x8000 dst=0x8001 args=[0x0,0xfffffffe] of=FFA_MEM_RETRIEVE_REQ_64 error=INVALID_PARAMETERS world=s');
    expect(eventProblem({ ...e, dir: 'reply' })).toBe('malformed ffa event fields');
    expect(eventProblem({ ...e, receivers: ['0x8001'] })).toBe('malformed ffa event fields');
    expect(eventProblem({ ...e, handle: '0X1' })).toBe('malformed ffa event fields');
  });
});
