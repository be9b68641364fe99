import { describe, expect, it } from 'vitest';
import { compareLines, firstDifference } from './compare.js';

const lines = (n: number, change?: [number, string]): string[] =>
  Array.from({ length: n }, (_, i) => (change && change[0] === i ? change[1] : `#${i} @${i * 10} cpu${i % 2} uart-out byte=0x41 'A'`));

describe('comparing golden lines', () => {
  it('finds the first differing line, or a length difference', () => {
    expect(firstDifference(['a', 'b'], ['a', 'b'])).toBe(-1);
    expect(firstDifference(['a', 'b'], ['a', 'c'])).toBe(1);
    expect(firstDifference(['a'], ['a', 'b'])).toBe(1);
  });

  it('names the first divergent event on both sides and shows a unified diff around it', () => {
    const a = lines(100);
    const b = lines(100, [40, "#40 @400 cpu0 uart-out byte=0x42 'B'"]);
    const r = compareLines({ label: 'x.golden', lines: a }, { label: 'this run', lines: b }, 3)!;
    expect(r).toContain('first divergent event: line 41 (100 lines in x.golden, 100 in this run)');
    expect(r).toContain("x.golden: #40 @400 cpu0 uart-out byte=0x41 'A'\n      (event #40, tick 400, cpu0, world ns)");
    expect(r).toContain("this run: #40 @400 cpu0 uart-out byte=0x42 'B'");
    expect(r).toContain('--- x.golden\n+++ this run\n@@ -38,7 +38,7 @@\n #37 ');
    expect(r).toContain("\n-#40 @400 cpu0 uart-out byte=0x41 'A'\n+#40 @400 cpu0 uart-out byte=0x42 'B'\n #41 ");
    expect(r).not.toContain('lines differ');
    expect(compareLines({ label: 'a', lines: a }, { label: 'b', lines: a })).toBeNull();
  });

  it('says how far the difference runs and where each side ends', () => {
    const a = lines(10);
    const b = lines(10).map((l) => l.replace(/@(\d+)/, (_m, t: string) => `@${Number(t) + 1}`));
    const r = compareLines({ label: 'g', lines: a }, { label: 'r', lines: b.slice(0, 8) }, 1)!;
    expect(r).toContain('first divergent event: line 1 (10 lines in g, 8 in r)');
    expect(r).toContain('... 10 lines differ from line 1 on (the first 3 are shown)');
    const short = compareLines({ label: 'g', lines: a }, { label: 'r', lines: a.slice(0, 5) }, 1)!;
    expect(short).toContain('r: (the end: 5 events)');
  });

  it('reports the world of each side: Secure events say so, others are Non-secure', () => {
    const r = compareLines({ label: 'g', lines: ['#0 @1 cpu0 psci fn=0x0 args=[] result=0x0 world=s'] }, { label: 'r', lines: ['#0 @1 cpu0 y'], places: [{ seq: 0, tick: 1, cpu: 0, world: 'ns' }] })!;
    expect(r).toContain('(event #0, tick 1, cpu0, world s)');
    expect(r).toContain('(event #0, tick 1, cpu0, world ns)');
  });
});
