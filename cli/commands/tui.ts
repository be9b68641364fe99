// `hvrr tui FILE`: the trace browser (tui/, docs/tui.md) in the terminal.
// Ink and React are loaded only here (they take a while to load, and no
// other command needs them).
import { recoveryWarning } from '../../replay/dump.js';
import { parseArgs, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { helpFor } from '../help.js';
import type { Command } from './command.js';
import { openTrace } from './openTrace.js';

const OPTIONS: readonly OptionSpec[] = [];

export const tuiCommand: Command = {
  name: 'tui',
  summary: 'browse a trace: timeline, filters, search, jumps, registers by replay, console, FF-A',
  usage: 'tui FILE',
  options: OPTIONS,
  details: `Opens the trace in a full-screen browser (docs/tui.md): one row per event
(console bytes folded into lines) with per-pCPU lanes of the VM/vCPU running,
filters, search, jumps to an event, exception or tick, bookmarks (saved in
FILE.bookmarks), and a detail pane with every field decoded, the event's CPU
registers and disassembly (the recording replayed to it, from FILE.snap's or
the trace's snapshots), and the console output up to it. '?' lists the keys,
'q' quits. Colour follows NO_COLOR. Needs a terminal.

Exit status:
  0    quit
  2    bad command line, unreadable trace, no terminal`,
  async run(argv, io) {
    const { positionals, help } = parseArgs(argv, OPTIONS);
    if (help) {
      io.stdout.write(helpFor(tuiCommand));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing trace FILE (usage: hvrr tui FILE)' : `unexpected argument '${positionals[1]}'`);
    const file = positionals[0]!;
    const stdin = io.stdin as unknown as NodeJS.ReadStream | null;
    const stdout = io.stdout as unknown as NodeJS.WriteStream;
    if (!stdin?.isTTY || !stdout.isTTY) throw new CliError('hvrr tui needs a terminal (stdin and stdout); for text, use hvrr dump');
    const reader = openTrace(file);
    const warning = recoveryWarning(reader, file);
    // React's production build: its development build checks every element (twice the frame time).
    process.env.NODE_ENV ??= 'production';
    // Ink renders only the last frame when it thinks it runs under CI (is-in-ci
    // reads CI and CONTINUOUS_INTEGRATION once, at import). Both ends are a
    // terminal here, so a person is watching: hide the CI variables while Ink loads.
    const ciVars = hideCiVariables();
    let loaded;
    try {
      loaded = await Promise.all([
        import('react'), import('ink'), import('../../tui/app.js'), import('../../tui/model.js'), import('../../tui/runner.js'),
      ]);
    } finally {
      restoreVariables(ciVars);
    }
    const [{ createElement }, { render }, { App }, { TraceModel }, { makeRunner }] = loaded;
    const model = new TraceModel(reader, file);
    const runner = makeRunner(reader, file);
    const color = !('NO_COLOR' in io.env) || io.env.NO_COLOR === '';
    // The alternate screen: the shell's screen comes back on quit.
    stdout.write('\x1b[?1049h\x1b[H');
    try {
      const app = render(createElement(App, { model, runner, color }), { stdin, stdout, exitOnCtrlC: false, patchConsole: false, incrementalRendering: true });
      await app.waitUntilExit();
    } finally {
      stdout.write('\x1b[?1049l');
      runner.close();
      reader.close();
    }
    if (warning) io.stderr.write(`hvrr: warning: ${warning}\n`);
    return 0;
  },
};

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

function hideCiVariables(): Map<string, string> {
  const saved = new Map<string, string>();
  for (const name of CI_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    delete process.env[name];
  }
  return saved;
}

function restoreVariables(saved: Map<string, string>): void {
  for (const [name, value] of saved) process.env[name] = value;
}
