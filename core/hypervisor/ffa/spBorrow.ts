// Memory a partition sends to a VM (DEN0077 v1.1 §10.4-§10.7 and §11; the
// hypervisor's part as Hafnium's hypervisor forwards a VM's retrieve of an
// "other world" handle): the handle is the SPMC's (bit 63 clear) and the
// SPMC's ledger keeps the transaction.
//
// - FFA_MEM_RETRIEVE_REQ from a VM: the VM's descriptor (copied from its TX
//   buffer) must name the VM as its one Normal-world receiver; it is re-laid
//   in the v1.1 layout and sent from the hypervisor's TX buffer (the SPMC acts
//   for the one Normal-world borrower a Normal-world retrieve request names:
//   core/spmc/memoryAbi.ts). The SPMC checks the access asked for (DENIED
//   for more than was granted) and answers in the hypervisor's RX buffer; the
//   proxy reads the whole response (FFA_RX_RELEASE, then FFA_MEM_FRAG_RX
//   naming the VM, until done), checks every page is Non-secure RAM the VM's
//   borrow window can hold (the SPMC already refuses Secure memory to a
//   Normal-world receiver at the send, §10.10.4.1.1: the NS bit means
//   nothing to a VM and is cleared), maps the pages in the VM's Stage 2
//   with the granted access (`spBorrows`, ownership.ts), rewrites the
//   addresses to the VM's IPAs and writes the response into the VM's RX
//   buffer, in fragments over FFA_MEM_FRAG_RX (`retrieve.response`). A check
//   failing after the SPMC granted the access relinquishes for the VM there
//   (the proxy's own FFA_MEM_RELINQUISH), so nothing stays behind. A donate
//   of pages of the VM's own RAM gives them back for good: no record, the
//   VM's own donate's record lets go of them, and the VM may send them on.
// - FFA_MEM_RELINQUISH from the VM: the pages leave its Stage 2 (TLBs
//   invalidated), the relinquish goes to the SPMC naming the VM; on the
//   SPMC's refusal they are mapped again and the VM gets its error.
import * as F from '../../ffa/functionIds.js';
import { BUSY, DENIED, INVALID_PARAMETERS, NO_MEMORY, NOT_SUPPORTED } from '../../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../../ffa/endpoints.js';
import { FFA_DATA_ACCESS_RW, encodePermissions } from '../../ffa/memory/attributes.js';
import { checkFragArgsReserved, decodeFragArgs } from '../../ffa/memory/abi.js';
import { decodeTransaction } from '../../ffa/memory/decode.js';
import { transactionTypeOf } from '../../ffa/memory/flags.js';
import { fragmentLengths } from '../../ffa/memory/fragments.js';
import { handleText } from '../../ffa/memory/handle.js';
import { layoutOfVersion } from '../../ffa/memory/layout.js';
import { encodeRelinquish, type Relinquish } from '../../ffa/memory/relinquish.js';
import { encodeTransaction, relayout, type MemoryTransaction } from '../../ffa/memory/transaction.js';
import { ffaError, ffaMemRetrieveResp, ffaSuccess32, ffaValue, handleWords, isFfaError, resultFid, wView, type FfaResult } from '../../ffa/result.js';
import { RAM_BASE } from '../../machine.js';
import { hex64 } from '../../trace/events.js';
import type { Hv } from '../context.js';
import { reservePagesLeft, s2TablePagesNeeded } from '../stage2.js';
import type { VcpuState, VmState } from '../state.js';
import { smcStep } from './forward.js';
import { ipaOfPage, pagesOfRanges } from './ownership.js';
import { bufferBytes, writeRx } from './rxtx.js';
import { ffaIdOfVm } from './setup.js';
import { toVmView } from './vmMemory.js';
import { bytesOf, hexBytes, hvBuffers, hvBuffersRefusal, project } from './spMemory.js';
import type { BorrowStep, FfaPendingCall, SpBorrow, VmFfaState } from './state.js';

const PAGE = 0x1000;

function step(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, s: BorrowStep, args: string[], call: bigint[]): FfaResult | null {
  const r = smcStep(hv, cpu, vm, vc, Number(call[0]!), call, s, args);
  return r === null ? null : borrowStep(hv, cpu, { vm: vm.id, vcpu: vc.id, fid: Number(call[0]!), step: s, args }, r);
}

/** FFA_MEM_RETRIEVE_REQ from `vm` of an SPMC handle; `request` decoded from (a copy of) its TX buffer. */
export function spRetrieve(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, request: MemoryTransaction): FfaResult | null {
  const me = ffaIdOfVm(vm.id);
  const nwd = request.receivers.filter((r) => !isSecureEndpoint(r.receiver));
  if (nwd.length !== 1 || nwd[0]!.receiver !== me) {
    return ffaError(INVALID_PARAMETERS, `the retrieve request names ${nwd.map((r) => endpointText(r.receiver)).join(', ') || 'no Normal-world endpoint'}: a VM retrieves for itself only`);
  }
  if (hv.s.ffa.spmcVersion <= 0) return ffaError(INVALID_PARAMETERS, `retrieve: no SPMC, no transaction with handle ${handleText(request.handle)}`);
  if (f.rxFull || f.retrieve) return ffaError(BUSY, 'the RX buffer is not free');
  if (hv.s.ffa.spBorrows.some((b) => b.handle === hex64(request.handle) && b.vm === vm.id)) return ffaError(DENIED, `${handleText(request.handle)} is retrieved already`);
  const noBuffers = hvBuffersRefusal(hv);
  if (noBuffers) return noBuffers;
  const bytes = encodeTransaction(relayout(request, 'v1.1'));
  const args = [hex64(request.handle), hexBytes(bytes)];
  if (!hvBuffers(hv).mapped) return step(hv, cpu, vm, vc, 'sb-map', args, [BigInt(F.FFA_RXTX_MAP_64), BigInt(hv.s.ffa.hvRxtx!.txPa), BigInt(hv.s.ffa.hvRxtx!.rxPa), 1n]);
  return sendRequest(hv, cpu, vm, vc, args);
}

function sendRequest(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, args: string[]): FfaResult | null {
  const bytes = bytesOf(args[1]!);
  hv.m.core.writePhys(hvBuffers(hv).txPa, bytes);
  return step(hv, cpu, vm, vc, 'sb-retrieve', [args[0]!, '', '0'], [BigInt(F.FFA_MEM_RETRIEVE_REQ_32), BigInt(bytes.length), BigInt(bytes.length), 0n, 0n]);
}

/** The SPMC answered step `p.step` with `r`: the next step, or the VM's answer. */
export function borrowStep(hv: Hv, cpu: number, p: FfaPendingCall, r: FfaResult): FfaResult | null {
  const vm = hv.s.vms[p.vm]!;
  const vc = vm.vcpus[p.vcpu]!;
  const args = [...(p.args ?? [])];
  const me = ffaIdOfVm(vm.id);
  const ok = (fid: number): boolean => !isFfaError(r) && resultFid(r) === fid;
  switch (p.step) {
    case 'sb-map':
      if (!ok(F.FFA_SUCCESS_32)) return isFfaError(r) ? r : ffaError(NOT_SUPPORTED, 'the SPMC refused the hypervisor\'s RX/TX buffers');
      hv.s.ffa.hvRxtx!.mapped = true;
      return sendRequest(hv, cpu, vm, vc, args);
    case 'sb-retrieve':
    case 'sb-fragrx': {
      // args: handle, the response so far (hex), its total length.
      const first = p.step === 'sb-retrieve';
      if (first && isFfaError(r)) return r; // the SPMC refused: nothing was granted
      if (!ok(first ? F.FFA_MEM_RETRIEVE_RESP : F.FFA_MEM_FRAG_TX)) return undo(hv, cpu, vm, vc, args[0]!, isFfaError(r) ? r : ffaError(NOT_SUPPORTED, `the SPMC answered with 0x${resultFid(r).toString(16)}`));
      const total = first ? wView(r, 1) : Number(args[2]);
      const length = first ? wView(r, 2) : wView(r, 3);
      const got = args[1]! + hexBytes(hv.m.core.readPhys(hvBuffers(hv).rxPa, Math.min(length, PAGE)).slice());
      return step(hv, cpu, vm, vc, 'sb-release', [args[0]!, got, String(total)], [BigInt(F.FFA_RX_RELEASE), 0n]);
    }
    case 'sb-release': {
      const got = args[1]!.length / 2;
      const total = Number(args[2]);
      const [lo, hi] = handleWords(BigInt(args[0]!));
      if (got < total) return step(hv, cpu, vm, vc, 'sb-fragrx', args, [BigInt(F.FFA_MEM_FRAG_RX), lo, hi, BigInt(got), BigInt(me << 16)]);
      return granted(hv, cpu, vm, vc, BigInt(args[0]!), bytesOf(args[1]!));
    }
    case 'sb-undo':
      // Relinquished at the SPMC (whatever it answered, the proxy maps nothing): the VM gets the proxy's refusal.
      return { x: args.slice(1).map((v) => BigInt(v)), reason: 'the retrieve was undone at the SPMC' };
    case 'sb-relinquish': {
      const b = JSON.parse(args[0]!) as SpBorrow;
      if (ok(F.FFA_SUCCESS_32)) return ffaSuccess32();
      // The SPMC refused: the VM keeps the memory.
      hv.s.ffa.spBorrows.push(b);
      project(hv, b.pages);
      return isFfaError(r) ? r : ffaError(NOT_SUPPORTED, `the SPMC answered the relinquish with 0x${resultFid(r).toString(16)}`);
    }
  }
  return r;
}

/** A check failed after the SPMC granted the access: relinquish there for the VM, then answer `why`. */
function undo(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, handle: string, why: FfaResult): FfaResult | null {
  hv.m.core.writePhys(hvBuffers(hv).txPa, encodeRelinquish({ handle: BigInt(handle), flags: 0, endpoints: [ffaIdOfVm(vm.id)] }));
  return step(hv, cpu, vm, vc, 'sb-undo', [handle, ...why.x.slice(0, 8).map((v) => hex64(v))], [BigInt(F.FFA_MEM_RELINQUISH), 0n, 0n, 0n, 0n]);
}

/** The whole response is in: check, map, and deliver its first fragment to the VM. */
function granted(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, handle: bigint, bytes: Uint8Array): FfaResult | null {
  const refuse = (why: FfaResult): FfaResult | null => undo(hv, cpu, vm, vc, hex64(handle), why);
  const d = decodeTransaction(bytes, { kind: 'retrieve-response', version: hv.s.ffa.spmcVersion, totalLength: bytes.length });
  if (!d.ok) return refuse(d.error);
  const tx = d.value.tx;
  const me = ffaIdOfVm(vm.id);
  const mine = tx.receivers.find((r) => r.receiver === me);
  if (tx.handle !== handle || !mine || !tx.composite) return refuse(ffaError(INVALID_PARAMETERS, 'the SPMC\'s retrieve response is not this VM\'s'));
  const pages = pagesOfRanges(tx.composite.constituents);
  const ramEnd = RAM_BASE + hv.m.config.ramBytes;
  const outside = pages.find((pa) => pa < RAM_BASE || pa + PAGE > ramEnd || (pa >= hv.s.reserveBase && pa < hv.s.reserveBase + hv.s.reserveBytes));
  if (outside !== undefined) return refuse(ffaError(DENIED, `page ${hex64(outside)} is not Normal-world RAM a VM may be given`));
  const view = toVmView(vm, tx.composite.constituents);
  if (!view) return refuse(ffaError(NO_MEMORY, 'the memory does not fit in the VM\'s borrow window'));
  const need = s2TablePagesNeeded(hv.m.core, vm.s2Root, pages.map((pa) => ipaOfPage(vm, pa)));
  if (need > reservePagesLeft(hv.s)) return refuse(ffaError(NO_MEMORY, `the borrow window needs ${need} Stage-2 table pages; the hypervisor reserve has ${reservePagesLeft(hv.s)}`));
  const f = hv.s.ffa.vms[vm.id]!;
  // The op from the response's flags (the transaction type, DEN0077 v1.1 Table 10.13; the SPMC always sets it).
  const type = transactionTypeOf(tx.flags);
  if (type !== 'share' && type !== 'lend' && type !== 'donate') return refuse(ffaError(INVALID_PARAMETERS, 'the SPMC\'s retrieve response names no transaction type'));
  const op = type;
  if (op === 'donate' && pages.every((pa) => pa >= vm.backingPa && pa < vm.backingPa + vm.ramBytes)) {
    // A donate transfers ownership (DEN0077 v1.1): pages of the VM's own RAM are its own again, as before it gave them
    // away (its donate's record drops them), so it may share, lend or donate them on like any page it owns.
    hv.s.ffa.spShares = hv.s.ffa.spShares
      .map((x) => (x.vm === vm.id && x.op === 'donate' && x.missing === undefined ? { ...x, pages: x.pages.filter((pa) => !pages.includes(pa)) } : x))
      .filter((x) => x.pages.length > 0);
  } else {
    hv.s.ffa.spBorrows.push({ handle: hex64(handle), vm: vm.id, op, access: mine.permissions.dataAccess === FFA_DATA_ACCESS_RW || op === 'donate' ? 'rw' : 'ro', pages });
  }
  project(hv, pages);
  const layout = layoutOfVersion(f.version);
  const asSeen = relayout({ ...tx, attributes: { ...tx.attributes, security: 0 }, receivers: [mine], composite: { pageCount: tx.composite.pageCount, constituents: view } }, layout);
  const encoded = encodeTransaction(layout === 'v1.2' ? asSeen : { ...asSeen, receivers: asSeen.receivers.map((r) => ({ ...r, impdef: [0n, 0n] })) });
  const lengths = fragmentLengths(asSeen, encoded.length, bufferBytes(f.rxtx!));
  const split = lengths.ok ? lengths.value : [encoded.length];
  writeRx(hv, f, encoded.subarray(0, split[0]!));
  f.retrieve = split.length > 1 ? { handle: hex64(handle), permissions: encodePermissions(mine.permissions), delivered: split[0]!, response: hexBytes(encoded), fragmentLengths: split } : null;
  const first = split[0]!;
  return ffaMemRetrieveResp(encoded.length, first);
}

/** FFA_MEM_FRAG_RX from `vm` of an SPMC handle: the next fragment of the response it is being given. */
export function spBorrowFragRx(hv: Hv, vm: VmState, f: VmFfaState, x: readonly bigint[]): FfaResult {
  void vm;
  const a = decodeFragArgs(x);
  const reserved = checkFragArgsReserved(x);
  if (!reserved.ok) return reserved.error;
  if (a.endpoint !== 0) return ffaError(INVALID_PARAMETERS, 'w4[31:16] is for the hypervisor to name a VM; a VM passes 0');
  const pending = f.retrieve;
  if (!pending || pending.handle !== hex64(a.handle) || pending.response === undefined) return ffaError(INVALID_PARAMETERS, `FRAG_RX: no retrieve response of ${handleText(a.handle)} in progress`);
  if (a.value !== pending.delivered) return ffaError(INVALID_PARAMETERS, `fragment offset ${a.value}: ${pending.delivered} bytes were delivered so far`);
  if (f.rxFull) return ffaError(BUSY, 'the RX buffer is not free');
  const encoded = bytesOf(pending.response);
  // The next fragment's length (fragments end on constituent boundaries: fragments.ts).
  let at = 0;
  const n = (pending.fragmentLengths ?? [encoded.length]).find((l) => (at += l) > pending.delivered) ?? 0;
  writeRx(hv, f, encoded.subarray(pending.delivered, pending.delivered + n));
  pending.delivered += n;
  if (pending.delivered >= encoded.length) f.retrieve = null;
  const [lo, hi] = handleWords(a.handle);
  return ffaValue(F.FFA_MEM_FRAG_TX, [lo, hi, n, 0]);
}

/** FFA_MEM_RELINQUISH from `vm` of an SPMC handle (`rel` checked to name the VM alone). */
export function spRelinquish(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, rel: Relinquish): FfaResult | null {
  const key = hex64(rel.handle);
  const b = hv.s.ffa.spBorrows.find((x) => x.handle === key && x.vm === vm.id);
  if (!b) return ffaError(INVALID_PARAMETERS, `relinquish: ${handleText(rel.handle)} is no memory this VM retrieved from a partition`);
  if (f.retrieve?.handle === key) return ffaError(DENIED, `relinquish: the retrieve response of ${handleText(rel.handle)} is still being delivered`);
  if (b.op === 'donate') return ffaError(INVALID_PARAMETERS, `relinquish: ${handleText(rel.handle)} was a donate: the memory is the VM's`);
  // Out of the VM's Stage 2 first (TLBs invalidated), so it cannot touch the memory once the SPMC has it back.
  hv.s.ffa.spBorrows = hv.s.ffa.spBorrows.filter((x) => x !== b);
  project(hv, b.pages);
  hv.m.core.writePhys(hvBuffers(hv).txPa, encodeRelinquish({ handle: rel.handle, flags: rel.flags, endpoints: [ffaIdOfVm(vm.id)] }));
  return step(hv, cpu, vm, vc, 'sb-relinquish', [JSON.stringify(b)], [BigInt(F.FFA_MEM_RELINQUISH), 0n, 0n, 0n, 0n]);
}
