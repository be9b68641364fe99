// Indirect messaging and notifications through the SPMC on a whole machine
// (helper B's mailbox.ts and notificationTable.ts over this SPMC's port):
// a partition's FFA_MSG_SEND2 lands in another's RX buffer, the receiver
// gets the RX-full framework notification (and the notification pending
// interrupt), may release its buffer only once it fetched the notification;
// partition-to-partition notifications bound, set and got.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { encodePartitionMessage } from '../ffa/partitionMessage.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_SP, FFA_NOTIFICATION_FLAG_BITMAP_SPM } from '../ffa/notifications.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { nsProgram, nsResult, type NsCall } from './nsCalls.js';
import { ffaCall, testPartitionPackage } from './testPartition.js';
import { NOTIFICATION_PENDING_INTID } from './notificationTable.js';

const SP1 = 0x8001;
const SP3 = 0x8003;
const base = (id: number): number => 0x0e40_0000 + ((id & 0xf) - 1) * 0x10_0000;
const spCall = (sp: number, fid: number, ...a: (number | bigint)[]): NsCall => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [sp, 0, 7, fid, ...a] });
const ERR = BigInt(F.FFA_ERROR);
const OK = BigInt(F.FFA_SUCCESS_32);
const neg = (c: number): bigint => BigInt.asUintN(32, BigInt(c));

function partition(id: number, data: Array<{ offset: number; bytes: Uint8Array }> = []) {
  return testPartitionPackage({
    id, messaging: 0x607, notificationSupport: true, data,
    init: ffaCall(F.FFA_RXTX_MAP_64, [base(id) + 0xa000, base(id) + 0xb000, 1]),
  });
}

describe('SPMC indirect messaging and notifications (whole machine)', () => {
  it('FFA_MSG_SEND2 from SP1 to SP3: the message in SP3\'s RX buffer, RX-full notification, NPI pending; RX_RELEASE DENIED until NOTIFICATION_GET', () => {
    const message = encodePartitionMessage({ sender: SP1, receiver: SP3, uuid: new Uint8Array(16), payload: new TextEncoder().encode('hello') }, F.FFA_VERSION_1_2);
    const { m, spmc } = bootSpmcMachine(nsProgram([
      spCall(SP1, F.FFA_MSG_SEND2), // 0
      spCall(SP1, F.FFA_MSG_SEND2), // 1: SP3's RX buffer is full: BUSY
      spCall(SP3, F.FFA_RX_RELEASE), // 2: notification not fetched: DENIED
      spCall(SP3, F.FFA_NOTIFICATION_GET, SP3, FFA_NOTIFICATION_FLAG_BITMAP_SPM), // 3
      spCall(SP3, F.FFA_RX_RELEASE), // 4
      spCall(SP3, F.FFA_RX_RELEASE), // 5: empty: DENIED
    ]), [partition(SP1, [{ offset: 0xa000, bytes: message }]), partition(SP3)]);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0)[3]).toBe(OK);
    expect(m.core.readPhys(base(SP3) + 0xb000, message.length).slice()).toEqual(message);
    expect(nsResult(m, 1).slice(3, 6)).toEqual([ERR, 0n, neg(-4)]);
    expect(nsResult(m, 2).slice(3, 6)).toEqual([ERR, 0n, neg(-6)]);
    const got = nsResult(m, 3);
    expect(got[3]).toBe(OK);
    expect(spmc.notifications.frameworkPending(SP3)).toBe(0n); // fetched (it was the RX-full bit: RX_RELEASE was DENIED before)
    expect([4, 5].map((i) => nsResult(m, i)[3])).toEqual([OK, ERR]);
    expect(spmc.partition(SP3)!.vcpus[0]!.pendingVirqs).toContain(NOTIFICATION_PENDING_INTID);
  });

  it('notifications between partitions: SP3 binds bit 3 to SP1, SP1 sets it, SP3 gets it; unbound bits are refused', () => {
    const { m } = bootSpmcMachine(nsProgram([
      spCall(SP1, F.FFA_NOTIFICATION_SET, (SP1 << 16) | SP3, 0, 1 << 3), // 0: not bound yet: DENIED
      spCall(SP3, F.FFA_NOTIFICATION_BIND, (SP1 << 16) | SP3, 0, 1 << 3), // 1
      spCall(SP1, F.FFA_NOTIFICATION_SET, (SP1 << 16) | SP3, 0, 1 << 3), // 2
      spCall(SP3, F.FFA_NOTIFICATION_GET, SP3, FFA_NOTIFICATION_FLAG_BITMAP_SP), // 3
    ]), [partition(SP1), partition(SP3)]);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0).slice(3, 6)).toEqual([ERR, 0n, neg(-6)]);
    expect([1, 2].map((i) => nsResult(m, i)[3])).toEqual([OK, OK]);
    const got = nsResult(m, 3);
    expect(got[3]).toBe(OK);
    expect(got[5]).toBe(1n << 3n); // w2: notifications from partitions, low word
  });
});
