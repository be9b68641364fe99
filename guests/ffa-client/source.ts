// The bundled Normal-world FF-A test client: a bare A64 program for NS-EL1
// (loaded as a raw kernel image; the same image runs as a VM under the
// hypervisor). It turns on an identity-mapped MMU, runs every check of
// checks.ts in order, prints `PASS <name>` or `FAIL <name>: <detail> x0=..
// value=..` per check on the PL011, then `FFA-CLIENT pass=N fail=M`, and
// powers off with PSCI SYSTEM_OFF. FF-A calls use one conduit instruction
// (SMC bare or trapped by the hypervisor's proxy, or HVC).
import * as F from '../../core/ffa/functionIds.js';
import { mmuOnAsm } from '../lib/mmu.js';
import { PRINT_NUMBERS_ASM } from '../lib/print.js';
import { vectorEntries } from '../lib/vectors.js';
import { DESC_EMAD_PERMISSIONS, asmData, sendTemplate } from '../sp/descriptors.js';
import { FFA_DATA_ACCESS_RO } from '../../core/ffa/memory/attributes.js';
import { clientChecks, type ClientCheck } from './checks.js';
import { CMD_ADD, SP1_ID } from '../sp/protocol.js';
import { CheckAsm } from './kit.js';

/** Where the raw image is loaded (RAM base + 0x80000, QEMU's -kernel rule). */
export const CLIENT_LOAD_ADDRESS = 0x4008_0000n;
export const CLIENT_SUMMARY_PREFIX = 'FFA-CLIENT';
const UART = 0x0900_0000;
const GICD = 0x0800_0000;
const GICR = 0x080a_0000;
const PSCI_SYSTEM_OFF = 0x8400_0008;
const PSCI_CPU_OFF = 0x8400_0002;
export const PSCI_CPU_ON_64 = 0xc400_0003;
/** CPUs the every-CPU check tries (CPU_ON of a missing one ends it). */
export const CLIENT_MAX_CPUS = 8;
/** Counter ticks before the preemption check's Non-secure timer interrupt. */
export const PREEMPT_TIMER_TICKS = 200;
/** The indirect message's payload. */
export const INDIRECT_PAYLOAD = 'hvrr-msg';
/** Bytes of a send descriptor before its constituents: header, one EMAD, the composite region. */
const SEND_HEAD_BYTES = 80;

/** A share template granting read-only access. */
function readOnly(head: Uint8Array): Uint8Array {
  const out = head.slice();
  out[DESC_EMAD_PERMISSIONS] = FFA_DATA_ACCESS_RO;
  return out;
}

export interface ClientOptions {
  conduit?: 'smc' | 'hvc';
  /** Run only these checks (by name), in the list's order; all by default. */
  only?: readonly string[];
  /** Leave these checks out. */
  skip?: readonly string[];
  /** Checks run after the list's (tests that set up the machine around them). */
  extra?: readonly ClientCheck[];
}

/** L1: 0-1 GiB Device-nGnRnE (MMIO), 1-4 GiB Normal write-back (RAM). */
function l1Table(): string {
  const out: string[] = [];
  for (let i = 0; i < 512; i++) {
    const pa = BigInt(i) << 30n;
    let d = 0n;
    if (i === 0) d = pa | 1n | (1n << 10n) | (1n << 53n) | (1n << 54n);
    else if (i < 4) d = pa | 1n | (1n << 2n) | (3n << 8n) | (1n << 10n);
    out.push(`    .quad 0x${d.toString(16)}`);
  }
  return out.join('\n');
}

const ROUTINES = `
putc:                                       // w0 = byte
    ldr x1, =${UART}
1:  ldr w2, [x1, #0x18]                     // UARTFR
    tbnz w2, #5, 1b                         // TXFF
    strb w0, [x1]
    ret
puts:                                       // x0 = NUL-terminated string
    stp x29, x30, [sp, #-16]!
    mov x3, x0
1:  ldrb w0, [x3], #1
    cbz w0, 2f
    bl putc
    b 1b
2:  ldp x29, x30, [sp], #16
    ret
put_nl:
    mov w0, #10
    b putc
${PRINT_NUMBERS_ASM}

// x0 = first page, x1 = pages, x2 = byte: fill every byte.
fill_pages:
    and x2, x2, #0xff
    ldr x9, =0x0101010101010101
    mul x2, x2, x9
    lsl x1, x1, #9
    cbz x1, 2f
1:  str x2, [x0], #8
    subs x1, x1, #1
    b.ne 1b
2:  ret

// x0 = first page, x1 = pages, x2 = byte: x0 = pages whose first byte is it.
count_marks:
    mov x9, #0
    and x2, x2, #0xff
    cbz x1, 2f
1:  ldrb w10, [x0]
    cmp w10, w2
    cinc x9, x9, eq
    add x0, x0, #4096
    subs x1, x1, #1
    b.ne 1b
2:  mov x0, x9
    ret

// A DONATE/LEND/SHARE of x3 pages from x2, one constituent per page, to x1:
// x0 = fid, x4 = template (header, EMAD, composite), x5 = constituents per
// fragment (0: as many as the TX buffer holds), x6 = the sender named,
// x7 bit 0: stop after the first fragment. Sends the first fragment, then
// FFA_MEM_FRAG_TX while the answer is FFA_MEM_FRAG_RX. Returns the last
// answer in x0-x7.
mem_send:
    stp x29, x30, [sp, #-96]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    mov x19, x0
    mov x20, x1
    mov x21, x2
    mov x22, x3
    mov x23, x7
    mov x24, x5
    cbnz x24, 1f
    mov x24, #4096
1:  adr x9, tx_buffer
    mov x10, #0
2:  ldr x11, [x4, x10]
    str x11, [x9, x10]
    add x10, x10, #8
    cmp x10, #${SEND_HEAD_BYTES}
    b.lo 2b
    strh w6, [x9]                           // sender
    strh w20, [x9, #48]                     // receiver (the only EMAD)
    str w22, [x9, #64]                      // composite: pages
    str w22, [x9, #68]                      //   and constituents
    mov x25, #0                             // constituents written
    mov x26, #${SEND_HEAD_BYTES}
    bl fill_fragment
    lsl x1, x22, #4
    add x1, x1, #${SEND_HEAD_BYTES}
    mov x0, x19
    mov x2, x26
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
3:  ldr x9, =${F.FFA_MEM_FRAG_RX}
    cmp w0, w9
    b.ne 4f
    tbnz x23, #0, 4f
    adr x9, send_handle
    stp x1, x2, [x9]
    mov x26, #0
    bl fill_fragment
    adr x9, send_handle
    ldp x1, x2, [x9]
    ldr x0, =${F.FFA_MEM_FRAG_TX}
    mov x3, x26
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
    b 3b
4:  ldp x25, x26, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #96
    ret
// Constituents from index x25 at TX + x26, until all x22 are written, the
// fragment holds x24 of them or the buffer is full.
fill_fragment:
    mov x11, #0
    adr x12, tx_buffer
1:  cmp x25, x22
    b.hs 2f
    cmp x11, x24
    b.hs 2f
    add x13, x26, #16
    cmp x13, #4096
    b.hi 2f
    add x14, x12, x26
    lsl x15, x25, #12
    add x15, x15, x21
    str x15, [x14]
    mov w15, #1
    str w15, [x14, #8]
    str wzr, [x14, #12]
    add x25, x25, #1
    add x11, x11, #1
    mov x26, x13
    b 1b
2:  ret

// FFA_MSG_SEND2 of "${INDIRECT_PAYLOAD}" to x0 (FF-A v1.1 partition message header).
send_indirect:
    stp x29, x30, [sp, #-16]!
    adr x9, tx_buffer
    stp xzr, xzr, [x9]
    mov w10, #20
    str w10, [x9, #8]                       // payload offset: right after the header
    orr w10, w0, w28, lsl #16
    str w10, [x9, #12]                      // sender << 16 | receiver
    mov w10, #${INDIRECT_PAYLOAD.length}
    str w10, [x9, #16]
    adr x10, indirect_payload
    mov x11, #0
1:  ldrb w12, [x10, x11]
    add x13, x11, #20
    strb w12, [x9, x13]
    add x11, x11, #1
    cmp x11, #${INDIRECT_PAYLOAD.length}
    b.lo 1b
    ldr x0, =${F.FFA_MSG_SEND2}
    mov x1, #0
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
    ldp x29, x30, [sp], #16
    ret

// x0 = 0 when RX holds the payload back, addressed to us.
check_indirect_reply:
    adr x9, rx_buffer
    ldr w10, [x9, #16]
    cmp w10, #${INDIRECT_PAYLOAD.length}
    b.ne 3f
    ldrh w10, [x9, #12]
    cmp w10, w28
    b.ne 3f
    ldr w13, [x9, #8]
    add x13, x9, x13
    adr x10, indirect_payload
    mov x11, #0
1:  ldrb w12, [x10, x11]
    ldrb w14, [x13, x11]
    cmp w12, w14
    b.ne 3f
    add x11, x11, #1
    cmp x11, #${INDIRECT_PAYLOAD.length}
    b.lo 1b
    mov x0, #0
    ret
3:  mov x0, #1
    ret

// A secondary CPU (PSCI CPU_ON, x0 = its index): its own stack and MMU,
// one ADD request to SP1 (x4 = 0x1000 + index), the answer's x0 and x4 in
// sec_result, sec_done set, then CPU_OFF.
secondary_entry:
    mov x19, x0
    adr x1, sec_stacks
    add x2, x19, #1
    lsl x2, x2, #12
    add x1, x1, x2
    mov sp, x1
${mmuOnAsm('x1')}
    adr x9, own_id
    ldr x28, [x9]
    ldr x0, =${F.FFA_MSG_SEND_DIRECT_REQ_64}
    ldr x9, =${SP1_ID}
    orr x1, x9, x28, lsl #16
    mov x2, #0
    mov x3, #${CMD_ADD}
    add x4, x19, #0x1000
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
    adr x9, sec_result
    stp x0, x4, [x9]
    str x2, [x9, #16]
    adr x9, sec_done
    mov x10, #1
    str x10, [x9]
    dsb sy
    ldr x0, =${PSCI_CPU_OFF}
    CONDUIT #0
    b .

// The EL1 virtual timer (PPI 27, Non-secure Group 1) armed to fire in
// ${PREEMPT_TIMER_TICKS} ticks, IRQs staying masked here (the SPMC sees it).
arm_ns_timer:
    ldr x1, =${GICD}
    mov w2, #0x13
    str w2, [x1]
1:  ldr w2, [x1]
    tbnz w2, #31, 1b
    ldr x1, =${GICR}
    add x3, x1, #0x10000
    ldr w2, [x3, #0x80]                     // GICR_IGROUPR0: PPI 27 Group 1
    orr w2, w2, #0x08000000
    str w2, [x3, #0x80]
    ldr w2, [x3, #0x418]                    // GICR_IPRIORITYR6
    bic w2, w2, #0xff000000
    orr w2, w2, #0x80000000
    str w2, [x3, #0x418]
    mov w2, #0x08000000
    str w2, [x3, #0x100]                    // GICR_ISENABLER0
    mov x0, #7
    msr icc_sre_el1, x0
    isb
    mov x0, #0xff
    msr icc_pmr_el1, x0
    mov x0, #1
    msr icc_igrpen1_el1, x0
    isb
    mov x0, #${PREEMPT_TIMER_TICKS}
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
    ret
`;

function renderChecks(checks: readonly ClientCheck[]): { calls: string; code: string; data: string } {
  const parts = checks.map((k, i) => {
    const c = new CheckAsm(`check_${i}`);
    k.body(c);
    return c.render(k.name);
  });
  return {
    calls: checks.map((_, i) => `    adr x0, check_${i}_name\n    adr x1, check_${i}\n    bl run_check`).join('\n'),
    code: parts.map((p) => p.code).join('\n'),
    data: parts.map((p) => p.data).join('\n'),
  };
}

export function clientSource(opts: ClientOptions = {}): string {
  const conduit = opts.conduit ?? 'smc';
  const all = clientChecks();
  const checks = [...all.filter((c) => (!opts.only || opts.only.includes(c.name)) && !opts.skip?.includes(c.name)), ...(opts.extra ?? [])];
  const r = renderChecks(checks);
  const head = (op: 'share' | 'lend' | 'donate'): string => asmData(`${op}_template`, sendTemplate(0, op).subarray(0, SEND_HEAD_BYTES));
  return `
entry:
    msr daifset, #0xf
    ldr x0, =stack_top
    mov sp, x0
${mmuOnAsm('x0')}
    mov x28, #0                             // our endpoint ID until FFA_ID_GET
    adr x0, s_banner
    bl puts
${r.calls}
    adr x0, s_summary
    bl puts
    adr x9, counts
    ldr x0, [x9]
    bl put_dec
    adr x0, s_fails
    bl puts
    adr x9, counts
    ldr x0, [x9, #8]
    bl put_dec
    bl put_nl
    ldr x0, =${PSCI_SYSTEM_OFF}
    ${conduit} #0
    b .

// x0 = the check's name, x1 = its subroutine (x0 = 0: PASS, else the detail).
run_check:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    mov x19, x0
    blr x1
    mov x20, x0
    adr x9, counts
    cbnz x20, 1f
    ldr x10, [x9]
    add x10, x10, #1
    str x10, [x9]
    adr x0, s_pass
    bl puts
    mov x0, x19
    bl puts
    bl put_nl
    b 2f
1:  ldr x10, [x9, #8]
    add x10, x10, #1
    str x10, [x9, #8]
    adr x0, s_fail
    bl puts
    mov x0, x19
    bl puts
    adr x0, s_colon
    bl puts
    mov x0, x20
    bl puts
    adr x0, s_x0
    bl puts
    adr x9, fail_regs
    ldr x0, [x9]
    bl put_hex
    adr x0, s_value
    bl puts
    adr x9, fail_regs
    ldr x0, [x9, #8]
    bl put_hex
    bl put_nl
2:  ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

ffa:
    ${conduit} #0
    ret
${ROUTINES.replaceAll('CONDUIT', conduit)}
${r.code}

el1_sync:
el1_irq:
    mov x21, #0
bad_vector:
    adr x0, s_exception
    bl puts
    mrs x0, esr_el1
    bl put_hex
    adr x0, s_elr
    bl puts
    mrs x0, elr_el1
    bl put_hex
    bl put_nl
    ldr x0, =${PSCI_SYSTEM_OFF}
    ${conduit} #0
    b .

s_banner:
    .asciz "ffa-client: FF-A checks (conduit ${conduit})\\n"
s_pass:
    .asciz "PASS "
s_fail:
    .asciz "FAIL "
s_colon:
    .asciz ": "
s_x0:
    .asciz " x0="
s_value:
    .asciz " value="
s_summary:
    .asciz "${CLIENT_SUMMARY_PREFIX} pass="
s_fails:
    .asciz " fail="
s_exception:
    .asciz "FAIL exception: ESR_EL1="
s_elr:
    .asciz " ELR_EL1="
indirect_payload:
    .ascii "${INDIRECT_PAYLOAD}"
${r.data}
${head('share')}
${asmData('share_ro_template', readOnly(sendTemplate(0, 'share').subarray(0, SEND_HEAD_BYTES)))}
${head('lend')}
${head('donate')}
    .balign 8
counts:
    .quad 0, 0
fail_regs:
    .quad 0, 0
send_handle:
    .quad 0, 0
own_id:
    .quad 0
sec_done:
    .quad 0
sec_result:
    .quad 0, 0, 0
    .balign 0x800
vectors:
${vectorEntries()}
    .balign 4096
l1_table:
${l1Table()}
tx_buffer:
    .space 4096
rx_buffer:
    .space 4096
    .space 16384
stack_top:
sec_stacks:
    .space ${CLIENT_MAX_CPUS * 4096}
    .ltorg
`;
}
