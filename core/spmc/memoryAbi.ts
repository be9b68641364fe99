// The SPMC's memory management ABIs (DEN0077 v1.1 chapter 10 and §16;
// Hafnium src/api.c api_ffa_mem_*, src/ffa_memory.c) over the ledger
// (memoryLedger.ts) and a port to the machine (spmcPort.ts): the registers
// are decoded, the descriptor copied once out of the caller's TX buffer and
// decoded strictly (core/ffa), the ledger validates and commits, and only
// then are the Stage-2 tables and RX buffers written, in steps that cannot
// fail (the RX state and the table memory were checked first).
//
// Stage-2 effects are the ledger's view (accessOf): after an operation
// commits, every page of the transaction is mapped in the affected
// partition's tables with the access the ledger gives it (a lender loses its
// pages on LEND/DONATE and gets them back read-write on RECLAIM; a borrower
// gets what it was granted at its retrieve, executable when granted so, and
// loses it on RELINQUISH; a donate's borrower owns the pages read-write once
// its response is complete). Normal-world endpoints' tables are the
// hypervisor's: the SPMC touches only partitions'.
//
// Calls from the Normal world come with the Normal world's ID (the
// hypervisor's, 0, or whatever A's registry attributes the call to); the
// SPMC cannot tell VMs apart, so, as Hafnium's SPMC does for the "other
// world", a Normal-world call acts for the Normal-world endpoint the
// descriptor names: the sender of a send or reclaim, the one Normal-world
// borrower of a retrieve request, the endpoint of a relinquish.
//
// Choices where the spec leaves room (Hafnium's unless said):
// - descriptors travel in the TX buffer only: an address in x3/w4 is
//   INVALID_PARAMETERS; a missing TX buffer is INVALID_PARAMETERS; an RX
//   buffer that is not empty (or not mapped) makes a retrieve BUSY;
// - retrieve responses go out in fragments of one FF-A page (every RX buffer
//   holds at least one), so FFA_MEM_FRAG_RX needs no saved lengths;
// - receivers: a Secure ID must be a partition (INVALID_PARAMETERS); a
//   Normal-world sender must name a partition, and lends and donates only
//   partitions (DENIED: VM-to-VM sharing is the hypervisor's); a partition
//   may also send to the Normal world (seeds: SP-to-NWd), only Non-secure
//   memory (DENIED) — a range's first and last pages are checked, regions
//   of different security never touching;
// - the clear flags: a send's zeroes at commit, a reclaim's before the
//   lender maps the pages again (also for a share, as Hafnium); a relinquish's (or
//   the borrower's retrieve-time request) after the pages are unmapped, and
//   only once no other borrower holds them, refused then for a share
//   (INVALID_PARAMETERS) and for memory granted read-only (DENIED).
import { DENIED, INVALID_PARAMETERS, NOT_SUPPORTED, BUSY } from '../ffa/errors.js';
import { endpointText, isSecureEndpoint } from '../ffa/endpoints.js';
import {
  FFA_MEM_FRAG_RX, FFA_MEM_FRAG_TX, FFA_MEM_RECLAIM, FFA_MEM_RELINQUISH, FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64,
} from '../ffa/functionIds.js';
import {
  accept, ffaError, ffaMemFragRx, ffaMemRetrieveResp, ffaMemSuccess, ffaSuccess32, ffaValue, handleWords, reject,
  type Checked, type FfaResult,
} from '../ffa/result.js';
import { checkFragArgsReserved, decodeFragArgs, decodeMemTransmitArgs, decodeReclaimArgs } from '../ffa/memory/abi.js';
import { FFA_INSTRUCTION_ACCESS_X, encodeAttributes, type MemoryAccessPermissions } from '../ffa/memory/attributes.js';
import { CONSTITUENT_SIZE, FFA_PAGE_SIZE, layoutOfVersion } from '../ffa/memory/layout.js';
import { decodeConstituentFragment } from '../ffa/memory/constituents.js';
import { decodeTransaction } from '../ffa/memory/decode.js';
import { FFA_MEMORY_REGION_FLAG_CLEAR } from '../ffa/memory/flags.js';
import { checkFragmentOffset, fragmentLengths } from '../ffa/memory/fragments.js';
import { handleText } from '../ffa/memory/handle.js';
import { decodeReclaimFlags, decodeRelinquish } from '../ffa/memory/relinquish.js';
import { buildRetrieveResponse, sentReceivers } from '../ffa/memory/retrieve.js';
import { sendOpOf, type SendOp } from '../ffa/memory/rules.js';
import { encodeTransaction, type Constituent, type EndpointMemoryAccess, type MemoryTransaction } from '../ffa/memory/transaction.js';
import type { MemoryLedger, TransactionInfo } from './memoryLedger.js';
import type { SpmcMemoryPort } from './spmcPort.js';

const PAGE = BigInt(FFA_PAGE_SIZE);
const fidOf = (x: readonly bigint[]): number => Number((x[0] ?? 0n) & 0xffff_ffffn);

/** True for the function IDs handleMemoryCall answers. */
export function isMemoryCall(fid: number): boolean {
  const f = fid >>> 0;
  return sendOpOf(f) !== null || [FFA_MEM_FRAG_TX, FFA_MEM_RETRIEVE_REQ_32, FFA_MEM_RETRIEVE_REQ_64, FFA_MEM_FRAG_RX, FFA_MEM_RELINQUISH, FFA_MEM_RECLAIM].includes(f);
}

/**
 * One memory management call by `callerId` (a partition's ID, or the
 * Normal world's) with registers x0-x7 (`regs[0]` the function ID): the
 * answer's registers, or the FF-A error with its reason. Never throws on
 * any register values or buffer contents.
 */
export function handleMemoryCall(ledger: MemoryLedger, port: SpmcMemoryPort, callerId: number, regs: readonly bigint[]): FfaResult {
  const fid = fidOf(regs);
  const kind = port.endpointKind(callerId);
  if (kind === 'unknown') return ffaError(INVALID_PARAMETERS, `${endpointText(callerId)} is not an endpoint`);
  const call: MemCall = { ledger, port, caller: callerId, nwd: kind === 'normal-world', regs };
  const op = sendOpOf(fid);
  const r = op ? memSend(call, op)
    : fid === FFA_MEM_FRAG_TX ? fragTx(call)
      : fid === FFA_MEM_RETRIEVE_REQ_32 || fid === FFA_MEM_RETRIEVE_REQ_64 ? retrieve(call)
        : fid === FFA_MEM_FRAG_RX ? fragRx(call)
          : fid === FFA_MEM_RELINQUISH ? relinquish(call)
            : fid === FFA_MEM_RECLAIM ? reclaim(call)
              : reject<FfaResult>(NOT_SUPPORTED, `0x${fid.toString(16)} is not a memory management call`);
  return r.ok ? r.value : r.error;
}

interface MemCall {
  ledger: MemoryLedger;
  port: SpmcMemoryPort;
  caller: number;
  /** The call came from the Normal world. */
  nwd: boolean;
  regs: readonly bigint[];
}

type Answer = Checked<FfaResult>;

const answer = (r: FfaResult): Answer => accept(r);

/** The caller's TX buffer size, INVALID_PARAMETERS when it has none. */
function txBytes(c: MemCall): Checked<number> {
  const bytes = c.port.bufferBytes(c.caller);
  return bytes > 0 ? accept(bytes) : reject(INVALID_PARAMETERS, `${endpointText(c.caller)} has no RX/TX buffer pair mapped`);
}

/** The caller's RX buffer takes a response now (Hafnium vm_is_mailbox_busy: not mapped is busy too). */
function rxReady(c: MemCall): Checked<void> {
  const st = c.port.rxState(c.caller);
  return st === 'empty' ? accept(undefined) : reject(BUSY, `${endpointText(c.caller)}'s RX buffer is ${st === 'unmapped' ? 'not mapped' : st === 'full' ? 'full' : 'owned by the other world'}`);
}

function* pagesOf(constituents: readonly Constituent[]): Generator<bigint> {
  for (const k of constituents) for (let i = 0; i < k.pageCount; i++) yield k.address + BigInt(i) * PAGE;
}

/** Prepares the Stage-2 change of `endpoint` over `ranges` (nothing for a Normal-world endpoint). */
function prepare(c: MemCall, endpoint: number, ranges: readonly Constituent[]): Checked<void> {
  return c.port.endpointKind(endpoint) === 'partition' ? c.port.prepareStage2(endpoint, ranges) : accept(undefined);
}

/** Maps `endpoint`'s pages of `ranges` as the ledger now says (committed: cannot fail). */
function applyLedgerAccess(c: MemCall, endpoint: number, ranges: readonly Constituent[], executable: boolean): void {
  if (c.port.endpointKind(endpoint) !== 'partition') return;
  let run: { start: bigint; pages: number; key: string } | null = null;
  const flush = (): void => {
    if (!run) return;
    const [access, space] = run.key.split('/') as ['none' | 'ro' | 'rw', 'secure' | 'non-secure'];
    c.port.setStage2(endpoint, { address: run.start, pageCount: run.pages }, space, { access, executable: executable && access !== 'none' });
    run = null;
  };
  for (const p of pagesOf(ranges)) {
    const key = `${c.ledger.accessOf(endpoint, p)}/${c.port.memorySecurity(p)}`;
    if (run && run.key === key && run.start + BigInt(run.pages) * PAGE === p) run.pages++;
    else {
      flush();
      run = { start: p, pages: 1, key };
    }
  }
  flush();
}

const isExecutable = (p: MemoryAccessPermissions | null): boolean => p?.instructionAccess === FFA_INSTRUCTION_ACCESS_X;

function anySecure(c: MemCall, ranges: readonly Constituent[]): boolean {
  return ranges.some((k) => c.port.memorySecurity(k.address) === 'secure' || c.port.memorySecurity(k.address + BigInt(k.pageCount - 1) * PAGE) === 'secure');
}

/** Receivers a send may name (see the header's choices). */
function checkReceivers(c: MemCall, op: SendOp, tx: MemoryTransaction): Checked<void> {
  let partitions = 0;
  for (const r of tx.receivers) {
    const kind = c.port.endpointKind(r.receiver);
    if (kind === 'unknown') return reject(INVALID_PARAMETERS, `receiver ${endpointText(r.receiver)} is not an endpoint`);
    if (kind === 'partition') partitions++;
    else if (c.nwd && op !== 'share') return reject(DENIED, `a Normal-world ${op} to ${endpointText(r.receiver)}: the SPMC only relays to partitions`);
  }
  if (c.nwd && partitions === 0) return reject(DENIED, 'a Normal-world send with no partition among the receivers is the hypervisor\'s');
  return accept(undefined);
}

/** A partition's send naming a Normal-world receiver carries Non-secure memory only. */
function checkNormalWorldReach(c: MemCall, tx: MemoryTransaction, ranges: readonly Constituent[]): Checked<void> {
  const nwdReceiver = tx.receivers.find((r) => c.port.endpointKind(r.receiver) === 'normal-world');
  if (nwdReceiver && anySecure(c, ranges)) return reject(DENIED, `Secure memory cannot be sent to Normal-world endpoint ${endpointText(nwdReceiver.receiver)}`);
  return accept(undefined);
}

function zeroAll(c: MemCall, ranges: readonly Constituent[]): void {
  for (const k of ranges) c.port.zeroMemory(k);
}

/** The commit of a complete send: the lender's pages leave its tables (LEND/DONATE), cleared if asked. */
function commitSend(c: MemCall, info: TransactionInfo): void {
  const ranges = info.sent.composite?.constituents ?? [];
  if (info.op !== 'share') applyLedgerAccess(c, info.sent.sender, ranges, false);
  if ((info.sent.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0) zeroAll(c, ranges);
}

// FFA_MEM_SHARE/LEND/DONATE.
function memSend(c: MemCall, op: SendOp): Answer {
  const buffer = c.port.bufferBytes(c.caller);
  const args = decodeMemTransmitArgs(c.regs, buffer === 0 ? Number.MAX_SAFE_INTEGER : buffer);
  if (!args.ok) return args;
  const tx = txBytes(c);
  if (!tx.ok) return tx;
  const bytes = c.port.readTx(c.caller, args.value.fragmentLength);
  if (!bytes.ok) return bytes;
  const decoded = decodeTransaction(bytes.value, { kind: 'send', version: c.port.ffaVersion(c.caller), totalLength: args.value.totalLength });
  if (!decoded.ok) return decoded;
  const sent = decoded.value.tx;
  if (c.nwd && isSecureEndpoint(sent.sender)) return reject(DENIED, `the Normal world sends as ${endpointText(sent.sender)}, a Secure endpoint`);
  const sender = c.nwd ? sent.sender : c.caller;
  const receivers = checkReceivers(c, op, sent);
  if (!receivers.ok) return receivers;
  const ranges = sent.composite?.constituents ?? [];
  const reach = checkNormalWorldReach(c, sent, ranges);
  if (!reach.ok) return reach;
  const complete = decoded.value.missingConstituents === 0;
  // Prepare only ranges the sender owns (the ledger refuses the rest itself): never tables for a hostile range.
  if (complete && op !== 'share' && c.ledger.checkSendTransition(sender, ranges).ok) {
    const prepared = prepare(c, sender, ranges);
    if (!prepared.ok) return prepared;
  }
  const out = c.ledger.send(op, sender, sent, decoded.value.missingConstituents);
  if (!out.ok) return out;
  if (!out.value.complete) return answer(ffaMemFragRx(out.value.handle, out.value.receivedLength, c.nwd ? sender : 0));
  commitSend(c, c.ledger.transactionInfo(out.value.handle)!);
  return answer(ffaMemSuccess(out.value.handle));
}

/** The endpoint a Normal-world call on `info` acts for: its sender when that is in the Normal world. */
function nwdSenderOf(c: MemCall, info: TransactionInfo | null): number {
  return c.nwd && info && !isSecureEndpoint(info.sent.sender) ? info.sent.sender : c.caller;
}

// FFA_MEM_FRAG_TX: the next fragment of a send.
function fragTx(c: MemCall): Answer {
  const reserved = checkFragArgsReserved(c.regs);
  if (!reserved.ok) return reserved;
  const args = decodeFragArgs(c.regs);
  if (!c.nwd && args.endpoint !== 0) return reject(INVALID_PARAMETERS, 'FRAG_TX: w4 bits 31:16 (the sender a hypervisor acts for) must be zero from a partition');
  const tx = txBytes(c);
  if (!tx.ok) return tx;
  const length = args.value;
  if (length > tx.value) return reject(INVALID_PARAMETERS, `fragment length ${length} exceeds the ${tx.value}-byte TX buffer`);
  if (length < CONSTITUENT_SIZE || length % CONSTITUENT_SIZE !== 0) return reject(INVALID_PARAMETERS, `fragment length ${length} is not a non-zero multiple of ${CONSTITUENT_SIZE}`);
  const bytes = c.port.readTx(c.caller, length);
  if (!bytes.ok) return bytes;
  const info = c.ledger.transactionInfo(args.handle);
  const sender = nwdSenderOf(c, info);
  if (info && !info.complete && info.sent.sender === sender) {
    const have = info.sent.composite?.constituents ?? [];
    const more = decodeConstituentFragment(bytes.value, Number.MAX_SAFE_INTEGER, have.length);
    if (more.ok) {
      const all = [...have, ...more.value];
      const reach = checkNormalWorldReach(c, info.sent, more.value);
      if (!reach.ok) return reach;
      const pageTotal = all.reduce((n, k) => n + k.pageCount, 0);
      if (info.op !== 'share' && pageTotal === info.sent.composite?.pageCount && c.ledger.checkSendTransition(sender, all).ok) {
        const prepared = prepare(c, sender, all);
        if (!prepared.ok) return prepared;
      }
    }
  }
  const out = c.ledger.fragTx(sender, args.handle, bytes.value);
  if (!out.ok) return out;
  if (!out.value.complete) return answer(ffaMemFragRx(out.value.handle, out.value.receivedLength, c.nwd ? sender : 0));
  commitSend(c, c.ledger.transactionInfo(out.value.handle)!);
  return answer(ffaMemSuccess(out.value.handle));
}

interface Response {
  bytes: Uint8Array;
  lengths: number[];
}

/** The retrieve response `receivers` read, split into one-page fragments. */
function responseOf(c: MemCall, info: TransactionInfo, receivers: readonly EndpointMemoryAccess[], nonSecure: boolean): Response {
  const tx = buildRetrieveResponse({ sent: info.sent, op: info.op, handle: info.handle, layout: layoutOfVersion(c.port.ffaVersion(c.caller)), receivers, nonSecure });
  const bytes = encodeTransaction(tx);
  const lengths = fragmentLengths(tx, bytes.length, FFA_PAGE_SIZE);
  // A response describes at most LEDGER_MAX_RECEIVERS receivers: its first part always fits a page.
  return { bytes, lengths: lengths.ok ? lengths.value : [bytes.length] };
}

/** A borrower's view: its own access descriptor, with what it was granted. */
function borrowerResponse(c: MemCall, info: TransactionInfo, borrower: number, granted: MemoryAccessPermissions): Response {
  const mine = info.sent.receivers.find((r) => r.receiver === borrower)!;
  const nonSecure = c.port.endpointKind(borrower) === 'partition' && !anySecure(c, info.sent.composite?.constituents ?? []);
  return responseOf(c, info, [{ ...mine, permissions: granted }], nonSecure);
}

/** Fragment `index` of a response into the caller's RX buffer, and its answer. */
function deliver(c: MemCall, r: Response, index: number): Uint8Array {
  const at = r.lengths.slice(0, index).reduce((n, l) => n + l, 0);
  const fragment = r.bytes.subarray(at, at + (r.lengths[index] as number));
  c.port.writeRx(c.caller, fragment);
  return fragment;
}

// FFA_MEM_RETRIEVE_REQ: a borrower's, or the hypervisor's (no receivers).
function retrieve(c: MemCall): Answer {
  const buffer = c.port.bufferBytes(c.caller);
  const args = decodeMemTransmitArgs(c.regs, buffer === 0 ? Number.MAX_SAFE_INTEGER : buffer);
  if (!args.ok) return args;
  if (args.value.fragmentLength !== args.value.totalLength) return reject(INVALID_PARAMETERS, 'a retrieve request cannot be fragmented');
  const tx = txBytes(c);
  if (!tx.ok) return tx;
  const bytes = c.port.readTx(c.caller, args.value.fragmentLength);
  if (!bytes.ok) return bytes;
  const rx = rxReady(c);
  if (!rx.ok) return rx;
  const version = c.port.ffaVersion(c.caller);
  const decoded = decodeTransaction(bytes.value, { kind: 'retrieve-request', version, totalLength: args.value.totalLength });
  if (!decoded.ok) return decoded;
  const request = decoded.value.tx;
  const info = c.ledger.transactionInfo(request.handle);

  if (decoded.value.hypervisorRetrieveRequest) {
    if (!c.nwd) return reject(INVALID_PARAMETERS, 'a retrieve request with no receivers is the hypervisor\'s');
    if (request.sender !== 0 || encodeAttributes(request.attributes) !== 0 || request.flags !== 0 || request.tag !== 0n) {
      return reject(INVALID_PARAMETERS, 'hypervisor retrieve request: every field but the handle must be zero');
    }
    const r = info && info.complete ? responseOf(c, info, sentReceivers(info.sent), false) : null;
    const out = c.ledger.hypervisorRetrieve(request.handle, r ? r.lengths.length : 1);
    if (!out.ok || !r) return out.ok ? reject(INVALID_PARAMETERS, `retrieve: no transaction with handle ${handleText(request.handle)}`) : out;
    const first = deliver(c, r, 0);
    return answer(ffaMemRetrieveResp(r.bytes.length, first.length));
  }

  let borrower = c.caller;
  if (c.nwd) {
    const nwd = request.receivers.filter((e) => !isSecureEndpoint(e.receiver));
    if (nwd.length !== 1) return reject(INVALID_PARAMETERS, `a Normal-world retrieve request must name exactly one Normal-world borrower (it names ${nwd.length})`);
    borrower = (nwd[0] as EndpointMemoryAccess).receiver;
  }
  const ranges = info?.sent.composite?.constituents ?? [];
  const usable = info !== null && info.complete && info.sent.receivers.some((r) => r.receiver === borrower);
  // The response's length does not depend on the access granted: size it with the access sent.
  const sized = usable ? borrowerResponse(c, info, borrower, info.sent.receivers.find((r) => r.receiver === borrower)!.permissions) : null;
  const nonSecureToPartition = c.port.endpointKind(borrower) === 'partition' && ranges.length > 0 && !anySecure(c, ranges);
  if (usable) {
    const prepared = prepare(c, borrower, ranges);
    if (!prepared.ok) return prepared;
  }
  const out = c.ledger.retrieve(borrower, request, version, sized ? sized.lengths.length : 1, { nonSecureMemoryToPartition: nonSecureToPartition });
  if (!out.ok) return out;
  const r = borrowerResponse(c, info!, borrower, out.value.permissions);
  applyLedgerAccess(c, borrower, ranges, isExecutable(out.value.permissions));
  const first = deliver(c, r, 0);
  return answer(ffaMemRetrieveResp(r.bytes.length, first.length));
}

// FFA_MEM_FRAG_RX: the next fragment of a retrieve response.
function fragRx(c: MemCall): Answer {
  const reserved = checkFragArgsReserved(c.regs);
  if (!reserved.ok) return reserved;
  const args = decodeFragArgs(c.regs);
  if (!c.nwd && args.endpoint !== 0) return reject(INVALID_PARAMETERS, 'FRAG_RX: w4 bits 31:16 (the sender a hypervisor acts for) must be zero from a partition');
  const rx = rxReady(c);
  if (!rx.ok) return rx;
  const info = c.ledger.transactionInfo(args.handle);
  if (!info || !info.complete) return c.ledger.fragRx(c.caller, args.handle) as Answer;
  // Whose response: a partition's own; from the Normal world, the hypervisor's
  // (in progress, and w4 names its sender or nobody) or the one Normal-world borrower's in progress.
  type Who = { id: number; hypervisor: boolean; delivered: number; granted: MemoryAccessPermissions | null };
  const inProgress = (d: number, n: number): boolean => n > 0 && d < n;
  const candidates: Who[] = [];
  const h = info.hypervisorResponse;
  if (c.nwd && inProgress(h.deliveredFragments, h.responseFragments) && (args.endpoint === 0 || args.endpoint === info.sent.sender)) {
    candidates.push({ id: 0, hypervisor: true, delivered: h.deliveredFragments, granted: null });
  }
  for (const b of info.borrowers) {
    const mine = c.nwd ? !isSecureEndpoint(b.id) && (args.endpoint === 0 || args.endpoint === b.id) : b.id === c.caller;
    if (mine && b.granted && inProgress(b.deliveredFragments, b.responseFragments)) candidates.push({ id: b.id, hypervisor: false, delivered: b.deliveredFragments, granted: b.granted });
  }
  if (candidates.length !== 1) {
    return reject(INVALID_PARAMETERS, `FRAG_RX: ${candidates.length === 0 ? 'no' : 'more than one'} retrieve response of ${handleText(args.handle)} in progress for ${endpointText(c.caller)}`);
  }
  const who = candidates[0] as Who;
  const r = who.hypervisor ? responseOf(c, info, sentReceivers(info.sent), false) : borrowerResponse(c, info, who.id, who.granted!);
  const delivered = r.lengths.slice(0, who.delivered).reduce((n, l) => n + l, 0);
  // Planted defect (core/mutations.ts): the offset is not checked.
  const offset = c.ledger.mutation === 'frag-rx-offset-unchecked' ? accept(delivered) : checkFragmentOffset(args.value, delivered);
  if (!offset.ok) return offset;
  const ranges = info.sent.composite?.constituents ?? [];
  const donateEnds = info.op === 'donate' && !who.hypervisor && who.delivered + 1 === r.lengths.length;
  if (donateEnds) {
    const prepared = prepare(c, who.id, ranges);
    if (!prepared.ok) return prepared;
  }
  const out = c.ledger.fragRx(who.hypervisor ? 0 : who.id, args.handle, who.hypervisor);
  if (!out.ok) return out;
  if (donateEnds) applyLedgerAccess(c, who.id, ranges, isExecutable(who.granted));
  const fragment = deliver(c, r, out.value.fragmentIndex);
  const [lo, hi] = handleWords(args.handle);
  // FFA_MEM_FRAG_TX: handle, this fragment's length (w4 zero, as Hafnium answers).
  return answer(ffaValue(FFA_MEM_FRAG_TX, [lo, hi, fragment.length]));
}

// FFA_MEM_RELINQUISH: the descriptor in the TX buffer names the one endpoint giving the memory back.
function relinquish(c: MemCall): Answer {
  const tx = txBytes(c);
  if (!tx.ok) return tx;
  const bytes = c.port.readTx(c.caller, tx.value);
  if (!bytes.ok) return bytes;
  const d = decodeRelinquish(bytes.value);
  if (!d.ok) return d;
  if (d.value.endpoints.length !== 1) return reject(INVALID_PARAMETERS, `relinquish names ${d.value.endpoints.length} endpoints: one is supported`);
  const endpoint = d.value.endpoints[0] as number;
  if (c.nwd ? isSecureEndpoint(endpoint) : endpoint !== c.caller) return reject(INVALID_PARAMETERS, `relinquish names ${endpointText(endpoint)}, not the caller ${endpointText(c.caller)}`);
  const info = c.ledger.transactionInfo(d.value.handle);
  // Zeroing applies once no other borrower holds the memory (Hafnium); the ledger's own refusals come first.
  const others = info?.borrowers.some((b) => b.id !== endpoint && b.granted !== null) ?? false;
  const clear = (d.value.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0 && !others;
  if (clear) {
    const allowed = c.ledger.checkRelinquishClear(endpoint, d.value.handle);
    if (!allowed.ok) return allowed;
  }
  const ranges = info?.sent.composite?.constituents ?? [];
  if (info?.borrowers.some((b) => b.id === endpoint && b.granted !== null)) {
    const prepared = prepare(c, endpoint, ranges);
    if (!prepared.ok) return prepared;
  }
  const out = c.ledger.relinquish(endpoint, d.value.handle);
  if (!out.ok) return out;
  applyLedgerAccess(c, endpoint, out.value.constituents, false);
  if (clear || (out.value.clear && !others)) zeroAll(c, out.value.constituents);
  return answer(ffaSuccess32());
}

// FFA_MEM_RECLAIM: the lender takes its memory back.
function reclaim(c: MemCall): Answer {
  const args = decodeReclaimArgs(c.regs);
  const flags = decodeReclaimFlags(args.flags);
  if (!flags.ok) return flags;
  const info = c.ledger.transactionInfo(args.handle);
  const sender = nwdSenderOf(c, info);
  if (info && info.sent.sender === sender) {
    const prepared = prepare(c, sender, info.sent.composite?.constituents ?? []);
    if (!prepared.ok) return prepared;
  }
  const out = c.ledger.reclaim(sender, args.handle, flags.value.clear);
  if (!out.ok) return out;
  if (out.value.clear) zeroAll(c, out.value.constituents);
  applyLedgerAccess(c, sender, out.value.constituents, false);
  return answer(ffaSuccess32());
}
