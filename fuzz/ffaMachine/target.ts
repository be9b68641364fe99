// `hvrr fuzz ffa-machine` (also `hvrr fuzz ffa --machine`) as a campaign
// target: a case is a machine seed and a raw command list (model.ts), run
// on a whole secure machine (runCase.ts); a failing case records like the
// sched and abi fuzzers' (recordArgs: the VM image, the partitions'
// packages beside it, the same `hvrr run` options).
import fc from 'fast-check';
import { isMutation } from '../../core/mutations.js';
import type { FuzzTarget } from '../campaign.js';
import { machineImages } from './guest.js';
import { compile, MACHINE_MAX_COMMANDS, machineCmdsArb, stepText, type MachineCmd } from './model.js';
import { machineArgv, runMachineCase, STEP_MAX_INSTRUCTIONS, writeMachineFiles } from './runCase.js';

export interface MachineCase {
  machineSeed: number;
  cmds: MachineCmd[];
}

export interface MachineStats {
  cases: number;
  steps: number;
}

const KINDS = ['send', 'retrieve', 'relinquish', 'reclaim'];

export function machineCaseFromData(data: unknown): MachineCase {
  const d = data as Partial<MachineCase> | null;
  if (!d || typeof d.machineSeed !== 'number' || !Array.isArray(d.cmds) || d.cmds.some((c) => !KINDS.includes((c as { k?: string }).k ?? ''))) throw new Error('not an ffa-machine case (want { machineSeed, cmds })');
  return { machineSeed: d.machineSeed, cmds: d.cmds };
}

export function describeMachineCase(c: MachineCase): string {
  const { steps } = compile(c.cmds);
  return `machine seed ${c.machineSeed}, ${steps.length} steps: ${steps.map(stepText).join(', ')}`;
}

export function ffaMachineTarget(o: { dir: string; mutate?: string; maxCommands?: number }): FuzzTarget<MachineCase> & { stats: MachineStats } {
  const mutation = o.mutate !== undefined && isMutation(o.mutate) ? o.mutate : '';
  const stats: MachineStats = { cases: 0, steps: 0 };
  const run = (c: MachineCase) => {
    const r = runMachineCase(c.cmds, c.machineSeed, o.dir, mutation);
    stats.cases++;
    stats.steps += r.checked;
    return { violation: r.violation, covered: r.covered };
  };
  return {
    stats,
    name: 'ffa-machine',
    arbitrary: fc.record({ machineSeed: fc.nat(0xffff), cmds: machineCmdsArb(o.maxCommands) }),
    run,
    describe: describeMachineCase,
    recordArgs(c: MachineCase, imagePath: string): string[] {
      const { steps } = compile(c.cmds);
      const sps = writeMachineFiles(machineImages(steps), imagePath);
      return [...machineArgv(imagePath, sps, c.machineSeed, mutation || undefined), `--max-insns=${(steps.length + 1) * STEP_MAX_INSTRUCTIONS}`];
    },
    toData: (c: MachineCase): MachineCase => ({ machineSeed: c.machineSeed, cmds: c.cmds }),
    runData: (data: unknown) => run(machineCaseFromData(data)),
    options: `machine level (one VM under the hypervisor's FF-A proxy, partitions 0x8004/0x8005 under the SPMC, --secure), at most ${o.maxCommands ?? MACHINE_MAX_COMMANDS} commands per case`,
  };
}
