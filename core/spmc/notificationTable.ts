// FF-A notifications at the SPMC (DEN0077 v1.1 chapter 10 "Notifications"
// and §17 FFA_NOTIFICATION_*; Hafnium src/api.c api_ffa_notification_*,
// src/ffa/spmc/notifications.c, src/vm.c vm_notifications_*): per receiver
// (a partition with `notification-support`, or a VM whose bitmap the Normal
// world created), two sets of 64 notifications, one from partitions and one
// from VMs, each bit bound to one sender, global or per-vCPU, pending
// globally or on one vCPU; and the framework notifications (bits 31:0 the
// SPM's, 63:32 the hypervisor's: RX buffer full, mailbox.ts).
//
// Rules, Hafnium's unless said:
// - BITMAP_CREATE/DESTROY come from the Normal world only (NOT_SUPPORTED
//   otherwise) for a Normal-world ID (INVALID_PARAMETERS); creating twice,
//   destroying one never created or with notifications pending: DENIED;
//   more than NOTIFICATION_MAX_VMS bitmaps: NO_MEMORY;
// - BIND/UNBIND: a partition binds for itself as receiver; the Normal world
//   binds for a VM receiver and a partition sender; never sender = receiver
//   (INVALID_PARAMETERS); a receiver that does not exist, or a partition
//   sender that does not (INVALID_PARAMETERS); a receiver at FF-A v1.0 or
//   without notifications enabled (NOT_SUPPORTED); binding a bit already
//   bound, or unbinding one bound to another sender, or either with the bit
//   pending (DENIED);
// - SET: a partition sets as itself; the Normal world sets for a VM sender
//   and a partition receiver; the delay-SRI flag only from a partition
//   (INVALID_PARAMETERS); a receiver without notifications (DENIED); a bit
//   not bound to the sender (DENIED); per-vCPU or global not as bound, or
//   a vCPU the receiver lacks (INVALID_PARAMETERS) — per-vCPU notifications
//   are the spec's (v1.1), which Hafnium has since dropped;
// - GET: a partition gets its own, on its current vCPU; the Normal world
//   gets a VM's SP and SPM framework bitmaps (asking for the VM or
//   hypervisor bitmaps of a VM is INVALID_PARAMETERS: those are the
//   hypervisor's); the bitmaps returned are cleared;
// - INFO_GET_64 from the Normal world only (NOT_SUPPORTED from a
//   partition; INFO_GET_32 is NOT_SUPPORTED, as Hafnium): each endpoint with
//   notifications pending that no INFO_GET reported yet, partitions first,
//   then VMs, by ID; a list per endpoint for global ones and lists of up to
//   three vCPUs for per-vCPU ones, at most 20 IDs, the more-pending flag set
//   when some did not fit; NO_DATA when there is nothing to report.
//
// Interrupts: a SET asks the SPMC to pend the schedule receiver interrupt
// (SRI) to the Normal world now or, with the delay flag, when the CPU
// returns to the Normal world (takeDelayedSri); a per-vCPU SET to a
// partition pends the notification pending interrupt (NPI) on that vCPU, a
// global one on whichever vCPU runs next. IDs (Hafnium's, what FFA_FEATURES
// answers): SRI the Non-secure SGI 8 (HF_SCHEDULE_RECEIVER_INTID), NPI the
// virtual interrupt 5 (HF_NOTIFICATION_PENDING_INTID, injected with
// HCR_EL2.VI and read with HF_INTERRUPT_GET, like every secure virtual
// interrupt here).
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED, NO_DATA, NO_MEMORY } from '../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../ffa/endpoints.js';
import {
  FFA_FEATURE_NPI, FFA_FEATURE_SRI, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY,
  FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_32, FFA_NOTIFICATION_INFO_GET_64, FFA_NOTIFICATION_SET, FFA_NOTIFICATION_UNBIND,
  FFA_VERSION_1_1,
} from '../ffa/functionIds.js';
import {
  FFA_NOTIFICATION_FLAG_BITMAP_HYP, FFA_NOTIFICATION_FLAG_BITMAP_SP, FFA_NOTIFICATION_FLAG_BITMAP_SPM, FFA_NOTIFICATION_FLAG_BITMAP_VM,
  FFA_NOTIFICATIONS_INFO_GET_MAX_IDS, FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS, decodeNotificationBindArgs, decodeNotificationGetArgs,
  decodeNotificationSetArgs, notificationGetSuccess, notificationInfoGetSuccess, type NotificationInfoList,
} from '../ffa/notifications.js';
import { accept, ffaError, ffaSuccess32, reject, type Checked, type FfaResult } from '../ffa/result.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';
import { U16, bool, checkRecord, hex64, int, list, oneOf, record } from './recordChecks.js';
import type { SpmcBufferPort } from './spmcPort.js';

/** The schedule receiver interrupt: Non-secure SGI 8 (Hafnium HF_SCHEDULE_RECEIVER_INTID). */
export const SCHEDULE_RECEIVER_INTID = 8;
/** The notification pending interrupt: virtual interrupt 5 (Hafnium HF_NOTIFICATION_PENDING_INTID). */
export const NOTIFICATION_PENDING_INTID = 5;
/** Bitmaps the Normal world may create (Hafnium's NWd VM slots). */
export const NOTIFICATION_MAX_VMS = 16;
/** Framework notification: RX buffer full, sent by the SPM (bit 0) or the hypervisor (bit 32). */
export const FRAMEWORK_SPM_RX_BUFFER_FULL = 1n << 0n;
export const FRAMEWORK_HYP_RX_BUFFER_FULL = 1n << 32n;

const SPM_HALF = 0xffff_ffffn;
const HYP_HALF = 0xffff_ffffn << 32n;
const BITS = 64;

export interface NotificationStateRecord {
  /** Pending notifications (hex). */
  pending: string;
  /** Those an FFA_NOTIFICATION_INFO_GET already reported (hex). */
  reported: string;
}

export interface NotificationBindingRecord {
  bit: number;
  sender: number;
  perVcpu: boolean;
}

/** Notifications from one world (partitions, or VMs) to one receiver. */
export interface NotificationSetRecord {
  bindings: NotificationBindingRecord[];
  global: NotificationStateRecord;
  /** One per vCPU of the receiver. */
  perVcpu: NotificationStateRecord[];
}

export interface NotificationReceiverRecord {
  id: number;
  kind: 'partition' | 'vm';
  vcpuCount: number;
  /** A partition's manifest says notification-support; a VM's bitmap exists. */
  enabled: boolean;
  fromPartitions: NotificationSetRecord;
  fromVms: NotificationSetRecord;
  framework: NotificationStateRecord;
}

export interface NotificationTableState {
  version: 1;
  receivers: NotificationReceiverRecord[];
  /** Physical CPUs whose schedule receiver interrupt waits for the return to the Normal world. */
  delayedSriCpus: number[];
}

const SCHEMA: RecordSchema = { name: 'notification table state', version: 1 };

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;
const emptyState = (): NotificationStateRecord => ({ pending: '0x0', reported: '0x0' });
const emptySet = (vcpus: number): NotificationSetRecord => ({ bindings: [], global: emptyState(), perVcpu: Array.from({ length: vcpus }, emptyState) });
const pendingOf = (s: NotificationStateRecord): bigint => BigInt(s.pending);
const bitsOf = (bitmap: bigint): number[] => Array.from({ length: BITS }, (_, i) => i).filter((i) => ((bitmap >> BigInt(i)) & 1n) !== 0n);

/** The caller of a notification ABI. */
export interface NotificationCaller {
  /** A partition's ID, or the Normal world's. */
  id: number;
  /** The caller's vCPU (a partition's execution context index; 0 for the Normal world). */
  vcpu: number;
  /** The physical CPU (for the delayed schedule receiver interrupt). */
  cpu: number;
}

/** What the SPMC must do after the call, besides answering. */
export interface NotificationSignals {
  /** Pend the schedule receiver interrupt to the Normal world on this CPU now. */
  sri: boolean;
  /** Pend the notification pending interrupt to a partition: on `vcpu`, or (null) on the next vCPU to run. */
  npi: { partition: number; vcpu: number | null } | null;
}

export interface NotificationAnswer {
  result: FfaResult;
  signals: NotificationSignals;
}

const NO_SIGNALS: NotificationSignals = { sri: false, npi: null };

export const NOTIFICATION_CALLS: readonly number[] = [
  FFA_NOTIFICATION_BITMAP_CREATE, FFA_NOTIFICATION_BITMAP_DESTROY, FFA_NOTIFICATION_BIND, FFA_NOTIFICATION_UNBIND,
  FFA_NOTIFICATION_SET, FFA_NOTIFICATION_GET, FFA_NOTIFICATION_INFO_GET_32, FFA_NOTIFICATION_INFO_GET_64,
];

export class NotificationTable {
  private st: NotificationTableState = { version: 1, receivers: [], delayedSriCpus: [] };

  getState(): NotificationTableState {
    return structuredClone(this.st);
  }

  setState(rec: NotificationTableState): void {
    const upgraded = upgradeRecord<NotificationTableState>(SCHEMA, rec);
    checkRecord('notification table state', TABLE, upgraded);
    this.st = structuredClone(upgraded);
  }

  /** Boot: a partition that may receive notifications (its manifest's notification-support). */
  registerPartition(id: number, vcpuCount: number, notificationSupport: boolean): void {
    if (!isSecureEndpoint(id) || this.find(id)) throw new Error(`notification table: partition ${endpointText(id)} is not a new Secure ID`);
    this.st.receivers.push(newReceiver(id, 'partition', vcpuCount, notificationSupport));
    this.st.receivers.sort((a, b) => a.id - b.id);
  }

  /** Framework notifications for `receiver` (mailbox.ts: RX buffer full); ignored for one without notifications. */
  setFrameworkPending(receiver: number, bits: bigint): boolean {
    const r = this.find(receiver);
    if (!r || !r.enabled) return false;
    r.framework.pending = hex(BigInt(r.framework.pending) | bits);
    return true;
  }

  /** Framework notifications pending for `receiver` (0 when it has none). */
  frameworkPending(receiver: number): bigint {
    const r = this.find(receiver);
    return r ? pendingOf(r.framework) : 0n;
  }

  /** The schedule receiver interrupt waits for `cpu`'s return to the Normal world (a delay-SRI flag). */
  delaySri(cpu: number): void {
    if (!this.st.delayedSriCpus.includes(cpu)) this.st.delayedSriCpus.push(cpu);
  }

  /** Was the schedule receiver interrupt delayed on `cpu`? Clears the flag (the SPMC calls this on the way back to the Normal world). */
  takeDelayedSri(cpu: number): boolean {
    const had = this.st.delayedSriCpus.includes(cpu);
    this.st.delayedSriCpus = this.st.delayedSriCpus.filter((c) => c !== cpu);
    return had;
  }

  /** Does `id` have notifications pending on `vcpu` (global ones count on every vCPU)? For the NPI on FFA_RUN. */
  hasPending(id: number, vcpu: number): boolean {
    const r = this.find(id);
    if (!r) return false;
    return [r.fromPartitions, r.fromVms].some((s) => pendingOf(s.global) !== 0n || pendingOf(s.perVcpu[vcpu] ?? emptyState()) !== 0n) || pendingOf(r.framework) !== 0n;
  }

  find(id: number): NotificationReceiverRecord | undefined {
    return this.st.receivers.find((r) => r.id === id);
  }

  // -- the ABIs (handleNotificationCall dispatches) --

  bitmapCreate(port: SpmcBufferPort, caller: number, vmId: number, vcpuCount: number): Checked<FfaResult> {
    const access = bitmapAccess(port, caller, vmId);
    if (!access.ok) return access;
    if (this.find(vmId)) return reject(DENIED, `the notification bitmap of ${endpointText(vmId)} already exists`);
    if (this.st.receivers.filter((r) => r.kind === 'vm').length >= NOTIFICATION_MAX_VMS) return reject(NO_MEMORY, `${NOTIFICATION_MAX_VMS} VM bitmaps exist already`);
    if (vcpuCount < 1 || vcpuCount > 0xffff) return reject(INVALID_PARAMETERS, `vCPU count ${vcpuCount}`);
    this.st.receivers.push(newReceiver(vmId, 'vm', vcpuCount, true));
    this.st.receivers.sort((a, b) => a.id - b.id);
    return accept(ffaSuccess32());
  }

  bitmapDestroy(port: SpmcBufferPort, caller: number, vmId: number): Checked<FfaResult> {
    const access = bitmapAccess(port, caller, vmId);
    if (!access.ok) return access;
    const r = this.find(vmId);
    if (!r) return reject(DENIED, `${endpointText(vmId)} has no notification bitmap`);
    if (anyPending(r)) return reject(DENIED, `${endpointText(vmId)} has notifications pending`);
    this.st.receivers = this.st.receivers.filter((x) => x !== r);
    return accept(ffaSuccess32());
  }

  updateBindings(port: SpmcBufferPort, caller: number, x: readonly bigint[], bind: boolean): Checked<FfaResult> {
    const args = decodeNotificationBindArgs(x, bind);
    if (!args.ok) return args;
    const { sender, receiver, perVcpu, bitmap } = args.value;
    if (sender === receiver) return reject(INVALID_PARAMETERS, `${endpointText(sender)} cannot bind notifications to itself`);
    const fromNwd = port.endpointKind(caller) === 'normal-world';
    if (!fromNwd && receiver !== caller) return reject(INVALID_PARAMETERS, `a partition binds its own notifications: receiver ${endpointText(receiver)} is not the caller ${endpointText(caller)}`);
    if (fromNwd && (!isSecureEndpoint(sender) || isSecureEndpoint(receiver))) return reject(INVALID_PARAMETERS, 'the Normal world binds a VM\'s notifications from a partition');
    const r = this.find(receiver);
    if (!r) return reject(INVALID_PARAMETERS, `receiver ${endpointText(receiver)} does not exist`);
    if (port.ffaVersion(receiver) < FFA_VERSION_1_1) return reject(NOT_SUPPORTED, `receiver ${endpointText(receiver)} negotiated FF-A v1.0`);
    if (!r.enabled) return reject(NOT_SUPPORTED, `notifications are not enabled for ${endpointText(receiver)}`);
    if (bind && isSecureEndpoint(sender) && port.endpointKind(sender) !== 'partition') return reject(INVALID_PARAMETERS, `sender ${endpointText(sender)} does not exist`);
    const set = isSecureEndpoint(sender) ? r.fromPartitions : r.fromVms;
    for (const bit of bitsOf(bitmap)) {
      const b = set.bindings.find((y) => y.bit === bit);
      if (bind ? b !== undefined : b?.sender !== sender) {
        return reject(DENIED, bind ? `notification ${bit} of ${endpointText(receiver)} is already bound to ${endpointText(b!.sender)}` : `notification ${bit} of ${endpointText(receiver)} is not bound to ${endpointText(sender)}`);
      }
    }
    if ((setPending(set) & bitmap) !== 0n) return reject(DENIED, `notifications 0x${(setPending(set) & bitmap).toString(16)} of ${endpointText(receiver)} are pending`);
    const bits = bitsOf(bitmap);
    set.bindings = set.bindings.filter((y) => !bits.includes(y.bit));
    if (bind) set.bindings.push(...bits.map((bit) => ({ bit, sender, perVcpu })));
    set.bindings.sort((a, b) => a.bit - b.bit);
    return accept(ffaSuccess32());
  }

  set(port: SpmcBufferPort, caller: NotificationCaller, x: readonly bigint[]): Checked<NotificationAnswer> {
    const args = decodeNotificationSetArgs(x);
    if (!args.ok) return args;
    const { sender, receiver, perVcpu, delaySri, vcpu, bitmap } = args.value;
    if (sender === receiver) return reject(INVALID_PARAMETERS, `${endpointText(sender)} cannot notify itself`);
    const fromNwd = port.endpointKind(caller.id) === 'normal-world';
    if (!fromNwd && sender !== caller.id) return reject(INVALID_PARAMETERS, `a partition sets notifications as itself: sender ${endpointText(sender)} is not the caller ${endpointText(caller.id)}`);
    if (fromNwd && (isSecureEndpoint(sender) || !isSecureEndpoint(receiver))) return reject(INVALID_PARAMETERS, 'the Normal world sets notifications from a VM to a partition');
    if (fromNwd && delaySri) return reject(INVALID_PARAMETERS, 'the delay-SRI flag is for partitions');
    const r = this.find(receiver);
    if (!r) return reject(INVALID_PARAMETERS, `receiver ${endpointText(receiver)} does not exist`);
    if (!r.enabled) return reject(DENIED, `notifications are not enabled for ${endpointText(receiver)}`);
    const set = isSecureEndpoint(sender) ? r.fromPartitions : r.fromVms;
    for (const bit of bitsOf(bitmap)) {
      const b = set.bindings.find((y) => y.bit === bit);
      if (b?.sender !== sender) return reject(DENIED, `notification ${bit} of ${endpointText(receiver)} is not bound to ${endpointText(sender)}`);
      if (b.perVcpu !== perVcpu) return reject(INVALID_PARAMETERS, `notification ${bit} is bound ${b.perVcpu ? 'per-vCPU' : 'global'}, set ${perVcpu ? 'per-vCPU' : 'global'}`);
    }
    if (perVcpu && vcpu >= r.vcpuCount) return reject(INVALID_PARAMETERS, `vCPU ${vcpu}: ${endpointText(receiver)} has ${r.vcpuCount}`);
    const state = perVcpu ? set.perVcpu[vcpu]! : set.global;
    state.pending = hex(pendingOf(state) | bitmap);
    if (delaySri) this.delaySri(caller.cpu);
    const npi = r.kind === 'partition' ? { partition: receiver, vcpu: perVcpu ? vcpu : null } : null;
    return accept({ result: ffaSuccess32(), signals: { sri: !delaySri, npi } });
  }

  get(port: SpmcBufferPort, caller: NotificationCaller, x: readonly bigint[]): Checked<FfaResult> {
    const args = decodeNotificationGetArgs(x);
    if (!args.ok) return args;
    const { receiver, vcpu, which } = args.value;
    const fromNwd = port.endpointKind(caller.id) === 'normal-world';
    if (fromNwd ? isSecureEndpoint(receiver) : receiver !== caller.id) return reject(INVALID_PARAMETERS, `${endpointText(caller.id)} cannot get the notifications of ${endpointText(receiver)}`);
    if (fromNwd && (which & (FFA_NOTIFICATION_FLAG_BITMAP_VM | FFA_NOTIFICATION_FLAG_BITMAP_HYP)) !== 0) return reject(INVALID_PARAMETERS, 'a VM\'s VM and hypervisor bitmaps are the hypervisor\'s');
    const r = this.find(receiver);
    if (!r) return reject(INVALID_PARAMETERS, `${endpointText(receiver)} has no notifications`);
    if (vcpu >= r.vcpuCount) return reject(INVALID_PARAMETERS, `vCPU ${vcpu}: ${endpointText(receiver)} has ${r.vcpuCount}`);
    if (!fromNwd && vcpu !== caller.vcpu) return reject(INVALID_PARAMETERS, `vCPU ${vcpu} is not the caller's (${caller.vcpu})`);
    const take = (s: NotificationSetRecord): bigint => takeAll(s.global, ~0n) | takeAll(s.perVcpu[vcpu]!, ~0n);
    const fromSps = (which & FFA_NOTIFICATION_FLAG_BITMAP_SP) !== 0 ? take(r.fromPartitions) : 0n;
    const fromVms = (which & FFA_NOTIFICATION_FLAG_BITMAP_VM) !== 0 ? take(r.fromVms) : 0n;
    const mask = ((which & FFA_NOTIFICATION_FLAG_BITMAP_SPM) !== 0 ? SPM_HALF : 0n) | ((which & FFA_NOTIFICATION_FLAG_BITMAP_HYP) !== 0 ? HYP_HALF : 0n);
    const framework = takeAll(r.framework, mask);
    return accept(notificationGetSuccess(fromSps, fromVms, framework));
  }

  infoGet(port: SpmcBufferPort, caller: number, fid: number): Checked<FfaResult> {
    if (fid === FFA_NOTIFICATION_INFO_GET_32) return reject(NOT_SUPPORTED, 'FFA_NOTIFICATION_INFO_GET_32 is not implemented (Hafnium: the 64-bit form only)');
    if (port.endpointKind(caller) !== 'normal-world') return reject(NOT_SUPPORTED, 'FFA_NOTIFICATION_INFO_GET is for the Normal world\'s scheduler');
    const lists: NotificationInfoList[] = [];
    let ids = 0;
    let more = false;
    // Partitions first, then VMs, each by ID (the array is kept sorted; Secure IDs sort after VM IDs).
    const order = [...this.st.receivers.filter((r) => r.kind === 'partition'), ...this.st.receivers.filter((r) => r.kind === 'vm')];
    for (const r of order) {
      const globals = [r.framework, r.fromPartitions.global, r.fromVms.global].filter(unreported);
      if (globals.length > 0) {
        if (ids + 1 > FFA_NOTIFICATIONS_INFO_GET_MAX_IDS) { more = true; break; }
        lists.push({ id: r.id, vcpus: [] });
        ids += 1;
        for (const s of globals) s.reported = s.pending;
      }
      const vcpus = Array.from({ length: r.vcpuCount }, (_, v) => v).filter((v) => unreported(r.fromPartitions.perVcpu[v]!) || unreported(r.fromVms.perVcpu[v]!));
      for (let i = 0; i < vcpus.length && !more; i += FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS) {
        const room = FFA_NOTIFICATIONS_INFO_GET_MAX_IDS - ids - 1;
        if (room < 1) { more = true; break; }
        const chunk = vcpus.slice(i, i + Math.min(FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS, room));
        lists.push({ id: r.id, vcpus: chunk });
        ids += 1 + chunk.length;
        for (const v of chunk) for (const s of [r.fromPartitions.perVcpu[v]!, r.fromVms.perVcpu[v]!]) s.reported = s.pending;
        if (chunk.length < Math.min(FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS, vcpus.length - i)) more = true;
      }
      if (more) break;
    }
    if (lists.length === 0) return reject(NO_DATA, 'no notifications pending that FFA_NOTIFICATION_INFO_GET has not reported');
    return accept(notificationInfoGetSuccess(lists, more));
  }
}

function newReceiver(id: number, kind: 'partition' | 'vm', vcpuCount: number, enabled: boolean): NotificationReceiverRecord {
  return { id, kind, vcpuCount, enabled, fromPartitions: emptySet(vcpuCount), fromVms: emptySet(vcpuCount), framework: emptyState() };
}

function setPending(s: NotificationSetRecord): bigint {
  return s.perVcpu.reduce((m, v) => m | pendingOf(v), pendingOf(s.global));
}

function anyPending(r: NotificationReceiverRecord): boolean {
  return setPending(r.fromPartitions) !== 0n || setPending(r.fromVms) !== 0n || pendingOf(r.framework) !== 0n;
}

/** Pending bits not reported by an INFO_GET yet. */
function unreported(s: NotificationStateRecord): boolean {
  return (pendingOf(s) & ~BigInt(s.reported)) !== 0n;
}

/** Takes (clears) the pending bits of `mask`: a GET. */
function takeAll(s: NotificationStateRecord, mask: bigint): bigint {
  const got = pendingOf(s) & mask;
  s.pending = hex(pendingOf(s) & ~mask);
  s.reported = hex(BigInt(s.reported) & ~mask);
  return got;
}

/** BITMAP_CREATE/DESTROY: from the Normal world, for a Normal-world ID. */
function bitmapAccess(port: SpmcBufferPort, caller: number, vmId: number): Checked<void> {
  if (port.endpointKind(caller) !== 'normal-world') return reject(NOT_SUPPORTED, 'notification bitmaps are created and destroyed by the Normal world');
  if (isSecureEndpoint(vmId)) return reject(INVALID_PARAMETERS, `${endpointText(vmId)} is not a VM ID`);
  return accept(undefined);
}

const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn);

/** One notification call by `caller` with registers x0-x7: the answer and the interrupts to pend. Never throws. */
export function handleNotificationCall(table: NotificationTable, port: SpmcBufferPort, caller: NotificationCaller, x: readonly bigint[]): NotificationAnswer {
  const fid = w(x, 0);
  const plain = (r: Checked<FfaResult>): NotificationAnswer => ({ result: r.ok ? r.value : r.error, signals: NO_SIGNALS });
  if (port.endpointKind(caller.id) === 'unknown') return plain(reject(INVALID_PARAMETERS, `${endpointText(caller.id)} is not an endpoint`));
  switch (fid) {
    case FFA_NOTIFICATION_BITMAP_CREATE: return plain(table.bitmapCreate(port, caller.id, w(x, 1) & 0xffff, w(x, 2)));
    case FFA_NOTIFICATION_BITMAP_DESTROY: return plain(table.bitmapDestroy(port, caller.id, w(x, 1) & 0xffff));
    case FFA_NOTIFICATION_BIND: return plain(table.updateBindings(port, caller.id, x, true));
    case FFA_NOTIFICATION_UNBIND: return plain(table.updateBindings(port, caller.id, x, false));
    case FFA_NOTIFICATION_SET: {
      const r = table.set(port, caller, x);
      return r.ok ? r.value : { result: r.error, signals: NO_SIGNALS };
    }
    case FFA_NOTIFICATION_GET: return plain(table.get(port, caller, x));
    case FFA_NOTIFICATION_INFO_GET_32:
    case FFA_NOTIFICATION_INFO_GET_64: return plain(table.infoGet(port, caller.id, fid));
    default: return plain(reject(NOT_SUPPORTED, `0x${fid.toString(16)} is not a notification call`));
  }
}

/** FFA_FEATURES for the NPI and SRI feature IDs: the NPI to partitions, the SRI to the Normal world (Hafnium); null for other IDs. */
export function notificationFeature(featureId: number, callerIsPartition: boolean): FfaResult | null {
  if (featureId === FFA_FEATURE_NPI) return callerIsPartition ? ffaSuccess32(0, NOTIFICATION_PENDING_INTID) : ffaError(NOT_SUPPORTED, 'the notification pending interrupt is for partitions');
  if (featureId === FFA_FEATURE_SRI) return callerIsPartition ? ffaError(NOT_SUPPORTED, 'the schedule receiver interrupt is for the Normal world') : ffaSuccess32(0, SCHEDULE_RECEIVER_INTID);
  return null;
}

const STATE = record({ pending: hex64, reported: hex64 });
const SET = record({
  bindings: list(record({ bit: int(0, BITS - 1), sender: U16, perVcpu: bool })),
  global: STATE,
  perVcpu: list(STATE),
});
const TABLE = record({
  receivers: list(record({ id: U16, kind: oneOf(['partition', 'vm']), vcpuCount: int(1, 0xffff), enabled: bool, fromPartitions: SET, fromVms: SET, framework: STATE })),
  delayedSriCpus: list(int(0, 0xffff)),
});
