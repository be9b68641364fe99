import { describe, expect, it } from 'vitest';
import { SAMPLE_EVENTS } from '../core/trace/sampleEvents.js';
import type { FfaEvent } from '../core/trace/events.js';
import { decodeEsr, describeEvent, ffaIds, ffaName, intidName, isFfaFid, psciName, psciResult, summary } from './decode.js';

describe('decoding events', () => {
  it('decodes ESRs: data aborts with and without a syndrome, calls, system registers, WFx, BRK', () => {
    expect(decodeEsr(0x93820005n).text).toBe('data abort from a lower EL: read word w2, translation fault, level 1');
    expect(decodeEsr(0x93000045n).text).toBe('data abort from a lower EL: write byte w0, translation fault, level 1');
    expect(decodeEsr(0x92000047n).text).toBe('data abort from a lower EL: write (no syndrome), translation fault, level 3');
    expect(decodeEsr(0x9600004fn).text).toBe('data abort: write (no syndrome), permission fault, level 3');
    expect(decodeEsr(0x5a000000n).text).toBe('HVC: #0');
    expect(decodeEsr(0x56000005n).text).toBe('SVC: #5');
    expect(decodeEsr(0x5e000000n).text).toBe('SMC: #0');
    expect(decodeEsr(0xf2000003n).text).toBe('BRK: #0x3');
    expect(decodeEsr(0x06000001n).text).toBe('WFI/WFE: WFE');
    // MRS x3, CNTVCT_EL0: op0=3 op1=3 CRn=14 CRm=0 op2=2, Rt=3, read.
    const iss = (3 << 20) | (2 << 17) | (3 << 14) | (14 << 10) | (3 << 5) | (0 << 1) | 1;
    expect(decodeEsr(BigInt(((0x18 << 26) | (1 << 25) | iss) >>> 0)).text).toBe('MSR/MRS/system instruction: MRS x3, CNTVCT_EL0');
    expect(decodeEsr(0n)).toMatchObject({ ec: 0, il: false, iss: 0 });
  });

  it('names PSCI and FF-A functions and results', () => {
    expect(psciName(0xc4000003)).toBe('CPU_ON');
    expect(psciName(0x84000003)).toBe('CPU_ON');
    expect(psciName(0x12345678)).toBe('0x12345678');
    expect(psciResult(0xc4000003, '0x0')).toBe('SUCCESS');
    expect(psciResult(0xc4000003, '0xfffffffffffffffc')).toBe('ALREADY_ON');
    expect(psciResult(0x84000000, '0x10001')).toBe('1.1');
    expect(psciResult(0x84000004, '0x1')).toBe('0x1');
    expect(ffaName(0x84000073)).toBe('FFA_MEM_SHARE_32');
    expect(ffaName(0xc4000073)).toBe('FFA_MEM_SHARE_64');
    expect(ffaName(0x8400006b)).toBe('FFA_MSG_WAIT');
    expect(ffaName(0x84000000)).toBe('0x84000000');
    expect(isFfaFid(0x84000060)).toBe(true);
    expect(isFfaFid(0x84000050)).toBe(false);
    expect(ffaIds('MEM_SHARE')).toEqual([0x84000073, 0xc4000073]);
    expect(ffaIds('ffa_msg_send_direct_req_64')).toEqual([0xc400006f]);
    expect(ffaIds('0x84000063')).toEqual([0x84000063]);
    expect(ffaIds('NOPE')).toBeUndefined();
  });

  it('names INTIDs of the virt board', () => {
    expect(intidName(27)).toBe('virtual timer');
    expect(intidName(33)).toBe('UART');
    expect(intidName(3)).toBe('SGI 3');
    expect(intidName(20)).toBe('PPI 20');
    expect(intidName(40)).toBe('SPI 8');
    expect(intidName(1023)).toBe('special');
  });

  it('summarises and describes every kind', () => {
    const lines = SAMPLE_EVENTS.map(summary);
    expect(lines[0]).toBe('n=1 HVC #0 elr=0xffff800010000000');
    expect(lines[2]).toBe('ack 27 (virtual timer) virt -> cpu1');
    expect(lines[6]).toBe("'A'");
    expect(lines[7]).toBe("'\\n'");
    expect(lines[8]).toBe('CPU_ON(0x1, 0x40080000, 0x0) = SUCCESS');
    expect(lines[11]).toBe('-> vm1 vcpu0 in');
    expect(lines[12]).toBe('FFA_MEM_DONATE_32 8001->1 0x0'); // event format 2
    expect(lines[19]).toBe('FFA_MEM_SHARE_64 1->0 to 8001,8002 4 pages 0x50 0x50 0x0 0x0');
    expect(lines[20]).toBe('FFA_SUCCESS_32 1<-0 handle=0x8000000000000002 (FFA_MEM_SHARE_64)');
    expect(lines[21]).toBe('FFA_ERROR DENIED 8001<-8000 (FFA_MEM_RETRIEVE_REQ_64)');
    const version: FfaEvent = { seq: 1, tick: 1, cpu: 0, kind: 'ffa', fid: 0x10002, src: 0x8000, dst: 0x8001, args: [], dir: 'answer', name: '0x10002', of: 'FFA_VERSION' };
    expect(summary(version)).toBe('version 1.2 8001<-8000 (FFA_VERSION)');
    expect(summary({ ...version, fid: 0xffffffff, name: '0xffffffff', error: 'NOT_SUPPORTED' })).toBe('0xffffffff NOT_SUPPORTED 8001<-8000 (FFA_VERSION)');
    expect(describeEvent(SAMPLE_EVENTS[19]!)).toEqual(expect.arrayContaining([['direction', 'call'], ['receivers', '0x8001, 0x8002'], ['pages', '4 (16 KiB)']]));
    expect(describeEvent(SAMPLE_EVENTS[20]!)).toEqual(expect.arrayContaining([['direction', 'answer to FFA_MEM_SHARE_64'], ['handle', '0x8000000000000002']]));
    expect(describeEvent(SAMPLE_EVENTS[21]!)).toContainEqual(['error', 'DENIED']);
    expect(describeEvent(SAMPLE_EVENTS[12]!)).not.toContainEqual(expect.arrayContaining(['direction']));
    for (const e of SAMPLE_EVENTS) {
      const d = describeEvent(e);
      expect(d.slice(0, 4).map(([l]) => l)).toEqual(['event', 'tick', 'cpu', 'kind']);
      expect(d[d.length - 1]![0]).toBe('canonical');
    }
    expect(describeEvent(SAMPLE_EVENTS[0]!)).toContainEqual(['ESR', '0x5a000000  EC=0x16 IL=1 ISS=0x0']);
    expect(describeEvent(SAMPLE_EVENTS[17]!)).toContainEqual(['world', 'Secure']);
    expect(describeEvent(SAMPLE_EVENTS[0]!)).toContainEqual(['world', 'Non-secure']);
  });
});
