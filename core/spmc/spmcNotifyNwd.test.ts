// Notifications from a partition to the Normal world on a whole machine
// (notificationTable.ts through the SPMC), the sequence Linux's FF-A driver
// follows with no hypervisor: the schedule receiver interrupt's ID from
// FFA_FEATURES, its bitmap created, a partition's notification bound; the
// partition sets it; INFO_GET names the Normal world once; GET returns and
// clears it; the bitmap is destroyed.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { packEndpoints } from '../ffa/endpoints.js';
import { decodeNotificationInfo } from '../ffa/notifications.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult, type NsCall } from './nsCalls.js';
import { testPartitionPackage } from './testPartition.js';
import { SCHEDULE_RECEIVER_INTID } from './notificationTable.js';

const SP1 = 0x8001;
const NWD = 0;
const BIT = 5;

describe('SPMC notifications to the Normal world (whole machine)', () => {
  it('FEATURES(SRI), BITMAP_CREATE, BIND, SET by the partition, INFO_GET, GET, BITMAP_DESTROY', () => {
    const calls: NsCall[] = [
      { fid: F.FFA_FEATURES, args: [F.FFA_FEATURE_SRI] }, // 0
      { fid: F.FFA_NOTIFICATION_BITMAP_CREATE, args: [NWD, 1] }, // 1
      { fid: F.FFA_NOTIFICATION_BIND, args: [packEndpoints(SP1, NWD), 0, 1 << BIT, 0] }, // 2
      { fid: F.FFA_MSG_SEND_DIRECT_REQ_64, args: [SP1, 0, 7, F.FFA_NOTIFICATION_SET, packEndpoints(SP1, NWD), 0, 1 << BIT] }, // 3
      { fid: F.FFA_NOTIFICATION_INFO_GET_64 }, // 4
      { fid: F.FFA_NOTIFICATION_INFO_GET_64 }, // 5: NO_DATA, reported already
      { fid: F.FFA_NOTIFICATION_BITMAP_DESTROY, args: [NWD] }, // 6: DENIED, pending
      { fid: F.FFA_NOTIFICATION_GET, args: [packEndpoints(0, NWD), 1] }, // 7
      { fid: F.FFA_NOTIFICATION_GET, args: [packEndpoints(0, NWD), 2] }, // 8: the VM bitmap is the hypervisor's
      { fid: F.FFA_NOTIFICATION_BITMAP_DESTROY, args: [NWD] }, // 9
      { fid: F.FFA_NOTIFICATION_BIND, args: [packEndpoints(SP1, NWD), 0, 1 << BIT, 0] }, // 10: no bitmap any more
    ];
    const { m, spmc } = bootSpmcMachine(nsProgram(calls), [testPartitionPackage({ id: SP1 })]);
    expect(m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const log = spmc.s.log.join(' / ');
    expect(nsResult(m, 0).slice(0, 3), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, BigInt(SCHEDULE_RECEIVER_INTID)]);
    for (const i of [1, 2]) expect(nsResult(m, i)[0], `call ${i}: ${log}`).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(nsResult(m, 3)[3], log).toBe(BigInt(F.FFA_SUCCESS_32)); // the partition's SET
    const info = nsResult(m, 4);
    expect(info[0], log).toBe(BigInt(F.FFA_SUCCESS_64));
    expect(decodeNotificationInfo(info)).toEqual({ more: false, lists: [{ id: NWD, vcpus: [] }] });
    expect(errorOf(nsResult(m, 5))).toBe(-9);
    expect(errorOf(nsResult(m, 6))).toBe(-6);
    expect(nsResult(m, 7).slice(0, 4), log).toEqual([BigInt(F.FFA_SUCCESS_32), 0n, BigInt(1 << BIT), 0n]);
    expect(errorOf(nsResult(m, 8))).toBe(-2);
    expect(nsResult(m, 9)[0], log).toBe(BigInt(F.FFA_SUCCESS_32));
    expect(errorOf(nsResult(m, 10))).toBe(-2);
  });
});
