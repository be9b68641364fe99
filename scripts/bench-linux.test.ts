import { describe, expect, it } from 'vitest';
import { ArgError, DEFAULT_RUNS, MarkerWatch, formatTable, median, parseBenchArgs, parseCount, qemuArgs, ratioLines, shellQuote } from './bench-linux.js';

describe('bench-linux helpers', () => {
  it('parses arguments', () => {
    expect(parseBenchArgs([])).toEqual({ runs: DEFAULT_RUNS, smp: 1, bare: false, qemu: true, maxInsns: 3e9, noDisk: false, engines: ['jit', 'interp'], help: false });
    expect(parseBenchArgs(['--engine', 'blocks', '--engine=interp']).engines).toEqual(['blocks', 'interp']);
    expect(() => parseBenchArgs(['--engine', 'fast'])).toThrow(ArgError);
    const a = parseBenchArgs(['--runs', '3', '--smp=2', '--bare', '--no-qemu', '--max-insns', '500M', '--kernel', 'K', '--initrd=I', '--disk', 'D']);
    expect(a).toMatchObject({ runs: 3, smp: 2, bare: true, qemu: false, maxInsns: 5e8, kernel: 'K', initrd: 'I', disk: 'D' });
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(ArgError);
    expect(() => parseBenchArgs(['--frob'])).toThrow(ArgError);
    expect(() => parseBenchArgs(['--kernel'])).toThrow(ArgError);
    expect(parseBenchArgs(['--no-disk']).noDisk).toBe(true);
    expect(() => parseBenchArgs(['--no-disk', '--disk', 'D'])).toThrow(ArgError);
    expect(parseCount('1.5G')).toBe(1.5e9);
    expect(() => parseCount('3X')).toThrow(ArgError);
  });

  it('finds the marker across chunk boundaries, once', () => {
    const w = new MarkerWatch('HVRR-LINUX-READY');
    expect(w.pushText('[ 1.0] boot\nHVRR-LI')).toBe(false);
    expect(w.pushText('NUX-READY\n')).toBe(true);
    expect(w.seen).toBe(true);
    expect(w.pushText('HVRR-LINUX-READY\n')).toBe(false);
    const v = new MarkerWatch('HVRR-LINUX-READY');
    expect(v.pushText('HVRR-LI\nNUX-READY\n')).toBe(false);
  });

  it('formats an aligned table with the ratio to QEMU', () => {
    const t = formatTable([
      { emulator: 'hvrr', instructions: 700_000_000, wall: 4, cpu: 3.9 },
      { emulator: 'qemu', instructions: null, wall: 2 },
      { emulator: 'x', instructions: 5, wall: null, note: 'no marker' },
    ], 2).split('\n');
    expect(t[2]).toMatch(/^hvrr\s+700,000,000\s+4\.00\s+3\.90\s+175\.0\s+2\.00x$/);
    expect(t[3]).toMatch(/^qemu\s+n\/a\s+2\.00\s+n\/a\s+n\/a\s+1\.00x$/);
    expect(t[4]).toMatch(/failed\s+n\/a\s+n\/a\s+n\/a  no marker$/);
    expect(new Set(t.slice(0, 4).map((l) => l.length)).size).toBe(1);
  });

  it('prints the first round against QEMU\'s first, and the medians against QEMU\'s', () => {
    expect(DEFAULT_RUNS).toBeGreaterThan(1);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const lines = ratioLines([
      { label: 'jit', rounds: [{ wall: 6, cpu: 5 }, { wall: 4, cpu: 4 }, { wall: 5, cpu: 4.5 }] },
      { label: 'interp', rounds: [{ wall: 8, cpu: null }] },
    ], { label: 'qemu', rounds: [{ wall: 3, cpu: 2 }, { wall: 2, cpu: 2.5 }, { wall: 2.5, cpu: 3 }] }, 'jit');
    expect(lines).toEqual([
      "ratio: jit: first round (a fresh process): wall 6.00 s = 2.00x QEMU's 3.00 s, CPU 5.00 s = 2.50x QEMU's 2.00 s",
      "ratio: jit: median of 3 rounds: wall 5.00 s = 2.00x QEMU's 2.50 s, CPU 4.50 s = 1.80x QEMU's 2.50 s",
      'ratio: interp: first round (after the boots above in this process): wall 8.00 s = 2.67x QEMU\'s 3.00 s',
    ]);
    expect(ratioLines([{ label: 'jit', rounds: [{ wall: 6, cpu: 5 }] }], null, null))
      .toEqual(['ratio: jit: first round (after the boots above in this process): wall 6.00 s, CPU 5.00 s']);
  });

  it('builds the QEMU command line', () => {
    const args = qemuArgs({ kernel: 'Image', initrd: 'i.gz', disk: 'd.img' }, 1);
    expect(shellQuote(args)).toContain("-cpu cortex-a57 -smp 1 -m 512M");
    expect(args).toContain('-nic');
    expect(shellQuote(args)).toContain("-append 'console=ttyAMA0 earlycon=pl011,0x9000000 cryptomgr.notests rdinit=/init'");
    expect(shellQuote(args)).toContain('-drive file=d.img,if=none,format=raw,id=hd0,readonly=on');
    expect(qemuArgs({ kernel: 'Image', initrd: 'i.gz' }, 1)).not.toContain('-drive');
  });
});
