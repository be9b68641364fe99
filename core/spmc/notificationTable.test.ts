import { describe, expect, it } from 'vitest';
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED, NO_DATA, NO_MEMORY } from '../ffa/errors.js';
import { packEndpoints } from '../ffa/endpoints.js';
import {
  FFA_FEATURE_MEI, FFA_FEATURE_NPI, FFA_FEATURE_SRI, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY,
  FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_32, FFA_NOTIFICATION_INFO_GET_64, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_UNBIND,
  FFA_SUCCESS_32, FFA_SUCCESS_64, FFA_VERSION_1_0, FFA_ID_GET,
} from '../ffa/functionIds.js';
import { decodeNotificationInfo } from '../ffa/notifications.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../ffa/result.js';
import {
  FRAMEWORK_HYP_RX_BUFFER_FULL, FRAMEWORK_SPM_RX_BUFFER_FULL, NOTIFICATION_MAX_VMS, NOTIFICATION_PENDING_INTID, NotificationTable,
  SCHEDULE_RECEIVER_INTID, handleNotificationCall, notificationFeature, type NotificationAnswer,
} from './notificationTable.js';
import { FakePort, regs } from './portTesting.js';

const NWD = 0;
const VM1 = 1;
const VM2 = 2;
const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003;

function world() {
  const table = new NotificationTable();
  table.registerPartition(SP1, 2, true);
  table.registerPartition(SP2, 1, true);
  table.registerPartition(SP3, 1, false);
  const port = new FakePort([SP1, SP2, SP3], [NWD, VM1, VM2]);
  const call = (caller: number, r: bigint[], vcpu = 0, cpu = 0): NotificationAnswer => handleNotificationCall(table, port, { id: caller, vcpu, cpu }, r);
  const result = (caller: number, r: bigint[], vcpu = 0): FfaResult => call(caller, r, vcpu).result;
  const bind = (caller: number, sender: number, receiver: number, bitmap: bigint, flags = 0, fid = FFA_NOTIFICATION_BIND): FfaResult =>
    result(caller, regs(fid, packEndpoints(sender, receiver), flags, bitmap & 0xffff_ffffn, bitmap >> 32n));
  const set = (caller: number, sender: number, receiver: number, bitmap: bigint, flags = 0, cpu = 0): NotificationAnswer =>
    call(caller, regs(FFA_NOTIFICATION_SET, packEndpoints(sender, receiver), flags, bitmap & 0xffff_ffffn, bitmap >> 32n), 0, cpu);
  const get = (caller: number, receiver: number, vcpu: number, which: number, callerVcpu = vcpu): FfaResult =>
    result(caller, regs(FFA_NOTIFICATION_GET, packEndpoints(vcpu, receiver), which), callerVcpu);
  return { table, port, call, result, bind, set, get };
}

const code = (r: FfaResult): number | null => errorCodeOf(r);
const ok = (r: FfaResult): void => expect([FFA_SUCCESS_32, FFA_SUCCESS_64], r.reason).toContain(resultFid(r));
/** GET's bitmaps: SPs, VMs, framework. */
const bitmaps = (r: FfaResult): bigint[] => [2, 4, 6].map((n) => (BigInt(wView(r, n + 1)) << 32n) | BigInt(wView(r, n)));

describe('notification table', () => {
  it('SP-to-SP: bind, set (SRI now, NPI to the receiver), get clears, unbind', () => {
    const w = world();
    ok(w.bind(SP1, SP2, SP1, 0b101n));
    const s = w.set(SP2, SP2, SP1, 0b100n);
    ok(s.result);
    expect(s.signals).toEqual({ sri: true, npi: { partition: SP1, vcpu: null } });
    expect(w.table.hasPending(SP1, 1)).toBe(true);
    expect(code(w.bind(SP1, SP2, SP1, 0b100n, 0, FFA_NOTIFICATION_UNBIND))).toBe(DENIED); // pending
    expect(bitmaps(w.get(SP1, SP1, 0, 1))).toEqual([0b100n, 0n, 0n]);
    expect(bitmaps(w.get(SP1, SP1, 0, 1))).toEqual([0n, 0n, 0n]);
    ok(w.bind(SP1, SP2, SP1, 0b101n, 0, FFA_NOTIFICATION_UNBIND));
    expect(code(w.set(SP2, SP2, SP1, 0b1n).result)).toBe(DENIED); // no longer bound
  });

  it('per-vCPU notifications: set on one vCPU, got there only; a vCPU the receiver lacks is refused', () => {
    const w = world();
    ok(w.bind(SP1, SP2, SP1, 1n << 40n, 1));
    const s = w.set(SP2, SP2, SP1, 1n << 40n, 1 | (1 << 16));
    ok(s.result);
    expect(s.signals.npi).toEqual({ partition: SP1, vcpu: 1 });
    expect(code(w.set(SP2, SP2, SP1, 1n << 40n, 1 | (2 << 16)).result)).toBe(INVALID_PARAMETERS);
    expect(code(w.set(SP2, SP2, SP1, 1n << 40n, 0).result)).toBe(INVALID_PARAMETERS); // bound per-vCPU, set global
    expect(bitmaps(w.get(SP1, SP1, 0, 1))).toEqual([0n, 0n, 0n]);
    expect(code(w.get(SP1, SP1, 1, 1, 0))).toBe(INVALID_PARAMETERS); // not the caller's vCPU
    expect(bitmaps(w.get(SP1, SP1, 1, 1))).toEqual([1n << 40n, 0n, 0n]);
  });

  it('VM to SP through the Normal world, and SP to VM with the VM\'s bitmap', () => {
    const w = world();
    // A partition binds its own notifications, here from VM1.
    ok(w.bind(SP1, VM1, SP1, 0b10n));
    ok(w.set(NWD, VM1, SP1, 0b10n).result);
    expect(bitmaps(w.get(SP1, SP1, 0, 2))).toEqual([0n, 0b10n, 0n]);
    // SP to VM: the bitmap first.
    expect(code(w.bind(NWD, SP1, VM1, 1n))).toBe(INVALID_PARAMETERS); // VM1 has no bitmap yet
    ok(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, VM1, 2)));
    ok(w.bind(NWD, SP1, VM1, 1n));
    ok(w.set(SP1, SP1, VM1, 1n).result);
    expect(code(w.get(NWD, VM1, 0, 2))).toBe(INVALID_PARAMETERS); // the VM bitmap is the hypervisor's
    expect(bitmaps(w.get(NWD, VM1, 0, 1))).toEqual([1n, 0n, 0n]);
  });

  it('bitmap create/destroy: the Normal world only, VM IDs only, once, none pending, a bounded table', () => {
    const w = world();
    expect(code(w.result(SP1, regs(FFA_NOTIFICATION_BITMAP_CREATE, VM1, 1)))).toBe(NOT_SUPPORTED);
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, SP1, 1)))).toBe(INVALID_PARAMETERS);
    ok(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, VM1, 1)));
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, VM1, 1)))).toBe(DENIED);
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_DESTROY, VM2)))).toBe(DENIED);
    ok(w.bind(NWD, SP1, VM1, 1n));
    ok(w.set(SP1, SP1, VM1, 1n).result);
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_DESTROY, VM1)))).toBe(DENIED);
    w.get(NWD, VM1, 0, 1);
    ok(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_DESTROY, VM1)));
    for (let i = 0; i < NOTIFICATION_MAX_VMS; i++) ok(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, 0x10 + i, 1)));
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, 0x7000, 1)))).toBe(NO_MEMORY);
  });

  it('bind rules: who binds, senders that exist, receivers with notifications, bits bound once', () => {
    const w = world();
    expect(code(w.bind(SP1, SP1, SP1, 1n))).toBe(INVALID_PARAMETERS); // to itself
    expect(code(w.bind(SP1, SP2, SP2, 1n))).toBe(INVALID_PARAMETERS); // sender = receiver
    expect(code(w.bind(SP1, SP3, SP2, 1n))).toBe(INVALID_PARAMETERS); // not the caller's
    expect(code(w.bind(SP1, 0x8009, SP1, 1n))).toBe(INVALID_PARAMETERS); // no such sender
    expect(code(w.bind(SP3, SP1, SP3, 1n))).toBe(NOT_SUPPORTED); // no notification-support
    expect(code(w.bind(SP1, SP2, SP1, 0n))).toBe(INVALID_PARAMETERS); // empty
    expect(code(w.bind(SP1, SP2, SP1, 1n, 2))).toBe(INVALID_PARAMETERS); // undefined flag
    expect(code(w.bind(NWD, VM1, SP1, 1n))).toBe(INVALID_PARAMETERS); // the NWd binds for a VM receiver
    ok(w.bind(SP1, SP2, SP1, 0b11n));
    expect(code(w.bind(SP1, SP2, SP1, 0b10n))).toBe(DENIED); // bound already
    expect(code(w.bind(SP1, SP3, SP1, 0b1n, 0, FFA_NOTIFICATION_UNBIND))).toBe(DENIED); // bound to another
    w.port.map(SP2, 1, FFA_VERSION_1_0);
    expect(code(w.bind(SP2, SP1, SP2, 1n))).toBe(NOT_SUPPORTED); // a v1.0 receiver
  });

  it('set rules: the sender is the caller, delay SRI from partitions only, enabled receivers, reserved flags', () => {
    const w = world();
    ok(w.bind(SP1, SP2, SP1, 1n));
    ok(w.bind(SP1, VM1, SP1, 2n));
    expect(code(w.set(SP3, SP2, SP1, 1n).result)).toBe(INVALID_PARAMETERS);
    expect(code(w.set(NWD, SP2, SP1, 1n).result)).toBe(INVALID_PARAMETERS);
    expect(code(w.set(NWD, VM1, SP1, 2n, 2).result)).toBe(INVALID_PARAMETERS); // delay SRI from the NWd
    expect(code(w.set(SP2, SP2, SP3, 1n).result)).toBe(DENIED); // SP3 has no notifications
    expect(code(w.set(SP2, SP2, 0x8009, 1n).result)).toBe(INVALID_PARAMETERS);
    expect(code(w.set(SP2, SP2, SP1, 1n, 4).result)).toBe(INVALID_PARAMETERS); // bits 15:2
    expect(code(w.set(SP2, SP2, SP1, 1n, 1 << 16).result)).toBe(INVALID_PARAMETERS); // a global one on vCPU 1
    expect(code(w.set(SP2, SP2, SP1, 2n).result)).toBe(DENIED); // bound to VM1
    const delayed = w.set(SP2, SP2, SP1, 1n, 2, 3);
    ok(delayed.result);
    expect(delayed.signals.sri).toBe(false);
    expect(w.table.takeDelayedSri(3)).toBe(true);
    expect(w.table.takeDelayedSri(3)).toBe(false);
  });

  it('get rules: own notifications, reserved flags, the framework bitmap halves', () => {
    const w = world();
    expect(code(w.get(SP1, SP2, 0, 1))).toBe(INVALID_PARAMETERS);
    expect(code(w.get(SP1, SP1, 0, 0x10))).toBe(INVALID_PARAMETERS);
    expect(code(w.get(SP1, SP1, 2, 1))).toBe(INVALID_PARAMETERS); // SP1 has two vCPUs
    expect(code(w.get(NWD, SP1, 0, 1))).toBe(INVALID_PARAMETERS);
    expect(code(w.get(NWD, VM2, 0, 1))).toBe(INVALID_PARAMETERS); // no bitmap
    expect(w.table.setFrameworkPending(SP1, FRAMEWORK_SPM_RX_BUFFER_FULL | FRAMEWORK_HYP_RX_BUFFER_FULL)).toBe(true);
    expect(w.table.setFrameworkPending(SP3, FRAMEWORK_SPM_RX_BUFFER_FULL)).toBe(false);
    expect(bitmaps(w.get(SP1, SP1, 0, 4))).toEqual([0n, 0n, FRAMEWORK_SPM_RX_BUFFER_FULL]);
    expect(bitmaps(w.get(SP1, SP1, 0, 8))).toEqual([0n, 0n, FRAMEWORK_HYP_RX_BUFFER_FULL]);
  });

  it('INFO_GET: the Normal world only, each pending endpoint once, vCPU lists, NO_DATA, the more-pending flag', () => {
    const w = world();
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)))).toBe(NO_DATA);
    expect(code(w.result(SP1, regs(FFA_NOTIFICATION_INFO_GET_64)))).toBe(NOT_SUPPORTED);
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_32)))).toBe(NOT_SUPPORTED);
    ok(w.bind(SP1, SP2, SP1, 1n));
    ok(w.bind(SP1, SP2, SP1, 2n, 1));
    ok(w.set(SP2, SP2, SP1, 1n).result);
    ok(w.set(SP2, SP2, SP1, 2n, 1 | (1 << 16)).result);
    const r = w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_64));
    expect(resultFid(r)).toBe(FFA_SUCCESS_64);
    expect(decodeNotificationInfo(r.x)).toEqual({ more: false, lists: [{ id: SP1, vcpus: [] }, { id: SP1, vcpus: [1] }] });
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)))).toBe(NO_DATA); // reported already
    // More VMs pending than 20 IDs hold.
    for (let i = 0; i < NOTIFICATION_MAX_VMS; i++) {
      ok(w.result(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, 0x10 + i, 1)));
      ok(w.bind(NWD, SP1, 0x10 + i, 1n));
      ok(w.set(SP1, SP1, 0x10 + i, 1n).result);
    }
    ok(w.bind(SP2, SP1, SP2, 1n));
    ok(w.set(SP1, SP1, SP2, 1n).result);
    const first = decodeNotificationInfo(w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)).x);
    expect(first.more).toBe(false);
    expect(first.lists.map((l) => l.id)).toEqual([SP2, ...Array.from({ length: 16 }, (_, i) => 0x10 + i)]);
    for (let i = 0; i < 4; i++) ok(w.set(SP1, SP1, 0x10 + i, 1n).result); // still pending: not reported again
    expect(code(w.result(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)))).toBe(NO_DATA);
  });

  it('INFO_GET: more than 20 IDs sets the more-pending flag; the rest come next time', () => {
    const w = new NotificationTable();
    const port = new FakePort([], [NWD]);
    const vms = Array.from({ length: NOTIFICATION_MAX_VMS }, (_, i) => 0x20 + i);
    const partitions = Array.from({ length: 8 }, (_, i) => 0x8010 + i);
    for (const p of partitions) {
      w.registerPartition(p, 1, true);
      (port.partitions as number[]).push(p);
    }
    const c = (caller: number, r: bigint[]): FfaResult => handleNotificationCall(w, port, { id: caller, vcpu: 0, cpu: 0 }, r).result;
    for (const vm of vms) {
      ok(c(NWD, regs(FFA_NOTIFICATION_BITMAP_CREATE, vm, 1)));
      ok(c(NWD, regs(FFA_NOTIFICATION_BIND, packEndpoints(partitions[0]!, vm), 0, 1, 0)));
      ok(c(partitions[0]!, regs(FFA_NOTIFICATION_SET, packEndpoints(partitions[0]!, vm), 0, 1, 0)));
    }
    for (const p of partitions.slice(1)) {
      ok(c(p, regs(FFA_NOTIFICATION_BIND, packEndpoints(partitions[0]!, p), 0, 1, 0)));
      ok(c(partitions[0]!, regs(FFA_NOTIFICATION_SET, packEndpoints(partitions[0]!, p), 0, 1, 0)));
    }
    const one = decodeNotificationInfo(c(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)).x);
    expect(one.more).toBe(true);
    expect(one.lists.length).toBe(20);
    const two = decodeNotificationInfo(c(NWD, regs(FFA_NOTIFICATION_INFO_GET_64)).x);
    expect(two.more).toBe(false);
    expect(one.lists.length + two.lists.length).toBe(7 + 16);
  });

  it('FEATURES: the NPI to partitions, the SRI to the Normal world', () => {
    expect(wView(notificationFeature(FFA_FEATURE_NPI, true)!, 2)).toBe(NOTIFICATION_PENDING_INTID);
    expect(code(notificationFeature(FFA_FEATURE_NPI, false)!)).toBe(NOT_SUPPORTED);
    expect(wView(notificationFeature(FFA_FEATURE_SRI, false)!, 2)).toBe(SCHEDULE_RECEIVER_INTID);
    expect(code(notificationFeature(FFA_FEATURE_SRI, true)!)).toBe(NOT_SUPPORTED);
    expect(notificationFeature(FFA_FEATURE_MEI, true)).toBeNull();
  });

  it('other calls NOT_SUPPORTED; unknown callers INVALID_PARAMETERS', () => {
    const w = world();
    expect(code(w.result(SP1, regs(FFA_ID_GET)))).toBe(NOT_SUPPORTED);
    expect(code(w.result(0x8009, regs(FFA_NOTIFICATION_GET)))).toBe(INVALID_PARAMETERS);
  });

  it('its record round-trips through JSON and a damaged one is refused naming the field', () => {
    const w = world();
    ok(w.bind(SP1, SP2, SP1, 0b11n, 0));
    ok(w.set(SP2, SP2, SP1, 0b1n, 2, 1).result);
    const saved = JSON.parse(JSON.stringify(w.table.getState()));
    const again = new NotificationTable();
    again.setState(saved);
    expect(again.getState()).toEqual(w.table.getState());
    const port = new FakePort([SP1, SP2, SP3], [NWD]);
    expect(bitmaps(handleNotificationCall(again, port, { id: SP1, vcpu: 0, cpu: 0 }, regs(FFA_NOTIFICATION_GET, SP1, 1)).result)).toEqual([1n, 0n, 0n]);
    const bad = structuredClone(saved);
    bad.receivers[0].fromPartitions.bindings[0].bit = 64;
    expect(() => again.setState(bad)).toThrow('notification table state .receivers[0].fromPartitions.bindings[0].bit: want an integer 0..63');
    expect(() => again.setState({ ...saved, version: 2 })).toThrow('newer');
  });
});
