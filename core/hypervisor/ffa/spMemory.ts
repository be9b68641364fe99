// VM memory sent to partitions (DEN0077 v1.1 chapter 10, the hypervisor as
// pKVM's and Hafnium's do it): the proxy marks the lender's pages in its
// Stage 2 (a SHARE keeps RW, a LEND or DONATE removes access: ownership.ts)
// and forwards the descriptor, with the VM's IPAs turned into physical
// addresses, to the SPMC through the hypervisor's own TX buffer, in
// FFA_MEM_FRAG_TX fragments when it does not fit one page. The handle is the
// SPMC's (bit 63 clear). Before a reclaim it asks the SPMC for the
// transaction with a hypervisor retrieve request (no receivers, only the
// handle) and fetches the whole response (FFA_MEM_FRAG_RX, releasing its RX
// buffer between fragments), as pKVM does; then FFA_MEM_RECLAIM, and on
// success the VM's pages are its own again. The pages are reserved (in
// `spShares` with no handle yet) before the first SMC, so no other vCPU can
// send them meanwhile; a refused send releases them.
import * as F from '../../ffa/functionIds.js';
import { INVALID_PARAMETERS, NOT_SUPPORTED } from '../../ffa/errors.js';
import { ATTRIBUTES_NOT_SPECIFIED } from '../../ffa/memory/attributes.js';
import { fragmentLengths } from '../../ffa/memory/fragments.js';
import { handleFromWords, handleText } from '../../ffa/memory/handle.js';
import type { SendOp } from '../../ffa/memory/rules.js';
import { buildTransaction, encodeTransaction, relayout, type MemoryTransaction } from '../../ffa/memory/transaction.js';
import { ffaError, ffaMemSuccess, handleWords, isFfaError, resultFid, wView, type FfaResult } from '../../ffa/result.js';
import { MemoryLedger } from '../../spmc/memoryLedger.js';
import { hex64 } from '../../trace/events.js';
import type { Hv } from '../context.js';
import { allocTablePage } from '../stage2.js';
import type { VcpuState, VmState } from '../state.js';
import { smcStep } from './forward.js';
import { pagesOfRanges, projectPages } from './ownership.js';
import { ffaIdOfVm } from './setup.js';
import type { FfaPendingCall, SpShare, SpStep, VmFfaState } from './state.js';

const HV_BUFFER_BYTES = 0x1000;
const hexBytes = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytesOf = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

function project(hv: Hv, pages: readonly number[]): void {
  const l = new MemoryLedger('hypervisor');
  l.setState(hv.s.ffa.ledger);
  projectPages(hv, l, pages);
}

function hvBuffers(hv: Hv): NonNullable<Hv['s']['ffa']['hvRxtx']> {
  const s = hv.s.ffa;
  if (!s.hvRxtx) s.hvRxtx = { txPa: allocTablePage(hv.m.core, hv.s), rxPa: allocTablePage(hv.m.core, hv.s), mapped: false };
  return s.hvRxtx;
}

/**
 * A VM's DONATE/LEND/SHARE to partitions: `tx` decoded from its TX buffer
 * (complete: the VM's own fragmentation is not forwarded), `phys` its ranges
 * as physical addresses, checked to be the VM's.
 */
export function spSend(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, tx: MemoryTransaction, phys: MemoryTransaction['composite'], op: SendOp, fid: number): FfaResult | null {
  const pages = pagesOfRanges(phys!.constituents);
  const l = new MemoryLedger('hypervisor');
  l.setState(hv.s.ffa.ledger);
  const me = ffaIdOfVm(vm.id);
  for (const pa of pages) {
    if (l.ownerOf(BigInt(pa)) !== me) return ffaError(INVALID_PARAMETERS, `PA ${hex64(pa)} is not the VM's`);
    if (hv.s.ffa.ledger.pages[hex64(pa)]) return ffaError(INVALID_PARAMETERS, `PA ${hex64(pa)} is in a transaction between VMs`);
  }
  const share: SpShare = { handle: null, vm: vm.id, op, pages };
  hv.s.ffa.spShares.push(share);
  // The SPMC reads the v1.1 layout from the hypervisor (its Normal-world version).
  const bytes = encodeTransaction(relayout({ ...tx, composite: phys }, 'v1.1'));
  const lengths = fragmentLengths(relayout({ ...tx, composite: phys }, 'v1.1'), bytes.length, HV_BUFFER_BYTES);
  if (!lengths.ok) {
    hv.s.ffa.spShares = hv.s.ffa.spShares.filter((x) => x !== share);
    return lengths.error;
  }
  const args = [String(vm.id), String(fid), hexBytes(bytes), lengths.value.join(','), '0'];
  if (!hvBuffers(hv).mapped) return step(hv, cpu, vm, vc, 'sp-map', args, [BigInt(F.FFA_RXTX_MAP_64), BigInt(hv.s.ffa.hvRxtx!.txPa), BigInt(hv.s.ffa.hvRxtx!.rxPa), 1n]);
  return sendFragment(hv, cpu, vm, vc, args);
}

/** FFA_MEM_RECLAIM of memory the VM sent to partitions (an SPMC handle). */
export function spReclaim(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[]): FfaResult | null {
  void f;
  const handle = handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn);
  const share = hv.s.ffa.spShares.find((s) => s.handle === hex64(handle));
  if (!share || share.vm !== vm.id) return ffaError(INVALID_PARAMETERS, `reclaim: ${handleText(handle)} is no memory this VM sent to a partition`);
  const request = encodeTransaction(buildTransaction({ layout: 'v1.1', sender: 0, attributes: ATTRIBUTES_NOT_SPECIFIED, handle, receivers: [] }));
  const b = hvBuffers(hv);
  hv.m.core.writePhys(b.txPa, request);
  const args = [hex64(handle), String(Number(x[3]! & 0xffff_ffffn)), '0'];
  return step(hv, cpu, vm, vc, 'sp-retrieve', args, [BigInt(F.FFA_MEM_RETRIEVE_REQ_32), BigInt(request.length), BigInt(request.length), 0n, 0n]);
}

function step(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, s: SpStep, args: string[], call: bigint[]): FfaResult | null {
  const r = smcStep(hv, cpu, vm, vc, Number(call[0]!), call, s, args);
  return r === null ? null : spStep(hv, cpu, { vm: vm.id, vcpu: vc.id, fid: Number(call[0]!), step: s, args }, r);
}

/** Write fragment `args[4]` of the descriptor into the hypervisor's TX buffer and send it. */
function sendFragment(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, args: string[]): FfaResult | null {
  const bytes = bytesOf(args[2]!);
  const lengths = args[3]!.split(',').map(Number);
  const index = Number(args[4]);
  const offset = lengths.slice(0, index).reduce((n, v) => n + v, 0);
  hv.m.core.writePhys(hvBuffers(hv).txPa, bytes.subarray(offset, offset + lengths[index]!));
  if (index === 0) return step(hv, cpu, vm, vc, 'sp-send', args, [BigInt(Number(args[1])), BigInt(bytes.length), BigInt(lengths[0]!), 0n, 0n]);
  const handle = BigInt(args[5]!);
  const [lo, hi] = handleWords(handle);
  return step(hv, cpu, vm, vc, 'sp-frag', args, [BigInt(F.FFA_MEM_FRAG_TX), lo, hi, BigInt(lengths[index]!), BigInt(ffaIdOfVm(vm.id) << 16)]);
}

/** The SPMC answered step `p.step` with `r`: the next step, or the VM's answer. */
export function spStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult): FfaResult | null {
  const vm = hv.s.vms[p.vm]!;
  const vc = vm.vcpus[p.vcpu]!;
  const args = [...(p.args ?? [])];
  const s = hv.s.ffa;
  const inFlight = (): SpShare | undefined => s.spShares.find((x) => x.vm === p.vm && x.handle === null);
  const abandon = (answer: FfaResult): FfaResult => {
    s.spShares = s.spShares.filter((x) => x !== inFlight());
    return answer;
  };
  switch (p.step) {
    case 'sp-map':
      if (isFfaError(r)) return abandon(r);
      s.hvRxtx!.mapped = true;
      return sendFragment(hv, cpu, vm, vc, args);
    case 'sp-send':
    case 'sp-frag': {
      if (isFfaError(r)) return abandon(r);
      if (resultFid(r) === F.FFA_MEM_FRAG_RX) {
        // The SPMC wants the next fragment (w1/w2 the handle, w3 the bytes it has).
        args[4] = String(Number(args[4]) + 1);
        args[5] = hex64(handleFromWords(r.x[1]!, r.x[2]!));
        return sendFragment(hv, cpu, vm, vc, args);
      }
      if (resultFid(r) !== F.FFA_SUCCESS_32) return abandon(ffaError(NOT_SUPPORTED, `the SPMC answered the send with 0x${resultFid(r).toString(16)}`));
      const handle = handleFromWords(r.x[2]!, r.x[3]!);
      const share = inFlight()!;
      share.handle = hex64(handle);
      project(hv, share.pages);
      return ffaMemSuccess(handle);
    }
    case 'sp-retrieve':
    case 'sp-fragrx': {
      if (isFfaError(r)) return r;
      // The hypervisor's retrieve response (or its next fragment): read, then give the RX buffer back.
      const total = p.step === 'sp-retrieve' ? wView(r, 1) : Number(args[3]);
      const got = Number(args[2]) + (p.step === 'sp-retrieve' ? wView(r, 2) : wView(r, 3));
      return step(hv, cpu, vm, vc, 'sp-release', [args[0]!, args[1]!, String(got), String(total)], [BigInt(F.FFA_RX_RELEASE), 0n]);
    }
    case 'sp-release': {
      const handle = BigInt(args[0]!);
      const [lo, hi] = handleWords(handle);
      if (Number(args[2]) < Number(args[3])) return step(hv, cpu, vm, vc, 'sp-fragrx', args, [BigInt(F.FFA_MEM_FRAG_RX), lo, hi, BigInt(Number(args[2])), 0n]);
      return step(hv, cpu, vm, vc, 'sp-reclaim', args, [BigInt(F.FFA_MEM_RECLAIM), lo, hi, BigInt(Number(args[1]))]);
    }
    case 'sp-reclaim': {
      if (isFfaError(r)) return r;
      const share = s.spShares.find((x) => x.handle === args[0]);
      if (share) {
        s.spShares = s.spShares.filter((x) => x !== share);
        project(hv, share.pages);
      }
      return r;
    }
  }
  return r;
}
