// When a golden's scenario cannot run here: its tier's inputs (the Linux
// artifacts; for ffa-linux also the FF-A initramfs) are not cached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedLinuxArtifacts } from '../cli/commands/linux.js';
import type { GoldenConfig } from './config.js';
import { scenarioUnavailable } from './scenario.js';

const cfg = (record: string[], tier: GoldenConfig['tier']): GoldenConfig => ({ name: 'x', about: '', record, redact: [], match: 'checks', tier });

describe('scenarioUnavailable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-golden-scenario-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a default-tier golden always runs', () => {
    expect(scenarioUnavailable(cfg(['selftest'], 'default'), { HVRR_LINUX_TESTS: '1', HVRR_FFA_TESTS: '1' })).toBeNull();
  });

  it('ffa-linux without the FF-A initramfs: skipped naming scripts/ffa-artifacts.sh, a failure under HVRR_FFA_TESTS=1; boot-linux is unaffected', () => {
    const saved = process.env['HVRR_FFA_CACHE'];
    process.env['HVRR_FFA_CACHE'] = join(dir, 'empty');
    try {
      const linux = cachedLinuxArtifacts().artifacts !== null;
      const why = scenarioUnavailable(cfg(['ffa-linux'], 'linux'), {});
      if (linux) {
        expect(why).toMatch(/^FF-A artifacts not cached \(missing .*empty\/initrd-ffa\.cpio\.gz .*\); run 'bash scripts\/ffa-artifacts\.sh'$/);
        expect(() => scenarioUnavailable(cfg(['ffa-linux'], 'linux'), { HVRR_FFA_TESTS: '1' })).toThrow(/^HVRR_FFA_TESTS=1 but FF-A artifacts not cached/);
        expect(scenarioUnavailable(cfg(['boot-linux'], 'linux'), { HVRR_FFA_TESTS: '1' })).toBeNull();
      } else {
        // Without the Linux artifacts the Linux reason comes first.
        expect(why).toMatch(/^Linux guest artifacts not cached/);
      }
    } finally {
      if (saved === undefined) delete process.env['HVRR_FFA_CACHE'];
      else process.env['HVRR_FFA_CACHE'] = saved;
    }
  });
});
