import { describe, expect, it } from 'vitest';
import { SAMPLE_EVENTS } from '../core/trace/sampleEvents.js';
import { FilterError, matches, needsSched, parseFilter } from './filter.js';

const ev = (i: number) => SAMPLE_EVENTS[i]!;

describe('timeline filters', () => {
  it('parses terms (ANDed) with value lists (ORed), kind aliases and bare kinds', () => {
    expect(parseFilter('kind=exception cpu=1,2')).toMatchObject({ kinds: ['exception'], cpus: [1, 2] });
    expect(parseFilter('irq').kinds).toEqual(['irq-raise', 'irq-ack', 'irq-eoi']);
    expect(parseFilter('intid=27')).toMatchObject({ intids: [27], kinds: ['irq-raise', 'irq-ack', 'irq-eoi'] });
    expect(parseFilter('ffa=MEM_SHARE')).toMatchObject({ ffaFids: [0x84000073, 0xc4000073], kinds: ['ffa'] });
    expect(parseFilter('world=secure').worlds).toEqual(['s']);
    expect(needsSched(parseFilter('vm=0'))).toBe(true);
    expect(needsSched(parseFilter('cpu=0'))).toBe(false);
  });

  it('refuses what it cannot mean, with a one-line reason', () => {
    expect(() => parseFilter('colour=red')).toThrow(/unknown filter 'colour'/);
    expect(() => parseFilter('kind=ufo')).toThrow(/unknown kind 'ufo'/);
    expect(() => parseFilter('cpu=x')).toThrow(/cpu=x: expected a number/);
    expect(() => parseFilter('el=4')).toThrow(FilterError);
    expect(() => parseFilter('world=maybe')).toThrow(/expected s or ns/);
    expect(() => parseFilter('ffa=NOPE')).toThrow(/unknown FF-A function/);
    expect(() => parseFilter('cpu=')).toThrow(/needs a value/);
  });

  it('matches events on each key; vm and vcpu by what runs on the pCPU', () => {
    expect(matches(parseFilter('exception'), ev(0), null)).toBe(true);
    expect(matches(parseFilter('exception'), ev(1), null)).toBe(false);
    expect(matches(parseFilter('cpu=1'), ev(2), null)).toBe(true);
    expect(matches(parseFilter('el=2'), ev(0), null)).toBe(true);
    expect(matches(parseFilter('el=3'), ev(0), null)).toBe(false);
    expect(matches(parseFilter('el=1'), ev(6), null)).toBe(false); // no EL on a console byte
    expect(matches(parseFilter('intid=27'), ev(2), null)).toBe(true);
    expect(matches(parseFilter('intid=33'), ev(2), null)).toBe(false);
    expect(matches(parseFilter('ffa=MEM_DONATE'), ev(12), null)).toBe(true);
    expect(matches(parseFilter('vm=1'), ev(6), { vm: 1, vcpu: 0 })).toBe(true);
    expect(matches(parseFilter('vm=1'), ev(6), null)).toBe(false);
    expect(matches(parseFilter('vm=1 vcpu=1'), ev(6), { vm: 1, vcpu: 0 })).toBe(false);
    expect(matches(parseFilter('world=ns'), ev(6), null)).toBe(true); // no world field: Non-secure
    expect(matches(parseFilter('world=s'), ev(6), null)).toBe(false);
    expect(matches(parseFilter('world=s'), ev(17), null)).toBe(true);
    expect(matches(parseFilter('world=ns'), ev(18), null)).toBe(true);
  });
});
