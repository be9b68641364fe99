// The S-EL1 side of `hvrr fuzz abi` (a case `from: 's-el1'`): the hostile
// code is a Secure Partition (0x8004, an SP package given with --sp, booted
// by the SPMC after the bundled three) and the victim a VM under the
// hypervisor. The partition waits (FFA_MSG_WAIT) for the victim's first
// direct request, then performs the case's actions at Secure EL1 (random
// HVC/SMC incl. FF-A IDs, device and memory accesses, system registers,
// random instruction words), logging x0-x9 into its own memory after each;
// its own vectors skip an instruction that faults at stage 1 or is
// UNDEFINED and mask an interrupt it unmasked (a stage-2 fault is the
// SPMC's: it aborts the partition). Then it answers the request in progress
// with ABI_SP_DONE in x4 and serves requests as the test partition does.
// The victim plants its secret (computed in registers), sends the partition
// direct requests (FFA_RUN when one yields or is interrupted), prints
// ABI_SP_DONE_LINE when an answer carries ABI_SP_DONE, and powers off.
import { assemble } from '../../core/asm/assembler.js';
import * as F from '../../core/ffa/functionIds.js';
import { testPartitionPackage } from '../../core/spmc/testPartition.js';
import { LOAD_ADDRESS } from '../../guests/conformance/runtime.js';
import type { AbiCase } from './actions.js';
import { PLANT_SECRET, actionAsm } from './guest.js';

/** The hostile partition's endpoint ID (after the bundled 0x8001-0x8003). */
export const ABI_SP_ID = 0x8004;
/** x4 of the answer the partition gives once every action ran. */
export const ABI_SP_DONE = 0xab1d_0e;
export const ABI_SP_DONE_LINE = 'abi victim: the partition ran every action';
/** Direct requests (and FFA_RUNs) the victim makes before it powers off. */
const VICTIM_CALLS = 24;
const LOG_SLOTS = 48;
const PL011 = 0x0900_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
/** A64 zeroing x`from`..x`to`. */
const zeroX = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `    mov x${from + i}, #0`).join('\n');

/** The partition's code after its FFA_ID_GET (testPartition's `init`): `=data+N` is its data area. */
function partitionInit(c: AbiCase): string {
  const actions = c.actions.map((x, i) => `${actionAsm(x)}    ldr x16, =data+0x800
    ldr x16, [x16]
    mov sp, x16
    ldr x16, =data+${0x1000 + (i % LOG_SLOTS) * 80}
    stp x0, x1, [x16]
    stp x2, x3, [x16, #16]
    stp x4, x5, [x16, #32]
    stp x6, x7, [x16, #48]
    stp x8, x9, [x16, #64]
`).join('');
  const vector = (k: number): string => {
    const sync = k % 4 === 0;
    return `    .balign 0x80\n    b ${sync ? 'abi_skip' : 'abi_mask'}\n`;
  };
  return `
    adr x0, abi_vectors
    msr vbar_el1, x0
    isb
${zeroX(1, 7)}
    ldr x0, =${hex(F.FFA_MSG_WAIT)}
    smc #0
    ldr x16, =data+0x808
    str x1, [x16]                       // the request's endpoints, for the answer
    mov x16, sp
    ldr x17, =data+0x800
    str x16, [x17]
${actions}
    ldr x16, =data+0x808
    ldr x1, [x16]
    lsr x2, x1, #16
    and x2, x2, #0xffff
    and x1, x1, #0xffff
    orr x1, x2, x1, lsl #16             // receiver << 16 | sender, swapped
    mov x2, #0
    mov x3, #0
    ldr x4, =${hex(ABI_SP_DONE)}
${zeroX(5, 7)}
    ldr x0, =${hex(F.FFA_MSG_SEND_DIRECT_RESP_64)}
    smc #0
    b loop                              // the next request: served as the test partition serves it
abi_skip:                               // a synchronous exception at S-EL1: skip the instruction
    mrs x9, elr_el1
    add x9, x9, #4
    msr elr_el1, x9
    eret
abi_mask:                               // an interrupt or SError it unmasked: mask it and go on
    mrs x9, spsr_el1
    orr x9, x9, #0x1c0
    msr spsr_el1, x9
    eret
    .balign 0x800
abi_vectors:
${Array.from({ length: 16 }, (_, k) => vector(k)).join('')}
`;
}

/** The hostile partition's SP package. */
export function abiPartitionPackage(c: AbiCase): Uint8Array {
  return testPartitionPackage({ id: ABI_SP_ID, init: partitionInit(c) });
}

/** The victim VM's image (raw, at the kernel load address) and the IPA of its secret page. */
export function abiVictimImage(): { bytes: Uint8Array; secretIpa: bigint } {
  const src = `
${PLANT_SECRET}    mov x19, #${VICTIM_CALLS}
request:
    ldr x0, =${hex(F.FFA_MSG_SEND_DIRECT_REQ_64)}
    ldr x1, =${hex((1 << 16) | ABI_SP_ID)}
${zeroX(2, 7)}
    smc #0
answer:
    ldr x9, =${hex(F.FFA_YIELD)}
    cmp w0, w9
    b.eq resume
    ldr x9, =${hex(F.FFA_INTERRUPT)}
    cmp w0, w9
    b.eq resume
    ldr x9, =${hex(F.FFA_MSG_SEND_DIRECT_RESP_64)}
    cmp w0, w9
    b.ne next
    ldr x9, =${hex(ABI_SP_DONE)}
    cmp x4, x9
    b.ne next
    adr x10, done_line
    ldr x11, =${hex(PL011)}
2:  ldrb w12, [x10], #1
    cbz w12, next
    str w12, [x11]
    b 2b
resume:
    subs x19, x19, #1
    b.eq off
    ldr x0, =${hex(F.FFA_RUN)}
    ldr x1, =${hex(ABI_SP_ID * 0x1_0000)}
    smc #0
    b answer
next:
    subs x19, x19, #1
    b.ne request
off:
    ldr x0, =${hex(PSCI_SYSTEM_OFF)}
    smc #0
3:  wfi
    b 3b
done_line:
    .asciz ${JSON.stringify(`${ABI_SP_DONE_LINE}\n`)}
    .balign 4096
secret_page:
    .space 4096
`;
  const r = assemble(src, { baseAddress: LOAD_ADDRESS });
  return { bytes: r.bytes, secretIpa: r.symbols.get('secret_page')! };
}
