// The EL3 firmware on a real machine: guest code at Non-secure EL1 (and EL2)
// issues SMCs with a marker in every register x1-x17, stores x0-x17 after
// each call, and the test checks the answers and that every register a call
// does not define came back unchanged (x8-x17 included, as pKVM relies on).
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from './boot.js';
import { Machine } from '../machine.js';
import { formatEvent } from '../trace/events.js';

const RES = 0x4040_0000;
const FLAG = 0x4030_0000;
const CALL_BYTES = 18 * 8;

/** A distinct value per register that no call returns. */
const marker = (n: number): bigint => 0x5a5a_0000_0000_0000n | (BigInt(n) << 32n) | 0x0000_beefn;

interface Smc {
  fid: number;
  /** Arguments x1.. (the rest hold markers). */
  args?: Array<bigint | string>;
}

/** x0-x17 set (markers beyond the arguments), SMC, x0-x17 stored at x20, x20 advanced. */
function smcBlock(c: Smc): string {
  const lines = [`  ldr x0, =0x${(c.fid >>> 0).toString(16)}`];
  for (let n = 1; n <= 17; n++) {
    const a = c.args?.[n - 1];
    if (typeof a === 'string') lines.push(`  adr x${n}, ${a}`);
    else lines.push(`  ldr x${n}, =0x${(a ?? marker(n)).toString(16)}`);
  }
  lines.push('  smc #0');
  for (let n = 0; n < 18; n += 2) lines.push(`  stp x${n}, x${n + 1}, [x20, #${n * 8}]`);
  lines.push(`  add x20, x20, #${CALL_BYTES}`);
  return lines.join('\n');
}

const CALLS: Smc[] = [
  { fid: 0x8000_0000 }, // SMCCC_VERSION
  { fid: 0x8000_0001, args: [0x8000_0000n] }, // SMCCC_ARCH_FEATURES(SMCCC_VERSION)
  { fid: 0x8000_0001, args: [0x8000_8000n] }, // SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1)
  { fid: 0x8400_000a, args: [0x8000_0000n] }, // PSCI_FEATURES(SMCCC_VERSION)
  { fid: 0x8400_0000 }, // PSCI_VERSION
  { fid: 0x8400_0006 }, // MIGRATE_INFO_TYPE
  { fid: 0xc200_1234 }, // unknown (SiP, SMC64)
  { fid: 0x8400_0063 }, // FFA_VERSION: no S-EL2 software
  { fid: 0xc400_006f }, // FFA_MSG_SEND_DIRECT_REQ_64
  { fid: 0xc400_0003, args: [1n, 'secondary', 0x1234_5678_9abc_def0n] }, // CPU_ON_64 of CPU 1
];
const X0 = [0x10002n, 0n, 2n ** 64n - 1n, 0n, 0x10001n, 2n, 2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 64n - 1n, 0n];

/** CPU 1's entry: x0 (the context id) and CurrentEL at FLAG + 8, then FLAG = 1. */
const SECONDARY = `
secondary:
  ldr x21, =${FLAG}
  mrs x22, currentel
  stp x0, x22, [x21, #8]
  mov x22, #1
  str x22, [x21]`;

const PROGRAM = `
  ldr x20, =${RES}
${CALLS.map(smcBlock).join('\n')}
  // Wait for CPU 1, then until AFFINITY_INFO says it is off again.
  ldr x21, =${FLAG}
wait_flag:
  ldr x22, [x21]
  cbz x22, wait_flag
wait_off:
${smcBlock({ fid: 0xc400_0004, args: [1n, 0n] })}
  sub x20, x20, #${CALL_BYTES}
  cmp x0, #1
  b.ne wait_off
  add x20, x20, #${CALL_BYTES}
  ldr x0, =0x84000008
  smc #0
  b .
${SECONDARY}
  ldr x0, =0x84000002
  smc #0
  b .
`;

function readU64(m: Machine, pa: number): bigint {
  const b = m.core.readPhys(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

function machine(program: string, el2 = false): Machine {
  const m = new Machine({ numCpus: 2, ramBytes: 32 << 20, seed: 9n });
  bootKernel(m, { kernel: assemble(program, { baseAddress: 0x4008_0000n }).bytes });
  if (el2) m.core.setPstate(0, 0x3c9); // EL2h, interrupts masked
  return m;
}

describe('EL3 firmware: SMCs from guest code', () => {
  it('answers SMCCC 1.2, PSCI 1.1 and FF-A without S-EL2; x1-x17 come back unchanged; CPU_ON/AFFINITY_INFO/CPU_OFF/SYSTEM_OFF', () => {
    const m = machine(PROGRAM);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    CALLS.forEach((c, i) => {
      const base = RES + i * CALL_BYTES;
      const x = Array.from({ length: 18 }, (_, n) => readU64(m, base + 8 * n));
      const ctx = `call ${i} (0x${c.fid.toString(16)})`;
      expect(x[0], ctx).toBe(X0[i]);
      for (let n = 1; n <= 17; n++) {
        const a = c.args?.[n - 1];
        if (a === undefined) expect(x[n], `${ctx} x${n}`).toBe(marker(n));
        else if (typeof a === 'bigint') expect(x[n], `${ctx} x${n}`).toBe(a);
      }
    });
    // The secondary started at EL1 (the caller's EL) with x0 = the context id.
    expect(readU64(m, FLAG + 8)).toBe(0x1234_5678_9abc_def0n);
    expect(readU64(m, FLAG + 16)).toBe(4n); // CurrentEL = EL1
    // The last AFFINITY_INFO said OFF, with x1-x17 as given.
    const last = RES + CALLS.length * CALL_BYTES;
    expect(readU64(m, last)).toBe(1n);
    for (let n = 3; n <= 17; n++) expect(readU64(m, last + 8 * n)).toBe(marker(n));
    expect(m.cpuState(1)).toBe('off');
    // Every SMC is a trace event, from EL1 to EL3 and answered there.
    const psci = m.trace.last(10_000).filter((e) => e.kind === 'psci').map(formatEvent);
    expect(psci[0]).toMatch(/^#\d+ @\d+ cpu0 psci fn=0x80000000 args=\[0x5a5a00010000beef,0x5a5a00020000beef,0x5a5a00030000beef\] result=0x10002$/);
    expect(psci.some((l) => / cpu1 psci fn=0x84000002 /.test(l))).toBe(true);
    expect(psci[psci.length - 1]).toMatch(/ cpu0 psci fn=0x84000008 /);
  });

  it('an SMC from EL2 returns to EL2; CPU_ON from EL2 starts the target at EL2', () => {
    const m = machine(`
  ldr x20, =${RES}
${smcBlock({ fid: 0x8400_0000 })}
${smcBlock({ fid: 0xc400_0003, args: [1n, 'secondary', 7n] })}
  mrs x23, currentel
  str x23, [x20]
  ldr x21, =${FLAG}
wait_flag:
  ldr x22, [x21]
  cbz x22, wait_flag
  ldr x0, =0x84000008
  smc #0
${SECONDARY}
  b .
`, true);
    expect(m.run(2_000_000)).toEqual({ kind: 'system-off' });
    expect(readU64(m, RES)).toBe(0x10001n);
    for (let n = 1; n <= 17; n++) expect(readU64(m, RES + 8 * n)).toBe(marker(n));
    expect(readU64(m, RES + CALL_BYTES)).toBe(0n);
    expect(readU64(m, RES + 2 * CALL_BYTES)).toBe(8n); // still at EL2 after the SMC
    expect(readU64(m, FLAG + 8)).toBe(7n);
    expect(readU64(m, FLAG + 16)).toBe(8n); // the secondary at EL2
  });

  it('an exception to EL3 other than an SMC stops the run naming it', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    bootKernel(m, { kernel: assemble('  smc #0\n  b .', { baseAddress: 0x4008_0000n }).bytes });
    // The SMC reaches EL3 with the syndrome of an instruction abort (EC 0x20) instead.
    const fw = m.software.get('el3')!;
    m.software.install('el3', {
      handle(mm, cpu, toEl) {
        mm.core.regs(cpu).set('ESR_EL3', 0x20n << 26n);
        fw.handle(mm, cpu, toEl);
      },
    });
    expect(m.run(10_000)).toEqual({ kind: 'halt', message: 'cpu0: exception to EL3 (EC 0x20, ESR 0x80000000) that the EL3 firmware does not handle' });
  });
});
