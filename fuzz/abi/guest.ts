// The image of `hvrr fuzz abi`: every VM runs it; HVC_GET_STATUS tells it
// which VM it is. VM 0 is hostile: it performs the case's actions one after
// the other at EL1, each with the runtime's "expected exception" set (a
// fault or UNDEFINED skips the instruction), restores its stack pointer
// after each, and logs x0-x9 into a ring in its RAM (so a value it ever
// read is in memory for the host to find). VM 1 is the victim: it fills a
// page with a secret computed in registers (the constant is in no image)
// and waits. The stage-1 identity map covers 16 GiB so accesses above RAM
// reach the hypervisor as Stage-2 faults instead of stopping at stage 1.
import { assemble } from '../../core/asm/assembler.js';
import { HVC_GET_STATUS } from '../../core/hypervisor/hypercalls.js';
import { Asm, LOAD_ADDRESS, buildProgram } from '../../guests/conformance/runtime.js';
import type { AbiAction, AbiCase } from './actions.js';

/** What the victim writes over its secret page (512 copies); no image contains it. */
export const ABI_SECRET = 0x7a1e_5ec2_c0de_0b57n;
const SECRET_MASK = 0x5a5a_a5a5_f00f_0ff0n;
export const ABI_DONE_LINE = 'abi: done';
export const ABI_VICTIM_LINE = 'abi victim: secret planted';
const LOG_SLOTS = 64;
/** Counter ticks the hostile VM waits before acting (the victim needs a few microseconds). */
const ABI_HOSTILE_DELAY_TICKS = 5000;

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** EL1 registers a write to which would take the program's own control away (not the hypervisor's concern). */
const WRITE_BLOCKED: readonly [number, number, number, number][] = [
  [0, 1, 0, 0], // SCTLR_EL1
  [0, 1, 0, 2], // CPACR_EL1
  [0, 2, 0, 0], [0, 2, 0, 1], [0, 2, 0, 2], // TTBR0, TTBR1, TCR
  [0, 4, 0, 0], [0, 4, 0, 1], // SPSR_EL1, ELR_EL1 (the handler's)
  [0, 4, 1, 0], // SP_EL0
  [0, 4, 2, 0], // SPSel
  [0, 10, 2, 0], [0, 10, 3, 0], // MAIR, AMAIR
  [0, 12, 0, 0], // VBAR_EL1
  [0, 13, 0, 4], // TPIDR_EL1 (the runtime's CPU index)
];

/** Instruction classes (bits 28:25) a random word may come from: data processing and SIMD/FP; not branches, system or loads/stores. */
export function randomWordAllowed(word: number): boolean {
  const op0 = (word >>> 25) & 0xf;
  if ((op0 & 0b1110) === 0b1010) return false; // branches, exception generation, system
  if ((op0 & 0b0101) === 0b0100) return false; // loads and stores
  return true;
}

/** The victim's start: the secret over `secret_page`, computed in registers (x1-x3 cleared after). */
export const PLANT_SECRET = `    ldr x0, =secret_page
    ldr x1, =${hex(ABI_SECRET ^ SECRET_MASK)}
    ldr x3, =${hex(SECRET_MASK)}
    eor x1, x1, x3
    mov x2, #512
1:  str x1, [x0], #8
    subs x2, x2, #1
    b.ne 1b
    mov x1, #0
    mov x3, #0
    dsb sy
`;

/** One action as A64 (the same for a VM at NS-EL1 and a partition at S-EL1). */
export function actionAsm(x: AbiAction): string {
  switch (x.kind) {
    case 'hvc':
    case 'smc':
      return x.args.map((v, i) => `    ldr x${i + 1}, =${hex(v)}\n`).join('') + `    ldr x0, =${hex(x.fid)}\n    ${x.kind} #0\n`;
    case 'mmio-read': {
      const ld = { 1: 'ldrb w0', 2: 'ldrh w0', 4: 'ldr w0', 8: 'ldr x0' }[x.size];
      return `    ldr x9, =${hex(x.address)}\n    ${ld}, [x9]\n`;
    }
    case 'mmio-write': {
      const st = { 1: 'strb w10', 2: 'strh w10', 4: 'str w10', 8: 'str x10' }[x.size];
      return `    ldr x9, =${hex(x.address)}\n    ldr x10, =${hex(x.value)}\n    ${st}, [x9]\n`;
    }
    case 'sysreg-read':
    case 'sysreg-write': {
      const write = x.kind === 'sysreg-write' && !WRITE_BLOCKED.some(([a, b, c, d]) => a === x.op1 && b === x.crn && c === x.crm && d === x.op2);
      const word = ((write ? 0xd518_0000 : 0xd538_0000) | (x.op1 << 16) | (x.crn << 12) | (x.crm << 8) | (x.op2 << 5) | 9) >>> 0;
      return `${write ? `    ldr x9, =${hex(x.value)}\n` : ''}    .inst ${hex(word)}\n`;
    }
    case 'insn':
      return randomWordAllowed(x.word) ? `    .inst ${hex(x.word)}\n` : `    nop // ${hex(x.word)} is a branch, system or load/store word\n`;
  }
}

export function abiGuestSource(c: AbiCase): string {
  const a = new Asm('ab_');
  let main = `
    mov x0, #${HVC_GET_STATUS}
    hvc #0
    cbnz x1, victim
    // 1 GiB identity Normal blocks for 2..16 GiB (L1[2..15])
    ldr x0, =l1_table
    mov x1, #2
1:  lsl x2, x1, #30
    ldr x3, =0x705
    orr x2, x2, x3
    str x2, [x0, x1, lsl #3]
    add x1, x1, #1
    cmp x1, #16
    b.lo 1b
    dsb ishst
    tlbi vmalle1
    dsb ish
    isb
    mov x16, sp
    ldr x17, =abi_sp
    str x16, [x17]
    ldr x0, =${ABI_HOSTILE_DELAY_TICKS}       // let the victim plant its secret first
    bl delay
`;
  c.actions.forEach((x, i) => {
    main += `${Asm.expect()}${actionAsm(x)}    ldr x16, =abi_sp
    ldr x16, [x16]
    mov sp, x16
    ldr x16, =reglog + ${(i % LOG_SLOTS) * 80}
    stp x0, x1, [x16]
    stp x2, x3, [x16, #16]
    stp x4, x5, [x16, #32]
    stp x6, x7, [x16, #48]
    stp x8, x9, [x16, #64]
${Asm.taken()}`;
  });
  main += a.say(`${ABI_DONE_LINE}\n`);
  const code = `
victim:
${PLANT_SECRET}${a.say(`${ABI_VICTIM_LINE}\n`)}
2:  wfi
    b 2b
`;
  const data = `
    .balign 8
abi_sp: .quad 0
reglog: .space ${LOG_SLOTS * 80}
    .balign 4096
secret_page: .space 4096
`;
  return buildProgram({ name: 'abi-fuzz', main, code, data, asm: a });
}

/** The image and the IPA of its secret page. */
export function abiGuestImage(c: AbiCase): { bytes: Uint8Array; secretIpa: bigint } {
  const r = assemble(abiGuestSource(c), { baseAddress: LOAD_ADDRESS });
  const secretIpa = r.symbols.get('secret_page');
  if (secretIpa === undefined) throw new Error('abi guest has no secret_page symbol');
  return { bytes: r.bytes, secretIpa };
}
