// Planted defects for the fuzzers' mutation suite (test only). A mutation is
// part of the machine's configuration (`hvrr run --mutate NAME`), so a run
// with one records, replays and snapshots like any other; without one the
// code paths below are never taken. Each names the invariant that must catch it.
export const MUTATIONS = {
  'lost-sgi': 'the hypervisor drops every 3rd virtual SGI a vCPU sends to another vCPU (caught: an SGI not taken exactly once)',
  'double-run': 'an idle pCPU runs a vCPU that is running on another pCPU (caught: a vCPU in on two pCPUs)',
  // FF-A memory sharing (core/spmc/memoryLedger.ts, memoryAbi.ts; caught by `hvrr fuzz ffa`).
  'reclaim-while-retrieved': 'FFA_MEM_RECLAIM succeeds while a borrower still holds the memory (caught: reclaim only after every borrower relinquished)',
  'reclaim-before-all-fragments': 'FFA_MEM_RECLAIM accepts a send whose FFA_MEM_FRAG_TX fragments have not all arrived (caught: the answer differs from the model\'s)',
  'frag-rx-offset-unchecked': 'FFA_MEM_FRAG_RX ignores its fragment offset (caught: a wrong offset answered as the right one)',
  'overlap-check-skipped': 'a send may name pages already in another transaction (caught: the answer and page states differ from the model\'s)',
  'ownership-not-restored-on-failed-share': 'a send refused by the page transition check leaves the pages it checked marked as in the transaction (caught: a failed call changed state)',
  'relinquish-from-non-borrower': 'FFA_MEM_RELINQUISH by an endpoint that is not a borrower succeeds (caught: the answer differs from the model\'s)',
} as const;

export type MutationName = keyof typeof MUTATIONS;

export function isMutation(name: string): name is MutationName {
  return Object.hasOwn(MUTATIONS, name);
}
