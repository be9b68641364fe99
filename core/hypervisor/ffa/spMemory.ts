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
import { INVALID_PARAMETERS, NO_MEMORY, NOT_SUPPORTED } from '../../ffa/errors.js';
import { ATTRIBUTES_NOT_SPECIFIED } from '../../ffa/memory/attributes.js';
import { checkFragArgsReserved, decodeFragArgs } from '../../ffa/memory/abi.js';
import { decodeConstituentFragment } from '../../ffa/memory/constituents.js';
import { fragmentLengths } from '../../ffa/memory/fragments.js';
import { CONSTITUENT_SIZE } from '../../ffa/memory/layout.js';
import { handleFromWords, handleText } from '../../ffa/memory/handle.js';
import type { SendOp } from '../../ffa/memory/rules.js';
import { buildTransaction, encodeTransaction, relayout, type Constituent, type MemoryTransaction } from '../../ffa/memory/transaction.js';
import { accept, ffaError, ffaMemFragRx, ffaMemSuccess, handleWords, isFfaError, reject, resultFid, wView, type Checked, type FfaResult } from '../../ffa/result.js';
import { MemoryLedger } from '../../spmc/memoryLedger.js';
import { hex64 } from '../../trace/events.js';
import type { Hv } from '../context.js';
import { allocTablePage, reservePagesLeft } from '../stage2.js';
import type { VcpuState, VmState } from '../state.js';
import { smcStep } from './forward.js';
import { pagesOfRanges, projectPages } from './ownership.js';
import { bufferBytes, copyFromTx } from './rxtx.js';
import { ffaIdOfVm } from './setup.js';
import { toPhysical } from './vmMemory.js';
import type { FfaPendingCall, SpShare, SpStep, VmFfaState } from './state.js';

const HV_BUFFER_BYTES = 0x1000;
/** Descriptor bytes kept in the record as hex (a pending step's arguments). */
export const hexBytes = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const bytesOf = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** Writes the hypervisor ledger's verdict on `pages` into every VM's Stage 2. */
export function project(hv: Hv, pages: readonly number[]): void {
  const l = new MemoryLedger('hypervisor');
  l.setState(hv.s.ffa.ledger);
  projectPages(hv, l, pages);
}

/** The hypervisor's own RX/TX pages (allocated from its reserve the first time; registered with the SPMC by the caller). */
export function hvBuffers(hv: Hv): NonNullable<Hv['s']['ffa']['hvRxtx']> {
  const s = hv.s.ffa;
  if (!s.hvRxtx) s.hvRxtx = { txPa: allocTablePage(hv.m.core, hv.s), rxPa: allocTablePage(hv.m.core, hv.s), mapped: false };
  return s.hvRxtx;
}

/** NO_MEMORY when the hypervisor's buffers do not exist yet and its reserve cannot give their two pages; else null. */
export function hvBuffersRefusal(hv: Hv): FfaResult | null {
  return !hv.s.ffa.hvRxtx && reservePagesLeft(hv.s) < 2 ? ffaError(NO_MEMORY, 'the hypervisor reserve has no pages left for its RX/TX buffers') : null;
}

/**
 * A VM's DONATE/LEND/SHARE to partitions: `tx` decoded from its TX buffer,
 * `phys` the ranges of its first fragment as physical addresses, checked to
 * be the VM's; `missing` constituents still to come in the VM's FRAG_TX
 * (`vmLength`: the bytes of its first fragment, for FRAG_RX offsets).
 */
export function spSend(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, tx: MemoryTransaction, phys: MemoryTransaction['composite'], op: SendOp, fid: number, missing = 0, vmLength = 0): FfaResult | null {
  const pages = pagesOfRanges(phys!.constituents);
  const mine = vmPagesCheck(hv, vm, pages);
  if (!mine.ok) return mine.error;
  const noBuffers = hvBuffersRefusal(hv);
  if (noBuffers) return noBuffers;
  const share: SpShare = { handle: null, vm: vm.id, op, pages, missing, vmOffset: vmLength };
  // The SPMC reads the v1.1 layout from the hypervisor (its Normal-world version). Constituents still to come are
  // counted in the composite and the total length; the bytes sent now end with the first fragment's.
  const relaid = relayout({ ...tx, composite: { pageCount: phys!.pageCount, constituents: [...phys!.constituents, ...Array.from({ length: missing }, () => ({ address: 0n, pageCount: 1 }))] } }, 'v1.1');
  const bytes = encodeTransaction(relaid);
  const available = bytes.length - missing * CONSTITUENT_SIZE;
  const lengths = fragmentLengths(relaid, available, HV_BUFFER_BYTES);
  if (!lengths.ok) return lengths.error;
  hv.s.ffa.spShares.push(share);
  const args = [String(vm.id), String(fid), hexBytes(bytes.subarray(0, available)), lengths.value.join(','), '0', '', String(bytes.length), String(pages[0]!)];
  if (!hvBuffers(hv).mapped) return step(hv, cpu, vm, vc, 'sp-map', args, [BigInt(F.FFA_RXTX_MAP_64), BigInt(hv.s.ffa.hvRxtx!.txPa), BigInt(hv.s.ffa.hvRxtx!.rxPa), 1n]);
  return sendFragment(hv, cpu, vm, vc, args);
}

/** Pages a VM may send to partitions: its own, in no VM-to-VM transaction (the caller's translation excluded other SP sends). */
function vmPagesCheck(hv: Hv, vm: VmState, pages: readonly number[]): Checked<void> {
  const l = new MemoryLedger('hypervisor');
  l.setState(hv.s.ffa.ledger);
  const me = ffaIdOfVm(vm.id);
  for (const pa of pages) {
    if (l.ownerOf(BigInt(pa)) !== me) return reject(INVALID_PARAMETERS, `PA ${hex64(pa)} is not the VM's`);
    if (hv.s.ffa.ledger.pages[hex64(pa)]) return reject(INVALID_PARAMETERS, `PA ${hex64(pa)} is in a transaction between VMs`);
  }
  return accept(undefined);
}

/**
 * FFA_MEM_FRAG_TX from a VM of its send to partitions (an SPMC handle): the
 * constituents translated and checked as the first fragment's, reserved,
 * and forwarded through the hypervisor's TX buffer (in page-sized FRAG_TX
 * calls). A fragment the proxy refuses abandons the send at the SPMC too
 * (a FRAG_TX the SPMC's ledger refuses, as Hafnium reclaims it there), so
 * a failure leaves no state behind; so does the SPMC's refusal.
 */
export function spFragTx(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[]): FfaResult | null {
  const a = decodeFragArgs(x);
  const reserved = checkFragArgsReserved(x);
  if (!reserved.ok) return reserved.error;
  if (a.endpoint !== 0) return ffaError(INVALID_PARAMETERS, 'w4[31:16] is for the hypervisor to name a VM; a VM passes 0');
  const share = hv.s.ffa.spShares.find((s) => s.handle === hex64(a.handle) && s.vm === vm.id && (s.missing ?? 0) > 0);
  if (!share) return ffaError(INVALID_PARAMETERS, `FRAG_TX: no send of ${handleText(a.handle)} by this VM in progress`);
  const refuse = (why: FfaResult): FfaResult | null => abortSend(hv, cpu, vm, vc, share, why);
  if (!f.rxtx) return refuse(ffaError(INVALID_PARAMETERS, 'the VM has no TX buffer'));
  if (a.value > bufferBytes(f.rxtx)) return refuse(ffaError(INVALID_PARAMETERS, `fragment length ${a.value} exceeds the TX buffer`));
  const cs = decodeConstituentFragment(copyFromTx(hv, f.rxtx, a.value), share.missing!);
  if (!cs.ok) return refuse(cs.error);
  const phys = toPhysical(hv, vm, f, cs.value);
  if (!phys.ok) return refuse(phys.error);
  const pages = pagesOfRanges(phys.value);
  const mine = vmPagesCheck(hv, vm, pages);
  if (!mine.ok) return refuse(mine.error);
  share.pages.push(...pages);
  share.missing! -= cs.value.length;
  share.vmOffset = (share.vmOffset ?? 0) + a.value;
  const bytes = constituentBytes(phys.value);
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length; at += HV_BUFFER_BYTES) lengths.push(Math.min(HV_BUFFER_BYTES, bytes.length - at));
  return sendFragment(hv, cpu, vm, vc, [String(vm.id), String(F.FFA_MEM_FRAG_TX), hexBytes(bytes), lengths.join(','), '0', share.handle!, '0', String(share.pages[0]!)]);
}

/** The proxy refuses a fragment: a FRAG_TX of one empty constituent makes the SPMC's ledger abandon the send; then the VM gets `why`. */
function abortSend(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, share: SpShare, why: FfaResult): FfaResult | null {
  hv.m.core.writePhys(hvBuffers(hv).txPa, new Uint8Array(CONSTITUENT_SIZE));
  const [lo, hi] = handleWords(BigInt(share.handle!));
  const args = [String(share.pages[0]!), ...why.x.slice(0, 8).map((v) => hex64(v))];
  return step(hv, cpu, vm, vc, 'sp-abort', args, [BigInt(F.FFA_MEM_FRAG_TX), lo, hi, BigInt(CONSTITUENT_SIZE), BigInt(ffaIdOfVm(vm.id) << 16)]);
}

function constituentBytes(cs: readonly Constituent[]): Uint8Array {
  const bytes = new Uint8Array(cs.length * CONSTITUENT_SIZE);
  const dv = new DataView(bytes.buffer);
  cs.forEach((c, i) => {
    dv.setBigUint64(i * CONSTITUENT_SIZE, c.address, true);
    dv.setUint32(i * CONSTITUENT_SIZE + 8, c.pageCount, true);
  });
  return bytes;
}

/** FFA_MEM_RECLAIM of memory the VM sent to partitions (an SPMC handle). */
export function spReclaim(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[]): FfaResult | null {
  void f;
  const handle = handleFromWords(x[1]! & 0xffff_ffffn, x[2]! & 0xffff_ffffn);
  const share = hv.s.ffa.spShares.find((s) => s.handle === hex64(handle));
  if (!share || share.vm !== vm.id) return ffaError(INVALID_PARAMETERS, `reclaim: ${handleText(handle)} is no memory this VM sent to a partition`);
  if ((share.missing ?? 0) > 0) return ffaError(INVALID_PARAMETERS, `reclaim: ${handleText(handle)} is still being sent (FFA_MEM_FRAG_TX)`);
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

/** Write fragment `args[4]` of `args[2]` into the hypervisor's TX buffer and send it: the send itself (total length
 *  `args[6]`) when no handle is known yet (`args[5]`), else FFA_MEM_FRAG_TX naming the VM. */
function sendFragment(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, args: string[]): FfaResult | null {
  const bytes = bytesOf(args[2]!);
  const lengths = args[3]!.split(',').map(Number);
  const index = Number(args[4]);
  const offset = lengths.slice(0, index).reduce((n, v) => n + v, 0);
  hv.m.core.writePhys(hvBuffers(hv).txPa, bytes.subarray(offset, offset + lengths[index]!));
  if (args[5] === '') return step(hv, cpu, vm, vc, 'sp-send', args, [BigInt(Number(args[1])), BigInt(Number(args[6])), BigInt(lengths[0]!), 0n, 0n]);
  const [lo, hi] = handleWords(BigInt(args[5]!));
  return step(hv, cpu, vm, vc, 'sp-frag', args, [BigInt(F.FFA_MEM_FRAG_TX), lo, hi, BigInt(lengths[index]!), BigInt(ffaIdOfVm(vm.id) << 16)]);
}

/** The SPMC answered step `p.step` with `r`: the next step, or the VM's answer. */
export function spStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult): FfaResult | null {
  const vm = hv.s.vms[p.vm]!;
  const vc = vm.vcpus[p.vcpu]!;
  const args = [...(p.args ?? [])];
  const s = hv.s.ffa;
  // A send's reservation, by its first page (pages are in one send at most).
  const sending = (key: string | undefined): SpShare | undefined => s.spShares.find((x) => x.vm === p.vm && String(x.pages[0]) === key);
  const abandon = (share: SpShare | undefined, answer: FfaResult): FfaResult => {
    if (share) {
      s.spShares = s.spShares.filter((x) => x !== share);
      project(hv, share.pages);
    }
    return answer;
  };
  switch (p.step) {
    case 'sp-map':
      if (isFfaError(r)) return abandon(sending(args[7]), r);
      s.hvRxtx!.mapped = true;
      return sendFragment(hv, cpu, vm, vc, args);
    case 'sp-send':
    case 'sp-frag': {
      const share = sending(args[7]);
      if (!share) return ffaError(INVALID_PARAMETERS, 'the send was dropped meanwhile');
      if (isFfaError(r)) return abandon(share, r); // the SPMC abandoned it too
      const fid = resultFid(r);
      const more = Number(args[4]) + 1 < args[3]!.split(',').length;
      if (fid === F.FFA_MEM_FRAG_RX) {
        // The SPMC wants the next fragment (w1/w2 the handle, w3 the bytes it has).
        share.handle = hex64(handleFromWords(r.x[1]!, r.x[2]!));
        args[5] = share.handle;
        if (more) {
          args[4] = String(Number(args[4]) + 1);
          return sendFragment(hv, cpu, vm, vc, args);
        }
        if ((share.missing ?? 0) === 0) return abortSend(hv, cpu, vm, vc, share, ffaError(INVALID_PARAMETERS, 'the SPMC asks for more than the descriptor holds'));
        project(hv, share.pages);
        return ffaMemFragRx(BigInt(share.handle), share.vmOffset ?? 0);
      }
      if (fid !== F.FFA_SUCCESS_32 || more || (share.missing ?? 0) > 0) return abandon(share, ffaError(NOT_SUPPORTED, `the SPMC answered the send with 0x${fid.toString(16)}`));
      const handle = handleFromWords(r.x[2]!, r.x[3]!);
      share.handle = hex64(handle);
      delete share.missing;
      delete share.vmOffset;
      project(hv, share.pages);
      return ffaMemSuccess(handle);
    }
    case 'sp-abort':
      // The SPMC abandoned the send (whatever it answered): the VM gets the proxy's refusal.
      return abandon(sending(args[0]), { x: args.slice(1).map((v) => BigInt(v)), reason: 'the fragment was refused; the send is abandoned' });
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
