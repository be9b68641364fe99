// The `hvrr verify` damage campaign: records a few small traces (snapshots in
// the trace, snapshots in a snapshot file beside it, a standalone snapshot),
// checks that verify says nothing about them, then damages them with
// damage.ts and checks that `hvrr verify` (the CLI, in-process) reports every
// damage: exit 7, at least one problem line, no internal error.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../cli/testing.js';
import { FOOTER_SIZE } from '../../replay/format.js';
import { TraceReader } from '../../replay/traceFile.js';
import { damageAt, type Damage, type Target } from './damage.js';

export interface Files {
  dir: string;
  targets: Target[];
  /** How to verify each target: the command line given the path of a (damaged) copy. */
  verifyArgs: Record<string, (copy: string) => string[]>;
  /** Partner files a copy needs beside it (the trace of a snapshot file and vice versa). */
  prepareCopy: Record<string, (copy: string) => void>;
}

async function cli(argv: string[]): Promise<void> {
  const r = await runCli(argv);
  if (r.code !== 0) throw new Error(`hvrr ${argv.join(' ')}: exit ${r.code}: ${r.err.trim()}`);
}

/** [offset, size] of every chunk of a complete trace file, the index chunk last. */
function chunksOf(path: string): Array<[number, number]> {
  const r = TraceReader.open(path);
  try {
    const out = r.index.chunks.map((c): [number, number] => [c.offset, c.size]);
    const indexOffset = out.length > 0 ? out[out.length - 1]![0] + out[out.length - 1]![1] : -1;
    if (indexOffset > 0) out.push([indexOffset, r.fileSize - FOOTER_SIZE - indexOffset]);
    return out;
  } finally {
    r.close();
  }
}

/** Records the campaign's files into `dir` (a few seconds). */
export async function recordFiles(dir: string): Promise<Files> {
  const a = join(dir, 'inline.hvrr');
  const b = join(dir, 'beside.hvrr');
  const bs = `${b}.snap`;
  const c = join(dir, 'standalone.hvsnap');
  // The self-test on 2 CPUs, 5 snapshots and a state hash every 200 events inside the trace.
  await cli(['record', 'selftest', '--smp', '2', '--mem', '64M', '--snapshot-every', '300000', '--state-hash-every', '200', '-o', a]);
  // The diagnostic guest under the hypervisor, snapshots in a file beside the trace.
  await cli(['record', 'diag', '--smp', '2', '--mem', '64M', '--snapshot-every', '30000', '--state-hash-every', '300', '--snapshot-file', bs, '-o', b]);
  await cli(['replay', a, '--until', 'exception', '40', '--snapshot', c, '--print', 'events']);
  const target = (name: string, path: string, chunks: boolean): Target => ({ name, bytes: new Uint8Array(readFileSync(path)), chunks: chunks ? chunksOf(path) : [] });
  return {
    dir,
    targets: [target('inline.hvrr', a, true), target('beside.hvrr', b, true), target('beside.hvrr.snap', bs, true), target('standalone.hvsnap', c, false)],
    verifyArgs: {
      'inline.hvrr': (p) => ['verify', p],
      'beside.hvrr': (p) => ['verify', p],
      'beside.hvrr.snap': (p) => ['verify', b, p],
      'standalone.hvsnap': (p) => ['verify', p],
    },
    prepareCopy: {
      'inline.hvrr': () => {},
      'beside.hvrr': (p) => copyFileSync(bs, `${p}.snap`),
      'beside.hvrr.snap': () => {},
      'standalone.hvsnap': () => {},
    },
  };
}

export interface Outcome {
  code: number;
  /** Problem lines (stdout lines other than the summary). */
  problems: string[];
  summary: string;
  err: string;
}

async function verifyCopy(files: Files, name: string, bytes: Uint8Array, tag: string): Promise<Outcome> {
  const copy = join(files.dir, `${tag}-${name}`);
  writeFileSync(copy, bytes);
  files.prepareCopy[name]!(copy);
  try {
    const r = await runCli(files.verifyArgs[name]!(copy));
    const lines = r.out.split('\n').filter((l) => l !== '');
    return { code: r.code, problems: lines.filter((l) => !l.startsWith('hvrr verify: ')), summary: lines.filter((l) => l.startsWith('hvrr verify: ')).join(' | '), err: r.err };
  } finally {
    rmSync(copy, { force: true });
    rmSync(`${copy}.snap`, { force: true });
  }
}

/** Verify of an undamaged copy of every target: must be exit 0 and silent. */
export async function verifyClean(files: Files): Promise<Array<{ target: string; outcome: Outcome }>> {
  const out: Array<{ target: string; outcome: Outcome }> = [];
  for (const t of files.targets) out.push({ target: t.name, outcome: await verifyCopy(files, t.name, t.bytes, 'clean') });
  return out;
}

/** Was the damage found the way verify promises? null when yes, else why not. */
export function missed(o: Outcome): string | null {
  if (o.code === 1 || /internal error|\n\s+at /.test(o.err)) return `internal error: ${o.err.trim()}`;
  if (o.code !== 7) return `exit ${o.code}, not 7 (${o.summary || o.err.trim()})`;
  if (o.problems.length === 0) return 'exit 7 but no problem line';
  return null;
}

export interface DamageResult {
  damage: Omit<Damage, 'bytes'>;
  outcome: Outcome;
  miss: string | null;
}

export async function runDamage(files: Files, seed: number, index: number): Promise<DamageResult> {
  const d = damageAt(seed, index, files.targets);
  const outcome = await verifyCopy(files, d.target, d.bytes, `d${index}`);
  const { bytes: _bytes, ...damage } = d;
  return { damage, outcome, miss: missed(outcome) };
}

