// The fuzzers `hvrr fuzz` knows, by name.
import type { FuzzTarget } from './campaign.js';
import { abiTarget } from './abi/target.js';
import { ffaTarget } from './ffa/target.js';
import { ffaMachineTarget } from './ffaMachine/target.js';
import { ffaVmTarget } from './ffaVm/target.js';
import { schedTarget } from './sched/target.js';

export const FUZZ_KINDS = ['ffa', 'ffa-machine', 'ffa-vm', 'sched', 'abi'] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

export interface FuzzerOptions {
  /** A scratch directory for the cases' guest images. */
  dir: string;
  chaos?: number;
  mutate?: string;
  /** fast-check's replayPath of the case to replay (fuzz ffa: its command list). */
  replayPath?: string;
}

export function fuzzerFor(kind: FuzzKind, o: FuzzerOptions): FuzzTarget<unknown> {
  switch (kind) {
    case 'sched':
      return schedTarget(o) as FuzzTarget<unknown>;
    case 'abi':
      return abiTarget(o) as FuzzTarget<unknown>;
    case 'ffa':
      return ffaTarget(o) as FuzzTarget<unknown>;
    case 'ffa-machine':
      return ffaMachineTarget(o) as FuzzTarget<unknown>;
    case 'ffa-vm':
      return ffaVmTarget(o) as FuzzTarget<unknown>;
  }
}
