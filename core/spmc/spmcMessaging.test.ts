// Direct messaging through the SPMC on a whole machine: SP-to-SP call
// chains, cycle refusal, BUSY, REQ2 by UUID, aborts, yields, the runtime
// model's refusals, the console.
import { describe, expect, it } from 'vitest';
import * as F from '../ffa/functionIds.js';
import { uuidFromText, uuidToX2 } from '../ffa/uuid.js';
import { formatEvent } from '../trace/events.js';
import { bootSpmcMachine } from './spmcTesting.js';
import { errorOf, nsProgram, nsResult } from './nsCalls.js';
import { testPartitionPackage } from './testPartition.js';

const SP1 = 0x8001;
const SP2 = 0x8002;
const SP3 = 0x8003;
const ERR = BigInt(F.FFA_ERROR);
const RESP32 = BigInt(F.FFA_MSG_SEND_DIRECT_RESP_32);
const req = (to: number, cmd: number, ...payload: (bigint | number)[]) => ({ fid: F.FFA_MSG_SEND_DIRECT_REQ_32, args: [to, 0, cmd, ...payload] });
const three = () => [testPartitionPackage({ id: SP1 }), testPartitionPackage({ id: SP2, messaging: 0x1 }), testPartitionPackage({ id: SP3 })];
const neg = (code: number): bigint => BigInt.asUintN(32, BigInt(code));

describe('SPMC direct messaging', () => {
  it('SP-to-SP: SP3 relays a request to SP1 and returns its answer; the chain shows in the trace', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP3, 1, 0x10, SP1, 0)]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const r = nsResult(m, 0);
    expect(r.slice(0, 6)).toEqual([RESP32, BigInt(SP3) << 16n, 0n, RESP32, 0x1010n, 0n]);
    expect(spmc.s.partitions.every((p) => p.vcpus[0]!.state === 'waiting')).toBe(true);
    const ffa = m.trace.last(10_000).filter((e) => e.kind === 'ffa').map((e) => formatEvent(e).replace(/^#\d+ @\d+ /, ''));
    expect(ffa).toContainEqual(expect.stringMatching(/^cpu0 ffa call FFA_MSG_SEND_DIRECT_REQ_32 fid=0x8400006f src=0x8003 dst=0x8001 args=\[0x80038001,0x0,0x0,0x10,/));
    expect(ffa).toContainEqual(expect.stringMatching(/^cpu0 ffa answer FFA_MSG_SEND_DIRECT_RESP_32 fid=0x84000070 src=0x8001 dst=0x8003 args=\[0x80018003,0x0,0x0,0x1010,/));
  });

  it('a request that would close a cycle is DENIED (the target precedes the caller in the chain); a request to oneself INVALID_PARAMETERS', () => {
    // NWd -> SP3 -> SP1 -> SP3 (cycle); then NWd -> SP3 -> SP3.
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP3, 1, 0x10, SP1, 1, SP3), req(SP3, 1, 0, SP3, 0)]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const r = nsResult(m, 0);
    // SP3's answer: SP1's response (x3), whose w3 is SP1's view of its own request: FFA_ERROR, w5 DENIED.
    expect([r[3], r[6], r[7]]).toEqual([RESP32, ERR, neg(-6)]);
    expect(spmc.s.log).toContainEqual(expect.stringContaining('the target precedes the caller in its call chain'));
    const self = nsResult(m, 1);
    expect([self[3], self[5]]).toEqual([ERR, neg(-2)]);
    expect(spmc.s.partitions.every((p) => p.vcpus[0]!.state === 'waiting')).toBe(true);
  });

  it('a partition whose manifest does not let it send requests is DENIED; a receiver that does not take REQ2 is DENIED', () => {
    const { m } = bootSpmcMachine(nsProgram([
      req(SP2, 1, 0, SP1, 0),
      { fid: F.FFA_VERSION, args: [F.FFA_VERSION_1_2] },
      { fid: F.FFA_MSG_SEND_DIRECT_REQ2, args: [SP2, ...uuidToX2(uuidFromText('5e5e0000-0000-4000-8000-000000008002')!), 7] },
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const r = nsResult(m, 0);
    expect([r[3], r[5]]).toEqual([ERR, neg(-6)]);
    expect(errorOf(nsResult(m, 2))).toBe(-6);
  });

  it('FFA_MSG_SEND_DIRECT_REQ2 by UUID (v1.2): x4-x17 reach the partition and its RESP2 comes back; an unknown UUID is INVALID_PARAMETERS; a v1.1 caller NOT_SUPPORTED', () => {
    const [lo, hi] = uuidToX2(uuidFromText('5e5e0000-0000-4000-8000-000000008001')!);
    const payload = Array.from({ length: 14 }, (_, i) => BigInt(0x100 + i));
    const { m } = bootSpmcMachine(nsProgram([
      { fid: F.FFA_MSG_SEND_DIRECT_REQ2, args: [SP1, lo, hi, ...payload] },
      { fid: F.FFA_VERSION, args: [F.FFA_VERSION_1_2] },
      { fid: F.FFA_MSG_SEND_DIRECT_REQ2, args: [SP1, lo, hi, ...payload] },
      { fid: F.FFA_MSG_SEND_DIRECT_REQ2, args: [SP1, lo + 1n, hi, ...payload] },
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(errorOf(nsResult(m, 0))).toBe(-1);
    expect(nsResult(m, 1)[0]).toBe(BigInt(F.FFA_VERSION_1_2));
    const r = nsResult(m, 2);
    expect(r[0]).toBe(BigInt(F.FFA_MSG_SEND_DIRECT_RESP2));
    expect(r[1]).toBe(BigInt(SP1) << 16n);
    expect(r[4]).toBe(0x1100n); // echoed x4 + 0x1000
    expect(r.slice(8)).toEqual(payload.slice(4)); // x8-x17 travel back as the partition had them
    expect(errorOf(nsResult(m, 3))).toBe(-2);
  });

  it('an abort (data abort outside its stage 2) marks the partition aborted with ESR/FAR/HPFAR and answers ABORTED, also through a relay', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP3, 1, 0x0e00_0000, SP1, 2), req(SP1, 0, 1), req(SP3, 0, 1)]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const r = nsResult(m, 0);
    expect([r[3], r[5]]).toEqual([ERR, neg(-8)]);
    expect(errorOf(nsResult(m, 1))).toBe(-8);
    expect(nsResult(m, 2).slice(3, 5)).toEqual([0n, 0x1001n]); // SP3 still answers
    const a = spmc.partition(SP1)!.aborted!;
    expect(Number(BigInt(a.esr) >> 26n)).toBe(0x24);
    expect(a.far).toBe('0xe000000');
    expect(a.hpfar).toBe('0xe0000'); // IPA[47:12] << 4
    expect(spmc.partition(SP1)!.vcpus[0]!.state).toBe('aborted');
    expect(spmc.s.log).toContainEqual(expect.stringContaining('partition 0x8001 aborted: data abort'));
  });

  it('FFA_YIELD gives the PE back (FFA_YIELD with the context) until FFA_RUN resumes it; a request meanwhile is BUSY', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP1, 5), req(SP1, 0, 1), { fid: F.FFA_RUN, args: [SP1 << 16] }, { fid: F.FFA_RUN, args: [SP1 << 16] }]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(nsResult(m, 0).slice(0, 2)).toEqual([BigInt(F.FFA_YIELD), BigInt(SP1) << 16n]);
    expect(errorOf(nsResult(m, 1))).toBe(-4);
    expect(nsResult(m, 2).slice(0, 5)).toEqual([RESP32, BigInt(SP1) << 16n, 0n, 5n, BigInt(F.FFA_SUCCESS_32)]);
    // Running a waiting partition gives it cycles: it returns from FFA_MSG_WAIT with FFA_RUN and waits again.
    expect(nsResult(m, 3).slice(0, 2)).toEqual([BigInt(F.FFA_MSG_WAIT), BigInt(SP1) << 16n]);
    expect(spmc.partition(SP1)!.vcpus[0]!.state).toBe('waiting');
  });

  it('the runtime model refuses what a partition handling a direct request may not do (DENIED), and bad calls get their errors', () => {
    const call = (fid: number, ...a: (number | bigint)[]) => req(SP1, 7, fid, ...a);
    const { m, spmc } = bootSpmcMachine(nsProgram([
      call(F.FFA_MSG_WAIT),
      call(F.FFA_MSG_SEND_DIRECT_RESP_32, (SP1 << 16) | SP2),
      call(F.FFA_MEM_PERM_GET_32, 0x0e40_0000),
      call(F.FFA_SECONDARY_EP_REGISTER_64, 0x0e40_0000),
      call(F.FFA_RUN, SP2 << 16),
      call(F.FFA_RX_ACQUIRE, 1),
      call(F.FFA_CONSOLE_LOG_32, 0),
      call(F.FFA_MSG_SEND_DIRECT_REQ_32, (SP2 << 16) | SP3),
      call(F.FFA_ID_GET),
      call(F.FFA_SPM_ID_GET),
      call(F.FFA_MEM_SHARE_32),
      call(0x8400_00ff),
    ]), three());
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    const got = Array.from({ length: 12 }, (_, i) => {
      const r = nsResult(m, i);
      return r[3] === ERR ? Number(BigInt.asIntN(32, r[5]!)) : `0x${r[3]!.toString(16)}:${r[5]!.toString(16)}`;
    });
    expect(got).toEqual([-6, -6, -6, -6, -1, -1, -2, -2, '0x84000061:8001', '0x84000061:8000', -2, -1]); // MEM_SHARE with no TX buffer: INVALID_PARAMETERS
    expect(spmc.partition(SP1)!.vcpus[0]!.state).toBe('waiting');
  });

  it('FFA_CONSOLE_LOG: one line per partition on the secure console, prefixed with its ID', () => {
    const { m, spmc } = bootSpmcMachine(nsProgram([req(SP1, 6, 0x41), req(SP3, 6, 0x42)]), three());
    const out: number[] = [];
    m.onSecureConsole = (b) => out.push(b);
    expect(m.run(3_000_000)).toEqual({ kind: 'system-off' });
    expect(spmc.consoleLines).toEqual(['[0x8001] hi A', '[0x8003] hi B']);
    expect(String.fromCharCode(...out)).toBe('[0x8001] hi A\n[0x8003] hi B\n');
  });
});
