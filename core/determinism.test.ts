// The simulation must never read wall time, host randomness, timers or the
// environment (ARCHITECTURE.md principle 1). This scans every source file in
// core/, replay/ and snapshots/, tests included, and fails on any use: no
// file is exempt by its name (benchmarks live in scripts/). The patterns are
// in scripts/sourceScan.ts, so that this file itself holds none of them.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIMULATION_FORBIDDEN as FORBIDDEN, sourceFiles, stripComments } from '../scripts/sourceScan.js';

const ROOT = join(import.meta.dirname, '..');
const SIMULATION_DIRS = ['core', 'replay', 'snapshots'];

describe('determinism source scan', () => {
  const files = sourceFiles(ROOT, SIMULATION_DIRS);

  it('finds the simulation sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('no wall time, host randomness, timers or environment in core/, replay/, snapshots/', () => {
    const hits: string[] = [];
    for (const f of files) {
      const lines = stripComments(readFileSync(f, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${what}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
