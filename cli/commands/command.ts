// The shape of a subcommand. Each lives in its own file and is listed in
// registry.ts.
import type { CliIO } from '../io.js';
import type { OptionSpec } from '../args.js';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line after "hvrr ", e.g. "run [options]". */
  usage: string;
  options: readonly OptionSpec[];
  /** Extra help text (exit codes, notes). */
  details?: string;
  /** Runs the command; resolves to the exit code. Throws CliError for expected failures. */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}
