// `hvrr replay FILE [--until exception N | event N | tick T]`: rebuild the
// recorded machine, replay it checking every event against the recording,
// stop exactly at the target and print where it is. On a divergence it stops
// at the first differing event, prints both sides and exits non-zero.
import { performance } from 'node:perf_hooks';
import { formatEvent } from '../../core/trace/events.js';
import type { Machine } from '../../core/machine.js';
import { checkImages } from './images.js';
import { existsSync } from 'node:fs';
import { Replayer, snapshotFileProblem, type ReplayTarget, type ReplayResult } from '../../replay/replayer.js';
import { TraceFormatError, TraceReader } from '../../replay/traceFile.js';
import { saveFull, writeSnapshotFile, SnapshotError } from '../../snapshots/index.js';
import { parseArgs, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';
import { runOptionsOf, snapshotFileFor, type RecordedRun } from './record.js';
import { prepareMachine, EXIT_OK, NO_JIT_OPTION } from './run.js';

export const EXIT_DIVERGED = 6;

const PRINTABLE = ['regs', 'events', 'uart'] as const;
type Printable = (typeof PRINTABLE)[number];

function parseUntil(raw: string, option: string): ReplayTarget {
  const m = /^(exception|event|tick)[:=\s]+([0-9_]+)$/.exec(raw.trim());
  if (!m) throw new UsageError(`${option}: expected 'exception N', 'event N' or 'tick T', got '${raw}'`);
  const n = Number(m[2]!.replace(/_/g, ''));
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option}: '${m[2]}' is too large`);
  if (m[1] === 'exception') {
    if (n < 1) throw new UsageError(`${option}: exceptions are numbered from 1`);
    return { kind: 'exception', n };
  }
  return m[1] === 'event' ? { kind: 'event', seq: n } : { kind: 'tick', tick: n };
}

function parsePrint(raw: string, option: string): Printable[] {
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!(PRINTABLE as readonly string[]).includes(p)) throw new UsageError(`${option}: unknown item '${p}' (items: ${PRINTABLE.join(', ')})`);
  return parts as Printable[];
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'until', value: 'WHAT', help: "stop at 'exception N' (its entry), 'event N' or 'tick T'\n(default: the end of the recording)", parse: parseUntil },
  { name: 'snapshot', value: 'OUT', help: 'write a snapshot of the machine where replay stopped', parse: parseString },
  { name: 'print', value: 'LIST', help: 'what to print where it stops: regs,events,uart (default all)', parse: parsePrint },
  { name: 'snapshot-file', value: 'FILE', help: 'snapshots recorded beside the trace (record --snapshot-file;\ndefault: FILE.snap when it exists)', parse: parseString },
  { name: 'no-snapshots', help: 'replay from the start instead of the nearest recorded snapshot' },
  NO_JIT_OPTION,
];

/** Accept `--until exception 4211` as well as `--until exception:4211`. */
function joinUntil(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--until' && /^(exception|event|tick)$/.test(argv[i + 1] ?? '') && argv[i + 2] !== undefined) {
      out.push(`--until=${argv[i + 1]}:${argv[i + 2]}`);
      i += 2;
    } else {
      out.push(a);
    }
  }
  return out;
}



function hex(v: bigint, width = 16): string {
  return '0x' + v.toString(16).padStart(width, '0');
}

function printRegs(m: Machine, io: CliIO): void {
  for (let c = 0; c < m.numCpus; c++) {
    const ps = m.core.pstate(c);
    const el = (ps >> 2) & 3;
    io.stdout.write(`cpu${c}: ${m.cpuState(c)} EL${el}${ps & 1 ? 'h' : 't'} pc=${hex(m.core.getPc(c))} sp=${hex(m.core.getSp(c))} pstate=${hex(BigInt(ps), 8)} nzcv=${['N', 'Z', 'C', 'V'].map((f, i) => ((ps >>> (31 - i)) & 1 ? f : f.toLowerCase())).join('')}\n`);
    for (let r = 0; r < 31; r += 4) {
      const cols: string[] = [];
      for (let k = r; k < Math.min(r + 4, 31); k++) cols.push(`x${k}`.padStart(3) + '=' + hex(m.core.getX(c, k)));
      io.stdout.write('  ' + cols.join(' ') + '\n');
    }
    const sys = ['ELR_EL1', 'ESR_EL1', 'FAR_EL1', 'SPSR_EL1', 'VBAR_EL1', 'SCTLR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'HCR_EL2', 'VTTBR_EL2'];
    const vals = sys.map((n) => {
      const r = m.core.sysregByName.get(n);
      return r ? `${n}=${hex(m.core.sysregSlot(c, r.slot))}` : '';
    }).filter(Boolean);
    for (let i = 0; i < vals.length; i += 3) io.stdout.write('  ' + vals.slice(i, i + 3).join(' ') + '\n');
  }
  if (m.componentNames().includes('hypervisor')) {
    const st = m.component('hypervisor').getState() as { current?: unknown };
    if (st && typeof st === 'object' && 'current' in st) io.stdout.write(`hypervisor: current ${JSON.stringify(st.current)}\n`);
  }
}

/** UART output up to event `uptoSeq`, rebuilt from the recorded uart-out events. */
function uartOutput(reader: TraceReader, uptoSeq: number): string {
  const bytes: number[] = [];
  if (uptoSeq < reader.firstSeq) return '';
  for (const e of reader.eventsInRange(reader.firstSeq, uptoSeq, ['uart-out'])) if (e.kind === 'uart-out') bytes.push(e.byte);
  return Buffer.from(bytes).toString('latin1');
}

function describe(r: ReplayResult, target: ReplayTarget): string {
  const what = target.kind === 'exception' ? `exception ${target.n}` : target.kind === 'event' ? `event ${target.seq}` : target.kind === 'tick' ? `tick ${target.tick}` : 'the end of the recording';
  const from = r.startedFrom
    ? `from the snapshot at tick ${r.startedFrom.tick.toLocaleString('en-US')} (${r.startedFrom.afterSeq < 0 ? 'before the first event' : `after event ${r.startedFrom.afterSeq}`})`
    : 'from power-on';
  switch (r.status) {
    case 'reached': return `reached ${what}, replaying ${from}; ${r.checked.toLocaleString('en-US')} events and ${r.stateHashesChecked} state hashes matched`;
    case 'end-of-recording': return `replayed to the end of the recording ${from}; ${r.checked.toLocaleString('en-US')} events and ${r.stateHashesChecked} state hashes matched`;
    case 'machine-stopped': return `machine stopped (${r.machineStop ?? 'unknown'}) before ${what}`;
    case 'not-in-recording': return `${what} is not in the recording`;
    case 'diverged': return `DIVERGED at event ${r.divergence!.seq}`;
  }
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay a trace exactly, stop at an exception/event/tick, detect divergence',
  usage: 'replay FILE [--until exception N | event N | tick T] [options]',
  options: OPTIONS,
  details: `Rebuilds the machine from the recorded configuration and images (their
SHA-256 must match), restores the nearest earlier snapshot, and runs forward,
checking every event and state hash against the recording. --until exception N
stops at the entry of exception N (before its handler runs); --until tick T
stops at the first round-robin window boundary at or after T.

Exit status:
  0    target reached (or the end of the recording)
  2    bad command line, unreadable trace, images that differ from the recording,
       or a target the recording does not contain
  6    replay diverged from the recording (both versions are printed)`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(joinUntil(argv), OPTIONS);
    if (help) {
      io.stdout.write(helpFor(replayCommand));
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing trace FILE (see --help)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const target = (o.get('until') as ReplayTarget | undefined) ?? { kind: 'end' };
    const print = new Set<Printable>((o.get('print') as Printable[] | undefined) ?? PRINTABLE);
    let reader: TraceReader;
    try {
      reader = TraceReader.open(file);
    } catch (e) {
      if (e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
      throw e;
    }
    let snapReader: TraceReader | undefined;
    try {
      const recorded = reader.header.machine as unknown as RecordedRun;
      if (!recorded || typeof recorded !== 'object' || !Array.isArray(recorded.argv) || !recorded.argv.every((x) => typeof x === 'string')) {
        throw new CliError(`trace '${file}': its header does not describe a machine hvrr can rebuild`);
      }
      checkImages(reader.header.images);
      const m = prepareMachine({ ...runOptionsOf(recorded), noJit: o.get('no-jit') === true });
      const useSnapshots = o.get('no-snapshots') !== true;
      const given = o.get('snapshot-file') as string | undefined;
      const snapPath = given ?? (existsSync(snapshotFileFor(file)) ? snapshotFileFor(file) : undefined);
      if (snapPath !== undefined && useSnapshots) {
        // A file named on the command line must serve the trace; one found
        // beside it (maybe left by an earlier recording) is skipped with a warning.
        let problem: string | null;
        try {
          snapReader = TraceReader.open(snapPath);
          problem = snapshotFileProblem(reader, snapReader);
        } catch (e) {
          if (!(e instanceof TraceFormatError)) throw e;
          problem = e.message;
        }
        if (problem) {
          if (given !== undefined) throw new CliError(`snapshot file '${snapPath}' does not belong to trace '${file}': ${problem}`);
          io.stderr.write(`hvrr: ignoring '${snapPath}' (${problem}); replaying without its snapshots\n`);
          snapReader?.close();
          snapReader = undefined;
        }
      }
      const t0 = performance.now();
      let result: ReplayResult;
      try {
        result = new Replayer(reader, snapReader).run(m, target, { useSnapshots });
      } catch (e) {
        if (e instanceof SnapshotError || e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
        throw e;
      }
      const wall = (performance.now() - t0) / 1000;
      io.stdout.write(`hvrr replay: ${describe(result, target)} (${wall.toFixed(2)} s)\n`);
      if (result.status === 'not-in-recording') return 2;
      if (result.status === 'diverged') {
        const d = result.divergence!;
        io.stdout.write('last agreed events:\n');
        for (const line of d.context) io.stdout.write(`  ${line}\n`);
        io.stdout.write(`recorded: ${d.recorded}\nreplayed: ${d.replayed}\n`);
      }
      io.stdout.write(`at tick ${m.nowTick.toLocaleString('en-US')}, ${m.instructions.toLocaleString('en-US')} instructions, ${m.trace.count.toLocaleString('en-US')} events\n`);
      if (print.has('regs')) printRegs(m, io);
      if (print.has('events')) {
        io.stdout.write('last events:\n');
        for (const e of m.trace.last(10)) io.stdout.write(`  ${formatEvent(e)}\n`);
      }
      if (print.has('uart')) {
        const text = uartOutput(reader, m.trace.count - 1);
        io.stdout.write(`uart output so far (${text.length} bytes):\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`);
      }
      const out = o.get('snapshot') as string | undefined;
      if (out !== undefined) {
        const { bytes } = saveFull(m);
        try {
          writeSnapshotFile(out, bytes);
        } catch (e) {
          throw new CliError(`cannot write snapshot '${out}': ${(e as Error).message}`);
        }
        io.stdout.write(`snapshot written to ${out} (${bytes.length.toLocaleString('en-US')} bytes)\n`);
      }
      return result.status === 'diverged' ? EXIT_DIVERGED : EXIT_OK;
    } finally {
      reader.close();
      snapReader?.close();
    }
  },
};

