// Test support (not used by the emulator): a bare-metal program that starts
// at EL3 on a GICv3 with two Security states (GICD_CTLR.DS = 0) and walks
// interrupts of every group through both worlds. The same source runs on hvrr
// (secureDelivery.test.ts) and as `-bios` on QEMU virt,secure=on
// (secureQemu.test.ts); each exception handler appends a 32-bit word to a log
// in RAM, and at the end the log is printed on the PL011 as hex lines.
//
// What happens (one CPU, SPIs routed to it, priority 0x80 throughout):
//   EL3: distributor and redistributor set up; SPI 40 Group 0, SPI 41 Secure
//        Group 1, SPI 42 Non-secure Group 1, PPI 29 (secure physical timer)
//        Secure Group 1; SCR_EL3.FIQ = 1 (FIQs to EL3), SCR_EL3.IRQ = 0; ERET
//        to Secure EL1.
//   S-EL1: pends 41: Secure Group 1 in Secure state is IRQ, taken at S-EL1
//        (IAR1 = 41). Pends 40: Group 0 is FIQ, taken at EL3 (IAR0 = 40).
//        Pends 42: Non-secure Group 1 in Secure state is FIQ, taken at EL3,
//        where IAR0 answers 1021; EL3 ERETs to Non-secure EL1 (SCR_EL3.NS = 1).
//   NS-EL1: 42 is IRQ there (IAR1 = 42); then asks EL3 (SMC #1) to arm the
//        secure timer and waits (WFI). The secure timer
//        fires: Secure Group 1 in Non-secure state is FIQ, taken at EL3 where
//        IAR0 answers 1020; EL3 ERETs to Secure EL1, where it is IRQ
//        (IAR1 = 29, the handler stops the timer); S-EL1 then SMCs (#0) to
//        EL3, which prints the log.
//
// Log words: 0x11000000 | INTID (IAR1 at EL1), 0x3f000000 | NS << 16 | INTID
// (IAR0 at EL3, NS = SCR_EL3.NS of the interrupted world), 0x1e000000 (NS-EL1
// reached), 0x35000000 (SMC at EL3, the end).

import { assemble } from '../../asm/assembler.js';
import { Machine } from '../../machine.js';

export const LOG_PA = 0x4010_0000;
/** Where the program runs (it copies itself there when loaded elsewhere). */
export const RUN_PA = 0x4008_0000;

/** The log the program writes when every interrupt arrives as the GIC
 *  specification says (§4.6.2, Table 4-3; special INTIDs §2.2.1). */
export const EXPECTED_LOG = [
  0x11000029, // SPI 41 (Secure Group 1) as IRQ at Secure EL1
  0x3f000028, // SPI 40 (Group 0) as FIQ at EL3, from Secure state
  0x3f0003fd, // SPI 42 (Non-secure Group 1) as FIQ at EL3 from Secure state: IAR0 = 1021
  0x1100002a, // SPI 42 as IRQ at Non-secure EL1
  0x1e000000, // Non-secure EL1 reached
  0x3f0103fc, // PPI 29 (secure timer, Secure Group 1) as FIQ at EL3 from Non-secure state: IAR0 = 1020
  0x1100001d, // PPI 29 as IRQ at Secure EL1
  0x35000000, // the end
];

/** The log as the program prints it: one 8-digit hex word a line. */
export function logText(log: readonly number[]): string {
  return log.map((w) => `${(w >>> 0).toString(16).padStart(8, '0')}\n`).join('');
}

export interface SecureProgramOptions {
  /** End with a semihosting SYS_EXIT (QEMU) instead of WFI with all
   *  interrupts masked (hvrr stops idle there). */
  semihostingExit: boolean;
}

/** Start (label _start): copy the image to RUN_PA when loaded elsewhere
 *  (QEMU's -bios flash is Secure-only, and Non-secure EL1 runs this code
 *  too), then x20 = the log. Ends at label `main`. */
const PROLOGUE = `
_start:
  adr x0, _start
  ldr x1, =${RUN_PA}
  cmp x0, x1
  b.eq main
  adr x2, image_end
1:ldr x3, [x0], #8
  str x3, [x1], #8
  cmp x0, x2
  b.lo 1b
  ldr x1, =${RUN_PA}
  ic iallu
  dsb sy
  isb
  br x1
main:
  ldr x20, =${LOG_PA}
`;

/** Label `finish` (at EL3): print the log on the PL011, one 8-digit hex word
 *  a line, then end. Clobbers x0-x7, x21, x30. Also the `image_end` label. */
function epilogue(opts: SecureProgramOptions): string {
  const end = opts.semihostingExit
    ? `
  ldr x1, =${LOG_PA + 0x1000}
  ldr x0, =0x20026            // ADP_Stopped_ApplicationExit
  str x0, [x1]
  str xzr, [x1, #8]
  mov w0, #0x18               // SYS_EXIT
  hlt #0xf000
  b .`
    : `
  msr daifset, #0xf
1:wfi
  b 1b`;
  return `
finish:
  ldr x21, =0x09000000
  ldr x3, =${LOG_PA}
2:cmp x3, x20
  b.hs 5f
  ldr w4, [x3], #4
  mov x6, #28
3:lsr w0, w4, w6
  and w0, w0, #0xf
  cmp w0, #10
  add w1, w0, #0x30
  add w2, w0, #0x57
  csel w0, w1, w2, lo
  bl putc
  subs x6, x6, #4
  b.pl 3b
  mov w0, #0x0a
  bl putc
  b 2b
5:${end}

putc:
1:ldr w7, [x21, #0x18]
  tbnz w7, #5, 1b             // UARTFR.TXFF
  str w0, [x21]
  ret
  .ltorg
  .balign 8
image_end:
`;
}

function source(opts: SecureProgramOptions): string {
  return `
  .equ GICD, 0x08000000
  .equ RD, 0x080a0000
  .equ SGI, 0x080b0000
  .equ SCR_S, 0xc04           // RW | ST | FIQ: Secure EL1 below, FIQs to EL3
  .equ SCR_NS, 0xc05          // ... and NS
${PROLOGUE}
  adr x0, el3_vectors
  msr vbar_el3, x0
  mov x0, #0xf
  msr icc_sre_el3, x0
  isb
  // Distributor: all groups enabled, affinity routing.
  ldr x1, =GICD
  mov w0, #0x37
  str w0, [x1]
  // Redistributor 0 awake.
  ldr x2, =RD
  str wzr, [x2, #0x14]
1:ldr w0, [x2, #0x14]
  tbnz w0, #2, 1b
  // SPI 42 Non-secure Group 1; 41 Secure Group 1 (IGRPMODR); 40 Group 0.
  mov w0, #(1 << 10)
  str w0, [x1, #0x84]
  mov w0, #(1 << 9)
  str w0, [x1, #0xd04]
  ldr w0, =0x00808080
  str w0, [x1, #0x428]
  str xzr, [x1, #0x6140]      // GICD_IROUTER40..42: PE 0
  str xzr, [x1, #0x6148]
  str xzr, [x1, #0x6150]
  mov w0, #(7 << 8)
  str w0, [x1, #0x104]
  // PPI 29 (secure physical timer): Secure Group 1, priority 0x80, enabled.
  ldr x2, =SGI
  str wzr, [x2, #0x80]
  mov w0, #(1 << 29)
  str w0, [x2, #0xd00]
  mov w0, #0x8000
  str w0, [x2, #0x41c]
  mov w0, #(1 << 29)
  str w0, [x2, #0x100]
  // CPU interface: priority mask open, every group enabled, EOImode 0.
  mov x0, #0xff
  msr icc_pmr_el1, x0
  msr icc_ctlr_el3, xzr
  mov x0, #1
  msr icc_igrpen0_el1, x0
  mov x0, #3
  msr icc_igrpen1_el3, x0
  // EL1 is AArch64 in both worlds; enter Secure EL1 with interrupts unmasked.
  mov x0, #(1 << 31)
  msr hcr_el2, x0
  ldr x0, =SCR_S
  msr scr_el3, x0
  adr x0, sel1
  msr elr_el3, x0
  mov x0, #5
  msr spsr_el3, x0
  isb
  eret

sel1:
  adr x0, el1_vectors
  msr vbar_el1, x0
  isb
  ldr x3, =GICD
  mov x5, x20
  mov w4, #(1 << 9)           // SPI 41
  str w4, [x3, #0x204]
1:cmp x20, x5
  b.eq 1b
  mov x5, x20
  mov w4, #(1 << 8)           // SPI 40
  str w4, [x3, #0x204]
1:cmp x20, x5
  b.eq 1b
  mov w4, #(1 << 10)          // SPI 42: EL3 moves us to Non-secure EL1
  str w4, [x3, #0x204]
1:b 1b

nsel1:
  ldr w0, =0x1e000000
  str w0, [x20], #4
  smc #1                      // EL3 arms the secure timer
1:wfi                          // until the secure timer takes us away
  b 1b

sel1_timer:
  smc #0

el3_fiq:
  mrs x0, icc_iar0_el1
  mrs x1, scr_el3
  and x1, x1, #1
  orr x2, x0, x1, lsl #16
  orr x2, x2, #0x3f000000
  str w2, [x20], #4
  cmp x0, #1020
  b.eq to_secure
  cmp x0, #1021
  b.eq to_nonsecure
  msr icc_eoir0_el1, x0
  eret
to_nonsecure:
  ldr x0, =SCR_NS
  msr scr_el3, x0
  adr x0, nsel1
  msr elr_el3, x0
  mov x0, #5
  msr spsr_el3, x0
  isb
  eret
to_secure:
  ldr x0, =SCR_S
  msr scr_el3, x0
  adr x0, sel1_timer
  msr elr_el3, x0
  mov x0, #5
  msr spsr_el3, x0
  isb
  eret

el3_sync:
  mrs x0, esr_el3
  tst x0, #0xffff
  b.eq 4f
  // SMC #1: arm the secure timer a little ahead and return.
  mrs x0, cntpct_el0
  add x0, x0, #200
  msr cntps_cval_el1, x0
  mov x0, #1
  msr cntps_ctl_el1, x0
  eret
4:ldr w0, =0x35000000
  str w0, [x20], #4
  b finish

el1_irq:
  mrs x0, icc_iar1_el1
  ldr w1, =0x11000000
  orr w2, w0, w1
  str w2, [x20], #4
  cmp x0, #29
  b.ne 1f
  msr cntps_ctl_el1, xzr      // the secure timer's line goes low (SCR_EL3.ST = 1)
1:msr icc_eoir1_el1, x0
  eret

  .balign 0x800
el3_vectors:
  .skip 0x400
  b el3_sync                  // lower EL, synchronous (the SMC)
  .balign 0x80
  b .                         // lower EL, IRQ: never routed here
  .balign 0x80
  b el3_fiq                   // lower EL, FIQ
  .balign 0x80
  b .

  .balign 0x800
el1_vectors:
  .skip 0x280
  b el1_irq                   // current EL with SP_ELx, IRQ
  .balign 0x80
  b .                         // current EL, FIQ: never routed here
  .balign 0x80
  b .
  .ltorg
${epilogue(opts)}`;
}

/** The program, linked to run at RUN_PA (it may be loaded anywhere). */
export function secureDeliveryProgram(opts: SecureProgramOptions): Uint8Array {
  return assemble(source(opts), { baseAddress: BigInt(RUN_PA) }).bytes;
}

/** The log of routingProgram(): EL3 ran unmasked with a Group 0 interrupt
 *  pending and SCR_EL3.FIQ = 0 without taking it; Secure EL1 took it as FIQ
 *  and IAR0 acknowledged it; back in Secure EL1; then, with SCR_EL3.FIQ = 1,
 *  Secure EL1's MRS ICC_IAR0_EL1 trapped to EL3 with this ESR_EL3 (EC 0x18,
 *  IL, ISS Op0 3, Op1 0, CRn 12, CRm 8, Op2 0, Rt 0, read). */
export const ROUTING_LOG = [0xe3, 0xf1000028, 0x51, 0x62303011];

/** A program that checks FIQ routing below EL3 and the EL3 trap of Group 0
 *  registers (ROUTING_LOG). */
export function routingProgram(opts: SecureProgramOptions): Uint8Array {
  const src = `${PROLOGUE}
  adr x0, el3_vectors
  msr vbar_el3, x0
  ldr x1, =0x08000000
  mov w0, #0x37
  str w0, [x1]
  ldr x2, =0x080a0000
  str wzr, [x2, #0x14]
  mov w0, #0x80
  str w0, [x1, #0x428]        // SPI 40 (Group 0 after reset) priority 0x80
  str xzr, [x1, #0x6140]
  mov w0, #(1 << 8)
  str w0, [x1, #0x104]
  mov x0, #0xff
  msr icc_pmr_el1, x0
  mov x0, #1
  msr icc_igrpen0_el1, x0
  mov x0, #0x400              // SCR_EL3.RW; FIQ = 0
  msr scr_el3, x0
  isb
  mov w0, #(1 << 8)
  str w0, [x1, #0x204]        // pend SPI 40: FIQ, routed below EL3
  msr daifclr, #0xf
  isb
  nop
  nop
  msr daifset, #0xf
  mov w0, #0xe3
  str w0, [x20], #4
  adr x0, sel1
  msr elr_el3, x0
  mov x0, #0x3c5              // Secure EL1h, interrupts masked until its vectors are set
  msr spsr_el3, x0
  eret
sel1:
  adr x0, el1_vectors
  msr vbar_el1, x0
  isb
  msr daifclr, #3             // the FIQ is taken here, at Secure EL1
  mov w0, #0x51
  str w0, [x20], #4
  smc #1                      // EL3 sets SCR_EL3.FIQ
  mrs x0, icc_iar0_el1        // traps to EL3
  b .
el1_fiq:
  mrs x0, icc_iar0_el1
  mov w1, #0xf1000000
  orr w2, w0, w1
  str w2, [x20], #4
  msr icc_eoir0_el1, x0
  eret
el3_sync:
  mrs x0, esr_el3
  lsr x1, x0, #26
  cmp x1, #0x17
  b.ne 1f
  mov x0, #0x404
  msr scr_el3, x0
  eret
1:str w0, [x20], #4
  b finish
  .balign 0x800
el3_vectors:
  .skip 0x400
  b el3_sync
  .balign 0x80
  b .
  .balign 0x80
  b .
  .balign 0x800
el1_vectors:
  .skip 0x300
  b el1_fiq                   // current EL with SP_ELx, FIQ
  .balign 0x80
  b .
  .ltorg
${epilogue(opts)}`;
  return assemble(src, { baseAddress: BigInt(RUN_PA) }).bytes;
}

/** A one-CPU hvrr machine with `image` loaded at RUN_PA and the CPU at EL3
 *  at its start (as QEMU enters -bios firmware). Exceptions to EL3 run the program's own EL3 vectors (the EL3
 *  software slot lets the CPU go on); anything reaching EL2 stops the run. */
export function bootAtEl3(image: Uint8Array, secure = true): { m: Machine; console: () => string; interrupts: string[]; acks: string[] } {
  const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n, secure, traceVerbosity: 1 });
  m.core.writePhys(RUN_PA, image);
  m.core.setPc(0, BigInt(RUN_PA));
  m.core.setPstate(0, 0x3cd); // EL3h, DAIF masked
  m.software.install('el3', { handle: () => {} });
  const stop = { handle: (mm: Machine, cpu: number) => mm.stop({ kind: 'halt', message: `cpu${cpu}: unexpected exception to EL2` }) };
  m.software.install('el2-ns', stop);
  m.software.install('el2-s', stop);
  // Where each interrupt was taken and from which world.
  // Where each interrupt was taken and from which world; which INTIDs were
  // acknowledged in which world.
  const interrupts: string[] = [];
  const acks: string[] = [];
  m.trace.subscribe((e) => {
    if (e.kind === 'exception' && (e.type === 'irq' || e.type === 'fiq')) interrupts.push(`${e.type} EL${e.fromEl}->EL${e.toEl} ${e.world ?? 'ns'}`);
    if (e.kind === 'irq-ack') acks.push(`${e.intid} ${e.world ?? 'ns'}`);
  });
  let out = '';
  m.onConsole = (b) => {
    out += String.fromCharCode(b);
  };
  return { m, console: () => out, interrupts, acks };
}

