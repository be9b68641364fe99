// `hvrr fuzz ffa --vm`'s commands (fc.commands + fc.modelRun): each draws
// raw choices, resolves them against the model (which handle, which VM),
// predicts the answer (model.ts), makes the call as the VM would (world.ts:
// descriptor in its TX buffer, registers, the proxy's ffaCall) and checks
// the answer, the pages the call wrote and every invariant (invariants.ts).
import fc from 'fast-check';
import { FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_RECLAIM, FFA_MEM_RELINQUISH, FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_RETRIEVE_RESP, FFA_RX_RELEASE, FFA_RXTX_MAP_64, FFA_RXTX_UNMAP, FFA_SUCCESS_32 } from '../../core/ffa/functionIds.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../../core/ffa/result.js';
import { ATTRIBUTES_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED, FFA_INSTRUCTION_ACCESS_NX, FFA_INSTRUCTION_ACCESS_X } from '../../core/ffa/memory/attributes.js';
import { transactionTypeFlags } from '../../core/ffa/memory/flags.js';
import { handleText } from '../../core/ffa/memory/handle.js';
import { COMPOSITE_SIZE, CONSTITUENT_RESERVED, CONSTITUENT_SIZE, emadSize, headerSize, layoutOfVersion } from '../../core/ffa/memory/layout.js';
import { encodeRelinquish } from '../../core/ffa/memory/relinquish.js';
import type { SendOp } from '../../core/ffa/memory/rules.js';
import { buildTransaction, encodeTransaction, type Constituent } from '../../core/ffa/memory/transaction.js';
import { handleRegs, regs } from '../../core/spmc/portTesting.js';
import { codeText, constituentBytes, dataAccess, describeCmd, fault, handleOf, pickHandle, SEND_FID, sendBytes, type SendDefect } from '../ffa/commands.js';
import type { Expect, RetrieveSpec } from '../ffa/ledgerModel.js';
import { checkVmInvariants, refusalDigest } from './invariants.js';
import type { VmModel, VmSendSpec } from './model.js';
import { AREA_IPA, BEYOND_IPA, BIG_IPA, BIG_PAGES, BUFFER_IPAS, PAGE, RAM_BASE, RAM_LAST_IPA, UNMAPPED_IPA, VMS, otherVm, type VmWorld } from './world.js';

export type RangeKind = 'own' | 'theirs' | 'buffer' | 'unmapped' | 'edge' | 'beyond';
export type FragTxVariant = 'right' | 'bad-length' | 'wrong-sender' | 'overlap' | 'garbage' | 'unmapped' | 'too-long' | 'endpoint-bits' | 'reserved-bits';

export type VmCmd =
  | { k: 'send'; op: SendOp; fid64: boolean; vm: number; wrongSender: boolean; receiver: 'other' | 'self' | 'unknown' | 'partition'; access: 'ro' | 'rw'; ranges: { kind: RangeKind; i: number; count: number }[]; hold: number; clear: boolean; defect: SendDefect }
  | { k: 'huge'; vm: number; op: SendOp; access: 'ro' | 'rw'; descending: boolean; finish: boolean }
  | { k: 'fill'; vm: number; count: number }
  | { k: 'fragTx'; h: number; count: number; variant: FragTxVariant }
  | { k: 'retrieve'; h: number; b: number; coherent: boolean; access: 'ro' | 'rw'; variant: 'right' | 'wrong-sender' | 'wrong-tag' | 'fewer-receivers' | 'wrong-type' | 'exec' | 'no-instruction'; fid64: boolean }
  | { k: 'fragRx'; h: number; b: number; offsetDelta: number; release: boolean; variant: 'right' | 'endpoint-bits' | 'reserved-bits' }
  | { k: 'relinquish'; h: number; b: number; coherent: boolean; variant: 'right' | 'other-endpoint' | 'two' | 'none' | 'bad-flags'; clear: boolean }
  | { k: 'reclaim'; h: number; vm: number | null; flags: number }
  | { k: 'release'; vm: number }
  | { k: 'unmap'; vm: number; id: 0 | 1 | 2 }
  | { k: 'remap'; vm: number; tx: number; rx: number };

/** The world, what a sequence reached (coverage keys) and the clear flag of each send (zeroed at completion). */
export interface VmReal {
  w: VmWorld;
  covered: Set<string>;
  commands: number;
  clears: Map<bigint, boolean>;
  /** The ledger record and model moves when they last matched (invariants.ts). */
  checkedLedger: unknown;
  checkedModel: number;
  keys: Map<bigint, string>;
}

const vmOf = (n: number): number => VMS[n % VMS.length]!;

/** One call: predicted, made, compared; a refused call must write nothing (RAM, the proxy's record beyond an abandoned send). */
function call(m: VmModel, real: VmReal, kind: string, caller: number, x: bigint[], expect: Expect, tx?: Uint8Array, zeroed: readonly number[] = []): FfaResult {
  const w = real.w;
  const before = expect.code !== null ? refusalDigest(w, expect.abandons) : null;
  const { r, written } = w.call(caller, x, tx);
  const code = errorCodeOf(r);
  real.covered.add(`${kind} ${codeText(code)}`);
  if (code !== expect.code) fault(`${kind} by VM ${caller}: answered ${codeText(code)}, the model says ${codeText(expect.code)} (${expect.why})`);
  if (before !== null) {
    if (written.length > 0) fault(`${kind} by VM ${caller} was refused (${codeText(code)}) but wrote ${written.length} RAM page(s)`);
    if (refusalDigest(w) !== before) fault(`${kind} by VM ${caller} was refused (${codeText(code)}) but changed the proxy's record${expect.abandons !== undefined ? ' beyond abandoning its send' : ''}`);
    if (expect.abandons !== undefined) m.abandon(expect.abandons);
    return r;
  }
  checkWrites(m, real, kind, caller, written, zeroed);
  return r;
}

/** A successful call writes, of the VMs' RAM, only the caller's RX buffer and the pages it zeroes (which are zero then). */
function checkWrites(m: VmModel, real: VmReal, kind: string, caller: number, written: readonly number[], zeroed: readonly number[]): void {
  const rx = m.vm(caller).rxtx ? real.w.paOf(caller, m.vm(caller).rxtx!.rx) : -1;
  const cleared = new Set(zeroed);
  for (const p of written) {
    const pa = RAM_BASE + p * PAGE;
    if (!VMS.some((id) => m.ownRam(id, pa))) continue; // the hypervisor's reserve (Stage-2 tables)
    if (pa !== rx && !cleared.has(pa)) fault(`${kind} by VM ${caller} wrote PA 0x${pa.toString(16)}, neither its RX buffer nor a page it zeroes`);
  }
  for (const pa of zeroed) {
    if (real.w.m.core.readPhys(pa, PAGE).some((b) => b !== 0)) fault(`${kind} by VM ${caller}: PA 0x${pa.toString(16)} should be zeroed`);
  }
}

/** The RX buffer past a response's `length` bytes is zero. */
function checkRxTail(real: VmReal, caller: number, length: number, kind: string): void {
  const rx = real.w.rx(caller)!;
  if (length > PAGE || length <= 0) fault(`${kind}: a response fragment of ${length} bytes`);
  for (let i = length; i < rx.length; i++) if (rx[i] !== 0) fault(`${kind}: RX byte ${i} of VM ${caller} is 0x${rx[i]!.toString(16)} past the response's ${length} bytes`);
}

/** Coverage: a call naming a handle that was live once (reclaimed, or a donate completed): handles are never reused. */
function noteHandle(m: VmModel, real: VmReal, kind: string, handle: bigint): void {
  if (!m.txs.has(handle) && m.seen.includes(handle)) real.covered.add(`${kind} of a dead handle`);
}

/** A range of VM `id` of kind `g.kind`. */
function rangeOf(m: VmModel, id: number, g: { kind: RangeKind; i: number; count: number }): Constituent {
  const b = m.vm(id).rxtx;
  switch (g.kind) {
    case 'own': return { address: BigInt(AREA_IPA + (g.i % 8) * PAGE), pageCount: g.count };
    case 'theirs': return { address: BigInt(m.ipaOf(id, m.paOfArea(otherVm(id), g.i % 8))), pageCount: g.count };
    case 'buffer': return { address: BigInt(b ? (g.i % 2 ? b.rx : b.tx) : BUFFER_IPAS[g.i % 4]!), pageCount: 1 };
    case 'unmapped': return { address: BigInt(UNMAPPED_IPA), pageCount: g.count };
    case 'edge': return { address: BigInt(RAM_LAST_IPA), pageCount: 2 };
    case 'beyond': return { address: BigInt(BEYOND_IPA), pageCount: 2 };
  }
}

/** Makes one send (its first fragment) as `s` says; on success the model moves. */
function doSend(m: VmModel, real: VmReal, s: VmSendSpec, o: { fid64: boolean; defect: SendDefect }): void {
  const layout = layoutOfVersion(m.vm(s.caller).version);
  const bytes = sendBytes(s, layout, o.defect);
  const firstLength = bytes.length - CONSTITUENT_SIZE * (s.ranges.length - s.firstCount);
  const x = regs(SEND_FID[s.op][o.fid64 ? 1 : 0], o.defect === 'fragment-too-long' ? firstLength - 1 : bytes.length, firstLength, o.defect === 'address-in-x3' ? 0x1000 : 0, 0);
  const expect = m.predictSend(s);
  const complete = s.firstCount === s.ranges.length;
  const zeroed = expect.code === null && complete && s.clear ? m.zeroes(expect.phys!) : [];
  const r = call(m, real, `send-${s.op}`, s.caller, x, expect, bytes.subarray(0, firstLength), zeroed);
  if (expect.code !== null) return;
  const want = m.nextHandle();
  const fid = resultFid(r);
  if (complete ? fid !== FFA_SUCCESS_32 || handleOf(r, 2) !== want : fid !== FFA_MEM_FRAG_RX || handleOf(r, 1) !== want || wView(r, 3) !== firstLength) {
    fault(`send-${s.op}: answered 0x${fid.toString(16)} handle ${handleText(handleOf(r, complete ? 2 : 1))}, the model expects ${complete ? 'FFA_SUCCESS' : `FFA_MEM_FRAG_RX at offset ${firstLength}`} with handle ${handleText(want)}`);
  }
  real.clears.set(want, s.clear);
  m.commitSend({ ...s, ranges: [...expect.phys!, ...s.ranges.slice(s.firstCount)] });
}

function runSend(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'send' }>): void {
  const me = vmOf(c.vm);
  const receivers = c.receiver === 'other' ? [otherVm(me)] : c.receiver === 'self' ? [me] : c.receiver === 'unknown' ? [3] : [otherVm(me), 0x8001];
  const ranges = c.ranges.map((g) => rangeOf(m, me, g));
  if (c.defect === 'huge-range') ranges[0] = { address: ranges[0]!.address, pageCount: 0x10_0000 };
  if (c.defect === 'wrapping-range') ranges[0] = { address: 0xffff_ffff_ffff_f000n, pageCount: 2 };
  if (c.defect === 'overlapping-ranges') ranges.push({ address: ranges[0]!.address, pageCount: 1 });
  // older-layout: a v1.2 caller writes v1.1's EMADs (valid); every other caller its own layout.
  const decodeDefect = ['reserved-header', 'reserved-composite', 'reserved-constituent', 'bad-layout', 'duplicate-receiver', 'wrapping-range'].includes(c.defect) ? c.defect : null;
  const hold = c.defect === 'none' || c.defect === 'older-layout' ? Math.min(c.hold, ranges.length - 1) : 0;
  const s: VmSendSpec = {
    caller: me, op: c.op, sender: c.wrongSender ? otherVm(me) : me, receivers, access: c.access, ranges, firstCount: ranges.length - hold, clear: c.clear,
    nonZeroHandle: c.defect === 'non-zero-handle', decodeDefect, argsDefect: c.defect === 'address-in-x3' || c.defect === 'fragment-too-long',
  };
  doSend(m, real, s, c);
}

/** VM sends its 256-page area one constituent per page (descending: no two merge in the borrower's view), then FRAG_TX. */
function runHuge(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'huge' }>): void {
  const me = vmOf(c.vm);
  const layout = layoutOfVersion(m.vm(me).version);
  const room = PAGE - headerSize(layout) - emadSize(layout) - COMPOSITE_SIZE;
  const ranges = Array.from({ length: BIG_PAGES }, (_, i) => ({ address: BigInt(BIG_IPA + (c.descending ? BIG_PAGES - 1 - i : i) * PAGE), pageCount: 1 }));
  const s: VmSendSpec = { caller: me, op: c.op, sender: me, receivers: [otherVm(me)], access: c.access, ranges, firstCount: Math.floor(room / CONSTITUENT_SIZE), clear: false, nonZeroHandle: false, decodeDefect: null, argsDefect: false };
  const handle = m.nextHandle();
  doSend(m, real, s, { fid64: false, defect: 'none' });
  if (c.finish && m.txs.get(handle)?.pending.length) runFragTx(m, real, { k: 'fragTx', h: 0, count: 0, variant: 'right' }, handle);
}

/** VM shares `count` single pages of its big area with the other VM, one send each (until the share table is full). */
function runFill(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'fill' }>): void {
  const me = vmOf(c.vm);
  let page = 0;
  for (let n = 0; n < c.count; n++) {
    while (page < BIG_PAGES && m.page(BigInt(real.w.paOf(me, BIG_IPA + page * PAGE))).handle !== null) page++;
    if (page >= BIG_PAGES) return;
    const s: VmSendSpec = { caller: me, op: 'share', sender: me, receivers: [otherVm(me)], access: 'rw', ranges: [{ address: BigInt(BIG_IPA + page * PAGE), pageCount: 1 }], firstCount: 1, clear: false, nonZeroHandle: false, decodeDefect: null, argsDefect: false };
    doSend(m, real, s, { fid64: false, defect: 'none' });
    page++;
  }
}

function runFragTx(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'fragTx' }>, which?: bigint): void {
  const open = [...m.txs.values()].filter((t) => t.pending.length > 0).map((t) => t.handle);
  const handle = which ?? pickHandle(m, c.h, open.length > 0 ? open : undefined);
  const t = m.txs.get(handle);
  const sender = t?.sender ?? vmOf(c.h);
  const caller = c.variant === 'wrong-sender' ? otherVm(sender) : sender;
  // The sender's own IPAs of what is pending (the model keeps PAs of what was received, IPAs of what is to come).
  const pending = t?.pending ?? [{ address: BigInt(AREA_IPA + (c.count % 8) * PAGE), pageCount: 1 }];
  let more = c.count === 0 ? pending : pending.slice(0, Math.max(1, c.count % (pending.length + 1)));
  if (c.variant === 'overlap') more = [t && t.received.length > 0 ? { address: BigInt(m.ipaOf(sender, Number(t.received[0]!.address))), pageCount: t.received[0]!.pageCount } : pending[0]!];
  if (c.variant === 'unmapped') more = [{ address: BigInt(UNMAPPED_IPA), pageCount: 1 }, ...more.slice(1)];
  let bytes = constituentBytes(more);
  if (c.variant === 'garbage') bytes[CONSTITUENT_RESERVED] = 0xff;
  if (c.variant === 'bad-length') bytes = bytes.subarray(0, bytes.length - 8);
  const length = c.variant === 'too-long' ? PAGE + CONSTITUENT_SIZE : bytes.length;
  const w4 = c.variant === 'endpoint-bits' ? caller << 16 : c.variant === 'reserved-bits' ? 1 : 0;
  const expect = m.predictFragTx(caller, handle, more, { reservedBits: c.variant === 'reserved-bits', endpointBits: c.variant === 'endpoint-bits', length, garbage: c.variant === 'garbage' });
  const complete = t !== undefined && more.length === t.pending.length;
  const zeroed = expect.code === null && complete && real.clears.get(handle) ? m.zeroes([...t.received, ...expect.phys!]) : [];
  const r = call(m, real, 'frag-tx', caller, regs(FFA_MEM_FRAG_TX, ...handleRegs(handle), length, w4), expect, bytes, zeroed);
  if (expect.code !== null) return;
  const fid = resultFid(r);
  if (complete ? fid !== FFA_SUCCESS_32 || handleOf(r, 2) !== handle : fid !== FFA_MEM_FRAG_RX || handleOf(r, 1) !== handle) fault(`frag-tx: answered 0x${fid.toString(16)}, the model expects ${complete ? 'FFA_SUCCESS' : 'FFA_MEM_FRAG_RX'} for ${handleText(handle)}`);
  m.commitFragTx(handle, expect.phys!);
}

/** FFA_RX_RELEASE by `caller` when its RX buffer is full (a coherent retrieve or FRAG_RX frees it first). */
function releaseRx(m: VmModel, real: VmReal, caller: number): void {
  if (!m.vm(caller).rxFull) return;
  runBuffers(m, real, { k: 'release', vm: caller - 1 });
}

function runRetrieve(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'retrieve' }>): void {
  const open = [...m.txs.values()].filter((t) => t.pending.length === 0 && t.borrowers.some((b) => b.granted === null));
  const handle = pickHandle(m, c.h, c.coherent && open.length > 0 ? open.map((t) => t.handle) : undefined);
  const t = m.txs.get(handle);
  const caller = c.coherent && t ? t.receivers[c.b % t.receivers.length]! : vmOf(c.b);
  if (c.coherent) releaseRx(m, real, caller);
  let receivers = t ? [...t.receivers] : [caller];
  if (c.variant === 'fewer-receivers') receivers = receivers.slice(0, -1);
  const op = t?.op ?? 'lend';
  const exclusive = op === 'donate' || (op === 'lend' && receivers.length === 1);
  const instruction = c.variant === 'exec' ? 'x' : c.variant === 'no-instruction' ? 'unspecified' : exclusive ? 'nx' : 'unspecified';
  const spec: RetrieveSpec = {
    caller, handle, sender: c.variant === 'wrong-sender' ? caller : (t?.sender ?? otherVm(caller)), receivers, access: c.access, instruction,
    type: c.variant === 'wrong-type' ? (op === 'share' ? 'lend' : 'share') : null, tag: c.variant === 'wrong-tag' ? 7n : 0n,
  };
  const layout = layoutOfVersion(m.vm(caller).version);
  const bytes = encodeTransaction(buildTransaction({
    layout, sender: spec.sender, attributes: ATTRIBUTES_NOT_SPECIFIED, flags: spec.type ? transactionTypeFlags(spec.type) : 0, handle, tag: spec.tag,
    receivers: receivers.map((receiver) => ({ receiver, permissions: { dataAccess: dataAccess(c.access), instructionAccess: instruction === 'x' ? FFA_INSTRUCTION_ACCESS_X : instruction === 'nx' ? FFA_INSTRUCTION_ACCESS_NX : FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED } })),
  }));
  const expect = m.predictRetrieve(spec);
  noteHandle(m, real, 'retrieve', handle);
  if (t && t.access !== 'none' && t.access !== c.access) real.covered.add(`retrieve ${c.access === 'rw' ? 'more' : 'less'} access than sent ${codeText(expect.code)}`);
  const r = call(m, real, 'retrieve', caller, regs(c.fid64 ? FFA_MEM_RETRIEVE_REQ_64 : FFA_MEM_RETRIEVE_REQ_32, bytes.length, bytes.length, 0, 0), expect, bytes);
  if (expect.code !== null) return;
  const totalBytes = wView(r, 1);
  const first = wView(r, 2);
  const want = m.responseBytes(caller, handle);
  if (resultFid(r) !== FFA_MEM_RETRIEVE_RESP || totalBytes !== want || first > totalBytes) fault(`retrieve: answered 0x${resultFid(r).toString(16)} with ${totalBytes}/${first} bytes, the model expects FFA_MEM_RETRIEVE_RESP of ${want} bytes`);
  checkRxTail(real, caller, first, 'retrieve');
  m.commitRetrieve(caller, handle, c.access, totalBytes, first);
}

function runFragRx(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'fragRx' }>): void {
  const fetching = [...m.vms.values()].map((v) => v.delivering).filter((h): h is bigint => h !== null);
  const handle = pickHandle(m, c.h, fetching.length > 0 ? fetching : undefined);
  const waiting = VMS.filter((id) => m.vm(id).delivering === handle);
  const caller = waiting.length > 0 ? waiting[c.b % waiting.length]! : vmOf(c.b);
  if (c.release) releaseRx(m, real, caller);
  const fetched = m.txs.get(handle)?.borrowers.find((b) => b.id === caller)?.fetched ?? 0;
  const offset = Math.max(0, fetched + c.offsetDelta);
  const flags = { reservedBits: c.variant === 'reserved-bits', endpointBits: c.variant === 'endpoint-bits' };
  const expect = m.predictFragRx(caller, handle, offset, flags);
  const r = call(m, real, 'frag-rx', caller, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), offset, flags.endpointBits ? caller << 16 : flags.reservedBits ? 1 : 0), expect);
  if (expect.code !== null) return;
  const who = expect.who!;
  const length = wView(r, 3);
  if (resultFid(r) !== FFA_MEM_FRAG_TX || handleOf(r, 1) !== handle || length <= 0 || length > Math.min(who.total - who.fetched, PAGE)) {
    fault(`frag-rx: answered 0x${resultFid(r).toString(16)} with ${length} bytes, the model expects FFA_MEM_FRAG_TX with at most ${Math.min(who.total - who.fetched, PAGE)} bytes`);
  }
  checkRxTail(real, caller, length, 'frag-rx');
  m.commitFragRx(caller, handle, who, length);
}

function runRelinquish(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'relinquish' }>): void {
  const holding = [...m.txs.values()].filter((t) => t.borrowers.some((b) => b.granted !== null));
  const handle = pickHandle(m, c.h, c.coherent && holding.length > 0 ? holding.map((t) => t.handle) : undefined);
  const t = m.txs.get(handle);
  const granted = t?.borrowers.filter((b) => b.granted !== null) ?? [];
  const caller = c.coherent && granted.length > 0 ? granted[c.b % granted.length]!.id : vmOf(c.b);
  const endpoints = c.variant === 'other-endpoint' ? [otherVm(caller)] : c.variant === 'two' ? [caller, otherVm(caller)] : c.variant === 'none' ? [] : [caller];
  const flags = (c.clear ? 1 : 0) | (c.variant === 'bad-flags' ? 4 : 0);
  const expect = m.predictRelinquish(caller, handle, endpoints, flags);
  noteHandle(m, real, 'relinquish', handle);
  if (t && !t.borrowers.some((b) => b.id === caller)) real.covered.add(`relinquish by a non-borrower ${codeText(expect.code)}`);
  const zeroed = expect.code === null && c.clear ? m.zeroes(t!.received) : [];
  call(m, real, 'relinquish', caller, regs(FFA_MEM_RELINQUISH), expect, encodeRelinquish({ handle, flags, endpoints }), zeroed);
  if (expect.code !== null) return;
  m.commitRelinquish(caller, handle);
}

function runReclaim(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'reclaim' }>): void {
  const handle = pickHandle(m, c.h);
  const t = m.txs.get(handle);
  const caller = c.vm === null ? (t?.sender ?? vmOf(c.h)) : vmOf(c.vm);
  const expect = m.predictReclaim(caller, handle, c.flags);
  noteHandle(m, real, 'reclaim', handle);
  if (t && t.sender !== caller) real.covered.add(`reclaim by another VM ${codeText(expect.code)}`);
  const zeroed = expect.code === null && (c.flags & 1) !== 0 ? m.zeroes(t!.received) : [];
  call(m, real, 'reclaim', caller, regs(FFA_MEM_RECLAIM, ...handleRegs(handle), c.flags), expect, undefined, zeroed);
  if (expect.code !== null) return;
  m.commitReclaim(handle);
}

/** RX/TX candidates: the four buffer pages, then the first small pages (which may be in a transaction). */
const mapCandidate = (i: number): number => (i < 4 ? BUFFER_IPAS[i]! : AREA_IPA + ((i - 4) % 8) * PAGE);

function runBuffers(m: VmModel, real: VmReal, c: Extract<VmCmd, { k: 'release' | 'unmap' | 'remap' }>): void {
  const me = vmOf(c.vm);
  const v = m.vm(me);
  if (c.k === 'release') {
    const expect = m.predictRxRelease(me);
    call(m, real, 'release', me, regs(FFA_RX_RELEASE), expect);
    if (expect.code === null) v.rxFull = false;
  } else if (c.k === 'unmap') {
    const id = c.id === 0 ? 0 : c.id === 1 ? me : otherVm(me);
    const expect = m.predictUnmap(me, id);
    call(m, real, 'unmap', me, regs(FFA_RXTX_UNMAP, id << 16), expect);
    if (expect.code === null) Object.assign(v, { rxtx: null, rxFull: false });
  } else {
    const tx = mapCandidate(c.tx);
    const rx = mapCandidate(c.rx);
    const expect = m.predictMap(me, tx, rx);
    call(m, real, 'remap', me, regs(FFA_RXTX_MAP_64, tx, rx, 1), expect);
    if (expect.code === null) Object.assign(v, { rxtx: { tx, rx }, rxFull: false });
  }
}

export function runVmCmd(m: VmModel, real: VmReal, c: VmCmd): void {
  real.commands++;
  switch (c.k) {
    case 'send': runSend(m, real, c); break;
    case 'huge': runHuge(m, real, c); break;
    case 'fill': runFill(m, real, c); break;
    case 'fragTx': runFragTx(m, real, c); break;
    case 'retrieve': runRetrieve(m, real, c); break;
    case 'fragRx': runFragRx(m, real, c); break;
    case 'relinquish': runRelinquish(m, real, c); break;
    case 'reclaim': runReclaim(m, real, c); break;
    default: runBuffers(m, real, c);
  }
  const broken = checkVmInvariants(m, real);
  if (broken) fault(`after ${describeCmd(c)}: ${broken}`);
}

export class VmCommand implements fc.Command<VmModel, VmReal> {
  constructor(readonly c: VmCmd) {}
  /** A coherent command needs something to act on; the others run whatever the state. */
  check(m: Readonly<VmModel>): boolean {
    const c = this.c;
    const txs = [...m.txs.values()];
    switch (c.k) {
      case 'retrieve': return !c.coherent || txs.some((t) => t.pending.length === 0 && t.borrowers.some((b) => b.granted === null));
      case 'relinquish': return !c.coherent || txs.some((t) => t.borrowers.some((b) => b.granted !== null));
      case 'fragRx': return !c.release || [...m.vms.values()].some((v) => v.delivering !== null);
      case 'fragTx': return c.variant !== 'right' || txs.some((t) => t.pending.length > 0);
      default: return true;
    }
  }
  run(m: VmModel, r: VmReal): void {
    runVmCmd(m, r, this.c);
  }
  toString(): string {
    return describeCmd(this.c);
  }
}

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const likely = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const rarely = fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const ro = pick(['ro', 'rw'] as const);
const handleIx = fc.nat(255);
const vmIx = fc.nat(1);
const defects: readonly SendDefect[] = ['older-layout', 'reserved-header', 'reserved-composite', 'reserved-constituent', 'bad-layout', 'duplicate-receiver', 'wrapping-range', 'address-in-x3', 'fragment-too-long', 'non-zero-handle', 'huge-range', 'overlapping-ranges'];
const rangeKind = fc.oneof({ weight: 12, arbitrary: fc.constant<RangeKind>('own') }, { weight: 3, arbitrary: fc.constant<RangeKind>('theirs') }, { weight: 1, arbitrary: pick<RangeKind>(['buffer', 'unmapped', 'edge', 'beyond']) });

const cmdArb: fc.Arbitrary<VmCmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    k: fc.constant('send' as const), op: pick(['share', 'lend', 'donate'] as const), fid64: fc.boolean(), vm: vmIx, wrongSender: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    receiver: fc.oneof({ weight: 15, arbitrary: fc.constant('other' as const) }, { weight: 1, arbitrary: pick(['self', 'unknown', 'partition'] as const) }), access: ro,
    ranges: fc.array(fc.record({ kind: rangeKind, i: fc.nat(31), count: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 3 }) }) }), { minLength: 1, maxLength: 3 }),
    hold: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }), clear: rarely,
    defect: fc.oneof({ weight: 12, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: pick(defects) }),
  }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('huge' as const), vm: vmIx, op: pick(['share', 'lend', 'donate'] as const), access: ro, descending: fc.boolean(), finish: likely }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fill' as const), vm: vmIx, count: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }) }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fragTx' as const), h: handleIx, count: fc.nat(3), variant: fc.oneof({ weight: 6, arbitrary: fc.constant<FragTxVariant>('right') }, { weight: 1, arbitrary: pick<FragTxVariant>(['bad-length', 'wrong-sender', 'overlap', 'garbage', 'unmapped', 'too-long', 'endpoint-bits', 'reserved-bits']) }) }) },
  { weight: 7, arbitrary: fc.record({ k: fc.constant('retrieve' as const), h: handleIx, b: fc.nat(7), coherent: likely, access: ro, variant: fc.oneof({ weight: 8, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: pick(['wrong-sender', 'wrong-tag', 'fewer-receivers', 'wrong-type', 'exec', 'no-instruction'] as const) }), fid64: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fragRx' as const), h: handleIx, b: fc.nat(7), offsetDelta: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -4096, max: 4096 }) }), release: likely, variant: fc.oneof({ weight: 8, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: pick(['endpoint-bits', 'reserved-bits'] as const) }) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('relinquish' as const), h: handleIx, b: fc.nat(7), coherent: likely, variant: fc.oneof({ weight: 8, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: pick(['other-endpoint', 'two', 'none', 'bad-flags'] as const) }), clear: rarely }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('reclaim' as const), h: handleIx, vm: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: vmIx }), flags: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: pick([1, 2, 4]) }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('release' as const), vm: vmIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unmap' as const), vm: vmIx, id: pick([0, 0, 1, 2] as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('remap' as const), vm: vmIx, tx: fc.nat(7), rx: fc.nat(7) }) },
);

/** Commands of one sequence. */
export const vmCommandArb = cmdArb.map((c) => new VmCommand(c), (v) => (v as VmCommand).c);
