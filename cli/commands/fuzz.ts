// `hvrr fuzz ffa|ffa-machine|ffa-vm|sched|abi [options]` (`ffa --machine` = ffa-machine, `ffa --vm` = ffa-vm): seeded fuzz campaigns (fuzz/). The seed
// and every derived option print first; a failure prints its case seed,
// fast-check path, the commit and one command that reproduces it, and writes
// the failing case's recording (with its guest image beside it) so
// `hvrr replay --until event N` and `hvrr tui` open it at the failing step.
import { randomInt } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CHAOS_MAX_LEVEL } from '../../core/clock/chaos.js';
import { runCampaign, type CampaignResult, type FuzzTarget } from '../../fuzz/campaign.js';
import { FUZZ_KINDS, fuzzerFor, type FuzzKind } from '../../fuzz/targets.js';
import { headCommit, REPO_ROOT } from '../gitCommit.js';
import { parseArgs, parseCount, parseIntRange, parseString, type OptionSpec } from '../args.js';
import { UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';
import { recordCommand } from './record.js';
import { isMutation, MUTATIONS } from '../../core/mutations.js';

const DEFAULT_RUNS = 50;

function parseShard(raw: string, option: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && count <= 1_000_000) || !(index >= 0 && index < count)) throw new UsageError(`${option}: '${raw}' is not I/N with 0 <= I < N (e.g. 0/4)`);
  return { index, count };
}

function parsePath(raw: string, option: string): string {
  if (!/^\d+(:\d+)*$/.test(raw.trim())) throw new UsageError(`${option}: '${raw}' is not a fast-check path (numbers separated by ':', as a failure prints it)`);
  return raw.trim();
}

function parseReplayPath(raw: string, option: string): string {
  if (!/^[A-Za-z0-9+/:]+$/.test(raw.trim())) throw new UsageError(`${option}: '${raw}' is not a fast-check replayPath (as a failure prints it)`);
  return raw.trim();
}

function parseMutation(raw: string, option: string): string {
  if (!isMutation(raw)) throw new UsageError(`${option}: unknown mutation '${raw}' (mutations: ${Object.keys(MUTATIONS).join(', ')})`);
  return raw;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'seed', value: 'N', help: 'campaign seed, 0..2^32-1 (default: drawn, and printed first)', parse: (r, o) => parseIntRange(r, o, 0, 0xffff_ffff) },
  { name: 'runs', value: 'N', help: `cases to run across all shards (default ${DEFAULT_RUNS}, or unbounded with --time)`, parse: (r, o) => parseCount(r, o) },
  { name: 'time', value: 'SECONDS', help: 'stop starting cases after SECONDS of wall time', parse: (r, o) => parseCount(r, o) },
  { name: 'shard', value: 'I/N', help: 'run shard I of N: case seeds SEED+I, SEED+I+N, ... (disjoint per shard)', parse: parseShard },
  { name: 'path', value: 'P', help: 'with --runs 1: replay the shrunk case a failure printed', parse: parsePath },
  { name: 'replay-path', value: 'RP', help: 'with --path: fast-check\'s replayPath of a command list (fuzz ffa prints it in its reproduce line)', parse: parseReplayPath },
  { name: 'chaos', value: 'LEVEL', help: `fix the machine's chaos level 0..${CHAOS_MAX_LEVEL} (default: drawn per case, 1..${CHAOS_MAX_LEVEL})`, parse: (r, o) => parseIntRange(r, o, 0, CHAOS_MAX_LEVEL) },
  { name: 'out', value: 'DIR', help: 'where a failing case\'s trace and guest image go (default fuzz-out)', parse: parseString },
  { name: 'save', help: 'add the shrunk failing case to property-tests/regressions/ (a regression test runs it)' },
  { name: 'json', help: 'print one JSON summary object on stdout (human lines go to stderr)' },
  { name: 'machine', help: 'with ffa: the machine-level fuzzer (the same as fuzz ffa-machine: real VM and\npartitions call by SMC on a --secure machine, both Stage-2s walked after every step)' },
  { name: 'vm', help: 'with ffa: the VM-to-VM fuzzer (the same as fuzz ffa-vm: two VMs\nshare, lend and donate through the hypervisor\'s proxy; both Stage-2s walked)' },
  { name: 'mutate', value: 'NAME', help: `test only: plant a known defect (${Object.keys(MUTATIONS).join(', ')})\nso the mutation suite can check the fuzzer finds it`, parse: parseMutation },
];

export const fuzzCommand: Command = {
  name: 'fuzz',
  summary: 'seeded fuzzing: FF-A memory sharing against a model (ffa; on a whole secure machine: ffa --machine; VM to VM through the hypervisor: ffa --vm), scheduler invariants under chaos (sched), hostile guests (abi)',
  usage: `fuzz ${FUZZ_KINDS.join('|')} [options]`,
  options: OPTIONS,
  details: `Each case is one fast-check run from its own seed (SEED + shard + k x shards);
a failing case is shrunk, and the failure prints the case seed, its path, the
commit and the command that reproduces it exactly. The failing case is recorded
into --out (trace + guest image): 'hvrr replay TRACE --until event N' stops at
the failing step. docs/fuzzing.md describes the models and invariants.

Exit status:
  0    no invariant broken
  1    a failure was found (see above)
  2    bad command line`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv, OPTIONS);
    if (help) {
      io.stdout.write(helpFor(fuzzCommand));
      return 0;
    }
    if (positionals.length === 0) throw new UsageError(`missing what to fuzz (${FUZZ_KINDS.join(', ')})`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    if (!(FUZZ_KINDS as readonly string[]).includes(positionals[0]!)) throw new UsageError(`unknown fuzzer '${positionals[0]}' (fuzzers: ${FUZZ_KINDS.join(', ')})`);
    if (o.has('machine') && positionals[0] !== 'ffa') throw new UsageError(`--machine goes with ffa (fuzz ${positionals[0]} is what it is)`);
    if (o.has('vm') && positionals[0] !== 'ffa') throw new UsageError(`--vm goes with ffa (fuzz ${positionals[0]} is what it is)`);
    if (o.has('vm') && o.has('machine')) throw new UsageError('--vm and --machine: pick one (ffa --vm is VM-to-VM through the proxy, ffa --machine a whole secure machine)');
    const kind = o.has('machine') ? 'ffa-machine' : o.has('vm') ? 'ffa-vm' : positionals[0]!;
    if (kind === 'ffa' && o.has('chaos')) throw new UsageError('--chaos: fuzz ffa runs no machine (it has no chaos to set)');
    if (kind === 'ffa-vm' && o.has('chaos')) throw new UsageError('--chaos: fuzz ffa-vm runs no guest code (it has no chaos to set)');
    if (kind === 'ffa-machine' && o.has('chaos')) throw new UsageError('--chaos: fuzz ffa-machine runs one VM on one pCPU at chaos 0 (its steps are sequential)');
    const path = o.get('path') as string | undefined;
    const runs = (o.get('runs') as number | undefined) ?? (o.has('time') ? undefined : DEFAULT_RUNS);
    if (path !== undefined && runs !== 1) throw new UsageError('--path replays one case: give --runs 1 and the case seed the failure printed');
    const replayPath = o.get('replay-path') as string | undefined;
    if (replayPath !== undefined && path === undefined) throw new UsageError('--replay-path goes with --path (both as a failure printed them)');
    const shard = (o.get('shard') as { index: number; count: number } | undefined) ?? { index: 0, count: 1 };
    const seed = (o.get('seed') as number | undefined) ?? randomInt(0, 0x7fff_ffff);
    const chaos = o.get('chaos') as number | undefined;
    const mutate = o.get('mutate') as string | undefined;
    const outDir = resolve((o.get('out') as string | undefined) ?? 'fuzz-out');
    const json = o.get('json') === true;
    const human = json ? io.stderr : io.stdout;
    const commit = headCommit();
    const say = (line: string): void => void human.write(line + '\n');
    const workDir = join(outDir, `.work-${process.pid}`);
    mkdirSync(workDir, { recursive: true });
    const target = fuzzerFor(kind as FuzzKind, { dir: workDir, ...(chaos !== undefined ? { chaos } : {}), ...(mutate !== undefined ? { mutate } : {}), ...(replayPath !== undefined ? { replayPath } : {}) });
    say(`hvrr fuzz ${kind}: seed ${seed}, runs ${runs ?? 'unbounded'}${o.has('time') ? `, time ${String(o.get('time'))} s` : ''}, shard ${shard.index}/${shard.count}, ` +
      `${target.options ?? `chaos ${chaos ?? 'drawn per case'}`}${mutate ? `, planted defect ${mutate}` : ''}${path ? `, path ${path}` : ''}, commit ${commit?.slice(0, 12) ?? 'unknown'}`);
    let result: CampaignResult<unknown>;
    try {
      result = runCampaign(target, {
      seed, shard, ...(runs !== undefined ? { runs } : {}), ...(o.has('time') ? { timeSeconds: o.get('time') as number } : {}), ...(path ? { path } : {}),
      now: () => performance.now(),
      progress: (p) => io.stderr.write(`hvrr fuzz ${kind}: ${p.runs} runs, ${(p.runs / p.seconds).toFixed(1)} runs/s, ${p.seconds.toFixed(0)} s; covered ${coverageText(p.covered)}\n`),
      });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    const f = result.finding;
    if (!f) {
      say(`hvrr fuzz ${kind}: ${result.runs} runs in ${result.seconds.toFixed(1)} s (${(result.runs / Math.max(result.seconds, 1e-9)).toFixed(1)} runs/s), no invariant broken; covered ${coverageText(result.covered)}`);
      if (json) io.stdout.write(JSON.stringify(summaryJson(kind, seed, shard, result, null)) + '\n');
      return 0;
    }
    const rp = target.replayPath?.(f.value);
    const repro = `hvrr fuzz ${kind} --seed ${f.caseSeed} --runs 1 --path ${f.path}${rp ? ` --replay-path ${rp}` : ''}${chaos !== undefined ? ` --chaos ${chaos}` : ''}${mutate ? ` --mutate ${mutate}` : ''}`;
    say(`hvrr fuzz ${kind}: FAILED: ${f.message}`);
    say(`  found in run ${f.run + 1} of shard ${shard.index}/${shard.count}: case seed ${f.caseSeed}, path ${f.path}, shrunk in ${f.shrinks} step(s)${f.budgetReached ? ' (shrink budget reached)' : ''}, commit ${commit ?? 'unknown'}`);
    say(`  case: ${target.describe(f.value)}`);
    say(`  reproduce: ${repro}`);
    const trace = await recordFinding(target, f.value, kind, f.caseSeed, outDir, io);
    if (!target.recordArgs) say(`  trace: none (${kind === 'ffa-vm' ? 'the case runs no guest code' : 'a module-level case runs no machine'}, so there is no recording; the reproduce line reruns it, printing every command)`);
    if (trace) say(`  trace: ${trace}  (hvrr replay ${trace}${f.event !== undefined ? ` --until event ${f.event}` : ''}; hvrr tui ${trace})`);
    if (o.get('save') === true) {
      const file = saveRegression(kind, f.caseSeed, f.path, rp ?? null, f.message, target.describe(f.value), target.toData?.(f.value), chaos, mutate);
      say(`  saved: ${file}`);
    }
    if (json) io.stdout.write(JSON.stringify(summaryJson(kind, seed, shard, result, { repro, trace })) + '\n');
    return 1;
  },
};

function coverageText(c: Map<string, number>): string {
  return [...c.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing yet';
}

function summaryJson(kind: string, seed: number, shard: { index: number; count: number }, r: CampaignResult<unknown>, extra: { repro: string; trace: string | null } | null): unknown {
  return {
    fuzzer: kind, seed, shard: `${shard.index}/${shard.count}`, runs: r.runs, seconds: Number(r.seconds.toFixed(3)),
    covered: Object.fromEntries([...r.covered.entries()].sort(([a], [b]) => a.localeCompare(b))),
    failure: r.finding && extra ? { message: r.finding.message, caseSeed: r.finding.caseSeed, path: r.finding.path, shrinks: r.finding.shrinks, event: r.finding.event ?? null, reproduce: extra.repro, trace: extra.trace } : null,
  };
}

/** Record the failing case with `hvrr record` (its guest image kept beside the trace). */
async function recordFinding<T>(target: FuzzTarget<T>, value: T, kind: string, seed: number, outDir: string, io: CliIO): Promise<string | null> {
  const rec = target.recordArgs?.(value, join(outDir, `${kind}-${seed}.bin`));
  if (!rec) return null;
  const trace = join(outDir, `${kind}-${seed}.hvrr`);
  const quiet = { write: () => true };
  try {
    await recordCommand.run([...rec, '-o', trace], { ...io, stdout: quiet, stderr: quiet, stdin: null, handleSignals: false });
  } catch (e) {
    io.stderr.write(`hvrr fuzz ${kind}: could not record the failing case: ${(e as Error).message}\n`);
    return null;
  }
  return trace;
}

/** property-tests/regressions/KIND-SEED.json: what the regression test replays. */
function saveRegression(kind: string, caseSeed: number, path: string, replayPath: string | null, message: string, described: string, data: unknown, chaos: number | undefined, mutate: string | undefined): string {
  const dir = join(REPO_ROOT, 'property-tests', 'regressions');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-${caseSeed}.json`);
  writeFileSync(file, JSON.stringify({ fuzzer: kind, caseSeed, path, ...(replayPath ? { replayPath } : {}), ...(chaos !== undefined ? { chaos } : {}), ...(mutate ? { mutate } : {}), found: message, case: described, ...(data !== undefined ? { data } : {}) }, null, 2) + '\n');
  return file;
}
