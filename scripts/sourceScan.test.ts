import { describe, expect, it } from 'vitest';
import { SIMULATION_FORBIDDEN, stripComments } from './sourceScan.js';

describe('source scans', () => {
  it('the simulation scan catches each forbidden use in code, not in comments', () => {
    const hits = (src: string): string[] => SIMULATION_FORBIDDEN.filter(([re]) => re.test(stripComments(src))).map(([, w]) => w);
    expect(hits('const t = Date.now(); // Math.random() in a comment is fine')).toEqual(['Date.now']);
    expect(hits('const s = process.env.HVRR_SEED;')).toEqual(['process.env']);
    expect(hits('const t = performance.now(); setTimeout(f, 1); /* new Date() */')).toEqual(['performance.now', 'setTimeout']);
    expect(hits("const u = 'https://example.org'; // a comment after a URL")).toEqual([]);
  });
});
