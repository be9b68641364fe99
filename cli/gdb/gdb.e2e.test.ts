// Debian's gdb-multiarch drives the stub over TCP (in-process server, gdb as
// a child) on a recorded bare self-test with 2 CPUs: break at a PC,
// continue, stepi, registers and memory, reverse-stepi and reverse-continue
// back to a breakpoint, a watchpoint forward and in reverse; and on the
// self-test under the hypervisor with 4 vCPUs (guest code read through
// Stage 2, threads naming their vCPU). On both, gdb also works by symbol
// with the ELF `hvrr elf selftest` writes (break at a label, watch a
// variable by name, reverse-continue to its write). Every stop is
// checked against the instruction count and pc a DebugSession computes
// in-process. Skipped, saying why, when gdb-multiarch is not installed
// (.ci/run installs it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, Sink } from '../testing.js';
import type { DebugSession } from '../../replay/debugSession.js';
import type { Machine } from '../../core/machine.js';
import { GDB, gdbOnPort, haveGdb, openSession, pcs, positions, runGdb } from './gdbDriver.js';
import { selftestSymbol } from '../../guests/selftest/index.js';
import { physicalOf } from './memory.js';
import { cpuView } from './threads.js';

if (!haveGdb) console.log(`gdb e2e: skipped: ${GDB} is not installed (apt-get install gdb-multiarch)`);

const dir = mkdtempSync(join(tmpdir(), 'hvrr-gdb-e2e-'));
const trace = join(dir, 'selftest.hvrr');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (): DebugSession => openSession(trace);
const gdb = (lines: string[], file = trace): Promise<string> => runGdb(lines, file, dir);

/**
 * gdb watches an 8-byte word of guest RAM (physical addresses) that a guest
 * store changes between positions `from` and `to`: forward from `from` it
 * stops after the first write, in reverse from `to` at the write that set
 * the value; positions and the store's pc as a DebugSession finds them.
 * Words written by TypeScript software (the hypervisor) are skipped: data
 * watches see CPU stores only (docs/gdb.md).
 */
async function watchScenario(file: string, from: number, to: number, ram?: { pa: number; bytes: number }): Promise<void> {
  const s = openSession(file);
  const snapshotOf = (m: Machine): Uint8Array => m.core.ramView().slice();
  s.goTo(from);
  const a = snapshotOf(s.machine);
  s.goTo(to);
  const b = snapshotOf(s.machine);
  const base = s.machine.core.ramPa;
  const lo = ram ? ram.pa - base : 0;
  const hi = ram ? lo + ram.bytes : a.length;
  let found: { pa: number; after: number; writer: number } | null = null;
  for (let i = lo; i < hi && !found; i += 8) {
    if (!a.subarray(i, i + 8).some((x, j) => x !== b[i + j])) continue;
    s.goTo(to);
    s.setWatches([{ pa: base + i, len: 8, read: false, write: true }]);
    const back = s.reverseContinue(); // right after the last write before `to`
    if (back.kind === 'watch') found = { pa: base + i, after: s.position, writer: back.cpu };
  }
  expect(found, 'a word a guest store changed').not.toBeNull();
  const { pa, after, writer } = found!;
  s.setWatches([]);
  s.goTo(after - 1);
  const storePc = s.machine.core.getPc(writer);
  s.goTo(from);
  s.setWatches([{ pa, len: 8, read: false, write: true }]);
  s.resume(null); // before the first write after `from`
  const first = s.position;

  const out = await gdb([
    `monitor seek insn ${from}`, 'maint flush register-cache', 'monitor phys on',
    `watch *(long *)0x${pa.toString(16)}`,
    'continue', 'monitor when',
    'delete',
    `monitor seek insn ${to}`, 'maint flush register-cache',
    `watch *(long *)0x${pa.toString(16)}`,
    'reverse-continue', 'monitor when', 'p/x $pc',
  ], file);
  expect(out).toMatch(/Hardware watchpoint \d+: \*\(long \*\)0x[0-9a-f]+\s+Old value = /);
  // Forward: gdb steps over the write itself, so it shows the state right after it;
  // in reverse it steps back over it: the state right before the write that set the value.
  expect(positions(out), out).toEqual([from, first + 1, to, after - 1]); // seeks print where they land too
  expect(pcs(out).at(-1), out).toBe(storePc);
}

/**
 * gdb with the self-test's symbols (`hvrr elf selftest`): break at the label
 * atomic_work, continue, stepi, watch the variable shared_counter by name,
 * continue to two writes, reverse-continue to the write that set the value,
 * reverse-stepi, stepi back; `monitor when` after each. The expected stops
 * are a DebugSession's, driven as gdb drives the stub (a watch stop is
 * stepped over with nothing armed; a reverse watch stop is stepped back).
 * Returns gdb's output for the caller's own checks.
 */
async function symbolScenario(file: string): Promise<string> {
  const elf = join(dir, 'selftest.elf');
  const r = await runCli(['elf', 'selftest', '-o', elf]);
  expect(r.code, r.err).toBe(0);
  const bp = selftestSymbol('atomic_work');
  const counter = selftestSymbol('shared_counter');

  const s = openSession(file);
  const all = (1 << s.machine.numCpus) - 1;
  const bps = [{ va: bp, cpuMask: all, elMask: 0xf }];
  s.setBreakpoints(bps);
  const hit = s.resume(null) as { kind: string; cpu: number };
  expect(hit.kind).toBe('breakpoint');
  const h1 = s.position;
  s.setBreakpoints([]);
  s.resume(hit.cpu);
  const stepped = { pos: s.position, pc: s.machine.core.getPc(hit.cpu) };
  const pa = physicalOf(s.machine, cpuView(s.machine, hit.cpu), counter, false);
  expect(typeof pa, 'shared_counter maps to RAM').toBe('number');
  const watches = [{ pa: pa as number, len: 8, read: false, write: true }];
  const writes: { pos: number; cpu: number }[] = [];
  for (let i = 0; i < 2; i++) {
    s.setBreakpoints(bps);
    s.setWatches(watches);
    const w = s.resume(null) as { kind: string; cpu: number };
    expect(w.kind, 'the next stop is a write to shared_counter').toBe('watch');
    s.setBreakpoints([]);
    s.setWatches([]);
    s.resume(w.cpu); // gdb steps over the store
    writes.push({ pos: s.position, cpu: w.cpu });
  }
  s.setBreakpoints(bps);
  s.setWatches(watches);
  const back = s.reverseContinue() as { kind: string; cpu: number };
  expect(back.kind).toBe('watch');
  s.reverseStep(back.cpu); // gdb steps back over the store
  const before = { pos: s.position, pc: s.machine.core.getPc(back.cpu) };
  s.reverseStep(back.cpu);
  const rstep = s.position;

  const out = await runGdb([
    'break atomic_work', 'continue', 'monitor when', 'p/x $pc',
    'stepi', 'monitor when', 'p/x $pc',
    'watch (long)shared_counter',
    'continue', 'monitor when',
    'continue', 'monitor when',
    'reverse-continue', 'monitor when', 'p/x $pc', 'x/i $pc',
    'reverse-stepi', 'monitor when',
    'stepi', 'monitor when', 'p/x $pc',
    'p (long)shared_counter', 'info threads',
  ], file, dir, 120_000, elf);
  expect(out, out).toContain(`Breakpoint 1 at 0x${bp.toString(16)}`);
  expect(out).toMatch(/hit Breakpoint 1, 0x0*[0-9a-f]+ in atomic_work \(\)/);
  expect(out).toMatch(/Watchpoint 2: \(long\)shared_counter\s+Old value = 0\s+New value = 1/);
  expect(out).toMatch(/Watchpoint 2: \(long\)shared_counter\s+Old value = 1\s+New value = 2/);
  // In reverse gdb shows the change the other way round: the value before the write that set 2.
  expect(out).toMatch(/Watchpoint 2: \(long\)shared_counter\s+Old value = 2\s+New value = 1/);
  expect(out).toMatch(/=> 0x[0-9a-f]+ <atomic_work\+\d+>:\s+stlxr\s/);
  expect(positions(out), out).toEqual([h1, stepped.pos, writes[0]!.pos, writes[1]!.pos, before.pos, rstep, before.pos]);
  expect(pcs(out), out).toEqual([bp, stepped.pc, before.pc, before.pc]);
  expect(out).toMatch(/^\$\d+ = 1$/m);
  return out;
}

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

  it('by symbol (hvrr elf selftest): break atomic_work, stepi, watch shared_counter, reverse-continue to the write that set it, reverse-stepi', async () => {
    await symbolScenario(trace);
  }, 180_000);

  it('hvrr replay --gdb names the command for the built-in guest\'s symbols; gdb with them breaks at a label', async () => {
    const elf = join(dir, 'cli-selftest.elf');
    expect((await runCli(['elf', 'selftest', '-o', elf])).code).toBe(0);
    let listening: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (listening = resolve));
    const err = new (class extends Sink {
      override write(c: string | Uint8Array): boolean {
        super.write(c);
        const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(this.text);
        if (m) listening(Number(m[1]));
        return true;
      }
    })();
    const cli = runCli(['replay', trace, '--gdb', '0'], { stderr: err });
    const out = await gdbOnPort(await port, ['break atomic_work', 'continue', 'info symbol $pc'], dir, 120_000, elf);
    expect((await cli).code).toBe(0);
    expect(err.text).toContain("hvrr: symbols of the built-in guest 'selftest': hvrr elf selftest -o selftest.elf, then in gdb: file selftest.elf");
    expect(out).toMatch(/hit Breakpoint 1, 0x0*[0-9a-f]+ in atomic_work \(\)/);
    expect(out).toMatch(/^atomic_work in section \.text$/m);
  }, 180_000);

  it('a watchpoint stops after the write forward, and in reverse at the write that set the value', async () => {
    await watchScenario(trace, 20_000, 60_000);
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

  it('under the hypervisor (4 vCPUs, each a thread): by symbol, break atomic_work, watch shared_counter, reverse-continue, reverse-stepi', async () => {
    const hv = join(dir, 'hv-sym.hvrr');
    const r = await runCli(['record', 'selftest', '-o', hv, '--smp', '4', '--mem', '64M', '--seed', '2', '--snapshot-every', '300000']);
    expect(r.code, r.err).toBe(0);
    const out = await symbolScenario(hv);
    for (let v = 0; v < 4; v++) expect(out).toMatch(new RegExp(`^\\s+${5 + v}\\s+Thread ${5 + v} \\(vm0 vcpu${v} `, 'm'));
    expect(out).toMatch(/Thread \d+ \(cpu\d running EL1 vm0 vcpu\d\)\s+0x[0-9a-f]+ in atomic_work \(\)/);
  }, 240_000);

  it('under the hypervisor (4 vCPUs): a watchpoint on a word of the VM\'s RAM, forward and in reverse to the guest store that set it', async () => {
    const hv = join(dir, 'hv-watch.hvrr');
    const r = await runCli(['record', 'selftest', '-o', hv, '--smp', '4', '--mem', '64M', '--seed', '2', '--snapshot-every', '300000']);
    expect(r.code, r.err).toBe(0);
    const s = openSession(hv);
    const vm = (s.machine.component('hypervisor').getState() as { vms: Array<{ backingPa: number; ramBytes: number }> }).vms[0]!;
    await watchScenario(hv, 200_000, 600_000, { pa: vm.backingPa, bytes: vm.ramBytes });
  }, 240_000);
});
