import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBootLinux, ensureLinuxArtifacts, LINUX_APPEND, MarkerWatch } from './linux.js';

describe('MarkerWatch', () => {
  it('finds the marker across byte boundaries and counts it', () => {
    const w = new MarkerWatch('READY');
    for (const b of Buffer.from('xxREA')) w.push(b);
    expect(w.seen).toBe(false);
    for (const b of Buffer.from('DY\n[vm1] READY\nREAD')) w.push(b);
    expect(w.count).toBe(2);
  });
});

describe('boot-linux defaults', () => {
  const log = (): void => {};
  it('fills 4 vCPUs on 1 pCPU, 512M and the command line; options given win; images given are used as they are', () => {
    const o = new Map<string, unknown>([['kernel', '/k'], ['initrd', '/i'], ['smp', 2]]);
    applyBootLinux(o, log);
    expect(o.get('smp')).toBe(2);
    expect(o.get('pcpus')).toBe(1);
    expect(o.get('mem')).toBe(512 * 1024 * 1024);
    expect(o.get('append')).toBe(LINUX_APPEND);
    expect(o.has('disk')).toBe(false);
  });
  it('asks every VM to ping the others with --vms 2', () => {
    const o = new Map<string, unknown>([['kernel', '/k'], ['initrd', '/i'], ['vms', 2]]);
    applyBootLinux(o, log);
    expect(o.get('append')).toBe(`${LINUX_APPEND} hvrr.vms=2`);
    expect(o.get('smp')).toBe(4);
  });
  it('refuses --bare and --guest', () => {
    expect(() => applyBootLinux(new Map<string, unknown>([['bare', true]]), log)).toThrow(/drop --bare/);
    expect(() => applyBootLinux(new Map<string, unknown>([['guest', 'diag']]), log)).toThrow(/--guest/);
  });
});

describe('boot-linux without apt-get', () => {
  it('says which files to pass, exit 2 (CliError), and writes nothing', () => {
    const bin = mkdtempSync(join(tmpdir(), 'hvrr-noapt-bin-'));
    const cache = mkdtempSync(join(tmpdir(), 'hvrr-noapt-cache-'));
    for (const t of ['bash', 'cat']) symlinkSync(execFileSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), join(bin, t));
    const saved = { PATH: process.env['PATH'], HVRR_LINUX_CACHE: process.env['HVRR_LINUX_CACHE'] };
    process.env['PATH'] = bin;
    process.env['HVRR_LINUX_CACHE'] = cache;
    const lines: string[] = [];
    try {
      expect(() => ensureLinuxArtifacts((l) => lines.push(l))).toThrow(/no apt-get to fetch them: pass --kernel FILE --initrd FILE --disk FILE/);
      expect(lines.join('\n')).toMatch(/--kernel +a raw arm64 Linux Image/);
      expect(lines.join('\n')).toMatch(/--initrd +a gzip'ed newc cpio archive/);
      expect(readdirSync(cache)).toEqual([]);
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.HVRR_LINUX_CACHE === undefined) delete process.env['HVRR_LINUX_CACHE'];
      else process.env['HVRR_LINUX_CACHE'] = saved.HVRR_LINUX_CACHE;
      rmSync(bin, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
