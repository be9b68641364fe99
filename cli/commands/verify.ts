// `hvrr verify FILE [SNAPFILE] [--replay]`: check a trace file (and the
// snapshot file beside it) end to end, one line per problem on stdout, a
// summary line last; exit 0 when clean, EXIT_PROBLEMS otherwise. The checks
// are replay/verify.ts; a standalone snapshot (`replay --snapshot OUT`) is
// checked and restored as `run --restore` would.
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { verifyRecording, VerifyInputError, type FileSummary, type VerifyReport } from '../../replay/verify.js';
import { describeSnapshot, MAGIC as SNAPSHOT_MAGIC } from '../../snapshots/index.js';
import { parseArgs, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';
import { machineForRecording, snapshotFileFor } from './record.js';
import { machineFromSnapshot } from './restore.js';
import { EXIT_OK } from './run.js';

/** Exit status when verify found at least one problem. */
export const EXIT_PROBLEMS = 7;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'replay', help: 'also replay the whole trace from power-on and from every\nsnapshot, checking every event and state hash' },
];

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`): string => `${n(x)} ${x === 1 ? one : many}`;

/** Progress on a terminal's stderr: one line rewritten in place, at most every 100 ms. */
function progressLine(io: CliIO): { update(text: string): void; clear(): void } {
  const err = io.stderr as { isTTY?: boolean; columns?: number; write(s: string): unknown };
  if (!err.isTTY) return { update: () => {}, clear: () => {} };
  let last = -Infinity;
  let shown = false;
  return {
    update(text) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      err.write(`\r\x1b[K${text.slice(0, Math.max(20, (err.columns || 80) - 1))}`);
    },
    clear() {
      if (shown) err.write('\r\x1b[K');
    },
  };
}

function fileText(f: FileSummary): string {
  const parts = [plural(f.events, 'event'), plural(f.inputs, 'input'), plural(f.stateHashes, 'state hash', 'state hashes'), `${plural(f.snapshots, 'snapshot')} (${n(f.restored)} restored)`];
  return `${f.path} (${plural(f.bytes, 'byte')}, ${plural(f.chunks, 'chunk')}: ${parts.join(', ')})`;
}

function summary(r: VerifyReport): string {
  if (r.problems.length > 0) {
    const lost = (f: FileSummary): string => (f.baseLost > 0 ? `; ${plural(f.baseLost, 'snapshot')} not restored: ${f.baseLost === 1 ? 'it builds' : 'they build'} on a damaged one` : '');
    return `hvrr verify: ${plural(r.problems.length, 'problem')}: ${r.files.map((f) => `${f.path} (${n(f.problems)}${lost(f)})`).join(', ')}`;
  }
  const replay = r.replay ? `; ${plural(r.replay.runs, 'replay')} matched ${plural(r.replay.events, 'event')} and ${plural(r.replay.stateHashes, 'state hash', 'state hashes')}` : '';
  return `hvrr verify: no problems: ${r.files.map(fileText).join('; ')}${replay}`;
}

function isStandaloneSnapshot(path: string): boolean {
  try {
    const head = readFileSync(path).subarray(0, SNAPSHOT_MAGIC.length);
    return head.length === SNAPSHOT_MAGIC.length && head.every((b, i) => b === SNAPSHOT_MAGIC[i]);
  } catch {
    return false; // verifyRecording reports why it cannot be read
  }
}

/** A snapshot file of its own (HVRRSNAP): container, checksum, id, page
 *  tables; a full one is also restored into a machine of its configuration. */
function verifyStandaloneSnapshot(path: string, io: CliIO): number {
  let problem: string | null = null;
  let what = '';
  try {
    const info = describeSnapshot(new Uint8Array(readFileSync(path)));
    what = `${info.meta.kind} snapshot at tick ${n(info.meta.tick)}, ${plural(info.fileBytes, 'byte')}`;
    if (info.meta.kind === 'full') {
      machineFromSnapshot(path);
      what += ', restored';
    } else {
      what += ', not restored (incremental: its base is elsewhere)';
    }
  } catch (e) {
    problem = (e as Error).message;
  }
  if (problem !== null) {
    io.stdout.write(`${path}: ${problem.replace(/^snapshot '[^']*': /, '')}\n`);
    io.stdout.write(`hvrr verify: 1 problem: ${path} (1)\n`);
    return EXIT_PROBLEMS;
  }
  io.stdout.write(`hvrr verify: no problems: ${path} (${what})\n`);
  return EXIT_OK;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a trace and its snapshot file: every chunk, checksum, index and snapshot',
  usage: 'verify FILE [SNAPFILE] [--replay]',
  options: OPTIONS,
  details: `Checks every byte of the trace FILE and of its snapshot file (SNAPFILE, or
FILE.snap when it exists): file header, every chunk's header, checksum,
compression and records, the index against the chunks, the footer, the
recorder's rules (consecutive event seqs and exception numbers, a state hash
every K events, snapshots chained and spaced as the header says), and every
snapshot, restored into a scratch machine built from the recorded
configuration (the images must match the recording). --replay also replays
the trace from power-on and from every snapshot, checking every event and
state hash. A standalone snapshot (replay --snapshot OUT) is checked too.

Prints one line per problem on stdout ('FILE: where: what'), then one summary
line ('hvrr verify: no problems: ...' or 'hvrr verify: N problems: ...').
Progress goes to stderr when it is a terminal. docs/trace-format.md lists the
checks.

Exit status:
  0    no problems
  2    bad command line, or a file that cannot be opened
  7    at least one problem found`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv, OPTIONS);
    if (help) {
      io.stdout.write(helpFor(verifyCommand));
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('missing trace FILE (usage: hvrr verify FILE [SNAPFILE] [--replay])');
    if (positionals.length > 2) throw new UsageError(`unexpected argument '${positionals[2]}' (a trace FILE and its SNAPFILE)`);
    const file = positionals[0]!;
    const given = positionals[1];
    if (given !== undefined && !existsSync(given)) throw new CliError(`cannot read snapshot file '${given}': no such file`);
    if (given === undefined && isStandaloneSnapshot(file)) return verifyStandaloneSnapshot(file, io);
    const snapPath = given ?? (existsSync(snapshotFileFor(file)) ? snapshotFileFor(file) : null);
    const progress = progressLine(io);
    let report: VerifyReport;
    try {
      report = verifyRecording(file, snapPath, {
        buildMachine: (header) => machineForRecording(header, file),
        replay: o.get('replay') === true,
        progress: (what) => progress.update(`hvrr verify: ${what}`),
      });
    } catch (e) {
      if (e instanceof VerifyInputError) throw new CliError(e.message);
      throw e;
    } finally {
      progress.clear();
    }
    for (const p of report.problems) io.stdout.write(`${p.file}: ${p.message}\n`);
    io.stdout.write(summary(report) + '\n');
    return report.problems.length > 0 ? EXIT_PROBLEMS : EXIT_OK;
  },
};
