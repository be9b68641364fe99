// The partition runtime model (FF-A v1.1 §7/§8, v1.2 §8.3-8.4): the states
// of a partition's execution context and which calls each runtime model
// allows, as Hafnium's ffa_cpu_cycles_check_runtime_state_transition.
// Pure: a refused transition is an FF-A error with its reason, never an
// exception.
import { DENIED } from '../ffa/errors.js';
import * as F from '../ffa/functionIds.js';
import { ffaError, type FfaResult } from '../ffa/result.js';

/** An execution context's state (§7.1; 'off' before its first run on a PE, Hafnium VCPU_STATE_OFF). */
export type VcpuState = 'off' | 'waiting' | 'running' | 'blocked' | 'preempted' | 'aborted';
/** Why it runs (Hafnium's rt_model): initialisation, FFA_RUN, a direct request, a Secure interrupt. */
export type RuntimeModel = 'init' | 'run' | 'direct' | 'interrupt' | 'none';

const REQS: ReadonlySet<number> = new Set([F.FFA_MSG_SEND_DIRECT_REQ_32, F.FFA_MSG_SEND_DIRECT_REQ_64, F.FFA_MSG_SEND_DIRECT_REQ2]);
const RESPS: ReadonlySet<number> = new Set([F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP_64, F.FFA_MSG_SEND_DIRECT_RESP2]);

export interface TransitionQuery {
  model: RuntimeModel;
  fid: number;
  /** For a request or FFA_RUN: the target is already in the caller's call chain. */
  targetInChain?: boolean;
  /** For a request: the target is itself in its initialisation. */
  targetInInit?: boolean;
  /** For FFA_RUN: the target is preempted. */
  targetPreempted?: boolean;
  /** For a response: it goes to the endpoint that sent the ongoing request. */
  toRequester?: boolean;
}

export type Transition = { ok: true; next: VcpuState } | { ok: false; error: FfaResult };

const deny = (why: string): Transition => ({ ok: false, error: ffaError(DENIED, why) });

/** What the calling context becomes after `fid`, or DENIED (Hafnium's answer to a transition its model forbids). */
export function checkTransition(q: TransitionQuery): Transition {
  const fid = q.fid >>> 0;
  const name = F.ffaFunctionName(fid) ?? `0x${fid.toString(16)}`;
  const isReq = REQS.has(fid);
  const isResp = RESPS.has(fid);
  switch (q.model) {
    case 'init':
      if (isReq) return q.targetInInit ? deny('a partition in its initialisation cannot be sent a request') : { ok: true, next: 'blocked' };
      if (fid === F.FFA_MSG_WAIT || fid === F.FFA_ERROR) return { ok: true, next: 'waiting' };
      return deny(`${name} is not allowed during initialisation (§8.3 rules 4-6)`);
    case 'run':
      if (isReq || fid === F.FFA_RUN) return q.targetInChain ? deny('the target precedes the caller in its call chain') : { ok: true, next: 'blocked' };
      if (fid === F.FFA_MSG_WAIT) return { ok: true, next: 'waiting' };
      if (fid === F.FFA_YIELD) return { ok: true, next: 'blocked' };
      return deny(`${name} is not allowed in the FFA_RUN runtime model`);
    case 'direct':
      if (isReq || fid === F.FFA_RUN) return q.targetInChain ? deny('the target precedes the caller in its call chain') : { ok: true, next: 'blocked' };
      if (isResp) return q.toRequester ? { ok: true, next: 'waiting' } : deny('a direct response goes to the endpoint that sent the request');
      if (fid === F.FFA_YIELD) return { ok: true, next: 'blocked' };
      return deny(`${name} is not allowed while a direct request is being handled (§8.3 rule 4)`);
    case 'interrupt':
      if (isReq) return { ok: true, next: 'blocked' };
      if (fid === F.FFA_RUN) return q.targetPreempted ? { ok: true, next: 'blocked' } : deny('FFA_RUN while handling a Secure interrupt resumes only a preempted context');
      if (fid === F.FFA_MSG_WAIT || fid === F.FFA_YIELD) return { ok: true, next: fid === F.FFA_MSG_WAIT ? 'waiting' : 'blocked' };
      return deny(`${name} is not allowed while handling a Secure interrupt`);
    case 'none':
      return deny(`${name}: the context is not running`);
  }
}

export function isDirectRequest(fid: number): boolean {
  return REQS.has(fid >>> 0);
}
export function isDirectResponse(fid: number): boolean {
  return RESPS.has(fid >>> 0);
}
