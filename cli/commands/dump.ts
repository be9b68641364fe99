// `hvrr dump FILE`: print a trace file's header summary and its events, one
// per line, in the canonical rendering (core/trace/events.ts formatEvent).
import { TRACE_KINDS } from '../../core/trace/events.js';
import type { TraceKind } from '../../core/trace/events.js';
import { dumpTrace, recoveryWarning } from '../../replay/dump.js';
import { TraceFormatError, TraceReader } from '../../replay/traceFile.js';
import { parseArgs, parseCount, parseIntRange, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { Command } from './command.js';
import { secureConsoleText } from './secureConsole.js';

function parseKinds(raw: string, option: string): TraceKind[] {
  const kinds = raw.split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (kinds.length === 0) throw new UsageError(`${option}: no event kind given (kinds: ${TRACE_KINDS.join(', ')})`);
  for (const k of kinds) if (!(TRACE_KINDS as readonly string[]).includes(k)) throw new UsageError(`${option}: unknown event kind '${k}' (kinds: ${TRACE_KINDS.join(', ')})`);
  return kinds as TraceKind[];
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'from', value: 'SEQ', help: 'start at event SEQ (default: the first)', parse: (r, o) => parseIntRange(r, o, 0, Number.MAX_SAFE_INTEGER) },
  { name: 'count', value: 'N', help: 'print at most N events', parse: (r, o) => parseCount(r, o) },
  { name: 'kind', value: 'K1,K2', help: `only events of these kinds:\n${TRACE_KINDS.join(', ')}`, parse: parseKinds },
  { name: 'inputs', help: "also print input records ('input @TICK uart-rx byte=...')" },
  { name: 'hashes', help: "also print state-hash records ('state-hash @TICK after=#SEQ HEX')" },
  { name: 'console', help: "print the consoles rebuilt from the uart-out events instead of\nthe events: the Non-secure UART's bytes as the guest wrote them,\nthen (--secure machines) the secure UART's as '[secure] ' lines" },
  { name: 'json', help: 'one JSON object per line: the header, then each event (and input,\nstate hash) with stable field names (docs/trace-format.md "JSON")' },
];

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'print a recorded trace file: header summary and events, one per line',
  usage: 'dump FILE [options]',
  options: OPTIONS,
  details: `Header lines start with '#'. Each event line is the canonical rendering
'#SEQ @TICK cpuN KIND FIELDS' that golden comparison uses. A recording that
was killed or truncated (no usable footer) is read up to its last complete
chunk; a '# recovered:' line and a warning on stderr say how much was read
and how much was lost.

With --json every line is one JSON object: {"record":"trace",...} first,
then {"record":"event","seq":..,"tick":..,"cpu":..,"kind":..,<fields>} per event
(and "input" / "state-hash" records with --inputs / --hashes).

Exit status:
  0    success
  2    bad command line, unreadable or malformed trace file, --from past the
       trace's events`,
  async run(argv, io) {
    const { options: o, positionals, help } = parseArgs(argv, OPTIONS);
    if (help) {
      io.stdout.write(helpFor(dumpCommand));
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('missing trace FILE (usage: hvrr dump FILE [options])');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (one trace FILE)`);
    const path = positionals[0]!;
    // A closed pipe (hvrr dump FILE | head) ends the dump quietly: Node
    // destroys stdout synchronously on EPIPE and emits 'error' a tick later.
    const out = io.stdout as { write(t: string): unknown; on?: (ev: string, fn: (e: Error) => void) => unknown; destroyed?: boolean };
    let writeError: Error | null = null;
    if (typeof out.on === 'function') out.on('error', (e) => (writeError ??= e));
    const stopped = new Error('output closed');
    const write = (text: string): void => {
      if (writeError || out.destroyed) throw stopped;
      out.write(text);
      if (out.destroyed) throw stopped;
    };
    let reader: TraceReader | undefined;
    try {
      reader = TraceReader.open(path);
      const warning = recoveryWarning(reader, path);
      if (warning) io.stderr.write(`hvrr: warning: ${warning}\n`);
      const kinds = o.get('kind') as TraceKind[] | undefined;
      const from = o.get('from') as number | undefined;
      const count = o.get('count') as number | undefined;
      const last = reader.firstSeq + reader.eventCount - 1;
      if (from !== undefined && from > last) {
        throw new CliError(reader.eventCount === 0 ? `--from ${from}: the trace has no events` : `--from ${from}: the trace's events are #${reader.firstSeq}..#${last}`);
      }
      if (o.get('console') === true) {
        const other = ['kind', 'count', 'inputs', 'hashes', 'json'].find((k) => o.has(k));
        if (other) throw new UsageError(`--console prints the consoles, not events: drop --${other}`);
        const ns: number[] = [];
        const secure: number[] = [];
        for (const e of reader.eventsInRange(from ?? reader.firstSeq, Number.MAX_SAFE_INTEGER, ['uart-out'])) {
          if (e.kind === 'uart-out') (e.world === 's' ? secure : ns).push(e.byte);
        }
        write(Buffer.from(ns).toString('latin1'));
        if (secure.length > 0) write(secureConsoleText(secure));
        return 0;
      }
      dumpTrace(
        reader,
        path,
        {
          ...(from !== undefined ? { from } : {}),
          ...(count !== undefined ? { count } : {}),
          ...(kinds ? { kinds } : {}),
          inputs: o.get('inputs') === true,
          stateHashes: o.get('hashes') === true,
          json: o.get('json') === true,
        },
        write,
      );
    } catch (e) {
      if (e === stopped) return 0;
      if (e instanceof TraceFormatError) {
        const m = e.message;
        throw new CliError(m.startsWith('cannot read') ? m : `trace '${path}': ${m}`);
      }
      throw e;
    } finally {
      reader?.close();
    }
    return 0;
  },
};
