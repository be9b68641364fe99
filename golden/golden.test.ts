// `hvrr golden`: the committed goldens hold (this is how `npm test` runs
// `hvrr golden check`), and a changed self-test fails with a readable diff
// that check writes as NAME.golden.new, review and accept take, and
// `golden diff` finds between two recordings.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../core/asm/assembler.js';
import { SELFTEST_LOAD_ADDRESS, selftestSource } from '../guests/selftest/index.js';
import { defaultGoldenDir } from '../cli/commands/golden.js';
import type { InStream } from '../cli/io.js';
import { runCli } from '../cli/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-golden-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The self-test with one instruction changed: CurrentEL is shifted by 1, not 2. */
function patchedSelftest(): string {
  const src = selftestSource();
  const changed = src.replace('    lsr x20, x0, #2\n', '    lsr x20, x0, #1\n');
  expect(changed).not.toBe(src);
  const file = join(dir, 'selftest-patched.bin');
  writeFileSync(file, assemble(changed, { baseAddress: SELFTEST_LOAD_ADDRESS }).bytes);
  return file;
}

const input = (text: string): InStream => Readable.from([Buffer.from(text)]) as unknown as InStream;

/** A goldens directory holding selftest-bare's committed golden, with `record` as its scenario. */
function goldensWith(name: string, record: string[]): string {
  const d = mkdtempSync(join(dir, 'cases-'));
  writeFileSync(join(d, `${name}.json`), JSON.stringify({ about: 'the self-test, maybe changed', record }));
  copyFileSync(join(defaultGoldenDir(), 'selftest-bare.golden'), join(d, `${name}.golden`));
  return d;
}

describe('hvrr golden', () => {
  it('check: every committed golden of the default tier matches (CI=true: nothing written)', async () => {
    const before = readdirSync(defaultGoldenDir()).sort();
    const r = await runCli(['golden', 'check', '--tier', 'default'], { env: { CI: 'true' } });
    expect(r.code, r.out + r.err).toBe(0);
    for (const name of ['selftest-bare', 'selftest-hv', 'selftest-hv-smp4', 'diag', 'diag-two-vms', 'selftest-secure-bare', 'ffa-demo']) expect(r.out).toMatch(new RegExp(`^golden ${name}: ok \\(`, 'm'));
    expect(r.out).toMatch(/^hvrr golden check: 7 passed, 0 failed\n$/m);
    expect(readdirSync(defaultGoldenDir()).sort()).toEqual(before);
  });

  it('check: one changed instruction of the self-test fails with a diff naming the first divergent event', async () => {
    const d = goldensWith('st', ['--kernel', patchedSelftest(), '--bare']);
    const ci = await runCli(['golden', 'check', '--dir', d], { env: { CI: 'true' } });
    expect(ci.code).toBe(1);
    expect(ci.out).toContain('(CI=true: st.golden.new not written)');
    expect(existsSync(join(d, 'st.golden.new'))).toBe(false);

    const r = await runCli(['golden', 'check', '--dir', d, '--context', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^golden st: FAILED: the run differs from the golden/m);
    // 'CurrentEL = EL1' became 'EL2': the digit is the first divergent event.
    expect(r.out).toMatch(/first divergent event: line \d+/);
    expect(r.out).toMatch(/st\.golden: +#(\d+) @\d+ cpu0 uart-out byte=0x31 '1'\n +\(event #\1, tick [\d,]+, cpu0, world ns\)/);
    expect(r.out).toMatch(/st, this run: +#\d+ @\d+ cpu0 uart-out byte=0x32 '2'/);
    expect(r.out).toMatch(/\n +-#\d+ @\d+ cpu0 uart-out byte=0x31 '1'\n/);
    expect(r.out).toMatch(/\n +\+#\d+ @\d+ cpu0 uart-out byte=0x32 '2'\n/);
    expect(r.out).toMatch(/lines differ from line \d+ on \(the first 5 are shown\)/);
    expect(r.out).toMatch(/written .*st\.golden\.new \(hvrr golden review, or accept\)/);
    const pending = readFileSync(join(d, 'st.golden.new'), 'latin1');

    // review: skip leaves it, reject removes it, accept takes it.
    const skip = await runCli(['golden', 'review', '--dir', d], { stdin: input('x\ns\n') });
    expect(skip.code).toBe(0);
    expect(skip.out).toContain('[1/1] golden st:');
    expect(skip.out).toContain("byte=0x32 '2'");
    expect(skip.out).toContain('skipped: st.golden.new left pending');
    expect(existsSync(join(d, 'st.golden.new'))).toBe(true);
    const reject = await runCli(['golden', 'review', '--dir', d], { stdin: input('r\n') });
    expect(reject.out).toContain('rejected: st.golden.new removed');
    expect(existsSync(join(d, 'st.golden.new'))).toBe(false);
    expect((await runCli(['golden', 'review', '--dir', d])).out).toContain('nothing pending');

    writeFileSync(join(d, 'st.golden.new'), pending);
    const acc = await runCli(['golden', 'review', '--dir', d], { stdin: input('a\n') });
    expect(acc.out).toMatch(/accepted: .*st\.golden updated/);
    expect(readFileSync(join(d, 'st.golden'), 'latin1')).toBe(pending);
    const again = await runCli(['golden', 'check', '--dir', d]);
    expect(again.code, again.out).toBe(0);
  });

  it('accept takes pending goldens by name; obsolete goldens and new ones are reported', async () => {
    const d = goldensWith('st', ['selftest', '--bare']);
    writeFileSync(join(d, 'gone.golden'), '# end: system-off\n');
    writeFileSync(join(d, 'fresh.json'), JSON.stringify({ about: 'new', record: ['selftest', '--bare'], redact: [{ select: 'uart-out' }] }));
    const r = await runCli(['golden', 'check', '--dir', d, 'fresh']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('golden fresh: NEW: there is no fresh.golden yet');
    expect(r.out).toMatch(/obsolete: .*gone\.golden \(no .*gone\.json: its scenario is gone; delete it\)/);
    expect(readFileSync(join(d, 'fresh.golden.new'), 'latin1')).not.toContain('uart-out');
    const a = await runCli(['golden', 'accept', '--dir', d, 'fresh', 'st']);
    expect(a.out).toMatch(/accepted: .*fresh\.golden\n/);
    expect(a.out).toContain('st: nothing pending (no st.golden.new)');
    const all = await runCli(['golden', 'check', '--dir', d]);
    expect(all.code, all.out).toBe(0);
    expect(all.out).toMatch(/^hvrr golden check: 2 passed, 0 failed\n$/m);
  });

  it('refuses bad configurations and names with one line', async () => {
    const d = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(d, 'b.json'), JSON.stringify({ about: 'x', record: ['selftest'], redact: [{ select: 'psci.handle' }] }));
    const r = await runCli(['golden', 'check', '--dir', d]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hvrr: .*b\.json: selector 'psci\.handle': 'psci' events have no field 'handle'/);
    expect((await runCli(['golden', 'check', '--dir', d, 'nope'])).err).toMatch(/no golden 'nope'/);
    expect((await runCli(['golden', 'frob'])).err).toMatch(/unknown subcommand 'frob'/);
    expect((await runCli(['golden', 'accept', '--tier', 'linux'])).err).toMatch(/--tier applies to golden check, not accept/);
    writeFileSync(join(d, 'b.json'), JSON.stringify({ about: 'x', record: ['selftest'], colour: 1 }));
    expect((await runCli(['golden', 'check', '--dir', d])).err).toMatch(/unknown key 'colour'/);
    expect((await runCli(['golden', 'accept', '--dir', d], { env: { CI: 'true' } })).err).toMatch(/not under CI=true/);
  });

  it('diff: two recordings, the first divergent event named; redactions apply to both', async () => {
    const a = join(dir, 'a.hvrr');
    const b = join(dir, 'b.hvrr');
    for (const [file, args] of [[a, ['selftest', '--bare']], [b, ['--kernel', patchedSelftest(), '--bare']]] as const) {
      const r = await runCli(['record', ...args, '--snapshot-every', '0', '-o', file]);
      expect(r.err).toMatch(/recorded/);
    }
    const same = await runCli(['golden', 'diff', a, a]);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/^hvrr golden diff: the recordings match \([\d,]+ event lines\)\n$/);
    const d = await runCli(['golden', 'diff', a, b, '--context', '1']);
    expect(d.code).toBe(1);
    expect(d.out).toMatch(new RegExp(`${a.replace(/[.]/g, '\\.')}: +#(\\d+) @\\d+ cpu0 uart-out byte=0x31 '1'\\n +\\(event #\\1, tick`));
    // Without the console bytes the first difference is another kind of event.
    const redacted = await runCli(['golden', 'diff', a, b, '--redact', 'uart-out']);
    expect(redacted.code).toBe(1);
    expect(redacted.out).toMatch(/^first divergent event: line \d+/);
    expect(redacted.out.split('--- ')[0]).not.toContain('uart-out');
    expect((await runCli(['golden', 'diff', a])).err).toMatch(/needs two recordings/);
    expect((await runCli(['golden', 'diff', a, b, '--redact', 'ufo'])).err).toMatch(/--redact: selector 'ufo'/);
  });
});
