// The ffa-linux scenario's option handling and its verdict over console text
// (the Linux tier, cli/ffaLinux.test.ts, boots it for real).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CHECKS_FAILED, FFA_LINUX_APPEND, FfaLinuxChecks, scenarioChecks } from './ffaLinux.js';
import { parseRunOptions } from './run.js';
import { parseRecordArgs } from './record.js';
import { runCli } from '../testing.js';

/** A passing run's console, as Linux prints it (timestamps, CRLF). */
function passingConsole(): string {
  const lines = ['[    0.553145] ARM FF-A: Firmware version 1.2 found', '[    0.553154] ARM FF-A: Firmware version higher than driver version, downgrading'];
  for (const sp of ['8001', '8002', '8003']) {
    lines.push(`[    0.554252] hvrr-ffa-client: partition 0x${sp} uuid fe18f6c1-cfd1-470b-8d01-6f50b8879a96, FF-A 1.1`);
    for (const c of ['direct-req-64', 'direct-req-32', 'mem-share', 'mem-lend', 'mem-share-frag-tx']) lines.push(`[    0.554266] hvrr-ffa-client: PASS ${c} sp=0x${sp}`);
    lines.push(`[    0.554927] HVRR-FFA-CLIENT sp=0x${sp} pass=5 fail=0`);
  }
  lines.push('HVRR-LINUX-READY');
  return lines.map((l) => l + '\r\n').join('');
}

function verdictOf(text: string): { ok: boolean; text: string } {
  const c = new FfaLinuxChecks();
  c.pushText(text);
  return c.verdict();
}

describe('FfaLinuxChecks', () => {
  it('passes a run with firmware 1.2, the three partitions bound and every client check passed', () => {
    const v = verdictOf(passingConsole());
    expect(v.ok, v.text).toBe(true);
    expect(v.text).toMatch(/^PASS: the FF-A driver found firmware version 1\.2 and partitions 0x8001, 0x8002, 0x8003/);
  });

  it('bytes split anywhere give the same verdict', () => {
    const c = new FfaLinuxChecks();
    for (const ch of passingConsole()) c.push(ch.charCodeAt(0));
    expect(c.verdict().ok).toBe(true);
  });

  it('fails with every reason: a client FAIL line (the frag-tx share refused, as before the proxy forwarded FRAG_TX)', () => {
    const text = passingConsole()
      .replace('PASS mem-share-frag-tx sp=0x8002', 'FAIL mem-share-frag-tx sp=0x8002: memory_share failed (-6)')
      .replace('HVRR-FFA-CLIENT sp=0x8002 pass=5 fail=0', 'HVRR-FFA-CLIENT sp=0x8002 pass=4 fail=1');
    const v = verdictOf(text);
    expect(v.ok).toBe(false);
    expect(v.text).toContain('0x8002: pass=4 fail=1 (want pass=5 fail=0)');
    expect(v.text).toContain('FAIL mem-share-frag-tx sp=0x8002: memory_share failed (-6)');
  });

  it('fails without the firmware line, with a version other than 1.1/1.2, with a partition missing, or with an Oops', () => {
    expect(verdictOf(passingConsole().replace(/.*Firmware version 1\.2 found\r\n/, '')).text).toContain('reported no firmware version');
    expect(verdictOf(passingConsole().replace('version 1.2 found', 'version 1.0 found')).text).toContain('firmware version 1.0 (want 1.1 or 1.2)');
    const noSp3 = passingConsole().split('\r\n').filter((l) => !l.includes('0x8003')).join('\r\n');
    expect(verdictOf(noSp3).text).toContain('the client did not bind partition 0x8003');
    const cut = passingConsole().replace('HVRR-FFA-CLIENT sp=0x8001 pass=5 fail=0', 'Internal error: Oops: 0000000096000004 [#1] SMP');
    const v = verdictOf(cut);
    expect(v.text).toContain('no HVRR-FFA-CLIENT line for 0x8001');
    expect(v.text).toContain("the kernel reported 'Internal error: Oops: 0000000096000004 [#1] SMP'");
  });

  it('a client that skipped a check (pass=4 fail=0) fails', () => {
    expect(verdictOf(passingConsole().replace('sp=0x8003 pass=5', 'sp=0x8003 pass=4')).text).toContain('0x8003: pass=4 fail=0');
  });
});

describe('scenarioChecks', () => {
  it('ffa-linux: a failed verdict turns a clean end into exit status 7; an unclean end keeps its own status', () => {
    const lines: string[] = [];
    const c = scenarioChecks('ffa-linux', (l) => lines.push(l));
    for (const ch of 'HVRR-LINUX-READY\n') c.onConsoleByte!(ch.charCodeAt(0));
    expect(c.finish(0)).toBe(EXIT_CHECKS_FAILED);
    expect(c.finish(4)).toBe(4);
    expect(lines[0]).toMatch(/^hvrr: ffa-linux: FAIL: /);
    const ok = scenarioChecks('ffa-linux', () => {});
    for (const ch of passingConsole()) ok.onConsoleByte!(ch.charCodeAt(0));
    expect(ok.finish(0)).toBe(0);
  });

  it('other scenarios have no checks', () => {
    const c = scenarioChecks('boot-linux', () => {});
    expect(c.onConsoleByte).toBeUndefined();
    expect(c.finish(3)).toBe(3);
  });
});

describe('ffa-linux options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-ffa-linux-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kernel = join(dir, 'Image');
  const initrd = join(dir, 'initrd');
  writeFileSync(kernel, new Uint8Array(64));
  writeFileSync(initrd, new Uint8Array(64));

  it('implies --secure, 1 vCPU, no NIC, hvrr.poweroff and a time bound; options given win', () => {
    const o = parseRunOptions(['ffa-linux', '--kernel', kernel, '--initrd', initrd]);
    expect(o.scenario).toBe('ffa-linux');
    expect(o).toMatchObject({ secure: true, smp: 1, pcpus: 1, noNic: true, append: FFA_LINUX_APPEND, maxTicks: 30e9, bare: false });
    expect(o.append).toMatch(/\bhvrr\.poweroff\b/);
    const p = parseRunOptions(['ffa-linux', '--kernel', kernel, '--initrd', initrd, '--smp', '2', '--append', 'console=ttyAMA0', '--max-seconds', '5']);
    expect(p).toMatchObject({ smp: 2, append: 'console=ttyAMA0', maxTicks: 5e9, secure: true });
  });

  it('record ffa-linux: snapshots go beside the trace, as for boot-linux', () => {
    const r = parseRecordArgs(['ffa-linux', '--kernel', kernel, '--initrd', initrd, '-o', join(dir, 'x.hvrr')], () => {});
    expect(r.scenario).toBe('ffa-linux');
    expect(r.snapshotFile).toBe(join(dir, 'x.hvrr.snap'));
    expect(r.runArgv).toContain('--secure');
  });

  const refused: [string, string[], RegExp][] = [
    ['--bare', ['run', 'ffa-linux', '--bare'], /ffa-linux runs Linux under the hypervisor .*drop --bare/],
    ['--guest', ['record', 'ffa-linux', '--guest', 'selftest', '-o', join(dir, 'g.hvrr')], /give either the ffa-linux scenario or --guest/],
    ['--secure-payload', ['run', 'ffa-linux', '--secure-payload', kernel], /ffa-linux needs the SPMC, not a secure payload/],
    ['an argument after it', ['run', 'ffa-linux', 'extra'], /unexpected argument 'extra' after ffa-linux/],
  ];
  for (const [name, argv, re] of refused) {
    it(`refuses ${name} in one line, exit 2`, async () => {
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    });
  }

  it('without the FF-A artifacts: one line naming scripts/ffa-artifacts.sh, exit 2, no trace written', async () => {
    const saved = process.env['HVRR_FFA_CACHE'];
    process.env['HVRR_FFA_CACHE'] = join(dir, 'no-cache');
    try {
      const out = join(dir, 'none.hvrr');
      const r = await runCli(['record', 'ffa-linux', '--kernel', kernel, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^hvrr: ffa-linux: no FF-A initramfs \(missing .*no-cache\/initrd-ffa\.cpio\.gz .*\): run scripts\/ffa-artifacts\.sh$/m);
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env['HVRR_FFA_CACHE'];
      else process.env['HVRR_FFA_CACHE'] = saved;
    }
  });
});
