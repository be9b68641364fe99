// The debugger's session over a recording: forward stepi / continue to
// breakpoints and watchpoints, and reverse-stepi / reverse-continue exact to
// the instruction (replay/debugSession.ts).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import { machineForRecording } from '../cli/commands/record.js';
import type { Machine } from '../core/machine.js';
import { TraceReader } from './traceFile.js';
import { DebugSession } from './debugSession.js';
import { captureMachine } from '../core/snapshot.js';
import { suiteSeed } from '../property-tests/seed.js';
import { xorshift32 } from '../core/clock/xorshift32.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-debug-'));
const trace = join(dir, 'selftest.hvrr');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const r = await runCli(['record', 'selftest', '--bare', '-o', trace, '--smp', '2', '--mem', '32M', '--seed', '5', '--snapshot-every', '200000']);
  expect(r.code, r.err).toBe(0);
}, 120_000);

function open(opts: { hitSpacing?: number } = {}): DebugSession {
  const reader = TraceReader.open(trace);
  const m = machineForRecording(reader.header, trace);
  return new DebugSession(m, { reader, snapshots: reader }, opts);
}

/** Sessions as shipped, and keeping the machine at every hit reverse-continue's scans meet. */
const HIT_KEEPING = [{ name: 'default', opts: {} }, { name: 'every hit kept', opts: { hitSpacing: 1 } }];

/** Architectural state: every CPU's registers, every device and component
 *  record, and RAM (which machineStateHash leaves out). Not the TLB image,
 *  whose write tags follow the dirty-page map. */
function stateHash(m: Machine): string {
  const { ram, secureRam, cpus, ...rest } = captureMachine(m);
  const json = JSON.stringify({ ...rest, cpus: cpus.map(({ tlb: _t, ...c }) => c) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  return createHash('sha256').update(json).update(ram).update(secureRam).digest('hex');
}

/** A tiny deterministic PRNG for the property (seeded, printed). */
function prng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x1_0000_0000;
}

describe('debug session over a recording', () => {
  it('stepi moves one CPU by one instruction; reverse-stepi undoes it exactly', () => {
    const s = open();
    s.goTo(1000);
    const before = stateHash(s.machine);
    const pc0 = s.machine.core.getPc(0);
    expect(s.resume(0)).toEqual({ kind: 'step', cpu: 0 });
    expect(s.position).toBe(1001);
    expect(s.reverseStep(0)).toEqual({ kind: 'step', cpu: 0 });
    expect(s.position).toBe(1000);
    expect(s.machine.core.getPc(0)).toBe(pc0);
    expect(stateHash(s.machine)).toBe(before);
  });

  it('going back snapshot by snapshot: each restored from the image derived from the next one (no decoding) is the state a cold restore gives', () => {
    const reader = TraceReader.open(trace);
    const snaps = reader.snapshots().map((x) => x.instructions).filter((k) => k > 0).sort((a, b) => b - a);
    expect(snaps.length, 'the recording has incremental snapshots').toBeGreaterThan(3);
    const s = open();
    for (const k of snaps) {
      // The first runs forward from power-on, the second restores its snapshot
      // (decoding its chain); every later one is derived from the one after it.
      s.goTo(k + 100);
      const cold = open();
      cold.goTo(k + 100);
      expect(stateHash(s.machine), `at ${k + 100}`).toBe(stateHash(cold.machine));
    }
    expect(s.stats.derivedImages).toBe(snaps.length - 2);
    // And forwards again, from the derived images to the image they came from.
    for (const k of [snaps.at(-1)!, snaps[1]!]) {
      s.goTo(k + 50);
      const cold = open();
      cold.goTo(k + 50);
      expect(stateHash(s.machine), `at ${k + 50}`).toBe(stateHash(cold.machine));
    }
  });

  it('property: at random points, stepi then reverse-stepi then stepi returns to the identical state', () => {
    const seed = suiteSeed('reverse-stepi property', 'HVRR_RSTEP_SEED', 20261205, { points: 6 });
    const rnd = prng(seed);
    // Checkpoints close together, so reverse steps also start from the session's own.
    const reader = TraceReader.open(trace);
    const s = new DebugSession(machineForRecording(reader.header, trace), { reader, snapshots: reader }, { checkpointDistance: 50_000, checkpointBack: 5_000 });
    const end = Math.max(...reader.snapshots().map((x) => x.instructions));
    for (let i = 0; i < 6; i++) {
      const k = Math.floor(rnd() * end);
      const cpu = rnd() < 0.5 ? 0 : 1;
      s.goTo(k);
      const st = s.resume(cpu, 5_000_000);
      if (st?.kind !== 'step') continue; // that CPU does not run again before the end
      const here = { pos: s.position, hash: stateHash(s.machine) };
      expect(s.reverseStep(cpu).kind, `seed ${seed} point ${k} cpu ${cpu}`).toBe('step');
      expect(s.position).toBeLessThan(here.pos);
      expect(s.resume(cpu)).toEqual({ kind: 'step', cpu });
      expect({ pos: s.position, hash: stateHash(s.machine) }, `seed ${seed} point ${k} cpu ${cpu}`).toEqual(here);
      // Twice more from here: the second reverse step starts from the checkpoint the first took.
      s.reverseStep(cpu);
      s.reverseStep(cpu);
      const back2 = { pos: s.position, hash: stateHash(s.machine) };
      s.goTo(0);
      s.goTo(back2.pos);
      expect({ pos: s.position, hash: stateHash(s.machine) }, `seed ${seed} point ${k} cpu ${cpu} (two back)`).toEqual(back2);
    }
    expect(s.stats.checkpoints).toBeGreaterThan(0);
  });

  it.each(HIT_KEEPING)('continue stops at breakpoints; reverse-continue returns to the previous hit exactly, then to the start ($name)', ({ opts }) => {
    const s = open(opts);
    s.goTo(5000);
    const pc = s.machine.core.getPc(0);
    s.setBreakpoints([{ va: pc, cpuMask: 3, elMask: 0xf }]);
    const hits: { pos: number; hash: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const st = s.resume(null);
      if (st?.kind !== 'breakpoint') break;
      expect(s.machine.core.getPc(st.cpu)).toBe(pc);
      hits.push({ pos: s.position, hash: stateHash(s.machine) });
    }
    expect(hits.length).toBeGreaterThanOrEqual(2);
    const last = hits.length - 1;
    s.resume(0); // off the breakpoint
    expect(s.reverseContinue().kind).toBe('breakpoint');
    expect({ pos: s.position, hash: stateHash(s.machine) }).toEqual(hits[last]);
    expect(s.reverseContinue().kind).toBe('breakpoint');
    expect({ pos: s.position, hash: stateHash(s.machine) }).toEqual(hits[last - 1]);
    // Before the first hit, the breakpoint was met at 5000 at the latest (we were there); clear it and go to the start.
    s.setBreakpoints([]);
    expect(s.reverseContinue()).toEqual({ kind: 'begin' });
    expect(s.position).toBe(0);
  });

  it.each([1, 3_000, 10_000, 30_000])('reverse-continue over many hits, keeping the machine at hits %i instructions apart: every stop is the forward one, back to the start', (hitSpacing) => {
    // Kept hits become bases: a scan from one must count the hit at its own position.
    const s = open({ hitSpacing });
    s.goTo(300_000);
    const cpu = s.machine.core.el(0) === 1 ? 0 : 1;
    const pc = s.machine.core.getPc(cpu);
    s.goTo(0);
    s.setBreakpoints([{ va: pc, cpuMask: 3, elMask: 0xf }]);
    const hits: { pos: number; hash: string }[] = [];
    for (let i = 0; i < 12; i++) {
      if (s.resume(null)?.kind !== 'breakpoint') break;
      hits.push({ pos: s.position, hash: stateHash(s.machine) });
    }
    expect(hits.length, `pc 0x${pc.toString(16)}`).toBeGreaterThanOrEqual(3);
    expect(s.resume(null, 1), 'a slice of a continue, not at a hit').toBeNull(); // the last hit is behind, not the stop we are at
    const before = s.stats.checkpoints;
    for (let i = hits.length - 1; i >= 0; i--) {
      expect(s.reverseContinue().kind, `hit ${i}`).toBe('breakpoint');
      expect({ pos: s.position, hash: stateHash(s.machine) }, `hit ${i}`).toEqual(hits[i]);
    }
    if (hitSpacing === 1) expect(s.stats.checkpoints, 'stops restored from kept hits').toBeGreaterThan(before);
    // From the first hit the breakpoint was last met before it, if ever: nothing else lies between.
    s.setBreakpoints([]);
    expect(s.reverseContinue()).toEqual({ kind: 'begin' });
    // And forwards from a kept hit: the same machine as the forward run.
    s.setBreakpoints([{ va: pc, cpuMask: 3, elMask: 0xf }]);
    s.resume(null);
    s.resume(null);
    expect({ pos: s.position, hash: stateHash(s.machine) }).toEqual(hits[1]);
  });

  it.each(HIT_KEEPING)('a watchpoint stops forward before the write and backward right after the write that set the value ($name)', ({ opts }) => {
    const s = open(opts);
    const ram = (m: Machine) => m.core.ramView().slice();
    s.goTo(20_000);
    const a = ram(s.machine);
    s.goTo(60_000);
    const b = ram(s.machine);
    let off = -1;
    for (let i = 0; i < a.length; i += 8) if (a.subarray(i, i + 8).some((x, j) => x !== b[i + j])) { off = i; break; }
    expect(off).toBeGreaterThanOrEqual(0);
    const pa = s.machine.core.ramPa + off;
    const word = (m: Machine) => Buffer.from(m.core.readPhys(pa, 8)).toString('hex');
    const final = word(s.machine);
    s.setWatches([{ pa, len: 8, read: false, write: true }]);
    const st = s.reverseContinue();
    expect(st).toMatchObject({ kind: 'watch', isWrite: true, reverse: true });
    const at = s.position;
    expect(at).toBeGreaterThan(20_000);
    expect(word(s.machine)).toBe(final); // right after the write that set it
    s.setWatches([]);
    s.goTo(at - 1);
    expect(word(s.machine)).not.toBe(final); // before it
    // Forward from before the write: the watchpoint stops before the same instruction.
    s.setWatches([{ pa, len: 8, read: false, write: true }]);
    expect(s.resume(null)).toMatchObject({ kind: 'watch', isWrite: true, reverse: false });
    expect(s.position).toBe(at - 1);
    expect(word(s.machine)).not.toBe(final);
  });
});

describe('debug session over a recording under the hypervisor (4 vCPUs on 4 pCPUs)', () => {
  const hvTrace = join(dir, 'selftest-hv.hvrr');
  beforeAll(async () => {
    const r = await runCli(['record', 'selftest', '-o', hvTrace, '--smp', '4', '--mem', '64M', '--seed', '9', '--snapshot-every', '300000']);
    expect(r.code, r.err).toBe(0);
  }, 120_000);

  it('reverse-stepi then stepi returns to the same state on every CPU; reverse-continue finds the previous breakpoint hit', () => {
    const reader = TraceReader.open(hvTrace);
    const s = new DebugSession(machineForRecording(reader.header, hvTrace), { reader, snapshots: reader });
    const seed = suiteSeed('reverse-stepi under the hypervisor', 'HVRR_RSTEP_SEED', 20261205, { points: 4 });
    const rnd = prng(seed);
    const end = Math.max(...reader.snapshots().map((x) => x.instructions));
    let checked = 0;
    for (let i = 0; i < 4; i++) {
      const k = Math.floor(rnd() * end);
      const cpu = Math.floor(rnd() * 4);
      s.goTo(k);
      if (s.resume(cpu, 3_000_000)?.kind !== 'step') continue;
      const here = { pos: s.position, hash: stateHash(s.machine) };
      s.reverseStep(cpu);
      s.resume(cpu);
      expect({ pos: s.position, hash: stateHash(s.machine) }, `seed ${seed} point ${k} cpu ${cpu}`).toEqual(here);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    // A guest pc (EL1, behind Stage 2) hit twice: reverse-continue from the second lands on the first.
    s.goTo(Math.floor(end / 2));
    const cpu = [0, 1, 2, 3].find((c) => s.machine.core.el(c) === 1 && s.machine.cpuState(c) === 'running') ?? 0;
    const pc = s.machine.core.getPc(cpu);
    s.setBreakpoints([{ va: pc, cpuMask: 0xf, elMask: 0xf }]);
    s.resume(cpu);
    const hits: number[] = [];
    for (let i = 0; i < 2; i++) if (s.resume(null)?.kind === 'breakpoint') hits.push(s.position);
    expect(hits.length, `pc 0x${pc.toString(16)} of cpu${cpu}`).toBe(2);
    s.resume(cpu);
    expect(s.reverseContinue().kind).toBe('breakpoint');
    expect(s.position).toBe(hits[1]);
  }, 120_000);
});
