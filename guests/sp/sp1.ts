// SP1 "hello": echo (ECHO, ADD), the memory test every partition has
// (MEM_CHECK), Partition-to-partition memory sharing (SHARE_TO: it shares,
// lends or donates a page of its own Secure memory to another partition,
// has the borrower check it through a direct request, then reclaims it), and
// notifications (binds, reads and unbinds notifications sent to it).
import * as F from '../../core/ffa/functionIds.js';
import { NO_MEMORY } from '../../core/ffa/errors.js';
import { DESC_CONSTITUENT_ADDRESS, DESC_EMAD_RECEIVER, asmData, copyBytes, sendTemplate } from './descriptors.js';
import {
  CMD_MEM_CHECK, CMD_NOTIF_BIND, CMD_NOTIF_GET, CMD_NOTIF_UNBIND, CMD_SHARE_TO, PARTITION_PATTERN_MISMATCH, PARTITION_UNEXPECTED,
  SHARE_OP_DONATE, SHARE_OP_LEND, SP1_ID,
} from './protocol.js';
import type { PartitionProgram } from './runtime.js';

/** Pages SP1 can donate away (a donate is irrevocable: each one is gone). */
export const SP1_DONATE_PAGES = 4;

const li = (reg: string, v: number): string => `    ldr ${reg}, =0x${(v >>> 0).toString(16)}`;

export function sp1Program(): PartitionProgram {
  const share = sendTemplate(SP1_ID, 'share');
  const lend = sendTemplate(SP1_ID, 'lend');
  const donate = sendTemplate(SP1_ID, 'donate');
  const handlers = `
cmd_share_to:
    and x22, x4, #0xffff                    // borrower
    mov x23, x5                             // operation
    and x24, x6, #0xff                      // pattern
    adr x25, share_page
    cmp x23, #${SHARE_OP_DONATE}
    b.ne 1f
    adr x9, donated_count
    ldr x10, [x9]
    cmp x10, #${SP1_DONATE_PAGES}
    b.lo 2f
    mov x3, #${NO_MEMORY}
    b respond
2:  add x11, x10, #1
    str x11, [x9]
    adr x25, donate_pages
    add x25, x25, x10, lsl #12
1:  ldr x9, =0x0101010101010101
    mul x9, x24, x9
    mov x10, x25
    mov x11, #512
3:  str x9, [x10], #8
    subs x11, x11, #1
    b.ne 3b
    adr x1, share_template
${li('x26', F.FFA_MEM_SHARE_64)}
    cmp x23, #${SHARE_OP_LEND}
    b.ne 4f
    adr x1, lend_template
${li('x26', F.FFA_MEM_LEND_64)}
4:  cmp x23, #${SHARE_OP_DONATE}
    b.ne 5f
    adr x1, donate_template
${li('x26', F.FFA_MEM_DONATE_64)}
5:  adr x0, tx_buffer
    mov x2, #${copyBytes(share)}
    bl copy_words
    adr x0, tx_buffer
    strh w22, [x0, #${DESC_EMAD_RECEIVER}]
    str x25, [x0, #${DESC_CONSTITUENT_ADDRESS}]
    mov x0, x26
    mov x1, #${share.length}
    mov x2, #${share.length}
    mov x3, #0
    mov x4, #0
    smc #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq 6f
${li('x9', F.FFA_SUCCESS_64)}
    cmp x0, x9
    b.eq 6f
    adr x0, msg_send_failed
    bl log_error
    sxtw x3, w2
    mov x4, #0
    b respond
6:  mov w26, w2
    orr x26, x26, x3, lsl #32               // the handle
    // The borrower checks the page (a direct request: SP1 -> borrower).
${li('x0', F.FFA_MSG_SEND_DIRECT_REQ_64)}
    mov x1, #${SP1_ID}
    orr x1, x22, x1, lsl #16
    mov x2, #0
    mov x3, #${CMD_MEM_CHECK}
    mov x4, x26
    mov x5, x24
    mov x6, #1
    mov x7, #0
    smc #0
    mov x27, #0                             // borrower's status
    mov x28, #0                             // pages it checked
${li('x9', F.FFA_MSG_SEND_DIRECT_RESP_64)}
    cmp x0, x9
    b.eq 7f
${li('x9', F.FFA_MSG_SEND_DIRECT_RESP_32)}
    cmp w0, w9
    b.eq 7f
    sxtw x27, w2                            // the request itself was refused
${li('x9', F.FFA_ERROR)}
    cmp w0, w9
    b.eq 12f
    mov x27, #${PARTITION_UNEXPECTED}
12: adr x0, msg_request_failed
    bl log
    b 8f
7:  sxtw x27, w3
    mov x28, x4
8:  mov x6, #0
    cmp x23, #${SHARE_OP_DONATE}
    b.eq 9f
${li('x0', F.FFA_MEM_RECLAIM)}
    mov w1, w26
    lsr x2, x26, #32
    mov x3, #0
    smc #0
    mov x6, #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq 10f
    adr x0, msg_reclaim_failed
    bl log_error
    sxtw x6, w2
    b 9f
10: cbnz x27, 9f
    ldrb w9, [x25]                          // the borrower's mark
    add w10, w24, #1
    and w10, w10, #0xff
    cmp w9, w10
    b.eq 9f
    mov x27, #${PARTITION_PATTERN_MISMATCH}
9:  mov x3, x27
    cbnz x3, 11f
    mov x3, x6                              // the reclaim's error, when it failed
11: mov x4, x26
    mov x5, x28
    mov x7, #0
    b respond

cmd_notif_bind:
${li('x0', F.FFA_NOTIFICATION_BIND)}
    and x4, x4, #0xffff
    mov x1, #${SP1_ID}
    orr x1, x1, x4, lsl #16                 // sender << 16 | receiver
    mov x2, #0                              // global (not per-vCPU)
    mov w3, w5
    lsr x4, x5, #32
    smc #0
    b notif_status
cmd_notif_unbind:
${li('x0', F.FFA_NOTIFICATION_UNBIND)}
    and x4, x4, #0xffff
    mov x1, #${SP1_ID}
    orr x1, x1, x4, lsl #16
    mov x2, #0
    mov w3, w5
    lsr x4, x5, #32
    smc #0
notif_status:
    mov x3, #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq respond
    sxtw x3, w2
    b respond
cmd_notif_get:
${li('x0', F.FFA_NOTIFICATION_GET)}
    mov x1, #${SP1_ID}                      // vCPU 0 << 16 | receiver
    mov x2, #3                              // partitions' and VMs' bitmaps
    smc #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq 1f
    sxtw x3, w2
    b respond
1:  mov w2, w2
    orr x9, x2, x3, lsl #32                 // from partitions
    mov w4, w4
    orr x10, x4, x5, lsl #32                // from VMs
    mov x3, #0
    mov x4, x9
    mov x5, x10
    mov x6, #0
    mov x7, #0
    b respond

msg_send_failed:
    .asciz "sp1: memory send refused\\n"
msg_request_failed:
    .asciz "sp1: direct request to the borrower refused\\n"
msg_reclaim_failed:
    .asciz "sp1: FFA_MEM_RECLAIM refused\\n"
${asmData('share_template', share)}
${asmData('lend_template', lend)}
${asmData('donate_template', donate)}
    .balign 8
donated_count:
    .quad 0
    .balign 4096
share_page:
    .space 4096
donate_pages:
    .space ${SP1_DONATE_PAGES * 4096}
`;
  return {
    name: 'sp1',
    id: SP1_ID,
    commands: [
      { code: CMD_SHARE_TO, label: 'cmd_share_to' },
      { code: CMD_NOTIF_BIND, label: 'cmd_notif_bind' },
      { code: CMD_NOTIF_GET, label: 'cmd_notif_get' },
      { code: CMD_NOTIF_UNBIND, label: 'cmd_notif_unbind' },
    ],
    handlers,
    indirect: true,
  };
}
