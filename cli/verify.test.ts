// hvrr verify through the CLI, in-process: output format, exit codes, bad
// arguments, snapshot files beside the trace, standalone snapshots, progress.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../core/asm/assembler.js';
import { Sink, runCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-verify-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = runCli;

const noStack = (s: string): void => expect(s).not.toMatch(/\n\s+at |internal error/);

describe('hvrr verify', () => {
  const trace = join(dir, 't.hvrr');
  const side = join(dir, 'side.hvrr');

  it('is listed by hvrr --help; its help gives the exit codes', async () => {
    expect((await cli(['--help'])).out).toMatch(/^ {2}verify +check a trace/m);
    const h = await cli(['verify', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage: hvrr verify FILE [SNAPFILE] [--replay]');
    expect(h.out).toMatch(/^ {2}7 {4}at least one problem found$/m);
  });

  it('bad arguments: one line on stderr, exit 2, no stack', async () => {
    expect((await cli(['record', 'selftest', '--smp', '2', '--mem', '64M', '--snapshot-every', '300000', '-o', trace])).code).toBe(0);
    for (const argv of [['verify'], ['verify', trace, 'a', 'b'], ['verify', trace, '--bogus'], ['verify', join(dir, 'missing.hvrr')], ['verify', trace, join(dir, 'missing.snap')], ['verify', dir]]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out, argv.join(' ')).toBe('');
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err, argv.join(' ')).toMatch(/^hvrr: /);
      noStack(r.err);
    }
  });

  it('a clean trace: one summary line on stdout, nothing on stderr, exit 0; --replay replays it', async () => {
    const r = await cli(['verify', trace]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^hvrr verify: no problems: .*t\.hvrr \([\d,]+ bytes, \d+ chunks: [\d,]+ events, 0 inputs, [\d,]+ state hashes, (\d+) snapshots \(\1 restored\)\)\n$/);
    const p = await cli(['verify', trace, '--replay']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/; \d+ replays matched [\d,]+ events and [\d,]+ state hashes\n$/);
  });

  it('a damaged trace: one line per problem naming the file, a summary, exit 7', async () => {
    const bytes = readFileSync(trace);
    const bad = join(dir, 'bad.hvrr');
    const b = Buffer.from(bytes);
    b[Math.floor(b.length / 2)]! ^= 0x10;
    writeFileSync(bad, b);
    const r = await cli(['verify', bad]);
    expect(r.code).toBe(7);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines.slice(0, -1)) expect(l.startsWith(`${bad}: `)).toBe(true);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^hvrr verify: ${lines.length - 1} problems?: .*bad\\.hvrr \\(${lines.length - 1}(; \\d+ snapshots? not restored: .*)?\\)$`));
    noStack(r.err);
    // Not a trace at all, and an empty file: problems too (damage can hit the magic).
    writeFileSync(bad, 'hello');
    expect(await cli(['verify', bad])).toMatchObject({ code: 7, out: `${bad}: not an hvrr trace file (bad magic)\nhvrr verify: 1 problem: ${bad} (1)\n` });
    writeFileSync(bad, '');
    expect((await cli(['verify', bad])).out).toContain('empty file');
  });

  it('finds TRACE.snap beside the trace, or takes the one given', async () => {
    expect((await cli(['record', 'diag', '--smp', '2', '--mem', '64M', '--snapshot-every', '30000', '--snapshot-file', `${side}.snap`, '-o', side])).code).toBe(0);
    const r = await cli(['verify', side]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/side\.hvrr \(.*0 snapshots \(0 restored\)\); .*side\.hvrr\.snap \(.*: 0 events, .* (\d+) snapshots \(\1 restored\)\)/);
    const moved = join(dir, 'moved.snap');
    writeFileSync(moved, readFileSync(`${side}.snap`));
    expect((await cli(['verify', side, moved])).out).toContain('moved.snap');
    // Its first (full) snapshot damaged: one problem; the summary counts the snapshots built on it.
    const b = Buffer.from(readFileSync(`${side}.snap`));
    b[2000]! ^= 0x01;
    writeFileSync(moved, b);
    const d = await cli(['verify', side, moved]);
    expect(d.code).toBe(7);
    expect(d.out).toMatch(/^.*moved\.snap: chunk 0 at offset \d+: chunk payload checksum mismatch \(corrupt\)\nhvrr verify: 1 problem: .*side\.hvrr \(0\), .*moved\.snap \(1; 2 snapshots not restored: they build on a damaged one\)\n$/);
    writeFileSync(moved, readFileSync(`${side}.snap`));
    // A snapshot file of another recording.
    const other = await cli(['verify', trace, moved]);
    expect(other.code).toBe(7);
    expect(other.out).toContain(`${moved}: does not belong to trace '${trace}'`);
  });

  it('a standalone snapshot (replay --snapshot OUT) is checked and restored', async () => {
    const snap = join(dir, 'at40.hvsnap');
    expect((await cli(['replay', trace, '--until', 'exception', '40', '--snapshot', snap, '--print', 'events'])).code).toBe(0);
    const r = await cli(['verify', snap]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^hvrr verify: no problems: .*at40\.hvsnap \(full snapshot at tick [\d,]+, [\d,]+ bytes, restored\)\n$/);
    const b = Buffer.from(readFileSync(snap));
    b[b.length - 40]! ^= 1;
    writeFileSync(snap, b);
    const d = await cli(['verify', snap]);
    expect(d.code).toBe(7);
    expect(d.out).toBe(`${snap}: snapshot checksum mismatch (file corrupted or truncated)\nhvrr verify: 1 problem: ${snap} (1)\n`);
  });

  it('images that differ from the recording: a problem (snapshots cannot be restored)', async () => {
    const kernel = join(dir, 'k.bin');
    writeFileSync(kernel, assemble('ldr x0, =0x84000008\nhvc #0\n', { baseAddress: 0x40080000n }).bytes);
    const t = join(dir, 'k.hvrr');
    expect((await cli(['record', '--kernel', kernel, '-o', t, '--mem', '16M'])).code).toBe(0);
    expect((await cli(['verify', t])).code).toBe(0);
    writeFileSync(kernel, assemble('nop\nldr x0, =0x84000008\nhvc #0\n', { baseAddress: 0x40080000n }).bytes);
    const r = await cli(['verify', t]);
    expect(r.code).toBe(7);
    expect(r.out).toMatch(/: cannot build the recorded machine \(kernel '.*k\.bin' does not match the recording: .*\): snapshots not restored\n/);
  });

  it('progress goes to stderr only when it is a terminal, and is cleared', async () => {
    const tty = Object.assign(new Sink(), { isTTY: true, columns: 100 });
    const r = await cli(['verify', trace], { stderr: tty });
    expect(r.code).toBe(0);
    expect(tty.text).toMatch(/^\r\x1b\[Khvrr verify: /);
    expect(tty.text.endsWith('\r\x1b[K')).toBe(true);
    expect(tty.text).not.toContain('\n');
  });
});
