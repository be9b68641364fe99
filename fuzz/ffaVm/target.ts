// `hvrr fuzz ffa --vm` (`hvrr fuzz ffa-vm`) as a campaign target: one case
// is the two VMs' FF-A versions and a command sequence (fc.commands), run by
// fc.modelRun against a fresh model and the campaign's one hypervisor
// machine, restored to its initial state first (world.ts). No guest code
// runs, so a failure has no recording (docs/fuzzing.md).
import fc from 'fast-check';
import { FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../../core/ffa/functionIds.js';
import { isMutation, type MutationName } from '../../core/mutations.js';
import type { FuzzTarget } from '../campaign.js';
import { fault } from '../ffa/commands.js';
import { commandsThatRan, replayPathOf, runModelCase, type FfaStats } from '../ffa/target.js';
import { VmCommand, vmCommandArb, type VmCmd, type VmReal } from './commands.js';
import { VmModel } from './model.js';
import { BUFFER_IPAS, VMS, VmWorld } from './world.js';

export interface VmCase {
  versions: number[];
  commands: Iterable<fc.Command<VmModel, VmReal>>;
}

/** A case as data: the versions and the commands that ran. */
export interface VmCaseData {
  versions: number[];
  commands: VmCmd[];
}

export type VmStats = FfaStats;

/** Commands per sequence at most. */
export const FFA_VM_MAX_COMMANDS = 24;
const VERSIONS = [FFA_VERSION_1_0, FFA_VERSION_1_1, FFA_VERSION_1_2] as const;

export function vmCaseArb(maxCommands = FFA_VM_MAX_COMMANDS, replayPath?: string): fc.Arbitrary<VmCase> {
  return fc.record({
    versions: fc.tuple(fc.constantFrom(...VERSIONS), fc.constantFrom(...VERSIONS)).map((v) => [...v]),
    commands: fc.commands([vmCommandArb], { maxCommands, size: 'medium', ...(replayPath ? { replayPath } : {}) }),
  });
}

/** Runs one case on `world` (restored first): null when every invariant held, else the first broken one. */
export function runVmCase(world: VmWorld, c: VmCase, covered: Set<string>, stats?: VmStats): string | null {
  world.reset();
  const real: VmReal = { w: world, covered, commands: 0, clears: new Map(), checkedLedger: null, checkedModel: -1, keys: new Map() };
  return runModelCase(real, () => {
    const started = world.start(c.versions);
    if (started) fault(`the case's set-up failed: ${started}`);
    const model = new VmModel(new Map(VMS.map((id) => [id, world.backingPa(id)])), c.versions);
    for (const id of VMS) model.vm(id).rxtx = { tx: BUFFER_IPAS[0], rx: BUFFER_IPAS[1] };
    return model;
  }, c.commands, stats);
}

export function vmCaseFromData(data: unknown): VmCase {
  const d = data as Partial<VmCaseData> | null;
  if (!d || !Array.isArray(d.versions) || !Array.isArray(d.commands) || d.commands.some((c) => typeof (c as { k?: unknown }).k !== 'string')) throw new Error('not an ffa-vm case (want { versions, commands })');
  return { versions: d.versions, commands: d.commands.map((c) => new VmCommand(c)) };
}

export function describeVmCase(c: VmCase): string {
  const cmds = commandsThatRan<VmCommand>(c.commands).map((x) => x.toString());
  return `versions ${c.versions.map((v) => `${v >> 16}.${v & 0xffff}`).join('/')} (VM1/VM2), ${cmds.length} commands: ${cmds.join(', ')}`;
}

export function ffaVmTarget(o: { mutate?: string; maxCommands?: number; replayPath?: string }): FuzzTarget<VmCase> & { stats: VmStats } {
  const mutation: MutationName | '' = o.mutate !== undefined && isMutation(o.mutate) ? o.mutate : '';
  const stats: VmStats = { cases: 0, commands: 0 };
  let world: VmWorld | null = null;
  const run = (c: VmCase, s?: VmStats): { violation: { message: string } | null; covered: string[] } => {
    world ??= new VmWorld(mutation);
    const covered = new Set<string>();
    const message = runVmCase(world, c, covered, s);
    return { violation: message === null ? null : { message }, covered: [...covered] };
  };
  return {
    stats,
    name: 'ffa-vm',
    arbitrary: vmCaseArb(o.maxCommands, o.replayPath),
    run: (c) => run(c, stats),
    describe: describeVmCase,
    toData: (c: VmCase): VmCaseData => ({ versions: [...c.versions], commands: commandsThatRan<VmCommand>(c.commands).map((x) => x.c) }),
    runData: (data: unknown) => run(vmCaseFromData(data)),
    replayPath: (c) => replayPathOf(c.commands),
    // A case costs milliseconds (one machine for the campaign, restored per case): shrink far.
    shrinkBudget: 3000,
    options: `hypervisor VM-to-VM proxy (2 VMs, proxy ffaCall on one machine restored per case, no guest code), at most ${o.maxCommands ?? FFA_VM_MAX_COMMANDS} commands per case`,
  };
}
