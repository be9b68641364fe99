// A seeded sample of the `hvrr verify` damage campaign (the full run, 300+
// damages: property-tests/damage/run.ts). Every damage must be found; the
// undamaged files must draw no complaint.
//   HVRR_DAMAGE_SEED     seed (default: from the commit, else DEFAULT_DAMAGE_SEED)
//   HVRR_DAMAGE_SAMPLE   damages in the sample (default 60, a few seconds)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { damageAt, DAMAGE_KINDS, DEFAULT_DAMAGE_SEED } from './damage.js';
import { recordFiles, runDamage, verifyClean, type Files } from './campaign.js';
import { resolveSeed, seedOfCommit, suiteSeed } from '../seed.js';

const SAMPLE = Number(process.env.HVRR_DAMAGE_SAMPLE ?? 60);
const seed = suiteSeed('verify damage sample', 'HVRR_DAMAGE_SEED', DEFAULT_DAMAGE_SEED, { damages: SAMPLE });

const dir = mkdtempSync(join(tmpdir(), 'hvrr-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files: Files;
beforeAll(async () => {
  files = await recordFiles(dir);
});

describe('hvrr verify against seeded damage', () => {
  it('says nothing about the undamaged files', async () => {
    for (const c of await verifyClean(files)) {
      expect(c.outcome.problems, c.target).toEqual([]);
      expect(c.outcome.code, c.target).toBe(0);
    }
  });

  it(`finds every one of ${SAMPLE} damages (seed ${seed})`, async () => {
    const missed: string[] = [];
    for (let i = 0; i < SAMPLE; i++) {
      const r = await runDamage(files, seed, i);
      if (r.miss !== null) missed.push(`seed ${seed} damage ${i}: ${r.damage.target}: ${r.damage.what}: ${r.miss}`);
    }
    expect(missed).toEqual([]);
  });
});

describe('the damage generator', () => {
  const target = { name: 't', bytes: Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff), chunks: [[0, 3000], [3000, 5000], [8000, 2000]] as Array<[number, number]> };

  it('is a function of (seed, index); every kind comes in turn and changes the file', () => {
    for (let i = 0; i < 40; i++) {
      const a = damageAt(7, i, [target]);
      const b = damageAt(7, i, [target]);
      expect(a.what).toBe(b.what);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(a.kind).toBe(DAMAGE_KINDS[i % DAMAGE_KINDS.length]);
      expect(Buffer.from(a.bytes).equals(Buffer.from(target.bytes))).toBe(false);
    }
    expect(damageAt(8, 0, [target]).what).not.toBe(damageAt(7, 0, [target]).what);
  });

  it('swaps whole chunks, keeping the bytes', () => {
    const d = damageAt(3, 3, [target]);
    expect(d.kind).toBe('swap');
    expect(d.bytes.length).toBe(target.bytes.length);
    expect(Buffer.from(d.bytes).sort().equals(Buffer.from(target.bytes).sort())).toBe(true);
  });

  it('takes its seed from HVRR_DAMAGE_SEED, else the commit, else the default', () => {
    const commit = 'abcdef0123'.padEnd(40, '4');
    expect(resolveSeed('HVRR_DAMAGE_SEED', 5, { HVRR_DAMAGE_SEED: '12' }, commit)).toEqual({ seed: 12, from: 'HVRR_DAMAGE_SEED' });
    expect(resolveSeed('HVRR_DAMAGE_SEED', 5, {}, commit)).toEqual({ seed: seedOfCommit(commit), from: 'commit abcdef012344' });
    expect(resolveSeed('HVRR_DAMAGE_SEED', DEFAULT_DAMAGE_SEED, {}, null)).toEqual({ seed: DEFAULT_DAMAGE_SEED, from: 'the default' });
    expect(() => resolveSeed('HVRR_DAMAGE_SEED', 5, { HVRR_DAMAGE_SEED: 'x' }, null)).toThrow(/HVRR_DAMAGE_SEED=x/);
  });
});
