// The FF-A view of a trace at a given event: memory shares alive there,
// what each partition was last doing, and the calls still waiting for their
// answer (call chains). Built from the 'ffa' events (docs/trace-format.md):
// each is one FF-A message, `dir` a call or an answer, `name` its function
// (an answer's result), `of` the call an answer answers, `error`, `handle`,
// and a memory send's `receivers` and `pages`. A call is answered by the next
// answer from its `dst` back to its `src`. Events of format 1 and 2 traces
// have only fid/src/dst/args: their direction comes from the function, a
// memory send's handle from its FFA_SUCCESS (w2/w3), a reclaim's from w1/w2.
import type { FfaEvent } from '../core/trace/events.js';
import { isFfaAnswer } from '../core/trace/ffaEvent.js';
import { FFA_ID_SECURE_BIT } from '../core/ffa/endpoints.js';
import { SPMD_DIRECT_MSG_ENDPOINT_ID } from '../core/firmware/ffaIds.js';
import { ffaName } from './decode.js';

const low = (fid: number): number => fid & 0xff;
const FFA_ERROR = 0x60;
const FFA_SUCCESS = 0x61;
const FFA_INTERRUPT = 0x62;
const FFA_MSG_WAIT = 0x6b;
const FFA_YIELD = 0x6c;
const FFA_RUN = 0x6d;
const FFA_DIRECT_REQ = 0x6f;
const FFA_DIRECT_RESP = 0x70;
const FFA_MEM_DONATE = 0x71;
const FFA_MEM_LEND = 0x72;
const FFA_MEM_SHARE = 0x73;
const FFA_MEM_RETRIEVE_REQ = 0x74;
const FFA_MEM_RELINQUISH = 0x76;
const FFA_MEM_RECLAIM = 0x77;
const FFA_DIRECT_REQ2 = 0x8d;
const FFA_DIRECT_RESP2 = 0x8e;

/** Does this message answer a call (rather than make one)? */
export function isAnswer(e: FfaEvent): boolean {
  return e.dir !== undefined ? e.dir === 'answer' : isFfaAnswer(e.fid);
}

/** The function's name: the event's own (format 3), else decoded from fid. */
export function nameOf(e: FfaEvent): string {
  return e.name ?? ffaName(e.fid);
}

/** "FFA_SUCCESS_32", "FFA_ERROR DENIED", "NOT_SUPPORTED": what an answer says. */
export function resultOf(e: FfaEvent): string {
  if (e.error !== undefined) return low(e.fid) === FFA_ERROR ? `FFA_ERROR ${e.error}` : e.error;
  if (low(e.fid) === FFA_ERROR && e.dir === undefined && e.args[1] !== undefined) return `FFA_ERROR ${Number(BigInt.asIntN(32, BigInt(e.args[1])))}`;
  return nameOf(e);
}

export interface FfaCall {
  call: FfaEvent;
  answer: FfaEvent | null;
}

/** The SPMC's endpoint ID: where the SPMD's own calls go (its boot entry, framework messages); the
 *  usual 0x8000 (FFA_ID_SECURE_BIT, hvrr's SPMC) in a trace without them. */
export function spmcIdOf(events: readonly FfaEvent[]): number {
  return events.find((e) => e.src === SPMD_DIRECT_MSG_ENDPOINT_ID && !isAnswer(e))?.dst ?? FFA_ID_SECURE_BIT;
}

/** Endpoints that answer on another's behalf: the hypervisor (0) for its VMs, the SPMC and the SPMD. */
function isRelayer(id: number, spmc: number): boolean {
  return id === 0 || id === spmc || id === SPMD_DIRECT_MSG_ENDPOINT_ID;
}

/** Does answer `a` answer call `c`? It goes back to the caller, from the callee, or names the call (`of`),
 *  or is a relayer's result that is not a direct response (an SPMC's FFA_ERROR to a request it refused). */
function answers(a: FfaEvent, c: FfaEvent, spmc: number): boolean {
  // The SPMD's own request to the SPMC (a framework message): the SPMD takes the answer and passes a result on.
  if (c.src === SPMD_DIRECT_MSG_ENDPOINT_ID && a.src === c.dst) return true;
  if (c.src !== a.dst) return false;
  if (a.of !== undefined) return nameOf(c) === a.of;
  if (c.dst === a.src) return true;
  const op = low(a.fid);
  return isRelayer(a.src, spmc) && op !== FFA_DIRECT_RESP && op !== FFA_DIRECT_RESP2;
}

/** Call `b` passes on call `a` (the SPMD relaying a direct request the proxy forwards as it is, or the proxy
 *  forwarding a VM's call to the SPMC): same function, arguments and tick, from the same caller or from `a`'s callee. */
function passesOn(a: FfaEvent, b: FfaEvent, spmc: number): boolean {
  return a.fid === b.fid && a.tick === b.tick && (a.src === b.src ? a.dst === b.dst : b.src === a.dst && isRelayer(a.dst, spmc)) && a.args.join() === b.args.join();
}

/** Pairs each call with its answer: per PE (an FF-A call is answered on the PE that made it), the latest
 *  open call the answer answers (nested calls answer first). A call passed on unchanged by a relayer shares
 *  the answer of the call it passes on. */
export function pairCalls(events: readonly FfaEvent[], spmc = spmcIdOf(events)): FfaCall[] {
  const out: FfaCall[] = [];
  const open = new Map<number, FfaCall[]>();
  const relays: Array<[FfaCall, FfaCall]> = [];
  for (const e of events) {
    let stack = open.get(e.cpu);
    if (!stack) open.set(e.cpu, (stack = []));
    if (!isAnswer(e)) {
      const c: FfaCall = { call: e, answer: null };
      out.push(c);
      const top = stack[stack.length - 1];
      if (top && passesOn(top.call, e, spmc)) relays.push([c, top]);
      else stack.push(c);
      continue;
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      const c = stack[i]!;
      if (answers(e, c.call, spmc)) {
        c.answer = e;
        stack.splice(i, 1);
        break;
      }
    }
  }
  for (const [relay, first] of relays) relay.answer = first.answer;
  return out;
}

export interface Share {
  handle: string;
  kind: 'share' | 'lend' | 'donate';
  sender: number;
  receivers: number[] | null;
  pages: number | null;
  state: 'shared' | 'retrieved' | 'relinquished';
  /** Seq of the answer that gave the handle. */
  since: number;
}

export interface PartitionState {
  id: number;
  state: 'running' | 'waiting' | 'preempted' | 'idle';
  /** Its last message, "FFA_MSG_WAIT at #123". */
  last: string;
}

export interface FfaView {
  shares: Share[];
  partitions: PartitionState[];
  /** Calls made at or before the seq and not answered by then, outermost first. */
  pending: FfaCall[];
  /** FF-A messages seen up to the seq. */
  messages: number;
}

function handleOf(lo: string | undefined, hi: string | undefined): string {
  const v = (BigInt(hi ?? '0x0') << 32n) | (BigInt(lo ?? '0x0') & 0xffff_ffffn);
  return '0x' + v.toString(16);
}

/** The handle a memory send's answer gives: its `handle` (format 3), or FFA_SUCCESS's w2/w3 in an older trace. */
function sentHandle(answer: FfaEvent): string | null {
  if (answer.handle !== undefined) return answer.handle;
  return answer.dir === undefined && low(answer.fid) === FFA_SUCCESS ? handleOf(answer.args[1], answer.args[2]) : null;
}

/** The handle a retrieve/relinquish/reclaim call names (its own, or its answer's; a format 2 reclaim's w1/w2). */
function namedHandle(call: FfaEvent, answer: FfaEvent | null): string | null {
  if (call.handle !== undefined) return call.handle;
  if (answer?.handle !== undefined) return answer.handle;
  return call.dir === undefined && low(call.fid) === FFA_MEM_RECLAIM ? handleOf(call.args[0], call.args[1]) : null;
}

/** A partition: a Secure endpoint other than the SPMC and the SPMD (IDs with bit 15 set are Secure). */
function isPartition(id: number, spmc: number): boolean {
  return (id & FFA_ID_SECURE_BIT) !== 0 && id !== spmc && id !== SPMD_DIRECT_MSG_ENDPOINT_ID;
}

/** The FF-A state after the events up to and including `seq`. */
export function ffaViewAt(events: readonly FfaEvent[], seq: number): FfaView {
  const upto = events.filter((e) => e.seq <= seq);
  const spmc = spmcIdOf(events);
  const calls = pairCalls(upto, spmc);
  const shares = new Map<string, Share>();
  const parts = new Map<number, PartitionState>();
  const touch = (id: number, state: PartitionState['state'], e: FfaEvent): void => {
    if (isPartition(id, spmc)) parts.set(id, { id, state, last: `${nameOf(e)} at #${e.seq}` });
  };
  for (const { call, answer } of calls) {
    const op = low(call.fid);
    const ok = answer !== null && !isFailure(answer);
    if (ok && (op === FFA_MEM_SHARE || op === FFA_MEM_LEND || op === FFA_MEM_DONATE)) {
      const handle = sentHandle(answer);
      if (handle !== null) {
        const known = shares.get(handle);
        shares.set(handle, {
          handle, kind: op === FFA_MEM_SHARE ? 'share' : op === FFA_MEM_LEND ? 'lend' : 'donate',
          sender: known?.sender ?? call.src, receivers: call.receivers ? [...call.receivers] : known?.receivers ?? null, pages: call.pages ?? known?.pages ?? null,
          state: 'shared', since: known?.since ?? answer.seq,
        });
      }
    }
    const s = op === FFA_MEM_RETRIEVE_REQ || op === FFA_MEM_RELINQUISH || op === FFA_MEM_RECLAIM ? shares.get(namedHandle(call, answer) ?? '') : undefined;
    if (!s || !ok) continue;
    if (op === FFA_MEM_RETRIEVE_REQ && isPartitionOrVm(call.src, s.sender)) {
      s.state = 'retrieved';
      if (!s.receivers) s.receivers = [];
      if (!s.receivers.includes(call.src)) s.receivers.push(call.src);
    }
    if (op === FFA_MEM_RELINQUISH) s.state = 'relinquished';
    if (op === FFA_MEM_RECLAIM) shares.delete(s.handle);
  }
  // A request refused (no such partition, a cycle) ran nothing.
  const refused = new Set(calls.filter((c) => c.answer !== null && isFailure(c.answer)).map((c) => c.call.seq));
  for (const e of upto) {
    const op = low(e.fid);
    if (op === FFA_MSG_WAIT) touch(e.src, 'waiting', e);
    else if (op === FFA_INTERRUPT || op === FFA_YIELD) touch(e.src, 'preempted', e);
    else if (refused.has(e.seq)) continue;
    else if (op === FFA_DIRECT_REQ || op === FFA_DIRECT_REQ2) touch(e.dst, 'running', e);
    else if (op === FFA_RUN) touch(Number((BigInt(e.args[0] ?? '0x0') >> 16n) & 0xffffn), 'running', e);
    else if (op === FFA_DIRECT_RESP || op === FFA_DIRECT_RESP2) touch(e.src, 'idle', e);
  }
  return {
    shares: [...shares.values()],
    partitions: [...parts.values()].sort((a, b) => a.id - b.id),
    pending: calls.filter((c) => c.answer === null || c.answer.seq > seq),
    messages: upto.length,
  };
}

/** An answer that refuses: FFA_ERROR, or an error named on another function. */
function isFailure(answer: FfaEvent): boolean {
  return low(answer.fid) === FFA_ERROR || answer.error !== undefined;
}

/** A retrieve by a borrower (not the sender's own retrieve, as the hypervisor makes before a reclaim). */
function isPartitionOrVm(retriever: number, sender: number): boolean {
  return retriever !== sender && retriever !== 0;
}

/** Lines for the FF-A pane. */
export function ffaPaneLines(events: readonly FfaEvent[], seq: number): string[] {
  if (events.length === 0) return ['no FF-A messages in this trace (recorded with --secure or an FF-A scenario, the proxy and the SPMC record them)'];
  const v = ffaViewAt(events, seq);
  const id = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
  const out: string[] = [`FF-A at #${seq}: ${v.messages} of ${events.length} messages so far`];
  out.push(`memory shares (${v.shares.length}):`);
  for (const s of v.shares) out.push(`  ${s.handle} ${s.kind} from ${id(s.sender)} to ${s.receivers ? s.receivers.map(id).join(',') || '-' : '?'} pages ${s.pages ?? '?'} ${s.state} (since #${s.since})`);
  out.push(`partitions (${v.partitions.length}):`);
  for (const p of v.partitions) out.push(`  ${id(p.id)} ${p.state}: ${p.last}`);
  out.push(`call chain (${v.pending.length} waiting):`);
  for (const [i, c] of v.pending.entries()) out.push(`  ${'  '.repeat(i)}${id(c.call.src)} -> ${id(c.call.dst)} ${nameOf(c.call)}${c.call.handle ? ` ${c.call.handle}` : ''} at #${c.call.seq}`);
  return out;
}
