// The FF-A view of a trace at a given event: memory shares alive there,
// what each partition was last doing, and the calls still waiting for their
// answer (call chains). Built from the 'ffa' events.
//
// PROVISIONAL: the 'ffa' event schema is a placeholder until the FF-A proxy
// and SPMC land (issues 10 and 11). This reads each event as one FF-A
// message: `fid` (w0), `src` the endpoint that sent it, `dst` the one it
// goes to, `args` = w1..w7 (DEN0077 register usage). A call is answered by a
// message from its `dst` back to its `src` with FFA_SUCCESS, FFA_ERROR, a
// direct response, FFA_INTERRUPT or FFA_MSG_WAIT (an SP ending its run).
// Memory transaction descriptors live in the RX/TX buffers, not in
// registers: receivers and page counts are taken from `receivers`/`pages`
// fields when the events carry them, else shown as unknown.
import type { FfaEvent } from '../core/trace/events.js';
import { ffaName } from './decode.js';

const low = (fid: number): number => fid & 0xff;
const FFA_ERROR = 0x60;
const FFA_SUCCESS = 0x61;
const FFA_INTERRUPT = 0x62;
const FFA_MSG_WAIT = 0x6b;
const FFA_RUN = 0x6d;
const FFA_DIRECT_REQ = 0x6f;
const FFA_DIRECT_RESP = 0x70;
const FFA_MEM_DONATE = 0x71;
const FFA_MEM_LEND = 0x72;
const FFA_MEM_SHARE = 0x73;
const FFA_MEM_RETRIEVE_REQ = 0x74;
const FFA_MEM_RETRIEVE_RESP = 0x75;
const FFA_MEM_RELINQUISH = 0x76;
const FFA_MEM_RECLAIM = 0x77;
const FFA_DIRECT_REQ2 = 0x8d;
const FFA_DIRECT_RESP2 = 0x8e;

/** Does this message answer a call (rather than make one)? */
export function isAnswer(e: FfaEvent): boolean {
  return [FFA_ERROR, FFA_SUCCESS, FFA_INTERRUPT, FFA_MSG_WAIT, FFA_DIRECT_RESP, FFA_DIRECT_RESP2, FFA_MEM_RETRIEVE_RESP].includes(low(e.fid));
}

export interface FfaCall {
  call: FfaEvent;
  answer: FfaEvent | null;
}

/** Pairs each call with its answer (the next answering message from its
 *  destination back to its source; nested calls answer first). */
export function pairCalls(events: readonly FfaEvent[]): FfaCall[] {
  const out: FfaCall[] = [];
  const open: FfaCall[] = [];
  for (const e of events) {
    if (!isAnswer(e)) {
      const c = { call: e, answer: null };
      out.push(c);
      open.push(c);
      continue;
    }
    for (let i = open.length - 1; i >= 0; i--) {
      const c = open[i]!;
      if (c.call.dst === e.src && c.call.src === e.dst) {
        c.answer = e;
        open.splice(i, 1);
        break;
      }
    }
  }
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

const extra = (e: FfaEvent): Record<string, unknown> => e as unknown as Record<string, unknown>;

function handleOf(lo: string | undefined, hi: string | undefined): string {
  const v = (BigInt(hi ?? '0x0') << 32n) | (BigInt(lo ?? '0x0') & 0xffff_ffffn);
  return '0x' + v.toString(16);
}

/** The FF-A state after the events up to and including `seq`. */
export function ffaViewAt(events: readonly FfaEvent[], seq: number): FfaView {
  const upto = events.filter((e) => e.seq <= seq);
  const calls = pairCalls(upto);
  const shares = new Map<string, Share>();
  const parts = new Map<number, PartitionState>();
  const touch = (id: number, state: PartitionState['state'], e: FfaEvent): void => {
    parts.set(id, { id, state, last: `${ffaName(e.fid)} at #${e.seq}` });
  };
  for (const { call, answer } of calls) {
    const op = low(call.fid);
    if (answer && low(answer.fid) === FFA_SUCCESS && (op === FFA_MEM_SHARE || op === FFA_MEM_LEND || op === FFA_MEM_DONATE)) {
      const handle = typeof extra(call).handle === 'string' ? (extra(call).handle as string) : handleOf(answer.args[1], answer.args[2]);
      const receivers = Array.isArray(extra(call).receivers) ? (extra(call).receivers as number[]) : null;
      const pages = typeof extra(call).pages === 'number' ? (extra(call).pages as number) : null;
      shares.set(handle, { handle, kind: op === FFA_MEM_SHARE ? 'share' : op === FFA_MEM_LEND ? 'lend' : 'donate', sender: call.src, receivers, pages, state: 'shared', since: answer.seq });
    }
    const handleArg = typeof extra(call).handle === 'string' ? (extra(call).handle as string) : null;
    if (op === FFA_MEM_RETRIEVE_REQ && answer && low(answer.fid) !== FFA_ERROR) {
      const s = handleArg ? shares.get(handleArg) : undefined;
      if (s) {
        s.state = 'retrieved';
        if (!s.receivers) s.receivers = [];
        if (!s.receivers.includes(call.src)) s.receivers.push(call.src);
      }
    }
    if (op === FFA_MEM_RELINQUISH && answer && low(answer.fid) === FFA_SUCCESS) {
      const s = handleArg ? shares.get(handleArg) : undefined;
      if (s) s.state = 'relinquished';
    }
    if (op === FFA_MEM_RECLAIM && answer && low(answer.fid) === FFA_SUCCESS) shares.delete(handleArg ?? handleOf(call.args[0], call.args[1]));
  }
  for (const e of upto) {
    const op = low(e.fid);
    if (op === FFA_MSG_WAIT) touch(e.src, 'waiting', e);
    else if (op === FFA_INTERRUPT) touch(e.src, 'preempted', e);
    else if (op === FFA_DIRECT_REQ || op === FFA_DIRECT_REQ2 || op === FFA_RUN) touch(e.dst, 'running', e);
    else if (op === FFA_DIRECT_RESP || op === FFA_DIRECT_RESP2) touch(e.src, 'idle', e);
  }
  return {
    shares: [...shares.values()],
    partitions: [...parts.values()].sort((a, b) => a.id - b.id),
    pending: calls.filter((c) => c.answer === null || c.answer.seq > seq),
    messages: upto.length,
  };
}

/** Lines for the FF-A pane. */
export function ffaPaneLines(events: readonly FfaEvent[], seq: number): string[] {
  if (events.length === 0) return ['no FF-A messages in this trace (FF-A events appear once the proxy and SPMC record them)'];
  const v = ffaViewAt(events, seq);
  const id = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
  const out: string[] = [`FF-A at #${seq}: ${v.messages} of ${events.length} messages so far`];
  out.push(`memory shares (${v.shares.length}):`);
  for (const s of v.shares) out.push(`  ${s.handle} ${s.kind} from ${id(s.sender)} to ${s.receivers ? s.receivers.map(id).join(',') || '-' : '?'} pages ${s.pages ?? '?'} ${s.state} (since #${s.since})`);
  out.push(`partitions (${v.partitions.length}):`);
  for (const p of v.partitions) out.push(`  ${id(p.id)} ${p.state}: ${p.last}`);
  out.push(`call chain (${v.pending.length} waiting):`);
  for (const [i, c] of v.pending.entries()) out.push(`  ${'  '.repeat(i)}${id(c.call.src)} -> ${id(c.call.dst)} ${ffaName(c.call.fid)} at #${c.call.seq}`);
  return out;
}
