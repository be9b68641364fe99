// Small bare-metal EL1 test programs for whole-machine hypervisor tests,
// assembled with core/asm: a common prologue (vectors, per-CPU stacks, GIC
// bring-up helper) around a test body. Programs report through a results
// area in their RAM, read back through the VM's backing (RESULTS_IPA).
import { assemble } from '../asm/assembler.js';
import type { Hypervisor } from './hypervisor.js';

export const LOAD_IPA = 0x4008_0000n;
/** Words written by the test body: RES + 8 * n. */
export const RESULTS_IPA = 0x4020_0000;
/** Exception log: +0 count, +8 ESR, +16 FAR, +24 ELR (of the last synchronous exception). */
export const EXC_LOG = RESULTS_IPA + 0x800;
/** IRQ counts: EXC_IRQS + cpu * 0x200 + intid * 8 (INTIDs < 64). */
export const IRQ_COUNTS = RESULTS_IPA + 0x1000;

export interface GuestParts {
  /** Code for CPU 0 after the prologue; falls through to SYSTEM_OFF. */
  main: string;
  /** Code for secondaries started by CPU_ON at `secondary` (x0 = context id); default CPU_OFF. */
  secondary?: string;
  /** Extra code run in the IRQ handler with x0 = INTID, before EOI. */
  onIrq?: string;
  /** Extra data/code appended. */
  extra?: string;
}

/** main code: this CPU's GIC interface up (gic_init for CPU 0), then SPI `intid`
 *  (32..63) Group 1 and enabled at the distributor. Clobbers x0, x1. */
export function enableSpi(intid: number): string {
  if (intid < 32 || intid > 63) throw new RangeError(`enableSpi: SPI ${intid} is not in IGROUPR1/ISENABLER1`);
  return `
    mov x1, #0
    bl gic_init
    ldr x0, =GICD
    ldr w1, =${1 << (intid - 32)}
    str w1, [x0, #0x84]
    str w1, [x0, #0x104]
`;
}

/** main code: the vPL011 RX and receive-timeout interrupts unmasked (UARTIMSC). */
export const UART_RX_UNMASK = `
    ldr x0, =UART
    mov w1, #0x50
    str w1, [x0, #0x38]
`;

/** onIrq code: on SPI 33 (vPL011), drain UARTDR into RES + 16.., counting the bytes in RES + 8. */
export const UART_RX_TO_RESULTS = `
    cmp x0, #33
    b.ne 7f
    ldr x1, =UART
    ldr x2, =RES
6:  ldr w3, [x1, #0x18]
    tbnz w3, #4, 7f
    ldr w3, [x1]
    ldr x29, [x2, #8]
    add x30, x2, #16
    strb w3, [x30, x29]
    add x29, x29, #1
    str x29, [x2, #8]
    b 6b
7:
`;

export function guestSource(p: GuestParts): string {
  return `
    .equ RES, ${RESULTS_IPA}
    .equ EXC, ${EXC_LOG}
    .equ IRQS, ${IRQ_COUNTS}
    .equ UART, 0x09000000
    .equ GICD, 0x08000000
    .equ GICR, 0x080a0000
_start:
    ldr x1, =vectors
    msr vbar_el1, x1
    mrs x1, mpidr_el1
    and x1, x1, #0xff
    ldr x2, =0x40400000
    lsl x3, x1, #14
    sub sp, x2, x3
    isb
    cbnz x1, secondary
main:
${p.main}
done:
    ldr x0, =0x84000008
    hvc #0
1:  b 1b

secondary:
${p.secondary ?? ''}
    ldr x0, =0x84000002
    hvc #0
1:  b 1b

// x1 = CPU index: distributor Group 1 on, this CPU's redistributor awake,
// every SGI/PPI Group 1 and enabled, priority mask open, Group 1 enabled.
gic_init:
    ldr x0, =GICD
    mov w2, #2
    str w2, [x0]
    ldr x0, =GICR
    mov x3, #0x20000
    madd x0, x1, x3, x0
    str wzr, [x0, #0x14]
    add x0, x0, #0x10000
    mov w2, #-1
    str w2, [x0, #0x80]
    str w2, [x0, #0x100]
    mov x2, #0xff
    msr icc_pmr_el1, x2
    mov x2, #1
    msr icc_igrpen1_el1, x2
    isb
    ret

// w0 = byte
putc:
    ldr x1, =UART
    strb w0, [x1]
    ret

el1_sync:
    stp x0, x1, [sp, #-16]!
    stp x2, x3, [sp, #-16]!
    ldr x0, =EXC
    ldr x1, [x0]
    add x1, x1, #1
    str x1, [x0]
    mrs x2, esr_el1
    str x2, [x0, #8]
    mrs x2, far_el1
    str x2, [x0, #16]
    mrs x2, elr_el1
    str x2, [x0, #24]
    add x2, x2, #4
    msr elr_el1, x2
    ldp x2, x3, [sp], #16
    ldp x0, x1, [sp], #16
    eret

el1_irq:
    stp x0, x1, [sp, #-16]!
    stp x2, x3, [sp, #-16]!
    stp x29, x30, [sp, #-16]!
1:  mrs x0, icc_iar1_el1
    cmp x0, #1020
    b.hs 9f
    cmp x0, #64
    b.hs 8f
    ldr x1, =IRQS
    mrs x3, mpidr_el1
    and x3, x3, #0xff
    lsl x3, x3, #9
    add x1, x1, x3
    ldr x2, [x1, x0, lsl #3]
    add x2, x2, #1
    str x2, [x1, x0, lsl #3]
    cmp x0, #27
    b.ne 2f
    msr cntv_ctl_el0, xzr
2:  cmp x0, #30
    b.ne 3f
    msr cntp_ctl_el0, xzr
3:
${p.onIrq ?? ''}
8:  msr icc_eoir1_el1, x0
    b 1b
9:  ldp x29, x30, [sp], #16
    ldp x2, x3, [sp], #16
    ldp x0, x1, [sp], #16
    eret

bad_vector:
    ldr x0, =0x84000009
    hvc #0
1:  b 1b

    .ltorg
${p.extra ?? ''}
    .balign 2048
vectors:
    .balign 128
    b bad_vector
    .balign 128
    b bad_vector
    .balign 128
    b bad_vector
    .balign 128
    b bad_vector
    .balign 128
    b el1_sync
    .balign 128
    b el1_irq
    .balign 128
    b bad_vector
    .balign 128
    b bad_vector
    .balign 128
    b el1_sync
    .balign 128
    b el1_irq
    .balign 128
    b bad_vector
    .balign 128
    b bad_vector
`;
}

export function guestImage(p: GuestParts): Uint8Array {
  return assemble(guestSource(p), { baseAddress: LOAD_IPA }).bytes;
}

/** Read a 64-bit word of a VM's RAM at `ipa` (through its backing, as the test's view from outside). */
export function readGuest64(hv: Hypervisor, vm: number, ipa: number): bigint {
  const v = hv.s.vms[vm]!;
  const b = hv.m.core.readPhys(v.backingPa + (ipa - v.ramIpa), 8);
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}
export const res = (hv: Hypervisor, n: number, vm = 0): bigint => readGuest64(hv, vm, RESULTS_IPA + 8 * n);
export const irqCount = (hv: Hypervisor, cpu: number, intid: number, vm = 0): number => Number(readGuest64(hv, vm, IRQ_COUNTS + cpu * 0x200 + intid * 8));
