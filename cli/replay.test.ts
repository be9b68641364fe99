// hvrr record / replay / dump through the CLI, in-process.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../core/asm/assembler.js';
import { runCli } from './testing.js';


const cli = runCli;

const dir = mkdtempSync(join(tmpdir(), 'hvrr-replay-cli-'));

describe('hvrr record / replay', () => {
  it('records the default main job (the diagnostic guest under the hypervisor) and replays it exactly', async () => {
    const t = join(dir, 'diag.hvrr');
    const r = await cli(['record', '-o', t]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('diag: all checks done');
    const p = await cli(['replay', t, '--until', 'exception', '5']);
    expect(p.code).toBe(0);
    expect(p.out).toContain('reached exception 5');
    const e = await cli(['replay', t, '--print', 'uart']);
    expect(e.code).toBe(0);
    expect(e.out).toContain('replayed to the end of the recording');
    expect(e.out).toContain('diag: all checks done');
  });

  const trace = join(dir, 'selftest.hvrr');

  it('records the embedded default with snapshots and prints a summary', async () => {
    const r = await cli(['record', 'selftest', '-o', trace, '--smp', '2', '--mem', '64M', '--seed', '3', '--snapshot-every', '300000']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('all checks PASS');
    expect(r.err).toMatch(/hvrr: recorded system-off to .*: [\d,]+ events, [\d,]+ exceptions, [\d,]+ instructions, .* per simulated second/);
    expect(existsSync(trace)).toBe(true);
  });

  it('replay --until exception N lands on the same state every time, with or without snapshots', async () => {
    const a = await cli(['replay', trace, '--until', 'exception', '15', '--print', 'regs,events']);
    const b = await cli(['replay', trace, '--until=exception:15', '--print', 'regs,events', '--no-snapshots']);
    const c = await cli(['replay', trace, '--until', 'exception', '15', '--print', 'regs,events']);
    expect(a.code).toBe(0);
    expect(a.out).toContain('reached exception 15');
    const state = (s: string): string => s.split('\n').slice(1).join('\n'); // drop the timing line
    expect(state(b.out)).toBe(state(a.out));
    expect(state(c.out)).toBe(state(a.out));
    expect(a.out).toMatch(/#\d+ @\d+ cpu\d exception n=15 /);
  });

  it('replays to the end and prints the UART output; --snapshot writes a restorable file', async () => {
    const snap = join(dir, 'end.hvsnap');
    const r = await cli(['replay', trace, '--snapshot', snap]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('replayed to the end of the recording');
    expect(r.out).toContain('all checks PASS');
    expect(existsSync(snap)).toBe(true);
  });

  it('--no-jit (interpreter only) replays the same recording exactly, and is not recorded', async () => {
    const a = await cli(['replay', trace, '--until', 'exception', '15', '--print', 'regs,events', '--no-snapshots']);
    const b = await cli(['replay', trace, '--until', 'exception', '15', '--print', 'regs,events', '--no-snapshots', '--no-jit']);
    expect(b.code).toBe(0);
    const state = (s: string): string => s.split('\n').slice(1).join('\n');
    expect(state(b.out)).toBe(state(a.out));
    const t = join(dir, 'nojit.hvrr');
    const r = await cli(['record', 'selftest', '-o', t, '--mem', '64M', '--no-jit']);
    expect(r.code).toBe(0);
    expect(readFileSync(t).includes(Buffer.from('no-jit'))).toBe(false);
    const e = await cli(['replay', t]);
    expect(e.code).toBe(0);
    expect(e.out).toContain('replayed to the end of the recording');
  });

  it('dump prints the canonical event lines', async () => {
    const r = await cli(['dump', trace, '--kind', 'exception', '--count', '3']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('#') && / exception n=/.test(l)).length).toBe(3);
  });

  it('refuses a trace whose images differ, naming the image', async () => {
    const kernel = join(dir, 'k.bin');
    writeFileSync(kernel, assemble('ldr x0, =0x84000008\nhvc #0\n', { baseAddress: 0x40080000n }).bytes);
    const t = join(dir, 'k.hvrr');
    expect((await cli(['record', '--kernel', kernel, '-o', t, '--mem', '16M'])).code).toBe(0);
    writeFileSync(kernel, assemble('nop\nldr x0, =0x84000008\nhvc #0\n', { baseAddress: 0x40080000n }).bytes);
    const r = await cli(['replay', t]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/kernel '.*k\.bin' does not match the recording/);
  });

  it('one-line errors for bad traces and bad targets', async () => {
    const garbage = join(dir, 'garbage.hvrr');
    writeFileSync(garbage, 'not a trace at all');
    for (const argv of [['replay', garbage], ['replay', join(dir, 'missing.hvrr')], ['replay', trace, '--until', 'exception', '0'], ['replay', trace, '--until', 'lunch:3'], ['record', 'nosuchscenario']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err, argv.join(' ')).not.toMatch(/\n\s+at /);
    }
    const far = await cli(['replay', trace, '--until', 'exception', '999999']);
    expect(far.code).toBe(2);
    expect(far.out).toContain('not in the recording');
  });

  it('a truncated trace (killed recording) still replays up to its last complete chunk', async () => {
    const bytes = readFileSync(trace);
    const cut = join(dir, 'cut.hvrr');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await cli(['replay', cut, '--print', 'regs']);
    expect([0, 2]).toContain(r.code);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('snapshot files beside the trace', () => {
  const trace = join(dir, 'side.hvrr');
  const snap = `${trace}.snap`;

  it('record --snapshot-file keeps snapshots out of the trace; replay finds TRACE.snap and seeks with it', async () => {
    const r = await cli(['record', 'selftest', '-o', trace, '--smp', '2', '--mem', '64M', '--snapshot-every', '300000', '--snapshot-file', snap]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/; \d+ snapshots in .*side\.hvrr\.snap \(/);
    const p = await cli(['replay', trace, '--print', 'events']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/replayed to the end of the recording from the snapshot at tick [\d,]+ \(after event \d+\)/);
    const n = await cli(['replay', trace, '--no-snapshots', '--print', 'events']);
    expect(n.out).toContain('from power-on');
  });

  it('a stale TRACE.snap from another recording is ignored with a warning; one named with --snapshot-file is refused', async () => {
    const other = join(dir, 'other.hvrr');
    expect((await cli(['record', 'selftest', '-o', other, '--mem', '64M'])).code).toBe(0);
    writeFileSync(`${other}.snap`, readFileSync(snap));
    const p = await cli(['replay', other, '--print', 'events']);
    expect(p.code).toBe(0);
    expect(p.err).toMatch(/^hvrr: ignoring '.*other\.hvrr\.snap' \(it was recorded with another machine, images or seed\); replaying without its snapshots$/m);
    const q = await cli(['replay', other, '--snapshot-file', snap]);
    expect(q.code).toBe(2);
    expect(q.err.trim().split('\n')).toHaveLength(1);
    expect(q.err).toMatch(/snapshot file '.*side\.hvrr\.snap' does not belong to trace/);
  });
});

describe('snapshots of a VM with a virtio-blk disk', () => {
  it('run --restore needs the disk image back (--disk); with it the run continues to the end', async () => {
    const disk = join(dir, 'small.img');
    writeFileSync(disk, Buffer.alloc(64 * 1024, 0x5a));
    const t = join(dir, 'withdisk.hvrr');
    expect((await cli(['record', '-o', t, '--disk', disk])).code).toBe(0);
    const snapOut = join(dir, 'withdisk.snap');
    const r = await cli(['replay', t, '--until', 'exception', '5', '--snapshot', snapOut, '--print', 'events']);
    expect(r.code).toBe(0);
    const bad = await cli(['run', '--restore', snapOut]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("hvrr: the snapshot's VMs have a virtio-blk disk: pass the image they were started with (--disk FILE)\n");
    const wrong = join(dir, 'wrong.img');
    writeFileSync(wrong, Buffer.alloc(4096));
    const w = await cli(['run', '--restore', snapOut, '--disk', wrong]);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/^hvrr: disk image '.*wrong\.img': the disk image has 4096 bytes, the VM's disk had 65536\n$/);
    const ok = await cli(['run', '--restore', snapOut, '--disk', disk]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('diag: all checks done');
  });
});
