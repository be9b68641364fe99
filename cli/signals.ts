// Signals that end a command (SIGINT, SIGTERM, SIGHUP) while it writes an
// output file: they are held until the write is done, so the file is either
// complete or absent and no temporary file is left behind, and then end the
// command with 128 + the signal's number.
import { CliError } from './errors.js';
import type { CliIO } from './io.js';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];
const SIGNAL_NUMBERS: Record<InterruptSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The exit status of a process ended by `signal` (the shell's convention). */
export function signalExitCode(signal: InterruptSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/** A macrotask: signals delivered during synchronous work reach their handlers by then. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Run `write` (synchronous) with the interrupting signals held. A signal that
 * arrived meanwhile ends the command afterwards: CliError with exit status
 * 128 + its number, saying the file is complete.
 */
export async function writeHoldingSignals<T>(io: CliIO, what: string, write: () => T): Promise<T> {
  if (!io.handleSignals) return write();
  const got: InterruptSignal[] = [];
  const hold = (s: InterruptSignal): void => {
    got.push(s);
  };
  for (const s of INTERRUPT_SIGNALS) process.on(s, hold);
  let result: T;
  try {
    result = write();
    await turn();
    await turn();
  } finally {
    for (const s of INTERRUPT_SIGNALS) process.off(s, hold);
  }
  const sig = got[0];
  if (sig !== undefined) throw new CliError(`${sig} while writing ${what}: it was completed first; stopping`, signalExitCode(sig));
  return result;
}
