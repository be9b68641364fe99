// Data watchpoints (core/cpu/as/debugStops.ts): a load or store touching a
// watched physical range stops run() before the instruction, at the
// interpreter's count under every engine (the translator at threshold 1 and
// after its code is hot), and a run with watches armed computes exactly what
// a run without them does.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../machine.js';
import { CPU_ENGINES, type CpuEngine } from './cpu.js';
import { run, DATA } from './testing.js';

const LOOP = `
    ldr x1, =${DATA}
    mov x0, #0
  1: add x0, x0, #1
  st: str x0, [x1, #8]
  ld: ldr x3, [x1, #16]
    add x3, x3, #1
  pair: stp x0, x3, [x1, #24]
    b 1b
`;

function hot(engine: CpuEngine, warm = 4001): { m: Machine; syms: Map<string, bigint> } {
  const r = run(LOOP, { setup: (m) => { m.core.setEngine(engine); m.core.setJitThreshold(1); }, maxInstructions: warm });
  return { m: r.m, syms: r.syms };
}

const read64 = (m: Machine, pa: bigint): bigint => new DataView(m.core.readPhys(Number(pa), 8).slice().buffer).getBigUint64(0, true);

describe('data watchpoints', () => {
  it('a store to a watched range stops before the store, at the same count under every engine; resuming passes it once', () => {
    const outcomes = CPU_ENGINES.map((engine) => {
      const { m, syms } = hot(engine);
      m.core.setDataWatches([{ pa: Number(DATA) + 8, len: 8, read: false, write: true }]);
      const stop = m.run(100_000);
      const first = { stop, insns: m.instructions, pc: m.core.getPc(0), x0: m.core.getX(0, 0), mem: read64(m, DATA + 8n) };
      const again = m.run(100_000);
      const second = { again, insns: m.instructions, pc: m.core.getPc(0), mem: read64(m, DATA + 8n) };
      return { engine, first, second, st: syms.get('st')! };
    });
    const ref = outcomes[0]!;
    expect(ref.first.stop).toEqual({ kind: 'data-watch', cpu: 0, pa: Number(DATA) + 8, isWrite: true });
    expect(ref.first.pc).toBe(ref.st);
    expect(ref.first.mem).toBe(ref.first.x0 - 1n); // the store has not happened
    expect(ref.second.insns - ref.first.insns).toBe(6); // one loop iteration later
    expect(ref.second.mem).toBe(ref.first.x0);
    for (const o of outcomes) expect({ ...o, engine: '' }).toEqual({ ...ref, engine: '' });
  });

  it('loads stop a read watch; a pair straddling into a range stops too; the reported address is the first watched byte', () => {
    const outcomes = CPU_ENGINES.map((engine) => {
      const { m, syms } = hot(engine);
      m.core.setDataWatches([{ pa: Number(DATA) + 16, len: 4, read: true, write: false }, { pa: Number(DATA) + 36, len: 1, read: false, write: true }]);
      const stops = [0, 1, 2].map(() => {
        const stop = m.run(100_000);
        const pc = m.core.getPc(0);
        return { stop, at: pc === syms.get('ld') ? 'ld' : pc === syms.get('pair') ? 'pair' : pc.toString(16) };
      });
      return { engine, stops, insns: m.instructions };
    });
    const ref = outcomes[0]!;
    // Whichever comes first after the warm-up, both kinds alternate, each before its instruction.
    const byAt = new Map(ref.stops.map((s) => [s.at, s.stop]));
    expect(byAt.get('ld')).toEqual({ kind: 'data-watch', cpu: 0, pa: Number(DATA) + 16, isWrite: false });
    expect(byAt.get('pair')).toEqual({ kind: 'data-watch', cpu: 0, pa: Number(DATA) + 36, isWrite: true });
    expect(ref.stops[2]!.at).toBe(ref.stops[0]!.at);
    for (const o of outcomes) expect({ ...o, engine: '' }).toEqual({ ...ref, engine: '' });
  });

  it('watches change nothing the guest computes: armed on another page, then disarmed, the run equals one without them', () => {
    for (const engine of CPU_ENGINES) {
      const plain = hot(engine, 50_000).m;
      const { m } = hot(engine, 4001);
      m.core.setDataWatches([{ pa: Number(DATA) + 0x2000, len: 64, read: true, write: true }, { pa: Number(DATA), len: 4, read: true, write: true }]);
      expect(m.run(20_000).kind).toBe('instruction-limit');
      m.core.setDataWatches([]);
      m.run(50_000);
      expect({ engine, x0: m.core.getX(0, 0), x3: m.core.getX(0, 3), insns: m.instructions, digest: m.trace.digest(), mem: read64(m, DATA + 24n) })
        .toEqual({ engine, x0: plain.core.getX(0, 0), x3: plain.core.getX(0, 3), insns: plain.instructions, digest: plain.trace.digest(), mem: read64(plain, DATA + 24n) });
    }
  });

  it('refuses ranges outside RAM', () => {
    const { m } = hot('interp', 10);
    expect(() => m.core.setDataWatches([{ pa: 0x0900_0000, len: 4, read: true, write: true }])).toThrow(/not in RAM/);
  });
});
