// The hvrr command: dispatches to a subcommand and turns every failure into
// one line on stderr and an exit code. Expected failures (bad command line,
// unreadable or malformed input) print "hvrr: <message>" (exit 2 unless the
// error says otherwise); anything else is an internal error, printed with a
// request to report it (the stack only with HVRR_DEBUG=1).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError } from '../core/firmware/loader.js';
import { FdtError } from '../core/fdt/tree.js';
import { COMMANDS, findCommand } from './commands/registry.js';
import { CliError, UsageError } from './errors.js';
import { helpFor, mainHelp } from './help.js';
import { processIO, type CliIO } from './io.js';

export { CliError, UsageError } from './errors.js';
export type { CliIO } from './io.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

function version(): string {
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hvrr' && pkg.version) return pkg.version;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return 'unknown';
}

/** One line: messages never carry newlines into the terminal. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(mainHelp(COMMANDS, version()));
    return EXIT_USAGE;
  }
  if (first === '-h' || first === '--help') {
    io.stdout.write(mainHelp(COMMANDS, version()));
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`hvrr ${version()}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    const name = rest[0];
    if (name === undefined) {
      io.stdout.write(mainHelp(COMMANDS, version()));
      return EXIT_OK;
    }
    const cmd = findCommand(name);
    if (!cmd) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    io.stdout.write(helpFor(cmd));
    return EXIT_OK;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' before the command (usage: hvrr <command> [options]; see hvrr --help)`);
  const cmd = findCommand(first);
  if (!cmd) throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see hvrr --help)`);
  return cmd.run(rest, io);
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit
 * code; never throws. `io` defaults to the process's streams.
 */
export async function main(argv: readonly string[], ioOverrides: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = { ...processIO(), ...ioOverrides };
  try {
    return await dispatch(argv, io);
  } catch (e) {
    const debug = io.env.HVRR_DEBUG === '1';
    if (e instanceof CliError) {
      let msg = oneLine(e.message);
      if (e instanceof UsageError && !/--help/.test(msg)) msg += ` (see 'hvrr ${argv[0] && findCommand(argv[0]) ? argv[0] + ' ' : ''}--help')`;
      io.stderr.write(`hvrr: ${msg}\n`);
      return e.exitCode;
    }
    if (e instanceof ImageError || e instanceof FdtError) {
      io.stderr.write(`hvrr: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(`hvrr: internal error: ${oneLine(msg)} (please report this at the hvrr issue tracker with the command line; HVRR_DEBUG=1 shows the stack)\n`);
    if (debug && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return EXIT_INTERNAL;
  }
}
