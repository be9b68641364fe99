// A VM's RX/TX buffers at the SPMC and the RX buffer's ownership (DEN0077
// v1.1 §7.2 and §7.3; Hafnium's hypervisor: ffa_setup_rxtx_map_forward,
// plat_ffa_acquire_receiver_rx, plat_ffa_rx_release_forward), so that
// partitions' indirect messages reach a VM and a VM's FFA_MSG_SEND2 is read
// by the SPMC from the VM's TX buffer:
//
// - FFA_RXTX_MAP: once the proxy mapped the VM's pair (rxtx.ts), it maps it
//   at the SPMC: the endpoint RX/TX descriptor (the VM's ID, physical
//   addresses) in the hypervisor's TX buffer, FFA_RXTX_MAP_64 with zero
//   arguments; then it creates the VM's notification bitmap (the SPMC pends
//   the RX-buffer-full notification there). The SPMC's refusal undoes the
//   proxy's mapping and reaches the VM. With no SPMC the pair stays the
//   proxy's alone.
// - FFA_RXTX_UNMAP: forwarded (w1[31:16] = the VM's ID) first; unmapped at
//   the proxy once the SPMC agreed.
// - The SPMC owns an empty RX buffer (it may write a partition's message
//   into it). Before the proxy writes the VM's RX buffer itself (partition
//   information, a VM-to-VM retrieve response) it takes it with
//   FFA_RX_ACQUIRE; the SPMC's DENIED (a message is in it) is BUSY to the VM.
// - FFA_RX_RELEASE from the VM: forwarded (w1 = the VM's ID): the buffer is
//   the SPMC's again, whoever filled it; the SPMC's errors (DENIED: empty, or
//   its RX-buffer-full notification not fetched yet) reach the VM.
// - FFA_MSG_SEND2 from the VM: w1 MBZ (INVALID_PARAMETERS), the VM's pair
//   at the SPMC (else DENIED: no TX buffer the SPMC can read), the header's
//   sender the VM (INVALID_PARAMETERS), the receiver a partition (a VM:
//   NOT_SUPPORTED, no VM-to-VM indirect messages); forwarded with
//   w1[31:16] = the VM's ID. The SPMC reads the VM's TX buffer itself, as
//   Hafnium's does, and applies its own rules (DENIED for a partition
//   without indirect messaging, BUSY for a full RX buffer).
import * as F from '../../ffa/functionIds.js';
import { BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../../ffa/endpoints.js';
import { encodeEndpointRxtx } from '../../ffa/endpointRxtxDescriptor.js';
import { decodePartitionInfoGetFlags } from '../../ffa/partitionInfo.js';
import { decodePartitionMessage, PARTITION_MESSAGE_MAX_BYTES } from '../../ffa/partitionMessage.js';
import { handleAllocator, handleFromWords } from '../../ffa/memory/handle.js';
import { ffaError, ffaSuccess32, isFfaError, resultFid, type FfaResult } from '../../ffa/result.js';
import type { Hv } from '../context.js';
import type { VcpuState, VmState } from '../state.js';
import { forwardToSpmc, hexArgs, smcStep } from './forward.js';
import { createBitmap, notificationStep } from './notifications.js';
import { bufferBytes, copyFromTx } from './rxtx.js';
import { ffaIdOfVm } from './setup.js';
import { hvBuffers, hvBuffersRefusal } from './spMemory.js';
import type { FfaPendingCall, RxtxStep, VmFfaState } from './state.js';

const errorCode = (r: FfaResult): number => Number(BigInt.asIntN(32, r.x[2]! & 0xffff_ffffn));

/** Serves the VM's call again from its registers (proxy.ts), after the RX buffer was acquired. */
export type Reserve = (x: bigint[]) => FfaResult | null;

function step(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, s: RxtxStep, args: string[], call: bigint[], reserve?: Reserve): FfaResult | null {
  const r = smcStep(hv, cpu, vm, vc, Number(call[0]!), call, s, args);
  return r === null ? null : rxtxStep(hv, cpu, { vm: vm.id, vcpu: vc.id, fid: Number(call[0]!), step: s, args }, r, reserve);
}

/** After the proxy mapped the VM's pair: map it at the SPMC too (when there is one). */
export function mapAtSpmc(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): FfaResult | null {
  if (hv.s.ffa.spmcVersion <= 0) return ffaSuccess32();
  const noBuffers = hvBuffersRefusal(hv);
  if (noBuffers) {
    hv.s.ffa.vms[vm.id]!.rxtx = null; // the map is refused as a whole
    return noBuffers;
  }
  const b = hvBuffers(hv);
  if (!b.mapped) return step(hv, cpu, vm, vc, 'rx-hvmap', [], [BigInt(F.FFA_RXTX_MAP_64), BigInt(b.txPa), BigInt(b.rxPa), 1n]);
  return sendDescriptor(hv, cpu, vm, vc);
}

function sendDescriptor(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): FfaResult | null {
  const p = hv.s.ffa.vms[vm.id]!.rxtx!;
  hv.m.core.writePhys(hvBuffers(hv).txPa, encodeEndpointRxtx({ endpoint: ffaIdOfVm(vm.id), rx: BigInt(p.rxPa), tx: BigInt(p.txPa), pageCount: p.pageCount }));
  return step(hv, cpu, vm, vc, 'rx-map', [], [BigInt(F.FFA_RXTX_MAP_64), 0n, 0n, 0n]);
}

/** FFA_RXTX_UNMAP of a pair the SPMC has (rxtx.ts checked the arguments). */
export function unmapAtSpmc(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): FfaResult | null {
  return step(hv, cpu, vm, vc, 'rx-unmap', [], [BigInt(F.FFA_RXTX_UNMAP), BigInt(ffaIdOfVm(vm.id) << 16)]);
}

/** FFA_RX_RELEASE of a pair the SPMC has. */
export function releaseAtSpmc(hv: Hv, cpu: number, vm: VmState, vc: VcpuState): FfaResult | null {
  return step(hv, cpu, vm, vc, 'rx-release', [], [BigInt(F.FFA_RX_RELEASE), BigInt(ffaIdOfVm(vm.id))]);
}

/** Whether the VM's call `x` makes the proxy write its RX buffer (then the proxy must own it at the SPMC first). */
export function writesRx(f: VmFfaState, x: readonly bigint[], fid: number): boolean {
  if (!f.spmcRxtx || f.rxAcquired || f.rxFull) return false;
  if (fid === F.FFA_PARTITION_INFO_GET) {
    const flags = decodePartitionInfoGetFlags(Number(x[5]! & 0xffff_ffffn), f.version);
    return flags.ok && !flags.value.countOnly;
  }
  if (fid === F.FFA_MEM_RETRIEVE_REQ_32 || fid === F.FFA_MEM_RETRIEVE_REQ_64) return true;
  // FRAG_RX of a response being delivered (a VM-to-VM handle, or a partition's memory: spBorrow.ts).
  return fid === F.FFA_MEM_FRAG_RX && (handleAllocator(handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn)) === 'hypervisor' || f.retrieve?.response !== undefined);
}

/** FFA_RX_ACQUIRE of the VM's RX buffer, then the VM's call `x` is served again (`reserve`). */
export function acquireThen(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, x: readonly bigint[], reserve: Reserve): FfaResult | null {
  return step(hv, cpu, vm, vc, 'rx-acquire', hexArgs(x), [BigInt(F.FFA_RX_ACQUIRE), BigInt(ffaIdOfVm(vm.id))], reserve);
}

/** The proxy took the VM's RX buffer for a call that ended without writing it: FFA_RX_RELEASE for the VM, then `answer`. */
export function giveBack(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, answer: FfaResult): FfaResult | null {
  return step(hv, cpu, vm, vc, 'rx-giveback', hexArgs(answer.x.slice(0, 18)), [BigInt(F.FFA_RX_RELEASE), BigInt(ffaIdOfVm(vm.id))]);
}

/** FFA_MSG_SEND2 from the VM. */
export function msgSend2(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[]): FfaResult | null {
  const me = ffaIdOfVm(vm.id);
  if ((x[1]! & 0xffff_ffffn) !== 0n) return ffaError(INVALID_PARAMETERS, 'w1 names the sender only when the hypervisor forwards for a VM: a VM passes 0');
  if (!f.rxtx || !f.spmcRxtx) return ffaError(DENIED, 'the VM has no TX buffer mapped with the SPMC');
  const m = decodePartitionMessage(copyFromTx(hv, f.rxtx, Math.min(bufferBytes(f.rxtx), PARTITION_MESSAGE_MAX_BYTES)), f.version);
  if (!m.ok) return m.error;
  if (m.value.sender !== me) return ffaError(INVALID_PARAMETERS, `the header names sender ${endpointText(m.value.sender)}, not the caller ${endpointText(me)}`);
  if (!isSecureEndpoint(m.value.receiver)) return ffaError(NOT_SUPPORTED, `receiver ${endpointText(m.value.receiver)}: indirect messages between VMs are not served`);
  return forwardToSpmc(hv, cpu, vm, vc, [BigInt(F.FFA_MSG_SEND2), BigInt(me << 16), x[2]! & 0xffff_ffffn, 0n, 0n, 0n, 0n, 0n]);
}

/** The SPMC answered step `p.step` with `r`: the next step, or the VM's answer (null: in the Secure world, or served again). */
export function rxtxStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult, reserve?: Reserve): FfaResult | null {
  const vm = hv.s.vms[p.vm]!;
  const vc = vm.vcpus[p.vcpu]!;
  const f = hv.s.ffa.vms[p.vm]!;
  const ok = !isFfaError(r) && (resultFid(r) === F.FFA_SUCCESS_32 || resultFid(r) === F.FFA_SUCCESS_64);
  const failed = (what: string): FfaResult => (isFfaError(r) ? r : ffaError(NOT_SUPPORTED, `the SPMC answered ${what} with 0x${resultFid(r).toString(16)}`));
  switch (p.step) {
    case 'rx-hvmap':
    case 'rx-map':
      if (!ok) {
        f.rxtx = null; // the SPMC refused: the VM's mapping is undone
        return failed('FFA_RXTX_MAP');
      }
      if (p.step === 'rx-hvmap') {
        hv.s.ffa.hvRxtx!.mapped = true;
        return sendDescriptor(hv, cpu, vm, vc);
      }
      f.spmcRxtx = true;
      if (f.spmcBitmap) return ffaSuccess32();
      {
        // The bitmap for the RX-buffer-full notification (notificationStep answers the map's success).
        const c = createBitmap(hv, cpu, vm, vc, []);
        return c === null ? null : notificationStep(hv, cpu, { vm: p.vm, vcpu: p.vcpu, fid: F.FFA_NOTIFICATION_BITMAP_CREATE, step: 'notif-create', args: [] }, c);
      }
    case 'rx-unmap':
      if (!ok) return failed('FFA_RXTX_UNMAP');
      f.rxtx = null;
      f.rxFull = false;
      f.spmcRxtx = false;
      f.rxAcquired = false;
      return ffaSuccess32();
    case 'rx-release':
      if (!ok) return failed('FFA_RX_RELEASE');
      f.rxFull = false;
      f.rxAcquired = false;
      return ffaSuccess32();
    case 'rx-giveback':
      // Given back (the SPMC cannot refuse a buffer the hypervisor holds empty); the call's own answer.
      f.rxAcquired = false;
      return { x: (p.args ?? []).map((v) => BigInt(v)), reason: '' };
    case 'rx-acquire': {
      if (!ok) return isFfaError(r) && errorCode(r) === DENIED ? ffaError(BUSY, 'the RX buffer holds a message from the Secure world (FFA_RX_RELEASE it first)') : failed('FFA_RX_ACQUIRE');
      f.rxAcquired = true;
      return reserve ? reserve((p.args ?? []).map((v) => BigInt(v))) : ffaError(NOT_SUPPORTED, 'nothing to serve');
    }
  }
  return r;
}
