// Building an 'ffa' trace event (event format 3): the three emitters (the
// hypervisor's FF-A proxy, the SPMD, the SPMC) hand over the registers of a
// message and what they know beyond them; this decodes the function name,
// whether the message calls or answers, the error name of an FFA_ERROR, the
// memory handle where the registers or the descriptor carry one, and a
// memory send's receivers and page count from its transaction descriptor.
import * as F from '../ffa/functionIds.js';
import { ffaErrorCodeOfW2, ffaErrorName } from '../ffa/errors.js';
import { HEADER_EMAD_SIZE, HEADER_HANDLE, HEADER_RECEIVER_COUNT, HEADER_RECEIVERS_OFFSET, EMAD_COMPOSITE_OFFSET, COMPOSITE_PAGE_COUNT } from '../ffa/memory/layout.js';
import { RELINQUISH_HANDLE } from '../ffa/memory/relinquish.js';
import { hex64, type FfaDir, type FfaEvent, type World } from './events.js';

/** Messages that answer a call rather than make one (DEN0077 v1.2 §7, §15, §16):
 *  the success/error results, a direct response, a retrieve response, and the
 *  ways a partition gives its PE back to whoever ran it (FFA_MSG_WAIT,
 *  FFA_YIELD, FFA_INTERRUPT). */
const ANSWERS: ReadonlySet<number> = new Set([
  F.FFA_ERROR, F.FFA_SUCCESS_32, F.FFA_SUCCESS_64, F.FFA_INTERRUPT, F.FFA_MSG_WAIT, F.FFA_YIELD,
  F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP_64, F.FFA_MSG_SEND_DIRECT_RESP2, F.FFA_MEM_RETRIEVE_RESP,
]);

/** Does a message with this function ID answer a call? */
export function isFfaAnswer(fid: number): boolean {
  return ANSWERS.has(fid >>> 0);
}

const MEM_SENDS: ReadonlySet<number> = new Set([
  F.FFA_MEM_DONATE_32, F.FFA_MEM_DONATE_64, F.FFA_MEM_LEND_32, F.FFA_MEM_LEND_64, F.FFA_MEM_SHARE_32, F.FFA_MEM_SHARE_64,
]);
const RETRIEVES: ReadonlySet<number> = new Set([F.FFA_MEM_RETRIEVE_REQ_32, F.FFA_MEM_RETRIEVE_REQ_64, F.FFA_MEM_RETRIEVE_RESP]);

/** A memory send call (FFA_MEM_DONATE/LEND/SHARE, 32 or 64)? */
export function isFfaMemSend(fid: number): boolean {
  return MEM_SENDS.has(fid >>> 0);
}

/** The name an 'ffa' event gives a function ID: the spec's, or "0x…" for an ID outside the table. */
export function ffaEventName(fid: number): string {
  return F.ffaFunctionName(fid >>> 0) ?? '0x' + (fid >>> 0).toString(16);
}

/** What an emitter knows of a message beyond its registers. */
export interface FfaEventDetails {
  /** Call or answer; by default by the function (isFfaAnswer). */
  dir?: FfaDir;
  /** An answer: the function ID of the call it answers (a memory send's FFA_SUCCESS then names the handle). */
  of?: number;
  /** A refusal the registers do not show as FFA_ERROR in w0 (the SPMD's own answers keep the call's ID in `fid`). */
  error?: string;
  /** The descriptor the message refers to, as the caller's TX buffer (or the receiver's RX buffer for
   *  FFA_MEM_RETRIEVE_RESP) holds it: a memory transaction descriptor or, for FFA_MEM_RELINQUISH, a relinquish one. */
  descriptor?: Uint8Array;
  /** The FF-A version of the endpoint that wrote the descriptor (its layout). */
  version?: number;
}

/** The 'ffa' event of one message; `args` are w1..w7 (DEN0077 register usage). */
export function ffaEvent(tick: number, cpu: number, world: World | undefined, fid: number, src: number, dst: number, args: readonly bigint[], d: FfaEventDetails = {}): FfaEvent {
  fid = fid >>> 0;
  const dir = d.dir ?? (isFfaAnswer(fid) ? 'answer' : 'call');
  const e: FfaEvent = { seq: 0, kind: 'ffa', tick, cpu, fid, src, dst, args: args.map((v) => hex64(v)), dir, name: ffaEventName(fid) };
  if (world === 's') e.world = 's';
  if (dir === 'answer' && d.of !== undefined) e.of = ffaEventName(d.of);
  // FFA_ERROR names its code in w2; FFA_VERSION refuses with NOT_SUPPORTED (-1) in w0 itself.
  if (fid === F.FFA_ERROR) e.error = errorText(ffaErrorCodeOfW2(args[1] ?? 0n));
  else if (dir === 'answer' && d.of !== undefined && d.of >>> 0 === F.FFA_VERSION && fid === 0xffff_ffff) e.error = 'NOT_SUPPORTED';
  else if (d.error !== undefined) e.error = d.error;
  const handle = handleOf(fid, args, d);
  if (handle !== null) e.handle = hex64(handle);
  if (isFfaMemSend(fid) && d.descriptor) {
    const sent = sendSummary(d.descriptor, d.version ?? F.FFA_VERSION_1_1);
    if (sent) {
      e.receivers = sent.receivers;
      e.pages = sent.pages;
    }
  }
  return e;
}

/** An error code's spec name, "code N" for one outside the spec. */
export function errorText(code: number): string {
  return ffaErrorName(code) ?? `code ${code}`;
}

const words = (lo: bigint | undefined, hi: bigint | undefined): bigint => ((hi ?? 0n) & 0xffff_ffffn) << 32n | ((lo ?? 0n) & 0xffff_ffffn);

/** The memory handle a message carries: in w1/w2 (FFA_MEM_RECLAIM, FFA_MEM_FRAG_RX/TX), in w2/w3 (the
 *  FFA_SUCCESS answering a memory send or its last fragment), or in its descriptor (retrieve, relinquish). */
function handleOf(fid: number, a: readonly bigint[], d: FfaEventDetails): bigint | null {
  if (fid === F.FFA_MEM_RECLAIM || fid === F.FFA_MEM_FRAG_RX || fid === F.FFA_MEM_FRAG_TX) return words(a[0], a[1]);
  if ((fid === F.FFA_SUCCESS_32 || fid === F.FFA_SUCCESS_64) && d.of !== undefined && (isFfaMemSend(d.of) || d.of >>> 0 === F.FFA_MEM_FRAG_TX)) return words(a[1], a[2]);
  const b = d.descriptor;
  if (!b) return null;
  if (RETRIEVES.has(fid) && b.length >= HEADER_HANDLE + 8) return u64(b, HEADER_HANDLE);
  if (fid === F.FFA_MEM_RELINQUISH && b.length >= RELINQUISH_HANDLE + 8) return u64(b, RELINQUISH_HANDLE);
  return null;
}

/** Receivers and page count of a memory transaction descriptor (the first receiver's composite), or null when it does not hold them. */
function sendSummary(b: Uint8Array, version: number): { receivers: number[]; pages: number } | null {
  if (b.length < 32) return null;
  const v10 = version <= F.FFA_VERSION_1_0;
  const emad = v10 ? 16 : u32(b, HEADER_EMAD_SIZE);
  const first = v10 ? 32 : u32(b, HEADER_RECEIVERS_OFFSET);
  const count = u32(b, HEADER_RECEIVER_COUNT);
  if (emad < 16 || count === 0 || first + count * emad > b.length) return null;
  const receivers: number[] = [];
  for (let i = 0; i < count; i++) receivers.push(b[first + i * emad]! | (b[first + i * emad + 1]! << 8));
  const composite = u32(b, first + EMAD_COMPOSITE_OFFSET);
  if (composite === 0 || composite + 4 > b.length) return null;
  return { receivers, pages: u32(b, composite + COMPOSITE_PAGE_COUNT) };
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, at: number): bigint {
  return (BigInt(u32(b, at + 4)) << 32n) | BigInt(u32(b, at));
}
