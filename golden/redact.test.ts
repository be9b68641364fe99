import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../core/trace/events.js';
import { parseSelector, RedactionError, Redactor } from './redact.js';
import { SAMPLE_EVENTS } from '../core/trace/sampleEvents.js';
import type { FfaEvent } from '../core/trace/events.js';
import { defaultGoldenDir } from '../cli/commands/golden.js';
import { loadConfig } from './config.js';
import { runScenario } from './scenario.js';

const ev = (i: number): TraceEvent => SAMPLE_EVENTS[i]!;

describe('redaction selectors', () => {
  it('match kinds by name, glob and dotted form; the longest kind prefix wins', () => {
    const kinds = (s: string): string[] => [...parseSelector({ select: s }).kinds].sort();
    expect(kinds('uart.*.tick')).toEqual(['uart-in', 'uart-out']);
    expect(kinds('uart-*.tick')).toEqual(['uart-in', 'uart-out']);
    expect(kinds('irq.raise')).toEqual(['irq-raise']);
    expect(parseSelector({ select: 'irq.raise' }).field).toBeNull();
    expect(kinds('irq-*.intid')).toEqual(['irq-ack', 'irq-eoi', 'irq-raise']);
    expect(kinds('*.tick').length).toBe(14);
    expect(parseSelector({ select: '*.world' }).field).toBe('world');
    expect(parseSelector({ select: 'psci.args.1' })).toMatchObject({ field: 'args', index: 1 });
    expect(parseSelector({ select: 'ffa.src', as: 'endpoint', alias: true })).toMatchObject({ field: 'src', name: 'endpoint', alias: true });
  });

  it('refuse what matches nothing, with a one-line reason', () => {
    expect(() => parseSelector({ select: 'ufo.tick' })).toThrow(/no event kind matches 'ufo'/);
    expect(() => parseSelector({ select: 'psci.handle' })).toThrow(/'psci' events have no field 'handle' \(fields: seq, tick, cpu, world, fn, args, result\)/);
    expect(() => parseSelector({ select: 'psci.args.x' })).toThrow(/'x' is not a list index/);
    expect(() => parseSelector({ select: 'psci.args.1.2' })).toThrow(RedactionError);
    expect(() => parseSelector({ select: 'sched', alias: true })).toThrow(/alias needs a field/);
    expect(() => parseSelector({ select: '' })).toThrow(/empty selector/);
  });
});

describe('Redactor', () => {
  it('leaves events without rules exactly as formatEvent prints them', () => {
    const r = new Redactor([{ select: 'psci.result' }]);
    expect(r.line(ev(0))).toBe('#0 @10 cpu0 exception n=1 sync el1->el2 ec=0x16 esr=0x5a000000 elr=0xffff800010000000 far=0x0');
  });

  it('replaces a field where it is printed, by <name> or the rule\'s name', () => {
    const r = new Redactor([{ select: 'uart.*.tick' }, { select: 'exception.elr', as: 'addr' }, { select: 'uart-out.byte' }]);
    expect(r.line(ev(6))).toBe("#6 @<tick> cpu0 uart-out byte=<byte>");
    expect(r.line(ev(7))).toBe('#7 @<tick> cpu- uart-in byte=0xa');
    expect(r.line(ev(0))).toBe('#0 @10 cpu0 exception n=1 sync el1->el2 ec=0x16 esr=0x5a000000 elr=<addr> far=0x0');
  });

  it('numbers aliased values by first appearance, shared between rules of one name', () => {
    const r = new Redactor([{ select: 'psci.args.1', as: 'entry', alias: true }, { select: 'undef.pc', as: 'entry', alias: true }]);
    const psci = (seq: number, entry: string): TraceEvent => ({ seq, tick: seq, cpu: 0, kind: 'psci', fn: 0xc4000003, args: ['0x1', entry, '0x0'], result: '0x0' });
    expect(r.line(psci(1, '0x40080000'))).toBe('#1 @1 cpu0 psci fn=0xc4000003 args=[0x1,<entry#1>,0x0] result=0x0');
    expect(r.line(psci(2, '0x40090000'))).toBe('#2 @2 cpu0 psci fn=0xc4000003 args=[0x1,<entry#2>,0x0] result=0x0');
    expect(r.line(psci(3, '0x40080000'))).toBe('#3 @3 cpu0 psci fn=0xc4000003 args=[0x1,<entry#1>,0x0] result=0x0');
    // undef.pc 0x40000000 is a new value; 0x40090000 would be <entry#2>.
    expect(r.line(ev(10))).toBe('#10 @20 cpu2 undef insn=0xdeadbeef pc=<entry#3>');
  });

  it('redacts every element of a list field without an index', () => {
    const r = new Redactor([{ select: 'psci.args' }]);
    expect(r.line(ev(8))).toBe('#8 @18 cpu0 psci fn=0xc4000003 args=[<args>,<args>,<args>] result=0x0');
  });

  it('redacts the world of Secure events (Non-secure ones print none)', () => {
    const r = new Redactor([{ select: '*.world' }]);
    expect(r.line(ev(17))).toBe('#17 @27 cpu1 exception n=2 sync el1->el3 ec=0x17 esr=0x5e000000 elr=0x6000 far=0x0 world=<world>');
    expect(r.line(ev(18))).toBe("#18 @28 cpu1 uart-out byte=0x42 'B'");
  });

  it('leaves out whole kinds', () => {
    const r = new Redactor([{ select: 'timer-*' }, { select: 'mmio' }]);
    expect(r.line(ev(4))).toBeNull();
    expect(r.line(ev(5))).toBeNull();
    expect(r.line(ev(13))).toBeNull();
    expect(r.line(ev(11))).toBe('#11 @21 cpu0 sched vm=1 vcpu=0 in');
  });

  it('redacts flags and positional fields', () => {
    const r = new Redactor([{ select: 'irq-eoi.virt' }, { select: 'mmio.write' }, { select: 'exception.fromEl' }, { select: '*.cpu' }]);
    expect(r.line(ev(3))).toBe('#3 @13 cpu<cpu> irq-eoi intid=27 target=1 <virt> dir');
    expect(r.line(ev(13))).toBe('#13 @23 cpu<cpu> mmio <write>4 pa=0x9000000 value=0x41');
    expect(r.line(ev(0))).toBe('#0 @10 cpu<cpu> exception n=1 sync el<fromEl>->el2 ec=0x16 esr=0x5a000000 elr=0xffff800010000000 far=0x0');
  });
});

describe('ffa.handle with aliases, on the FF-A demo\'s events', () => {
  it('numbers each memory handle by first appearance; every event naming a handle names its alias, and only those', async () => {
    const events: FfaEvent[] = [];
    await runScenario(loadConfig(defaultGoldenDir(), 'ffa-demo'), (e) => {
      if (e.kind === 'ffa') events.push(e);
    });
    const r = new Redactor([{ select: 'ffa.handle', alias: true }]);
    const order: string[] = [];
    for (const e of events) {
      const line = r.line(e)!;
      if (e.handle === undefined) {
        expect(line).not.toContain('handle=');
        continue;
      }
      if (!order.includes(e.handle)) order.push(e.handle);
      expect(line).toContain(` handle=<handle#${order.indexOf(e.handle) + 1}>`);
      expect(line).not.toContain(`handle=${e.handle}`);
    }
    // The demo shares, lends and donates several times: a handle from the send's answer to its reclaim.
    expect(order.length).toBeGreaterThanOrEqual(4);
    const send = events.find((e) => e.of?.startsWith('FFA_MEM_SHARE') && e.handle !== undefined)!;
    const reclaim = events.find((e) => e.name === 'FFA_MEM_RECLAIM' && e.handle === send.handle)!;
    const fresh = new Redactor([{ select: 'ffa.handle', alias: true }]);
    expect(fresh.line(send)).toMatch(/ of=FFA_MEM_SHARE_(32|64) handle=<handle#1>/);
    expect(fresh.line(reclaim)).toContain('ffa call FFA_MEM_RECLAIM ');
    expect(fresh.line(reclaim)).toContain(' handle=<handle#1>');
  });

  it('redacts the other FF-A fields by name, receivers element by element', () => {
    const r = new Redactor([{ select: 'ffa.receivers.1', as: 'sp' }, { select: 'ffa.error' }, { select: 'ffa.name', alias: true }]);
    expect(r.line(ev(19))).toBe('#19 @29 cpu0 ffa call <name#1> fid=0xc4000073 src=0x1 dst=0x0 args=[0x50,0x50,0x0,0x0,0x0,0x0,0x0] receivers=[0x8001,<sp>] pages=4');
    expect(r.line(ev(21))).toBe('#21 @31 cpu1 ffa answer <name#2> fid=0x84000060 src=0x8000 dst=0x8001 args=[0x0,0xfffffffa] of=FFA_MEM_RETRIEVE_REQ_64 error=<error> world=s');
    expect(r.line(ev(12))).toBe('#12 @22 cpu0 ffa fid=0x84000071 src=0x8001 dst=0x1 args=[0x0]');
  });
});
