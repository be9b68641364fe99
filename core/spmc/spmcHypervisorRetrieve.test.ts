// The hypervisor's retrieve request on a whole machine, as pKVM issues it
// before every reclaim: a retrieve request with no receivers, only the
// handle, answered with the whole transaction as sent in the Normal world's
// RX buffer; then the reclaim. Also: a partition may not send one.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { decodeTransaction } from '../ffa/memory/decode.js';
import { HEADER_HANDLE, headerSize } from '../ffa/memory/layout.js';
import { encodeTransaction } from '../ffa/memory/transaction.js';
import { handleWords } from '../ffa/result.js';
import { makeHandle } from '../ffa/memory/handle.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, type NsCall } from './nsCalls.js';
import { ffaCall, testPartitionPackage } from './testPartition.js';
import { pages, sendTx } from './ledgerTesting.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const BASE = 0x0e40_0000;
const TX = 0x4050_0000;
const RX = 0x4050_1000;
const HANDLE = makeHandle(1n, 'spmc');
const [LO, HI] = handleWords(HANDLE);
const lend = encodeTransaction(sendTx('lend', 0, [SP1, SP2], [pages(0x4060_0000n, 2), pages(0x4070_0000n, 1)]));
const request = new Uint8Array(headerSize('v1.1'));
new DataView(request.buffer).setBigUint64(HEADER_HANDLE, HANDLE, true);
/** Replaces the descriptor in the TX buffer by the hypervisor's request: 48 bytes, only the handle non-zero. */
const WRITE_REQUEST = `
  ldr x1, =0x${TX.toString(16)}
  stp xzr, xzr, [x1]
  ldr x2, =0x${HANDLE.toString(16)}
  str x2, [x1, #8]
  stp xzr, xzr, [x1, #16]
  stp xzr, xzr, [x1, #32]`;

describe('SPMC hypervisor retrieve request (whole machine)', () => {
  it('answers the whole transaction into the Normal world\'s RX buffer; the reclaim follows', () => {
    const sp = testPartitionPackage({ id: SP1, init: ffaCall(F.FFA_RXTX_MAP_64, [BASE + 0xa000, BASE + 0xb000, 1]), data: [{ offset: 0xa000, bytes: request }] });
    const calls: NsCall[] = [
      { fid: F.FFA_RXTX_MAP_64, args: [TX, RX, 1] }, // 0
      { fid: F.FFA_MEM_LEND_32, args: [lend.length, lend.length] }, // 1
      { fid: F.FFA_MEM_RETRIEVE_REQ_64, args: [request.length, request.length], before: WRITE_REQUEST }, // 2
      { fid: F.FFA_MEM_RETRIEVE_REQ_32, args: [request.length, request.length] }, // 3: BUSY, the RX buffer holds the answer
      { fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [SP1, 0, 7, F.FFA_MEM_RETRIEVE_REQ_32, request.length, request.length] }, // 4: a partition's: refused
      { fid: F.FFA_MEM_RECLAIM, args: [LO, HI, 0] }, // 5
    ];
    const { m, spmc } = bootSpmcMachine(nsProgram(calls), [sp, testPartitionPackage({ id: SP2 })]);
    m.core.writePhys(TX, lend);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const log = spmc.s.log.join(' / ');
    expect(nsResult(m, 1).slice(0, 4), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, LO, HI]);
    const r = nsResult(m, 2);
    expect(r[0], log).toBe(BigInt(F.FFA_MEM_RETRIEVE_RESP));
    const total = Number(r[1]);
    expect(Number(r[2])).toBe(total);
    const resp = decodeTransaction(m.core.readPhys(RX, total).slice(), { kind: 'retrieve-response', version: F.FFA_VERSION_1_1, totalLength: total });
    expect(resp.ok, resp.ok ? '' : resp.error.reason).toBe(true);
    if (resp.ok) {
      expect(resp.value.tx.handle).toBe(HANDLE);
      expect(resp.value.tx.receivers.map((e) => e.receiver)).toEqual([SP1, SP2]);
      expect(resp.value.tx.composite?.constituents).toEqual([pages(0x4060_0000n, 2), pages(0x4070_0000n, 1)]);
    }
    expect(errorOf(nsResult(m, 3))).toBe(-4);
    expect(errorOf(nsResult(m, 4).slice(3, 8))).toBe(-2);
    expect(nsResult(m, 5)[0], log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(spmc.ledger.handles()).toEqual([]);
  });
});
