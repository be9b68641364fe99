// Differential harness: packs many generated instruction sequences into one
// bare-metal AArch64 binary, runs it on hvrr (Machine + bootKernel) and on
// QEMU TCG (qemu-system-aarch64 -M virt -kernel), and compares what both
// print on the PL011 UART.
//
// Binary layout (raw image, loaded at 0x40080000 by both):
//   prologue  identity-mapped MMU (L1 1 GiB blocks: [0,1G) Device-nGnRnE,
//             [1G,2G) Normal WB, [2G,4G) invalid), VBAR_EL1, SP_EL1
//   per sequence: `ldr x29, =rec; bl init_state; <sequence>; bl dump_state`
//   epilogue  PSCI SYSTEM_OFF over HVC
//   handlers  EL1h synchronous handler logging ESR/FAR/ELR and returning past
//             the faulting instruction (SVC already returns past it)
//   data      per-sequence records (x0..x24, NZCV, memory seed, id),
//             exception log, scratch area, stack, page table
//
// Registers: x0..x24 belong to the sequence; x25 (index), x26, x27 (bases)
// are address temporaries the generator sets before each memory access;
// x28 = scratch + 512 (constant); x29 = record pointer; x30 = link; SP_EL1 is
// the handler stack. The dump prints x0..x27, NZCV, a digest of the scratch
// area, the exception count and up to 4 exception records.
import type { CpuEngine } from '../../core/cpu/cpu.js';
import { qemuVirtArgs, runQemuImage } from '../../scripts/qemu.js';
import { assemble } from '../../core/asm/assembler.js';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import type { Sequence } from './generator.js';
import { renderSequence } from './generator.js';


/** `print_hex`: x0 as 16 hex digits and a newline to the UART data register
 *  at x4; clobbers x1..x3 (the output line format of the differential tiers). */
export const PRINT_HEX_LINE_ASM = `
print_hex:
  mov x2, #60
print_nibble:
  lsr x1, x0, x2
  and x1, x1, #15
  add x3, x1, #0x30
  add x1, x1, #0x57
  cmp x3, #0x39
  csel x1, x3, x1, ls
  strb w1, [x4]
  subs x2, x2, #4
  b.ge print_nibble
  mov w1, #10
  strb w1, [x4]
  ret
`;
export const LOAD_ADDRESS = 0x4008_0000n;
export const SCRATCH_BYTES = 1024;
export const MAX_EXC_RECORDS = 4;
/** Generated sequences may only name these general registers as data. */
export const NUM_DATA_REGS = 25;
export { QEMU_BIN, hasQemu } from '../../scripts/qemu.js';
/** cortex-a76: ARMv8.2 with LSE and CRC32 (QEMU's cortex-a57 lacks LSE). */
export const QEMU_CPU = 'cortex-a76';

/** QEMU command line; the UART goes to `serial` ('stdio' or 'file:<path>'). */
export function qemuArgs(kernelPath: string, serial = 'stdio'): string[] {
  return qemuVirtArgs(kernelPath, serial, { cpu: QEMU_CPU });
}

const PROLOGUE = `
.text
_start:
  ldr x0, =vectors
  msr vbar_el1, x0
  ldr x0, =stack_top
  mov sp, x0
  mov x0, #0xff00          // MAIR: attr0 Device-nGnRnE, attr1 Normal WB RA/WA
  msr mair_el1, x0
  ldr x0, =0x803520        // TCR: T0SZ=32, IRGN0=ORGN0=WB, SH0=inner, TG0=4K, EPD1, IPS=32-bit
  msr tcr_el1, x0
  ldr x0, =l1_table
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb sy
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1           // M
  orr x0, x0, #4           // C
  orr x0, x0, #0x1000      // I
  bic x0, x0, #2           // A: unaligned Normal accesses allowed
  msr sctlr_el1, x0
  isb
  b sequences

// x29 = record: x0..x24, NZCV, memory seed, id
init_state:
  clrex
  ldr x0, [x29, #208]
  ldr x1, =scratch
  mov x2, #${SCRATCH_BYTES / 8}
init_fill:
  eor x0, x0, x0, lsl #13
  eor x0, x0, x0, lsr #7
  eor x0, x0, x0, lsl #17
  str x0, [x1], #8
  subs x2, x2, #1
  b.ne init_fill
  ldr x1, =exc_log
  str xzr, [x1]
  ldr x0, [x29, #200]
  msr nzcv, x0
  ldr x28, =scratch + 512
  mov x25, #0
  mov x26, x28
  mov x27, x28
  ldp x0, x1, [x29, #0]
  ldp x2, x3, [x29, #16]
  ldp x4, x5, [x29, #32]
  ldp x6, x7, [x29, #48]
  ldp x8, x9, [x29, #64]
  ldp x10, x11, [x29, #80]
  ldp x12, x13, [x29, #96]
  ldp x14, x15, [x29, #112]
  ldp x16, x17, [x29, #128]
  ldp x18, x19, [x29, #144]
  ldp x20, x21, [x29, #160]
  ldp x22, x23, [x29, #176]
  ldr x24, [x29, #192]
  ret

dump_state:
  stp x0, x1, [sp, #-256]!
  mrs x0, nzcv
  stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  stp x16, x17, [sp, #128]
  stp x18, x19, [sp, #144]
  stp x20, x21, [sp, #160]
  stp x22, x23, [sp, #176]
  stp x24, x25, [sp, #192]
  stp x26, x27, [sp, #208]
  stp x0, x30, [sp, #224]
  mov x4, #0x09000000
  mov w1, #0x53
  strb w1, [x4]
  ldr x0, [x29, #216]
  bl print_hex
  mov x5, #0
dump_regs:
  ldr x0, [sp, x5, lsl #3]
  bl print_hex
  add x5, x5, #1
  cmp x5, #29
  b.ne dump_regs
  ldr x1, =scratch
  mov x2, #${SCRATCH_BYTES / 8}
  mov x0, #0
  ldr x6, =0x9e3779b97f4a7c15
dump_digest:
  ldr x3, [x1], #8
  eor x0, x3, x0, ror #59
  mul x0, x0, x6
  subs x2, x2, #1
  b.ne dump_digest
  bl print_hex
  ldr x7, =exc_log
  ldr x5, [x7], #8
  mov x0, x5
  bl print_hex
  mov x8, #${MAX_EXC_RECORDS}
  cmp x5, x8
  csel x5, x5, x8, ls
dump_exc:
  cbz x5, dump_done
  ldr x0, [x7]
  bl print_hex
  ldr x0, [x7, #8]
  bl print_hex
  ldr x0, [x7, #16]
  bl print_hex
  add x7, x7, #32
  sub x5, x5, #1
  b dump_exc
dump_done:
  ldr x30, [sp, #232]
  add sp, sp, #256
  ret

${PRINT_HEX_LINE_ASM}

sync_handler:
  stp x0, x1, [sp, #-32]!
  stp x2, x3, [sp, #16]
  ldr x0, =exc_log
  ldr x1, [x0]
  cmp x1, #${MAX_EXC_RECORDS}
  b.hs sync_count
  add x2, x0, #8
  add x2, x2, x1, lsl #5
  mrs x3, esr_el1
  str x3, [x2]
  mrs x3, elr_el1
  str x3, [x2, #16]
  mrs x3, esr_el1
  lsr x3, x3, #26
  and x3, x3, #0x3c
  cmp x3, #0x24            // EC 0x24/0x25 data abort, 0x20/0x21 instruction abort: FAR valid
  b.eq sync_far
  cmp x3, #0x20
  b.eq sync_far
  str xzr, [x2, #8]
  b sync_count
sync_far:
  mrs x3, far_el1
  str x3, [x2, #8]
sync_count:
  add x1, x1, #1
  str x1, [x0]
  mrs x3, esr_el1
  lsr x3, x3, #26
  cmp x3, #0x15            // SVC: ELR is already past the instruction
  b.eq sync_return
  mrs x3, elr_el1
  add x3, x3, #4
  msr elr_el1, x3
sync_return:
  ldp x2, x3, [sp, #16]
  ldp x0, x1, [sp], #32
  eret

fatal_handler:
  mov x4, #0x09000000
  mov w1, #0x46            // 'F'
  strb w1, [x4]
  mrs x0, esr_el1
  bl print_hex
  mrs x0, elr_el1
  bl print_hex
power_off:
  ldr x0, =0x84000008
  hvc #0
  b power_off
  .ltorg

.balign 2048
vectors:
${Array.from({ length: 16 }, (_, i) => `.balign 128\n  ${i === 4 ? 'b sync_handler' : 'b fatal_handler'}`).join('\n')}
.balign 128
sequences:
`;

function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

export interface BuiltProgram {
  source: string;
  bytes: Uint8Array;
}

/** Assemble one binary running `seqs` in order; sequence ids are their indices in `ids`. */
export function buildProgram(seqs: readonly Sequence[], ids: readonly number[]): BuiltProgram {
  const parts: string[] = [PROLOGUE];
  const data: string[] = [];
  seqs.forEach((s, i) => {
    parts.push(`seq_${i}:`, `  ldr x29, =rec_${i}`, '  bl init_state');
    parts.push(...renderSequence(s, `s${i}_`).map((l) => `  ${l}`));
    parts.push(`seq_${i}_end:`, '  bl dump_state', `  b seq_${i}_next`, '  .ltorg', `seq_${i}_next:`);
    const id = ids[i] ?? i;
    data.push(
      '.balign 8',
      `rec_${i}:`,
      ...s.init.regs.map((v) => `  .quad ${hex64(v)}`),
      `  .quad ${hex64(BigInt(s.init.nzcv) << 28n)}`,
      `  .quad ${hex64(s.init.memSeed)}`,
      `  .quad ${hex64(BigInt(id))}`,
    );
  });
  parts.push('  b power_off', '  .ltorg', '.balign 4096', 'l1_table:',
    '  .quad 0x0000000000000401', // [0,1G): block, AF, AttrIndx 0 (Device)
    '  .quad 0x0000000040000705', // [1G,2G): block, AF, inner shareable, AttrIndx 1 (Normal)
    '  .quad 0', '  .quad 0',
    '  .space 4064',
    '.balign 64', 'exc_log:', `  .space ${8 + 32 * MAX_EXC_RECORDS}`,
    '.balign 64', 'scratch:', `  .space ${SCRATCH_BYTES}`,
    '.balign 16', '  .space 8192', 'stack_top:',
    ...data);
  const source = parts.join('\n') + '\n';
  try {
    const { bytes } = assemble(source, { baseAddress: LOAD_ADDRESS });
    return { source, bytes };
  } catch (e) {
    const line = (e as { line?: number }).line;
    const text = line === undefined ? '' : ` (line ${line}: '${source.split('\n')[line - 1]?.trim()}')`;
    throw new Error(`differential program does not assemble: ${(e as Error).message}${text}`);
  }
}

/** Instruction budget per sequence for hvrr (generous; sequences are short). */
const HVRR_INSNS_PER_SEQ = 20_000;

export function runHvrr(bytes: Uint8Array, numSeqs: number, engine?: { name: CpuEngine; jitThreshold?: number }): { output: string; stop: string; digest: string; instructions: number } {
  const m = new Machine({ numCpus: 1, ramBytes: 256 * 1024 * 1024, seed: 1n });
  // Default: the translator at threshold 1, so every block of the program is
  // translated before it first runs and QEMU checks the translations too.
  const e = engine ?? { name: 'jit', jitThreshold: 1 };
  m.core.setEngine(e.name);
  if (e.jitThreshold !== undefined) m.core.setJitThreshold(e.jitThreshold);
  const out: number[] = [];
  m.onConsole = (b) => out.push(b);
  bootKernel(m, { kernel: bytes });
  const r = m.run(50_000 + numSeqs * HVRR_INSNS_PER_SEQ);
  const stop = r.kind === 'halt' ? `halt: ${r.message}` : r.kind;
  return { output: Buffer.from(out).toString('latin1'), stop, digest: m.trace.digest(), instructions: m.instructions };
}

export async function runQemu(bytes: Uint8Array, timeoutMs = 60_000): Promise<{ output: string; stop: string }> {
  return runQemuImage(bytes, { cpu: QEMU_CPU, timeoutMs });
}

/** Parsed output: one block of lines per sequence id. */
export function parseOutput(output: string): Map<number, string[]> {
  const blocks = new Map<number, string[]>();
  let cur: string[] | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith('S')) {
      cur = [];
      blocks.set(parseInt(line.slice(1), 16), cur);
    } else if (cur && line.length > 0) {
      cur.push(line);
    }
  }
  return blocks;
}

export function lineName(i: number): string {
  if (i < 28) return `x${i}`;
  if (i === 28) return 'nzcv';
  if (i === 29) return 'scratch-digest';
  if (i === 30) return 'exception-count';
  const k = i - 31;
  return `exception[${Math.floor(k / 3)}].${['esr', 'far', 'elr'][k % 3]}`;
}

export interface Mismatch {
  id: number;
  what: string;
  hvrr: string;
  qemu: string;
}

/** Compare per-sequence blocks; returns the first mismatch per sequence, named by `name` (line index -> what it holds). */
export function compareOutputs(ids: readonly number[], hvrr: string, qemu: string, name: (i: number) => string = lineName): Mismatch[] {
  const h = parseOutput(hvrr);
  const q = parseOutput(qemu);
  const out: Mismatch[] = [];
  for (const id of ids) {
    const hb = h.get(id);
    const qb = q.get(id);
    if (!hb || !qb) {
      out.push({ id, what: 'missing output', hvrr: hb ? 'present' : 'missing', qemu: qb ? 'present' : 'missing' });
      continue;
    }
    const n = Math.max(hb.length, qb.length);
    for (let i = 0; i < n; i++) {
      if (hb[i] !== qb[i]) {
        out.push({ id, what: name(i), hvrr: hb[i] ?? '(none)', qemu: qb[i] ?? '(none)' });
        break;
      }
    }
  }
  return out;
}
