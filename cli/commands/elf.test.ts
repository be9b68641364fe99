// `hvrr elf`: writes a built-in guest's ELF; bad input is one line and exit 2, no file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing.js';
import { selftestElf } from '../../guests/selftest/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hvrr elf', () => {
  it('writes the guest with its symbols', async () => {
    const out = join(dir, 'st.elf');
    const r = await runCli(['elf', 'selftest', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`wrote selftest with its symbols to ${out}`);
    expect(Buffer.compare(readFileSync(out), Buffer.from(selftestElf()))).toBe(0);
    expect(readFileSync(out).includes(Buffer.from('\0shared_counter\0'))).toBe(true);
  });

  it.each([
    [['elf', 'nosuch', '-o', 'x.elf'], /^hvrr: unknown built-in guest 'nosuch' \(guests: diag, selftest, ffa-client\)/],
    [['elf', 'selftest'], /^hvrr: -o OUT\.elf is required/],
    [['elf'], /^hvrr: missing GUEST/],
  ])('%j: one line, exit 2', async (argv, msg) => {
    const r = await runCli(argv.map((a) => (a === 'x.elf' ? join(dir, a) : a)));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'x.elf'))).toBe(false);
  });

  it('an unwritable OUT: one line, exit 2', async () => {
    const r = await runCli(['elf', 'diag', '-o', join(dir, 'no', 'dir', 'd.elf')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hvrr: cannot write '.*d\.elf': /);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
