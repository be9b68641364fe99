import { describe, expect, it } from 'vitest';
import { applyBootLinux, LINUX_APPEND, MarkerWatch } from './linux.js';

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
