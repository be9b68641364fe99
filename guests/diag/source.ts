// The diagnostic guest (seed 004's idea, our own program): a bare-metal EL1
// guest for the `virt` board, assembled by core/asm, that exercises the
// hypervisor's hypercall ABI and trap paths and reports what it saw.
//
// Hypercall ABI (HVC #0, x0 = call, results in x0..x3; seed 004 numbering):
//   0 GET_HV_ID            -> x0 = hypervisor id
//   1 DUMP_LOG             -> the hypervisor prints its log; x0 = status
//   2 GET_STATUS           -> x0 (x1..x3) = status words
//   3 PAUSE                -> enter the EL2 monitor until it resumes
//   4 GUEST_CONSOLE_WRITE  x1 = IPA of the bytes, x2 = length -> x0 = status
//   5 REPORT_EXCEPTION     x1 = ESR_EL1, x2 = ELR_EL1, x3 = FAR_EL1 of an
//                          exception the guest took and handled itself
// Negative x0 is an error; -1 (NOT_SUPPORTED) means the call is unknown.
// Without a hypervisor (hvrr bare mode) the EL2 firmware stand-in answers
// -1 to all of them; on QEMU without EL2 a non-PSCI HVC is UNDEFINED, which
// the guest's vector also turns into -1. Then the guest prints
// "diag: hypercall ABI not available (bare mode)" and runs everything else.
//
// Run order: banner; GET_HV_ID; GET_STATUS; GUEST_CONSOLE_WRITE of a string
// from its own memory; its own exceptions (SVC, BRK, UDF, a stage-1 data
// abort on an unmapped VA, a data abort on an IPA with nothing behind it:
// 0x0e000000), each handled in its vector and then reported with
// REPORT_EXCEPTION; traps: WFI with the virtual timer pending, MMIO to the
// UART and GIC (peripheral ID registers), an SGI to itself, PSCI VERSION and
// (with 2+ CPUs) CPU_ON / CPU_OFF of CPU 1; PAUSE when built with
// `pause: true`; DUMP_LOG; then "SUMMARY: ...", "diag: all checks done",
// PSCI SYSTEM_OFF. Each check prints PASS:/FAIL: like the conformance suites.
import { Asm, PC, PSCI, buildProgram } from '../conformance/runtime.js';

export const HVC_GET_HV_ID = 0;
export const HVC_DUMP_LOG = 1;
export const HVC_GET_STATUS = 2;
export const HVC_PAUSE = 3;
export const HVC_GUEST_CONSOLE_WRITE = 4;
export const HVC_REPORT_EXCEPTION = 5;

export const DIAG_DONE_LINE = 'diag: all checks done';
export const DIAG_BARE_LINE = 'diag: hypercall ABI not available (bare mode)';
export const DIAG_CONSOLE_MESSAGE = 'diag: hello from guest memory via GUEST_CONSOLE_WRITE\n';

export interface DiagOptions {
  /** Call PAUSE (enter the EL2 monitor) once, after the trap checks. */
  pause?: boolean;
}

export function diagSource(opts: DiagOptions = {}): string {
  const a = new Asm('dg_');
  const call = (n: number, ...args: (number | string)[]): string => {
    let s = '';
    args.forEach((v, i) => {
      s += typeof v === 'string' ? `    mov x${i + 1}, ${v}\n` : `    ldr x${i + 1}, =${v}\n`;
    });
    return s + `    mov x0, #${n}\n    bl hypercall\n`;
  };
  /** Skip to `label` in bare mode. */
  const ifHv = (label: string): string => `    ldr x9, =bare_mode\n    ldr x9, [x9]\n    cbnz x9, ${label}\n`;
  const exc = (what: string, setup: string, insn: string, ec: number): string => {
    const skip = a.label('rep');
    return `
${setup}
${Asm.expect()}
    ${insn}
${Asm.taken()}
    mov x19, x0
    mov x20, x2
    mov x21, x1
${a.checkReg('x3', `${what}-taken`)}
    lsr x0, x19, #26
    cmp x0, #${ec}
${a.check('eq', `${what}-esr-ec-0x${ec.toString(16)}`)}
${a.infoHex(`${what}: ESR_EL1 = `, 'x19')}
${ifHv(skip)}
${call(HVC_REPORT_EXCEPTION, 'x19', 'x20', 'x21')}
    cmp x0, #0
${a.check('ge', `hypercall-report-exception-${what}`)}
${skip}:
`;
  };

  const main = `
${a.say('diag: CurrentEL = EL')}
    mrs x0, currentel
    lsr x0, x0, #2
    bl put_dec
${a.say(', MPIDR_EL1 = ')}
    mrs x0, mpidr_el1
    bl put_hex
${a.say(', device tree at ')}
    ldr x0, =dtb_ptr
    ldr x0, [x0]
    bl put_hex
    bl put_nl
    // ---- GET_HV_ID decides between hypervisor and bare mode ----
${call(HVC_GET_HV_ID)}
    mov x20, x0
    cmn x20, #1
    b.ne 1f
    ldr x1, =bare_mode
    mov x2, #1
    str x2, [x1]
${a.say(DIAG_BARE_LINE + '\n')}
    b 2f
1:
${a.infoHex('GET_HV_ID = ', 'x20')}
    cmp x20, #0
${a.check('ge', 'hypercall-get-hv-id')}
${call(HVC_GET_STATUS)}
    mov x20, x0
    mov x21, x1
${a.infoHex('GET_STATUS x0 = ', 'x20')}
${a.infoHex('GET_STATUS x1 = ', 'x21')}
    cmp x20, #0
${a.check('ge', 'hypercall-get-status')}
    ldr x22, =console_msg
${call(HVC_GUEST_CONSOLE_WRITE, 'x22', DIAG_CONSOLE_MESSAGE.length)}
    cmp x0, #0
${a.check('ge', 'hypercall-guest-console-write')}
    // a write from an IPA outside guest RAM must be refused, not performed
    ldr x22, =0x0e000000
${call(HVC_GUEST_CONSOLE_WRITE, 'x22', 16)}
    cmp x0, #0
${a.check('lt', 'hypercall-guest-console-write-bad-ipa-refused')}
2:
    // ---- the guest's own exceptions ----
${exc('svc', '', 'svc #0x5a', 0x15)}
${exc('brk', '', 'brk #0x3', 0x3c)}
${exc('undef', '', 'udf #0x1', 0x00)}
${exc('dabt-unmapped-va', '    ldr x24, =0x80000040', 'ldr x5, [x24]', 0x25)}
${exc('dabt-unmapped-ipa', '    ldr x24, =0x0e000000', 'ldr w5, [x24]', 0x25)}
    // ---- traps ----
    // MMIO: PL011 and GIC distributor identification registers
    ldr x1, =0x09000000
    ldr w0, [x1, #0xfe0]            // UARTPeriphID0
    and w0, w0, #0xff
    cmp w0, #0x11
${a.check('eq', 'mmio-uart-periphid0-0x11')}
    ldr x1, =0x0800ffe8
    ldr w0, [x1]                    // GICD_PIDR2
    ubfx w0, w0, #4, #4
    cmp w0, #3
${a.check('eq', 'mmio-gicd-pidr2-gicv3')}
    // SGI 9 to itself (ICC_SGI1R_EL1: traps to EL2 under a hypervisor)
${Asm.percpu('x19', 'x1')}
    ldr x20, [x19, #${PC.irqCount + 8 * 9}]
    msr daifclr, #2
    ldr x0, =0x9000001
    msr icc_sgi1r_el1, x0
    isb
    mov x0, #2000
    bl delay
    ldr x0, [x19, #${PC.irqCount + 8 * 9}]
    sub x0, x0, x20
    cmp x0, #1
${a.check('eq', 'sgi-to-self-delivered')}
    // WFI with the virtual timer armed 1 ms ahead
    ldr x20, [x19, #${PC.irqCount + 8 * 27}]
    ldr x0, =cntfrq
    ldr x0, [x0]
    mov x1, #1000
    udiv x0, x0, x1
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
    mov x21, #100
3:  wfi
    ldr x0, [x19, #${PC.irqCount + 8 * 27}]
    cmp x0, x20
    b.ne 4f
    subs x21, x21, #1
    b.ne 3b
4:  msr cntv_ctl_el0, xzr
    ldr x0, [x19, #${PC.irqCount + 8 * 27}]
    cmp x0, x20
${a.check('ne', 'wfi-wakes-on-virtual-timer')}
    // PSCI
${a.hvc(PSCI.VERSION)}
    mov x20, x0
${a.infoHex('PSCI_VERSION = ', 'x20')}
    lsr x0, x20, #16
    cmp x0, #1
${a.check('hs', 'psci-version-at-least-1.0')}
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #2
    b.lo 5f
    ldr x26, =secondary_entry
${a.hvc(PSCI.CPU_ON, 1, 'x26', 1)}
    cmp x0, #0
${a.check('eq', 'psci-cpu-on-cpu1')}
    ldr x0, =alive + 8
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', 'cpu1-online')}
    mov x0, #1
    ldr x1, =do_cpu_off
    bl start_on
    mov x0, #1
    bl wait_aff_off
${a.checkReg('x0', 'psci-cpu-off-cpu1')}
5:
${opts.pause ? `${ifHv('6f')}${a.say('diag: PAUSE: entering the EL2 monitor\n')}${call(HVC_PAUSE)}
    cmp x0, #0
${a.check('ge', 'hypercall-pause-resumed')}
6:
` : ''}
${ifHv('7f')}
${a.say('diag: DUMP_LOG:\n')}
${call(HVC_DUMP_LOG)}
    cmp x0, #0
${a.check('ge', 'hypercall-dump-log')}
7:
${a.say('diag: report: ')}
    ldr x0, =n_tests
    ldr x0, [x0]
    bl put_dec
${a.say(' checks, ')}
    ldr x0, =n_fail
    ldr x0, [x0]
    bl put_dec
${a.say(' failed, hypercalls ')}
    ldr x0, =bare_mode
    ldr x0, [x0]
    cbnz x0, 8f
${a.say('available\n')}
    b 9f
8:
${a.say('not available\n')}
9:
`;
  const code = `
// x0 = call, x1..x3 = arguments -> x0..x3; an UNDEFINED HVC answers x0 = -1
hypercall:
    mrs x16, tpidr_el1
    ldr x17, =percpu
    add x17, x17, x16, lsl #10
    mov x16, #2
    str x16, [x17, #${PC.expect}]
    hvc #0
    mrs x16, tpidr_el1
    ldr x17, =percpu
    add x17, x17, x16, lsl #10
    str xzr, [x17, #${PC.expect}]
    ret
`;
  const data = `
bare_mode: .quad 0
console_msg: .ascii ${JSON.stringify(DIAG_CONSOLE_MESSAGE)}
    .balign 8
`;
  return buildProgram({
    name: 'diag', main, code, data, asm: a,
    banner: 'diag: hvrr diagnostic guest starting; CPUs in the device tree: ',
    finalLine: DIAG_DONE_LINE,
  });
}
