// FFA_PARTITION_INFO_GET from a VM (DEN0077 v1.1 §13.8): the partitions
// are the SPMC's, so the proxy asks it with its own buffers, as Hafnium's and
// pKVM's hypervisors do: the hypervisor's RX/TX pair (two pages of its
// reserve) is registered with the SPMC once (FFA_RXTX_MAP from NS-EL2,
// physical addresses), the SPMC writes the descriptors into the
// hypervisor's RX buffer, the proxy copies them into the VM's RX buffer in
// the VM's version's layout (8-byte v1.0 or 24-byte v1.1+ descriptors) and
// gives its own RX buffer back (FFA_RX_RELEASE). A count-only request
// needs no buffer. Each step is an SMC that may send the pCPU to the Secure
// world; the step and the VM's arguments are in the pending record, and
// `partitionInfoStep` continues from the answer when the pCPU comes back.
import * as F from '../../ffa/functionIds.js';
import { BUSY, INVALID_PARAMETERS } from '../../ffa/errors.js';
import { decodePartitionInfo, decodePartitionInfoGetFlags, encodePartitionInfo, partitionInfoGetSuccess, PARTITION_INFO_SIZE_V1_0 } from '../../ffa/partitionInfo.js';
import { ffaError, isFfaError, wView, type FfaResult } from '../../ffa/result.js';
import type { Hv } from '../context.js';
import type { VcpuState, VmState } from '../state.js';
import { smcStep } from './forward.js';
import { hvBuffers, hvBuffersRefusal } from './spMemory.js';
import { bufferBytes, writeRx } from './rxtx.js';
import type { FfaPendingCall, VmFfaState } from './state.js';

const hex = (v: bigint): string => '0x' + v.toString(16);

/** The VM's FFA_PARTITION_INFO_GET (x1-x5: UUID words, flags). */
export function partitionInfoGet(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[]): FfaResult | null {
  const flags = decodePartitionInfoGetFlags(Number(x[5]! & 0xffff_ffffn), f.version);
  if (!flags.ok) return flags.error;
  const args = x.slice(1, 6).map((v) => hex(v & 0xffff_ffffn));
  if (!flags.value.countOnly) {
    if (!f.rxtx) return ffaError(BUSY, 'the VM has no RX buffer mapped');
    if (f.rxFull || f.retrieve) return ffaError(BUSY, 'the VM\'s RX buffer is not free (FFA_RX_RELEASE it first)');
  }
  const s = hv.s.ffa;
  if (!flags.value.countOnly && !s.hvRxtx?.mapped) {
    const noBuffers = hvBuffersRefusal(hv);
    if (noBuffers) return noBuffers;
    const b = hvBuffers(hv);
    return continueWith(hv, cpu, vm, vc, 'map', args, [BigInt(F.FFA_RXTX_MAP_64), BigInt(b.txPa), BigInt(b.rxPa), 1n]);
  }
  return continueWith(hv, cpu, vm, vc, 'get', args, getCall(args));
}

function getCall(args: readonly string[]): bigint[] {
  return [BigInt(F.FFA_PARTITION_INFO_GET), ...args.map((a) => BigInt(a))];
}

/** Issue a step's SMC and go on while the answers come back at once. */
function continueWith(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, step: NonNullable<FfaPendingCall['step']>, args: string[], call: bigint[]): FfaResult | null {
  const r = smcStep(hv, cpu, vm, vc, F.FFA_PARTITION_INFO_GET, call, step, args);
  return r === null ? null : partitionInfoStep(hv, cpu, { vm: vm.id, vcpu: vc.id, fid: F.FFA_PARTITION_INFO_GET, step, args }, r);
}

/** The SPMC answered `p.step` with `r`: the next step, or the VM's answer. */
export function partitionInfoStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult): FfaResult | null {
  const vm = hv.s.vms[p.vm]!;
  const vc = vm.vcpus[p.vcpu]!;
  const f = hv.s.ffa.vms[p.vm]!;
  const args = p.args ?? [];
  const s = hv.s.ffa;
  switch (p.step) {
    case 'map':
      if (isFfaError(r)) return r;
      s.hvRxtx!.mapped = true;
      return continueWith(hv, cpu, vm, vc, 'get', args, getCall(args));
    case 'get': {
      if (isFfaError(r)) return r;
      const count = wView(r, 2);
      const countOnly = (Number(BigInt(args[4] ?? '0')) & 1) !== 0 && f.version > F.FFA_VERSION_1_0;
      if (countOnly) return partitionInfoGetSuccess(count, f.version, true);
      // Read (and re-encode in the VM's layout) before giving the buffer back: the SPMC may reuse it after.
      const size = wView(r, 3) || PARTITION_INFO_SIZE_V1_0;
      const list = decodePartitionInfo(hv.m.core.readPhys(s.hvRxtx!.rxPa, Math.min(0x1000, count * size)).slice(), count, size);
      const bytes = list.ok ? encodePartitionInfo(list.value, f.version) : null;
      const carried = [...args.slice(0, 5), String(list.ok ? count : -1), bytes ? Buffer.from(bytes).toString('hex') : ''];
      return continueWith(hv, cpu, vm, vc, 'release', carried, [BigInt(F.FFA_RX_RELEASE), 0n]);
    }
    case 'release': {
      const count = Number(args[5] ?? '-1');
      if (count < 0) return ffaError(INVALID_PARAMETERS, 'the SPMC\'s partition information did not decode');
      const bytes = Uint8Array.from(Buffer.from(args[6] ?? '', 'hex'));
      if (!f.rxtx || f.rxFull || f.retrieve || bytes.length > bufferBytes(f.rxtx)) return ffaError(BUSY, 'the VM\'s RX buffer cannot take the descriptors');
      writeRx(hv, f, bytes);
      return partitionInfoGetSuccess(count, f.version, false);
    }
  }
  return r;
}
