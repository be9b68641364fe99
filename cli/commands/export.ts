// `hvrr export FILE --format perfetto|chrome -o OUT.json`: the trace as
// Chrome trace-event JSON for Perfetto UI or chrome://tracing (tui/export.ts).
// The file is written beside OUT and renamed into place: no half-written OUT.
import { closeSync, existsSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { recoveryWarning } from '../../replay/dump.js';
import { snapshotFileProblem } from '../../replay/replayer.js';
import { TraceFormatError, TraceReader, isTraceEvent, type SnapshotEntry } from '../../replay/traceFile.js';
import { exportEvents, type ExportFormat } from '../../tui/export.js';
import { recordedCpus } from '../../tui/model.js';
import { parseArgs, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { Command } from './command.js';
import { openTrace } from './openTrace.js';
import { snapshotFileFor } from './record.js';

const FORMATS: readonly ExportFormat[] = ['perfetto', 'chrome'];

const OPTIONS: readonly OptionSpec[] = [
  { name: 'format', value: 'F', help: 'perfetto (flow ids on the FF-A slices) or chrome (flow events)', parse: (raw, o) => {
    if (!(FORMATS as readonly string[]).includes(raw)) throw new UsageError(`${o}: unknown format '${raw}' (formats: ${FORMATS.join(', ')})`);
    return raw;
  } },
  { name: 'output', value: 'OUT.json', help: 'the file to write (also -o)', parse: parseString },
];

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a trace as Chrome trace-event JSON for Perfetto UI or chrome://tracing',
  usage: 'export FILE --format perfetto|chrome -o OUT.json',
  options: OPTIONS,
  details: `One track per pCPU with a slice for each stretch a vCPU ran there (from
the sched events), instant events for exceptions (ESR decoded), interrupts
and PSCI calls, FF-A messages as short slices with an arrow from each call
to its answer, and a counter of instructions retired at each snapshot
(FILE.snap's when it belongs to the trace). Timestamps are virtual: one tick
is one nanosecond. docs/tui.md "Export" describes what appears.

Exit status:
  0    written
  2    bad command line, unreadable trace, OUT cannot be written`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv.map((a) => (a === '-o' ? '--output' : a)), OPTIONS);
    if (help) {
      io.stdout.write(helpFor(exportCommand));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing trace FILE (usage: hvrr export FILE --format perfetto|chrome -o OUT.json)' : `unexpected argument '${positionals[1]}'`);
    const format = o.get('format') as ExportFormat | undefined;
    if (!format) throw new UsageError(`--format is required (${FORMATS.join(' or ')})`);
    const out = o.get('output') as string | undefined;
    if (!out) throw new UsageError('-o OUT.json is required');
    const file = positionals[0]!;
    const reader = openTrace(file);
    const tmp = `${out}.tmp-${process.pid}`;
    let fd: number | null = null;
    try {
      const warning = recoveryWarning(reader, file);
      if (warning) io.stderr.write(`hvrr: warning: ${warning}\n`);
      let snapshots: SnapshotEntry[] = reader.snapshots();
      if (existsSync(snapshotFileFor(file))) {
        try {
          const s = TraceReader.open(snapshotFileFor(file));
          if (!snapshotFileProblem(reader, s)) snapshots = [...snapshots, ...s.snapshots()];
          s.close();
        } catch {
          // not a snapshot file of this trace: the trace's own snapshots only
        }
      }
      try {
        fd = openSync(tmp, 'w');
      } catch (e) {
        throw new CliError(`cannot write '${out}': ${(e as Error).message}`);
      }
      const fdw = fd;
      let buf: string[] = [];
      let first = true;
      const flush = (): void => {
        if (buf.length === 0) return;
        writeSync(fdw, buf.join(''));
        buf = [];
      };
      writeSync(fdw, `{"displayTimeUnit":"ns","otherData":${JSON.stringify({ trace: basename(file), seed: reader.header.seed, format, timeUnit: '1 tick = 1 ns of virtual time' })},"traceEvents":[\n`);
      const events = (function* () {
        for (const r of reader.events()) if (isTraceEvent(r)) yield r;
      })();
      const stats = exportEvents(events, { format, cpus: recordedCpus(reader), snapshots, title: `hvrr ${basename(file)}` }, (e) => {
        buf.push((first ? '' : ',\n') + JSON.stringify(e));
        first = false;
        if (buf.length >= 4096) flush();
      });
      flush();
      writeSync(fdw, '\n]}\n');
      closeSync(fdw);
      fd = null;
      renameSync(tmp, out);
      io.stderr.write(`hvrr: exported ${stats.events.toLocaleString('en-US')} events to ${out} (${format}): ${stats.slices.toLocaleString('en-US')} slices, ${stats.flows.toLocaleString('en-US')} FF-A flows, ${snapshots.length} counter samples\n`);
      return 0;
    } catch (e) {
      if (fd !== null) closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      if (e instanceof TraceFormatError) throw new CliError(`trace '${file}': ${e.message}`);
      if (!(e instanceof CliError) && (e as NodeJS.ErrnoException).code !== undefined) throw new CliError(`cannot write '${out}': ${(e as Error).message}`);
      throw e;
    } finally {
      reader.close();
    }
  },
};
