// `hvrr record [SCENARIO | --kernel ...] -o FILE`: run like `hvrr run` while
// writing every event, every console input (at the window boundary it entered
// the machine), periodic state hashes and snapshots into one trace file.
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUILTIN_GUESTS, DEFAULT_GUEST, isBuiltinGuest } from './guests.js';
import { TraceWriter, type TraceHeader } from '../../replay/traceFile.js';
import type { Machine } from '../../core/machine.js';
import { checkImages, imageDigests } from './images.js';
import { Recorder } from '../../replay/recorder.js';
import { parseArgs, parseCount, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { Command } from './command.js';
import { applyBootLinux, BOOT_LINUX, LINUX_DEFAULT_PCPUS, LINUX_DEFAULT_VCPUS, LINUX_MARKER, MarkerWatch } from './linux.js';
import { applyFfaLinux, FFA_LINUX, scenarioChecks } from './ffaLinux.js';
import {
  RUN_OPTIONS, FFA_DEMO, applyFfaDemo, describeEnd, exitCodeFor, parseRunOptions, parseRunOptionsFrom, prepareMachine, runLoopOptions, runMachine, type RunEnd,
  type RunOptions, EXIT_OK,
} from './run.js';

/** Scenarios `hvrr record` knows by name: the built-in guests (default first), then ffa-demo, ffa-linux and boot-linux. */
export const SCENARIOS: Record<string, { summary: string }> = {
  ...Object.fromEntries(
    [DEFAULT_GUEST, ...Object.keys(BUILTIN_GUESTS).filter((g) => g !== DEFAULT_GUEST)].map((g) => [g, { summary: BUILTIN_GUESTS[g as keyof typeof BUILTIN_GUESTS].summary }]),
  ),
  [FFA_DEMO]: {
    summary: 'the FF-A test client as a VM under the hypervisor, with the SPMC and the three bundled Secure Partitions (--secure): a PASS/FAIL line per check',
  },
  [FFA_LINUX]: {
    summary: "Linux's own FF-A driver (built by scripts/ffa-artifacts.sh) and hvrr's client module in Linux 6.12 under the hypervisor, " +
      'with the SPMC and the three bundled partitions (--secure): direct messages, memory share/lend/reclaim and a fragmented share ' +
      'with each partition; the guest powers off and the run ends with a verdict (exit status 7 when a check fails)',
  },
  [BOOT_LINUX]: {
    summary: `Debian's arm64 Linux 6.12 to a BusyBox shell as a VM of ${LINUX_DEFAULT_VCPUS} vCPUs on ${LINUX_DEFAULT_PCPUS} pCPU ` +
      '(--smp, --pcpus) with virtio-blk and virtio-net; --vms 2 boots two VMs that ping each other over the vswitch; ' +
      'the artifacts are fetched once by scripts/linux-artifacts.sh',
  },
};

export const DEFAULT_SNAPSHOT_EVERY_TICKS = 100_000_000;
/** boot-linux: every 0.05 s virtual (~50 M instructions, about 0.4 s to replay), so --until lands well under 2 s. */
export const LINUX_SNAPSHOT_EVERY_TICKS = 50_000_000;
export const DEFAULT_STATE_HASH_EVERY = 10_000;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'output', value: 'FILE', help: 'trace file to write (also -o; default run.hvrr)', parse: parseString },
  // --disk-writeback and --pflash-writeback would change the images the replay needs; a recording keeps its writes in the trace's snapshots.
  ...RUN_OPTIONS.filter((o) => o.name !== 'digest' && o.name !== 'restore' && o.name !== 'disk-writeback' && o.name !== 'pflash-writeback'),
  { name: 'snapshot-every', value: 'TICKS', help: `virtual ticks between snapshots, 0 for none\n(default ${DEFAULT_SNAPSHOT_EVERY_TICKS.toLocaleString('en-US')} = 0.1 s)`, parse: (r, o) => parseCount(r, o, Number.MAX_SAFE_INTEGER, true) },
  { name: 'snapshot-file', value: 'FILE', help: 'write the snapshots into FILE beside the trace instead of into it\n(a seek index replay picks up; default for boot-linux: OUTPUT.snap)', parse: parseString },
  { name: 'state-hash-every', value: 'N', help: `events between state hashes, 0 for none (default ${DEFAULT_STATE_HASH_EVERY})`, parse: (r, o) => parseCount(r, o, Number.MAX_SAFE_INTEGER, true) },
];

/** What the trace header records about the run: enough to rebuild the
 *  machine. `argv` holds the `hvrr run` options (image paths made absolute),
 *  so replay parses them with run's own parser and any run option is covered. */
export interface RecordedRun {
  scenario: string | null;
  argv: string[];
  /** Two Security states (--secure). Written only when true; a trace
   *  without it (every trace before --secure) is a one-world machine. */
  secure?: boolean;
}

/** Whether a recording's machine has a Secure world (from its header's `machine`). */
export function recordedSecure(machine: Record<string, unknown>): boolean {
  return machine['secure'] === true;
}

/** RunOptions of a recorded run. */
export function runOptionsOf(r: RecordedRun): RunOptions {
  const opts = parseRunOptions(r.argv);
  if (opts.secure !== (r.secure === true)) {
    throw new CliError(`the trace's header is inconsistent: secure is ${r.secure === true} but its options ${opts.secure ? 'have' : 'lack'} --secure`);
  }
  return opts;
}

/** A new machine as the trace `file` (header `header`) recorded it, after
 *  checking that the images are the recorded ones (CliError naming the
 *  first that is not). */
export function machineForRecording(header: TraceHeader, file: string): Machine {
  const recorded = header.machine as unknown as RecordedRun;
  if (!recorded || typeof recorded !== 'object' || !Array.isArray(recorded.argv) || !recorded.argv.every((x) => typeof x === 'string') ||
    (recorded.secure !== undefined && typeof recorded.secure !== 'boolean')) {
    throw new CliError(`trace '${file}': its header does not describe a machine hvrr can rebuild`);
  }
  checkImages(header.images);
  return prepareMachine(runOptionsOf(recorded));
}

/** Rebuild an argv for the run options in `parsed` (values re-rendered as text). */
function runArgvOf(parsed: Map<string, unknown>): string[] {
  const out: string[] = [];
  for (const spec of RUN_OPTIONS) {
    // --no-jit changes only the speed: it is not part of what the recording describes.
    if (!parsed.has(spec.name) || spec.name === 'max-insns' || spec.name === 'digest' || spec.name === 'no-jit') continue;
    const v = parsed.get(spec.name);
    if (v === true && !spec.parse) {
      out.push(`--${spec.name}`);
      continue;
    }
    for (const one of Array.isArray(v) ? v : [v]) {
      // --max-seconds/--quiet-seconds are parsed into ticks: rendered back as seconds.
      const seconds = spec.name === 'max-seconds' || spec.name === 'quiet-seconds';
      let text = seconds ? String((one as number) / 1e9) : typeof one === 'bigint' || typeof one === 'number' ? one.toString() : String(one);
      if (['kernel', 'initrd', 'dtb', 'disk', 'restore', 'bios', 'pflash', 'secure-payload', 'sp'].includes(spec.name)) text = resolve(text);
      out.push(`--${spec.name}=${text}`);
    }
  }
  return out;
}



export function parseRecordArgs(argv: readonly string[], log: (line: string) => void): { opts: RunOptions; runArgv: string[]; output: string; scenario: string | null; snapshotEvery: number; snapshotFile: string | null; hashEvery: number; help: boolean } {
  const args = argv.map((a) => (a === '-o' ? '--output' : a));
  const parsed = parseArgs(args, OPTIONS);
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument '${parsed.positionals[1]}'`);
  const scenario = parsed.positionals[0] ?? null;
  if (scenario !== null && !(scenario in SCENARIOS)) {
    throw new UsageError(`unknown scenario '${scenario}' (scenarios: ${Object.keys(SCENARIOS).join(', ')}; or use --kernel FILE)`);
  }
  if (scenario === BOOT_LINUX) {
    if (!parsed.help) applyBootLinux(parsed.options, log);
  } else if (scenario === FFA_DEMO) {
    if (!parsed.help) applyFfaDemo(parsed.options);
  } else if (scenario === FFA_LINUX) {
    if (!parsed.help) applyFfaLinux(parsed.options, log);
  } else {
    if (scenario !== null && parsed.options.has('kernel')) throw new UsageError(`give either a scenario or --kernel, not both`);
    if (scenario !== null && parsed.options.has('guest')) throw new UsageError(`give either a scenario or --guest, not both`);
    if (scenario !== null && isBuiltinGuest(scenario)) parsed.options.set('guest', scenario);
  }
  const opts = parseRunOptionsFrom(parsed.options);
  if (opts.restore !== undefined) throw new UsageError('--restore cannot be recorded: record from the start (replay can seek with snapshots)');
  const output = (parsed.options.get('output') as string | undefined) ?? 'run.hvrr';
  const linux = scenario === BOOT_LINUX || scenario === FFA_LINUX;
  const snapshotEvery = (parsed.options.get('snapshot-every') as number | undefined) ?? (linux ? LINUX_SNAPSHOT_EVERY_TICKS : DEFAULT_SNAPSHOT_EVERY_TICKS);
  // A Linux guest's memory makes snapshots MBs each: they go beside the trace, which stays small.
  const snapshotFile = snapshotEvery === 0 ? null : (parsed.options.get('snapshot-file') as string | undefined) ?? (linux ? snapshotFileFor(output) : null);
  if (snapshotFile !== null && resolve(snapshotFile) === resolve(output)) throw new UsageError('--snapshot-file must differ from the trace file');
  return {
    opts,
    runArgv: runArgvOf(parsed.options),
    output,
    snapshotFile,
    scenario: scenario ?? (opts.kernel === undefined ? (opts.guest ?? DEFAULT_GUEST) : null),
    snapshotEvery,
    hashEvery: (parsed.options.get('state-hash-every') as number | undefined) ?? DEFAULT_STATE_HASH_EVERY,
    help: parsed.help,
  };
}

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${Math.round(n)} B`;
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a scenario or kernel and record it into a trace file for exact replay',
  usage: 'record [SCENARIO | --kernel FILE ...] [-o FILE] [options]',
  options: OPTIONS,
  details: `Scenarios: ${Object.entries(SCENARIOS).map(([k, v]) => `${k} (${v.summary})`).join('; ')}.
The default is the first. Progress goes to stderr about once a second and a
summary at the end. Console input typed while recording is recorded with the
virtual tick it entered the machine, so 'hvrr replay' reproduces the run.
Exit status as for 'hvrr run'.`,
  async run(argv, io) {
    const a = parseRecordArgs(argv, (line) => io.stderr.write(line + '\n'));
    if (a.help) {
      io.stdout.write(helpFor(recordCommand));
      return EXIT_OK;
    }
    const images = imageDigests(a.opts);
    const m = prepareMachine(a.opts, (line) => io.stderr.write(line + '\n'));
    const recorded: RecordedRun = { scenario: a.scenario, argv: a.runArgv, ...(a.opts.secure ? { secure: true } : {}) };
    const header = {
      hvrrVersion: HVRR_VERSION,
      machine: recorded as unknown as Record<string, unknown>,
      images,
      seed: a.opts.seed.toString(),
      stateHashInterval: a.hashEvery,
      snapshotInterval: a.snapshotEvery,
    };
    let writer: TraceWriter;
    let snapshotWriter: TraceWriter | undefined;
    // Refuse what cannot work before creating (or truncating) the trace.
    for (const [what, p] of [['trace', a.output], ['snapshot file', a.snapshotFile]] as const) {
      if (p !== null && existsSync(p) && statSync(p).isDirectory()) throw new CliError(`cannot write ${what} '${p}': it is a directory`);
    }
    try {
      writer = TraceWriter.create(a.output, header);
    } catch (e) {
      throw new CliError(`cannot write trace '${a.output}': ${(e as Error).message}`);
    }
    if (a.snapshotFile !== null) {
      try {
        snapshotWriter = TraceWriter.create(a.snapshotFile, header);
      } catch (e) {
        // Leave nothing behind: the trace just created has no events yet.
        writer.abandon();
        try {
          unlinkSync(a.output);
        } catch {
          // already gone
        }
        throw new CliError(`cannot write snapshot file '${a.snapshotFile}': ${(e as Error).message}`);
      }
    }
    const rec = new Recorder(m, writer, { stateHashEvery: a.hashEvery, snapshotEveryTicks: a.snapshotEvery, ...(snapshotWriter ? { snapshotWriter } : {}) });
    const t0 = performance.now();
    let end: RunEnd;
    const linux = a.scenario === BOOT_LINUX || a.scenario === FFA_LINUX;
    // boot-linux: progress until the guest is up, then one line; the shell is left alone.
    const marker = linux ? new MarkerWatch(LINUX_MARKER) : null;
    const checks = scenarioChecks(a.scenario, (line) => io.stderr.write(line + '\n'));
    let ready = false;
    const interactive = io.stdin?.isTTY === true;
    try {
      let lastProgress = t0;
      end = await runMachine(m, {
        ...runLoopOptions(a.opts),
        feed: (bytes) => rec.queueInput(bytes),
        held: () => rec.pendingInput,
        ...(marker ? {
          onConsoleByte: (b: number) => {
            marker.push(b);
            checks.onConsoleByte?.(b);
          },
        } : {}),
        afterSlice: () => {
          const now = performance.now();
          const vms = a.opts.vms ?? 1;
          if (marker && marker.count >= vms && !ready) {
            ready = true;
            const wallS = (now - t0) / 1000;
            const then = a.scenario === FFA_LINUX ? 'the guest powers off next' :
              interactive ? "the console is VM 0's shell (Ctrl-A x quits)" : 'console input is not a terminal: the run ends once it is used up and the machine is quiet (--quiet-seconds)';
            io.stderr.write(`hvrr: ${a.scenario}: ${LINUX_MARKER}${vms > 1 ? ` from all ${vms} VMs` : ''} after ${m.instructions.toLocaleString('en-US')} instructions, ${(m.nowTick / 1e9).toFixed(3)} s virtual, ${wallS.toFixed(2)} s wall (${(m.instructions / wallS / 1e6).toFixed(1)} MIPS); ${then}\n`);
          }
          // After the marker a terminal belongs to the shell; otherwise progress goes on.
          if ((ready && interactive && a.scenario === BOOT_LINUX) || now - lastProgress < 1000) return;
          lastProgress = now;
          io.stderr.write(`hvrr record: ${(m.nowTick / 1e9).toFixed(3)} s virtual, ${m.instructions.toLocaleString('en-US')} instructions, ${rec.stats.events.toLocaleString('en-US')} events, ${(m.instructions / ((now - t0) / 1000) / 1e6).toFixed(1)} MIPS\n`);
        },
      }, io);
    } finally {
      rec.finish();
    }
    const wall = (performance.now() - t0) / 1000;
    const size = statSync(a.output).size;
    const virtualSeconds = m.nowTick / 1e9;
    const exceptions = m.getMachineState().exceptionCount;
    io.stderr.write(
      `hvrr: recorded ${describeEnd(end)} to ${a.output}: ${rec.stats.events.toLocaleString('en-US')} events, ${exceptions.toLocaleString('en-US')} exceptions, ` +
      `${m.instructions.toLocaleString('en-US')} instructions, ${virtualSeconds.toFixed(6)} s virtual, ${wall.toFixed(2)} s wall, ` +
      `${fmtBytes(size)} (${a.snapshotFile === null ? `${rec.stats.snapshots} snapshots, ` : ''}${rec.stats.inputs} input bytes), ` +
      `${fmtBytes(virtualSeconds > 0 ? size / virtualSeconds : 0)} per simulated second` +
      (a.snapshotFile !== null ? `; ${rec.stats.snapshots} snapshots in ${a.snapshotFile} (${fmtBytes(statSync(a.snapshotFile).size)}, for fast seeking; replay works without it)` : '') + '\n',
    );
    return checks.finish(exitCodeFor(end));
  },
};

export const HVRR_VERSION = '0.1.0';

/** The snapshot file replay looks for beside a trace. */
export function snapshotFileFor(trace: string): string {
  return `${trace}.snap`;
}
