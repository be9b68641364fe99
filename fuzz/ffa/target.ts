// `hvrr fuzz ffa` as a campaign target: one case is the callers' FF-A
// versions and a command sequence (fc.commands), run by fc.modelRun against
// a fresh model and a fresh machine-free world (world.ts). Module level
// only: a failure has no machine recording (see docs/fuzzing.md).
import fc from 'fast-check';
import { isMutation, type MutationName } from '../../core/mutations.js';
import type { FuzzTarget } from '../campaign.js';
import { FfaCommand, ffaCommandArb, versionsArb, Violation, type Cmd, type Real } from './commands.js';
import { FfaModel } from './model.js';
import { createWorld } from './world.js';

export interface FfaCase {
  versions: number[];
  commands: Iterable<fc.Command<FfaModel, Real>>;
}

/** Commands per sequence at most. */
export const FFA_MAX_COMMANDS = 30;

export function ffaCaseArb(maxCommands = FFA_MAX_COMMANDS, replayPath?: string): fc.Arbitrary<FfaCase> {
  return fc.record({ versions: versionsArb.map((v) => [...v]), commands: fc.commands([ffaCommandArb], { maxCommands, size: 'medium', ...(replayPath ? { replayPath } : {}) }) });
}

/** The replayPath fast-check's command list carries (empty when nothing was shrunk away). */
export function ffaReplayPath(c: FfaCase): string | null {
  return replayPathOf(c.commands);
}

/** fast-check's replayPath of a command list made by fc.commands (null when nothing was shrunk away). */
export function replayPathOf(commands: Iterable<unknown>): string | null {
  return /\/\*replayPath="([^"]*)"\*\/$/.exec(String(commands))?.[1] ?? null;
}

/** Runs one case: null when every invariant held, else the first broken one (an exception from the code under test included). */
export function runFfaCase(c: FfaCase, mutation: MutationName | '', covered: Set<string>, stats?: FfaStats): string | null {
  const real: Real = { w: createWorld(c.versions, mutation), covered, commands: 0 };
  return runModelCase(real, () => new FfaModel(), c.commands, stats);
}

/** fc.modelRun of `commands` from the model `model()` makes (it may throw a Violation) and `real`: null when every
 *  invariant held, else the first broken one, a host exception included; `stats` counts the case and its commands. */
export function runModelCase<M extends object, R extends { commands: number }>(real: R, model: () => M, commands: Iterable<fc.Command<M, R>>, stats?: FfaStats): string | null {
  try {
    const m = model();
    fc.modelRun(() => ({ model: m, real }), commands);
    return null;
  } catch (e) {
    return e instanceof Violation ? e.message : e instanceof Error ? `the host threw: ${e.stack ?? e.message}` : `the host threw: ${String(e)}`;
  } finally {
    if (stats) {
      stats.cases++;
      stats.commands += real.commands;
    }
  }
}

export interface FfaStats {
  cases: number;
  commands: number;
}

/** The commands of a case that ran (fast-check's wrappers know; a command whose check failed did not run). */
function ranCommands(c: FfaCase): FfaCommand[] {
  return commandsThatRan<FfaCommand>(c.commands);
}

/** The commands of a list fc.commands made that ran (fast-check's wrappers know; a command whose check failed did not run). */
export function commandsThatRan<C>(commands: Iterable<unknown>): C[] {
  return [...commands].filter((x) => (x as { hasRan?: boolean }).hasRan !== false).map((x) => ((x as { cmd?: C }).cmd ?? x) as C);
}

/** A case as data: versions and the commands that ran. */
export interface FfaCaseData {
  versions: number[];
  commands: Cmd[];
}

export function ffaCaseFromData(data: unknown): FfaCase {
  const d = data as Partial<FfaCaseData> | null;
  if (!d || !Array.isArray(d.versions) || !Array.isArray(d.commands) || d.commands.some((c) => typeof (c as { k?: unknown }).k !== 'string')) throw new Error('not an ffa case (want { versions, commands })');
  return { versions: d.versions, commands: d.commands.map((c) => new FfaCommand(c)) };
}

export function describeFfaCase(c: FfaCase): string {
  const cmds = ranCommands(c).map((x) => x.toString());
  return `versions ${c.versions.map((v) => `${v >> 16}.${v & 0xffff}`).join('/')} (NWd/SP1/SP2/SP3), ${cmds.length} commands: ${cmds.join(', ')}`;
}

export function ffaTarget(o: { mutate?: string; maxCommands?: number; replayPath?: string }): FuzzTarget<FfaCase> & { stats: FfaStats } {
  const mutation = o.mutate !== undefined && isMutation(o.mutate) ? o.mutate : '';
  const stats: FfaStats = { cases: 0, commands: 0 };
  return {
    stats,
    name: 'ffa',
    arbitrary: ffaCaseArb(o.maxCommands, o.replayPath),
    run(c: FfaCase) {
      const covered = new Set<string>();
      const message = runFfaCase(c, mutation, covered, stats);
      return { violation: message === null ? null : { message }, covered: [...covered] };
    },
    describe: describeFfaCase,
    toData: (c: FfaCase): FfaCaseData => ({ versions: [...c.versions], commands: ranCommands(c).map((x) => x.c) }),
    runData(data: unknown) {
      const covered = new Set<string>();
      const message = runFfaCase(ffaCaseFromData(data), mutation, covered);
      return { violation: message === null ? null : { message }, covered: [...covered] };
    },
    replayPath: ffaReplayPath,
    // A case costs milliseconds: shrink much further than machine runs can.
    shrinkBudget: 5000,
    options: `module level (SPMC memory ABIs + ledger + core/ffa codecs, no machine), at most ${o.maxCommands ?? FFA_MAX_COMMANDS} commands per case`,
  };
}
