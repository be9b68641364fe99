import { describe, expect, it } from 'vitest';
import type { FfaEvent } from '../core/trace/events.js';
import { ffaPaneLines, ffaViewAt, pairCalls } from './ffa.js';

let seq = 0;
const msg = (fid: number, src: number, dst: number, args: string[] = [], extra: Record<string, unknown> = {}): FfaEvent => ({ seq: seq++, tick: seq, cpu: 0, kind: 'ffa', fid, src, dst, args, ...extra }) as FfaEvent;

const VM = 0x1;
const SP = 0x8001;
const SPMC = 0x8000;
// A VM shares memory with an SP, sends it a direct request (the SP retrieves
// the memory meanwhile), gets the response, then the SP relinquishes and the VM reclaims.
const EVENTS: FfaEvent[] = [
  msg(0xc4000073, VM, SPMC, ['0x30', '0x30'], { receivers: [SP], pages: 4 }), // #0 MEM_SHARE
  msg(0x84000061, SPMC, VM, ['0x0', '0x1234', '0x0']), // #1 SUCCESS, handle 0x1234
  msg(0x8400006f, VM, SP, ['0x0', '0x0', '0x7']), // #2 DIRECT_REQ
  msg(0xc4000074, SP, SPMC, [], { handle: '0x1234' }), // #3 RETRIEVE_REQ (nested)
  msg(0x84000075, SPMC, SP, []), // #4 RETRIEVE_RESP
  msg(0x84000070, SP, VM, ['0x0', '0x0', '0x8']), // #5 DIRECT_RESP
  msg(0x84000076, SP, SPMC, [], { handle: '0x1234' }), // #6 RELINQUISH
  msg(0x84000061, SPMC, SP, []), // #7 SUCCESS
  msg(0x84000077, VM, SPMC, ['0x1234', '0x0']), // #8 RECLAIM
  msg(0x84000061, SPMC, VM, []), // #9 SUCCESS
  msg(0x8400006b, SP, SPMC, []), // #10 MSG_WAIT
];

describe('the FF-A pane (provisional event schema)', () => {
  it('pairs calls with their answers, nested calls first', () => {
    expect(pairCalls(EVENTS).map((c) => [c.call.seq, c.answer?.seq ?? null])).toEqual([[0, 1], [2, 5], [3, 4], [6, 7], [8, 9]]);
  });

  it('tracks a share from its handle to its reclaim', () => {
    expect(ffaViewAt(EVENTS, 0).shares).toEqual([]);
    expect(ffaViewAt(EVENTS, 1).shares).toEqual([{ handle: '0x1234', kind: 'share', sender: VM, receivers: [SP], pages: 4, state: 'shared', since: 1 }]);
    expect(ffaViewAt(EVENTS, 4).shares[0]!.state).toBe('retrieved');
    expect(ffaViewAt(EVENTS, 7).shares[0]!.state).toBe('relinquished');
    expect(ffaViewAt(EVENTS, 9).shares).toEqual([]);
  });

  it('shows the calls waiting at the cursor and what each partition did last', () => {
    const v = ffaViewAt(EVENTS, 3);
    expect(v.pending.map((c) => c.call.seq)).toEqual([2, 3]);
    expect(v.partitions).toEqual([{ id: SP, state: 'running', last: 'FFA_MSG_SEND_DIRECT_REQ_32 at #2' }]);
    expect(ffaViewAt(EVENTS, 10).partitions.find((p) => p.id === SP)!.state).toBe('waiting');
    const lines = ffaPaneLines(EVENTS, 3);
    expect(lines).toContain('  0x1234 share from 0x0001 to 0x8001 pages 4 shared (since #1)');
    expect(lines).toContain('    0x8001 -> 0x8000 FFA_MEM_RETRIEVE_REQ_64 at #3');
    expect(ffaPaneLines([], 0)[0]).toMatch(/^no FF-A messages/);
  });
});
