// `hvrr fuzz ffa`'s commands (fast-check model-based testing: fc.commands +
// fc.modelRun): each draws raw choices, resolves them against the model
// (which handle, which borrower), predicts the answer (model.ts), makes the
// real call (handleMemoryCall over the real ledger, world.ts) and checks
// the answer, the model's move and every invariant (invariants.ts).
import fc from 'fast-check';
import { FFA_MEM_DONATE_32, FFA_MEM_DONATE_64, FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_LEND_32, FFA_MEM_LEND_64, FFA_MEM_RECLAIM, FFA_MEM_RELINQUISH, FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_RETRIEVE_RESP, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_SUCCESS_32, FFA_VERSION_1_0 } from '../../core/ffa/functionIds.js';
import { errorCodeOf, resultFid, wView, type FfaResult } from '../../core/ffa/result.js';
import { endpointText, isSecureEndpoint } from '../../core/ffa/endpoints.js';
import {
  ATTRIBUTES_NOT_SPECIFIED, FFA_DATA_ACCESS_NOT_SPECIFIED, FFA_DATA_ACCESS_RO, FFA_DATA_ACCESS_RW, FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED,
  FFA_INSTRUCTION_ACCESS_NX, FFA_INSTRUCTION_ACCESS_X, NORMAL_WRITE_BACK_INNER,
} from '../../core/ffa/memory/attributes.js';
import { transactionTypeFlags } from '../../core/ffa/memory/flags.js';
import { handleText } from '../../core/ffa/memory/handle.js';
import { COMPOSITE_RESERVED, COMPOSITE_SIZE, CONSTITUENT_RESERVED, CONSTITUENT_SIZE, FFA_PAGE_SIZE, HEADER_RESERVED_0_V1_0, HEADER_RESERVED_V1_1, emadSize, headerSize, layoutOfVersion, type MemLayout } from '../../core/ffa/memory/layout.js';
import { encodeRelinquish } from '../../core/ffa/memory/relinquish.js';
import type { SendOp } from '../../core/ffa/memory/rules.js';
import { buildTransaction, compositeOffsetOf, encodeTransaction, type Constituent } from '../../core/ffa/memory/transaction.js';
import { handleMemoryCall } from '../../core/spmc/memoryAbi.js';
import { handleRegs, regs } from '../../core/spmc/portTesting.js';
import { checkInvariants, stateDigest } from './invariants.js';
import type { LedgerModel } from './ledgerModel.js';
import { FfaModel, pagesOf, type Expect, type RetrieveSpec, type SendSpec } from './model.js';
import { BIG_PAGES, bigPage, CALLERS, callerOf, ENDPOINTS, ownPages, SMALL_PAGES, SP1, SP2, SP3, UNKNOWN_SP, type RealWorld } from './world.js';

export type SendDefect = 'none' | 'older-layout' | 'reserved-header' | 'reserved-composite' | 'reserved-constituent' | 'bad-layout' | 'duplicate-receiver' | 'wrapping-range' | 'address-in-x3' | 'fragment-too-long' | 'non-zero-handle' | 'huge-range' | 'overlapping-ranges';

export type Cmd =
  | { k: 'send'; op: SendOp; fid64: boolean; sender: number; wrongCaller: boolean; coherent: boolean; receivers: number[]; access: 'ro' | 'rw'; ranges: { own: boolean; i: number; count: number }[]; hold: number; clear: boolean; defect: SendDefect; toctou: boolean }
  | { k: 'huge'; op: 'share' | 'lend'; receivers: number[]; access: 'ro' | 'rw'; finish: boolean }
  | { k: 'fill'; count: number }
  | { k: 'fragTx'; h: number; count: number; variant: 'right' | 'bad-length' | 'wrong-sender' | 'overlap' | 'garbage'; toctou: boolean }
  | { k: 'retrieve'; h: number; b: number; coherent: boolean; access: 'ro' | 'rw'; variant: 'right' | 'wrong-sender' | 'wrong-tag' | 'fewer-receivers' | 'wrong-type' | 'exec'; fid64: boolean; toctou: boolean }
  | { k: 'fragRx'; h: number; b: number; offsetDelta: number; release: boolean }
  | { k: 'relinquish'; h: number; b: number; coherent: boolean; other: boolean; clear: boolean; toctou: boolean }
  | { k: 'reclaim'; h: number; caller: number | null; flags: number }
  | { k: 'release'; c: number }
  | { k: 'unmap'; c: number }
  | { k: 'remap'; c: number }
  /** The partitions' page-table memory runs out (or is back). */
  | { k: 'tables'; exhausted: boolean };

/** The model, the real world and what a sequence reached (coverage keys). */
export interface Real {
  w: RealWorld;
  covered: Set<string>;
  /** Commands run (for the benchmark's commands per second). */
  commands: number;
}

export const SEND_FID: Record<SendOp, [number, number]> = { share: [FFA_MEM_SHARE_32, FFA_MEM_SHARE_64], lend: [FFA_MEM_LEND_32, FFA_MEM_LEND_64], donate: [FFA_MEM_DONATE_32, FFA_MEM_DONATE_64] };
const CODE_NAMES: Record<number, string> = { [-1]: 'NOT_SUPPORTED', [-2]: 'INVALID_PARAMETERS', [-3]: 'NO_MEMORY', [-4]: 'BUSY', [-6]: 'DENIED', [-7]: 'RETRY', [-8]: 'ABORTED' };
export const codeText = (c: number | null): string => (c === null ? 'success' : (CODE_NAMES[c] ?? String(c)));
export const handleOf = (r: FfaResult, loWord: number): bigint => (BigInt(wView(r, loWord + 1)) << 32n) | BigInt(wView(r, loWord));
export const dataAccess = (a: 'ro' | 'rw'): number => (a === 'ro' ? FFA_DATA_ACCESS_RO : FFA_DATA_ACCESS_RW);

class Violation extends Error {}

export function fault(message: string): never {
  throw new Violation(message);
}

/** A handle for a command: mostly a live one, sometimes one seen before (reclaimed, donated) or bogus. */
export function pickHandle(m: LedgerModel, h: number, among?: bigint[]): bigint {
  const live = among ?? [...m.txs.keys()];
  if (h % 8 !== 7 && live.length > 0) return live[(h >> 3) % live.length]!;
  const pool = [...m.seen, 0x7777n, 1n << 63n];
  return pool[(h >> 3) % pool.length]!;
}

/** One call: predicted, made, compared; a refused call must leave every piece of state as it was. */
function call(m: FfaModel, real: Real, kind: string, caller: number, x: bigint[], expect: Expect, toctou = false): FfaResult {
  const w = real.w;
  const before = expect.code !== null ? stateDigest(w, expect.abandons) : null;
  const reads = w.port.txReads;
  w.port.scribbleAfterRead = toctou;
  const r = handleMemoryCall(w.ledger, w.port, caller, x);
  w.port.scribbleAfterRead = false;
  if (w.port.txReads - reads > 1) fault(`${kind}: the TX buffer was read ${w.port.txReads - reads} times (a descriptor is copied once)`);
  const code = errorCodeOf(r);
  real.covered.add(`${kind} ${codeText(code)}`);
  if (code !== expect.code) fault(`${kind} by ${endpointText(caller)}: answered ${codeText(code)}${r.reason ? ` (${r.reason})` : ''}, the model says ${codeText(expect.code)} (${expect.why})`);
  if (before !== null) {
    if (stateDigest(w) !== before) fault(`${kind} by ${endpointText(caller)} was refused (${codeText(code)}) but changed state${expect.abandons !== undefined ? ' beyond abandoning its send' : ''}`);
    if (expect.abandons !== undefined) m.abandon(expect.abandons);
  }
  return r;
}

/** The RX buffer past a response's `length` bytes is zero. */
function checkRxTail(real: Real, caller: number, length: number, kind: string): void {
  const rx = real.w.port.endpoints.get(caller)!.rx;
  if (length > FFA_PAGE_SIZE || length <= 0) fault(`${kind}: a response fragment of ${length} bytes`);
  for (let i = length; i < rx.length; i++) if (rx[i] !== 0) fault(`${kind}: RX byte ${i} of ${endpointText(caller)} is 0x${rx[i]!.toString(16)} past the response's ${length} bytes`);
}

function layoutOf(real: Real, caller: number): MemLayout {
  return layoutOfVersion(real.w.versions.get(caller)!);
}

export function sendBytes(s: SendSpec, layout: MemLayout, defect: SendDefect): Uint8Array {
  const typed = s.op === 'share' || (s.op === 'lend' && s.receivers.length > 1);
  const receivers = defect === 'duplicate-receiver' ? [s.receivers[0]!, ...s.receivers] : s.receivers;
  const tx = buildTransaction({
    // A v1.2 caller may still write v1.1's 16-byte EMADs (valid); any other layout than the caller's is not.
    layout: defect === 'bad-layout' ? (layout === 'v1.0' ? 'v1.1' : 'v1.0') : defect === 'older-layout' && layout === 'v1.2' ? 'v1.1' : layout,
    sender: s.sender,
    attributes: typed ? NORMAL_WRITE_BACK_INNER : ATTRIBUTES_NOT_SPECIFIED,
    flags: s.clear ? 1 : 0,
    handle: s.nonZeroHandle ? 0x55n : 0n,
    receivers: receivers.map((receiver) => ({ receiver, permissions: { dataAccess: s.op === 'donate' ? FFA_DATA_ACCESS_NOT_SPECIFIED : dataAccess(s.access), instructionAccess: FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED } })),
    constituents: s.ranges,
  });
  const bytes = encodeTransaction(tx);
  const composite = compositeOffsetOf(tx);
  if (defect === 'reserved-header') bytes[layout === 'v1.0' ? HEADER_RESERVED_0_V1_0 : HEADER_RESERVED_V1_1 + 4] = 1;
  if (defect === 'reserved-composite') bytes[composite + COMPOSITE_RESERVED] = 1;
  if (defect === 'reserved-constituent') bytes[composite + COMPOSITE_SIZE + CONSTITUENT_RESERVED] = 1;
  return bytes;
}

/** Makes one send (its first fragment) as `s` says, with the model's verdict checked. */
function doSend(m: FfaModel, real: Real, s: SendSpec, o: { fid64: boolean; defect: SendDefect; toctou: boolean }): void {
  const w = real.w;
  const bytes = sendBytes(s, layoutOf(real, s.caller), o.defect);
  const firstLength = bytes.length - CONSTITUENT_SIZE * (s.ranges.length - s.firstCount);
  if (m.mapped(s.caller)) w.port.writeTx(s.caller, bytes.subarray(0, firstLength));
  const x = regs(SEND_FID[s.op][o.fid64 ? 1 : 0], o.defect === 'fragment-too-long' ? firstLength - 1 : bytes.length, firstLength, o.defect === 'address-in-x3' ? 0x1000 : 0, 0);
  const expect = m.predictSend(s);
  const r = call(m, real, `send-${s.op}`, s.caller, x, expect, o.toctou);
  if (expect.code !== null) return;
  const complete = s.firstCount === s.ranges.length;
  const want = m.nextHandle();
  const fid = resultFid(r);
  if (complete ? fid !== FFA_SUCCESS_32 || handleOf(r, 2) !== want : fid !== FFA_MEM_FRAG_RX || handleOf(r, 1) !== want || wView(r, 3) !== firstLength) {
    fault(`send-${s.op}: answered 0x${fid.toString(16)} handle ${handleText(handleOf(r, complete ? 2 : 1))}, the model expects ${complete ? 'FFA_SUCCESS' : `FFA_MEM_FRAG_RX at offset ${firstLength}`} with handle ${handleText(want)}`);
  }
  m.commitSend(s);
}

function runSend(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'send' }>): bigint[] {
  const sender = ENDPOINTS[c.sender % ENDPOINTS.length]!;
  const own = callerOf(sender);
  // Another caller than the sender's own: a partition sending as someone else, or the Normal world as a partition.
  const others = CALLERS.filter((x) => x !== own);
  const caller = c.wrongCaller ? others[c.sender % others.length]! : own;
  let receivers = c.receivers.map((i) => (i >= ENDPOINTS.length ? UNKNOWN_SP : ENDPOINTS[i]!));
  if (c.coherent) {
    receivers = receivers.filter((r) => r !== sender && r !== UNKNOWN_SP && (isSecureEndpoint(r) || (c.op === 'share' && !isSecureEndpoint(sender))));
    if (!receivers.some(isSecureEndpoint)) receivers.push(sender === SP1 ? SP3 : SP1);
    if (c.op === 'donate') receivers = receivers.filter(isSecureEndpoint).slice(0, 1);
  }
  const mine = ownPages(sender);
  const ranges: Constituent[] = c.ranges.map((g) => {
    const pool = g.own ? mine : SMALL_PAGES;
    return { address: pool[g.i % pool.length]!, pageCount: g.count };
  });
  if (c.defect === 'huge-range') ranges[0] = { address: ranges[0]!.address, pageCount: 0x10_0000 };
  if (c.defect === 'wrapping-range') ranges[0] = { address: 0xffff_ffff_ffff_f000n, pageCount: 2 };
  if (c.defect === 'overlapping-ranges') ranges.push({ address: ranges[0]!.address, pageCount: 1 });
  const decodeDefect = ['reserved-header', 'reserved-composite', 'reserved-constituent', 'bad-layout', 'duplicate-receiver', 'wrapping-range', 'address-in-x3', 'fragment-too-long'].includes(c.defect) ? c.defect : null;
  const hold = c.defect === 'none' || c.defect === 'older-layout' ? Math.min(c.hold, ranges.length - 1) : 0;
  const s: SendSpec = { caller, op: c.op, sender, receivers, access: c.access, ranges, firstCount: ranges.length - hold, clear: c.clear, nonZeroHandle: c.defect === 'non-zero-handle', decodeDefect };
  doSend(m, real, s, c);
  return ranges.flatMap((k) => [...pagesOf([{ address: k.address, pageCount: Math.min(k.pageCount, 4) }])]);
}

/** SP2 sends one constituent per page of its large region: a descriptor past one TX buffer, then FRAG_TX. */
function runHuge(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'huge' }>): void {
  const receivers = c.receivers.length > 0 ? c.receivers.map((i) => [SP1, SP3][i % 2]!) : [SP1];
  const unique = [...new Set(receivers)];
  const layout = layoutOf(real, SP2);
  const room = FFA_PAGE_SIZE - headerSize(layout) - unique.length * emadSize(layout) - COMPOSITE_SIZE;
  const ranges = Array.from({ length: BIG_PAGES }, (_, i) => ({ address: bigPage(i), pageCount: 1 }));
  const s: SendSpec = { caller: SP2, op: c.op, sender: SP2, receivers: unique, access: c.access, ranges, firstCount: Math.floor(room / CONSTITUENT_SIZE), clear: false, nonZeroHandle: false, decodeDefect: null };
  const handle = m.nextHandle();
  doSend(m, real, s, { fid64: false, defect: 'none', toctou: false });
  if (c.finish && m.txs.get(handle)?.pending.length) runFragTx(m, real, { k: 'fragTx', h: 0, count: 0, variant: 'right', toctou: false }, handle);
}

/** SP2 shares `count` single pages of its large region with SP1, one send each (until the share table is full). */
function runFill(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'fill' }>): void {
  let page = 3;
  for (let n = 0; n < c.count; n++) {
    while (page < BIG_PAGES && m.page(bigPage(page)).handle !== null) page++;
    if (page >= BIG_PAGES) return;
    const s: SendSpec = { caller: SP2, op: 'share', sender: SP2, receivers: [SP1], access: 'rw', ranges: [{ address: bigPage(page), pageCount: 1 }], firstCount: 1, clear: false, nonZeroHandle: false, decodeDefect: null };
    doSend(m, real, s, { fid64: false, defect: 'none', toctou: false });
    page++;
  }
}

export function constituentBytes(ranges: readonly Constituent[]): Uint8Array {
  const bytes = new Uint8Array(CONSTITUENT_SIZE * ranges.length);
  const dv = new DataView(bytes.buffer);
  ranges.forEach((k, i) => {
    dv.setBigUint64(CONSTITUENT_SIZE * i, k.address, true);
    dv.setUint32(CONSTITUENT_SIZE * i + 8, k.pageCount, true);
  });
  return bytes;
}

function runFragTx(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'fragTx' }>, which?: bigint): void {
  const open = [...m.txs.values()].filter((t) => t.pending.length > 0).map((t) => t.handle);
  const handle = which ?? pickHandle(m, c.h, open.length > 0 ? open : undefined);
  const t = m.txs.get(handle);
  const sender = t?.sender ?? SP1;
  let caller = callerOf(sender);
  if (c.variant === 'wrong-sender') caller = sender === SP1 ? SP3 : SP1;
  const pending = t?.pending ?? [{ address: SMALL_PAGES[c.count % SMALL_PAGES.length]!, pageCount: 1 }];
  let more = c.count === 0 ? pending : pending.slice(0, Math.max(1, c.count % (pending.length + 1)));
  if (c.variant === 'overlap') more = [t?.received[0] ?? pending[0]!];
  let bytes = constituentBytes(more);
  if (c.variant === 'garbage') bytes[CONSTITUENT_RESERVED] = 0xff;
  if (c.variant === 'bad-length') bytes = bytes.subarray(0, bytes.length - 8);
  if (m.mapped(caller)) real.w.port.writeTx(caller, bytes);
  const expect = m.predictFragTx(caller, handle, more, { badLength: c.variant === 'bad-length', garbage: c.variant === 'garbage' });
  const r = call(m, real, 'frag-tx', caller, regs(FFA_MEM_FRAG_TX, ...handleRegs(handle), bytes.length, 0), expect, c.toctou);
  if (expect.code !== null) return;
  const complete = more.length === t!.pending.length;
  const fid = resultFid(r);
  if (complete ? fid !== FFA_SUCCESS_32 || handleOf(r, 2) !== handle : fid !== FFA_MEM_FRAG_RX || handleOf(r, 1) !== handle) fault(`frag-tx: answered 0x${fid.toString(16)}, the model expects ${complete ? 'FFA_SUCCESS' : 'FFA_MEM_FRAG_RX'} for ${handleText(handle)}`);
  m.commitFragTx(handle, more);
}

function runRetrieve(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'retrieve' }>): bigint[] {
  // Coherent: a complete transaction with a borrower still to retrieve, its RX buffer released first.
  const open = [...m.txs.values()].filter((t) => t.pending.length === 0 && t.borrowers.some((b) => b.granted === null));
  const handle = pickHandle(m, c.h, c.coherent && open.length > 0 ? open.map((t) => t.handle) : undefined);
  const t = m.txs.get(handle);
  const waiting = t?.borrowers.filter((b) => b.granted === null) ?? [];
  const borrower = c.coherent && t ? (waiting.length > 0 ? waiting[c.b % waiting.length]!.id : t.receivers[c.b % t.receivers.length]!) : ENDPOINTS[c.b % ENDPOINTS.length]!;
  const caller = callerOf(borrower);
  if (c.coherent) releaseRx(m, real, caller);
  let receivers = t ? [...t.receivers] : [borrower];
  // Fewer receivers than sent; from one, none (a hypervisor's retrieve request, refused to anyone else).
  if (c.variant === 'fewer-receivers') receivers = receivers.slice(0, -1);
  // A Normal-world caller names its VM; with several VMs in the transaction it names them all (refused).
  const op = t?.op ?? 'lend';
  const exclusive = op === 'donate' || (op === 'lend' && receivers.length === 1);
  const instruction = c.variant === 'exec' ? 'x' : exclusive ? 'nx' : 'unspecified';
  const spec: RetrieveSpec = {
    caller, handle, sender: c.variant === 'wrong-sender' ? SP3 : (t?.sender ?? SP1), receivers, access: c.access, instruction,
    type: c.variant === 'wrong-type' ? (op === 'share' ? 'lend' : 'share') : null, tag: c.variant === 'wrong-tag' ? 7n : 0n,
  };
  const layout = layoutOf(real, caller);
  const bytes = encodeTransaction(buildTransaction({
    layout, sender: spec.sender, attributes: ATTRIBUTES_NOT_SPECIFIED, flags: spec.type ? transactionTypeFlags(spec.type) : 0, handle, tag: spec.tag,
    receivers: receivers.map((receiver) => ({ receiver, permissions: { dataAccess: dataAccess(c.access), instructionAccess: instruction === 'x' ? FFA_INSTRUCTION_ACCESS_X : instruction === 'nx' ? FFA_INSTRUCTION_ACCESS_NX : FFA_INSTRUCTION_ACCESS_NOT_SPECIFIED } })),
  }));
  if (m.mapped(caller)) real.w.port.writeTx(caller, bytes);
  const expect = m.predictRetrieve(spec);
  const r = call(m, real, 'retrieve', caller, regs(c.fid64 ? FFA_MEM_RETRIEVE_REQ_64 : FFA_MEM_RETRIEVE_REQ_32, bytes.length, bytes.length, 0, 0), expect, c.toctou);
  if (expect.code !== null) return [];
  const totalBytes = wView(r, 1);
  const first = wView(r, 2);
  const want = headerSize(layout) + emadSize(layout) + COMPOSITE_SIZE + CONSTITUENT_SIZE * t!.received.length;
  if (resultFid(r) !== FFA_MEM_RETRIEVE_RESP || totalBytes !== want || first > totalBytes) fault(`retrieve: answered 0x${resultFid(r).toString(16)} with ${totalBytes}/${first} bytes, the model expects FFA_MEM_RETRIEVE_RESP of ${want} bytes`);
  checkRxTail(real, caller, first, 'retrieve');
  m.commitRetrieve(caller, handle, expect.borrower!, c.access, totalBytes, first);
  return t!.received.slice(0, 4).map((k) => k.address);
}

function runFragRx(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'fragRx' }>): void {
  const fetching = [...m.txs.values()].filter((t) => t.borrowers.some((b) => b.granted !== null && b.fetched < b.total));
  const handle = pickHandle(m, c.h, fetching.length > 0 ? fetching.map((t) => t.handle) : undefined);
  const t = m.txs.get(handle);
  const inProgress = t?.borrowers.filter((b) => b.granted !== null && b.fetched < b.total) ?? [];
  const borrower = inProgress.length > 0 ? inProgress[c.b % inProgress.length]!.id : ENDPOINTS[c.b % ENDPOINTS.length]!;
  const caller = callerOf(borrower);
  if (c.release) releaseRx(m, real, caller);
  const fetched = t?.borrowers.find((b) => b.id === borrower)?.fetched ?? 0;
  const offset = Math.max(0, fetched + c.offsetDelta);
  const expect = m.predictFragRx(caller, handle, offset);
  const r = call(m, real, 'frag-rx', caller, regs(FFA_MEM_FRAG_RX, ...handleRegs(handle), offset, 0), expect);
  if (expect.code !== null) return;
  const who = expect.who!;
  const length = wView(r, 3);
  if (resultFid(r) !== FFA_MEM_FRAG_TX || handleOf(r, 1) !== handle || length !== Math.min(who.total - who.fetched, FFA_PAGE_SIZE)) {
    fault(`frag-rx: answered 0x${resultFid(r).toString(16)} with ${length} bytes, the model expects FFA_MEM_FRAG_TX with ${Math.min(who.total - who.fetched, FFA_PAGE_SIZE)} bytes`);
  }
  checkRxTail(real, caller, length, 'frag-rx');
  m.commitFragRx(caller, handle, who, length);
}

function runRelinquish(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'relinquish' }>): bigint[] {
  const holding = [...m.txs.values()].filter((t) => t.borrowers.some((b) => b.granted !== null));
  const handle = pickHandle(m, c.h, c.coherent && holding.length > 0 ? holding.map((t) => t.handle) : undefined);
  const t = m.txs.get(handle);
  const granted = t?.borrowers.filter((b) => b.granted !== null) ?? [];
  const endpoint = c.coherent && granted.length > 0 ? granted[c.b % granted.length]!.id : ENDPOINTS[c.b % ENDPOINTS.length]!;
  const caller = c.other ? (endpoint === SP1 ? SP2 : SP1) : callerOf(endpoint);
  if (m.mapped(caller)) real.w.port.writeTx(caller, encodeRelinquish({ handle, flags: c.clear ? 1 : 0, endpoints: [endpoint] }));
  const expect = m.predictRelinquish(caller, endpoint, handle, c.clear);
  call(m, real, 'relinquish', caller, regs(FFA_MEM_RELINQUISH), expect, c.toctou);
  if (expect.code !== null) return [];
  m.commitRelinquish(endpoint, handle);
  return t!.received.slice(0, 4).map((k) => k.address);
}

function runReclaim(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'reclaim' }>): bigint[] {
  const handle = pickHandle(m, c.h);
  const t = m.txs.get(handle);
  const caller = c.caller === null ? callerOf(t?.sender ?? SP1) : CALLERS[c.caller % CALLERS.length]!;
  const expect = m.predictReclaim(caller, handle, c.flags);
  call(m, real, 'reclaim', caller, regs(FFA_MEM_RECLAIM, ...handleRegs(handle), c.flags), expect);
  if (expect.code !== null) return [];
  m.commitReclaim(handle);
  return t!.received.slice(0, 4).map((k) => k.address);
}

/** FFA_RX_RELEASE by `caller` when its RX buffer is full (the port's part of it: the SPMC marks it empty). */
function releaseRx(m: FfaModel, real: Real, caller: number): void {
  if (m.rx.get(caller) !== 'full') return;
  real.w.port.release(caller);
  m.rx.set(caller, 'empty');
}

function runBuffers(m: FfaModel, real: Real, c: Extract<Cmd, { k: 'release' | 'unmap' | 'remap' }>): void {
  const caller = CALLERS[c.c % CALLERS.length]!;
  const port = real.w.port;
  real.covered.add(c.k);
  if (c.k === 'release') releaseRx(m, real, caller);
  else if (c.k === 'unmap') {
    port.map(caller, 0, real.w.versions.get(caller)!);
    m.rx.set(caller, 'unmapped');
  } else if (!m.mapped(caller)) {
    port.map(caller, 1, real.w.versions.get(caller)!);
    m.rx.set(caller, 'empty');
  }
}

export function runCmd(m: FfaModel, real: Real, c: Cmd): void {
  real.commands++;
  let touched: bigint[] = [];
  switch (c.k) {
    case 'send': touched = runSend(m, real, c); break;
    case 'huge': runHuge(m, real, c); touched = [bigPage(0), bigPage(BIG_PAGES - 1)]; break;
    case 'fill': runFill(m, real, c); break;
    case 'fragTx': runFragTx(m, real, c); break;
    case 'retrieve': touched = runRetrieve(m, real, c); break;
    case 'fragRx': runFragRx(m, real, c); break;
    case 'relinquish': touched = runRelinquish(m, real, c); break;
    case 'reclaim': touched = runReclaim(m, real, c); break;
    case 'tables':
      m.tablesExhausted = c.exhausted;
      real.w.port.tablesExhausted = c.exhausted;
      real.covered.add(c.exhausted ? 'tables exhausted' : 'tables back');
      break;
    default: runBuffers(m, real, c);
  }
  const broken = checkInvariants(m, real.w, touched);
  if (broken) fault(`after ${describeCmd(c)}: ${broken}`);
}

/** A command as one line: its kind, then its fields as JSON (module-level and --vm commands alike). */
export function describeCmd(c: { k: string }): string {
  const { k, ...rest } = c;
  return `${k}${JSON.stringify(rest)}`;
}

export class FfaCommand implements fc.Command<FfaModel, Real> {
  constructor(readonly c: Cmd) {}
  /** A coherent command needs something to act on; the others run whatever the state. */
  check(m: Readonly<FfaModel>): boolean {
    const c = this.c;
    const txs = [...m.txs.values()];
    switch (c.k) {
      case 'retrieve': return !c.coherent || txs.some((t) => t.pending.length === 0 && t.borrowers.some((b) => b.granted === null));
      case 'relinquish': return !c.coherent || txs.some((t) => t.borrowers.some((b) => b.granted !== null));
      case 'fragRx': return !c.release || txs.some((t) => t.borrowers.some((b) => b.granted !== null && b.fetched < b.total));
      case 'fragTx': return c.variant !== 'right' || txs.some((t) => t.pending.length > 0);
      default: return true;
    }
  }
  run(m: FfaModel, r: Real): void {
    runCmd(m, r, this.c);
  }
  toString(): string {
    return describeCmd(this.c);
  }
}

export { Violation };

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const likely = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const rarely = fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const ro = pick(['ro', 'rw'] as const);
const handleIx = fc.nat(255);
const ops = pick(['share', 'lend', 'donate'] as const);
const defects: readonly SendDefect[] = ['older-layout', 'reserved-header', 'reserved-composite', 'reserved-constituent', 'bad-layout', 'duplicate-receiver', 'wrapping-range', 'address-in-x3', 'fragment-too-long', 'non-zero-handle', 'huge-range', 'overlapping-ranges'];

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    k: fc.constant('send' as const), op: ops, fid64: fc.boolean(), sender: fc.nat(4), wrongCaller: rarely, coherent: likely,
    receivers: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 4 }), access: ro,
    ranges: fc.array(fc.record({ own: likely, i: fc.nat(31), count: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.integer({ min: 2, max: 3 }) }) }), { minLength: 1, maxLength: 3 }),
    hold: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }), clear: rarely,
    defect: fc.oneof({ weight: 12, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: pick(defects) }), toctou: rarely,
  }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('huge' as const), op: pick(['share', 'lend'] as const), receivers: fc.array(fc.nat(1), { maxLength: 2 }), access: ro, finish: likely }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fill' as const), count: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 56, max: 70 }) }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fragTx' as const), h: handleIx, count: fc.nat(3), variant: fc.oneof({ weight: 4, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: pick(['bad-length', 'wrong-sender', 'overlap', 'garbage'] as const) }), toctou: rarely }) },
  { weight: 7, arbitrary: fc.record({ k: fc.constant('retrieve' as const), h: handleIx, b: fc.nat(7), coherent: likely, access: ro, variant: fc.oneof({ weight: 6, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: pick(['wrong-sender', 'wrong-tag', 'fewer-receivers', 'wrong-type', 'exec'] as const) }), fid64: fc.boolean(), toctou: rarely }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('fragRx' as const), h: handleIx, b: fc.nat(7), offsetDelta: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -4096, max: 4096 }) }), release: likely }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('relinquish' as const), h: handleIx, b: fc.nat(7), coherent: likely, other: rarely, clear: rarely, toctou: rarely }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('reclaim' as const), h: handleIx, caller: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(3) }), flags: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: pick([1, 2, 4]) }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('release' as const), c: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: pick(['unmap', 'remap'] as const), c: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('tables' as const), exhausted: fc.boolean() }) },
);

/** Commands of one sequence. */
export const ffaCommandArb = cmdArb.map((c) => new FfaCommand(c), (v) => (v as FfaCommand).c);

/** The per-caller FF-A versions of a case (NWd, SP1, SP2, SP3), so every layout comes up. */
export const versionsArb = fc.tuple(...CALLERS.map(() => pick([FFA_VERSION_1_0, 0x1_0001, 0x1_0002])));

