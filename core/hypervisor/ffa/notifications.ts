// FF-A notifications for VMs (DEN0077 v1.1 chapter 10 and §17; Hafnium's
// hypervisor, src/ffa/hypervisor/notifications.c): the notification state of
// a VM is kept by the SPMC, as in Hafnium, so the proxy checks the VM's ID in
// each call and forwards it.
//
// - FFA_NOTIFICATION_BITMAP_CREATE/DESTROY are the hypervisor's calls, not a
//   VM's (NOT_SUPPORTED to a VM): the proxy creates a VM's bitmap at the SPMC
//   (w1 = the VM's ID, w2 = its vCPU count) before the VM's first call that
//   needs it (BIND, UNBIND, GET; RXTX_MAP for the RX-buffer-full
//   notification), as Hafnium's hypervisor does at VM creation; the SPMC's
//   DENIED (it has one already) counts as created. A VM's bitmap lives as
//   long as the VM (VMs are never destroyed).
// - BIND/UNBIND: the receiver in w1[15:0] must be the VM (INVALID_PARAMETERS),
//   the sender in w1[31:16] a partition (a VM: VM-to-VM notifications are not
//   served, NOT_SUPPORTED).
// - SET: the sender in w1[31:16] must be the VM (INVALID_PARAMETERS), the
//   receiver a partition (a VM: NOT_SUPPORTED, as above); a VM may not ask to
//   delay the SRI (the SPMC's rule: INVALID_PARAMETERS).
// - GET: the receiver in w1[15:0] must be the VM (INVALID_PARAMETERS); the
//   SP and SPM framework bitmaps come from the SPMC, the VM and hypervisor
//   framework bitmaps are the hypervisor's: always empty here (no VM-to-VM
//   notifications, and the proxy pends no RX-buffer-full notification of its
//   own: it answers PARTITION_INFO_GET and retrieves in the VM's RX buffer
//   synchronously).
// - INFO_GET_64: the Normal world's scheduler call: VM 0 (ID 1, the primary
//   VM as in Hafnium) only, else NOT_SUPPORTED; forwarded as it is.
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../../ffa/endpoints.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_HYP, FFA_NOTIFICATION_FLAG_BITMAP_VM, decodeNotificationBindArgs, decodeNotificationGetArgs, decodeNotificationSetArgs, notificationGetSuccess } from '../../ffa/notifications.js';
import { ffaError, ffaSuccess32, isFfaError, resultFid, type FfaResult } from '../../ffa/result.js';
import type { Hv } from '../context.js';
import type { VcpuState, VmState } from '../state.js';
import { forwardToSpmc, hexArgs, smcStep } from './forward.js';
import { ffaIdOfVm } from './setup.js';
import type { FfaPendingCall, VmFfaState } from './state.js';

/** The notification calls a VM makes (FFA_FEATURES, dispatch). */
export const VM_NOTIFICATION_CALLS: readonly number[] = [
  F.FFA_NOTIFICATION_BIND, F.FFA_NOTIFICATION_UNBIND, F.FFA_NOTIFICATION_SET, F.FFA_NOTIFICATION_GET, F.FFA_NOTIFICATION_INFO_GET_64,
];

/** A VM's notification call (BITMAP_CREATE/DESTROY included, which it may not make). */
export function notificationCall(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: bigint[], fid: number): FfaResult | null {
  const me = ffaIdOfVm(vm.id);
  const w1 = Number(x[1]! & 0xffff_ffffn);
  if (hv.s.ffa.spmcVersion < 0 && fid !== F.FFA_NOTIFICATION_BITMAP_CREATE && fid !== F.FFA_NOTIFICATION_BITMAP_DESTROY) {
    return ffaError(NOT_SUPPORTED, 'no SPMC answered the hypervisor\'s FFA_VERSION: notifications are kept by the SPMC');
  }
  switch (fid) {
    case F.FFA_NOTIFICATION_BITMAP_CREATE:
    case F.FFA_NOTIFICATION_BITMAP_DESTROY:
      return ffaError(NOT_SUPPORTED, `${F.ffaFunctionName(fid)} is the hypervisor's call: it creates the VM's bitmap on its behalf`);
    case F.FFA_NOTIFICATION_BIND:
    case F.FFA_NOTIFICATION_UNBIND: {
      const a = decodeNotificationBindArgs(x, fid === F.FFA_NOTIFICATION_BIND);
      if (!a.ok) return a.error;
      if (a.value.receiver !== me) return ffaError(INVALID_PARAMETERS, `the receiver ${endpointText(a.value.receiver)} is not the caller ${endpointText(me)}`);
      if (!isSecureEndpoint(a.value.sender)) return ffaError(NOT_SUPPORTED, `sender ${endpointText(a.value.sender)}: notifications between VMs are not served`);
      return withBitmap(hv, cpu, vm, vc, f, x.slice(0, 8).map((v) => v & 0xffff_ffffn));
    }
    case F.FFA_NOTIFICATION_SET: {
      const a = decodeNotificationSetArgs(x);
      if (!a.ok) return a.error;
      if (a.value.sender !== me) return ffaError(INVALID_PARAMETERS, `the sender ${endpointText(a.value.sender)} is not the caller ${endpointText(me)}`);
      if (!isSecureEndpoint(a.value.receiver)) return ffaError(NOT_SUPPORTED, `receiver ${endpointText(a.value.receiver)}: notifications between VMs are not served`);
      return forwardToSpmc(hv, cpu, vm, vc, x.slice(0, 8).map((v) => v & 0xffff_ffffn));
    }
    case F.FFA_NOTIFICATION_GET: {
      const a = decodeNotificationGetArgs(x);
      if (!a.ok) return a.error;
      if (a.value.receiver !== me) return ffaError(INVALID_PARAMETERS, `the receiver ${endpointText(a.value.receiver)} is not the caller ${endpointText(me)}`);
      if (a.value.vcpu >= vm.vcpus.length) return ffaError(INVALID_PARAMETERS, `vCPU ${a.value.vcpu}: the VM has ${vm.vcpus.length}`);
      // The VM and hypervisor framework bitmaps are the hypervisor's, and empty; the rest is the SPMC's.
      const spmcFlags = a.value.which & ~(FFA_NOTIFICATION_FLAG_BITMAP_VM | FFA_NOTIFICATION_FLAG_BITMAP_HYP);
      if (spmcFlags === 0) return notificationGetSuccess(0n, 0n, 0n);
      return withBitmap(hv, cpu, vm, vc, f, [BigInt(fid), BigInt(w1), BigInt(spmcFlags), 0n, 0n, 0n, 0n, 0n]);
    }
    case F.FFA_NOTIFICATION_INFO_GET_64:
      if (vm.id !== 0) return ffaError(NOT_SUPPORTED, 'FFA_NOTIFICATION_INFO_GET is the primary VM\'s (VM 0) call');
      return forwardToSpmc(hv, cpu, vm, vc, x);
  }
  return ffaError(NOT_SUPPORTED, `${F.ffaFunctionName(fid) ?? `0x${fid.toString(16)}`} is not served to a VM`);
}

/** Forward `call` once the VM's bitmap exists at the SPMC (created first when it does not). */
function withBitmap(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, call: bigint[]): FfaResult | null {
  if (f.spmcBitmap) return forwardToSpmc(hv, cpu, vm, vc, call);
  const args = hexArgs(call);
  const r = createBitmap(hv, cpu, vm, vc, args);
  return r === null ? null : notificationStep(hv, cpu, { vm: vm.id, vcpu: vc.id, fid: Number(call[0]!), step: 'notif-create', args }, r);
}

/** The hypervisor's FFA_NOTIFICATION_BITMAP_CREATE for the VM; `then` the call to forward after it (hex), or empty. */
export function createBitmap(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, then: string[]): FfaResult | null {
  return smcStep(hv, cpu, vm, vc, F.FFA_NOTIFICATION_BITMAP_CREATE, [BigInt(F.FFA_NOTIFICATION_BITMAP_CREATE), BigInt(ffaIdOfVm(vm.id)), BigInt(vm.vcpus.length)], 'notif-create', then);
}

/** Whether the SPMC's answer to BITMAP_CREATE leaves the VM with a bitmap (recorded); else its error. */
export function bitmapCreated(hv: Hv, vmId: number, r: FfaResult): FfaResult | null {
  // DENIED: the SPMC has this VM's bitmap already (an earlier hypervisor, or a record restored).
  const fid = resultFid(r);
  if (isFfaError(r) && Number(BigInt.asIntN(32, r.x[2]! & 0xffff_ffffn)) !== DENIED) return r;
  if (!isFfaError(r) && fid !== F.FFA_SUCCESS_32 && fid !== F.FFA_SUCCESS_64) return ffaError(NOT_SUPPORTED, `the SPMC answered FFA_NOTIFICATION_BITMAP_CREATE with 0x${fid.toString(16)}`);
  hv.s.ffa.vms[vmId]!.spmcBitmap = true;
  return null;
}

/** The SPMC answered the bitmap's creation: forward the VM's call, or its error. With no call (after the VM's
 *  FFA_RXTX_MAP, spmcRxtx.ts) the map's success, whatever the creation's answer: the map is done. */
export function notificationStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult): FfaResult | null {
  const refused = bitmapCreated(hv, p.vm, r);
  if ((p.args ?? []).length === 0) return ffaSuccess32();
  if (refused) return refused;
  const vm = hv.s.vms[p.vm]!;
  return forwardToSpmc(hv, cpu, vm, vm.vcpus[p.vcpu]!, (p.args ?? []).map((v) => BigInt(v)));
}
