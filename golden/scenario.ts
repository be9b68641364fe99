// Runs a golden's scenario in this process, as `hvrr record ARGS` would run
// it (the same argument parser, machine and run loop; no trace file is
// written), and hands every event to a consumer.
import { Readable } from 'node:stream';
import type { TraceEvent } from '../core/trace/events.js';
import { cachedLinuxArtifacts, MarkerWatch } from '../cli/commands/linux.js';
import { cachedFfaInitrd, FFA_LINUX } from '../cli/commands/ffaLinux.js';
import { parseRecordArgs } from '../cli/commands/record.js';
import { prepareMachine, runMachine, type RunEnd } from '../cli/commands/run.js';
import type { CliIO, InStream } from '../cli/io.js';
import type { GoldenConfig } from './config.js';

export interface ScenarioEnd {
  /** How the run ended ('system-off', 'paused at "TEXT"', 'halt (...)', ...). */
  end: string;
  instructions: number;
  events: number;
}

const discard = { write: (): boolean => true };

/** Why the scenario cannot run here (its tier's inputs are missing), or null. */
export function scenarioUnavailable(cfg: GoldenConfig, env: Readonly<Record<string, string | undefined>>): string | null {
  if (cfg.tier !== 'linux') return null;
  const r = cachedLinuxArtifacts();
  if (!r.artifacts) {
    const why = `Linux guest artifacts not cached (${r.reason}); run 'bash scripts/linux-artifacts.sh'`;
    // CI requires the Linux tier: then a missing cache is a failure, not a skip.
    if (env.HVRR_LINUX_TESTS === '1') throw new Error(`HVRR_LINUX_TESTS=1 but ${why}`);
    return why;
  }
  if (cfg.record[0] !== FFA_LINUX) return null;
  // ffa-linux also needs the FF-A initramfs (required in CI with HVRR_FFA_TESTS=1).
  const ffa = cachedFfaInitrd();
  if (ffa.initrd) return null;
  const why = `FF-A artifacts not cached (${ffa.reason}); run 'bash scripts/ffa-artifacts.sh'`;
  if (env.HVRR_FFA_TESTS === '1') throw new Error(`HVRR_FFA_TESTS=1 but ${why}`);
  return why;
}

function describeEnd(end: RunEnd, until: string | undefined): string {
  if (end.kind === 'paused' && until !== undefined) return `paused after the console printed ${JSON.stringify(until)}`;
  if (end.kind === 'halt') return `halt (${end.message})`;
  return end.kind;
}

/** Runs `cfg`'s scenario, calling `onEvent` with every event in order. */
export async function runScenario(cfg: GoldenConfig, onEvent: (e: TraceEvent) => void, log: (line: string) => void = () => {}): Promise<ScenarioEnd> {
  const a = parseRecordArgs(cfg.record, log);
  const m = prepareMachine(a.opts, log);
  const unsubscribe = m.trace.subscribe(onEvent);
  const marker = cfg.until !== undefined ? new MarkerWatch(cfg.until) : null;
  const stdin = cfg.input !== undefined ? (Readable.from([Buffer.from(cfg.input, 'latin1')]) as unknown as InStream) : null;
  const io: CliIO = { stdout: discard, stderr: discard, stdin, env: {}, handleSignals: false };
  let end: RunEnd;
  try {
    end = await runMachine(m, {
      ...(a.opts.maxInsns !== undefined ? { maxInsns: a.opts.maxInsns } : {}),
      ...(a.opts.inputAfter !== undefined ? { holdInputUntil: a.opts.inputAfter } : {}),
      pace: false,
      ...(marker
        ? {
          onConsoleByte: (b: number): void => {
            marker.push(b);
            // The run stops at the end of the step that printed the text's last byte.
            if (marker.count === 1) m.requestPause();
          },
        }
        : {}),
    }, io);
  } finally {
    unsubscribe();
  }
  return { end: describeEnd(end, cfg.until), instructions: m.instructions, events: m.trace.count };
}
