import { describe, expect, it } from 'vitest';
import { ABORTED, BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../ffa/errors.js';
import { packEndpoints } from '../ffa/endpoints.js';
import {
  FFA_MSG_SEND2, FFA_MSG_WAIT, FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_GET, FFA_RUN, FFA_RX_ACQUIRE, FFA_RX_RELEASE, FFA_SUCCESS_32,
  FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2,
} from '../ffa/functionIds.js';
import { decodePartitionMessage, encodePartitionMessage } from '../ffa/partitionMessage.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../ffa/result.js';
import { FFA_MSG_WAIT_FLAG_RETAIN_RX, Mailbox, msgWaitWakeUp } from './mailbox.js';
import { FRAMEWORK_HYP_RX_BUFFER_FULL, FRAMEWORK_SPM_RX_BUFFER_FULL, NotificationTable, handleNotificationCall } from './notificationTable.js';
import { FakePort, regs } from './portTesting.js';

const NWD = 0;
const VM1 = 1;
const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003; // no indirect messaging in its manifest

function world() {
  const port = new FakePort([SP1, SP2, SP3], [NWD, VM1]);
  const notifications = new NotificationTable();
  notifications.registerPartition(SP1, 1, true);
  notifications.registerPartition(SP2, 1, true);
  notifications.registerPartition(SP3, 1, true);
  const mailbox = new Mailbox();
  mailbox.allowIndirect(SP1);
  mailbox.allowIndirect(SP2);
  const caller = (id: number) => ({ id, vcpu: 0, cpu: 0 });
  const send = (from: number, sender: number, receiver: number, payload: number[], w1 = 0, flags = 0, version = port.ffaVersion(sender)) => {
    port.writeTx(sender, encodePartitionMessage({ sender, receiver, uuid: new Uint8Array(16), payload: Uint8Array.from(payload) }, version));
    return mailbox.send2(port, notifications, caller(from), regs(FFA_MSG_SEND2, w1, flags));
  };
  const release = (from: number, w1 = 0): FfaResult => mailbox.rxRelease(port, notifications, from, regs(FFA_RX_RELEASE, w1));
  /** A partition fetching its framework notifications. */
  const getFramework = (id: number): FfaResult => handleNotificationCall(notifications, port, caller(id), regs(FFA_NOTIFICATION_GET, id, 0xc)).result;
  return { port, notifications, mailbox, send, release, getFramework, caller };
}

const code = (r: FfaResult): number | null => errorCodeOf(r);

describe('mailbox', () => {
  it('SP to SP: the message lands in the receiver\'s RX buffer, the SPM framework bit and the SRI are raised; release after GET', () => {
    const w = world();
    const a = w.send(SP1, SP1, SP2, [1, 2, 3]);
    expect(resultFid(a.result), a.result.reason).toBe(FFA_SUCCESS_32);
    expect(a.signals).toEqual({ sri: true, npi: { partition: SP2, vcpu: null } });
    expect(w.port.rxState(SP2)).toBe('full');
    const m = decodePartitionMessage(w.port.endpoints.get(SP2)!.rx, w.port.ffaVersion(SP2));
    expect(m.ok && [m.value.sender, m.value.receiver, [...m.value.payload]]).toEqual([SP1, SP2, [1, 2, 3]]);
    expect(w.mailbox.messageFor(SP2)).toEqual({ receiver: SP2, sender: SP1, bytes: 23 });
    expect(w.notifications.frameworkPending(SP2)).toBe(FRAMEWORK_SPM_RX_BUFFER_FULL);
    expect(code(w.send(SP1, SP1, SP2, [4]).result)).toBe(BUSY);
    expect(code(w.release(SP2))).toBe(DENIED); // the RX-full notification not fetched yet
    expect(resultFid(w.getFramework(SP2))).toBe(FFA_SUCCESS_32);
    expect(resultFid(w.release(SP2))).toBe(FFA_SUCCESS_32);
    expect(w.port.rxState(SP2)).toBe('empty');
    expect(w.mailbox.messageFor(SP2)).toBeUndefined();
    expect(code(w.release(SP2))).toBe(DENIED); // empty
  });

  it('VM to SP through the Normal world (w1 names the VM): the hypervisor framework bit', () => {
    const w = world();
    const a = w.send(NWD, VM1, SP1, [9], VM1 << 16);
    expect(resultFid(a.result), a.result.reason).toBe(FFA_SUCCESS_32);
    expect(w.notifications.frameworkPending(SP1)).toBe(FRAMEWORK_HYP_RX_BUFFER_FULL);
    expect(code(w.send(NWD, VM1, SP2, [9], VM1 << 16, 2).result)).toBe(INVALID_PARAMETERS); // a VM may not delay the SRI
  });

  it('SP to VM: no bitmap, no notification; with one, the SPM bit; a delayed SRI waits for the CPU', () => {
    const w = world();
    const a = w.send(SP1, SP1, VM1, [5]);
    expect(resultFid(a.result)).toBe(FFA_SUCCESS_32);
    expect(a.signals).toEqual({ sri: false, npi: null });
    expect(resultFid(w.release(NWD, VM1))).toBe(FFA_SUCCESS_32);
    handleNotificationCall(w.notifications, w.port, w.caller(NWD), regs(FFA_NOTIFICATION_BITMAP_CREATE, VM1, 1));
    const b = w.send(SP1, SP1, VM1, [6], 0, 2);
    expect(b.signals).toEqual({ sri: false, npi: null });
    expect(w.notifications.frameworkPending(VM1)).toBe(FRAMEWORK_SPM_RX_BUFFER_FULL);
    expect(w.notifications.takeDelayedSri(0)).toBe(true);
  });

  it('refuses what the rules refuse, changing nothing', () => {
    const w = world();
    expect(code(w.send(SP1, SP1, SP2, [1], SP1 << 16).result)).toBe(INVALID_PARAMETERS); // a partition naming a sender
    expect(code(w.send(NWD, SP1, SP2, [1], SP1 << 16).result)).toBe(INVALID_PARAMETERS); // the NWd sending as a partition
    w.port.writeTx(SP1, encodePartitionMessage({ sender: SP2, receiver: SP1, uuid: new Uint8Array(16), payload: new Uint8Array(1) }, w.port.ffaVersion(SP1)));
    expect(code(w.mailbox.send2(w.port, w.notifications, w.caller(SP1), regs(FFA_MSG_SEND2)).result)).toBe(INVALID_PARAMETERS); // header sender is not the caller
    expect(code(w.send(SP1, SP1, SP1, [1]).result)).toBe(INVALID_PARAMETERS); // to itself
    expect(code(w.send(SP1, SP1, 0x8009, [1]).result)).toBe(INVALID_PARAMETERS); // no such receiver
    expect(code(w.send(SP1, SP1, SP2, [1], 0, 1).result)).toBe(INVALID_PARAMETERS); // undefined flag
    expect(code(w.send(SP1, SP1, SP3, [1]).result)).toBe(DENIED); // SP3 does not do indirect messaging
    w.port.map(SP2, 1, FFA_VERSION_1_0);
    expect(code(w.send(SP1, SP1, SP2, [1]).result)).toBe(DENIED); // a v1.0 receiver
    w.port.map(SP2, 0);
    expect(code(w.send(SP1, SP1, SP2, [1]).result)).toBe(BUSY); // no RX buffer
    w.port.map(SP1, 0);
    expect(code(w.mailbox.send2(w.port, w.notifications, w.caller(SP1), regs(FFA_MSG_SEND2)).result)).toBe(DENIED); // no TX buffer
    w.port.map(SP1, 1);
    const big = new Uint8Array(4096);
    new DataView(big.buffer).setUint32(8, 20, true);
    new DataView(big.buffer).setUint16(12, SP2, true);
    new DataView(big.buffer).setUint16(14, SP1, true);
    new DataView(big.buffer).setUint32(16, 4096, true);
    w.port.writeTx(SP1, big);
    expect(code(w.mailbox.send2(w.port, w.notifications, w.caller(SP1), regs(FFA_MSG_SEND2)).result)).toBe(INVALID_PARAMETERS); // past one page
    expect(w.mailbox.getState().messages).toEqual([]);
  });

  it('v1.2 headers carry the UUID', () => {
    const w = world();
    w.port.map(SP1, 1, FFA_VERSION_1_2);
    w.port.map(SP2, 1, FFA_VERSION_1_2);
    expect(resultFid(w.send(SP1, SP1, SP2, [7, 7]).result)).toBe(FFA_SUCCESS_32);
    expect(w.mailbox.messageFor(SP2)?.bytes).toBe(42);
  });

  it('a VM\'s message relayed by the hypervisor may carry the v1.1 header when the Normal world negotiated v1.2; a partition\'s may not', () => {
    const w = world();
    w.port.map(VM1, 1, FFA_VERSION_1_2);
    w.port.map(SP1, 1, FFA_VERSION_1_2);
    const a = w.send(NWD, VM1, SP1, [5], VM1 << 16, 0, FFA_VERSION_1_1);
    expect(resultFid(a.result), a.result.reason).toBe(FFA_SUCCESS_32);
    expect(w.mailbox.messageFor(SP1)?.bytes).toBe(21);
    expect(resultFid(w.send(NWD, VM1, SP2, [5], VM1 << 16, 0, FFA_VERSION_1_2).result)).toBe(FFA_SUCCESS_32);
    w.port.map(SP3, 1, FFA_VERSION_1_2);
    w.mailbox.allowIndirect(SP3);
    expect(code(w.send(SP1, SP1, SP3, [5], 0, 0, FFA_VERSION_1_1).result)).toBe(INVALID_PARAMETERS); // overlaps SP1's v1.2 header
  });

  it('RX_RELEASE and RX_ACQUIRE rules', () => {
    const w = world();
    expect(code(w.release(SP1, VM1))).toBe(INVALID_PARAMETERS); // a partition naming someone
    expect(code(w.release(NWD, SP1))).toBe(INVALID_PARAMETERS); // the NWd naming a partition
    w.port.map(SP3, 0);
    expect(code(w.release(SP3))).toBe(INVALID_PARAMETERS); // no buffer
    const acquire = (caller: number, vm: number): FfaResult => w.mailbox.rxAcquire(w.port, caller, regs(FFA_RX_ACQUIRE, vm));
    expect(code(acquire(SP1, VM1))).toBe(NOT_SUPPORTED);
    expect(code(acquire(NWD, SP1))).toBe(NOT_SUPPORTED);
    expect(resultFid(acquire(NWD, VM1))).toBe(FFA_SUCCESS_32);
    expect(w.port.rxState(VM1)).toBe('other-world-owned');
    expect(code(acquire(NWD, VM1))).toBe(DENIED);
    expect(code(w.send(SP1, SP1, VM1, [1]).result)).toBe(BUSY); // the hypervisor holds it
    expect(resultFid(w.release(NWD, VM1))).toBe(FFA_SUCCESS_32);
    w.port.map(7, 0);
    expect(code(acquire(NWD, 7))).toBe(INVALID_PARAMETERS);
    w.port.endpoints.get(SP1)!.rxState = 'other-world-owned';
    expect(code(w.release(SP1))).toBe(ABORTED);
  });

  it('MSG_WAIT: reserved registers, releasing the RX buffer unless v1.2 asks to keep it; the wake-up answer', () => {
    const w = world();
    const wait = (id: number, ...r: (number | bigint)[]) => w.mailbox.msgWait(w.port, w.notifications, id, regs(FFA_MSG_WAIT, ...r));
    expect(wait(SP1, 1).ok).toBe(false);
    expect(wait(SP1, 0, 1).ok).toBe(false); // w2 before v1.2
    expect(wait(SP1, 0, 0, 0, 0, 0, 0, 1).ok).toBe(false);
    w.port.endpoints.get(SP1)!.rxState = 'full';
    expect(wait(SP1).ok).toBe(true);
    expect(w.port.rxState(SP1)).toBe('empty');
    w.port.map(SP2, 1, FFA_VERSION_1_2);
    w.port.endpoints.get(SP2)!.rxState = 'full';
    expect(wait(SP2, 0, FFA_MSG_WAIT_FLAG_RETAIN_RX).ok).toBe(true);
    expect(w.port.rxState(SP2)).toBe('full');
    expect(wait(SP2, 0, 2).ok).toBe(false);
    expect(wait(SP2, 0, 0, 0, 0, 0, 0, 0, 0, 5).ok).toBe(false); // x8
    const up = msgWaitWakeUp(SP1, 1);
    expect([resultFid(up), wView(up, 1)]).toEqual([FFA_RUN, packEndpoints(SP1, 1)]);
  });

  it('its record round-trips and a damaged one is refused naming the field', () => {
    const w = world();
    w.send(SP1, SP1, SP2, [1]);
    const saved = JSON.parse(JSON.stringify(w.mailbox.getState()));
    const again = new Mailbox();
    again.setState(saved);
    expect(again.getState()).toEqual(w.mailbox.getState());
    expect(() => again.setState({ ...saved, messages: [{ receiver: SP2, sender: -1, bytes: 3 }] })).toThrow('mailbox state .messages[0].sender: want an integer 0..65535');
  });
});
