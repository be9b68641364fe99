// A fuzz campaign: one fast-check run per case seed, seeds seed + shard +
// k * shards (k = 0, 1, ...), so shards of one campaign never overlap and any
// batch engine (a CI matrix, Kubernetes Indexed Jobs) runs one with
// `--shard i/n` and nothing home-made. A failing case is shrunk by
// fast-check; the finding is its case seed and path, which replay it
// exactly (`--seed C --runs 1 --path P`).
import fc from 'fast-check';

/** What one fuzzer contributes to a campaign. */
export interface FuzzTarget<T> {
  /** `hvrr fuzz NAME`. */
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Run one case: null when every invariant held, else what broke. */
  run(value: T): FuzzOutcome;
  /** One line about a case. */
  describe(value: T): string;
  /** The `hvrr record` options that rerun a case (its guest image written
   *  to `imagePath`), or absent when a case is not a machine run. */
  recordArgs?(value: T, imagePath: string): string[];
  /** fast-check's replayPath of a case built by fc.commands (which commands ran
   *  while shrinking: the seed and path alone do not replay such a case), or absent. */
  replayPath?(value: T): string | null;
  /** The case as plain data (JSON) for `--save`, so a kept regression survives changes to
   *  the arbitrary (a seed and path replay only the generator they came from)... */
  toData?(value: T): unknown;
  /** ...and runs such data (throws on data that is not a case). */
  runData?(data: unknown): FuzzOutcome;
  /** Cases run while shrinking (default SHRINK_BUDGET, sized for machine runs). */
  shrinkBudget?: number;
  /** Derived options to print first (e.g. "module level, at most 30 commands"). */
  options?: string;
}

export interface FuzzOutcome {
  violation: { message: string; event?: number } | null;
  /** Coverage keys reached (command kinds, error codes...). */
  covered: readonly string[];
}

export interface CampaignOptions {
  seed: number;
  /** Cases to run (across all shards: this shard runs its share). */
  runs?: number;
  /** Stop starting cases after this many seconds. */
  timeSeconds?: number;
  shard: { index: number; count: number };
  /** Replay one case exactly (with runs = 1). */
  path?: string;
  /** Cases run while shrinking a failure (default SHRINK_BUDGET): past it,
   *  the smallest failing case found so far is the finding. */
  shrinkBudget?: number;
  /** Called about once a second with progress. */
  progress?: (p: CampaignProgress) => void;
  /** Wall clock in ms (performance.now): injected so tests stay exact. */
  now: () => number;
}

export interface CampaignProgress {
  runs: number;
  seconds: number;
  covered: Map<string, number>;
}

export interface CampaignFinding<T> {
  /** 0-based index of the case in this shard. */
  run: number;
  caseSeed: number;
  path: string;
  shrinks: number;
  /** Shrinking stopped at the budget (the case may shrink further). */
  budgetReached: boolean;
  value: T;
  message: string;
  event?: number;
}

/** Machine runs cost up to seconds each; fast-check would try hundreds while shrinking. */
export const SHRINK_BUDGET = 40;

export interface CampaignResult<T> {
  runs: number;
  seconds: number;
  covered: Map<string, number>;
  finding: CampaignFinding<T> | null;
}

/** The seed of the k-th case of a shard. */
export function caseSeed(seed: number, shard: { index: number; count: number }, k: number): number {
  return (seed + shard.index + k * shard.count) >>> 0;
}

export function runCampaign<T>(target: FuzzTarget<T>, o: CampaignOptions): CampaignResult<T> {
  const covered = new Map<string, number>();
  const t0 = o.now();
  let last = t0;
  const share = o.runs === undefined ? Infinity : Math.floor(o.runs / o.shard.count) + (o.shard.index < o.runs % o.shard.count ? 1 : 0);
  let runs = 0;
  for (let k = 0; k < share; k++) {
    if (o.timeSeconds !== undefined && (o.now() - t0) / 1000 >= o.timeSeconds) break;
    const seed = caseSeed(o.seed, o.shard, k);
    let failure: { message: string; event?: number } | null = null;
    let failed = false;
    let shrinkRuns = 0;
    let budgetReached = false;
    const budget = o.shrinkBudget ?? target.shrinkBudget ?? SHRINK_BUDGET;
    const details = fc.check(
      fc.property(target.arbitrary, (v) => {
        if (failed && o.path === undefined && ++shrinkRuns > budget) {
          budgetReached = true;
          return true; // not run: the budget is spent, the last failure stands
        }
        const r = target.run(v);
        if (r.violation !== null) failed = true;
        for (const c of r.covered) covered.set(c, (covered.get(c) ?? 0) + 1);
        failure = r.violation;
        return r.violation === null;
      }),
      // A path names the shrunk case itself: run it, do not shrink on from it.
      { seed, numRuns: 1, ...(o.path !== undefined ? { path: o.path, endOnFailure: true } : {}) },
    );
    runs++;
    if (details.failed && details.counterexample) {
      // The last run fast-check made was the smallest failing case (its shrinking stops there).
      const value = details.counterexample[0] as T;
      const again = target.run(value);
      const v = again.violation ?? failure ?? { message: details.errorInstance ? String(details.errorInstance) : 'the property failed' };
      return {
        runs, seconds: (o.now() - t0) / 1000, covered,
        finding: { run: k, caseSeed: seed, path: details.counterexamplePath ?? '0', shrinks: details.numShrinks, budgetReached, value, message: v.message, ...(v.event !== undefined ? { event: v.event } : {}) },
      };
    }
    const now = o.now();
    if (o.progress && now - last >= 1000) {
      last = now;
      o.progress({ runs, seconds: (now - t0) / 1000, covered });
    }
  }
  return { runs, seconds: (o.now() - t0) / 1000, covered, finding: null };
}
