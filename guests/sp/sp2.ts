// SP2 "irq": owns Secure interrupts. Its manifest gives it the secure
// physical timer's PPI (INTID 29) and the secure UART with its SPI (INTID
// 40); every virtual interrupt the SPMC injects is taken at its IRQ vector,
// which asks HF_INTERRUPT_GET for the INTID and keeps it. IRQ arms the one
// source Secure EL1 can arm itself, the secure UART's TX interrupt (with
// Secure EL2 enabled CNTPS_*_EL1 is UNDEFINED at Secure EL1, ARM ARM
// D24.10, as QEMU's gt_stimer_access: only EL3 can program the secure
// physical timer), and answers the INTID captured; LAST_IRQ answers the last
// one taken, whatever its source.
import { SECURE_UART_BASE, SECURE_UART_INTID } from '../../core/machine.js';
import { UARTICR, UARTIMSC } from '../../core/devices/pl011.js';
import { CMD_IRQ, CMD_LAST_IRQ, PARTITION_TIMEOUT, SP2_ID } from './protocol.js';
import type { PartitionProgram } from './runtime.js';

/** The PL011 TX interrupt bit (IMSC/ICR bit 5). */
const UART_INT_TX = 1 << 5;
/** Polls of the captured count before IRQ gives up. */
export const SP2_IRQ_WAIT_POLLS = 100_000;

export function sp2Program(): PartitionProgram {
  const handlers = `
cmd_irq:
    adr x21, irq_state
    ldr x22, [x21, #8]                      // interrupts taken before
    ldr x9, =0x${SECURE_UART_BASE.toString(16)}
    mov w10, #${UART_INT_TX}
    str w10, [x9, #${UARTIMSC}]             // the TX interrupt, pending at once (FIFO empty)
    ldr x12, =${SP2_IRQ_WAIT_POLLS}
    msr daifclr, #2
1:  ldr x13, [x21, #8]
    cmp x13, x22
    b.ne 2f
    subs x12, x12, #1
    b.ne 1b
    msr daifset, #2
    str wzr, [x9, #${UARTIMSC}]
    mov x3, #${PARTITION_TIMEOUT}
    ldp x4, x5, [x21]
    b respond
2:  msr daifset, #2
    mov x3, #0
    ldp x4, x5, [x21]
    mov x6, #0
    mov x7, #0
    b respond
cmd_last_irq:
    adr x21, irq_state
    mov x3, #0
    ldp x4, x5, [x21]
    mov x6, #0
    mov x7, #0
    b respond
    .balign 8
irq_state:
    .quad 0                                 // last INTID
    .quad 0                                 // interrupts taken
`;
  const irq = `
    adr x1, irq_state
    str x0, [x1]
    ldr x2, [x1, #8]
    add x2, x2, #1
    str x2, [x1, #8]
    cmp x0, #${SECURE_UART_INTID}
    b.ne 1f
    ldr x9, =0x${SECURE_UART_BASE.toString(16)}
    str wzr, [x9, #${UARTIMSC}]             // the source off: the line falls
    mov w10, #${UART_INT_TX}
    str w10, [x9, #${UARTICR}]
1:
`;
  return { name: 'sp2', id: SP2_ID, commands: [{ code: CMD_IRQ, label: 'cmd_irq' }, { code: CMD_LAST_IRQ, label: 'cmd_last_irq' }], handlers, irq };
}
