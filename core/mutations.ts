// Planted defects for the fuzzers' mutation suite (test only). A mutation is
// part of the machine's configuration (`hvrr run --mutate NAME`), so a run
// with one records, replays and snapshots like any other; without one the
// code paths below are never taken. Each names the invariant that must catch it.
export const MUTATIONS = {
  'lost-sgi': 'the hypervisor drops every 3rd virtual SGI a vCPU sends to another vCPU (caught: an SGI not taken exactly once)',
  'double-run': 'an idle pCPU runs a vCPU that is running on another pCPU (caught: a vCPU in on two pCPUs)',
} as const;

export type MutationName = keyof typeof MUTATIONS;

export function isMutation(name: string): name is MutationName {
  return Object.hasOwn(MUTATIONS, name);
}
