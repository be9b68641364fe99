// World switches preserve every register of both worlds (whole machine):
// the Normal world (NS-EL1 machine code) and the S-EL1 partition fill their
// general-purpose, SIMD and EL1 system registers with seeded random values,
// then direct requests switch back and forth; each side dumps its registers
// at the end and they must be exactly as loaded (x0-x7 carry the messages).
// The Normal world's EL2 registers (set from outside before the run) and
// the Secure world's saved EL2 context are checked too. Seeded: the seed is
// printed first (HVRR_WORLD_SEED reproduces a run).
import { describe, expect, it } from 'vitest';
import { Prng } from '../clock/prng.js';
import type { Machine } from '../machine.js';
import { suiteSeed } from '../../property-tests/seed.js';
import { el3FirmwareOf } from './secureBoot.js';
import {
  bootSecureTestMachine, PARTITION_DUMP, PARTITION_ID, PARTITION_SEED_WORDS, PARTITION_SYSREGS,
} from './sel2TestPlugin.js';
import { contextWord, sysWord, WORLD_SYSREGS } from './worldContext.js';

const SEED = suiteSeed('world switch registers', 'HVRR_WORLD_SEED', 1, { requests: 6 });

const NS_SEEDS = 0x4050_0000;
const NS_DUMP = 0x4060_0000;
/** NS-EL1 system registers the Normal world loads (writable at EL1, no effect on its run with the MMU off). */
const NS_SYSREGS = ['TPIDR_EL1', 'TPIDR_EL0', 'TPIDRRO_EL0', 'CONTEXTIDR_EL1', 'AFSR0_EL1', 'AFSR1_EL1', 'AMAIR_EL1', 'PAR_EL1', 'FAR_EL1', 'ESR_EL1', 'ELR_EL1', 'SPSR_EL1', 'SP_EL0'] as const;
/** Normal-world EL2 registers set before the run (none changes how NS-EL1 code runs with HCR_EL2 as it is). */
const NS_EL2 = ['TPIDR_EL2', 'VBAR_EL2', 'ELR_EL2', 'SPSR_EL2', 'ESR_EL2', 'FAR_EL2', 'HPFAR_EL2', 'VTTBR_EL2', 'SP_EL2', 'ACTLR_EL2'] as const;
const WORDS = 23 + 64 + NS_SYSREGS.length;

function values(prng: Prng, n: number): bigint[] {
  return Array.from({ length: n }, () => (BigInt(prng.nextU32()) << 32n) | BigInt(prng.nextU32()));
}

function readWords(m: Machine, pa: number, n: number): bigint[] {
  const b = m.core.readPhys(pa, n * 8).slice();
  const dv = new DataView(b.buffer);
  return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
}

/** Normal world: load registers, `requests` direct requests (32/64 alternating, the last asks the partition to dump), dump. */
function nsProgram(requests: number): string {
  const sysBase = (23 + 64) * 8;
  const out = [
    '  mov x0, #0x300000', '  msr cpacr_el1, x0', '  isb',
    `  ldr x0, =${NS_SEEDS}`, `  add x1, x0, #${23 * 8}`,
  ];
  for (let n = 0; n < 32; n += 2) out.push(`  ldp q${n}, q${n + 1}, [x1, #${n * 16}]`);
  NS_SYSREGS.forEach((r, i) => out.push(`  ldr x2, [x0, #${sysBase + i * 8}]`, `  msr ${r.toLowerCase()}, x2`));
  for (let n = 8; n <= 30; n++) out.push(`  ldr x${n}, [x0, #${(n - 8) * 8}]`);
  for (let i = 0; i < requests; i++) {
    out.push(`  ldr x0, =${i % 2 === 0 ? 0x8400006f : 0xc400006f}`, `  ldr x1, =${PARTITION_ID}`, '  mov x2, #0', `  mov x3, #${i === requests - 1 ? 2 : 0}`, `  mov x4, #${i}`, '  smc #0');
  }
  out.push(`  ldr x4, =${NS_DUMP}`);
  for (let n = 8; n <= 30; n++) out.push(`  str x${n}, [x4, #${(n - 8) * 8}]`);
  out.push(`  add x5, x4, #${23 * 8}`);
  for (let n = 0; n < 32; n += 2) out.push(`  stp q${n}, q${n + 1}, [x5, #${n * 16}]`);
  NS_SYSREGS.forEach((r, i) => out.push(`  mrs x6, ${r.toLowerCase()}`, `  str x6, [x4, #${sysBase + i * 8}]`));
  out.push('  ldr x0, =0x84000008', '  smc #0', '  b .');
  return out.join('\n');
}

describe('world switch: every register of both worlds survives', () => {
  it(`NS-EL1 and S-EL1 registers, SIMD and EL1 system registers, NS EL2 registers (seed ${SEED})`, () => {
    const prng = new Prng(SEED);
    const nsSeeds = values(prng, WORDS);
    const partSeeds = values(prng, PARTITION_SEED_WORDS);
    const el2 = values(prng, NS_EL2.length);
    const requests = 6;
    const { m, plugin } = bootSecureTestMachine(nsProgram(requests), { partitionSeeds: partSeeds });
    const seedBytes = new Uint8Array(WORDS * 8);
    nsSeeds.forEach((v, i) => new DataView(seedBytes.buffer).setBigUint64(i * 8, v, true));
    m.core.writePhys(NS_SEEDS, seedBytes);
    // The Normal world's EL2 registers: the saved Normal context holds them while the SPMC boots.
    const nsCtx = (el3FirmwareOf(m).spmd as unknown as { s: { cpus: Array<{ ns: Uint8Array; s: Uint8Array }> } }).s.cpus[0]!;
    NS_EL2.forEach((r, i) => {
      const dv = new DataView(nsCtx.ns.buffer, nsCtx.ns.byteOffset);
      dv.setBigUint64(sysWord(r) * 8, el2[i]!, true);
    });
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(plugin.s.cpus[0]!.phase).toBe('ready');
    // Normal world: what it dumped is what it loaded.
    const nsDump = readWords(m, NS_DUMP, WORDS);
    for (let n = 8; n <= 30; n++) expect(nsDump[n - 8], `NS x${n}`).toBe(nsSeeds[n - 8]);
    for (let i = 0; i < 64; i++) expect(nsDump[23 + i], `NS V${i >> 1}.${i & 1 ? 'hi' : 'lo'}`).toBe(nsSeeds[23 + i]);
    const regs = m.core.regs(0);
    NS_SYSREGS.forEach((r, i) => expect(nsDump[23 + 64 + i], `NS ${r}`).toBe(nsSeeds[23 + 64 + i]));
    NS_EL2.forEach((r, i) => expect(regs.get(r), `NS ${r}`).toBe(el2[i]));
    // Secure world: the partition's dump (made at the last request) is what it loaded at init.
    const sDump = readWords(m, PARTITION_DUMP, PARTITION_SEED_WORDS);
    for (let n = 8; n <= 30; n++) expect(sDump[n - 8], `S x${n}`).toBe(partSeeds[n - 8]);
    for (let i = 0; i < 64; i++) expect(sDump[23 + i], `S V${i >> 1}`).toBe(partSeeds[23 + i]);
    PARTITION_SYSREGS.forEach((r, i) => expect(sDump[23 + 64 + i], `S ${r}`).toBe(partSeeds[23 + 64 + i]));
    // The Secure world's EL2 context (the plug-in's secure stage 2) is saved while the Normal world runs.
    const sCtx = nsCtx.s;
    expect(contextWord(sCtx, sysWord('VSTTBR_EL2'))).toBe(0x0e30_0000n);
    expect(contextWord(sCtx, sysWord('SCR_EL3')) & 1n).toBe(0n);
    expect(WORLD_SYSREGS.length).toBeGreaterThan(60);
    // Six requests: twelve world switches after the boot's two.
    expect(m.trace.last(10_000).filter((e) => e.kind === 'ffa').length).toBe(3 + 2 * requests);
  });
});
