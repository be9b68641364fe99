import { describe, expect, it } from 'vitest';
import { CHAOS_MAX_LEVEL, chaosOptions, chaosRotation, chaosShuffle, chaosTimerLatency, chaosWindowTicks, describeChaos } from './chaos.js';
import { Prng } from './prng.js';

describe('chaos options', () => {
  it('level 0 varies nothing; each level varies at least what the one below does', () => {
    const off = chaosOptions(0);
    expect(off).toEqual({ level: 0, windowJitter: 0, rotateCpus: false, shuffleEvents: false, timerLatencyTicks: 0, randomVcpuPick: false });
    for (let l = 1; l <= CHAOS_MAX_LEVEL; l++) {
      const lo = chaosOptions(l - 1);
      const hi = chaosOptions(l);
      expect(hi.windowJitter).toBeGreaterThan(lo.windowJitter);
      expect(hi.windowJitter).toBeLessThan(1);
      expect(hi.timerLatencyTicks).toBeGreaterThanOrEqual(lo.timerLatencyTicks);
      expect(Number(hi.rotateCpus)).toBeGreaterThanOrEqual(Number(lo.rotateCpus));
      expect(Number(hi.shuffleEvents)).toBeGreaterThanOrEqual(Number(lo.shuffleEvents));
    }
  });
  it('refuses a level outside 0..3', () => {
    expect(() => chaosOptions(4)).toThrow(/0\.\.3/);
    expect(() => chaosOptions(-1)).toThrow(RangeError);
    expect(() => chaosOptions(1.5)).toThrow(RangeError);
  });
  it('describes every derived option in one line', () => {
    expect(describeChaos(chaosOptions(0))).toBe('chaos: off');
    expect(describeChaos(chaosOptions(3))).toBe('chaos: level 3 (window length 10-100% of the quantum, PE order rotated per window, simultaneous events shuffled, timer interrupt latency 0-100000 ticks, vCPU pick random)');
  });
});

describe('chaos draws', () => {
  it('window lengths stay within (1 - jitter) .. 1 quantum and are at least one tick', () => {
    const p = new Prng(5n);
    const o = chaosOptions(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const t = chaosWindowTicks(p, o, 10_000);
      expect(t).toBeGreaterThanOrEqual(1000);
      expect(t).toBeLessThanOrEqual(10_000);
      seen.add(t);
    }
    expect(seen.size).toBeGreaterThan(500);
    expect(chaosWindowTicks(p, o, 1)).toBe(1);
    expect(chaosWindowTicks(p, chaosOptions(0), 10_000)).toBe(10_000);
  });
  it('rotations cover every PE; one PE or no rotation draws nothing', () => {
    const p = new Prng(9n);
    const o = chaosOptions(1);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(chaosRotation(p, o, 4));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    const before = p.getState();
    expect(chaosRotation(p, o, 1)).toBe(0);
    expect(chaosRotation(p, chaosOptions(0), 4)).toBe(0);
    expect(p.getState()).toEqual(before);
  });
  it('a shuffle is a permutation, and the same seed gives the same one', () => {
    const a = Array.from({ length: 10 }, (_, i) => i);
    const b = [...a];
    chaosShuffle(new Prng(3n), a);
    chaosShuffle(new Prng(3n), b);
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
  it('timer latency is 0..max', () => {
    const p = new Prng(1n);
    const o = chaosOptions(2);
    let max = 0;
    for (let i = 0; i < 1000; i++) {
      const l = chaosTimerLatency(p, o);
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThanOrEqual(o.timerLatencyTicks);
      max = Math.max(max, l);
    }
    expect(max).toBeGreaterThan(o.timerLatencyTicks / 2);
    expect(chaosTimerLatency(p, chaosOptions(1))).toBe(0);
  });
});
