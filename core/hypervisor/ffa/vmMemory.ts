// VM-to-VM memory sharing in the hypervisor (DEN0077 v1.1 chapter 10 with
// the hypervisor as the Relayer between VMs, as Hafnium's and pKVM's):
// FFA_MEM_SHARE/LEND/DONATE, FFA_MEM_FRAG_TX, FFA_MEM_RETRIEVE_REQ,
// FFA_MEM_FRAG_RX, FFA_MEM_RELINQUISH and FFA_MEM_RECLAIM for transactions
// whose borrowers are all VMs. Handles carry bit 63 (hypervisor-allocated,
// core/ffa/memory/handle.ts).
//
// Descriptors are read only from the caller's TX buffer, copied before any
// check. Their addresses are the sender's IPAs; the proxy translates them
// through the sender's Stage 2 into physical addresses and keeps the
// transaction in core/spmc's MemoryLedger (validate, check every page,
// commit), then writes the ledger's verdict into every VM's Stage 2
// (ownership.ts): the lender keeps RW on a SHARE and loses access on a
// LEND or DONATE, a borrower is mapped at its retrieve with the access
// granted and unmapped at its relinquish, ownership moves at a donate's
// retrieve, and a reclaim gives the owner its pages back. A borrower sees
// the pages at the IPAs its retrieve response names (ownership.ts
// ipaOfPage).
//
// Choices (Hafnium's unless said): memory a LEND or DONATE asks to clear is
// zeroed at the send; a VM's RX/TX pages cannot be sent (DENIED); a
// FRAG_TX whose constituents do not translate is DENIED and the transaction
// stays open for a correct fragment (Hafnium frees it; here the ledger
// keeps it until the sender sends valid constituents).
import { BUSY, DENIED, INVALID_PARAMETERS, NO_MEMORY, NOT_SUPPORTED } from '../../ffa/errors.js';
import { isSecureEndpoint, endpointText } from '../../ffa/endpoints.js';
import { FFA_MEM_FRAG_TX } from '../../ffa/functionIds.js';
import { checkFragArgsReserved, decodeFragArgs, decodeMemTransmitArgs, decodeReclaimArgs } from '../../ffa/memory/abi.js';
import { decodePermissions, encodePermissions } from '../../ffa/memory/attributes.js';
import { decodeConstituentFragment } from '../../ffa/memory/constituents.js';
import { decodeTransaction } from '../../ffa/memory/decode.js';
import { FFA_MEMORY_REGION_FLAG_CLEAR } from '../../ffa/memory/flags.js';
import { fragmentLengths } from '../../ffa/memory/fragments.js';
import { handleAllocator, handleText } from '../../ffa/memory/handle.js';
import { CONSTITUENT_SIZE, layoutOfVersion } from '../../ffa/memory/layout.js';
import { decodeReclaimFlags, decodeRelinquish, type Relinquish } from '../../ffa/memory/relinquish.js';
import { buildRetrieveResponse } from '../../ffa/memory/retrieve.js';
import type { SendOp } from '../../ffa/memory/rules.js';
import { encodeTransaction, transactionLength, type Constituent, type MemoryTransaction } from '../../ffa/memory/transaction.js';
import { accept, ffaError, ffaMemFragRx, ffaMemRetrieveResp, ffaMemSuccess, ffaSuccess32, ffaValue, handleWords, reject, type Checked, type FfaResult } from '../../ffa/result.js';
import { MemoryLedger } from '../../spmc/memoryLedger.js';
import { isMutation, type MutationName } from '../../mutations.js';
import { transactionFromRecord } from '../../spmc/transactionRecord.js';
import { hex64 } from '../../trace/events.js';
import type { Hv } from '../context.js';
import { reservePagesLeft, s2TablePagesNeeded } from '../stage2.js';
import type { VcpuState, VmState } from '../state.js';
import { spSend } from './spMemory.js';
import { ipaOfPage, pagesOfRanges, paOfIpa, projectPages } from './ownership.js';
import { bufferBytes, copyFromTx, writeRx } from './rxtx.js';
import { ffaIdOfVm, vmOfFfaId } from './setup.js';
import type { VmFfaState } from './state.js';

const PAGE = 0x1000;

function loadLedger(hv: Hv): MemoryLedger {
  // Test only: the machine's planted ledger defect (core/mutations.ts), for `hvrr fuzz ffa --vm`'s mutation suite.
  const l = new MemoryLedger('hypervisor', ledgerMutation(hv.m.config.mutation));
  l.setState(hv.s.ffa.ledger);
  return l;
}
/** The machine's mutation when it is a ledger defect (the others are not the ledger's business). */
function ledgerMutation(m: string | undefined): MutationName | '' {
  return m && isMutation(m) && LEDGER_MUTATIONS.has(m) ? m : '';
}
const LEDGER_MUTATIONS: ReadonlySet<MutationName> = new Set(['reclaim-while-retrieved', 'reclaim-before-all-fragments', 'overlap-check-skipped', 'ownership-not-restored-on-failed-share', 'relinquish-from-non-borrower']);

function saveLedger(hv: Hv, l: MemoryLedger): void {
  hv.s.ffa.ledger = l.getState();
}

/** The sender's IPA ranges as physical ranges: each page mapped in its Stage 2, a range linear in PA, none an RX/TX page. */
export function toPhysical(hv: Hv, vm: VmState, f: VmFfaState, ranges: readonly Constituent[]): Checked<Constituent[]> {
  const out: Constituent[] = [];
  const b = f.rxtx;
  for (const c of ranges) {
    if (c.address + BigInt(c.pageCount * PAGE) > 1n << 32n) return reject(DENIED, `range ${hex64(c.address)} x ${c.pageCount} pages lies outside the VM's IPA space`);
    const ipa = Number(c.address);
    const pa0 = paOfIpa(hv, vm, ipa);
    for (let i = 0; i < c.pageCount; i++) {
      const pa = paOfIpa(hv, vm, ipa + i * PAGE);
      if (pa < 0 || pa !== pa0 + i * PAGE) return reject(DENIED, `IPA ${hex64(ipa + i * PAGE)} is not memory of the sender`);
      if (hv.s.ffa.spShares.some((x) => x.pages.includes(pa))) return reject(DENIED, `IPA ${hex64(ipa + i * PAGE)} is in a transaction with the Secure world`);
      if (hv.s.ffa.spBorrows.some((x) => x.pages.includes(pa))) return reject(DENIED, `IPA ${hex64(ipa + i * PAGE)} came from a partition: sending it on is not served`);
      if (b && ((pa >= b.txPa && pa < b.txPa + bufferBytes(b)) || (pa >= b.rxPa && pa < b.rxPa + bufferBytes(b)))) return reject(DENIED, `IPA ${hex64(ipa + i * PAGE)} is the VM's RX/TX buffer`);
    }
    out.push({ address: BigInt(pa0), pageCount: c.pageCount });
  }
  return accept(out);
}

/** Physical ranges as `vm` sees them (split where its view is not linear); null when a page has no place in its IPA space. */
export function toVmView(vm: VmState, ranges: readonly Constituent[]): Constituent[] | null {
  const out: Constituent[] = [];
  for (const p of pagesOfRanges(ranges)) {
    const ipa = ipaOfPage(vm, p);
    if (ipa < 0) return null;
    const last = out[out.length - 1];
    if (last && Number(last.address) + last.pageCount * PAGE === ipa) last.pageCount++;
    else out.push({ address: BigInt(ipa), pageCount: 1 });
  }
  return out;
}

function zeroPages(hv: Hv, ranges: readonly Constituent[]): void {
  const zero = new Uint8Array(PAGE);
  for (const p of pagesOfRanges(ranges)) hv.m.core.writePhys(p, zero);
}

/** Receivers must be other VMs; a Secure receiver is the SPMC's business. */
export function checkVmReceivers(hv: Hv, tx: MemoryTransaction, sender: number): Checked<void> {
  for (const r of tx.receivers) {
    if (isSecureEndpoint(r.receiver)) return reject(INVALID_PARAMETERS, `receiver ${endpointText(r.receiver)} is a partition: a send to partitions names partitions only`);
    if (vmOfFfaId(r.receiver, hv.s.vms.length) < 0) return reject(INVALID_PARAMETERS, `receiver ${endpointText(r.receiver)} is no endpoint`);
    if (r.receiver === sender) return reject(INVALID_PARAMETERS, 'the sender cannot be a receiver');
  }
  return accept(undefined);
}

function sentOf(l: MemoryLedger, handle: bigint): { sent: MemoryTransaction; op: SendOp } | null {
  const t = l.getState().transactions.find((x) => x.handle === hex64(handle));
  return t ? { sent: transactionFromRecord(t.tx), op: t.op } : null;
}

/** After a send completes: clear what a LEND/DONATE asked to clear, mark the lender's pages. */
function committed(hv: Hv, l: MemoryLedger, handle: bigint): void {
  const t = sentOf(l, handle)!;
  const ranges = t.sent.composite!.constituents;
  if ((t.sent.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0) zeroPages(hv, ranges);
  projectPages(hv, l, pagesOfRanges(ranges));
}

/** FFA_MEM_SHARE/LEND/DONATE (32 and 64) from `vm`. */
export function memSend(hv: Hv, cpu: number, vm: VmState, vc: VcpuState, f: VmFfaState, x: readonly bigint[], op: SendOp): FfaResult | null {
  if (!f.rxtx) return ffaError(INVALID_PARAMETERS, 'the VM has no TX buffer');
  const args = decodeMemTransmitArgs(x, bufferBytes(f.rxtx));
  if (!args.ok) return args.error;
  const bytes = copyFromTx(hv, f.rxtx, args.value.fragmentLength);
  const d = decodeTransaction(bytes, { kind: 'send', version: f.version, totalLength: args.value.totalLength });
  if (!d.ok) return d.error;
  const me = ffaIdOfVm(vm.id);
  const tx = d.value.tx;
  if (tx.sender !== me) return ffaError(DENIED, `the descriptor's sender ${endpointText(tx.sender)} is not the caller ${endpointText(me)}`);
  const toPartitions = tx.receivers.every((r) => isSecureEndpoint(r.receiver));
  if (!toPartitions) {
    const recv = checkVmReceivers(hv, tx, me);
    if (!recv.ok) return recv.error;
  }
  const phys = toPhysical(hv, vm, f, tx.composite!.constituents);
  if (!phys.ok) return phys.error;
  if (toPartitions) {
    return spSend(hv, cpu, vm, vc, tx, { pageCount: tx.composite!.pageCount, constituents: phys.value }, op, Number(x[0]! & 0xffff_ffffn), d.value.missingConstituents, args.value.fragmentLength);
  }
  const l = loadLedger(hv);
  const r = l.send(op, me, { ...tx, composite: { pageCount: tx.composite!.pageCount, constituents: phys.value } }, d.value.missingConstituents);
  if (!r.ok) {
    // Planted defect (core/mutations.ts): the proxy keeps a refused send's ledger as a live ledger would, so the ledger's
    // ownership-not-restored-on-failed-share reaches the record (without it the copy is dropped and the defect has no effect).
    if (l.mutation === 'ownership-not-restored-on-failed-share') saveLedger(hv, l);
    return r.error;
  }
  saveLedger(hv, l);
  if (!r.value.complete) return ffaMemFragRx(r.value.handle, r.value.receivedLength);
  committed(hv, l, r.value.handle);
  saveLedger(hv, l);
  return ffaMemSuccess(r.value.handle);
}

/** FFA_MEM_FRAG_TX from `vm`: the next constituents of its send. */
export function memFragTx(hv: Hv, vm: VmState, f: VmFfaState, x: readonly bigint[]): FfaResult {
  const a = decodeFragArgs(x);
  const reserved = checkFragArgsReserved(x);
  if (!reserved.ok) return reserved.error;
  if (a.endpoint !== 0) return ffaError(INVALID_PARAMETERS, 'w4[31:16] is for the hypervisor to name a VM; a VM passes 0');
  if (handleAllocator(a.handle) !== 'hypervisor') return ffaError(INVALID_PARAMETERS, `${handleText(a.handle)} is the SPMC's: its fragments go to spMemory.ts`);
  if (!f.rxtx) return ffaError(INVALID_PARAMETERS, 'the VM has no TX buffer');
  if (a.value > bufferBytes(f.rxtx)) return ffaError(INVALID_PARAMETERS, `fragment length ${a.value} exceeds the TX buffer`);
  const l = loadLedger(hv);
  const missing = l.missingConstituents(a.handle);
  if (missing === null || missing === 0) return ffaError(INVALID_PARAMETERS, `FRAG_TX: no send of ${handleText(a.handle)} in progress`);
  const me = ffaIdOfVm(vm.id);
  if (sentOf(l, a.handle)!.sent.sender !== me) return ffaError(INVALID_PARAMETERS, `FRAG_TX: ${endpointText(me)} is not the sender of ${handleText(a.handle)}`);
  const cs = decodeConstituentFragment(copyFromTx(hv, f.rxtx, a.value), missing);
  if (!cs.ok) return cs.error;
  const phys = toPhysical(hv, vm, f, cs.value);
  if (!phys.ok) return phys.error;
  const bytes = new Uint8Array(phys.value.length * CONSTITUENT_SIZE);
  const dv = new DataView(bytes.buffer);
  phys.value.forEach((c, i) => {
    dv.setBigUint64(i * CONSTITUENT_SIZE, c.address, true);
    dv.setUint32(i * CONSTITUENT_SIZE + 8, c.pageCount, true);
  });
  const r = l.fragTx(me, a.handle, bytes);
  saveLedger(hv, l);
  if (!r.ok) return r.error;
  if (!r.value.complete) return ffaMemFragRx(a.handle, r.value.receivedLength);
  committed(hv, l, a.handle);
  saveLedger(hv, l);
  return ffaMemSuccess(a.handle);
}

/** The retrieve response for `vm`: the transaction with the VM's access and its own view of the addresses. */
function responseFor(vm: VmState, sent: MemoryTransaction, op: SendOp, handle: bigint, permissions: number, version: number): MemoryTransaction | null {
  const me = ffaIdOfVm(vm.id);
  const mine = sent.receivers.find((r) => r.receiver === me)!;
  const view = toVmView(vm, sent.composite!.constituents);
  if (!view) return null;
  const layout = layoutOfVersion(version);
  const asSeen = { ...sent, composite: { pageCount: sent.composite!.pageCount, constituents: view } };
  return buildRetrieveResponse({ sent: asSeen, op, handle, layout, receivers: [{ ...mine, permissions: decodePermissions(permissions), impdef: layout === 'v1.2' ? mine.impdef : [0n, 0n] }] });
}

/** A VM's FFA_MEM_RETRIEVE_REQ (32 and 64): its request, decoded from a copy of its TX buffer. */
export function readRetrieveRequest(hv: Hv, f: VmFfaState, x: readonly bigint[]): Checked<MemoryTransaction> {
  if (!f.rxtx) return reject(INVALID_PARAMETERS, 'the VM has no RX/TX buffers');
  const args = decodeMemTransmitArgs(x, bufferBytes(f.rxtx));
  if (!args.ok) return args;
  const bytes = copyFromTx(hv, f.rxtx, args.value.fragmentLength);
  const d = decodeTransaction(bytes, { kind: 'retrieve-request', version: f.version, totalLength: args.value.totalLength });
  if (!d.ok) return d;
  if (d.value.hypervisorRetrieveRequest) return reject(INVALID_PARAMETERS, 'a retrieve request with no receivers is the hypervisor\'s');
  return accept(d.value.tx);
}

/** FFA_MEM_RETRIEVE_REQ (32 and 64) from `vm` of a hypervisor handle (`request` from readRetrieveRequest). */
export function memRetrieve(hv: Hv, vm: VmState, f: VmFfaState, request: MemoryTransaction): FfaResult {
  const handle = request.handle;
  if (handleAllocator(handle) !== 'hypervisor') return ffaError(INVALID_PARAMETERS, `${handleText(handle)} is the SPMC's: its retrieve goes to spBorrow.ts`);
  if (!f.rxtx) return ffaError(INVALID_PARAMETERS, 'the VM has no RX/TX buffers');
  if (f.rxFull || f.retrieve) return ffaError(BUSY, 'the RX buffer is not free');
  const l = loadLedger(hv);
  const t = sentOf(l, handle);
  if (!t) return ffaError(INVALID_PARAMETERS, `retrieve: no transaction with handle ${handleText(handle)}`);
  const me = ffaIdOfVm(vm.id);
  // The response's size does not depend on the access granted: its fragment count for the ledger.
  const probe = t.sent.receivers.some((r) => r.receiver === me) ? responseFor(vm, t.sent, t.op, handle, 0, f.version) : null;
  if (t.sent.receivers.some((r) => r.receiver === me) && !probe) return ffaError(NO_MEMORY, 'the memory does not fit in the VM\'s borrow window');
  let fragments = 1;
  if (probe) {
    const lengths = fragmentLengths(probe, transactionLength(probe), bufferBytes(f.rxtx));
    if (!lengths.ok) return lengths.error;
    fragments = lengths.value.length;
  }
  // The borrow window may need Stage-2 table pages: refuse before the ledger commits if the reserve cannot give them.
  if (probe) {
    const need = s2TablePagesNeeded(hv.m.core, vm.s2Root, pagesOfRanges(t.sent.composite!.constituents).map((pa) => ipaOfPage(vm, pa)));
    if (need > reservePagesLeft(hv.s)) return ffaError(NO_MEMORY, `the borrow window needs ${need} Stage-2 table pages; the hypervisor reserve has ${reservePagesLeft(hv.s)}`);
  }
  const r = l.retrieve(me, request, f.version, fragments);
  if (!r.ok) return r.error;
  saveLedger(hv, l);
  const permissions = encodePermissions(r.value.permissions);
  const resp = responseFor(vm, t.sent, t.op, handle, permissions, f.version)!;
  const encoded = encodeTransaction(resp);
  const lengths = fragmentLengths(resp, encoded.length, bufferBytes(f.rxtx));
  const first = lengths.ok ? lengths.value[0]! : encoded.length;
  writeRx(hv, f, encoded.subarray(0, first));
  f.retrieve = first < encoded.length ? { handle: hex64(handle), permissions, delivered: first } : null;
  projectPages(hv, l, pagesOfRanges(t.sent.composite!.constituents));
  return ffaMemRetrieveResp(encoded.length, first);
}

/** FFA_MEM_FRAG_RX from `vm`: the next fragment of its retrieve response. */
export function memFragRx(hv: Hv, vm: VmState, f: VmFfaState, x: readonly bigint[]): FfaResult {
  const a = decodeFragArgs(x);
  const reserved = checkFragArgsReserved(x);
  if (!reserved.ok) return reserved.error;
  if (a.endpoint !== 0) return ffaError(INVALID_PARAMETERS, 'w4[31:16] is for the hypervisor to name a VM; a VM passes 0');
  const pending = f.retrieve;
  if (!pending || pending.handle !== hex64(a.handle)) return ffaError(INVALID_PARAMETERS, `FRAG_RX: no retrieve response of ${handleText(a.handle)} in progress`);
  if (a.value !== pending.delivered) return ffaError(INVALID_PARAMETERS, `fragment offset ${a.value}: ${pending.delivered} bytes were delivered so far`);
  if (f.rxFull) return ffaError(BUSY, 'the RX buffer is not free');
  const l = loadLedger(hv);
  const t = sentOf(l, a.handle);
  const r = l.fragRx(ffaIdOfVm(vm.id), a.handle);
  if (!r.ok || !t) return r.ok ? ffaError(INVALID_PARAMETERS, 'no such transaction') : r.error;
  const resp = responseFor(vm, t.sent, t.op, a.handle, pending.permissions, f.version)!;
  const encoded = encodeTransaction(resp);
  const lengths = fragmentLengths(resp, encoded.length, bufferBytes(f.rxtx!));
  if (!lengths.ok) return lengths.error;
  const n = lengths.value[r.value.fragmentIndex]!;
  saveLedger(hv, l);
  writeRx(hv, f, encoded.subarray(pending.delivered, pending.delivered + n));
  pending.delivered += n;
  if (pending.delivered >= encoded.length) f.retrieve = null;
  // A donate's last fragment moves ownership (the ledger frees its handle).
  projectPages(hv, l, pagesOfRanges(t.sent.composite!.constituents));
  const [lo, hi] = handleWords(a.handle);
  return ffaValue(FFA_MEM_FRAG_TX, [lo, hi, n, 0]);
}

/** A VM's FFA_MEM_RELINQUISH: the relinquish descriptor from a copy of its TX buffer, naming the VM alone. */
export function readRelinquish(hv: Hv, vm: VmState, f: VmFfaState): Checked<Relinquish> {
  if (!f.rxtx) return reject(INVALID_PARAMETERS, 'the VM has no TX buffer');
  const rel = decodeRelinquish(copyFromTx(hv, f.rxtx, bufferBytes(f.rxtx)));
  if (!rel.ok) return rel;
  const me = ffaIdOfVm(vm.id);
  if (rel.value.endpoints.length !== 1 || rel.value.endpoints[0] !== me) return reject(INVALID_PARAMETERS, 'a VM relinquishes for itself only: the descriptor must name the caller alone');
  return rel;
}

/** FFA_MEM_RELINQUISH from `vm` of a hypervisor handle (`rel` from readRelinquish). */
export function memRelinquish(hv: Hv, vm: VmState, rel: Relinquish): FfaResult {
  const me = ffaIdOfVm(vm.id);
  if (handleAllocator(rel.handle) !== 'hypervisor') return ffaError(INVALID_PARAMETERS, `${handleText(rel.handle)} is the SPMC's: its relinquish goes to spBorrow.ts`);
  const l = loadLedger(hv);
  // The zero flag's rules (shared memory, a read-only borrower) are the ledger's, as at the SPMC; they answer
  // only where the ledger's own relinquish checks pass.
  if ((rel.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0) {
    const allowed = l.checkRelinquishClear(me, rel.handle);
    if (!allowed.ok) return allowed.error;
  }
  const r = l.relinquish(me, rel.handle);
  if (!r.ok) return r.error;
  saveLedger(hv, l);
  if (r.value.clear || (rel.flags & FFA_MEMORY_REGION_FLAG_CLEAR) !== 0) zeroPages(hv, r.value.constituents);
  projectPages(hv, l, pagesOfRanges(r.value.constituents));
  return ffaSuccess32();
}

/** FFA_MEM_RECLAIM from `vm`: its memory back once no borrower holds it. */
export function memReclaim(hv: Hv, vm: VmState, x: readonly bigint[]): FfaResult {
  const a = decodeReclaimArgs(x);
  const flags = decodeReclaimFlags(a.flags);
  if (!flags.ok) return flags.error;
  if (handleAllocator(a.handle) !== 'hypervisor') return ffaError(INVALID_PARAMETERS, `${handleText(a.handle)} is the SPMC's: its reclaim goes to spMemory.ts`);
  const l = loadLedger(hv);
  const r = l.reclaim(ffaIdOfVm(vm.id), a.handle, flags.value.clear);
  if (!r.ok) return r.error;
  saveLedger(hv, l);
  if (r.value.clear) zeroPages(hv, r.value.constituents);
  projectPages(hv, l, pagesOfRanges(r.value.constituents));
  return ffaSuccess32();
}
