// Replay stops exactly where asked (docs/replay.md "Where a run stops"), on
// every scenario (1, 2 and 4 CPUs; bare and under the hypervisor): for random
// targets of every kind,
// - the machine stops at the end of the target's step: events after the
//   target event come from that step only (same tick), and the CPU that
//   emitted it has run no further;
// - the state equals that of a run from power-on paused at the same event;
// - a snapshot taken there, restored into a new machine and run on, ends in
//   the same trace digest and clock as the uninterrupted run.
// Each run records under one CPU engine and replays (oracle and continuation
// included) under another, both drawn at random: the interpreter, the block
// cache, the translator at its default threshold, and at threshold 1 (every
// block translated before it first runs). PC breakpoints and system register
// watches, the stops the core makes itself, are replayed under all four,
// which must stop in the identical machine state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Machine } from '../core/machine.js';
import type { TraceEvent, UartEvent } from '../core/trace/events.js';
import { TraceReader, TraceWriter } from '../replay/traceFile.js';
import { Recorder } from '../replay/recorder.js';
import { Replayer, type ReplayResult } from '../replay/replayer.js';
import { EC_HVC64, EC_SMC64, PSCI_FUNCTIONS, lastTickOf, type ReplayTarget } from '../replay/targets.js';
import { machineStateHash } from '../replay/stateHash.js';
import { saveFull, restoreInto } from '../snapshots/index.js';
import { parseSysreg } from '../core/asm/sysreg-names.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { suiteSeed } from './seed.js';

const RUNS = Number(process.env.HVRR_STOPS_RUNS ?? 3);
/** CPU engine configurations (docs/cpu-speed.md); jit@1 translates every block before it first runs. */
const ENGINES = ['interp', 'blocks', 'jit', 'jit@1'] as const;
type EngineName = (typeof ENGINES)[number];
const SEED = suiteSeed('stops property', 'HVRR_STOPS_SEED', 20261205, { runs: RUNS, scenarios: SCENARIOS.length, engines: ENGINES.join(',') });
const dir = mkdtempSync(join(tmpdir(), 'hvrr-stops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Cfg { numCpus: number; seed: bigint; quantumTicks: number; recordEngine: EngineName; engine: EngineName }
interface Recording { path: string; events: TraceEvent[]; digest: string; endTick: number; instructions: number }

const config = (s: Scenario): fc.Arbitrary<Cfg> => fc.record({
  numCpus: fc.constantFrom(...s.cpus),
  seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  quantumTicks: fc.constantFrom(1_000, 7_777, 10_000),
  recordEngine: fc.constantFrom(...ENGINES),
  engine: fc.constantFrom(...ENGINES),
});

/** The scenario's machine under an engine (the recording's, or else the replay's). */
function build(s: Scenario, cfg: Cfg, forRecording = false): Machine {
  const m = s.build(cfg);
  const e = forRecording ? cfg.recordEngine : cfg.engine;
  m.core.setEngine(e === 'jit@1' ? 'jit' : e);
  if (e === 'jit@1') m.core.setJitThreshold(1);
  return m;
}

let fileNo = 0;
function record(s: Scenario, cfg: Cfg): Recording {
  const path = join(dir, `r${fileNo++}.hvrr`);
  const m = build(s, cfg, true);
  const events: TraceEvent[] = [];
  m.trace.subscribe((e) => events.push(e));
  const w = TraceWriter.create(path, { hvrrVersion: 't', machine: {}, images: [], seed: cfg.seed.toString(), stateHashInterval: 101, snapshotInterval: 120_000 }, { chunkEvents: 256 });
  const rec = new Recorder(m, w, { stateHashEvery: 101, snapshotEveryTicks: 120_000 });
  m.run(s.maxInstructions);
  rec.finish();
  return { path, events, digest: m.trace.digest(), endTick: m.nowTick, instructions: m.instructions };
}

/** A run from power-on paused by the machine's own mechanism at event `seq`. */
function pausedAt(s: Scenario, cfg: Cfg, seq: number): Machine {
  const m = build(s, cfg);
  m.trace.subscribe((e) => {
    if (e.seq === seq) m.requestPause();
  });
  const r = m.run(s.maxInstructions);
  // The last event of a run that ends is its halt event: the machine stops there anyway.
  expect(r.kind === 'paused' || (m.stopped !== null && m.trace.count === seq + 1), `stopped by ${r.kind} after ${m.trace.count} events`).toBe(true);
  return m;
}

/** Save where `m` stands, restore into a new machine, run on: the same end as the recording. */
function continuesIdentically(s: Scenario, cfg: Cfg, m: Machine, rec: Recording): void {
  const blob = saveFull(m).bytes;
  const b = build(s, cfg);
  restoreInto(b, blob);
  b.run(s.maxInstructions);
  expect(b.trace.digest()).toBe(rec.digest);
  expect(b.nowTick).toBe(rec.endTick);
  expect(b.instructions).toBe(rec.instructions);
}

/** The target event's step: every later event replayed so far shares its tick,
 *  and a CPU that emitted it and still runs in this window has not moved on. */
function stepIsTight(m: Machine, r: ReplayResult, rec: Recording): void {
  const t = rec.events[r.targetSeq!]!;
  for (let seq = t.seq + 1; seq < m.trace.count; seq++) expect(rec.events[seq]!.tick, `event #${seq} after target #${t.seq}`).toBe(t.tick);
  if (t.cpu >= 0 && m.cpuState(t.cpu) === 'running' && m.getMachineState().window?.cpu === t.cpu) expect(m.cpuTick(t.cpu)).toBe(t.tick);
}

function replay(s: Scenario, cfg: Cfg, rec: Recording, target: ReplayTarget, useSnapshots = true): { m: Machine; r: ReplayResult } {
  const reader = TraceReader.open(rec.path);
  const m = build(s, cfg);
  try {
    return { m, r: new Replayer(reader).run(m, target, { useSnapshots }) };
  } finally {
    reader.close();
  }
}

const uniform = fc.double({ min: 0, max: 0.999999, noNaN: true });
const pick = <T>(xs: readonly T[], u: number): T => xs[Math.floor(u * xs.length)]!;
const WATCHED = ['VBAR_EL1', 'SCTLR_EL1', 'CNTV_CTL_EL0', 'CNTV_CVAL_EL0', 'ICC_PMR_EL1', 'TCR_EL1', 'MAIR_EL1', 'ICC_IAR1_EL1'];

for (const s of SCENARIOS) {
  describe(`scenario: ${s.name}`, () => {
    it('--until event N and exception N stop at the end of that step, equal a paused run, and continue identically', () => {
      fc.assert(fc.property(config(s), uniform, fc.boolean(), (cfg, u, byException) => {
        const rec = record(s, cfg);
        const excs = rec.events.filter((e) => e.kind === 'exception');
        const target: ReplayTarget = byException && excs.length > 0
          ? { kind: 'exception', n: (pick(excs, u) as Extract<TraceEvent, { kind: 'exception' }>).n }
          : { kind: 'event', seq: Math.floor(u * rec.events.length) };
        const { m, r } = replay(s, cfg, rec, target);
        expect(r.status).toBe('reached');
        const seq = target.kind === 'event' ? target.seq : excs.find((e) => e.kind === 'exception' && e.n === target.n)!.seq;
        expect(r.targetSeq).toBe(seq);
        stepIsTight(m, r, rec);
        const oracle = pausedAt(s, cfg, seq);
        expect(machineStateHash(m)).toBe(machineStateHash(oracle));
        expect(m.trace.count).toBe(oracle.trace.count);
        expect(m.getMachineState()).toEqual(oracle.getMachineState());
        continuesIdentically(s, cfg, m, rec);
      }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    });

    it('--until tick T stops before the first step at clock >= T, with or without snapshots, and continues identically', () => {
      fc.assert(fc.property(config(s), uniform, (cfg, u) => {
        const rec = record(s, cfg);
        const reader = TraceReader.open(rec.path);
        const lastTick = lastTickOf(reader);
        reader.close();
        const T = Math.floor(u * lastTick);
        const { m, r } = replay(s, cfg, rec, { kind: 'tick', tick: T });
        expect(r.status).toBe('reached');
        expect(m.clockTick).toBe(T);
        for (let c = 0; c < m.numCpus; c++) {
          const w = m.getMachineState().window;
          if (w && c > w.cpu) expect(m.cpuTick(c)).toBeLessThanOrEqual(T);
        }
        for (let seq = 0; seq < m.trace.count; seq++) expect(rec.events[seq]!.tick).toBeLessThanOrEqual(T);
        const { m: m2 } = replay(s, cfg, rec, { kind: 'tick', tick: T }, false);
        expect(machineStateHash(m2)).toBe(machineStateHash(m));
        expect(m2.getMachineState()).toEqual(m.getMachineState());
        continuesIdentically(s, cfg, m, rec);
      }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    });

    it('--until pc/uart/psci/hvc/smc/sysreg stop where they say and continue identically', () => {
      fc.assert(fc.property(config(s), uniform, uniform, fc.integer({ min: 0, max: 5 }), (cfg, u, v, which) => {
        const rec = record(s, cfg);
        const excs = rec.events.filter((e): e is Extract<TraceEvent, { kind: 'exception' }> => e.kind === 'exception');
        const uart = rec.events.filter((e): e is UartEvent => e.kind === 'uart-out');
        const psci = rec.events.filter((e): e is Extract<TraceEvent, { kind: 'psci' }> => e.kind === 'psci');
        let target: ReplayTarget;
        let expectSeq: number | undefined;
        if (which === 0 && excs.length > 0) {
          // A PC the guest executes: the return address of a random exception.
          const e = pick(excs, u);
          target = { kind: 'pc', va: BigInt(e.elr), count: 1 + Math.floor(v * 3) };
        } else if (which === 1 && uart.length > 4) {
          const end = 2 + Math.floor(u * (uart.length - 2));
          const len = 1 + Math.floor(v * Math.min(8, end));
          const text = String.fromCharCode(...uart.slice(end - len, end).map((e) => e.byte));
          target = { kind: 'uart', text, count: 1 };
          // The first occurrence of the text in the console stream.
          let stream = '';
          for (const e of uart) {
            stream += String.fromCharCode(e.byte);
            if (stream.endsWith(text)) {
              expectSeq = e.seq;
              break;
            }
          }
        } else if (which === 2 && psci.length > 0) {
          const e = pick(psci, u);
          const name = [...PSCI_FUNCTIONS].find(([, ids]) => ids.includes(e.fn))?.[0] ?? `0x${e.fn.toString(16)}`;
          const fns = PSCI_FUNCTIONS.get(name) ?? [e.fn];
          target = { kind: 'psci', fns: [...fns], name, count: 1 };
          expectSeq = psci.find((p) => fns.includes(p.fn))!.seq;
        } else if (which === 3) {
          const kind = v < 0.5 ? 'hvc' : 'smc';
          const calls = excs.filter((e) => e.type === 'sync' && e.ec === (kind === 'hvc' ? EC_HVC64 : EC_SMC64));
          if (calls.length === 0) return;
          const k = 1 + Math.floor(u * calls.length);
          target = { kind, count: k };
          expectSeq = calls[k - 1]!.seq;
        } else {
          target = { kind: 'sysreg', key: parseSysreg(pick(WATCHED, u))!, count: 1 + Math.floor(v * 2) };
        }
        // The stops the core itself makes (PC breakpoints, system register
        // watches) are replayed under every engine, which must all stop in
        // the identical state; the others under the drawn one.
        const engines = target.kind === 'pc' || target.kind === 'sysreg' ? [cfg.engine, ...ENGINES.filter((e) => e !== cfg.engine)] : [cfg.engine];
        let first: { m: Machine; r: ReplayResult } | undefined;
        for (const engine of engines) {
          const { m, r } = replay(s, { ...cfg, engine }, rec, target);
          if (first) {
            expect({ engine, status: r.status, seq: r.targetSeq, cpu: r.hitCpu }).toEqual({ engine, status: first.r.status, seq: first.r.targetSeq, cpu: first.r.hitCpu });
            expect(machineStateHash(m), engine).toBe(machineStateHash(first.m));
            expect(m.getMachineState(), engine).toEqual(first.m.getMachineState());
            continue;
          }
          first = { m, r };
          if (r.status === 'not-in-recording') {
            // Only targets found while replaying can be absent; the reason names it.
            expect(['pc', 'sysreg']).toContain(target.kind);
            expect(r.missing).toMatch(/end of the recording/);
            continue;
          }
          expect(r.status).toBe('reached');
          if (expectSeq !== undefined) {
            expect(r.targetSeq).toBe(expectSeq);
            stepIsTight(m, r, rec);
          }
          if (target.kind === 'pc') {
            expect(m.core.getPc(r.hitCpu!)).toBe(target.va);
            expect(m.cpuTick(r.hitCpu!)).toBe(m.clockTick);
          }
          continuesIdentically(s, cfg, m, rec);
        }
      }), { seed: SEED, numRuns: RUNS * 2, endOnFailure: true });
    });
  });
}
