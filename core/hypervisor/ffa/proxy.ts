// The FF-A proxy's entry points: a VM's FF-A call (an SMC the hypervisor
// traps with HCR_EL2.TSC, or an HVC: the VM uses the conduit its device
// tree's PSCI node names, as Linux's driver does) is answered here, or
// forwarded to the SPMC (forward.ts) and completed when the pCPU comes back
// from the Secure world (`ffaResume`).
//
// What the proxy answers itself (FF-A v1.2, DEN0077; Hafnium's api.c is the
// model): FFA_VERSION per VM (versionNegotiation.ts), FFA_ID_GET (VM k is
// k + 1), FFA_FEATURES, the VM's RX/TX buffers (rxtx.ts), VM-to-VM memory
// sharing (vmMemory.ts). Forwarded: direct requests (32, 64, REQ2) to a
// partition with the sender checked to be the VM, FFA_RUN of a partition,
// FFA_SPM_ID_GET. Calls only the Secure world makes, and calls this proxy
// does not serve, are NOT_SUPPORTED. Every call and its answer is an `ffa`
// trace event (caller's world).
import * as F from '../../ffa/functionIds.js';
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../../ffa/endpoints.js';
import { decodeDirectMessage } from '../../ffa/directMessage.js';
import { decodeFeaturesArgs } from '../../ffa/features.js';
import { sendOpOf } from '../../ffa/memory/rules.js';
import { ffaError, ffaSuccess32, isFfaError, resultFid, type FfaResult } from '../../ffa/result.js';
import { negotiateFfaVersion } from '../../ffa/versionNegotiation.js';
import { ffaEvent, type FfaEventDetails } from '../../trace/ffaEvent.js';
import type { Hv } from '../context.js';
import type { VcpuState, VmState } from '../state.js';
import { answerInRegisters, forwardToSpmc, hexArgs, setAnswer, smcStep } from './forward.js';
import { notificationCall, notificationStep, VM_NOTIFICATION_CALLS } from './notifications.js';
import { partitionInfoGet, partitionInfoStep } from './partitionInfo.js';
import { spFragTx, spReclaim, spStep } from './spMemory.js';
import { handleAllocator, handleFromWords } from '../../ffa/memory/handle.js';
import { bufferBytes, rxRelease, rxtxMap, rxtxUnmap, rxtxUnmapRefusal } from './rxtx.js';
import { acquireThen, giveBack, mapAtSpmc, msgSend2, releaseAtSpmc, rxtxStep, unmapAtSpmc, writesRx } from './spmcRxtx.js';
import { ffaIdOfVm } from './setup.js';
import type { FfaPendingCall, VmFfaState } from './state.js';
import { memFragRx, memFragTx, memReclaim, memRelinquish, memRetrieve, memSend, readRelinquish, readRetrieveRequest } from './vmMemory.js';
import { borrowStep, spBorrowFragRx, spRelinquish, spRetrieve } from './spBorrow.js';

/** The FF-A version the proxy implements (what FFA_VERSION answers a VM). */
export const PROXY_FFA_VERSION = F.FFA_VERSION_1_2;

/** An FF-A function ID (SMC32 or SMC64): owning entity 4, function numbers 0x60-0xFF. */
export function isFfaFunction(fid: number): boolean {
  const base = ((fid >>> 0) & ~0x4000_0000) >>> 0;
  return base >= 0x8400_0060 && base <= 0x8400_00ff;
}

/** Functions the proxy serves, for FFA_FEATURES. */
const SERVED: ReadonlySet<number> = new Set([
  F.FFA_ERROR, F.FFA_SUCCESS_32, F.FFA_SUCCESS_64, F.FFA_INTERRUPT, F.FFA_VERSION, F.FFA_FEATURES, F.FFA_ID_GET, F.FFA_SPM_ID_GET,
  F.FFA_RXTX_MAP_32, F.FFA_RXTX_MAP_64, F.FFA_RXTX_UNMAP, F.FFA_RX_RELEASE, F.FFA_RUN, F.FFA_PARTITION_INFO_GET,
  F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_REQ2,
  F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64,
  F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RELINQUISH, F.FFA_MEM_RECLAIM, F.FFA_MEM_FRAG_RX, F.FFA_MEM_FRAG_TX,
  ...VM_NOTIFICATION_CALLS, F.FFA_MSG_SEND2, F.FFA_PARTITION_INFO_GET_REGS,
]);

function event(hv: Hv, cpu: number, fid: number, src: number, dst: number, args: readonly bigint[], d: FfaEventDetails): void {
  const m = hv.m;
  if (!m.trace.wants('ffa')) return;
  m.trace.emitNumbered(ffaEvent(m.core.nowTick(cpu), cpu, undefined, fid, src, dst, args, d));
}

/** The descriptor a memory call refers to, for its trace event: the VM's TX buffer (its RX buffer for a retrieve response). */
function descriptorOf(hv: Hv, f: VmFfaState, fid: number, rx: boolean): FfaEventDetails {
  if (!f.rxtx || !DESCRIBED.has(fid)) return {};
  const b = f.rxtx;
  return { descriptor: hv.m.core.readPhys(rx ? b.rxPa : b.txPa, bufferBytes(b)).slice(), version: f.version };
}
const DESCRIBED: ReadonlySet<number> = new Set([
  F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64,
  F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RETRIEVE_RESP, F.FFA_MEM_RELINQUISH,
]);

/** The VM's call a pending step serves, for its answer's event: a VM-to-SP memory step records the
 *  proxy's own SMC; the VM's call follows from the step (a send keeps the VM's function in args[1], spMemory.ts). */
function vmCallOf(p: FfaPendingCall): number {
  if (p.vmFid !== undefined) return p.vmFid;
  if (p.step === 'sp-retrieve' || p.step === 'sp-release' || p.step === 'sp-reclaim') return F.FFA_MEM_RECLAIM;
  if (p.step === 'sp-fragrx') return F.FFA_MEM_FRAG_RX;
  if (p.step === 'sp-map' || p.step === 'sp-send' || p.step === 'sp-frag') return Number(p.args![1]);
  return p.fid;
}

/** The answer event (from the hypervisor, or the partition that answered, to the VM) to the VM's call `of`. */
function answered(hv: Hv, cpu: number, vm: number, r: FfaResult, of: number | undefined): void {
  if (!hv.m.trace.wants('ffa')) return;
  const fid = resultFid(r);
  const direct = fid === F.FFA_MSG_SEND_DIRECT_RESP_32 || fid === F.FFA_MSG_SEND_DIRECT_RESP_64 || fid === F.FFA_MSG_SEND_DIRECT_RESP2;
  const src = direct ? Number((r.x[1]! >> 16n) & 0xffffn) : 0;
  event(hv, cpu, Number(r.x[0]! & 0xffff_ffffn), src, ffaIdOfVm(vm), r.x.slice(1, 8), { dir: 'answer', of, ...descriptorOf(hv, hv.s.ffa.vms[vm]!, fid, true) });
}

/** A VM's FF-A call on `cpu` (x0-x17 in the registers; ELR_EL2 already past the SMC/HVC). */
export function ffaCall(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): void {
  const regs = hv.m.core.regs(cpu);
  const x = Array.from({ length: 18 }, (_, i) => regs.x(i));
  const fid = Number(x[0]! & 0xffff_ffffn) >>> 0;
  const me = ffaIdOfVm(vm.id);
  const f = hv.s.ffa.vms[vm.id]!;
  const dst = fid === F.FFA_MSG_SEND_DIRECT_REQ_32 || fid === F.FFA_MSG_SEND_DIRECT_REQ_64 || fid === F.FFA_MSG_SEND_DIRECT_REQ2 ? Number(x[1]! & 0xffffn) : 0;
  if (hv.m.trace.wants('ffa')) event(hv, cpu, fid, me, dst, x.slice(1, 8), { dir: 'call', ...descriptorOf(hv, f, fid, false) });
  if (hv.s.ffa.spmcVersion === 0 && MAY_NEED_SPMC.has(fid)) {
    // The hypervisor's own FFA_VERSION with the SPMC first (once): the VM's call is served when it is answered.
    const v = smcStep(hv, cpu, vm, vc, fid, [BigInt(F.FFA_VERSION), BigInt(PROXY_FFA_VERSION)], 'version', hexArgs(x));
    if (v === null) return;
    spmcVersionAnswer(hv, v);
  }
  serveAndAnswer(hv, cpu, vm, vc, f, x, fid);
}

/** Calls that may go to the SPMC (a memory call only when partitions are involved, known after decoding). */
const MAY_NEED_SPMC: ReadonlySet<number> = new Set([
  F.FFA_SPM_ID_GET, F.FFA_PARTITION_INFO_GET, F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_REQ2, F.FFA_RUN,
  F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64, F.FFA_MEM_RECLAIM,
  F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RELINQUISH,
  ...VM_NOTIFICATION_CALLS, F.FFA_RXTX_MAP_32, F.FFA_RXTX_MAP_64, F.FFA_MSG_SEND2, F.FFA_PARTITION_INFO_GET_REGS,
]);

function spmcVersionAnswer(hv: Hv, r: FfaResult): void {
  const w0 = r.x[0]!;
  hv.s.ffa.spmcVersion = (w0 & 0xffff_ffff_8000_0000n) === 0n ? Number(w0) : -1;
}

function serveAndAnswer(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: bigint[], fid: number): void {
  const r = serve(hv, cpu, vm, vc, f, x, fid);
  if (r === null) return markVmCall(hv, cpu, fid); // in the Secure world: ffaResume completes it
  deliver(hv, cpu, vm, vc, f, r, fid);
}

/** The pending step serves the VM's call `fid`: kept for its answer's trace event. */
function markVmCall(hv: Hv, cpu: number, fid: number): void {
  const next = hv.s.ffa.pending[cpu];
  if (next && next.vmFid === undefined) next.vmFid = fid;
}

/** The VM's answer; an RX buffer the proxy took for a call that wrote nothing into it goes back to the SPMC first. */
function deliver(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, r: FfaResult, of: number): void {
  if (f.spmcRxtx && f.rxAcquired && !f.rxFull) {
    const back = giveBack(hv, cpu, vm, vc, r);
    if (back === null) return markVmCall(hv, cpu, of);
    r = back;
  }
  setAnswer(hv, cpu, r, false);
  answered(hv, cpu, vm.id, r, of);
}

/** The pCPU is back from the Secure world with the answer to the call it forwarded. */
export function ffaResume(hv: Hv, cpu: number): void {
  const p = hv.s.ffa.pending[cpu];
  if (!p) return;
  hv.s.ffa.pending[cpu] = null;
  if (p.step === 'version') {
    // The SPMC's version is known: serve the VM's call from its registers as they were.
    spmcVersionAnswer(hv, answerInRegisters(hv, cpu));
    const x = (p.args ?? []).map((v) => BigInt(v));
    const regs = hv.m.core.regs(cpu);
    x.forEach((v, i) => regs.setX(i, v));
    const vm = hv.s.vms[p.vm]!;
    serveAndAnswer(hv, cpu, vm, vm.vcpus[p.vcpu]!, hv.s.ffa.vms[p.vm]!, x, p.fid);
    return;
  }
  if (p.step === undefined) {
    // Forwarded as it was: the answer is in the registers already.
    answered(hv, cpu, p.vm, answerInRegisters(hv, cpu), p.fid);
    return;
  }
  const answer = answerInRegisters(hv, cpu);
  const vm = hv.s.vms[p.vm]!;
  const reserve = (x: bigint[]): FfaResult | null => serve(hv, cpu, vm, vm.vcpus[p.vcpu]!, hv.s.ffa.vms[p.vm]!, x, Number(x[0]! & 0xffff_ffffn));
  const r = p.step.startsWith('sp-') ? spStep(hv, cpu, p, answer)
    : p.step.startsWith('sb-') ? borrowStep(hv, cpu, p, answer)
    : p.step.startsWith('rx-') ? rxtxStep(hv, cpu, p, answer, reserve)
      : p.step === 'notif-create' ? notificationStep(hv, cpu, p, answer) : partitionInfoStep(hv, cpu, p, answer);
  if (r === null) return markVmCall(hv, cpu, vmCallOf(p)); // the next step is in the Secure world
  deliver(hv, cpu, vm, vm.vcpus[p.vcpu]!, hv.s.ffa.vms[p.vm]!, r, vmCallOf(p));
}

function serve(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: bigint[], fid: number): FfaResult | null {
  const me = ffaIdOfVm(vm.id);
  if (fid === F.FFA_VERSION) {
    const v = negotiateFfaVersion(Number(x[1]! & 0xffff_ffffn), PROXY_FFA_VERSION, f.fixed ? f.version : null);
    if (v.callerVersion !== null) f.version = v.callerVersion;
    return v.answer;
  }
  // Any other call fixes the version (a VM that never asked works at the proxy's).
  if (f.version === 0) f.version = PROXY_FFA_VERSION;
  f.fixed = true;
  // The proxy is about to write the VM's RX buffer, which the SPMC owns while empty: take it first.
  if (writesRx(f, x, fid)) return acquireThen(hv, cpu, vm, vc, x, (again) => serve(hv, cpu, vm, vc, f, again, fid));
  switch (fid) {
    case F.FFA_ID_GET:
      return ffaSuccess32(0, me);
    case F.FFA_FEATURES:
      return features(x, f.version);
    case F.FFA_SPM_ID_GET:
      if (f.version < F.FFA_VERSION_1_1) return ffaError(NOT_SUPPORTED, 'FFA_SPM_ID_GET is FF-A v1.1');
      return forwardToSpmc(hv, cpu, vm, vc, [x[0]!, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
    case F.FFA_RXTX_MAP_32:
    case F.FFA_RXTX_MAP_64: {
      const r = rxtxMap(hv, vm, f, x);
      return isFfaError(r) ? r : mapAtSpmc(hv, cpu, vm, vc);
    }
    case F.FFA_RXTX_UNMAP:
      if (!f.spmcRxtx) return rxtxUnmap(f, me, x);
      return rxtxUnmapRefusal(f, me, x) ?? unmapAtSpmc(hv, cpu, vm, vc);
    case F.FFA_RX_RELEASE:
      return f.spmcRxtx ? releaseAtSpmc(hv, cpu, vm, vc) : rxRelease(f);
    case F.FFA_MSG_SEND2:
      return msgSend2(hv, cpu, vm, vc, f, x);
    case F.FFA_PARTITION_INFO_GET_REGS:
      // The partitions are the SPMC's; the answer is in registers (x0-x17), so it is forwarded as it is.
      if (f.version < F.FFA_VERSION_1_2) return ffaError(NOT_SUPPORTED, 'FFA_PARTITION_INFO_GET_REGS is FF-A v1.2');
      return forwardToSpmc(hv, cpu, vm, vc, x);
    case F.FFA_PARTITION_INFO_GET:
      return partitionInfoGet(hv, cpu, vm, vc, f, x);
    case F.FFA_MSG_SEND_DIRECT_REQ_32:
    case F.FFA_MSG_SEND_DIRECT_REQ_64:
    case F.FFA_MSG_SEND_DIRECT_REQ2:
      return directRequest(hv, cpu, vm, vc, f, x, fid);
    case F.FFA_RUN: {
      const target = Number((x[1]! >> 16n) & 0xffffn);
      if (!isSecureEndpoint(target)) return ffaError(INVALID_PARAMETERS, `FFA_RUN of ${endpointText(target)}: only partitions are run through the proxy`);
      return forwardToSpmc(hv, cpu, vm, vc, x.slice(0, 8));
    }
    case F.FFA_MEM_SHARE_32: case F.FFA_MEM_SHARE_64: case F.FFA_MEM_LEND_32: case F.FFA_MEM_LEND_64:
    case F.FFA_MEM_DONATE_32: case F.FFA_MEM_DONATE_64:
      return memSend(hv, cpu, vm, vc, f, x, sendOpOf(fid)!);
    case F.FFA_MEM_FRAG_TX:
      return handleAllocator(handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn)) === 'spmc' ? spFragTx(hv, cpu, vm, vc, f, x) : memFragTx(hv, vm, f, x);
    case F.FFA_MEM_RETRIEVE_REQ_32:
    case F.FFA_MEM_RETRIEVE_REQ_64: {
      const request = readRetrieveRequest(hv, f, x);
      if (!request.ok) return request.error;
      return handleAllocator(request.value.handle) === 'spmc' ? spRetrieve(hv, cpu, vm, vc, f, request.value) : memRetrieve(hv, vm, f, request.value);
    }
    case F.FFA_MEM_FRAG_RX:
      return handleAllocator(handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn)) === 'spmc' ? spBorrowFragRx(hv, vm, f, x) : memFragRx(hv, vm, f, x);
    case F.FFA_MEM_RELINQUISH: {
      const rel = readRelinquish(hv, vm, f);
      if (!rel.ok) return rel.error;
      return handleAllocator(rel.value.handle) === 'spmc' ? spRelinquish(hv, cpu, vm, vc, f, rel.value) : memRelinquish(hv, vm, rel.value);
    }
    case F.FFA_NOTIFICATION_BITMAP_CREATE: case F.FFA_NOTIFICATION_BITMAP_DESTROY: case F.FFA_NOTIFICATION_BIND: case F.FFA_NOTIFICATION_UNBIND:
    case F.FFA_NOTIFICATION_SET: case F.FFA_NOTIFICATION_GET: case F.FFA_NOTIFICATION_INFO_GET_64:
      return notificationCall(hv, cpu, vm, vc, f, x, fid);
    case F.FFA_MEM_RECLAIM:
      return handleAllocator(handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn)) === 'spmc' ? spReclaim(hv, cpu, vm, vc, f, x) : memReclaim(hv, vm, x);
  }
  return ffaError(NOT_SUPPORTED, `${F.ffaFunctionName(fid) ?? `function 0x${fid.toString(16)}`} is not served to a VM`);
}

function features(x: readonly bigint[], version: number): FfaResult {
  const q = decodeFeaturesArgs(x);
  if (!q.ok) return q.error;
  if (q.value.kind === 'feature') return ffaError(NOT_SUPPORTED, `feature ID ${q.value.id}: notifications are not served to VMs`);
  const fid = q.value.fid >>> 0;
  if (!SERVED.has(fid)) return ffaError(NOT_SUPPORTED, `${F.ffaFunctionName(fid) ?? `0x${fid.toString(16)}`} is not served`);
  if (version < F.ffaFunctionSince(fid)) return ffaError(NOT_SUPPORTED, `${F.ffaFunctionName(fid)} is FF-A ${F.ffaVersionText(F.ffaFunctionSince(fid))}, the VM works at ${F.ffaVersionText(version)}`);
  // FFA_RXTX_MAP: w2 bits 1:0 = 0, the minimum buffer size is 4 KiB.
  return ffaSuccess32(0, 0);
}

/** A direct request from the VM: the sender must be the VM, the receiver a partition; forwarded as it is. */
function directRequest(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: bigint[], fid: number): FfaResult | null {
  if (fid === F.FFA_MSG_SEND_DIRECT_REQ2 && f.version < F.FFA_VERSION_1_2) return ffaError(NOT_SUPPORTED, 'FFA_MSG_SEND_DIRECT_REQ2 is FF-A v1.2');
  const msg = decodeDirectMessage(x);
  if (!msg.ok) return msg.error;
  const me = ffaIdOfVm(vm.id);
  if (msg.value.sender !== me) return ffaError(INVALID_PARAMETERS, `the sender ${endpointText(msg.value.sender)} is not the caller ${endpointText(me)}`);
  if (msg.value.frameworkType !== null) return ffaError(INVALID_PARAMETERS, 'a VM cannot send framework messages');
  if (!isSecureEndpoint(msg.value.receiver)) return ffaError(INVALID_PARAMETERS, `receiver ${endpointText(msg.value.receiver)}: direct messages between VMs are not served`);
  if (msg.value.receiver === 0xffff || msg.value.receiver === 0x8000) return ffaError(DENIED, `receiver ${endpointText(msg.value.receiver)} is the SPMD or SPMC, not a partition`);
  const wide = F.isFfaSmc64(fid);
  return forwardToSpmc(hv, cpu, vm, vc, wide ? x : x.slice(0, 8).map((v) => v & 0xffff_ffffn));
}
