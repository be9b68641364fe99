// Shared checks of the fuzzers' end-to-end tests (`hvrr fuzz ...` through
// the CLI): output compared without wall-clock figures, and a failure's
// printed repro and trace.
import { expect } from 'vitest';
import { runCli } from '../cli/testing.js';

/** A campaign's output without wall-clock figures (runs/s, seconds). */
export function stableOutput(s: string): string {
  return s.replace(/ in [\d.]+ s \([\d.]+ runs\/s\)/g, '').split('\n').filter((l) => !/runs\/s, \d+ s;/.test(l)).join('\n');
}

const failedLine = (s: string): string => /FAILED: .*/.exec(s)![0];

/** The failure's printed `reproduce:` command fails the same way; returns both outputs. */
export async function expectReproduces(failed: string, outDir: string): Promise<{ repro: string[]; again: string }> {
  const repro = /reproduce: hvrr (.*)$/m.exec(failed)![1]!.split(' ');
  const again = await runCli([...repro, '--out', outDir]);
  expect(again.code).toBe(1);
  expect(failedLine(again.out)).toBe(failedLine(failed));
  return { repro, again: again.out };
}

/** The failure's recorded trace replays to the failing event (`hvrr replay TRACE --until event N`). */
export async function expectTraceReplays(failed: string): Promise<void> {
  const [, trace, event] = /trace: (\S+)\s+\(hvrr replay \S+ --until event (\d+);/.exec(failed)!;
  const replay = await runCli(['replay', trace!, '--until', 'event', event!]);
  expect(replay.code, replay.err).toBe(0);
  expect(replay.out).toContain(`reached event ${event}`);
}

/** A clean campaign through the CLI (`hvrr fuzz` + `fuzzArgs` + --seed, --runs, --out), run twice: both exit 0,
 *  the first line names `name`, the seed and runs then matches `options` (the derived options), the summary says
 *  nothing broke, and the second run prints the same (wall-clock figures aside). */
export async function expectCleanTwice(o: { fuzzArgs: string[][]; name: string; options: string; seed: number; runs: number; outDir: string }): Promise<void> {
  const runs = o.fuzzArgs.map((args) => ['fuzz', ...args, '--seed', String(o.seed), '--runs', String(o.runs), '--out', o.outDir]);
  const outs: string[] = [];
  for (const argv of runs) {
    const r = await runCli(argv);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(new RegExp(`^hvrr fuzz ${o.name}: seed ${o.seed}, runs ${o.runs}, shard 0/1, ${o.options}, commit `));
    expect(r.out).toMatch(new RegExp(`${o.runs} runs .*no invariant broken; covered `));
    outs.push(stableOutput(r.out));
  }
  for (const out of outs.slice(1)) expect(out).toBe(outs[0]);
}

/** A campaign's clock for tests (`runCampaign`'s `now`): each reading `stepMs` later, so output has no wall time in it. */
export function fakeClock(stepMs = 1): () => number {
  let t = 0;
  return () => (t += stepMs);
}
