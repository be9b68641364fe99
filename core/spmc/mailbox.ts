// Indirect messaging at the SPMC (DEN0077 v1.1 §7 "Indirect messaging",
// FFA_MSG_SEND2, FFA_RX_RELEASE, FFA_RX_ACQUIRE, FFA_MSG_WAIT; Hafnium
// src/api.c api_ffa_msg_send2, api_release_mailbox, api_ffa_rx_acquire,
// api_ffa_msg_wait, src/ffa/spmc/indirect_messaging.c). The RX buffers and
// their state are the SPMC's registry, reached through the port
// (spmcPort.ts); this module applies the rules, copies the message, raises
// the RX-buffer-full framework notification (notificationTable.ts) and
// remembers, for traces and snapshots, who sent the message each RX
// buffer holds.
//
// Rules, Hafnium's unless said:
// - MSG_SEND2: w1 bits 31:16 name the sender only when the Normal world
//   relays for a VM (INVALID_PARAMETERS from a partition); the sender must
//   have a TX buffer (DENIED); the header is read from it
//   (core/ffa/partitionMessage.ts: v1.0 NOT_SUPPORTED, payload after the
//   header, within one page and the buffer; a VM's message relayed by the
//   hypervisor may use the v1.1 header, as the VM's version is its
//   hypervisor's business); the header's sender must be the
//   sender, its receiver another endpoint (INVALID_PARAMETERS); flags other
//   than delay-SRI (bit 1), or any flag from a VM (INVALID_PARAMETERS);
//   sender or receiver at FF-A v1.0, or a partition whose manifest does not
//   allow indirect messaging (DENIED); a receiver RX buffer not empty or not
//   mapped (BUSY). The message goes into the receiver's RX buffer (the rest
//   zeroed), the receiver owns it, and the RX-buffer-full framework
//   notification is pended (the hypervisor's bit for a VM sender, the SPM's
//   for a partition) with the schedule receiver interrupt now or delayed;
// - RX_RELEASE: w1 names a VM only when the Normal world releases for it
//   (INVALID_PARAMETERS from a partition, or naming a partition); no buffer (INVALID_PARAMETERS);
//   an empty buffer, or a full one whose RX-full framework notification was
//   not fetched with FFA_NOTIFICATION_GET yet (DENIED); a partition's buffer
//   owned by the other world (ABORTED);
// - RX_ACQUIRE: the Normal world only, for a VM (NOT_SUPPORTED); no buffer
//   (INVALID_PARAMETERS); not empty (DENIED);
// - MSG_WAIT: w1, w3-w7 MBZ, and w2 too before v1.2; from v1.2 w2 bit 0
//   keeps RX ownership (else the RX buffer is released, as RX_RELEASE
//   would, errors ignored) and x8-x17 MBZ (INVALID_PARAMETERS); a partition
//   woken by FFA_RUN sees FFA_RUN with w1 = its ID << 16 | vCPU (DEN0077
//   v1.1 FFA_RUN target information; Hafnium puts the bare ID there).
import { ABORTED, BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../ffa/endpoints.js';
import { FFA_MSG_SEND2, FFA_MSG_WAIT, FFA_RUN, FFA_RX_ACQUIRE, FFA_RX_RELEASE, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../ffa/functionIds.js';
import { FFA_NOTIFICATIONS_FLAG_DELAY_SRI } from '../ffa/notifications.js';
import { PARTITION_MESSAGE_HEADER_SIZE_V1_2, PARTITION_MESSAGE_MAX_BYTES, decodePartitionMessage } from '../ffa/partitionMessage.js';
import { accept, ffaError, ffaSuccess32, ffaValue, reject, type Checked, type FfaResult } from '../ffa/result.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';
import { FRAMEWORK_HYP_RX_BUFFER_FULL, FRAMEWORK_SPM_RX_BUFFER_FULL, type NotificationCaller, type NotificationSignals, type NotificationTable } from './notificationTable.js';
import { U16, checkRecord, int, list, record } from './recordChecks.js';
import type { SpmcBufferPort } from './spmcPort.js';

/** FFA_MSG_WAIT w2 bit 0 (v1.2): the caller keeps its RX buffer. */
export const FFA_MSG_WAIT_FLAG_RETAIN_RX = 1 << 0;
const RX_FULL = FRAMEWORK_SPM_RX_BUFFER_FULL | FRAMEWORK_HYP_RX_BUFFER_FULL;

export interface DeliveredMessage {
  receiver: number;
  sender: number;
  /** Header and payload bytes in the receiver's RX buffer. */
  bytes: number;
}

export interface MailboxState {
  version: 1;
  /** Partitions whose manifest allows indirect messaging (messaging-method bit 2). */
  indirectPartitions: number[];
  /** Messages in RX buffers not released yet. */
  messages: DeliveredMessage[];
}

const SCHEMA: RecordSchema = { name: 'mailbox state', version: 1 };
const CHECK = record({ indirectPartitions: list(U16), messages: list(record({ receiver: U16, sender: U16, bytes: int(0, PARTITION_MESSAGE_MAX_BYTES) })) });

const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn);

export interface MailboxAnswer {
  result: FfaResult;
  signals: NotificationSignals;
}

const NO_SIGNALS: NotificationSignals = { sri: false, npi: null };

export class Mailbox {
  private st: MailboxState = { version: 1, indirectPartitions: [], messages: [] };

  getState(): MailboxState {
    return structuredClone(this.st);
  }

  setState(rec: MailboxState): void {
    const upgraded = upgradeRecord<MailboxState>(SCHEMA, rec);
    checkRecord('mailbox state', CHECK, upgraded);
    this.st = structuredClone(upgraded);
  }

  /** Boot: a partition's manifest allows it indirect messages (send and receive). */
  allowIndirect(partition: number): void {
    if (!this.st.indirectPartitions.includes(partition)) this.st.indirectPartitions.push(partition);
  }

  /** The message `receiver`'s RX buffer holds, if it holds one. */
  messageFor(receiver: number): DeliveredMessage | undefined {
    return this.st.messages.find((m) => m.receiver === receiver);
  }

  /** FFA_MSG_SEND2 by `caller`. */
  send2(port: SpmcBufferPort, notifications: NotificationTable, caller: NotificationCaller, x: readonly bigint[]): MailboxAnswer {
    const r = this.trySend2(port, notifications, caller, x);
    return r.ok ? r.value : { result: r.error, signals: NO_SIGNALS };
  }

  private trySend2(port: SpmcBufferPort, notifications: NotificationTable, caller: NotificationCaller, x: readonly bigint[]): Checked<MailboxAnswer> {
    const fromNwd = port.endpointKind(caller.id) === 'normal-world';
    const named = (w(x, 1) >>> 16) & 0xffff;
    const flags = w(x, 2);
    if (!fromNwd && named !== 0) return reject(INVALID_PARAMETERS, 'w1 bits 31:16 name the sender only when the Normal world relays for a VM');
    const sender = named !== 0 ? named : caller.id;
    if (fromNwd && isSecureEndpoint(sender)) return reject(INVALID_PARAMETERS, `the Normal world cannot send as ${endpointText(sender)}`);
    const txBytes = port.bufferBytes(sender);
    if (txBytes === 0) return reject(DENIED, `${endpointText(sender)} has no TX buffer`);
    const tx = port.readTx(sender, Math.min(txBytes, PARTITION_MESSAGE_MAX_BYTES));
    if (!tx.ok) return tx;
    // A VM's message the hypervisor relays may have the v1.1 header whatever version the Normal world negotiated
    // here: the SPMC does not know the version each VM negotiated with its hypervisor (the header's offset tells).
    const relayed = named !== 0 && tx.value.length >= 12 && readOffset(tx.value) < PARTITION_MESSAGE_HEADER_SIZE_V1_2;
    const version = relayed ? Math.min(FFA_VERSION_1_1, port.ffaVersion(sender)) : port.ffaVersion(sender);
    const message = decodePartitionMessage(tx.value, version);
    if (!message.ok) return message;
    const { receiver } = message.value;
    if (message.value.sender !== sender) return reject(INVALID_PARAMETERS, `the header names sender ${endpointText(message.value.sender)}, the call ${endpointText(sender)}`);
    if (receiver === sender) return reject(INVALID_PARAMETERS, `${endpointText(sender)} cannot send itself a message`);
    if ((flags & ~FFA_NOTIFICATIONS_FLAG_DELAY_SRI) !== 0 || (!isSecureEndpoint(sender) && flags !== 0)) return reject(INVALID_PARAMETERS, `flags 0x${flags.toString(16)}: only a partition may set the delay-SRI flag (bit 1)`);
    const kind = port.endpointKind(receiver);
    if (kind === 'unknown') return reject(INVALID_PARAMETERS, `receiver ${endpointText(receiver)} does not exist`);
    for (const id of [sender, receiver]) {
      if (port.ffaVersion(id) < FFA_VERSION_1_1) return reject(DENIED, `${endpointText(id)} negotiated FF-A v1.0: no indirect messaging`);
      if (port.endpointKind(id) === 'partition' && !this.st.indirectPartitions.includes(id)) return reject(DENIED, `partition ${endpointText(id)} does not use indirect messaging (its manifest's messaging-method)`);
    }
    const rx = port.rxState(receiver);
    if (rx !== 'empty') return reject(BUSY, `${endpointText(receiver)}'s RX buffer is ${rx === 'unmapped' ? 'not mapped' : rx === 'full' ? 'full' : 'owned by the other world'}`);
    const length = message.value.payload.length + readOffset(tx.value);
    if (length > port.bufferBytes(receiver)) return reject(INVALID_PARAMETERS, `a ${length}-byte message does not fit ${endpointText(receiver)}'s RX buffer`);
    // Commit.
    port.writeRx(receiver, tx.value.slice(0, length));
    this.st.messages = [...this.st.messages.filter((m) => m.receiver !== receiver), { receiver, sender, bytes: length }];
    const notified = notifications.setFrameworkPending(receiver, isSecureEndpoint(sender) ? FRAMEWORK_SPM_RX_BUFFER_FULL : FRAMEWORK_HYP_RX_BUFFER_FULL);
    const delay = (flags & FFA_NOTIFICATIONS_FLAG_DELAY_SRI) !== 0;
    if (notified && delay) notifications.delaySri(caller.cpu);
    const signals: NotificationSignals = notified
      ? { sri: !delay, npi: kind === 'partition' ? { partition: receiver, vcpu: null } : null }
      : NO_SIGNALS;
    return accept({ result: ffaSuccess32(), signals });
  }

  /** FFA_RX_RELEASE by `caller`. */
  rxRelease(port: SpmcBufferPort, notifications: NotificationTable, caller: number, x: readonly bigint[]): FfaResult {
    const fromNwd = port.endpointKind(caller) === 'normal-world';
    const named = w(x, 1) & 0xffff;
    if (!fromNwd && named !== 0) return ffaError(INVALID_PARAMETERS, 'a partition releases its own RX buffer: w1 must be zero');
    if (fromNwd && isSecureEndpoint(named)) return ffaError(INVALID_PARAMETERS, `the Normal world cannot release partition ${endpointText(named)}'s RX buffer`);
    const id = fromNwd && named !== 0 ? named : caller;
    const r = this.release(port, notifications, id);
    return r.ok ? ffaSuccess32() : r.error;
  }

  private release(port: SpmcBufferPort, notifications: NotificationTable, id: number): Checked<void> {
    const state = port.rxState(id);
    if (state === 'unmapped') return reject(INVALID_PARAMETERS, `${endpointText(id)} has no RX buffer`);
    if (state === 'empty') return reject(DENIED, `${endpointText(id)}'s RX buffer is empty`);
    if (state === 'full' && (notifications.frameworkPending(id) & RX_FULL) !== 0n) return reject(DENIED, `${endpointText(id)} has not fetched its RX-buffer-full notification`);
    if (state === 'other-world-owned' && isSecureEndpoint(id)) return reject(ABORTED, `partition ${endpointText(id)}'s RX buffer is owned by the other world`);
    port.setRxState(id, 'empty');
    this.st.messages = this.st.messages.filter((m) => m.receiver !== id);
    return accept(undefined);
  }

  /** FFA_RX_ACQUIRE: the hypervisor takes a VM's RX buffer from the SPMC. */
  rxAcquire(port: SpmcBufferPort, caller: number, x: readonly bigint[]): FfaResult {
    const vm = w(x, 1) & 0xffff;
    if (port.endpointKind(caller) !== 'normal-world' || isSecureEndpoint(vm)) return ffaError(NOT_SUPPORTED, 'FFA_RX_ACQUIRE is for the hypervisor, for a VM');
    const state = port.rxState(vm);
    if (state === 'unmapped') return ffaError(INVALID_PARAMETERS, `${endpointText(vm)} has no RX buffer`);
    if (state !== 'empty') return ffaError(DENIED, `${endpointText(vm)}'s RX buffer is not empty`);
    port.setRxState(vm, 'other-world-owned');
    return ffaSuccess32();
  }

  /** FFA_MSG_WAIT's arguments and its RX release; the SPMC then blocks the caller (its runtime model). */
  msgWait(port: SpmcBufferPort, notifications: NotificationTable, caller: number, x: readonly bigint[]): Checked<void> {
    if ([1, 3, 4, 5, 6, 7].some((n) => w(x, n) !== 0)) return reject(INVALID_PARAMETERS, 'FFA_MSG_WAIT: w1 and w3-w7 must be zero');
    const v12 = port.ffaVersion(caller) >= FFA_VERSION_1_2;
    const flags = w(x, 2);
    if (!v12 && flags !== 0) return reject(INVALID_PARAMETERS, 'FFA_MSG_WAIT: w2 must be zero before v1.2');
    if (v12 && (flags & ~FFA_MSG_WAIT_FLAG_RETAIN_RX) !== 0) return reject(INVALID_PARAMETERS, `FFA_MSG_WAIT flags 0x${flags.toString(16)}: only bit 0 is defined`);
    if (v12 && x.slice(8, 18).some((v) => v !== 0n)) return reject(INVALID_PARAMETERS, 'FFA_MSG_WAIT: x8-x17 must be zero');
    if ((flags & FFA_MSG_WAIT_FLAG_RETAIN_RX) === 0 && port.rxState(caller) === 'full') this.release(port, notifications, caller);
    return accept(undefined);
  }
}

/** What FFA_MSG_WAIT returns to a partition the Normal world resumes with FFA_RUN. */
export function msgWaitWakeUp(partition: number, vcpu: number): FfaResult {
  return ffaValue(FFA_RUN, [((partition & 0xffff) << 16) | (vcpu & 0xffff)]);
}

/** The payload offset the (already checked) header declares. */
function readOffset(buffer: Uint8Array): number {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength).getUint32(8, true);
}

export const MAILBOX_CALLS: readonly number[] = [FFA_MSG_SEND2, FFA_RX_RELEASE, FFA_RX_ACQUIRE, FFA_MSG_WAIT];
