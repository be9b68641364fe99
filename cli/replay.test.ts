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

  it('dump --json: a header object, then one object per event with stable fields (and inputs, hashes)', async () => {
    const r = await cli(['dump', trace, '--json', '--count', '40', '--hashes']);
    expect(r.code).toBe(0);
    const objs = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs[0]).toMatchObject({ record: 'trace', path: trace, seed: '3' });
    const evs = objs.filter((o) => o.record === 'event');
    expect(evs).toHaveLength(40);
    expect(evs.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const e of evs) expect(Object.keys(e).slice(0, 5)).toEqual(['record', 'seq', 'tick', 'cpu', 'kind']);
    const text = await cli(['dump', trace, '--count', '40']);
    expect(text.out.split('\n').filter((l) => l.startsWith('#') && /^#\d/.test(l))).toHaveLength(40);
  });

  it('dump --from past the last event says so and exits 2', async () => {
    const r = await cli(['dump', trace, '--from', '99999999']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^hvrr: --from 99999999: the trace's events are #0\.\.#\d+\n$/);
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
  });

  it('every target the recording does not reach: one line on stderr naming how far it goes, exit 2, nothing on stdout', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--until', 'exception', '999999'], /^hvrr: exception 999999 is not in the recording: the recording's last exception is [\d,]+\n$/],
      [['--until', 'event', '99999999'], /^hvrr: event 99999999 is not in the recording: the recording's events are #0\.\.#\d+\n$/],
      [['--until', 'tick', '999999999999'], /^hvrr: tick 999999999999 is not in the recording: the recording's events end at tick [\d,]+\n$/],
      [['--until', 'uart', 'no such text'], /^hvrr: uart "no such text" is not in the recording: the console output holds it nowhere\n$/],
      [['--until', 'psci', 'SYSTEM_RESET'], /^hvrr: psci SYSTEM_RESET is not in the recording: the recording makes that call nowhere\n$/],
      [['--until', 'smc'], /^hvrr: smc is not in the recording: the recording takes no SMC exceptions\n$/],
      [['--until', 'pc', '0x10000000'], /^hvrr: pc 0x10000000 is not in the recording: replayed to the end of the recording \([\d]+ events\) without meeting it\n$/],
      [['--until', 'sysreg', 'VBAR_EL1', '--count', '1000'], /^hvrr: sysreg VBAR_EL1 \(occurrence 1000\) is not in the recording: replayed to the end .* \(met \d+ times?\)\n$/],
    ];
    for (const [args, err] of cases) {
      const r = await cli(['replay', trace, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toBe('');
      expect(r.err, args.join(' ')).toMatch(err);
    }
  });

  it('bad stop conditions are one-line usage errors', async () => {
    for (const args of [['--until', 'pc', '0x40080002'], ['--until', 'pc', '0x40080000,cpu9'], ['--until', 'pc', '0x40080000,core1'], ['--until', 'psci', 'LUNCH'],
      ['--until', 'sysreg', 'NOT_A_REG'], ['--until', 'exception', '3', '--count', '2'], ['--count', '0', '--until', 'hvc'], ['--until', 'uart', ''], ['--print', 'json,regs']]) {
      const r = await cli(['replay', trace, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(/^hvrr: /);
    }
  });

  it('--until event N stops at the end of the step that emitted N (a 4-CPU recording: no later instruction runs)', async () => {
    const t4 = join(dir, 't4.hvrr');
    expect((await cli(['record', '--guest', 'selftest', '--smp', '4', '--snapshot-every', '1000000', '-o', t4])).code).toBe(0);
    // Events 0-8 are the hypervisor's start on cpu0 at tick 0 (one step); event 9 is the guest's first trap at tick 18.
    const r = await cli(['replay', t4, '--until', 'event', '2', '--print', 'events']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^at tick 0, 0 instructions, 9 events$/m);
    const lines = r.out.split('\n');
    const same = lines.indexOf('the same step also emitted (replayed; the machine is after them):');
    expect(same).toBeGreaterThan(0);
    expect(lines.slice(0, same).filter((l) => l.startsWith('  #')).pop()).toMatch(/^  #2 @0 cpu0 psci /);
    expect(lines.slice(same + 1).filter((l) => l.startsWith('  #')).map((l) => l.split(' ')[2])).toEqual(['#3', '#4', '#5', '#6', '#7', '#8']);
    expect(r.out).not.toContain('#9 ');
    const snap = join(dir, 't4-e2.hvsnap');
    expect((await cli(['replay', t4, '--until', 'event', '9', '--snapshot', snap, '--print', 'events'])).out).toMatch(/^at tick 18, 18 instructions, 10 events$/m);
  });

  it('replay --until X --snapshot OUT, then run --restore OUT, ends with the uninterrupted run\'s digest (event, tick, pc, uart, sysreg)', async () => {
    const whole = await cli(['run', '--guest', 'selftest', '--smp', '2', '--mem', '64M', '--seed', '3', '--digest']);
    const digest = /trace digest ([0-9a-f]{64})/.exec(whole.err)?.[1];
    expect(digest, whole.err).toBeDefined();
    const targets = [['event', '777'], ['tick', '654321'], ['pc', '0x40080000'], ['uart', 'PASS', '--count', '3'], ['sysreg', 'VBAR_EL1']];
    for (const [i, t] of targets.entries()) {
      const snap = join(dir, `cont-${i}.hvsnap`);
      const r = await cli(['replay', trace, '--until', ...t, '--snapshot', snap, '--print', 'events']);
      expect(r.code, `${t.join(' ')}: ${r.err}`).toBe(0);
      const c = await cli(['run', '--restore', snap, '--digest']);
      expect(c.code, c.err).toBe(0);
      expect(/trace digest ([0-9a-f]{64})/.exec(c.err)?.[1], t.join(' ')).toBe(digest);
    }
  });

  it('pc, uart, psci, hvc and sysreg stops; --print json gives one object per line', async () => {
    const pc = await cli(['replay', trace, '--until', 'pc', '0x40080000', '--print', 'regs']);
    expect(pc.code).toBe(0);
    expect(pc.out).toMatch(/reached pc 0x40080000 on cpu0, replaying from power-on/);
    expect(pc.out).toMatch(/^cpu0: running @\d+ EL1h pc=0x0000000040080000 /m);
    const u = await cli(['replay', trace, '--until', 'uart', 'PASS\\n', '--count', '2', '--print', 'uart']);
    expect(u.code).toBe(0);
    expect(u.out.match(/PASS\n/g)).toHaveLength(2);
    expect(u.out.trimEnd().endsWith('PASS')).toBe(true);
    const p = await cli(['replay', trace, '--until', 'psci', 'cpu_on', '--print', 'events']);
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/reached psci CPU_ON \(event \d+\)/);
    expect(p.out).toMatch(/last events:\n(?:  .*\n)*  #\d+ @\d+ cpu\d psci fn=0xc4000003 .*\n(?!  #)/);
    const h = await cli(['replay', trace, '--until', 'smc', '0x84000000', '--print', 'events']);
    expect([0, 2]).toContain(h.code);
    const j = await cli(['replay', trace, '--until', 'exception', '7', '--print', 'json']);
    expect(j.code).toBe(0);
    const objs = j.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs[0]).toMatchObject({ record: 'stop', status: 'reached', target: 'exception 7' });
    expect(objs.filter((o) => o.record === 'cpu')).toHaveLength(2);
    const evs = objs.filter((o) => o.record === 'event');
    expect(Object.keys(evs[evs.length - 1]!)).toEqual(['record', 'seq', 'tick', 'cpu', 'kind', 'n', 'type', 'fromEl', 'toEl', 'ec', 'esr', 'elr', 'far']);
    expect(evs[evs.length - 1]).toMatchObject({ kind: 'exception', n: 7 });
    expect(objs[objs.length - 1]!.record).toBe('uart');
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

describe('snapshots of a bare machine with flash', () => {
  it('run --restore needs the flash image back (--pflash); with it the run continues to the end', async () => {
    const flash = join(dir, 'bank1.fd');
    writeFileSync(flash, Buffer.alloc(64 << 20, 0xff));
    const t = join(dir, 'withflash.hvrr');
    const rec = await cli(['record', 'selftest', '--bare', '-o', t, '--pflash', flash]);
    expect(rec.code).toBe(0);
    const snapOut = join(dir, 'withflash.snap');
    const r = await cli(['replay', t, '--until', 'exception', '5', '--snapshot', snapOut, '--print', 'events']);
    expect(r.code).toBe(0);
    const bad = await cli(['run', '--restore', snapOut]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("hvrr: the snapshot's flash bank 1 was started with an image: pass it again (--pflash FILE)\n");
    const wrong = join(dir, 'wrong.fd');
    writeFileSync(wrong, Buffer.alloc(64 << 20));
    const w = await cli(['run', '--restore', snapOut, '--pflash', wrong]);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/^hvrr: '.*wrong\.fd': the image differs from the one flash bank 1 was started with \(sha256 [0-9a-f]{16}\.\.\.\)\n$/);
    const ok = await cli(['run', '--restore', snapOut, '--pflash', flash]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('all checks PASS');
  });
});

describe('firmware from flash on the bare machine (--bios --bare)', () => {
  it('records and replays exactly: the firmware runs from flash bank 0, reads its message there and programs bank 1', async () => {
    const bios = join(dir, 'fw.bin');
    writeFileSync(bios, assemble(`
    ldr x1, =0x09000000
    adr x2, msg
print:
    ldrb w3, [x2]
    cbz w3, program
    str w3, [x1]
    add x2, x2, #1
    b print
program:
    ldr x4, =0x04000000     // bank 1: program a word, back to read array, read it
    mov w5, #0x40
    str w5, [x4]
    ldr w5, =0x4f4b0a21     // "!\\nKO" little-endian
    str w5, [x4]
    mov w5, #0xff
    str w5, [x4]
    ldr w6, [x4]
    str w6, [x1]
    lsr w6, w6, #8
    str w6, [x1]
    ldr x0, =0x84000008
    hvc #0
msg:
    .asciz "from flash"
`, { baseAddress: 0n }).bytes);
    const t = join(dir, 'fw.hvrr');
    const r = await cli(['record', '--bios', bios, '--bare', '-o', t]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('from flash!\n');
    const p = await cli(['replay', t, '--print', 'uart']);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toContain('replayed to the end of the recording');
    expect(p.out).toContain('from flash!\n');
  });
});

describe('hvrr record --chaos', () => {
  it('prints the seed and derived options first, records the level, and replays exactly (also from a snapshot, also --restore)', async () => {
    const t = join(dir, 'chaos.hvrr');
    const r = await cli(['record', 'selftest', '-o', t, '--smp', '4', '--mem', '64M', '--seed', '11', '--chaos', '3', '--snapshot-every', '200000']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('all checks PASS');
    expect(r.err.split('\n')[0]).toBe('hvrr: seed 11, chaos: level 3 (window length 10-100% of the quantum, PE order rotated per window, simultaneous events shuffled, timer interrupt latency 0-100000 ticks, vCPU pick random)');
    const v = await cli(['verify', t]);
    expect(v.code, v.out + v.err).toBe(0);
    const a = await cli(['replay', t, '--until', 'exception', '40', '--print', 'regs,events']);
    const b = await cli(['replay', t, '--until', 'exception', '40', '--print', 'regs,events', '--no-snapshots']);
    expect(a.code).toBe(0);
    const state = (s: string): string => s.split('\n').slice(1).join('\n');
    expect(state(b.out)).toBe(state(a.out));
    const snap = join(dir, 'chaos.hvsnap');
    expect((await cli(['replay', t, '--until', 'exception', '40', '--snapshot', snap])).code).toBe(0);
    expect((await cli(['run', '--restore', snap, '--chaos', '1'])).err).toMatch(/--chaos cannot be combined with --restore/);
    const rest = await cli(['run', '--restore', snap]);
    expect(rest.code, rest.err).toBe(0);
    expect(rest.out).toContain('all checks PASS');
  });

  it('refuses a level outside 0..3 in one line', async () => {
    const r = await cli(['run', '--chaos', '4']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--chaos/);
  });
});
