// The block cache and the translator see rewritten code exactly when the
// interpreter does (docs/cpu-speed.md, "self- and cross-modifying code"):
// every case runs under every engine, the translator's threshold at 1 so
// each block is translated before its first execution, and must give the
// interpreter's registers, instruction count and trace.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from '../firmware/boot.js';
import { saveFull, restoreInto } from '../../snapshots/index.js';
import { CPU_ENGINES, type CpuEngine } from './cpu.js';
import { run, DATA, CODE_BASE, type RunResult } from './testing.js';

/** Encoding of one instruction. */
function enc(insn: string): number {
  const b = assemble(insn, { baseAddress: 0n }).bytes;
  return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
}

function fast(engine: CpuEngine) {
  return (m: Machine) => {
    m.core.setEngine(engine);
    m.core.setJitThreshold(1);
  };
}

/** Run `source` under every engine; returns the interpreter's result after checking the others agree. */
function runAll(source: string, regs: Record<number, bigint> = {}): RunResult {
  const results = CPU_ENGINES.map((engine) => ({ engine, r: run(source, { regs, setup: fast(engine), maxInstructions: 2_000_000 }) }));
  const ref = results[0]!.r;
  expect(ref.ended).toBe(true);
  for (const { engine, r } of results) {
    const regsOf = (x: RunResult) => Array.from({ length: 31 }, (_, i) => x.x(i).toString(16));
    expect({ engine, regs: regsOf(r), insns: r.m.instructions, digest: r.m.trace.digest() })
      .toEqual({ engine, regs: regsOf(ref), insns: ref.m.instructions, digest: ref.m.trace.digest() });
  }
  return ref;
}

describe('rewritten code is seen by the very next fetch, under every engine', () => {
  it('a store rewrites the next instruction of the running block', () => {
    const r = runAll(`
      adr x1, patch
      ldr w2, =${enc('mov x0, #2')}
      str w2, [x1]
    patch:
      mov x0, #1
      hvc #0xfff
    `);
    expect(r.x(0)).toBe(2n);
  });

  it('a loop rewrites its own instruction on every iteration (translated page invalidated each time)', () => {
    const r = runAll(`
      mov x3, #0
      mov x4, #10
      adr x1, patch
      ldr w5, =${enc('add x3, x3, #0')}
      str w5, [x1]
    loop:
    patch:
      add x3, x3, #0
      add w5, w5, #0x400   // imm12 += 1
      str w5, [x1]
      subs x4, x4, #1
      b.ne loop
      hvc #0xfff
    `);
    expect(r.x(3)).toBe(45n);
  });

  it('stores to other lines of a code page do not drop its blocks; a store to a code line does', () => {
    const source = `
      adr x1, data
      mov x4, #200
    1: str x4, [x1]        // same page, another 64-byte line: no invalidation
      subs x4, x4, #1
      b.ne 1b
      adr x1, patch
      ldr w2, =${enc('mov x0, #7')}
      str w2, [x1]
    patch:
      mov x0, #1
      hvc #0xfff
      .balign 64
    data: .quad 0
    `;
    const r = runAll(source);
    expect(r.x(0)).toBe(7n);
    const fastRun = run(source, { setup: fast('jit') });
    expect(fastRun.m.core.codeStats().pagesInvalidated).toBe(1);
  });

  it('a store-exclusive and an atomic into code lines are seen too', () => {
    const r = runAll(`
      adr x1, p1
      ldr w2, =${enc('mov x0, #3')}
    1: ldxr w3, [x1]
      stxr w4, w2, [x1]
      cbnz w4, 1b
    p1:
      mov x0, #1
      adr x1, p2
      ldr w2, =${enc('mov x5, #9')}
      swp w2, w3, [x1]
    p2:
      mov x5, #1
      hvc #0xfff
    `);
    expect([r.x(0), r.x(5)]).toEqual([3n, 9n]);
  });
});

describe('writes from outside the CPU reach cached and translated code', () => {
  const loop = `
    mov x0, #0
  1: add x0, x0, #1
    b 1b
  `;

  it('writePhys (loaders, EL2 software, DMA) over a hot translated loop', () => {
    for (const engine of CPU_ENGINES) {
      const r = run(loop, { setup: fast(engine), maxInstructions: 5000 });
      const m = r.m;
      expect(m.instructions).toBe(5000);
      // Rewrite the loop body: add 2 instead of 1.
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, enc('add x0, x0, #2'), true);
      m.core.writePhys(Number(CODE_BASE) + 4, b);
      m.run(6000);
      const x0 = m.core.getX(0, 0);
      // 5000 instructions: mov, then 2500 adds of 1; 1000 more: 500 adds of 2.
      expect({ engine, x0 }).toEqual({ engine, x0: 3500n });
      if (engine === 'jit') expect(m.core.jit.stats.translations).toBeGreaterThan(0);
    }
  });

  it('a snapshot restore drops code cached from memory it replaces', () => {
    for (const engine of CPU_ENGINES) {
      const r = run(loop, { setup: fast(engine), maxInstructions: 3001 });
      const m = r.m;
      const snap = saveFull(m).bytes; // the loop adds 1
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, enc('add x0, x0, #5'), true);
      m.core.writePhys(Number(CODE_BASE) + 4, b);
      m.run(4001); // caches (and translates) the +5 loop
      expect(m.core.getX(0, 0)).toBe(1500n + 2500n);
      restoreInto(m, snap); // memory holds the +1 loop again
      m.run(5001);
      expect({ engine, x0: m.core.getX(0, 0) }).toEqual({ engine, x0: 1500n + 1000n }); // 2000 more instructions: 1000 adds of 1
    }
  });
});

describe('debugger stops in cached and translated code', () => {
  it('a breakpoint armed inside a hot translated loop stops there, at the interpreter\'s count', () => {
    const src = `
      mov x0, #0
    1: add x0, x0, #1
      add x1, x1, #2
    bp:
      add x2, x2, #3
      b 1b
    `;
    const outcomes = CPU_ENGINES.map((engine) => {
      const r = run(src, { setup: fast(engine), maxInstructions: 4001 });
      const m = r.m;
      m.core.setBreakpoints([{ va: r.syms.get('bp')!, cpuMask: 1, elMask: 0xf }]);
      const stop = m.run(100_000);
      const first = { kind: stop.kind, insns: m.instructions, x0: m.core.getX(0, 0), pc: m.core.getPc(0) };
      const again = m.run(100_000); // passes over it once, stops there on the next iteration
      return { engine, first, again: { kind: again.kind, insns: m.instructions, x0: m.core.getX(0, 0) }, translated: m.core.jit.stats.translations };
    });
    const ref = outcomes[0]!;
    expect(ref.first.kind).toBe('breakpoint');
    expect(ref.again.insns - ref.first.insns).toBe(4);
    for (const o of outcomes) expect({ ...o, engine: '', translated: 0 }).toEqual({ ...ref, engine: '', translated: 0 });
    expect(outcomes.find((o) => o.engine === 'jit')!.translated).toBeGreaterThan(0);
  });
});

describe('cross-modifying code: another CPU rewrites code this CPU runs', () => {
  // CPU 0 starts CPU 1 on a loop that publishes the value of its `patch`
  // instruction, waits until it has looped a while, rewrites the
  // instruction, waits to see the new value published, and powers off.
  const source = `
    ldr x0, =0xc4000003   // PSCI CPU_ON
    mov x1, #1
    adr x2, cpu1
    mov x3, #0
    hvc #0
    ldr x8, =${DATA}
  1: ldr x5, [x8, #8]
    cmp x5, #500
    b.lo 1b
    adr x1, patch
    ldr w2, =${enc('mov x6, #2')}
    str w2, [x1]
  2: ldr x5, [x8]
    cmp x5, #2
    b.ne 2b
    ldr x0, =0x84000008   // PSCI SYSTEM_OFF
    hvc #0
  3: b 3b
    .balign 64
  cpu1:
    ldr x8, =${DATA}
  loop:
  patch:
    mov x6, #1
    str x6, [x8]
    ldr x5, [x8, #8]
    add x5, x5, #1
    str x5, [x8, #8]
    b loop
  `;
  it('CPU 1 sees the new instruction; every engine gives the same run', () => {
    const outcomes = CPU_ENGINES.map((engine) => {
      const m = new Machine({ numCpus: 2, ramBytes: 64 << 20, seed: 3n, quantumTicks: 1000 });
      m.core.setEngine(engine);
      m.core.setJitThreshold(1);
      const { bytes } = assemble(source, { baseAddress: 0x4008_0000n });
      bootKernel(m, { kernel: bytes });
      const stop = m.run(5_000_000);
      return { engine, stop: stop.kind, insns: m.instructions, digest: m.trace.digest(), x6: m.core.getX(1, 6) };
    });
    expect(outcomes[0]!.stop).toBe('system-off');
    expect(outcomes[0]!.x6).toBe(2n);
    for (const o of outcomes) expect({ ...o, engine: '' }).toEqual({ ...outcomes[0]!, engine: '' });
  });
});

describe('the default engine', () => {
  it('is the one the core reports, and translates hot code', () => {
    // 40,000 iterations of a one-block loop: past the default threshold (32,000).
    const r = run(`
      mov x0, #0
      ldr x1, =40000
    loop:
      add x0, x0, #1
      cmp x0, x1
      b.ne loop
      hvc #0xfff
    `, { maxInstructions: 2_000_000 });
    expect(r.ended).toBe(true);
    expect(r.m.core.engine).toBe('jit');
    expect(r.m.core.jit.stats.translations).toBeGreaterThan(0);
  });
});
