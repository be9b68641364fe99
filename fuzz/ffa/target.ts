// `hvrr fuzz ffa` as a campaign target: one case is the callers' FF-A
// versions and a command sequence (fc.commands), run by fc.modelRun against
// a fresh model and a fresh machine-free world (world.ts). Module level
// only: a failure has no machine recording (see docs/fuzzing.md).
import fc from 'fast-check';
import { isMutation, type MutationName } from '../../core/mutations.js';
import type { FuzzTarget } from '../campaign.js';
import { ffaCommandArb, versionsArb, type FfaCommand, type Real } from './commands.js';
import { FfaModel } from './model.js';
import { createWorld } from './world.js';

export interface FfaCase {
  versions: number[];
  commands: Iterable<fc.Command<FfaModel, Real>>;
}

/** Commands per sequence at most. */
export const FFA_MAX_COMMANDS = 30;

export function ffaCaseArb(maxCommands = FFA_MAX_COMMANDS): fc.Arbitrary<FfaCase> {
  return fc.record({ versions: versionsArb.map((v) => [...v]), commands: fc.commands([ffaCommandArb], { maxCommands }) });
}

/** Runs one case: null when every invariant held, else the first broken one (an exception from the code under test included). */
export function runFfaCase(c: FfaCase, mutation: MutationName | '', covered: Set<string>): string | null {
  const model = new FfaModel();
  const real: Real = { w: createWorld(c.versions, mutation), covered };
  try {
    fc.modelRun(() => ({ model, real }), c.commands);
    return null;
  } catch (e) {
    return e instanceof Error ? (e.constructor.name === 'Violation' ? e.message : `the host threw: ${e.stack ?? e.message}`) : String(e);
  }
}

export function describeFfaCase(c: FfaCase): string {
  const cmds = [...c.commands].map((x) => (x as FfaCommand).toString());
  return `versions ${c.versions.map((v) => `${v >> 16}.${v & 0xffff}`).join('/')} (NWd/SP1/SP2/SP3), ${cmds.length} commands: ${cmds.join(', ')}`;
}

export function ffaTarget(o: { mutate?: string; maxCommands?: number }): FuzzTarget<FfaCase> {
  const mutation = o.mutate !== undefined && isMutation(o.mutate) ? o.mutate : '';
  return {
    name: 'ffa',
    arbitrary: ffaCaseArb(o.maxCommands),
    run(c: FfaCase) {
      const covered = new Set<string>();
      const message = runFfaCase(c, mutation, covered);
      return { violation: message === null ? null : { message }, covered: [...covered] };
    },
    describe: describeFfaCase,
  };
}
