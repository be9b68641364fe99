// The simulation must never read wall time, host randomness or timers
// (ARCHITECTURE.md principle 1). This scans the simulation's sources and
// fails on any use; benchmarks and tests are outside the simulation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SIMULATION_DIRS = ['core', 'replay', 'snapshots'];
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now'],
  [/\bnew Date\s*\(/, 'new Date'],
  [/\bperformance\.now\s*\(/, 'performance.now'],
  [/\bMath\.random\s*\(/, 'Math.random'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  [/\bsetTimeout\s*\(/, 'setTimeout'],
  [/\bsetInterval\s*\(/, 'setInterval'],
  [/\bsetImmediate\s*\(/, 'setImmediate'],
  [/\bqueueMicrotask\s*\(/, 'queueMicrotask'],
  [/\bcrypto\.(randomBytes|randomUUID|randomInt|getRandomValues)\b/, 'crypto randomness'],
  [/\bnew Worker\s*\(/, 'worker threads'],
];

function sources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (/\.(ts|tsx|js)$/.test(name) && !/\.test\.tsx?$/.test(name) && !/bench/i.test(p)) out.push(p);
  }
  return out;
}

/** Remove comments so prose about Date.now does not count. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('determinism source scan', () => {
  const files = SIMULATION_DIRS.flatMap((d) => sources(join(ROOT, d)));

  it('finds the simulation sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('no wall time, host randomness or timers in core/, replay/, snapshots/', () => {
    const hits: string[] = [];
    for (const f of files) {
      const lines = stripComments(readFileSync(f, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${what}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the scanner itself catches a forbidden call', () => {
    const sample = stripComments('const t = Date.now(); // Math.random() in a comment is fine');
    expect(FORBIDDEN.filter(([re]) => re.test(sample)).map(([, w]) => w)).toEqual(['Date.now']);
  });
});
