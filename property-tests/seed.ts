// One seed per property suite, rotated so CI explores: HVRR_PROP_SEED (or a
// suite's own variable) when set, else derived from the commit being tested
// (so every commit tries new cases and a failure reproduces from the commit
// or from the printed seed). The seed and every derived option are printed
// first, with the command that reproduces the run.
import { createHash } from 'node:crypto';
import { headCommit } from '../cli/gitCommit.js';

export { headCommit };

/** A 31-bit seed from a commit hash (fast-check wants a 32-bit integer). */
export function seedOfCommit(commit: string): number {
  return createHash('sha256').update(commit).digest().readUInt32LE(0) & 0x7fff_ffff;
}

/** Where a suite's seed comes from: `env[variable]` (or HVRR_PROP_SEED) when
 *  set, else the commit, else `fallback`. Pure, for tests. */
export function resolveSeed(variable: string, fallback: number, env: Readonly<Record<string, string | undefined>>, commit: string | null): { seed: number; from: string } {
  for (const name of [variable, 'HVRR_PROP_SEED']) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const seed = Number(raw);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`${name}=${raw}: want an integer seed 0..4294967295`);
    return { seed, from: name };
  }
  if (commit && /^[0-9a-f]{40}$/.test(commit)) return { seed: seedOfCommit(commit), from: `commit ${commit.slice(0, 12)}` };
  return { seed: fallback, from: 'the default' };
}

/**
 * The seed for `suite` (see resolveSeed). Prints it with `options` (the
 * derived settings) and the variable that reproduces the run.
 */
export function suiteSeed(suite: string, variable: string, fallback: number, options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): number {
  const { seed, from } = resolveSeed(variable, fallback, env, headCommit());
  const opts = Object.entries(options).map(([k, v]) => ` ${k}=${String(v)}`).join('');
  console.log(`${suite}: seed ${seed} (from ${from})${opts}; reproduce with ${variable}=${seed}`);
  return seed;
}
