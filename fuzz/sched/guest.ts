// The guest a scheduler workload runs: a conformance-runtime program
// (guests/conformance/runtime.ts: secondaries started with PSCI CPU_ON,
// work queued with start_on, every wait bounded by a deadline,
// one PASS/FAIL line per check) generated from the workload. Every VM runs
// the same image.
//
// Each vCPU's operations of a round are one generated function; the first
// failing operation leaves its code in the function's return value
// (index << 8 | kind, OP_ERRORS), which CPU 0 checks after the round.
import { assemble } from '../../core/asm/assembler.js';
import { Asm, LOAD_ADDRESS, PC, PSCI, buildProgram, irqCountAsm } from '../../guests/conformance/runtime.js';
import { expectedLockTotal, type SchedOp, type SchedWorkload } from './workload.js';

/** Failure kinds in a round function's return value (bits 7:0). */
export const OP_ERRORS: Record<number, string> = {
  1: 'timer interrupt not taken within 1 s',
  2: 'CPU_SUSPEND did not return SUCCESS',
  3: 'timer interrupt not taken within 1 s of CPU_SUSPEND',
  4: 'SGI not taken exactly once',
  5: 'CPU_ON of an on vCPU did not return ALREADY_ON',
};

const PSCI_CPU_SUSPEND = 0xc400_0001;
const PSCI_ALREADY_ON = -4;
const VTIMER_INTID = 27;
/** Iterations (two instructions each) a wait spins before each WFE. */
const WAIT_SPIN_ITERATIONS = 2000;

/** Code for one operation; x23 holds the first error code (0: none), x24 = 0-based op index. */
function opAsm(a: Asm, o: SchedOp, self: number, index: number): string {
  const fail = (kind: number): string => `    cbnz x23, ${''}1f\n    ldr x23, =${(index << 8) | kind}\n1:\n`;
  switch (o.op) {
    case 'spin': {
      const l = a.label('spin');
      return `    ldr x9, =${o.iterations}\n${l}: subs x9, x9, #1\n    b.ne ${l}\n`;
    }
    case 'lock': {
      const l = a.label('lock');
      return `    ldr x10, =lockctr\n    ldr x11, =${o.increments}\n${l}: ldaxr x9, [x10]\n    add x9, x9, #1\n    stlxr w12, x9, [x10]\n    cbnz w12, ${l}\n    subs x11, x11, #1\n    b.ne ${l}\n`;
    }
    case 'timer':
    case 'suspend': {
      const wait = a.label('tw');
      const done = a.label('td');
      const timeout = a.label('tt');
      const resumed = a.label('tr');
      // IRQs masked from the check to the sleep: an interrupt in between still wakes it (WFI and standby wake on pending).
      const sleep = o.op === 'timer'
        ? '    wfi\n'
        : `${cpuSuspendAsm()}    cbz x0, ${resumed}\n${fail(2)}${resumed}:\n`;
      return `    mov x0, #${self}
    mov x1, #${VTIMER_INTID}
    bl irq_count_of
    mov x20, x0
    bl deadline
    mov x21, x0
    ldr x9, =${o.ticks}
    msr cntv_tval_el0, x9
    mov x9, #1
    msr cntv_ctl_el0, x9
    isb
${wait}:
    msr daifset, #2
    mov x0, #${self}
    mov x1, #${VTIMER_INTID}
    bl irq_count_of
    cmp x0, x20
    b.hi ${done}
    mrs x9, cntvct_el0
    cmp x9, x21
    b.hs ${timeout}
${sleep}    msr daifclr, #2
    b ${wait}
${timeout}:
    msr daifclr, #2
${fail(o.op === 'timer' ? 1 : 3)}${done}:
    msr daifclr, #2
    msr cntv_ctl_el0, xzr
    isb
`;
    }
    case 'sgi':
      // INTID = the sender's index: no other vCPU sends it, so nothing coalesces.
      return `    mov x0, #${o.to}\n    mov x1, #${self}\n    bl irq_count_of\n    add x20, x0, #1
    ldr x9, =0x${((BigInt(self) << 24n) | (1n << BigInt(o.to))).toString(16)}
    msr icc_sgi1r_el1, x9
    isb
    mov x0, #${o.to}
    mov x1, #${self}
    mov x2, x20
    bl wait_irq_count
    cbnz x0, ${''}2f
${fail(4)}2:
`;
    case 'cpu-on-again':
      return `${cpuOnAsm(o.cpu)}    cmn x0, #${-PSCI_ALREADY_ON}\n    b.eq 2f\n${fail(5)}2:\n`;
  }
}

/** PSCI CPU_ON of vCPU `cpu` (MPIDR Aff0 = index) at secondary_entry, context ID = index. */
function cpuOnAsm(cpu: number): string {
  return `    ldr x0, =0x${PSCI.CPU_ON.toString(16)}\n    mov x1, #${cpu}\n    ldr x2, =secondary_entry\n    mov x3, #${cpu}\n    hvc #0\n`;
}

/** PSCI CPU_SUSPEND, standby (power_state 0): returns when an interrupt is pending. */
function cpuSuspendAsm(): string {
  return `    ldr x0, =0x${PSCI_CPU_SUSPEND.toString(16)}\n    mov x1, #0\n    mov x2, #0\n    mov x3, #0\n    hvc #0\n`;
}

function roundFn(a: Asm, name: string, ops: SchedOp[], self: number): string {
  return `
${name}:
    stp x29, x30, [sp, #-64]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    mov x23, #0
${ops.map((o, i) => opAsm(a, o, self, i)).join('')}
    mov x0, x23
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #64
    ret
`;
}

/** The program's assembly source. */
export function schedGuestSource(w: SchedWorkload): string {
  const a = new Asm('sf_');
  let main = `    msr daifclr, #2
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #${w.vcpus}
${a.check('eq', `vcpus-${w.vcpus}`)}`;
  const bringUp = (c: number, what: string): string => `${cpuOnAsm(c)}    cmp x0, #0
${a.check('eq', `${what}-cpu${c}-cpu-on`)}    ldr x0, =alive + ${8 * c}
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', `${what}-cpu${c}-online`)}`;
  for (let c = 1; c < w.vcpus; c++) main += bringUp(c, 'boot');
  let code = '';
  w.rounds.forEach((r, ri) => {
    for (let k = 1; k < w.vcpus; k++) {
      code += roundFn(a, `r${ri}_c${k}`, r.ops[k] ?? [], k);
      main += `    mov x0, #${k}\n    ldr x1, =r${ri}_c${k}\n    mov x2, #0\n    mov x3, #0\n    bl start_on\n`;
    }
    code += roundFn(a, `r${ri}_c0`, r.ops[0] ?? [], 0);
    main += `    bl r${ri}_c0\n    mov x22, x0\n${a.infoHex(`round ${ri} cpu0 result `, 'x22')}    cmp x22, #0\n${a.check('eq', `round${ri}-cpu0-ops`)}`;
    for (let k = 1; k < w.vcpus; k++) {
      // Two deadlines: a vCPU whose own wait timed out reports that first.
      const idle = a.label('idle');
      main += `    mov x0, #${k}\n    bl wait_idle\n    cbnz x0, ${idle}\n    mov x0, #${k}\n    bl wait_idle\n${idle}:\n${a.checkReg('x0', `round${ri}-cpu${k}-finished`)}    mov x0, #${k}\n    mov x1, #${PC.ret0}\n    ldr x2, =percpu\n    add x2, x2, x0, lsl #10\n    ldr x22, [x2, x1]\n`;
      main += `${a.infoHex(`round ${ri} cpu${k} result `, 'x22')}    cmp x22, #0\n${a.check('eq', `round${ri}-cpu${k}-ops`)}`;
    }
    if (r.cycle !== undefined && r.cycle < w.vcpus) {
      const c = r.cycle;
      main += `    mov x0, #${c}\n    ldr x1, =do_cpu_off\n    mov x2, #0\n    mov x3, #0\n    bl start_on\n    mov x0, #${c}\n    bl wait_idle\n    mov x0, #${c}\n    bl wait_aff_off\n${a.checkReg('x0', `round${ri}-cpu${c}-off`)}`;
      main += bringUp(c, `round${ri}`);
    }
  });
  main += `    ldr x0, =lockctr\n    ldr x0, [x0]\n    ldr x1, =${expectedLockTotal(w)}\n    cmp x0, x1\n${a.check('eq', 'lock-total')}`;
  const data = `
    .balign 8
lockctr: .quad 0
`;
  // Each poll of a wait spins about 4 microseconds, then WFE instead of
  // YIELD: the hypervisor traps WFE on a shared pCPU and runs another vCPU,
  // so a wait for a descheduled vCPU costs a trap instead of the rest of a
  // 10 ms slice, and virtual time still advances between the traps (a
  // bare WFE poll made millions of switches per virtual millisecond).
  let relax = 0;
  return buildProgram({ name: 'sched-fuzz', main, code: code + irqCountAsm(2000), data, asm: a })
    // Every wait gives up after 1/256 s of virtual time (the runtime's is one
    // second): far more than any operation needs (the longest timer is 0.8 ms,
    // nothing keeps a pCPU longer than 40 us without a trap), and a planted
    // lost interrupt costs milliseconds of virtual time instead of seconds.
    .replace(/^deadline:\n(\s*ldr x0, =cntfrq\n\s*ldr x0, \[x0\]\n)/m, '$&    lsr x0, x0, #8\n')
    .replace(/^\s*yield$/gm, () => `    mov x16, #${WAIT_SPIN_ITERATIONS}\nsf_relax${relax}: subs x16, x16, #1\n    b.ne sf_relax${relax++}\n    wfe`);
}

/** The raw image (load at LOAD_ADDRESS). */
export function schedGuestImage(w: SchedWorkload): Uint8Array {
  return assemble(schedGuestSource(w), { baseAddress: LOAD_ADDRESS }).bytes;
}
