// Notification ABI arguments and answers (FF-A v1.1 chapter 10 "Notifications"
// and the FFA_NOTIFICATION_* function syntax; Hafnium inc/vmapi/hf/ffa.h).
// A notification bitmap is 64 bits, passed low word first in two W registers.
//   BIND/UNBIND: w1 sender << 16 | receiver, w2 flags (BIND bit 0: per-vCPU), w3/w4 bitmap
//   SET: w1 sender << 16 | receiver, w2 flags (bit 0 per-vCPU, bit 1 delay SRI,
//        bits 31:16 the vCPU of a per-vCPU notification), w3/w4 bitmap
//   GET: w1 vCPU << 16 | receiver, w2 which bitmaps (bit 0 SP, 1 VM, 2 SPM, 3 hypervisor);
//        the answer carries them in w2/w3 (SPs), w4/w5 (VMs), w6/w7 (framework)
//   INFO_GET: x2 bit 0 more pending, bits 11:7 the list count, two bits per list
//        from bit 12 (its vCPU count); x3.. the IDs, four u16 per register.
import { INVALID_PARAMETERS } from './errors.js';
import { accept, ffaSuccess32, ffaSuccess64, reject, type Checked, type FfaResult } from './result.js';
import { receiverOf, senderOf } from './endpoints.js';

export const FFA_NOTIFICATION_FLAG_PER_VCPU = 1 << 0;
export const FFA_NOTIFICATIONS_FLAG_DELAY_SRI = 1 << 1;
export const FFA_NOTIFICATION_FLAG_BITMAP_SP = 1 << 0;
export const FFA_NOTIFICATION_FLAG_BITMAP_VM = 1 << 1;
export const FFA_NOTIFICATION_FLAG_BITMAP_SPM = 1 << 2;
export const FFA_NOTIFICATION_FLAG_BITMAP_HYP = 1 << 3;
/** At most 20 IDs fit in x3-x17 of FFA_NOTIFICATION_INFO_GET_64 (Hafnium FFA_NOTIFICATIONS_INFO_GET_MAX_IDS). */
export const FFA_NOTIFICATIONS_INFO_GET_MAX_IDS = 20;
/** A list names an endpoint and up to three of its vCPUs. */
export const FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS = 3;

const w = (x: readonly bigint[], n: number): number => Number((x[n] ?? 0n) & 0xffff_ffffn);
const bitmapOf = (x: readonly bigint[]): bigint => (BigInt(w(x, 4)) << 32n) | BigInt(w(x, 3));

export interface NotificationBinding {
  sender: number;
  receiver: number;
  perVcpu: boolean;
  bitmap: bigint;
}

/** FFA_NOTIFICATION_BIND (`bind`) or UNBIND: UNBIND has no flags; BIND defines bit 0 only; the bitmap is not empty. */
export function decodeNotificationBindArgs(x: readonly bigint[], bind: boolean): Checked<NotificationBinding> {
  const flags = w(x, 2);
  const allowed = bind ? FFA_NOTIFICATION_FLAG_PER_VCPU : 0;
  if ((flags & ~allowed) !== 0) return reject(INVALID_PARAMETERS, `${bind ? 'bind' : 'unbind'} flags 0x${flags.toString(16)}: undefined bits set`);
  const bitmap = bitmapOf(x);
  if (bitmap === 0n) return reject(INVALID_PARAMETERS, 'no notifications named');
  return accept({ sender: senderOf(w(x, 1)), receiver: receiverOf(w(x, 1)), perVcpu: (flags & FFA_NOTIFICATION_FLAG_PER_VCPU) !== 0, bitmap });
}

export interface NotificationSet extends NotificationBinding {
  delaySri: boolean;
  vcpu: number;
}

/** FFA_NOTIFICATION_SET: bits 15:2 MBZ; a global notification names vCPU 0; the bitmap is not empty. */
export function decodeNotificationSetArgs(x: readonly bigint[]): Checked<NotificationSet> {
  const flags = w(x, 2);
  if ((flags & 0xfffc) !== 0) return reject(INVALID_PARAMETERS, `set flags 0x${flags.toString(16)}: bits 15:2 must be zero`);
  const perVcpu = (flags & FFA_NOTIFICATION_FLAG_PER_VCPU) !== 0;
  const vcpu = flags >>> 16;
  if (!perVcpu && vcpu !== 0) return reject(INVALID_PARAMETERS, `a global notification names vCPU ${vcpu}: it must be zero`);
  const bitmap = bitmapOf(x);
  if (bitmap === 0n) return reject(INVALID_PARAMETERS, 'no notifications named');
  return accept({ sender: senderOf(w(x, 1)), receiver: receiverOf(w(x, 1)), perVcpu, delaySri: (flags & FFA_NOTIFICATIONS_FLAG_DELAY_SRI) !== 0, vcpu, bitmap });
}

export interface NotificationGet {
  receiver: number;
  vcpu: number;
  /** Bitmaps asked for: bit 0 SPs, 1 VMs, 2 SPM framework, 3 hypervisor framework. */
  which: number;
}

export function decodeNotificationGetArgs(x: readonly bigint[]): Checked<NotificationGet> {
  const flags = w(x, 2);
  if ((flags & ~0xf) !== 0) return reject(INVALID_PARAMETERS, `get flags 0x${flags.toString(16)}: bits 31:4 must be zero`);
  return accept({ receiver: receiverOf(w(x, 1)), vcpu: senderOf(w(x, 1)), which: flags });
}

const halves = (b: bigint): [bigint, bigint] => [BigInt.asUintN(64, b) & 0xffff_ffffn, BigInt.asUintN(64, b) >> 32n];

/** FFA_SUCCESS_32 of FFA_NOTIFICATION_GET: SP bitmap in w2/w3, VM bitmap in w4/w5, framework bitmap in w6/w7. */
export function notificationGetSuccess(fromSps: bigint, fromVms: bigint, framework: bigint): FfaResult {
  return ffaSuccess32(0, ...halves(fromSps), ...halves(fromVms), ...halves(framework));
}

export interface NotificationInfoList {
  id: number;
  /** vCPUs with pending per-vCPU notifications (0 to 3); empty for global ones. */
  vcpus: number[];
}

/** FFA_SUCCESS_64 of FFA_NOTIFICATION_INFO_GET_64 for `lists`, as many as fit (20 IDs);
 *  `more` is set when some did not fit or the caller says more are pending. */
export function notificationInfoGetSuccess(lists: readonly NotificationInfoList[], morePending = false): FfaResult {
  const ids: number[] = [];
  const sizes: number[] = [];
  let more = morePending;
  for (const l of lists) {
    const vcpus = l.vcpus.slice(0, FFA_NOTIFICATIONS_LIST_MAX_VCPU_IDS);
    if (ids.length + 1 + vcpus.length > FFA_NOTIFICATIONS_INFO_GET_MAX_IDS || sizes.length === 31) {
      more = true;
      break;
    }
    ids.push(l.id, ...vcpus);
    sizes.push(vcpus.length);
    if (l.vcpus.length > vcpus.length) more = true;
  }
  let x2 = BigInt((more ? 1 : 0) | (sizes.length << 7));
  sizes.forEach((n, i) => { x2 |= BigInt(n) << BigInt(12 + 2 * i); });
  const regs: bigint[] = [0n, x2];
  for (let i = 0; i < ids.length; i++) {
    const r = 2 + Math.floor(i / 4);
    regs[r] = (regs[r] ?? 0n) | (BigInt((ids[i] as number) & 0xffff) << BigInt(16 * (i % 4)));
  }
  return ffaSuccess64(...regs);
}

/** Reads an FFA_NOTIFICATION_INFO_GET answer back (for clients and tests). */
export function decodeNotificationInfo(x: readonly bigint[]): { more: boolean; lists: NotificationInfoList[] } {
  const x2 = x[2] ?? 0n;
  const count = Number((x2 >> 7n) & 0x1fn);
  const lists: NotificationInfoList[] = [];
  let at = 0;
  const idAt = (i: number): number => Number(((x[3 + Math.floor(i / 4)] ?? 0n) >> BigInt(16 * (i % 4))) & 0xffffn);
  for (let l = 0; l < count && at < FFA_NOTIFICATIONS_INFO_GET_MAX_IDS; l++) {
    const size = Number((x2 >> BigInt(12 + 2 * l)) & 3n);
    lists.push({ id: idAt(at), vcpus: Array.from({ length: size }, (_, k) => idAt(at + 1 + k)) });
    at += 1 + size;
  }
  return { more: (x2 & 1n) !== 0n, lists };
}
