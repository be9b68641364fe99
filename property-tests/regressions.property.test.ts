// Replays every case `hvrr fuzz KIND --save` kept in property-tests/regressions/
// (KIND-SEED.json: the case seed, fast-check path and replayPath, the chaos
// level and planted defect it ran with, what it found, and for fuzzers that
// can say it, the case itself as data, which is what is replayed then: a
// seed and path replay only the generator they came from). A case found
// without a planted defect was a real bug: it must now pass. A case kept
// with one (--mutate) shows the fuzzer catching that defect: it must still
// fail, with the same message.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../fuzz/campaign.js';
import { FUZZ_KINDS, fuzzerFor, type FuzzKind } from '../fuzz/targets.js';

interface SavedCase {
  fuzzer: string;
  caseSeed: number;
  path: string;
  replayPath?: string;
  chaos?: number;
  mutate?: string;
  found: string;
  case: string;
  data?: unknown;
}

const DIR = fileURLToPath(new URL('./regressions/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const work = mkdtempSync(join(tmpdir(), 'hvrr-regressions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('saved fuzz cases (property-tests/regressions/)', () => {
  it('there are saved cases, each naming a fuzzer', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(FUZZ_KINDS, f).toContain((JSON.parse(readFileSync(join(DIR, f), 'utf8')) as SavedCase).fuzzer);
  });

  it.each(files)('%s replays as saved', (file) => {
    const c = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as SavedCase;
    const target = fuzzerFor(c.fuzzer as FuzzKind, {
      dir: work, ...(c.chaos !== undefined ? { chaos: c.chaos } : {}), ...(c.mutate ? { mutate: c.mutate } : {}), ...(c.replayPath ? { replayPath: c.replayPath } : {}),
    });
    let t = 0;
    const message = c.data !== undefined && target.runData
      ? (target.runData(c.data).violation?.message ?? null)
      : (runCampaign(target, { seed: c.caseSeed, runs: 1, path: c.path, shard: { index: 0, count: 1 }, now: () => (t += 1) }).finding?.message ?? null);
    if (c.mutate) expect(message, `${file}: the planted defect ${c.mutate} is no longer caught`).toBe(c.found);
    else expect(message, `${file}: the bug it found is back (${c.case})`).toBeNull();
  }, 120_000);
});
