import { describe, expect, it } from 'vitest';
import { INVALID_PARAMETERS } from './errors.js';
import { FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_GET, FFA_NOTIFICATION_SET, FFA_SUCCESS_64 } from './functionIds.js';
import { packEndpoints } from './endpoints.js';
import {
  decodeNotificationBindArgs, decodeNotificationGetArgs, decodeNotificationInfo, decodeNotificationSetArgs, notificationGetSuccess,
  notificationInfoGetSuccess,
} from './notifications.js';
import { errorCodeOf, resultFid, type Checked } from './result.js';

const code = <T>(r: Checked<T>): number | 'ok' => (r.ok ? 'ok' : (errorCodeOf(r.error) as number));
const regs = (...v: (number | bigint)[]): bigint[] => v.map((n) => BigInt(n));
const ids = packEndpoints(0x8001, 1);

describe('notification arguments', () => {
  it('BIND/UNBIND: flags, a non-empty bitmap low word first', () => {
    expect(decodeNotificationBindArgs(regs(FFA_NOTIFICATION_BIND, ids, 1, 0x10, 0x1), true)).toEqual({ ok: true, value: { sender: 0x8001, receiver: 1, perVcpu: true, bitmap: 0x1_0000_0010n } });
    expect(code(decodeNotificationBindArgs(regs(FFA_NOTIFICATION_BIND, ids, 2, 1, 0), true))).toBe(INVALID_PARAMETERS);
    expect(code(decodeNotificationBindArgs(regs(FFA_NOTIFICATION_BIND, ids, 1, 1, 0), false))).toBe(INVALID_PARAMETERS);
    expect(code(decodeNotificationBindArgs(regs(FFA_NOTIFICATION_BIND, ids, 0, 0, 0), true))).toBe(INVALID_PARAMETERS);
  });

  it('SET: per-vCPU with its vCPU in bits 31:16, delay SRI, reserved bits, global on vCPU 0', () => {
    const r = decodeNotificationSetArgs(regs(FFA_NOTIFICATION_SET, ids, (3 << 16) | 3, 4, 0));
    expect(r.ok && [r.value.perVcpu, r.value.delaySri, r.value.vcpu, r.value.bitmap]).toEqual([true, true, 3, 4n]);
    expect(code(decodeNotificationSetArgs(regs(FFA_NOTIFICATION_SET, ids, 4, 1, 0)))).toBe(INVALID_PARAMETERS);
    expect(code(decodeNotificationSetArgs(regs(FFA_NOTIFICATION_SET, ids, 2 << 16, 1, 0)))).toBe(INVALID_PARAMETERS);
    expect(code(decodeNotificationSetArgs(regs(FFA_NOTIFICATION_SET, ids, 0, 0, 0)))).toBe(INVALID_PARAMETERS);
  });

  it('GET: receiver and vCPU in w1, four bitmap selectors; the answer in w2-w7', () => {
    expect(decodeNotificationGetArgs(regs(FFA_NOTIFICATION_GET, (2 << 16) | 0x8002, 0xf))).toEqual({ ok: true, value: { receiver: 0x8002, vcpu: 2, which: 0xf } });
    expect(code(decodeNotificationGetArgs(regs(FFA_NOTIFICATION_GET, 1, 0x10)))).toBe(INVALID_PARAMETERS);
    expect(notificationGetSuccess(0x1_0000_0002n, 3n, 1n << 32n).x.slice(2, 8)).toEqual([2n, 1n, 3n, 0n, 0n, 1n]);
  });
});

describe('FFA_NOTIFICATION_INFO_GET answers', () => {
  it('pack list sizes from bit 12 and IDs four per register, and read back', () => {
    const lists = [{ id: 1, vcpus: [] }, { id: 0x8001, vcpus: [0, 2] }, { id: 2, vcpus: [1] }];
    const r = notificationInfoGetSuccess(lists);
    expect(resultFid(r)).toBe(FFA_SUCCESS_64);
    expect(r.x[2]).toBe(BigInt((3 << 7) | (0 << 12) | (2 << 14) | (1 << 16)));
    expect(r.x[3]).toBe(0x0002_0000_8001_0001n);
    expect(decodeNotificationInfo(r.x)).toEqual({ more: false, lists });
  });

  it('stop at 20 IDs and say more are pending', () => {
    const lists = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, vcpus: [0, 1] }));
    const d = decodeNotificationInfo(notificationInfoGetSuccess(lists).x);
    expect(d.more).toBe(true);
    expect(d.lists).toEqual(lists.slice(0, 6));
  });
});
