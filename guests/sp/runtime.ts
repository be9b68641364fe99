// What every bundled Secure Partition shares, as A64 source: the start-up at
// Secure EL1 (stack, vectors, a stage 1 MMU, FFA_VERSION 1.1, RX/TX mapped with
// FFA_RXTX_MAP, a hello through FFA_CONSOLE_LOG), the message loop
// (FFA_MSG_WAIT, then a direct response for every direct request, the next
// request arriving as its return), the common commands (ECHO, ADD,
// MEM_CHECK) and routines (console log, memory retrieve with fragments,
// relinquish). A partition adds its commands, an IRQ handler and data.
//
// The code is position independent (adr for every address; literal pools
// hold only constants), so it runs wherever the SPMC puts the image: the
// stage 1 tables are constant but for one pointer written at start-up.
// Stage 1 (guests/lib/mmu.ts MAIR/TCR: 39-bit VA from level 1, identity):
//   0x0900_0000 +2 MiB   Device-nGnRnE, Secure (the secure UART for SP2)
//   0x0e00_0000 +16 MiB  Normal WB, Secure: secure RAM (images, shared Secure pages)
//   0x4000_0000 +15 GiB  Normal WB, NS = 1, never executable: Normal-world
//                        memory a partition retrieves; S-EL2 translates the NS
//                        IPA space with VTTBR_EL2, so only what the SPMC mapped is reachable
// Registers: x19 = the request's function ID, x20 = its endpoints word
// (sender << 16 | receiver); both survive SMCs (SMCCC keeps x18-x30).
// Handlers get the request in x3-x7 and branch to `respond` with the
// status in x3 and results in x4-x7.
import { assemble } from '../../core/asm/assembler.js';
import * as F from '../../core/ffa/functionIds.js';
import { FFA_VERSION_1_1 } from '../../core/ffa/functionIds.js';
import { INVALID_PARAMETERS, NOT_SUPPORTED, ABORTED } from '../../core/ffa/errors.js';
import { MAIR, TCR } from '../lib/mmu.js';
import { restoreGprs, saveGprs, vectorEntries } from '../lib/vectors.js';
import {
  DESC_EMAD_PERMISSIONS, DESC_HANDLE, DESC_SENDER, RELINQUISH_DESC_HANDLE, asmData, copyBytes, relinquishTemplate, retrieveRequestTemplate,
} from './descriptors.js';
import { CMD_ADD, CMD_ECHO, CMD_MEM_CHECK, CMD_RELINQUISH, CMD_SPIN, PARTITION_PATTERN_MISMATCH } from './protocol.js';
import { FFA_MEMORY_REGION_TRANSACTION_TYPE_SHIFT } from '../../core/ffa/memory/flags.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_HYP, FFA_NOTIFICATION_FLAG_BITMAP_SPM } from '../../core/ffa/notifications.js';
import { COMPOSITE_SIZE, CONSTITUENT_SIZE, EMAD_COMPOSITE_OFFSET, EMAD_PERMISSIONS, HEADER_FLAGS, HEADER_RECEIVERS_OFFSET } from '../../core/ffa/memory/layout.js';

export interface PartitionCommand {
  code: number;
  /** Label of the handler (in `handlers`); it ends with `b respond`. */
  label: string;
}

export interface PartitionProgram {
  /** Short name in log lines ("sp1"). */
  name: string;
  id: number;
  commands: readonly PartitionCommand[];
  /** The handlers, routines and data of this partition's own commands. */
  handlers: string;
  /** Run once after the common start-up, before the first FFA_MSG_WAIT. */
  init?: string;
  /** Body of the IRQ vector (registers saved, x0 = the INTID from HF_INTERRUPT_GET). */
  irq?: string;
  /** Echo indirect messages (FFA_MSG_SEND2) found in RX when run (FFA_RUN) back to their sender. */
  indirect?: boolean;
}

/** Hafnium's paravirtualised "which virtual interrupt" call, over HVC. */
export const HF_INTERRUPT_GET = 0xff04;
const REPLICATE = '0x0101010101010101';
const GPR_FRAME = 256;
const TRANSACTION_TYPE_DONATE = 3;
/** Partition message header fields (core/ffa/partitionMessage.ts). */
const PARTITION_MESSAGE_OFFSET = 8;
const PARTITION_MESSAGE_ENDPOINTS = 12;
const PARTITION_MESSAGE_SIZE = 16;

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** A64 that loads a 32- or 64-bit constant. */
const li = (reg: string, v: number | bigint): string => `    ldr ${reg}, =${hex(BigInt.asUintN(64, BigInt(v)))}`;

/** The level-2 table of the first GiB (constant: physical addresses only). */
function l2Table(): string {
  const entries: string[] = [];
  const af = 1n << 10n;
  const xn = (1n << 53n) | (1n << 54n);
  for (let i = 0; i < 512; i++) {
    const pa = BigInt(i) << 21n;
    let d = 0n;
    if (pa === 0x0900_0000n) d = pa | 1n | af | xn; // Device-nGnRnE (attr 0)
    else if (pa >= 0x0e00_0000n && pa < 0x0f00_0000n) d = pa | 1n | (1n << 2n) | (3n << 8n) | af | (1n << 54n); // Normal WB, inner shareable, EL1 executable
    entries.push(`    .quad ${hex(d)}`);
  }
  return entries.join('\n');
}

/** Level 1: entry 0 points at l2_table (written at start-up), 1-15 NS Normal blocks. */
function l1Table(): string {
  const entries: string[] = ['    .quad 0'];
  for (let i = 1; i < 512; i++) {
    const pa = BigInt(i) << 30n;
    const d = i < 16 ? pa | 1n | (1n << 2n) | (1n << 5n) | (3n << 8n) | (1n << 10n) | (1n << 53n) | (1n << 54n) : 0n;
    entries.push(`    .quad ${hex(d)}`);
  }
  return entries.join('\n');
}

/** Copy x2 bytes (a multiple of 8) from x1 to x0; clobbers x0-x3. */
const COPY = `
copy_words:
    ldr x3, [x1], #8
    str x3, [x0], #8
    subs x2, x2, #8
    b.ne copy_words
    ret
`;

/** FFA_CONSOLE_LOG_64 of the NUL-terminated string at x0, 48 characters a call. */
const LOG = `
log:
    stp x29, x30, [sp, #-32]!
    stp x21, x22, [sp, #16]
    mov x21, x0
log_chunk:
    adr x22, log_scratch
    stp xzr, xzr, [x22]
    stp xzr, xzr, [x22, #16]
    stp xzr, xzr, [x22, #32]
    mov x1, #0
log_byte:
    ldrb w12, [x21]
    cbz w12, log_send
    add x21, x21, #1
    strb w12, [x22, x1]
    add x1, x1, #1
    cmp x1, #48
    b.lo log_byte
log_send:
    cbz x1, log_done
${li('x0', F.FFA_CONSOLE_LOG_64)}
    ldp x2, x3, [x22]
    ldp x4, x5, [x22, #16]
    ldp x6, x7, [x22, #32]
    smc #0
    ldrb w12, [x21]
    cbnz w12, log_chunk
log_done:
    ldp x21, x22, [sp, #16]
    ldp x29, x30, [sp], #32
    ret
`;

/** An indirect message in RX (FF-A v1.1 partition message header: offset
 *  @8, sender << 16 | receiver @12, size @16) goes back to its sender with
 *  FFA_MSG_SEND2, the same payload; RX is released first. */
const indirectEcho = (id: number, name: string): string => `
indirect_echo:
    stp x29, x30, [sp, #-32]!
    str x21, [sp, #16]
    mov x21, #${hex(id)}
    adr x0, rx_buffer
    ldr w1, [x0, #${PARTITION_MESSAGE_SIZE}]
    cbz w1, 2f
    ldr w2, [x0, #${PARTITION_MESSAGE_OFFSET}]
    ldr w3, [x0, #${PARTITION_MESSAGE_ENDPOINTS}]
    adr x4, tx_buffer
    stp xzr, xzr, [x4]
    str w2, [x4, #${PARTITION_MESSAGE_OFFSET}]
    ror w5, w3, #16                         // sender and receiver swapped
    str w5, [x4, #${PARTITION_MESSAGE_ENDPOINTS}]
    str w1, [x4, #${PARTITION_MESSAGE_SIZE}]
    add x6, x0, x2
    add x7, x4, x2
    mov x8, x1
1:  ldrb w9, [x6], #1
    strb w9, [x7], #1
    subs x8, x8, #1
    b.ne 1b
    str wzr, [x0, #${PARTITION_MESSAGE_SIZE}]
    // RX may be released once the RX-buffer-full framework notification is
    // fetched (Hafnium): the SPM's (a partition sent) or the hypervisor's (a VM).
${li('x0', F.FFA_NOTIFICATION_GET)}
    mov x1, x21                             // vCPU 0 << 16 | this partition
    mov x2, #${FFA_NOTIFICATION_FLAG_BITMAP_SPM | FFA_NOTIFICATION_FLAG_BITMAP_HYP}
    mov x3, #0
    smc #0
${li('x0', F.FFA_RX_RELEASE)}
    mov x1, #0
    smc #0
${li('x0', F.FFA_MSG_SEND2)}
    mov x1, #0
    mov x2, #0
    smc #0
    adr x0, msg_indirect
    bl log
2:  ldr x21, [sp, #16]
    ldp x29, x30, [sp], #32
    ret
msg_indirect:
    .asciz "${name}: indirect message echoed\\n"
    .balign 4
`;

/** MEM_CHECK: retrieve (instruction access unspecified, as a share needs; on
 *  INVALID_PARAMETERS again stating NX, as the sole borrower of a lend or
 *  donate must), walk the constituents fragment by fragment (FFA_RX_RELEASE,
 *  FFA_MEM_FRAG_RX), check and mark the pages, release RX, relinquish. */
function memCheck(id: number): string {
  const retrieve = retrieveRequestTemplate(id);
  const relinquish = relinquishTemplate(id);
  return `
cmd_mem_check:
    mov x22, x4                             // handle
    and x23, x5, #0xff                      // pattern byte
    ldr x9, =${REPLICATE}
    mul x24, x23, x9                        // the pattern in every byte of a word
    ubfx x25, x20, #16, #16                 // the sender of the request owns the memory
    mov x26, #0                             // instruction access asked: 0 unspecified, then 1 NX
    adr x21, mc_vars
    stp xzr, xzr, [x21, #16]                // pages checked, first bad address
    str x7, [x21, #48]                      // flags: bit 0 keep the memory (no relinquish)
mc_retrieve:
    adr x0, tx_buffer
    adr x1, retrieve_template
    mov x2, #${copyBytes(retrieve)}
    bl copy_words
    adr x0, tx_buffer
    strh w25, [x0, #${DESC_SENDER}]
    str x22, [x0, #${DESC_HANDLE}]
    mov w1, #2                              // read-write
    orr w1, w1, w26, lsl #2
    strb w1, [x0, #${DESC_EMAD_PERMISSIONS}]
${li('x0', F.FFA_MEM_RETRIEVE_REQ_64)}
    mov x1, #${retrieve.length}
    mov x2, #${retrieve.length}
    mov x3, #0
    mov x4, #0
    smc #0
${li('x9', F.FFA_MEM_RETRIEVE_RESP)}
    cmp w0, w9
    b.eq mc_retrieved
    cmn w2, #${-INVALID_PARAMETERS}
    b.ne 1f
    cbnz x26, 1f
    mov x26, #1
    b mc_retrieve
1:  adr x0, msg_retrieve_failed
    bl log_error
mc_error:
    sxtw x3, w2
    mov x4, #0
    b respond
mc_retrieved:
    mov x27, x1                             // total length
    mov x28, x2                             // end of the fragment in RX
    adr x0, rx_buffer
    ldr w9, [x0, #${HEADER_FLAGS}]
    ubfx x9, x9, #${FFA_MEMORY_REGION_TRANSACTION_TYPE_SHIFT}, #2
    str x9, [x21, #32]                      // transaction type
    ldr w10, [x0, #${HEADER_RECEIVERS_OFFSET}]
    add x10, x0, x10                        // our EMAD (the response lists us only)
    ldrb w11, [x10, #${EMAD_PERMISSIONS}]
    and x11, x11, #3
    cmp x11, #2
    cset x11, eq
    str x11, [x21, #40]                     // write access granted
    ldr w12, [x10, #${EMAD_COMPOSITE_OFFSET}]
    add x12, x12, #${COMPOSITE_SIZE}        // byte position of the first constituent
    str xzr, [x21]                          // this fragment starts at byte 0
    str x12, [x21, #8]
mc_next:
    ldr x12, [x21, #8]
    cmp x12, x27
    b.hs mc_walked
    cmp x12, x28
    b.lo mc_have
    // The constituent is in the next fragment: release RX, ask for it.
${li('x0', F.FFA_RX_RELEASE)}
    mov x1, #0                              // a partition releases its own RX: w1 MBZ
    smc #0
${li('x0', F.FFA_MEM_FRAG_RX)}
    mov w1, w22
    lsr x2, x22, #32
    mov x3, x28
    mov x4, #0
    smc #0
${li('x9', F.FFA_MEM_FRAG_TX)}
    cmp w0, w9
    b.eq 1f
    adr x0, msg_frag_failed
    bl log_error
    b mc_error
1:  str x28, [x21]
    add x28, x28, x3
    b mc_next
mc_have:
    ldr x13, [x21]
    sub x13, x12, x13
    adr x0, rx_buffer
    add x13, x0, x13
    ldr x0, [x13]                           // constituent address
    ldr w1, [x13, #8]                       // its pages
    bl check_pages
    ldr x12, [x21, #8]
    add x12, x12, #${CONSTITUENT_SIZE}
    str x12, [x21, #8]
    b mc_next
mc_walked:
${li('x0', F.FFA_RX_RELEASE)}
    mov x1, #0                              // a partition releases its own RX: w1 MBZ
    smc #0
    ldr x9, [x21, #32]
    cmp x9, #${TRANSACTION_TYPE_DONATE}
    b.eq mc_done                            // donated: ours now, nothing to give back
    ldr x9, [x21, #48]
    tbnz x9, #0, mc_done                    // kept: RELINQUISH gives it back later
    bl relinquish_x22
    cbz x3, mc_done
    ldr x4, [x21, #16]
    b respond
cmd_relinquish:
    mov x22, x4
    bl relinquish_x22
    b respond
// FFA_MEM_RELINQUISH of handle x22 (descriptor in TX): x3 = 0 or the error.
relinquish_x22:
    stp x29, x30, [sp, #-16]!
    adr x0, tx_buffer
    adr x1, relinquish_template
    mov x2, #${copyBytes(relinquish)}
    bl copy_words
    adr x0, tx_buffer
    str x22, [x0, #${RELINQUISH_DESC_HANDLE}]
${li('x0', F.FFA_MEM_RELINQUISH)}
    smc #0
    mov x3, #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq 1f
    adr x0, msg_relinquish_failed
    bl log_error
    sxtw x3, w2
1:  ldp x29, x30, [sp], #16
    ret
mc_done:
    ldp x4, x5, [x21, #16]
    mov x3, #0
    cbz x5, respond
    mov x3, #${PARTITION_PATTERN_MISMATCH}
    b respond

// x0 = address, w1 = pages: every byte must be the pattern (x24); mark
// pattern + 1 at each page's start when writable. Counts pages in mc_vars.
check_pages:
    cbz w1, 3f
    mov x9, #512
1:  ldr x10, [x0], #8
    cmp x10, x24
    b.eq 2f
    ldr x11, [x21, #24]
    cbnz x11, 2f
    sub x11, x0, #8
    str x11, [x21, #24]                     // the first bad word
2:  subs x9, x9, #1
    b.ne 1b
    ldr x11, [x21, #40]
    cbz x11, 4f
    add w11, w23, #1
    sub x12, x0, #4096
    strb w11, [x12]
4:  ldr x11, [x21, #16]
    add x11, x11, #1
    str x11, [x21, #16]
    subs w1, w1, #1
    b.ne check_pages
3:  ret

${asmData('retrieve_template', retrieve)}
${asmData('relinquish_template', relinquish)}
    .balign 8
mc_vars:
    .space 56                               // fragment start, position, pages, bad address, type, writable, flags
`;
}

/** The whole source of a partition. */
export function partitionSource(p: PartitionProgram): string {
  const commands = [
    { code: CMD_ECHO, label: 'cmd_echo' },
    { code: CMD_ADD, label: 'cmd_add' },
    { code: CMD_MEM_CHECK, label: 'cmd_mem_check' },
    { code: CMD_SPIN, label: 'cmd_spin' },
    { code: CMD_RELINQUISH, label: 'cmd_relinquish' },
    ...p.commands,
  ];
  return `
entry:
    mov x0, #0x300000
    msr cpacr_el1, x0                       // FP/SIMD not trapped
    adr x0, stack_top
    mov sp, x0
    mov x19, #0
    adr x0, l2_table
    orr x0, x0, #3
    adr x1, l1_table
    str x0, [x1]
    adr x0, vectors
    msr vbar_el1, x0
${li('x0', MAIR)}
    msr mair_el1, x0
${li('x0', TCR)}
    msr tcr_el1, x0
    adr x0, l1_table
    msr ttbr0_el1, x0
    isb
    tlbi vmalle1
    dsb nsh
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1                          // M
    orr x0, x0, #4                          // C
    orr x0, x0, #0x1000                     // I
    msr sctlr_el1, x0
    isb
${li('x0', F.FFA_VERSION)}
${li('x1', FFA_VERSION_1_1)}                            // the version its manifest states: descriptors in v1.1 layouts
    smc #0
${li('x0', F.FFA_RXTX_MAP_64)}
    adr x1, tx_buffer
    adr x2, rx_buffer
    mov x3, #1
    smc #0
${li('x9', F.FFA_SUCCESS_32)}
    cmp w0, w9
    b.eq 1f
    adr x0, msg_rxtx_failed
    bl log_error
1:  adr x0, msg_hello
    bl log
${p.init ?? ''}
msg_wait:
${li('x0', F.FFA_MSG_WAIT)}
    mov x1, #0                              // w1-w7 MBZ (and w2: no flags before v1.2)
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    smc #0
dispatch:
${li('x9', F.FFA_MSG_SEND_DIRECT_REQ_32)}
    cmp w0, w9
    b.eq request
${li('x9', F.FFA_MSG_SEND_DIRECT_REQ_64)}
    cmp x0, x9
    b.eq request
    // Anything else (FFA_RUN, FFA_INTERRUPT): take a pending virtual
    // interrupt${p.indirect ? ', answer an indirect message' : ''}, then wait again.
    msr daifclr, #2
    isb
    msr daifset, #2
${p.indirect ? '    bl indirect_echo\n' : ''}    b msg_wait
request:
    mov x19, x0
    mov x20, x1
    and x3, x3, #0xffffffff
${commands.map((c) => `    cmp x3, #${c.code}\n    b.eq ${c.label}`).join('\n')}
    mov x3, #${NOT_SUPPORTED}
    b respond
cmd_echo:
    mov x3, #0
    b respond
cmd_add:
    add x4, x4, #0x1000
    mov x3, #0
    b respond
cmd_spin:
    mov x5, x4
    cbz x4, 2f
1:  subs x4, x4, #1
    b.ne 1b
2:  mov x3, #0
    b respond
respond:
    add x0, x19, #1                         // DIRECT_RESP_32/64 follows its REQ
    ubfx x9, x20, #16, #16
    and x10, x20, #0xffff
    orr x1, x9, x10, lsl #16                // receiver and sender swapped
    mov x2, #0
${li('x9', F.FFA_MSG_SEND_DIRECT_REQ_32)}
    cmp w19, w9
    b.ne 1f
    mov w3, w3                              // a 32-bit response carries W registers
    mov w4, w4
    mov w5, w5
    mov w6, w6
    mov w7, w7
1:  smc #0
    b dispatch

// Log the string at x0 with the FF-A error code in w2 kept (x2 survives).
log_error:
    stp x29, x30, [sp, #-32]!
    stp x2, x3, [sp, #16]
    bl log
    ldp x2, x3, [sp, #16]
    ldp x29, x30, [sp], #32
    ret
${COPY}
${LOG}
${memCheck(p.id)}
${p.indirect ? indirectEcho(p.id, p.name) : ''}
${p.handlers}

el1_irq:
${saveGprs(GPR_FRAME)}
${li('x0', HF_INTERRUPT_GET)}
    hvc #0
${p.irq ?? ''}
${restoreGprs(GPR_FRAME)}
    eret

el1_sync:
    mov x21, #0x200
bad_vector:
    // An exception the partition does not expect: answer the request in
    // progress with ABORTED (ESR, FAR, ELR, vector offset in x4-x7).
    adr x0, stack_top
    mov sp, x0
    adr x0, msg_exception
    bl log
    mrs x4, esr_el1
    mrs x5, far_el1
    mrs x6, elr_el1
    mov x7, x21
    mov x3, #${ABORTED}
    cbnz x19, respond
    b msg_wait

msg_hello:
    .asciz "${p.name}: up, waiting for requests\\n"
msg_rxtx_failed:
    .asciz "${p.name}: FFA_RXTX_MAP failed\\n"
msg_retrieve_failed:
    .asciz "${p.name}: FFA_MEM_RETRIEVE_REQ refused\\n"
msg_frag_failed:
    .asciz "${p.name}: FFA_MEM_FRAG_RX refused\\n"
msg_relinquish_failed:
    .asciz "${p.name}: FFA_MEM_RELINQUISH refused\\n"
msg_exception:
    .asciz "${p.name}: unexpected exception\\n"
    .balign 8
log_scratch:
    .space 48
    .balign 0x800
vectors:
${vectorEntries()}
    .balign 4096
tx_buffer:
    .space 4096
rx_buffer:
    .space 4096
stack:
    .space 8192
stack_top:
l1_table:
${l1Table()}
l2_table:
${l2Table()}
    .ltorg
`;
}

/** Assembles a partition at `base` (the code is position independent; `base` only fixes the listing). */
export function assemblePartition(p: PartitionProgram, base: bigint): Uint8Array {
  return assemble(partitionSource(p), { baseAddress: base }).bytes;
}

/** Where `label` lands when the partition runs at `base` (for tests that look into a partition's memory). */
export function partitionSymbol(p: PartitionProgram, base: bigint, label: string): bigint {
  const at = assemble(partitionSource(p), { baseAddress: base }).symbols.get(label);
  if (at === undefined) throw new Error(`${p.name} has no label ${label}`);
  return at;
}

