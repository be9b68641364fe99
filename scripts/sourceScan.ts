// Source scans (tidy-style checks that turn habits into tests): the project's
// source files below some folders, and their code without comments.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts/.tsx/.js file below `dirs` (relative to `root`), skipping
 *  node_modules, dist, build, dot folders and the folders in `skip`. */
export function sourceFiles(root: string, dirs: readonly string[], skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (skip.includes(p)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|js)$/.test(name)) out.push(p);
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out;
}

/** Source text without comments (so prose about Date.now does not count). */
export function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** What the simulation (core/, replay/, snapshots/) must not use: wall time,
 *  host randomness, timers, racy async order, the environment. */
export const SIMULATION_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
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
  [/\bprocess\.env\b/, 'process.env'],
];
