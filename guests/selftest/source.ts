// The embedded default guest: a bare-metal EL1 self-test for the virt board,
// written in A64 assembly (GNU as syntax) and assembled at run time by
// core/asm. It is loaded as a raw image (QEMU -kernel rules: at RAM base +
// 0x80000, entered from the boot stub with x0 = DTB) and checks, printing one
// "hvrr self-test: ... PASS" line per check on the PL011:
//
//   CurrentEL, MIDR_EL1, MPIDR_EL1, the DTB magic; VBAR_EL1 vectors; identity
//   page tables (4 KB granule, 39-bit VA, a 1 GiB Device-nGnRnE block for the
//   MMIO range, 2 MiB Normal write-back blocks for RAM) with the MMU and caches
//   on, checked with AT S1E1R; a data abort on an unmapped address; a
//   CPU-bound checksum loop compared with the value computed here in
//   TypeScript; SVC and BRK exceptions (ESR_EL1.EC / ISS); the GICv3
//   (distributor, redistributor wake-up, ICC system registers) and the EL1
//   virtual timer (PPI 27) counting a few interrupts; PSCI VERSION,
//   AFFINITY_INFO (also used to count the CPUs), CPU_ON / CPU_OFF for every
//   secondary (each prints a line), then all CPUs together incrementing a
//   shared counter with LDAXR/STLXR; SYSTEM_OFF at the end.
//
// Any failed check prints "hvrr self-test: FAIL: <what>" and calls PSCI
// SYSTEM_RESET, so a failing self-test never ends with SYSTEM_OFF.
//
// Everything is deterministic: no input is read, and the only asynchronous
// events are the guest's own timer interrupts.
import { PRINT_NUMBERS_ASM } from '../lib/print.js';
import { mmuOnAsm } from '../lib/mmu.js';
import { restoreGprs, saveGprs, vectorEntries } from '../lib/vectors.js';

/** Where the raw image is loaded (RAM base + KERNEL64_LOAD_ADDR). */
export const SELFTEST_LOAD_ADDRESS = 0x4008_0000n;

/** Parameters of the checks, shared with the tests. */
export const SELFTEST_PARAMS = {
  checksumIterations: 100_000,
  checksumSeed: 0x9e37_79b9_7f4a_7c15n,
  fnvPrime: 0x0000_0100_0000_01b3n,
  /** Virtual timer interrupts to count. */
  timerInterrupts: 5,
  /** CNTV_TVAL_EL0 reload: 62500 counter ticks = 1 ms at 62.5 MHz. */
  timerPeriod: 62_500,
  /** Shared-counter increments per CPU. */
  atomicIterations: 5_000,
} as const;

const M64 = (1n << 64n) - 1n;

/** The checksum loop's result, computed the way the guest computes it. */
export function expectedChecksum(): bigint {
  const p = SELFTEST_PARAMS;
  const buf: bigint[] = new Array<bigint>(256).fill(0n);
  let x = p.checksumSeed;
  let sum = 0n;
  for (let i = 0; i < p.checksumIterations; i++) {
    x ^= (x << 13n) & M64;
    x ^= x >> 7n;
    x ^= (x << 17n) & M64;
    buf[i & 255] = x;
    const y = buf[(i * 9) & 255]!;
    sum = (sum + x) & M64;
    sum ^= y;
    sum = (sum * p.fnvPrime) & M64;
    sum = ((sum >> 29n) | (sum << 35n)) & M64; // ror #29
  }
  return sum;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

// Descriptor attributes (ARM ARM D8.3, VMSAv8-64 block descriptors).
const AF = 1n << 10n;
const SH_INNER = 3n << 8n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;
const ATTR_DEVICE = 0n << 2n; // MAIR attr0 = Device-nGnRnE
const ATTR_NORMAL = 1n << 2n; // MAIR attr1 = Normal WB RW-allocate
const BLOCK = 1n;
const DEVICE_BLOCK_1G = AF | ATTR_DEVICE | PXN | UXN | BLOCK;
const NORMAL_BLOCK_2M = 0x4000_0000n | AF | SH_INNER | ATTR_NORMAL | BLOCK;
// MAIR_EL1/TCR_EL1 for this identity map: guests/lib/mmu.ts.

export interface SelftestSourceOptions {
  /** Override the checksum the guest expects (tests use a wrong one to exercise the FAIL path). */
  expectedChecksum?: bigint;
}

/** Builds the assembly source. */
export function selftestSource(opts: SelftestSourceOptions = {}): string {
  const p = SELFTEST_PARAMS;
  const strings: string[] = [];
  const str = (text: string): string => {
    strings.push(text);
    return `str_${strings.length - 1}`;
  };
  let labelNo = 0;
  const say = (text: string): string => `    ldr x0, =${str(text)}\n    bl puts\n`;
  const pass = (): string => say(' ... PASS\n');
  /** Branch to fail with `what` unless condition `cond` holds (after a cmp). */
  const check = (cond: string, what: string): string => {
    const ok = `ok_${labelNo++}`;
    return `    b.${cond} ${ok}\n    ldr x0, =${str(what)}\n    b fail\n${ok}:\n`;
  };
  const hvc = (fn: number, ...args: (number | string)[]): string => {
    let s = `    ldr x0, =${hex(fn)}\n`;
    args.forEach((a, i) => {
      s += typeof a === 'number' ? `    ldr x${i + 1}, =${hex(a)}\n` : `    mov x${i + 1}, ${a}\n`;
    });
    return s + '    hvc #0\n';
  };
  const PREFIX = 'hvrr self-test: ';
  const line = (text: string): string => say(PREFIX + text);

  const saveRegs = saveGprs(256);
  const restoreRegs = restoreGprs(256);
  const vectors = vectorEntries();

  const PSCI_VERSION = 0x8400_0000;
  const CPU_OFF = 0x8400_0002;
  const CPU_ON = 0xc400_0003;
  const AFFINITY_INFO = 0xc400_0004;
  const SYSTEM_OFF = 0x8400_0008;
  const SYSTEM_RESET = 0x8400_0009;

  const text = `
    .equ UART, 0x09000000
    .equ GICD, 0x08000000
    .equ GICR, 0x080a0000
    .equ GICR_STRIDE, 0x20000
    .equ STACK_BYTES, 4096
    .text
_start:
    mov x19, x0                     // DTB address from the boot stub
    ldr x1, =stacks + STACK_BYTES   // CPU 0 stack
    mov sp, x1
${line('bare-metal EL1 guest starting on the hvrr virt board\n')}
    // ---- identification ----
${line('CurrentEL = EL')}
    mrs x0, CurrentEL
    lsr x20, x0, #2
    and x20, x20, #3
    mov x0, x20
    bl put_dec
    cmp x20, #1
${check('eq', 'not running at EL1')}
${pass()}
${line('MIDR_EL1 = ')}
    mrs x0, midr_el1
    bl put_hex
    bl put_nl
${line('MPIDR_EL1 = ')}
    mrs x20, mpidr_el1
    mov x0, x20
    bl put_hex
    tst x20, #0x80000000            // RES1
${check('ne', 'MPIDR_EL1 bit 31 (RES1) is clear')}
    and x0, x20, #0xff
    cmp x0, #0
${check('eq', 'boot CPU is not Aff0 = 0')}
${pass()}
${line('device tree at ')}
    mov x0, x19
    bl put_hex
    ldr w20, [x19]
    rev w20, w20
    ldr w1, =0xd00dfeed
    cmp w20, w1
${check('eq', 'no FDT magic at the address in x0')}
    ldr w0, [x19, #4]
    rev w0, w0
    mov x21, x0
${say(', ')}
    mov x0, x21
    bl put_dec
${say(' bytes')}
${pass()}

    // ---- exception vectors and MMU ----
    bl build_tables
    bl mmu_on
${line('VBAR_EL1 = ')}
    mrs x20, vbar_el1
    mov x0, x20
    bl put_hex
    ldr x1, =vectors
    cmp x20, x1
${check('eq', 'VBAR_EL1 does not read back')}
${pass()}
${line('MMU on: 4 KB granule, 39-bit VA, 2 MiB RAM blocks, Device MMIO')}
    mrs x0, sctlr_el1
    mov x1, #0x1005
    and x0, x0, x1
    cmp x0, x1
${check('eq', 'SCTLR_EL1.M/C/I do not read back as set')}
    ldr x20, =probe_word
    at s1e1r, x20
    isb
    mrs x0, par_el1
    tst x0, #1
${check('eq', 'AT S1E1R reported a fault for RAM')}
    ubfx x1, x0, #12, #36
    lsl x1, x1, #12
    and x2, x20, #0xfffffffffffff000
    cmp x1, x2
${check('eq', 'AT S1E1R gave the wrong PA for RAM (identity map expected)')}
    lsr x1, x0, #56                 // PAR_EL1.ATTR = MAIR attr1
    cmp x1, #0xff
${check('eq', 'AT S1E1R gave the wrong memory attributes for RAM')}
    ldr x1, =UART
    at s1e1r, x1
    isb
    mrs x0, par_el1
    tst x0, #1
${check('eq', 'AT S1E1R reported a fault for the UART')}
    lsr x1, x0, #56
    cmp x1, #0
${check('eq', 'UART is not mapped as Device-nGnRnE')}
    ldr x1, =0x5a5a1234
    str x1, [x20]
    ldr x2, [x20]
    cmp x1, x2
${check('eq', 'RAM store/load through the MMU failed')}
${pass()}
${line('load from unmapped VA 0x80000000')}
    mov x20, #0x80000000
    ldr x1, [x20]                   // translation fault, level 1: skipped by the handler
    ldr x1, =exc_ec
    ldr x0, [x1]
    cmp x0, #0x25
${check('eq', 'no data abort (EC 0x25) from an unmapped address')}
    ldr x0, [x1, #8]
    and x0, x0, #0x3f
    cmp x0, #0x05
${check('eq', 'data abort DFSC is not a level-1 translation fault')}
    ldr x0, [x1, #24]
    cmp x0, x20
${check('eq', 'FAR_EL1 is not the faulting address')}
${say(': data abort, EC = 0x25, DFSC = 0x05 (translation, level 1), FAR ok')}
${pass()}

    // ---- CPU-bound checksum ----
${line('checksum loop, ')}
    ldr x0, =${p.checksumIterations}
    bl put_dec
${say(' iterations = ')}
    bl checksum
    mov x20, x0
    bl put_hex
    ldr x1, =${hex(opts.expectedChecksum ?? expectedChecksum())}
    cmp x20, x1
${check('eq', 'checksum differs from the expected value')}
${pass()}

    // ---- synchronous exceptions ----
${line('SVC #0x42: ')}
    ldr x1, =exc_ec
    str xzr, [x1]
    svc #0x42
    bl report_exception
    cmp x0, #0x15
${check('eq', 'SVC did not give EC 0x15')}
    cmp x1, #0x42
${check('eq', 'SVC immediate not in ESR_EL1.ISS')}
${pass()}
${line('BRK #0x7: ')}
    ldr x1, =exc_ec
    str xzr, [x1]
    brk #0x7
    bl report_exception
    cmp x0, #0x3c
${check('eq', 'BRK did not give EC 0x3c')}
    cmp x1, #0x7
${check('eq', 'BRK immediate not in ESR_EL1.ISS')}
${pass()}

    // ---- GICv3 and the virtual timer ----
    ldr x1, =GICD
    mov w2, #0x13                   // ARE | EnableGrp1 | EnableGrp0 (DS = 1 view)
    str w2, [x1]
1:  ldr w2, [x1]
    tbnz w2, #31, 1b                // RWP
    ldr x1, =GICR                   // CPU 0's redistributor
    ldr w2, [x1, #0x14]             // GICR_WAKER
    bic w2, w2, #2                  // ProcessorSleep = 0
    str w2, [x1, #0x14]
1:  ldr w2, [x1, #0x14]
    tbnz w2, #2, 1b                 // wait for ChildrenAsleep = 0
    add x3, x1, #0x10000            // SGI_base frame
    ldr w2, [x3, #0x80]             // GICR_IGROUPR0: PPI 27 -> Group 1
    orr w2, w2, #0x08000000
    str w2, [x3, #0x80]
    ldr w2, [x3, #0x418]            // GICR_IPRIORITYR6 (INTIDs 24..27)
    bic w2, w2, #0xff000000
    orr w2, w2, #0x80000000
    str w2, [x3, #0x418]
    mov w2, #0x08000000
    str w2, [x3, #0x100]            // GICR_ISENABLER0
    mov x0, #7
    msr icc_sre_el1, x0             // SRE | DFB | DIB
    isb
    mrs x0, icc_sre_el1
    tst x0, #1
${check('ne', 'ICC_SRE_EL1.SRE reads as 0')}
    mov x0, #0xff
    msr icc_pmr_el1, x0
    mov x0, #1
    msr icc_igrpen1_el1, x0
    isb
    mrs x22, cntvct_el0
    mov x0, #${p.timerPeriod}
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0            // ENABLE, not masked
    msr daifclr, #2
1:  wfi
    ldr x1, =timer_ticks
    ldr x2, [x1]
    cmp x2, #${p.timerInterrupts}
    b.lo 1b
    msr daifset, #2
    mrs x23, cntvct_el0
${line('GICv3 + virtual timer (PPI 27): ')}
    ldr x1, =timer_ticks
    ldr x0, [x1]
    bl put_dec
${say(' interrupts in ')}
    sub x0, x23, x22
    bl put_dec
${say(' counter ticks')}
    sub x0, x23, x22
    ldr x1, =${p.timerInterrupts * p.timerPeriod}
    cmp x0, x1
${check('hs', 'timer interrupts came faster than programmed')}
    ldr x1, =other_irqs
    ldr x0, [x1]
    cmp x0, #0
${check('eq', 'unexpected interrupt IDs were acknowledged')}
${pass()}

    // ---- PSCI ----
${line('PSCI VERSION = ')}
${hvc(PSCI_VERSION)}
    mov x20, x0
    lsr x0, x20, #16
    bl put_dec
    mov w0, #46
    bl putc
    and x0, x20, #0xffff
    bl put_dec
    lsr x0, x20, #16
    cmp x0, #1
${check('hs', 'PSCI version is below 1.0')}
${pass()}
    // count CPUs: AFFINITY_INFO answers INVALID_PARAMETERS past the last one
    mov x24, #1
2:  cmp x24, #8
    b.hs 3f
${hvc(AFFINITY_INFO, 'x24', 0)}
    cmn x0, #2
    b.eq 3f
    cmp x0, #1
${check('eq', 'AFFINITY_INFO does not report a secondary CPU as OFF before CPU_ON')}
    add x24, x24, #1
    b 2b
3:
${hvc(AFFINITY_INFO, 0, 0)}
    cmp x0, #0
${check('eq', 'AFFINITY_INFO does not report CPU 0 as ON')}
${line('PSCI AFFINITY_INFO: ')}
    mov x0, x24
    bl put_dec
${say(' CPU(s) present')}
${pass()}
    // bring each secondary up alone: it prints a line and turns itself off
    mov x25, #1
4:  cmp x25, x24
    b.hs 5f
    ldr x26, =secondary_entry
${hvc(CPU_ON, 'x25', 'x26', 'x25')}
    cmp x0, #0
${check('eq', 'CPU_ON failed')}
    mov x0, x25
    bl wait_cpu_off
    add x25, x25, #1
    b 4b
5:
    // all CPUs at once: increment a shared counter with LDAXR/STLXR
    mov x25, #1
6:  cmp x25, x24
    b.hs 7f
    ldr x26, =secondary_entry
    orr x27, x25, #0x100
${hvc(CPU_ON, 'x25', 'x26', 'x27')}
    cmp x0, #0
${check('eq', 'CPU_ON failed (shared counter phase)')}
    add x25, x25, #1
    b 6b
7:  bl atomic_work
    mov x25, #1
8:  cmp x25, x24
    b.hs 9f
    mov x0, x25
    bl wait_cpu_off
    add x25, x25, #1
    b 8b
9:
${line('shared counter after ')}
    mov x0, x24
    bl put_dec
${say(' CPU(s) x ')}
    ldr x0, =${p.atomicIterations}
    bl put_dec
${say(' LDAXR/STLXR increments = ')}
    ldr x1, =shared_counter
    ldr x20, [x1]
    mov x0, x20
    bl put_dec
    ldr x1, =${p.atomicIterations}
    mul x1, x1, x24
    cmp x20, x1
${check('eq', 'shared counter lost increments')}
${pass()}
${line('all checks PASS, powering off\n')}
${hvc(SYSTEM_OFF)}
    ldr x0, =${str('SYSTEM_OFF returned')}
    b fail

// ---- secondary CPUs: x0 = CPU index, bit 8 set for the shared-counter phase ----
secondary_entry:
    mov x20, x0
    and x21, x20, #0xff
    ldr x1, =stacks
    add x2, x21, #1
    lsl x2, x2, #12
    add x1, x1, x2
    mov sp, x1
    bl mmu_on
    tbnz x20, #8, 2f
${line('cpu')}
    mov x0, x21
    bl put_dec
${say(' online: MPIDR_EL1 = ')}
    mrs x22, mpidr_el1
    mov x0, x22
    bl put_hex
${say(', EL')}
    mrs x0, CurrentEL
    lsr x0, x0, #2
    bl put_dec
${say(', MMU on, calling CPU_OFF')}
    and x0, x22, #0xff
    cmp x0, x21
${check('eq', 'secondary MPIDR_EL1.Aff0 does not match its CPU_ON target')}
${pass()}
    b 3f
2:  bl atomic_work
3:
${hvc(CPU_OFF)}
    ldr x0, =${str('CPU_OFF returned')}
    b fail

// x0 = CPU index: poll AFFINITY_INFO until the CPU is OFF
wait_cpu_off:
    stp x29, x30, [sp, #-32]!
    str x19, [sp, #16]
    mov x19, x0
1:  mov x0, #2000                   // let the other CPU run between polls
2:  subs x0, x0, #1
    b.ne 2b
${hvc(AFFINITY_INFO, 'x19', 0)}
    cmp x0, #1
    b.ne 1b
    ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

atomic_work:
    ldr x1, =shared_counter
    ldr x3, =${p.atomicIterations}
1:  ldaxr x2, [x1]
    add x2, x2, #1
    stlxr w4, x2, [x1]
    cbnz w4, 1b
    subs x3, x3, #1
    b.ne 1b
    ret

// x0 = EC, x1 = ISS of the last synchronous exception; prints "EC = .., ISS = .."
report_exception:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    ldr x1, =exc_ec
    ldr x19, [x1]
    ldr x20, [x1, #8]
${say('ESR_EL1.EC = ')}
    mov x0, x19
    bl put_hex
${say(', ISS = ')}
    mov x0, x20
    bl put_hex
    mov x0, x19
    mov x1, x20
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

checksum:
    ldr x4, =chk_buf
    mov x3, #256
1:  subs x3, x3, #1
    str xzr, [x4, x3, lsl #3]
    b.ne 1b
    ldr x1, =${hex(p.checksumSeed)}
    mov x2, #0
    mov x3, #0
    ldr x5, =${hex(p.fnvPrime)}
    ldr x9, =${p.checksumIterations}
2:  eor x1, x1, x1, lsl #13
    eor x1, x1, x1, lsr #7
    eor x1, x1, x1, lsl #17
    and x6, x3, #255
    str x1, [x4, x6, lsl #3]
    add x7, x3, x3, lsl #3
    and x7, x7, #255
    ldr x8, [x4, x7, lsl #3]
    add x2, x2, x1
    eor x2, x2, x8
    mul x2, x2, x5
    ror x2, x2, #29
    add x3, x3, #1
    cmp x3, x9
    b.lo 2b
    mov x0, x2
    ret

build_tables:
    ldr x0, =l1_table
    ldr x1, =l2_ram
    mov x2, #512
    mov x3, x0
1:  str xzr, [x3], #8
    subs x2, x2, #1
    b.ne 1b
    ldr x2, =${hex(DEVICE_BLOCK_1G)}   // L1[0]: 0..1 GiB, Device-nGnRnE, never executable
    str x2, [x0]
    orr x2, x1, #3                  // L1[1]: table for 1..2 GiB (RAM)
    str x2, [x0, #8]
    ldr x2, =${hex(NORMAL_BLOCK_2M)}
    mov x3, #512
    mov x4, x1
2:  str x2, [x4], #8
    add x2, x2, #0x200000
    subs x3, x3, #1
    b.ne 2b
    dsb ish
    ret

mmu_on:
${mmuOnAsm('x0')}    ret

// ---- console ----
putc:                               // w0 = byte; clobbers x1, x2
    ldr x1, =UART
1:  ldr w2, [x1, #0x18]             // UARTFR
    tbnz w2, #5, 1b                 // TXFF
    strb w0, [x1]
    ret

puts:                               // x0 = NUL-terminated string; clobbers x0..x3
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
// x0 = what failed
fail:
    mov x21, x0
${say('\n' + PREFIX + 'FAIL: ')}
    mov x0, x21
    bl puts
    bl put_nl
${hvc(SYSTEM_RESET)}
1:  wfi
    b 1b

// ---- exception handlers ----
el1_sync:
${saveRegs}
    mrs x0, esr_el1
    lsr x1, x0, #26
    ldr x2, =exc_ec
    str x1, [x2]
    and x3, x0, #0x1ffffff
    str x3, [x2, #8]
    mrs x4, elr_el1
    str x4, [x2, #16]
    mrs x5, far_el1
    str x5, [x2, #24]
    cmp x1, #0x15                   // SVC: ELR already points past it
    b.eq 9f
    cmp x1, #0x3c                   // BRK: preferred return is the BRK itself
    b.eq 8f
    cmp x1, #0x25                   // data abort at EL1: skip the load (the self-test provokes one)
    b.eq 8f
    mov x21, #0x200
    b bad_vector
8:  add x4, x4, #4
    msr elr_el1, x4
9:
${restoreRegs}
    eret

el1_irq:
${saveRegs}
    mrs x0, icc_iar1_el1
    cmp x0, #27
    b.ne 2f
    ldr x1, =timer_ticks
    ldr x2, [x1]
    add x2, x2, #1
    str x2, [x1]
    cmp x2, #${p.timerInterrupts}
    b.hs 1f
    mov x3, #${p.timerPeriod}
    msr cntv_tval_el0, x3           // next interrupt; deasserts the line
    b 3f
1:  msr cntv_ctl_el0, xzr           // done: timer off
    b 3f
2:  cmp x0, #1020                   // 1020..1023: special / spurious
    b.hs 4f
    ldr x1, =other_irqs
    ldr x2, [x1]
    add x2, x2, #1
    str x2, [x1]
3:  msr icc_eoir1_el1, x0
4:
${restoreRegs}
    eret

// x21 = vector offset
bad_vector:
${say('\n' + PREFIX + 'FAIL: unexpected exception, vector offset ')}
    mov x0, x21
    bl put_hex
${say(', ESR_EL1 = ')}
    mrs x0, esr_el1
    bl put_hex
${say(', ELR_EL1 = ')}
    mrs x0, elr_el1
    bl put_hex
${say(', FAR_EL1 = ')}
    mrs x0, far_el1
    bl put_hex
    bl put_nl
${hvc(SYSTEM_RESET)}
1:  wfi
    b 1b

    .ltorg

    .balign 2048
vectors:
${vectors}

    .balign 8
${strings.map((s, i) => `str_${i}: .asciz ${JSON.stringify(s)}`).join('\n')}

    .balign 8
exc_ec: .quad 0                     // +0 EC, +8 ISS, +16 ELR, +24 FAR
    .quad 0, 0, 0
timer_ticks: .quad 0
other_irqs: .quad 0
shared_counter: .quad 0
probe_word: .quad 0
    .balign 4096
l1_table: .space 4096
l2_ram: .space 4096
chk_buf: .space 2048
    .balign 16
stacks: .space 8 * STACK_BYTES
`;
  return text;
}
