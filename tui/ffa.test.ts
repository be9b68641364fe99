import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import type { FfaEvent } from '../core/trace/events.js';
import { TraceReader } from '../replay/traceFile.js';
import { ffaPaneLines, ffaViewAt, pairCalls, resultOf, spmcIdOf } from './ffa.js';

let seq = 0;
/** A message of event format 2 (fid/src/dst/args only). */
const msg = (fid: number, src: number, dst: number, args: string[] = [], extra: Record<string, unknown> = {}): FfaEvent => ({ seq: seq++, tick: seq, cpu: 0, kind: 'ffa', fid, src, dst, args, ...extra }) as FfaEvent;

const VM = 0x1;
const SP = 0x8001;
const SPMC = 0x8000;

describe('the FF-A pane over event format 3 (decoded fields)', () => {
  seq = 100;
  const call = (fid: number, name: string, src: number, dst: number, extra: Partial<FfaEvent> = {}): FfaEvent => msg(fid, src, dst, [], { dir: 'call', name, ...extra });
  const answer = (fid: number, name: string, src: number, dst: number, of: string, extra: Partial<FfaEvent> = {}): FfaEvent => msg(fid, src, dst, [], { dir: 'answer', name, of, ...extra });
  // A lend from the VM to the SP through the hypervisor (0): its FFA_SUCCESS names the handle; the SP
  // retrieves it with a first request refused; the VM reclaims it, the hypervisor from the SPMC.
  const EVENTS: FfaEvent[] = [
    call(0xc4000072, 'FFA_MEM_LEND_64', VM, 0, { receivers: [SP], pages: 2 }), // #100
    call(0xc4000072, 'FFA_MEM_LEND_64', 0, SPMC), // #101: passed on
    answer(0x84000061, 'FFA_SUCCESS_32', SPMC, 0, 'FFA_MEM_LEND_64', { handle: '0x8000000000000001' }), // #102
    answer(0x84000061, 'FFA_SUCCESS_32', 0, VM, 'FFA_MEM_LEND_64', { handle: '0x8000000000000001' }), // #103
    call(0xc4000074, 'FFA_MEM_RETRIEVE_REQ_64', SP, SPMC, { handle: '0x8000000000000001', world: 's' }), // #104
    answer(0x84000060, 'FFA_ERROR', SPMC, SP, 'FFA_MEM_RETRIEVE_REQ_64', { error: 'DENIED', world: 's' }), // #105
    call(0xc4000074, 'FFA_MEM_RETRIEVE_REQ_64', SP, SPMC, { handle: '0x8000000000000001', world: 's' }), // #106
    answer(0x84000075, 'FFA_MEM_RETRIEVE_RESP', SPMC, SP, 'FFA_MEM_RETRIEVE_REQ_64', { handle: '0x8000000000000001', world: 's' }), // #107
    call(0x84000077, 'FFA_MEM_RECLAIM', VM, 0, { handle: '0x8000000000000001' }), // #108
    call(0x84000077, 'FFA_MEM_RECLAIM', 0, SPMC, { handle: '0x8000000000000001' }), // #109
    answer(0x84000061, 'FFA_SUCCESS_32', SPMC, 0, 'FFA_MEM_RECLAIM'), // #110
    answer(0x84000061, 'FFA_SUCCESS_32', 0, VM, 'FFA_MEM_RECLAIM'), // #111
  ];

  it('pairs answers by the call they name; a refusal is not a retrieve', () => {
    expect(pairCalls(EVENTS).map((c) => [c.call.seq, c.answer?.seq ?? null])).toEqual([[100, 103], [101, 102], [104, 105], [106, 107], [108, 111], [109, 110]]);
    expect(ffaViewAt(EVENTS, 103).shares).toEqual([{ handle: '0x8000000000000001', kind: 'lend', sender: VM, receivers: [SP], pages: 2, state: 'shared', since: 103 }]);
    expect(ffaViewAt(EVENTS, 105).shares[0]!.state).toBe('shared');
    expect(ffaViewAt(EVENTS, 107).shares[0]!.state).toBe('retrieved');
    expect(ffaViewAt(EVENTS, 109).shares).toHaveLength(1);
    expect(ffaViewAt(EVENTS, 110).shares).toEqual([]); // the SPMC reclaimed it (for the hypervisor, for the VM)
    expect(resultOf(EVENTS[5]!)).toBe('FFA_ERROR DENIED');
    expect(ffaPaneLines(EVENTS, 109)).toContain('    0x0000 -> 0x8000 FFA_MEM_RECLAIM 0x8000000000000001 at #109');
  });

  it('takes the SPMC\'s ID from the SPMD\'s entry (0x8000 without one); the SPMC and SPMD are no partitions', () => {
    expect(spmcIdOf(EVENTS)).toBe(0x8000);
    const entry = call(0, '0x0', 0xffff, 0x8100, { world: 's' });
    const wait = answer(0x8400006b, 'FFA_MSG_WAIT', 0x8100, 0xffff, 'FFA_MSG_WAIT', { world: 's' });
    const spWait = answer(0x8400006b, 'FFA_MSG_WAIT', 0x8101, 0x8100, 'FFA_MSG_WAIT', { world: 's' });
    const trace = [entry, spWait, wait];
    expect(spmcIdOf(trace)).toBe(0x8100);
    expect(ffaViewAt(trace, spWait.seq).partitions.map((p) => p.id)).toEqual([0x8101]);
  });
});

describe('the FF-A pane over event format 2 (a trace recorded before the decoded fields)', () => {
  seq = 0;
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

  it('pairs calls with their answers, nested calls first', () => {
    expect(pairCalls(EVENTS).map((c) => [c.call.seq, c.answer?.seq ?? null])).toEqual([[0, 1], [2, 5], [3, 4], [6, 7], [8, 9]]);
  });

  it('tracks a share from its handle (FFA_SUCCESS w2/w3) to its reclaim (w1/w2)', () => {
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
    expect(lines).toContain('    0x8001 -> 0x8000 FFA_MEM_RETRIEVE_REQ_64 0x1234 at #3');
    expect(ffaPaneLines([], 0)[0]).toMatch(/^no FF-A messages/);
  });
});

describe('the FF-A pane on a recorded ffa-demo (hvrr record ffa-demo --smp 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-tui-ffa-'));
  let events: FfaEvent[] = [];
  beforeAll(async () => {
    const trace = join(dir, 'ffa-demo.hvrr');
    const r = await runCli(['record', 'ffa-demo', '--smp', '2', '-o', trace]);
    expect(r.code, r.err).toBe(0);
    const reader = TraceReader.open(trace);
    events = [...reader.eventsInRange(reader.firstSeq, Number.MAX_SAFE_INTEGER)].filter((e): e is FfaEvent => e.kind === 'ffa');
    reader.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every call by the end of the run, each on the PE that made it', () => {
    expect(events.length).toBeGreaterThan(400);
    const pairs = pairCalls(events);
    expect(pairs.filter((c) => c.answer === null).map((c) => `#${c.call.seq} ${c.call.name}`)).toEqual([]);
    for (const c of pairs) expect(c.answer!.cpu).toBe(c.call.cpu);
    expect(ffaViewAt(events, events[events.length - 1]!.seq).pending).toEqual([]);
  });

  it('follows the VM\'s first share to a partition: handle, sender, receivers, pages, then retrieved, relinquished, reclaimed', () => {
    const send = events.find((e) => e.name === 'FFA_MEM_SHARE_64' && e.src === VM)!;
    expect(send.receivers).toEqual([SP]);
    const ok = pairCalls(events).find((c) => c.call === send)!.answer!;
    expect(ok).toMatchObject({ name: 'FFA_SUCCESS_32', of: 'FFA_MEM_SHARE_64', dst: VM });
    const handle = ok.handle!;
    const at = (s: number) => ffaViewAt(events, s).shares.find((x) => x.handle === handle);
    expect(at(send.seq)).toBeUndefined();
    expect(at(ok.seq)).toEqual({ handle, kind: 'share', sender: VM, receivers: [SP], pages: send.pages, state: 'shared', since: ok.seq });
    const retrieve = events.find((e) => e.seq > ok.seq && e.name?.startsWith('FFA_MEM_RETRIEVE_REQ') && e.handle === handle)!;
    expect(retrieve.src).toBe(SP);
    const retrieved = events.find((e) => e.seq > retrieve.seq && e.name === 'FFA_MEM_RETRIEVE_RESP')!;
    expect(at(retrieved.seq)!.state).toBe('retrieved');
    const relinquish = events.find((e) => e.seq > retrieved.seq && e.name === 'FFA_MEM_RELINQUISH' && e.handle === handle)!;
    expect(at(relinquish.seq + 1)!.state).toBe('relinquished');
    const reclaim = events.find((e) => e.seq > relinquish.seq && e.name === 'FFA_MEM_RECLAIM' && e.src === VM && e.handle === handle)!;
    const done = pairCalls(events).find((c) => c.call === reclaim)!.answer!;
    expect(done).toMatchObject({ of: 'FFA_MEM_RECLAIM', name: 'FFA_SUCCESS_32' });
    expect(at(done.seq - 1)).toBeDefined();
    expect(at(done.seq)).toBeUndefined();
    // Meanwhile the partition ran the VM's direct request, and the pane shows the chain and the share.
    const inside = ffaPaneLines(events, retrieve.seq);
    expect(inside).toContain(`  ${handle} share from 0x0001 to 0x8001 pages ${send.pages} shared (since #${ok.seq})`);
    expect(inside).toContainEqual(expect.stringMatching(/^ {2}0x0001 -> 0x8001 FFA_MSG_SEND_DIRECT_REQ_64 at #\d+$/));
    expect(inside).toContain(`      0x8001 -> 0x8000 ${retrieve.name} ${handle} at #${retrieve.seq}`);
    expect(inside).toContainEqual(expect.stringMatching(/^ {2}0x8001 running: FFA_MSG_SEND_DIRECT_REQ_64 at #\d+$/));
  });

  it('ends with the three partitions, the unanswered request to a missing one refused, nothing waiting', () => {
    const v = ffaViewAt(events, events[events.length - 1]!.seq);
    expect(v.partitions.map((p) => p.id)).toEqual([0x8001, 0x8002, 0x8003]);
    const refused = events.filter((e) => e.error !== undefined);
    expect(refused.length).toBeGreaterThan(10);
    expect(new Set(refused.map((e) => e.error))).toContain('INVALID_PARAMETERS');
  });
});
