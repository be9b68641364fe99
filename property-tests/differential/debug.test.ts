// Differential tier for the self-hosted debug architecture: hardware
// breakpoints, watchpoints and software step (debug-generator.ts) on QEMU
// TCG (-cpu cortex-a57: 6 breakpoints, 4 watchpoints, as hvrr advertises)
// and on hvrr under every engine: the same debug exceptions, ESR, ELR and
// FAR, in the same order (docs/differential.md); and the engines the same
// instruction count and trace. Twice: with the MMU off, and with it on and
// every address the cases use virtual (an alias of the code, a data page
// mapped elsewhere), so breakpoints and watchpoints must match on VAs.
//   HVRR_DEBUG_DIFF_CASES  number of generated cases (default 300)
//   HVRR_DEBUG_DIFF_SEED   seed (default: from the commit, else 20261205)
import { describe, expect, it } from 'vitest';
import { hasQemu, runQemuImage } from '../../scripts/qemu.js';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { CPU_ENGINES, type CpuEngine } from '../../core/cpu/cpu.js';
import { suiteSeed } from '../seed.js';
import { debugProgram, generateCase, prng } from './debug-generator.js';

const qemu = hasQemu();
if (!qemu) console.log('debug differential: qemu-system-aarch64 not found; skipping (apt-get install qemu-system-arm)');

const count = Number(process.env.HVRR_DEBUG_DIFF_CASES ?? 300);
const QEMU_DEBUG_CPU = 'cortex-a57';

function runHvrr(image: Uint8Array, engine: CpuEngine): { output: string; stop: string; instructions: number; digest: string } {
  const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
  m.core.setEngine(engine);
  m.core.setJitThreshold(1);
  const out: number[] = [];
  m.onConsole = (b) => out.push(b);
  bootKernel(m, { kernel: image });
  const r = m.run(100_000 + count * 2_000);
  return { output: Buffer.from(out).toString('latin1'), stop: r.kind, instructions: m.instructions, digest: m.trace.digest() };
}

/** The first line where two logs differ, with the case it belongs to. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  let header = '';
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i]?.startsWith('C')) header = x[i]!;
    if (x[i] !== y[i]) return `${header}: hvrr '${x[i] ?? '(end)'}' vs QEMU '${y[i] ?? '(end)'}'`;
  }
  return '';
}

/** A case's lines of a log. */
function blockOf(log: string, id: number): string {
  const lines = log.split('\n');
  const start = lines.findIndex((l) => l.startsWith('C') && parseInt(l.slice(1), 16) === id);
  if (start < 0) return '(missing)';
  const end = lines.findIndex((l, i) => i > start && l === 'D');
  return lines.slice(start, end < 0 ? undefined : end + 1).join('\n');
}

describe.skipIf(!qemu)('differential: guest breakpoints, watchpoints, software step, hvrr vs QEMU', () => {
  it.each([
    { mmu: false, where: 'MMU off' },
    { mmu: true, where: 'MMU on, blocks and data at virtual addresses that are not their physical ones' },
  ])(`${count} generated cases ($where): the same debug exceptions, ESR, ELR and FAR`, async ({ mmu }) => {
    const seed = suiteSeed(`debug differential${mmu ? ' (MMU on)' : ''}`, 'HVRR_DEBUG_DIFF_SEED', 20261205, { cases: count, cpu: QEMU_DEBUG_CPU, mmu });
    const rnd = prng(seed);
    const cases = Array.from({ length: count }, () => generateCase(rnd));
    const image = debugProgram(cases, { mmu });
    const q = runQemuImage(image, { cpu: QEMU_DEBUG_CPU, timeoutMs: 120_000 });
    const hvrr = CPU_ENGINES.map((engine) => ({ engine, ...runHvrr(image, engine) }));
    const ref = await q;
    expect(ref.stop).toBe('system-off');
    const exceptions = ref.output.split('\n').filter((l) => l.startsWith('X')).length;
    console.log(`debug differential${mmu ? ' (MMU on)' : ''}: ${count} cases, ${exceptions} exceptions logged by QEMU`);
    expect(exceptions).toBeGreaterThan(count / 4); // the generator reaches the exceptions
    if (mmu) {
      // `X esr elr far`: the blocks ran at their alias and watchpoints hit the data's VA.
      expect(ref.output).toMatch(/^X [0-9a-f]{16} 00000000c0[0-9a-f]{6} /m);
      expect(ref.output).toMatch(/^X [0-9a-f]{16} 00000000c0[0-9a-f]{6} 00000000800[0-9a-f]{5}$/m);
    }
    for (const h of hvrr) {
      expect(h.stop, h.engine).toBe('system-off');
      const diff = firstDifference(h.output, ref.output);
      if (diff !== '') {
        const id = parseInt(diff.slice(1), 16);
        console.log(`debug differential (${h.engine}): ${diff}\ncase ${id}: ${JSON.stringify(cases[id], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
        console.log(`hvrr:\n${blockOf(h.output, id)}\nQEMU:\n${blockOf(ref.output, id)}`);
      }
      expect(diff, h.engine).toBe('');
    }
    // The engines agree with each other exactly: counts and every event.
    for (const h of hvrr) expect({ engine: h.engine, n: h.instructions, digest: h.digest }).toEqual({ engine: h.engine, n: hvrr[0]!.instructions, digest: hvrr[0]!.digest });
  }, 300_000);
});
