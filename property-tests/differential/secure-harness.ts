// Harness of the Secure EL1 differential tier: one S-EL1 program (a secure
// payload linked at SECURE_PAYLOAD_BASE) first identifies itself on the
// secure UART (its bytes, UARTPeriphID0 and UARTFR, compared too), then
// runs many generated sequences
// (secure-generator.ts) and prints, per sequence, its registers, NZCV, the
// digests of the secure and the Non-secure scratch areas and its exceptions
// on the PL011 (reached from Secure state through the Secure physical space,
// which sees the Non-secure devices); at the end it returns to EL3 with SMC
// TSP_ENTRY_DONE.
//
// - hvrr: a `secure` machine; the EL3 firmware (TypeScript) enters the
//   program at Secure EL1 as its secure payload (core/firmware/
//   securePayload.ts); on TSP_ENTRY_DONE it resumes the Non-secure boot, a
//   kernel of two instructions that powers off (PSCI SYSTEM_OFF).
// - QEMU: virt,secure=on,virtualization=on with `-bios` an EL3 stub this
//   file assembles: it copies the program from the secure flash into secure
//   RAM, sets SCR_EL3 as hvrr's firmware does, and ERETs to Secure EL1; the
//   program's SMC ends the run with a semihosting SYS_EXIT.
//
// Memory: the program, its records, its tables and stack are in secure RAM;
// the secure scratch is at SECURE_SCRATCH (secure RAM), the Non-secure one
// at NS_SCRATCH; the table behind NSTable lives in Non-secure RAM at
// NS_TABLE (written by the program before the MMU goes on).
import { assemble } from '../../core/asm/assembler.js';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { secureColdBoot } from '../../core/firmware/secureBoot.js';
import { installSecurePayload, SECURE_PAYLOAD_BASE, TSP_ENTRY_DONE } from '../../core/firmware/securePayload.js';
import { runQemuImage } from '../../scripts/qemu.js';
import { DATA_REGS, SCRATCH_BYTES, type SecureSequence } from './secure-generator.js';
import { compareOutputs, PRINT_HEX_LINE_ASM, type Mismatch } from './harness.js';

export const SECURE_SCRATCH = 0x0e40_0000;
export const NS_SCRATCH = 0x4060_0000;
export const NS_TABLE = 0x4080_0000;
export const MAX_EXC_RECORDS = 4;
const VIRT_SECURE_UART = 0x0904_0000;
/** cortex-a76, as the integer tier: EL2 and EL3, no SEL2 (EEL2 stays 0 here). */
export const SECURE_QEMU_CPU = 'cortex-a76';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

// Stage 1 descriptors (4 KB granule): block, AF, inner shareable; AttrIndx 0 Device, 1 Normal.
const BLOCK_NORMAL = 0x705n;
const BLOCK_DEVICE = 0x401n;
const TABLE = 0x3n;
const NS = 1n << 5n;
const NSTABLE = 1n << 63n;
/** SCTLR_EL1: the RES1 bits, M, C, I (A = 0: unaligned Normal accesses allowed). */
const SCTLR = 0x30d0_0800n | 1n | 4n | 0x1000n;
/** SCR_EL3 the EL3 firmware gives the Secure world (securePayload.ts): RW | HCE, NS = 0. */
export const SECURE_SCR = 0x500n;

/** The program's tables: an L1 in secure RAM; [0,1G) by a secure L2 (device,
 *  secure RAM normal), [1G,2G) a Non-secure normal block, [2G,3G) an L2 in
 *  Non-secure RAM reached with NSTable = 1, [3G,4G) a secure L2 with the
 *  NS-bit windows (secure-generator.ts WINDOWS). */
function tables(): { secure: string; nsTableWords: bigint[] } {
  const l2low = Array.from({ length: 512 }, (_, i) => {
    const pa = BigInt(i) << 21n;
    const secureRam = pa >= 0x0e00_0000n && pa < 0x0f00_0000n;
    return pa | (secureRam ? BLOCK_NORMAL : BLOCK_DEVICE);
  });
  const l2hi = new Array<bigint>(512).fill(0n);
  l2hi[0] = BigInt(SECURE_SCRATCH) | BLOCK_NORMAL; // sec-ns0
  l2hi[1] = BigInt(SECURE_SCRATCH) | BLOCK_NORMAL | NS; // sec-ns1
  l2hi[2] = BigInt(NS_SCRATCH) | BLOCK_NORMAL; // ns-ns0
  l2hi[3] = BigInt(NS_SCRATCH) | BLOCK_NORMAL | NS; // ns-ns1
  const nsTableWords = new Array<bigint>(512).fill(0n);
  nsTableWords[0] = BigInt(NS_SCRATCH) | BLOCK_NORMAL; // nstable-ns (NS = 0 in the leaf: ignored under NSTable)
  nsTableWords[1] = BigInt(SECURE_SCRATCH) | BLOCK_NORMAL; // nstable-sec
  const quads = (label: string, words: readonly bigint[]): string => `.balign 4096\n${label}:\n${words.map((w) => `  .quad ${hex(w)}`).join('\n')}`;
  const l1 = ['l1_table:', '  .quad l2_low + 3', `  .quad ${hex(0x4000_0000n | BLOCK_NORMAL | NS)}`, `  .quad ${hex(BigInt(NS_TABLE) | TABLE | NSTABLE)}`, '  .quad l2_hi + 3', '  .space 4064'];
  return { secure: `${quads('l2_low', l2low)}\n${quads('l2_hi', l2hi)}\n.balign 4096\n${l1.join('\n')}`, nsTableWords };
}

const PROLOGUE = (nsTable: readonly bigint[]): string => `
_start:
  // Identify on the secure UART (Secure-only): its bytes, and what its
  // flag and ID registers read, must be the same on both.
  ldr x4, =${VIRT_SECURE_UART}
  ldr x5, =secure_hello
0:ldrb w1, [x5], #1
  cbz w1, 0f
  strb w1, [x4]
  b 0b
0:ldr w0, [x4, #0xfe0]      // UARTPeriphID0
  strb w0, [x4]
  ldr w0, [x4, #0x18]       // UARTFR
  and w0, w0, #0xff
  strb w0, [x4]
  mov w0, #10
  strb w0, [x4]
  ldr x0, =vectors
  msr vbar_el1, x0
  ldr x0, =stack_top
  mov sp, x0
  // The NSTable L2 into Non-secure RAM (the Secure space sees it with the MMU off).
  ldr x0, =ns_table_image
  ldr x1, =${NS_TABLE}
  mov x2, #512
1:ldr x3, [x0], #8
  str x3, [x1], #8
  subs x2, x2, #1
  b.ne 1b
  dsb sy
  mov x0, #0xff00          // MAIR: attr0 Device-nGnRnE, attr1 Normal WB
  msr mair_el1, x0
  ldr x0, =0x803520        // TCR: T0SZ=32, WB, inner shareable, 4K, EPD1, IPS 32-bit
  msr tcr_el1, x0
  ldr x0, =l1_table
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb sy
  isb
  ldr x0, =${hex(SCTLR)}
  msr sctlr_el1, x0
  isb
  b sequences

// x29 = record: x0..x15, NZCV, memory seed, id. Fills both scratch areas.
init_state:
  str x30, [sp, #-16]!
  ldr x0, [x29, #${8 * DATA_REGS + 8}]
  ldr x1, =${SECURE_SCRATCH}
  bl fill
  ldr x1, =${NS_SCRATCH}
  bl fill
  ldr x1, =exc_log
  str xzr, [x1]
  ldr x0, [x29, #${8 * DATA_REGS}]
  msr nzcv, x0
  mov x26, #0
${Array.from({ length: DATA_REGS / 2 }, (_, i) => `  ldp x${2 * i}, x${2 * i + 1}, [x29, #${16 * i}]`).join('\n')}
  ldr x30, [sp], #16
  ret

// x0 = xorshift state, x1 = area: fill it (x0 goes on from where it ends).
fill:
  mov x2, #${SCRATCH_BYTES / 8}
2:eor x0, x0, x0, lsl #13
  eor x0, x0, x0, lsr #7
  eor x0, x0, x0, lsl #17
  str x0, [x1], #8
  subs x2, x2, #1
  b.ne 2b
  ret

// Print 'S' id, x0..x15, NZCV, the two scratch digests, the exception count and records.
dump_state:
  stp x0, x1, [sp, #-160]!
  stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  mrs x0, nzcv
  stp x0, x30, [sp, #128]
  mov x4, #0x09000000
  mov w1, #0x53
  strb w1, [x4]
  ldr x0, [x29, #${8 * DATA_REGS + 16}]
  bl print_hex
  mov x5, #0
3:ldr x0, [sp, x5, lsl #3]
  bl print_hex
  add x5, x5, #1
  cmp x5, #${DATA_REGS + 1}
  b.ne 3b
  ldr x1, =${SECURE_SCRATCH}
  bl digest
  ldr x1, =${NS_SCRATCH}
  bl digest
  ldr x7, =exc_log
  ldr x5, [x7], #8
  mov x0, x5
  bl print_hex
  mov x8, #${MAX_EXC_RECORDS}
  cmp x5, x8
  csel x5, x5, x8, ls
4:cbz x5, 5f
  ldr x0, [x7]
  bl print_hex
  ldr x0, [x7, #8]
  bl print_hex
  ldr x0, [x7, #16]
  bl print_hex
  add x7, x7, #32
  sub x5, x5, #1
  b 4b
5:ldr x30, [sp, #136]
  add sp, sp, #160
  ret

// x1 = area: print its digest (clobbers x0..x3, x6, x9)
digest:
  mov x9, x30
  mov x2, #${SCRATCH_BYTES / 8}
  mov x0, #0
  ldr x6, =0x9e3779b97f4a7c15
6:ldr x3, [x1], #8
  eor x0, x3, x0, ror #59
  mul x0, x0, x6
  subs x2, x2, #1
  b.ne 6b
  bl print_hex
  ret x9

${PRINT_HEX_LINE_ASM}

// Synchronous exception at EL1: log ESR, FAR (aborts), ELR; return past it.
sync_handler:
  stp x0, x1, [sp, #-32]!
  stp x2, x3, [sp, #16]
  ldr x0, =exc_log
  ldr x1, [x0]
  cmp x1, #${MAX_EXC_RECORDS}
  b.hs 9f
  add x2, x0, #8
  add x2, x2, x1, lsl #5
  mrs x3, esr_el1
  str x3, [x2]
  mrs x3, far_el1
  str x3, [x2, #8]
  mrs x3, elr_el1
  str x3, [x2, #16]
9:add x1, x1, #1
  str x1, [x0]
  mrs x3, elr_el1
  add x3, x3, #4
  msr elr_el1, x3
  ldp x2, x3, [sp, #16]
  ldp x0, x1, [sp], #32
  eret

secure_hello:
  .asciz "secure differential program at S-EL1: "
  .balign 4
fatal_handler:
  mov x4, #0x09000000
  mov w1, #0x46
  strb w1, [x4]
  mrs x0, esr_el1
  bl print_hex
  mrs x0, elr_el1
  bl print_hex
finish:
  ldr x0, =${hex(TSP_ENTRY_DONE)}
  mov x1, #0
  smc #0
  b finish
  .ltorg

.balign 2048
vectors:
${Array.from({ length: 16 }, (_, i) => `.balign 128\n  ${i === 4 ? 'b sync_handler' : 'b fatal_handler'}`).join('\n')}
.balign 8
ns_table_image:
${nsTable.map((w) => `  .quad ${hex(w)}`).join('\n')}
.balign 128
sequences:
`;

/** The S-EL1 program (a secure payload image) running `seqs`, ids `ids`. */
export function buildSecureProgram(seqs: readonly SecureSequence[], ids: readonly number[]): { source: string; bytes: Uint8Array } {
  const t = tables();
  const parts = [PROLOGUE(t.nsTableWords)];
  const data: string[] = [];
  seqs.forEach((s, i) => {
    parts.push(`seq_${i}:`, `  ldr x29, =rec_${i}`, '  bl init_state');
    for (const it of s.items) parts.push(...it.lines.map((l) => `  ${l}`));
    parts.push('  bl dump_state', `  b seq_${i}_next`, '  .ltorg', `seq_${i}_next:`);
    data.push('.balign 8', `rec_${i}:`, ...s.regs.map((v) => `  .quad ${hex(v)}`), `  .quad ${hex(BigInt(s.nzcv) << 28n)}`, `  .quad ${hex(s.memSeed)}`, `  .quad ${hex(ids[i] ?? i)}`);
  });
  parts.push('  b finish', '  .ltorg', t.secure, '.balign 64', 'exc_log:', `  .space ${8 + 32 * MAX_EXC_RECORDS}`, '.balign 16', '  .space 8192', 'stack_top:', ...data);
  const source = parts.join('\n') + '\n';
  try {
    return { source, bytes: assemble(source, { baseAddress: BigInt(SECURE_PAYLOAD_BASE) }).bytes };
  } catch (e) {
    const line = (e as { line?: number }).line;
    throw new Error(`secure differential program does not assemble: ${(e as Error).message}${line === undefined ? '' : ` (line ${line}: '${source.split('\n')[line - 1]?.trim()}')`}`);
  }
}

/** The EL3 stub for QEMU's -bios: the program follows it in the flash image. */
export function el3Stub(program: Uint8Array): Uint8Array {
  const stub = (size: number): Uint8Array => assemble(`
_start:
  adr x0, payload
  ldr x1, =${SECURE_PAYLOAD_BASE}
  ldr x2, =${size}
  add x2, x0, x2
1:ldr x3, [x0], #8
  str x3, [x1], #8
  cmp x0, x2
  b.lo 1b
  dsb sy
  ic iallu
  isb
  ldr x0, =el3_vectors
  msr vbar_el3, x0
  ldr x0, =${hex(SECURE_SCR)}
  msr scr_el3, x0
  mov x0, #0x3c5           // EL1h, DAIF masked
  msr spsr_el3, x0
  ldr x0, =${SECURE_PAYLOAD_BASE}
  msr elr_el3, x0
${Array.from({ length: 31 }, (_, i) => `  mov x${i}, #0`).join('\n')}
  eret
  .ltorg
.balign 2048
el3_vectors:
${Array.from({ length: 16 }, () => '.balign 128\n  b exit').join('\n')}
exit:
  ldr x1, =${SECURE_SCRATCH + 0x10_0000}
  ldr x0, =0x20026          // ADP_Stopped_ApplicationExit
  str x0, [x1]
  str xzr, [x1, #8]
  mov w0, #0x18             // SYS_EXIT
  hlt #0xf000
  b .
  .ltorg
.balign 8
payload:
`, { baseAddress: 0n }).bytes;
  const padded = (program.length + 7) & ~7;
  const head = stub(padded);
  const out = new Uint8Array(head.length + padded);
  out.set(head);
  out.set(program, head.length);
  return out;
}

/** Instructions per sequence for hvrr (sequences are short). */
const HVRR_INSNS_PER_SEQ = 20_000;
/** The Non-secure kernel after the payload: PSCI SYSTEM_OFF over SMC. */
const NS_KERNEL = assemble('ldr x0, =0x84000008\n  smc #0\n  b .\n  .ltorg', { baseAddress: 0x4008_0000n }).bytes;

/** Run the program as hvrr's secure payload; its UART output and how the run stopped. */
export function runSecureHvrr(program: Uint8Array, numSeqs: number, engine: 'jit' | 'interp' = 'jit'): { output: string; stop: string; secureOutput: string } {
  const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: true });
  m.core.setEngine(engine);
  if (engine === 'jit') m.core.setJitThreshold(1);
  bootKernel(m, { kernel: NS_KERNEL });
  secureColdBoot(m);
  installSecurePayload(m, program).coldBoot(m);
  const out: number[] = [];
  const secure: number[] = [];
  m.onConsole = (b) => out.push(b);
  m.onSecureConsole = (b) => secure.push(b);
  const r = m.run(100_000 + numSeqs * HVRR_INSNS_PER_SEQ);
  return { output: Buffer.from(out).toString('latin1'), stop: r.kind === 'halt' ? `halt: ${r.message}` : r.kind, secureOutput: Buffer.from(secure).toString('latin1') };
}

export async function runSecureQemu(program: Uint8Array, timeoutMs = 120_000): Promise<{ output: string; stop: string; secureOutput: string }> {
  const r = await runQemuImage(el3Stub(program), { cpu: SECURE_QEMU_CPU, secure: true, secureSerial: true, memMiB: 64, timeoutMs });
  return { ...r, secureOutput: r.secureOutput ?? '' };
}

export function lineName(i: number): string {
  if (i < DATA_REGS) return `x${i}`;
  const names = ['nzcv', 'secure-scratch-digest', 'ns-scratch-digest', 'exception-count'];
  if (i < DATA_REGS + names.length) return names[i - DATA_REGS]!;
  const k = i - DATA_REGS - names.length;
  return `exception[${Math.floor(k / 3)}].${['esr', 'far', 'elr'][k % 3]}`;
}

/** The first differing line of each sequence between hvrr's and QEMU's output (the integer tier's comparison, this tier's line names). */
export function compareSecure(ids: readonly number[], hvrr: string, qemuOut: string): Mismatch[] {
  return compareOutputs(ids, hvrr, qemuOut, lineName);
}
