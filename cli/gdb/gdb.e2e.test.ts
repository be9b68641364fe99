// Debian's gdb-multiarch drives the stub over TCP (in-process server, gdb as
// a child) on a recorded bare self-test with 2 CPUs: break at a PC,
// continue, stepi, registers and memory, reverse-stepi and reverse-continue
// back to a breakpoint, a watchpoint forward and in reverse; and on the
// self-test under the hypervisor with 4 vCPUs (guest code read through
// Stage 2, threads naming their vCPU). Every stop is
// checked against the instruction count and pc a DebugSession computes
// in-process. Skipped, saying why, when gdb-multiarch is not installed
// (.ci/run installs it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing.js';
import type { DebugSession } from '../../replay/debugSession.js';
import type { Machine } from '../../core/machine.js';
import { GDB, haveGdb, openSession, pcs, positions, runGdb } from './gdbDriver.js';

if (!haveGdb) console.log(`gdb e2e: skipped: ${GDB} is not installed (apt-get install gdb-multiarch)`);

const dir = mkdtempSync(join(tmpdir(), 'hvrr-gdb-e2e-'));
const trace = join(dir, 'selftest.hvrr');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (): DebugSession => openSession(trace);
const gdb = (lines: string[], file = trace): Promise<string> => runGdb(lines, file, dir);

describe.skipIf(!haveGdb)('gdb-multiarch drives hvrr replay --gdb', () => {
  beforeAll(async () => {
    const r = await runCli(['record', 'selftest', '--bare', '-o', trace, '--smp', '2', '--mem', '32M', '--seed', '7', '--snapshot-every', '200000']);
    expect(r.code, r.err).toBe(0);
  }, 120_000);

  it('break, continue, stepi, registers, memory, reverse-stepi, reverse-continue: exact positions and pcs', async () => {
    // Expected stops, computed in-process.
    const s = open();
    s.goTo(30_000);
    const bp = s.machine.core.getPc(0);
    s.goTo(0);
    s.setBreakpoints([{ va: bp, cpuMask: 3, elMask: 0xf }]);
    const h1 = (s.resume(null), s.position);
    const cpu = (s.lastStop as { cpu: number }).cpu;
    const h2 = (s.resume(null), s.position);
    s.setBreakpoints([]);
    s.resume(cpu);
    const stepped = { pos: s.position, pc: s.machine.core.getPc(cpu) };
    const mem = Buffer.from(s.machine.core.readPhys(Number(bp), 8)).readBigUInt64LE(0);

    const out = await gdb([
      `break *0x${bp.toString(16)}`,
      'continue', 'monitor when', 'p/x $pc',
      'continue', 'monitor when', 'p/x $pc',
      'stepi', 'monitor when', 'p/x $pc',
      'info registers x0 sp pc cpsr',
      `x/1gx 0x${bp.toString(16)}`,
      'reverse-stepi', 'monitor when', 'p/x $pc',
      'reverse-continue', 'monitor when', 'p/x $pc',
    ]);
    expect(out).toContain('hit Breakpoint 1');
    expect(positions(out), out).toEqual([h1, h2, stepped.pos, h2, h1]);
    expect(pcs(out), out).toEqual([bp, bp, stepped.pc, bp, bp]);
    expect(out).toMatch(/^cpsr\s+0x[0-9a-f]+/m);
    expect(out).toContain(`0x${mem.toString(16).padStart(16, '0')}`);
  }, 180_000);

  it('a watchpoint stops after the write forward, and in reverse at the write that set the value', async () => {
    const s = open();
    const ram = (m: Machine): Uint8Array => m.core.ramView().slice();
    s.goTo(20_000);
    const a = ram(s.machine);
    s.goTo(60_000);
    const b = ram(s.machine);
    let off = -1;
    for (let i = 0; i < a.length && off < 0; i += 8) if (a.subarray(i, i + 8).some((x, j) => x !== b[i + j])) off = i;
    expect(off).toBeGreaterThanOrEqual(0);
    const pa = s.machine.core.ramPa + off;
    s.setWatches([{ pa, len: 8, read: false, write: true }]);
    const back = s.reverseContinue(); // right after the last write before 60,000
    expect(back.kind).toBe('watch');
    const after = s.position;
    const writer = (back as { cpu: number }).cpu;
    s.setWatches([]);
    s.goTo(after - 1);
    const storePc = s.machine.core.getPc(writer);
    s.goTo(20_000);
    s.setWatches([{ pa, len: 8, read: false, write: true }]);
    s.resume(null); // before the first write after 20,000
    const first = s.position;

    const out = await gdb([
      'monitor seek insn 20000', 'maint flush register-cache', 'monitor phys on',
      `watch *(long *)0x${pa.toString(16)}`,
      'continue', 'monitor when',
      'delete',
      'monitor seek insn 60000', 'maint flush register-cache',
      `watch *(long *)0x${pa.toString(16)}`,
      'reverse-continue', 'monitor when', 'p/x $pc',
    ]);
    expect(out).toMatch(/Hardware watchpoint \d+: \*\(long \*\)0x[0-9a-f]+\s+Old value = /);
    // Forward: gdb steps over the write itself, so it shows the state right after it;
    // in reverse it steps back over it: the state right before the write that set the value.
    expect(positions(out), out).toEqual([20_000, first + 1, 60_000, after - 1]); // seeks print where they land too
    expect(pcs(out).at(-1), out).toBe(storePc);
  }, 180_000);

  it('under the hypervisor (4 vCPUs): a guest breakpoint, its code read through Stage 2, reverse-stepi', async () => {
    const hv = join(dir, 'hv.hvrr');
    const r = await runCli(['record', 'selftest', '-o', hv, '--smp', '4', '--mem', '64M', '--seed', '2', '--snapshot-every', '300000']);
    expect(r.code, r.err).toBe(0);
    const s = openSession(hv);
    s.goTo(400_000);
    const cpu = [0, 1, 2, 3].find((c) => s.machine.core.el(c) === 1) ?? 0;
    s.resume(cpu);
    const bp = s.machine.core.getPc(cpu);
    s.goTo(0);
    s.setBreakpoints([{ va: bp, cpuMask: 0xf, elMask: 0xf }]);
    s.resume(null);
    const hit = { pos: s.position, cpu: (s.lastStop as { cpu: number }).cpu };
    s.setBreakpoints([]);
    s.reverseStep(hit.cpu);
    const back = s.position;
    const out = await gdb([
      `break *0x${bp.toString(16)}`, 'continue', 'monitor when', 'info threads', 'x/1xw $pc',
      'reverse-stepi', 'monitor when',
    ], hv);
    expect(positions(out), out).toEqual([hit.pos, back]);
    expect(out).toMatch(new RegExp(`Thread ${hit.cpu + 1} \\(cpu${hit.cpu} running EL1 vm0 vcpu${hit.cpu}\\)`));
    expect(out).toMatch(new RegExp(`0x0*${bp.toString(16)}:\\s+0x[0-9a-f]{8}`));
  }, 240_000);
});
