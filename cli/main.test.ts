// The hvrr CLI, in-process with injected streams.
import { PassThrough } from 'node:stream';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { parseCount, parseSeed, parseSize } from './args.js';
import { DiagnosticFilter, QuietWatch, exitCodeFor, formatSummary, paceUntilTick } from './commands/run.js';
import { assemble } from '../core/asm/assembler.js';
import { SELFTEST_PASS_LINE } from '../guests/selftest/index.js';
import { DIAG_DONE_LINE } from '../guests/diag/index.js';
import { runCli, Sink } from './testing.js';
import { guestImage } from '../core/hypervisor/testGuest.js';
import { xorshift32 } from '../core/clock/xorshift32.js';


const cli = runCli;

const errLines = (err: string): string[] => err.split('\n').filter((l) => l !== '');

const dir = mkdtempSync(join(tmpdir(), 'hvrr-cli-'));
const file = (name: string, data: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

describe('value parsers', () => {
  it('sizes are binary', () => {
    expect(parseSize('512M', '--mem')).toBe(512 * 2 ** 20);
    expect(parseSize('1G', '--mem')).toBe(2 ** 30);
    expect(parseSize('1GiB', '--mem')).toBe(2 ** 30);
    expect(parseSize('268435456', '--mem')).toBe(268435456);
    expect(parseSize('64k', '--mem')).toBe(65536);
    expect(() => parseSize('12Q', '--mem')).toThrow(/--mem: '12Q' is not a size/);
    expect(() => parseSize('-1', '--mem')).toThrow();
    expect(() => parseSize('1.5G', '--mem')).toThrow();
  });
  it('counts are decimal', () => {
    expect(parseCount('2G', '--max-insns')).toBe(2_000_000_000);
    expect(parseCount('20M', '--max-insns')).toBe(20_000_000);
    expect(parseCount('1_000', '--max-insns')).toBe(1000);
    expect(() => parseCount('0', '--max-insns')).toThrow(/at least 1/);
    expect(() => parseCount('99999999999G', '--max-insns')).toThrow(/too large/);
    expect(() => parseCount('1e6', '--max-insns')).toThrow(/not a positive integer/);
  });
  it('seeds are 64-bit, decimal or hex', () => {
    expect(parseSeed('0', '--seed')).toBe(0n);
    expect(parseSeed('0xffffffffffffffff', '--seed')).toBe(2n ** 64n - 1n);
    expect(parseSeed('18446744073709551615', '--seed')).toBe(2n ** 64n - 1n);
    expect(() => parseSeed('18446744073709551616', '--seed')).toThrow(/64 bits/);
    expect(() => parseSeed('-1', '--seed')).toThrow(/non-negative/);
    expect(() => parseSeed('0xg', '--seed')).toThrow();
  });
});

describe('hvrr run', () => {
  it('runs the diagnostic guest under the hypervisor by default: its report on stdout, one summary line on stderr, exit 0', async () => {
    const r = await cli(['run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(DIAG_DONE_LINE);
    expect(r.out).not.toContain('hypercall ABI not available');
    expect(r.out).not.toContain('FAIL');
    const e = errLines(r.err);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^hvrr: system-off after [\d,]+ instructions, \d+\.\d{6} s virtual, \d+\.\d\d s wall, \d+\.\d MIPS$/);
  });

  it('is deterministic through the CLI with --smp 4 (same console, same trace digest)', async () => {
    const a = await cli(['run', '--guest', 'selftest', '--smp', '4', '--seed', '0x1234', '--digest']);
    const b = await cli(['run', '--guest=selftest', '--smp=4', '--seed=4660', '--digest']);
    expect(a.code).toBe(0);
    expect(a.out).toContain('4 CPU(s) present ... PASS');
    expect(b.out).toBe(a.out);
    const digest = (err: string): string => /trace digest ([0-9a-f]{64}) \(/.exec(err)?.[1] ?? 'none';
    expect(digest(a.err)).not.toBe('none');
    expect(digest(b.err)).toBe(digest(a.err));
  });

  it('--max-insns stops the run with exit 0 and says so', async () => {
    const r = await cli(['run', '--guest', 'selftest', '--max-insns', '100K']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^hvrr: instruction-limit after 100,000 instructions/);
    expect(r.out).not.toContain(SELFTEST_PASS_LINE);
  });

  it('accepts --mem, --quantum, --append', async () => {
    const r = await cli(['run', '--guest', 'selftest', '--mem', '64M', '--quantum', '1K', '--append', 'console=ttyAMA0', '--smp', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(SELFTEST_PASS_LINE);
  });

  it('runs the self-test bare-metal with --bare, and refuses --guest with --kernel', async () => {
    const r = await cli(['run', '--bare', '--guest', 'selftest', '--smp', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(SELFTEST_PASS_LINE);
    const bad = await cli(['run', '--guest', 'nosuch']);
    expect(bad.code).toBe(2);
    expect(errLines(bad.err)).toHaveLength(1);
  });

  it('the EL2 monitor works from the console: Ctrl-A m, commands, resume', async () => {
    const stdin = new PassThrough();
    stdin.write('\x01m');
    stdin.end('help\nvms\nregs 0 0\nresume\n');
    const r = await cli(['run'], { stdin });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/monitor/i);
    expect(r.out).toMatch(/resume/);
    expect(r.out).toMatch(/vm ?0/i);
    expect(r.out).toMatch(/x0\s*[=:]/i);
    expect(r.out).toContain(DIAG_DONE_LINE);
  });

  it('feeds stdin to the UART and exits with the guest', async () => {
    // Echo guest: prints each received byte in brackets, powers off on 'q'.
    const { bytes } = assemble(`
      ldr x1, =0x09000000
    1: ldr w2, [x1, #0x18]
      tbnz w2, #4, 1b          // RXFE
      ldr w0, [x1]
      and w0, w0, #0xff
      cmp w0, #0x71
      b.eq 2f
      mov w3, #0x5b
      strb w3, [x1]
      strb w0, [x1]
      mov w3, #0x5d
      strb w3, [x1]
      b 1b
    2: ldr x0, =0x84000008
      hvc #0
      b .
    `, { baseAddress: 0x40080000n });
    const kernel = file('echo.bin', bytes);
    const stdin = new PassThrough();
    const p = cli(['run', '--kernel', kernel], { stdin });
    stdin.write('hi');
    setTimeout(() => stdin.end('!q'), 20);
    const r = await p;
    expect(r.code).toBe(0);
    expect(r.out).toBe('[h][i][!]');
    expect(r.err).toMatch(/^hvrr: system-off after/);
  });

  it('a guest waiting for input that never comes ends idle (exit 5)', async () => {
    const { bytes } = assemble('1: wfi\n b 1b\n', { baseAddress: 0x40080000n });
    const r = await cli(['run', '--kernel', file('wfi.bin', bytes)]);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/^hvrr: idle after/);
  });

  it('a guest asking for SYSTEM_RESET exits 3', async () => {
    const { bytes } = assemble('ldr x0, =0x84000009\n hvc #0\n b .\n', { baseAddress: 0x40080000n });
    const r = await cli(['run', '--kernel', file('reset.bin', bytes)]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^hvrr: system-reset after 8 instructions/);
  });

  it('maps every end of a run to its documented exit code', () => {
    expect(exitCodeFor({ kind: 'system-off' })).toBe(0);
    expect(exitCodeFor({ kind: 'instruction-limit' })).toBe(0);
    expect(exitCodeFor({ kind: 'system-reset' })).toBe(3);
    expect(exitCodeFor({ kind: 'halt', message: 'x' })).toBe(4);
    expect(exitCodeFor({ kind: 'idle' })).toBe(5);
    expect(exitCodeFor({ kind: 'interrupted' })).toBe(130);
    expect(formatSummary({ kind: 'halt', message: 'cpu0: core stopped' }, 1234567, 2_500_000_000, 2, )).toBe(
      'hvrr: halt (cpu0: core stopped) after 1,234,567 instructions, 2.500000 s virtual, 2.00 s wall, 0.6 MIPS',
    );
  });

  it('prints the first diagnostics per encoding, then counts the rest', async () => {
    const lines: string[] = [];
    const f = new DiagnosticFilter((l) => lines.push(l), 2);
    for (let i = 0; i < 5; i++) f.report(`cpu0: unimplemented encoding 0xdeadbeef at pc 0x${(0x1000 + 4 * i).toString(16)} (UNDEFINED)`);
    f.report('cpu1: unimplemented encoding 0x00000001 at pc 0x2000 (UNDEFINED)');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('hvrr: cpu0: unimplemented encoding 0xdeadbeef at pc 0x1000 (UNDEFINED)');
    expect(f.summary()).toEqual(['hvrr: 3 more diagnostic(s) for 0xdeadbeef']);
    // through the CLI: an undefined instruction at reset with no vectors
    const { bytes } = assemble('.inst 0x000a6968\n', { baseAddress: 0x40080000n });
    const r = await cli(['run', '--kernel', file('undef.bin', bytes), '--max-insns', '1000']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('hvrr: cpu0: unimplemented encoding 0x000a6968 at pc 0x40080000 (UNDEFINED)');
  });

  it('prints help for the command and for hvrr itself', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: hvrr run [boot-linux | ffa-demo | ffa-linux] [options]');
    for (const o of ['--kernel', '--initrd', '--append', '--dtb', '--smp', '--mem', '--seed', '--max-insns', '--quantum']) expect(r.out).toContain(o);
    expect(r.out).toMatch(/Exit status:[\s\S]*130/);
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/Commands:\n {2}run /);
    expect((await cli(['help', 'run'])).out).toBe(r.out);
    expect((await cli(['--version'])).out).toMatch(/^hvrr \d+\.\d+\.\d+\n$/);
  });
});

describe('bad input: one line, exit 2, no stack trace', () => {
  const gz = file('k.gz', new Uint8Array([0x1f, 0x8b, 8, 0, ...new Array<number>(60).fill(0)]));
  const empty = file('empty.img', new Uint8Array(0));
  const notDtb = file('bad.dtb', 'not a device tree at all, no sir, not at all');
  const elf = (() => {
    // minimal ELF header: ELFCLASS64, little-endian, but e_machine x86-64
    const b = new Uint8Array(64);
    b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    b[16] = 2;
    b[18] = 62;
    b[20] = 1;
    return file('x86.elf', b);
  })();
  const cases: [string, string[], RegExp][] = [
    ['missing kernel file', ['run', '--kernel', join(dir, 'nope')], /cannot read kernel '.*nope': no such file/],
    ['kernel is a directory', ['run', '--kernel', dir], /cannot read kernel '.*': is a directory/],
    ['missing initrd file', ['run', '--initrd', join(dir, 'nope.cpio')], /cannot read initrd .*no such file/],
    ['missing dtb file', ['run', '--dtb', join(dir, 'nope.dtb')], /cannot read device tree .*no such file/],
    ['gzip kernel', ['run', '--kernel', gz], /gzip-compressed/],
    ['empty kernel', ['run', '--kernel', empty], /kernel image is empty/],
    ['wrong-machine ELF', ['run', '--kernel', elf], /EM_AARCH64/],
    ['bad dtb', ['run', '--dtb', notDtb], /device tree '.*bad\.dtb'/],
    ['--smp 9', ['run', '--smp', '9'], /--smp: '9' is not an integer from 1 to 8/],
    ['--smp 0', ['run', '--smp', '0'], /--smp/],
    ['--mem 12Q', ['run', '--mem', '12Q'], /--mem: '12Q' is not a size/],
    ['--mem not MiB', ['run', '--mem', '1000000'], /whole number of MiB/],
    ['--mem too big', ['run', '--mem', '8G'], /more than the \d+M/],
    ['--seed -1', ['run', '--seed', '-1'], /--seed: '-1' is not a non-negative integer/],
    ['--max-insns 0', ['run', '--max-insns', '0'], /--max-insns: must be at least 1/],
    ['--quantum x', ['run', '--quantum', 'x'], /--quantum: 'x'/],
    ['unknown option', ['run', '--frobnicate'], /unknown option '--frobnicate'/],
    ['short option', ['run', '-k', 'x'], /unknown option '-k'/],
    ['missing value', ['run', '--kernel'], /option --kernel needs a value/],
    ['missing value before option', ['run', '--smp', '--mem', '1G'], /option --smp needs a value/],
    ['flag with value', ['run', '--digest=yes'], /--digest takes no value/],
    ['stray argument', ['run', 'vmlinux'], /unexpected argument 'vmlinux'/],
    ['unknown command', ['frob'], /unknown command 'frob'/],
    ['help for unknown command', ['help', 'frob'], /unknown command 'frob'/],
    ['option before command', ['--smp', '2'], /unknown option '--smp' before the command/],
    ['missing disk image', ['run', '--disk', join(dir, 'nope.img')], /cannot read disk image '.*nope\.img': no such file/],
    ['disk image is a directory', ['run', '--disk', dir], /cannot read disk image '.*': is a directory/],
    ['disk smaller than a sector', ['run', '--disk', file('tiny.img', new Uint8Array(100))], /disk image '.*tiny\.img' has 100 bytes: less than one 512-byte sector/],
    ['--disk with --bare', ['run', '--bare', '--disk', empty], /--disk needs the hypervisor/],
    ['--disk-writeback without --disk', ['run', '--disk-writeback'], /--disk-writeback needs --disk FILE/],
    ['record --disk-writeback', ['record', '--disk-writeback', '-o', join(dir, 'wb.hvrr')], /unknown option '--disk-writeback'/],
    ['record boot-linux --bare', ['record', 'boot-linux', '--bare', '-o', join(dir, 'bl.hvrr')], /boot-linux runs Linux under the hypervisor/],
    ['argument after boot-linux', ['run', 'boot-linux', 'extra'], /unexpected argument 'extra' after boot-linux/],
    ['--vms with --bare', ['run', '--bare', '--vms', '2'], /--vms needs the hypervisor; drop --bare/],
    ['--pcpus with --bare', ['run', '--bare', '--pcpus', '2'], /--pcpus needs the hypervisor/],
    ['record --snapshot-file DIR', ['record', '-o', join(dir, 'sf.hvrr'), '--snapshot-file', dir], /cannot write snapshot file '.*': it is a directory/],
    ['--bios with --kernel', ['run', '--bios', empty, '--kernel', empty], /give either --bios \(firmware from flash\) or --kernel\/--guest, not both/],
    ['--bios with --guest', ['run', '--bios', empty, '--guest', 'selftest'], /give either --bios/],
    ['--bios with --append', ['run', '--bios', empty, '--append', 'x'], /--append is only allowed with --kernel/],
    ['missing firmware', ['run', '--bios', join(dir, 'nope.bin')], /cannot read firmware '.*nope\.bin': no such file/],
    ['empty firmware', ['run', '--bios', empty], /firmware '.*' is empty/],
    ['--pflash not 64 MiB', ['run', '--pflash', file('small.fd', new Uint8Array(4096))], /flash image '.*small\.fd' has 4096 bytes; a virt flash bank is 64 MiB/],
    ['--pflash-writeback without --pflash', ['run', '--pflash-writeback'], /--pflash-writeback needs --pflash FILE/],
    ['record --pflash-writeback', ['record', '--pflash-writeback', '-o', join(dir, 'pw.hvrr')], /unknown option '--pflash-writeback'/],
    ['--nic user', ['run', '--nic', 'user'], /--nic: 'user' is not a NIC choice/],
    ['--nic none with --bare', ['run', '--bare', '--nic', 'none'], /--nic none is for the hypervisor's VMs/],
  ];
  for (const [name, argv, re] of cases) {
    it(name, async () => {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      const e = errLines(r.err);
      expect(e).toHaveLength(1);
      expect(e[0]).toMatch(/^hvrr: /);
      expect(e[0]).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe('');
    });
  }

  it('record --snapshot-file DIR leaves no trace file behind', async () => {
    const t = join(dir, 'sf2.hvrr');
    expect((await cli(['record', '-o', t, '--snapshot-file', dir])).code).toBe(2);
    expect(existsSync(t)).toBe(false);
  });

  it('a kernel file of random bytes runs as a raw binary with a one-line warning; real code gets none', async () => {
    // Seeded bytes (xorshift), so the test never depends on luck.
    const next = xorshift32(0x2545f491);
    const b = Uint8Array.from({ length: 4096 }, () => next() & 0xff);
    const r = await cli(['run', '--kernel', file('random.bin', b), '--max-insns', '1000']);
    const warn = errLines(r.err).filter((l) => l.includes('warning'));
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/^hvrr: warning: kernel '.*random\.bin' is neither an arm64 Image nor an ELF, so it runs as a raw binary at 0x40080000, but /);
    const ok = await cli(['run', '--kernel', file('loop.bin', new Uint8Array([0, 0, 0, 0x14])), '--max-insns', '1000']);
    expect(ok.err).not.toContain('warning');
  });

  it('no command: usage on stderr, exit 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: hvrr <command>');
  });

  it('an unexpected error is an internal error: one line, exit 1, stack only with HVRR_DEBUG=1', async () => {
    const broken = { write: (): boolean => { throw new Error('disk on fire'); } };
    const stderr = new Sink();
    const code = await main(['run'], { stdout: broken, stderr, stdin: null, env: {}, handleSignals: false });
    expect(code).toBe(1);
    const e = errLines(stderr.text);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatch(/^hvrr: internal error: disk on fire .*report/);
    const stderr2 = new Sink();
    await main(['run'], { stdout: broken, stderr: stderr2, stdin: null, env: { HVRR_DEBUG: '1' }, handleSignals: false });
    expect(stderr2.text).toMatch(/\n\s+at /);
  });
});

describe('--no-jit', () => {
  it('runs the interpreter only: same console and trace digest as the default engine', async () => {
    const fast = await cli(['run', '--guest', 'selftest', '--smp', '2', '--digest']);
    const slow = await cli(['run', '--guest', 'selftest', '--smp', '2', '--digest', '--no-jit']);
    expect(fast.code).toBe(0);
    expect(slow.code).toBe(0);
    expect(slow.out).toBe(fast.out);
    const digest = (err: string): string | undefined => /trace digest (\S+) \(([\d,]+) events\)/.exec(err)?.slice(1).join(' ');
    expect(digest(fast.err)).toBeDefined();
    expect(digest(slow.err)).toBe(digest(fast.err));
  });
});

describe('pacing idle time to the wall clock (stdin a terminal)', () => {
  it('paceUntilTick: wall time in ticks plus slack, always past now', () => {
    expect(paceUntilTick(0, 0, 0)).toBe(20_000_000);
    expect(paceUntilTick(1_000, 5, 0)).toBe(1_000 + 5_000_000 + 20_000_000);
    expect(paceUntilTick(0, 0, 90_000_000)).toBe(90_000_001);
  });

  it('never changes a run: same console and trace digest on a terminal as with --no-pace', async () => {
    const tty = (): PassThrough & { isTTY: boolean; setRawMode: () => void } => Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    // A guest that sleeps 0.2 s of virtual time in WFI (virtual timer), then prints and powers off:
    // paced, its idle jump is cut into wall-clock steps.
    const sleeper = file('sleeper.bin', guestImage({
      main: `
    mov x1, #0
    bl gic_init
    ldr x1, =12500000
    msr cntv_tval_el0, x1
    mov x1, #1
    msr cntv_ctl_el0, x1
    msr daifclr, #2
1:  wfi
    ldr x1, =IRQS
    ldr x1, [x1, #27 * 8]
    cbz x1, 1b
    mov w0, #0x5a
    bl putc
    mov w0, #10
    bl putc
`,
    }));
    const argv = ['run', '--kernel', sleeper, '--digest'];
    const paced = await cli(argv, { stdin: tty() });
    const fast = await cli([...argv, '--no-pace'], { stdin: tty() });
    expect(paced.code).toBe(0);
    expect(paced.out).toBe('Z\n');
    expect(paced.err).toMatch(/system-off after [\d,]+ instructions, 0\.2\d+ s virtual/);
    expect(paced.out).toBe(fast.out);
    const digest = (err: string): string | undefined => /trace digest (\S+) \(([\d,]+) events\)/.exec(err)?.slice(1).join(' ');
    expect(digest(paced.err)).toBeDefined();
    expect(digest(paced.err)).toBe(digest(fast.err));
  });
});

describe('when a run ends without the guest powering off (console input not a terminal)', () => {
  // A guest that stays alive but idle: WFE in a loop (each WFE sleeps one window).
  const idler = (): string => file('idler.bin', assemble('1: wfe\n b 1b\n', { baseAddress: 0x40080000n }).bytes);
  const busy = (): string => file('busy.bin', assemble('1: add x1, x1, #1\n b 1b\n', { baseAddress: 0x40080000n }).bytes);

  it('input used up and the machine quiet for 1 s virtual: the run ends, exit 0, and says why', async () => {
    const r = await cli(['run', '--bare', '--kernel', idler()]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^hvrr: quiet \(console input ended, the machine quiet for 1\.00 s virtual\) after [\d,]+ instructions, 1\.0\d+ s virtual/m);
  });

  it('--quiet-seconds sets the period; 0 never ends on quiet; --max-seconds stops at that virtual time', async () => {
    const a = await cli(['run', '--bare', '--kernel', idler(), '--quiet-seconds', '0.25']);
    expect(a.err).toMatch(/quiet for 0\.25 s virtual\) after [\d,]+ instructions, 0\.2\d+ s virtual/);
    const b = await cli(['run', '--bare', '--kernel', idler(), '--quiet-seconds', '0', '--max-seconds', '1.5']);
    expect(b.code).toBe(0);
    expect(b.err).toMatch(/^hvrr: time limit \(--max-seconds\) after [\d,]+ instructions, 1\.500000 s virtual/m);
  });

  it('a busy guest is never quiet: only --max-seconds ends it', async () => {
    const r = await cli(['run', '--bare', '--kernel', busy(), '--max-seconds', '0.02']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^hvrr: time limit \(--max-seconds\) after 20,000,000 instructions, 0\.020000 s virtual/m);
  });

  it('on a terminal only --until-idle applies the rule (input still open)', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    const r = await cli(['run', '--bare', '--kernel', idler(), '--until-idle', '--no-pace', '--quiet-seconds', '0.1'], { stdin: tty });
    expect(r.err).toMatch(/^hvrr: quiet \(--until-idle, the machine quiet for 0\.10 s virtual\)/m);
    tty.end();
  });

  it('QuietWatch: output, input or more than 1% busy CPUs restart the quiet time', () => {
    const q = new QuietWatch(0, 0, 0, 2);
    expect(q.check(10_000_000, 100_000, 0)).toBe(10_000_000); // 0.5% of 2 CPUs: quiet
    expect(q.check(20_000_000, 300_001, 0)).toBe(0); // 200,001 > 1% of 2 x 10M
    expect(q.check(30_000_000, 300_001, 0)).toBe(10_000_000);
    q.output();
    expect(q.check(40_000_000, 300_001, 0)).toBe(0);
    expect(q.check(50_000_000, 300_001, 1)).toBe(0);
    expect(q.check(60_000_000, 300_001, 1)).toBe(10_000_000);
  });
});
