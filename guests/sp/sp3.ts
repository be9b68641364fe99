// SP3 "relay": forwards a request to another partition with a direct
// request of the width it was asked with, and answers what came back. When
// the forwarded request would close a cycle (its target is already waiting
// on a request in this call chain, SP3 itself included), the SPMC refuses
// it and SP3 answers the error as the status.
import * as F from '../../core/ffa/functionIds.js';
import { CMD_ECHO, CMD_RELAY, PARTITION_UNEXPECTED, SP3_ID } from './protocol.js';
import type { PartitionProgram } from './runtime.js';

const li = (reg: string, v: number): string => `    ldr ${reg}, =0x${(v >>> 0).toString(16)}`;

export function sp3Program(): PartitionProgram {
  const handlers = `
cmd_relay:
    and x4, x4, #0xffff
    mov x1, #${SP3_ID}
    orr x1, x4, x1, lsl #16                 // SP3 -> target
    mov x0, x19                             // the width SP3 was asked with
    mov x2, #0
    mov x3, x5
    cbnz x3, 1f
    mov x3, #${CMD_ECHO}
1:  mov x4, x6
    mov x5, x7
    mov x6, #0
    mov x7, #0
    smc #0
${li('x9', F.FFA_MSG_SEND_DIRECT_RESP_32)}
    cmp w0, w9
    b.eq respond
${li('x9', F.FFA_MSG_SEND_DIRECT_RESP_64)}
    cmp x0, x9
    b.eq respond
    mov x21, x0
    adr x0, msg_relay_refused
    bl log_error
    sxtw x3, w2
${li('x9', F.FFA_ERROR)}
    cmp w21, w9
    b.eq 2f
    mov x3, #${PARTITION_UNEXPECTED}
2:  mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    b respond
msg_relay_refused:
    .asciz "sp3: relayed request refused\\n"
    .balign 4
`;
  return { name: 'sp3', id: SP3_ID, commands: [{ code: CMD_RELAY, label: 'cmd_relay' }], handlers };
}
