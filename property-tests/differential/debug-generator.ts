// Generated cases for the debug-architecture differential tier
// (debug.test.ts): each case programs hardware breakpoints, watchpoints and
// software step at random (ARM ARM D2), runs a short random code block at
// EL0 or EL1 under them, and logs every debug exception taken: ESR, ELR and
// FAR. One bare-metal image holds many cases; it runs unchanged on QEMU
// (-kernel, EL1) and on hvrr, which must print the same log.
//
// The image: the MMU is off (PA = VA). Per case the EL1 "kernel" clears
// every debug register, programs the case's, and ERETs into the block
// (SPSR from the case: EL0t or EL1h, PSTATE.D, PSTATE.SS). The block ends
// with SVC. The EL1 handler prints `X esr elr far` for each exception (debug ones,
// and the BRK and UDF a block may hold) and returns: past a breakpoint,
// watchpoint, BRK or UDF (ELR + 4), and with
// SPSR.SS = 1 after a step (so stepping goes on, as a debugger does); the
// SVC, or the 8th exception, ends the case. The OS lock is cleared once at
// the start: QEMU does not let OSLSR_EL1.OSLK block debug exceptions (the
// ARM ARM does; hvrr follows it: core/cpu/debugArch.test.ts covers it).
// After a watchpoint hit the handler rewrites every DBGWCR<n>_EL1 with its
// own value (architecturally nothing): QEMU keeps a watchpoint's "hit by a
// write" flag until the watchpoint is re-inserted, so a later load hitting
// it would report WnR = 1 (ESR.ISS.WnR is 0 for a load, D2.11.5).
//
// With `mmu`, the same cases run with the stage 1 MMU on and every address
// a case uses virtual and not physical: the blocks execute from an alias of
// the image (VA CODE_ALIAS -> the image's 2 MiB, read-only at EL1 and EL0),
// their data is at VA DATA_VA (-> PA DATA_PA, read/write at EL0, never
// executable), and the breakpoint and watchpoint values are those VAs
// (D2.8.2, D2.9.2: they compare virtual addresses); FAR is a VA too. The
// set-up code and the handler run from the identity map of the image.
import { assemble } from '../../core/asm/assembler.js';
import { MAIR, TCR } from '../../guests/lib/mmu.js';

export const DEBUG_LOAD_ADDRESS = 0x4008_0000n;
export const MAX_EXCEPTIONS = 8;
const DATA_BYTES = 0x2000;
/** MMU on: where the blocks run (an alias of the image's 2 MiB at 0x4000_0000) and their data (VA -> PA). */
const CODE_ALIAS = 0xc000_0000n;
const IMAGE_BLOCK = 0x4000_0000n;
const DATA_VA = 0x8000_0000n;
const DATA_PA = 0x4100_0000n;
/** Stage 1 descriptors (VMSAv8-64, D8.3): block = 0b01, table = 0b11,
 *  AttrIndx[4:2] (MAIR attr0 Device, attr1 Normal), AP[7:6], SH[9:8], AF[10], PXN[53], UXN[54]. */
const BLOCK = 1n;
const NORMAL = (1n << 2n) | (3n << 8n) | (1n << 10n);
const DEVICE_BLOCK = BLOCK | (1n << 10n) | (1n << 53n) | (1n << 54n); // EL1 read/write only
const CODE_BLOCK = IMAGE_BLOCK | BLOCK | NORMAL | (3n << 6n); // read-only at EL1 and EL0, executable at both
const DATA_BLOCK = DATA_PA | BLOCK | NORMAL | (1n << 6n) | (1n << 53n) | (1n << 54n); // read/write at EL1 and EL0

export interface DebugProgramOptions {
  /** Run the cases with the MMU on, at virtual addresses that are not their physical ones. */
  mmu?: boolean;
}

/** xorshift32: the tier's only randomness, from the printed seed. */
export function prng(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

export interface DebugCase {
  el: 0 | 1;
  /** PSTATE.D clear in the block (EL1 cases; EL0 ignores it for EL1-targeted exceptions). */
  dClear: boolean;
  spsrSs: boolean;
  mdscr: number;
  contextidr: number;
  /** [n, DBGBVR value or a label `@k` (the block's k-th instruction), DBGBCR]. */
  bps: Array<{ n: number; at: number | null; bvr: bigint; bcr: number }>;
  wps: Array<{ n: number; wvrOffset: number; wcr: number }>;
  block: string[];
}

export function generateCase(rnd: () => number): DebugCase {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;
  const int = (n: number): number => Math.floor(rnd() * n);
  const el: 0 | 1 = chance(0.7) ? 0 : 1;
  const block: string[] = [];
  const len = 4 + int(8);
  for (let i = 0; i < len; i++) block.push(instruction(rnd));
  const mdscr = (chance(0.9) ? 1 << 15 : 0) | (chance(el === 1 ? 0.7 : 0.3) ? 1 << 13 : 0) | (chance(0.3) ? 1 : 0);
  const bps: DebugCase['bps'] = [];
  const ctx = chance(0.3);
  for (let k = int(3); k > 0; k--) {
    const n = int(4);
    if (bps.some((b) => b.n === n)) continue;
    const bas = pick([0xf, 0xf, 0xf, 0xf, 0x0, 0x3, 0xc]);
    const linked = ctx && chance(0.5);
    const bcr = (chance(0.9) ? 1 : 0) | ((1 + int(3)) << 1) | (bas << 5) | (int(3) << 14) | (linked ? (1 << 20) | (4 << 16) : 0);
    bps.push({ n, at: int(len), bvr: 0n, bcr });
  }
  if (ctx) bps.push({ n: 4, at: null, bvr: 0x42n, bcr: 1 | (3 << 1) | (0xf << 5) | (3 << 20) });
  const wps: DebugCase['wps'] = [];
  for (let k = int(3); k > 0; k--) {
    const n = int(4);
    if (wps.some((w) => w.n === n)) continue;
    const mask = chance(0.2) ? 3 + int(4) : 0;
    let bas = chance(0.5) ? pick([0x01, 0x03, 0x0f, 0xff, 0xf0, 0x0c, 0x80, 0x18]) : 1 + int(255);
    let wvrOffset = 8 * int(8);
    if (!mask && chance(0.1)) {
      wvrOffset += 4;
      bas &= 0xf;
      if (bas === 0) bas = 1;
    }
    const linked = ctx && chance(0.5); // WT: only while the context breakpoint 4 matches
    const wcr = (chance(0.9) ? 1 : 0) | ((1 + int(3)) << 1) | (int(4) << 3) | ((mask ? 0 : bas) << 5) | (int(3) << 14) | (mask << 24) | (linked ? (1 << 20) | (4 << 16) : 0);
    wps.push({ n, wvrOffset, wcr });
  }
  return { el, dClear: chance(0.6), spsrSs: chance(0.6), mdscr, contextidr: chance(0.5) ? 0x42 : 0x43, bps, wps, block };
}

/** One instruction of a block: arithmetic, or a load/store (aligned: the
 *  MMU is off, so data is Device memory) at x1 = data, x2 = data + 0x1000. */
function instruction(rnd: () => number): string {
  const int = (n: number): number => Math.floor(rnd() * n);
  const r = 3 + int(8);
  const base = rnd() < 0.8 ? 'x1' : 'x2';
  switch (int(9)) {
    case 8: return pick3(rnd, [`brk #${int(0x10000)}`, 'udf #0', `ldxr x${r}, [x1]`]); // also stepped: EC 0x3C, EC 0, EX
    case 0: return 'nop';
    case 1: return `add x${r}, x${r}, #${int(4096)}`;
    case 2: return `ldrb w${r}, [${base}, #${int(64)}]`;
    case 3: return `ldrh w${r}, [${base}, #${2 * int(32)}]`;
    case 4: return `str w${r}, [${base}, #${4 * int(16)}]`;
    case 5: return `ldr x${r}, [${base}, #${8 * int(8)}]`;
    case 6: return `strb w${r}, [${base}, #${int(64)}]`;
    default: return rnd() < 0.5 ? `stp x3, x4, [${base}, #${8 * int(7)}]` : `ldp x5, x6, [${base}, #${8 * int(7)}]`;
  }
}

function pick3(rnd: () => number, xs: readonly [string, string, string]): string {
  return xs[Math.floor(rnd() * 3)]!;
}

const hex = (v: bigint | number): string => '0x' + BigInt(v).toString(16);

/** The image of `cases`: prints `C<i>` per case, `X esr elr far` per debug exception, `D` at its end. */
export function debugProgram(cases: readonly DebugCase[], opts: DebugProgramOptions = {}): Uint8Array {
  const out: string[] = [`
.text
_start:
  ldr x0, =vectors
  msr vbar_el1, x0
  ldr x0, =stack_top
  mov sp, x0
  msr daifset, #0xf         // the set-up code runs with PSTATE.D: never stepped
  msr oslar_el1, xzr
  isb
  mov x27, #0x09000000
${opts.mmu ? mmuOn() : ''}`];
  cases.forEach((c, i) => out.push(caseCode(c, i, opts.mmu ? { code: CODE_ALIAS - IMAGE_BLOCK, data: hex(DATA_VA) } : { code: 0n, data: 'data' })));
  out.push(`
  ldr x0, =0x84000008       // PSCI SYSTEM_OFF
  hvc #0
1: b 1b

// x0 = value; prints ' ' then 16 hex digits; clobbers x24..x26
print_hex:
  mov w24, #32
  strb w24, [x27]
  mov x25, #60
2: lsr x24, x0, x25
  and x24, x24, #15
  add x26, x24, #0x30
  add x24, x24, #0x57
  cmp x26, #0x39
  csel x24, x26, x24, ls
  strb w24, [x27]
  subs x25, x25, #4
  b.ge 2b
  ret

// x0 = character
putc:
  strb w0, [x27]
  ret

// Every vector: log a debug exception, resume past it (or step on); SVC or too many: end the case.
debug_handler:
  mov x23, x30
  mrs x20, esr_el1
  lsr x21, x20, #26
  cmp x21, #0x15
  b.eq case_end
  add x22, x22, #1
  mov x0, #0x58             // 'X'
  bl putc
  mov x0, x20
  bl print_hex
  mrs x0, elr_el1
  bl print_hex
  mov x0, #0
  cmp x21, #0x34
  b.lo 3f
  cmp x21, #0x35
  b.hi 3f
  mrs x0, far_el1           // watchpoints: FAR is the watched address
${[0, 1, 2, 3].map((n) => `  mrs x24, dbgwcr${n}_el1\n  msr dbgwcr${n}_el1, x24`).join('\n')}
3: bl print_hex
  mov x0, #10
  bl putc
  cmp x22, #${MAX_EXCEPTIONS}
  b.hs case_end
  mov x30, x23
  and x21, x21, #0x3e
  cmp x21, #0x32
  b.eq 4f
  mrs x0, elr_el1           // breakpoint, watchpoint: past the instruction
  add x0, x0, #4
  msr elr_el1, x0
  eret
4: mrs x0, spsr_el1          // software step: step the next one
  orr x0, x0, #0x200000
  msr spsr_el1, x0
  eret
case_end:
  msr mdscr_el1, xzr
  isb
  mov x0, #0x44             // 'D'
  bl putc
  mov x0, #10
  bl putc
  msr elr_el1, x19
  mov x0, #0x3c5
  msr spsr_el1, x0
  eret

.balign 0x800
vectors:
${Array.from({ length: 16 }, () => '.balign 0x80\n  b debug_handler').join('\n')}

.balign 4096
data:
  .space ${DATA_BYTES}
.balign 16
  .space 4096
stack_top:
${opts.mmu ? tables() : ''}`);
  return assemble(out.join('\n') + '\n', { baseAddress: DEBUG_LOAD_ADDRESS }).bytes;
}

/** Tables for a 39-bit VA (level 1: 1 GiB per entry): devices at 0, the
 *  image's 2 MiB identity-mapped and at CODE_ALIAS, the data at DATA_VA. */
function tables(): string {
  const l1 = (i: number): number => i * 8;
  return `
.balign 4096
l1_table:
  .quad ${hex(DEVICE_BLOCK)}
  .quad l2_code + 3
  .quad l2_data + 3
  .quad l2_code + 3
  .space 4096 - ${l1(4)}
l2_code:
  .quad ${hex(CODE_BLOCK)}
  .space 4096 - 8
l2_data:
  .quad ${hex(DATA_BLOCK)}
  .space 4096 - 8
`;
}

function mmuOn(): string {
  return `  ldr x0, =${hex(MAIR)}
  msr mair_el1, x0
  ldr x0, =${hex(TCR)}
  msr tcr_el1, x0
  ldr x0, =l1_table
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb nsh
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1            // M
  orr x0, x0, #4            // C
  orr x0, x0, #0x1000       // I
  msr sctlr_el1, x0
  isb
`;
}

/** `at.code`: added to the blocks' labels (where they run); `at.data`: the blocks' data address. */
function caseCode(c: DebugCase, i: number, at: { code: bigint; data: string }): string {
  const code = (label: string): string => (at.code === 0n ? label : `${label} + ${hex(at.code)}`);
  const lines: string[] = [`
// ---- case ${i}
  msr mdscr_el1, xzr
${[0, 1, 2, 3, 4, 5].map((n) => `  msr dbgbcr${n}_el1, xzr`).join('\n')}
${[0, 1, 2, 3].map((n) => `  msr dbgwcr${n}_el1, xzr`).join('\n')}
  mov x0, #0x43             // 'C'
  bl putc
  mov x0, #${i}
  bl print_hex
  mov x0, #10
  bl putc
  mov x0, #${c.contextidr}
  msr contextidr_el1, x0`];
  for (const b of c.bps) {
    lines.push(b.at === null ? `  ldr x0, =${hex(b.bvr)}` : `  ldr x0, =${code(`c${i}_${b.at}`)}`);
    lines.push(`  msr dbgbvr${b.n}_el1, x0`, `  ldr x0, =${hex(b.bcr)}`, `  msr dbgbcr${b.n}_el1, x0`);
  }
  for (const w of c.wps) {
    lines.push(`  ldr x0, =${at.data} + ${w.wvrOffset}`, `  msr dbgwvr${w.n}_el1, x0`, `  ldr x0, =${hex(w.wcr)}`, `  msr dbgwcr${w.n}_el1, x0`);
  }
  const spsr = (c.el === 0 ? 0 : 0x1c5 | (c.dClear ? 0 : 0x200)) | (c.spsrSs ? 1 << 21 : 0);
  lines.push(`  ldr x0, =${hex(c.mdscr)}`, '  msr mdscr_el1, x0', '  isb',
    `  ldr x1, =${at.data}`, '  add x2, x1, #0x1000', `  ldr x19, =c${i}_done`, '  mov x22, #0',
    `  ldr x0, =${code(`c${i}_0`)}`, '  msr elr_el1, x0', `  ldr x0, =${hex(spsr)}`, '  msr spsr_el1, x0', '  eret');
  c.block.forEach((insn, k) => lines.push(`c${i}_${k}: ${insn}`));
  lines.push(`c${i}_${c.block.length}: svc #0`, `c${i}_done:`);
  return lines.join('\n');
}
