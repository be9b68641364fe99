import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fakeClock } from './testing.js';
import { caseSeed, runCampaign, type FuzzTarget } from './campaign.js';

/** A machine-free target with a planted bug: lists containing a value >= 90 and of length >= 3 fail. */
function toyTarget(): FuzzTarget<number[]> & { runs: number } {
  const t = {
    name: 'toy',
    runs: 0,
    arbitrary: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 8 }),
    run(v: number[]) {
      t.runs++;
      const bad = v.length >= 3 && v.some((x) => x >= 90);
      return { violation: bad ? { message: `bad list of ${v.length}`, event: v.length } : null, covered: [v.length >= 3 ? 'long' : 'short'] };
    },
    describe: (v: number[]) => JSON.stringify(v),
  };
  return t;
}

const now = fakeClock(10);

describe('fuzz campaign', () => {
  it('case seeds of the shards of one campaign are disjoint and cover seed.. in order', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) for (let k = 0; k < 25; k++) seen.add(caseSeed(1000, { index: i, count: 4 }, k));
    expect(seen.size).toBe(100);
    expect(Math.min(...seen)).toBe(1000);
    expect(Math.max(...seen)).toBe(1099);
    expect(caseSeed(0xffff_ffff, { index: 1, count: 1 }, 0)).toBe(0);
  });

  it('finds the planted bug, shrinks it to the smallest failing case, and the path replays it exactly', () => {
    const r = runCampaign(toyTarget(), { seed: 7, runs: 200, shard: { index: 0, count: 1 }, now });
    expect(r.finding).not.toBeNull();
    const f = r.finding!;
    expect(f.value.length).toBe(3);
    expect(f.value.filter((x) => x >= 90)).toEqual([90]);
    expect(f.message).toBe('bad list of 3');
    expect(f.event).toBe(3);
    expect(f.caseSeed).toBe(7 + f.run);
    const again = runCampaign(toyTarget(), { seed: f.caseSeed, runs: 1, path: f.path, shard: { index: 0, count: 1 }, now });
    expect(again.finding?.value).toEqual(f.value);
    expect(again.finding?.path).toBe(f.path);
  });

  it('the same seed gives the same campaign; runs split over shards; coverage counted', () => {
    const a = runCampaign(toyTarget(), { seed: 3, runs: 1, shard: { index: 0, count: 1 }, now });
    const b = runCampaign(toyTarget(), { seed: 3, runs: 1, shard: { index: 0, count: 1 }, now });
    expect(a).toEqual({ ...b, seconds: a.seconds });
    const t = toyTarget();
    const ok = { ...t, run: (v: number[]) => ({ violation: null, covered: t.run(v).covered }) };
    const shards = [0, 1, 2].map((index) => runCampaign(ok, { seed: 1, runs: 10, shard: { index, count: 3 }, now }).runs);
    expect(shards).toEqual([4, 3, 3]);
    const r = runCampaign(ok, { seed: 1, runs: 10, shard: { index: 0, count: 1 }, now });
    expect([...r.covered.values()].reduce((x, y) => x + y, 0)).toBe(10);
  });

  it('--time stops starting cases; progress is reported', () => {
    const t = toyTarget();
    const ok = { ...t, run: () => ({ violation: null, covered: [] }) };
    let c = 0;
    const progress: number[] = [];
    const r = runCampaign(ok, { seed: 1, timeSeconds: 5, shard: { index: 0, count: 1 }, now: () => (c += 400), progress: (p) => progress.push(p.runs) });
    expect(r.runs).toBeGreaterThan(5);
    expect(r.runs).toBeLessThan(20);
    expect(progress.length).toBeGreaterThan(0);
  });
});
