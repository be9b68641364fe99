import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { errorCodeOf } from '../ffa/result.js';
import { checkTransition, type RuntimeModel } from './runtimeModel.js';

const next = (model: RuntimeModel, fid: number, extra = {}): string => {
  const t = checkTransition({ model, fid, ...extra });
  return t.ok ? t.next : `error ${errorCodeOf(t.error)}`;
};

describe('runtime model (FF-A v1.1 §8, Hafnium cpu_cycles.c)', () => {
  it('initialisation: MSG_WAIT or FFA_ERROR end it; requests to partitions not in init block; RUN, YIELD, responses are DENIED', () => {
    expect(next('init', F.FFA_MSG_WAIT)).toBe('waiting');
    expect(next('init', F.FFA_ERROR)).toBe('waiting');
    expect(next('init', F.FFA_MSG_SEND_DIRECT_REQ_32)).toBe('blocked');
    expect(next('init', F.FFA_MSG_SEND_DIRECT_REQ_64, { targetInInit: true })).toBe('error -6');
    for (const fid of [F.FFA_RUN, F.FFA_YIELD, F.FFA_MSG_SEND_DIRECT_RESP_32, F.FFA_MSG_SEND_DIRECT_RESP2]) expect(next('init', fid)).toBe('error -6');
  });

  it('direct request: a response to the requester waits; to anyone else, MSG_WAIT, or a request into its own chain is DENIED', () => {
    expect(next('direct', F.FFA_MSG_SEND_DIRECT_RESP_64, { toRequester: true })).toBe('waiting');
    expect(next('direct', F.FFA_MSG_SEND_DIRECT_RESP_64, { toRequester: false })).toBe('error -6');
    expect(next('direct', F.FFA_MSG_WAIT)).toBe('error -6');
    expect(next('direct', F.FFA_MSG_SEND_DIRECT_REQ2, { targetInChain: true })).toBe('error -6');
    expect(next('direct', F.FFA_MSG_SEND_DIRECT_REQ2)).toBe('blocked');
    expect(next('direct', F.FFA_YIELD)).toBe('blocked');
  });

  it('FFA_RUN model: MSG_WAIT waits, YIELD blocks, a response is DENIED; Secure interrupt model: RUN only of a preempted context', () => {
    expect(next('run', F.FFA_MSG_WAIT)).toBe('waiting');
    expect(next('run', F.FFA_YIELD)).toBe('blocked');
    expect(next('run', F.FFA_MSG_SEND_DIRECT_RESP_32, { toRequester: true })).toBe('error -6');
    expect(next('run', F.FFA_MSG_SEND_DIRECT_REQ_32, { targetInChain: true })).toBe('error -6');
    expect(next('interrupt', F.FFA_MSG_WAIT)).toBe('waiting');
    expect(next('interrupt', F.FFA_RUN, { targetPreempted: true })).toBe('blocked');
    expect(next('interrupt', F.FFA_RUN)).toBe('error -6');
    expect(next('interrupt', F.FFA_MSG_SEND_DIRECT_RESP_32)).toBe('error -6');
    expect(next('none', F.FFA_MSG_WAIT)).toBe('error -6');
  });
});
