// `--secure` on hvrr run / record, and the Secure world in replay and dump:
// a tiny secure payload (real machine code at Secure EL1, entered by the EL3
// firmware) prints on the secure UART; its lines go to stderr as
// `[secure] ...`, stdout stays exactly the Non-secure console.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../core/asm/assembler.js';
import { SECURE_PAYLOAD_BASE } from '../core/firmware/securePayload.js';
import { runCli } from './testing.js';
import { readMeta, readSnapshotFile } from '../snapshots/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-secure-cli-'));

/** Prints `text` on the UART at `base` (x1, w2 clobbered). */
function print(base: number, text: string): string {
  return [`ldr x1, =${base}`, ...[...text].map((c) => `mov w2, #${c.charCodeAt(0)}\n  strb w2, [x1]`)].join('\n  ');
}

// Two lines on the secure UART (0x09040000, Secure-only), then TSP_ENTRY_DONE.
const PAYLOAD = assemble(`
  ${print(0x0904_0000, 'hello from S-EL1\nsecond line\n')}
  ldr x0, =0xf2000000
  mov x1, #0
  smc #0
  b .
`, { baseAddress: BigInt(SECURE_PAYLOAD_BASE) }).bytes;

// The Non-secure kernel: prints, then PSCI SYSTEM_OFF over SMC.
const KERNEL = assemble(`
  ${print(0x0900_0000, 'non-secure kernel\n')}
  ldr x0, =0x84000008
  smc #0
  b .
`, { baseAddress: 0x4008_0000n }).bytes;

const payload = join(dir, 'payload.bin');
const kernel = join(dir, 'kernel.bin');
writeFileSync(payload, PAYLOAD);
writeFileSync(kernel, KERNEL);

describe('hvrr run --secure', () => {
  it('runs the secure payload at Secure EL1 before the kernel: stdout is the Non-secure console, the secure one is on stderr as [secure] lines', async () => {
    const r = await runCli(['run', '--secure', '--bare', '--kernel', kernel, '--secure-payload', payload, '--mem', '64M']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('non-secure kernel\n');
    expect(r.err).toContain('[secure] hello from S-EL1\n[secure] second line\n');
    expect(r.err).toMatch(/^\[secure\] hello from S-EL1\n\[secure\] second line\nhvrr: .* after \d+ instructions/);
  });

  it('the diagnostic guest passes every check under the hypervisor on a secure machine (the EL3 firmware set the GIC up for the Non-secure world)', async () => {
    const r = await runCli(['run', '--secure', '--mem', '64M']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SUMMARY: \d+ tests, 0 failures/);
    // The payload first, then the hypervisor's boot (pCPU 0 resumed at EL2 from EL3).
    const withPayload = await runCli(['run', '--secure', '--secure-payload', payload, '--mem', '64M']);
    expect(withPayload.code).toBe(0);
    expect(withPayload.out).toBe(r.out);
    expect(withPayload.err).toMatch(/^\[secure\] hello from S-EL1\n\[secure\] second line\n/);
    const bare = await runCli(['run', '--secure', '--bare', '--mem', '64M']);
    expect(bare.code).toBe(0);
    expect(bare.out).toMatch(/SUMMARY: \d+ tests, 0 failures/);
  });

  it('bad combinations: one line, exit 2', async () => {
    for (const [argv, msg] of [
      [['run', '--secure-payload', payload], /--secure-payload needs --secure/],
      [['run', '--restore', join(dir, 'none.snap'), '--secure'], /--secure cannot be combined with --restore/],
      [['run', '--restore', join(dir, 'none.snap'), '--secure-payload', payload], /--secure-payload cannot be combined with --restore/],
      [['record', '--secure-payload', payload, '-o', join(dir, 'x.hvrr')], /--secure-payload needs --secure/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    const r = await runCli(['run', '--secure', '--bare', '--kernel', kernel, '--secure-payload', empty]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hvrr: secure payload '.*empty.bin': the secure payload is empty\n$/);
  });
});

describe('hvrr record --secure, replay, dump', () => {
  const trace = join(dir, 'secure.hvrr');

  it('records: the header carries secure, the secure UART bytes are uart-out events with world=s', async () => {
    const r = await runCli(['record', '--secure', '--bare', '--kernel', kernel, '--secure-payload', payload, '--mem', '64M', '-o', trace]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('non-secure kernel\n');
    expect(r.err).toContain('[secure] hello from S-EL1\n');
    const d = await runCli(['dump', trace]);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^# machine: .*"secure":true/m);
    expect(d.out).toContain("# worlds: Secure and Non-secure; events of the Secure world end in 'world=s'");
    expect(d.out).toMatch(/^#\d+ @\d+ cpu0 uart-out byte=0x68 .*world=s$/m);
    expect(d.out).toMatch(/^#\d+ @\d+ cpu0 psci fn=0xf2000000 .*world=s$/m);
    expect(d.out).toMatch(/^#\d+ @\d+ cpu0 uart-out byte=0x6e(?! .*world=s).*$/m);
  });

  it('dump --console: the Non-secure console, then the secure one as [secure] lines', async () => {
    const d = await runCli(['dump', trace, '--console']);
    expect(d.code).toBe(0);
    expect(d.out).toBe('non-secure kernel\n[secure] hello from S-EL1\n[secure] second line\n');
    const bad = await runCli(['dump', trace, '--console', '--json']);
    expect(bad.code).toBe(2);
  });

  it('replays exactly (the machine rebuilt from the trace is secure) and shows both consoles and each CPU\'s world', async () => {
    const p = await runCli(['replay', trace]);
    expect(p.code).toBe(0);
    expect(p.out).toContain('replayed to the end of the recording');
    expect(p.out).toMatch(/^cpu0: running @\d+ EL3h s pc=/m); // SYSTEM_OFF's SMC left it at EL3
    expect(p.out).toContain('uart output so far (18 bytes):\nnon-secure kernel\n');
    expect(p.out).toContain('secure uart output so far (29 bytes):\n[secure] hello from S-EL1\n[secure] second line\n');
    const until = await runCli(['replay', trace, '--until', 'uart', 'second']);
    expect(until.code).toBe(0);
    expect(until.out).toMatch(/^cpu0: running @\d+ EL1h s pc=/m);
    // The two consoles are separate streams: text across them is nowhere.
    const across = await runCli(['replay', trace, '--until', 'uart', 'line\nnon-secure']);
    expect(across.code).toBe(2);
    expect(across.err).toContain('nowhere');
    const ns = await runCli(['replay', trace, '--until', 'uart', 'non-secure']);
    expect(ns.out).toMatch(/^cpu0: running @\d+ EL1h ns pc=/m);
  });

  it('verify --replay: every snapshot of the secure recording restores and it replays from each', async () => {
    const v = await runCli(['verify', trace, '--replay']);
    expect(v.code, v.out + v.err).toBe(0);
  });

  it('a snapshot taken inside the secure payload records secure; run --restore rebuilds the secure machine and finishes the boot', async () => {
    const snap = join(dir, 'secure.snap');
    const p = await runCli(['replay', trace, '--until', 'uart', 'second', '--print', 'uart', '--snapshot', snap]);
    expect(p.code).toBe(0);
    const meta = readMeta(readSnapshotFile(snap));
    expect(meta.config.secure).toBe(true);
    const r = await runCli(['run', '--restore', snap]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('non-secure kernel\n');
    expect(r.err).toMatch(/^\[secure\]  line\n/); // the rest of the secure line 'second line'
  });
});

describe('hvrr with the SPMC: --secure, --sp, ffa-demo', () => {
  const trace = join(dir, 'ffa-demo.hvrr');

  it('record ffa-demo: the FF-A client under the hypervisor against the SPMC and the bundled partitions, their console on stderr', async () => {
    const r = await runCli(['record', 'ffa-demo', '--smp', '2', '-o', trace, '--snapshot-every', '500000']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^PASS ffa-version$/m);
    expect(r.out).toMatch(/^FFA-CLIENT pass=\d+ fail=\d+$/m);
    expect(r.err).toContain('[secure] [0x8001] sp1: up, waiting for requests');
    expect(r.err).toContain('[secure] [0x8003] sp3: up, waiting for requests');
  });

  it('replays it event for event, stops at an FF-A call (--until smc), and a snapshot there restores with its SPMC and finishes the same', async () => {
    const v = await runCli(['verify', trace, '--replay']);
    expect(v.code, v.out + v.err).toBe(0);
    const u = await runCli(['replay', trace, '--until', 'smc', '0xc400006f', '--count', '3', '--print', 'events']);
    expect(u.code, u.err).toBe(0);
    expect(u.out).toMatch(/reached smc 0xc400006f \(occurrence 3\)/);
    expect(u.out.trim().split('\n').at(-1)).toMatch(/ exception n=\d+ sync el1->el2 ec=0x17 /); // the trapped SMC of the direct request
    // --until ffa: the first FF-A event, and the 2nd FFA_MEM_SHARE (either width) by name.
    const any = await runCli(['replay', trace, '--until', 'ffa', '--print', 'events']);
    expect(any.code, any.err).toBe(0);
    expect(any.out).toMatch(/reached ffa \(event \d+\)/);
    expect(any.out.trim().split('\n').at(-1)).toMatch(/ ffa (call|answer) \S+ fid=0x[0-9a-f]+ src=/);
    const share = await runCli(['replay', trace, '--until', 'ffa', 'mem_share', '--count', '2', '--print', 'events']);
    expect(share.code, share.err).toBe(0);
    expect(share.out).toMatch(/reached ffa FFA_MEM_SHARE \(occurrence 2\) \(event \d+\)/);
    expect(share.out.trim().split('\n').at(-1)).toMatch(/ ffa call FFA_MEM_SHARE_(32|64) fid=0x[8c]4000073 /);
    const none = await runCli(['replay', trace, '--until', 'ffa', 'MEM_PERM_SET']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^hvrr: ffa FFA_MEM_PERM_SET is not in the recording: the recording has no such FF-A events\n$/);
    const snap = join(dir, 'ffa.snap');
    expect((await runCli(['replay', trace, '--until', 'smc', '0xc400006f', '--count', '3', '--snapshot', snap])).code).toBe(0);
    const whole = await runCli(['replay', trace, '--print', 'uart']);
    const rest = await runCli(['run', '--restore', snap]);
    expect(rest.code, rest.err).toBe(0);
    const summary = /FFA-CLIENT pass=\d+ fail=\d+/.exec(whole.out)![0];
    expect(rest.out).toContain(summary);
  });

  it('--sp: a package of the user\'s own is checked in one line; --sp needs --secure and excludes --secure-payload', async () => {
    const bad = join(dir, 'bad.pkg');
    writeFileSync(bad, new Uint8Array(64));
    for (const [argv, msg] of [
      [['run', '--secure', '--sp', bad], /SP package '.*bad\.pkg': /],
      [['run', '--sp', bad], /--sp needs --secure/],
      [['run', '--secure', '--sp', bad, '--secure-payload', payload], /--sp and --secure-payload exclude each other/],
      [['run', 'ffa-demo', '--bare'], /ffa-demo runs the client under the hypervisor/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  });
});
