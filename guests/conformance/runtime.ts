// The shared bare-metal runtime of the conformance programs: an A64 source
// skeleton (GNU as syntax, assembled by core/asm) into which each suite
// drops its test code. The programs are written the way hypervisor
// conformance suites (kvm-unit-tests and the like) write theirs for QEMU
// `virt`, and assume nothing an unmodified guest could not:
//
//   - entered at EL1 with the MMU off, x0 = physical address of the DTB
//     (QEMU -kernel rules, raw image at RAM base + 0x80000);
//   - PSCI 0.2+ over HVC (the device tree's /psci method on `virt` without
//     EL2; KVM and the hvrr hypervisor use HVC too);
//   - GICv3 at the `virt` addresses (GICD 0x08000000, GICR 0x080a0000, one
//     0x20000 frame per CPU in MPIDR order), the CPU interface through the
//     ICC_* system registers, security disabled (GICD_CTLR.DS = 1 view);
//   - PL011 at 0x09000000, polled output only.
//
// Number of CPUs: read from the device tree (children of /cpus whose names
// start with "cpu@"; /cpus/cpu-map is skipped), and cross-checked by the psci
// suite against a PSCI AFFINITY_INFO probe (MPIDR Aff0 = 0, 1, ... until
// INVALID_PARAMETERS). CPU index = MPIDR_EL1.Aff0 (true on `virt` for up to
// 16 CPUs with GICv3).
//
// Output: one `PASS: <name>` or `FAIL: <name>` line per check, `INFO: ...`
// lines that are not compared, and finally `SUMMARY: N tests, M failures`,
// then PSCI SYSTEM_OFF. Only CPU 0 prints (secondaries report through
// memory), except for an unexpected exception, which prints a FAIL line from
// whichever CPU took it.
//
// Secondary CPUs are started with PSCI CPU_ON at `secondary_entry` (x0 =
// CPU index); they set up stack, vectors, MMU and their GIC CPU interface,
// raise alive[idx], then wait for work: CPU 0 stores a function address in
// their per-CPU `cmd` word (`run_on` / `start_on`), the secondary calls it and
// clears the word. Every wait has a timeout (one second of the
// generic counter), so a broken platform prints FAIL instead of hanging.
import { PRINT_NUMBERS_ASM } from '../lib/print.js';
import { mmuOnAsm } from '../lib/mmu.js';
import { restoreGprs, saveGprs, vectorEntries } from '../lib/vectors.js';

export const LOAD_ADDRESS = 0x4008_0000n;

/** Largest number of CPUs the programs handle. */
export const MAX_CONFORMANCE_CPUS = 8;

// Per-CPU block layout (bytes from percpu + idx * PERCPU_SIZE).
export const PC = {
  esr: 0,
  far: 8,
  elr: 16,
  excCount: 24,
  /** 0: an exception is a failure; 1: expected, skip the instruction;
   *  2: expected HVC (an UNDEF for it answers x0 = -1, NOT_SUPPORTED). */
  expect: 32,
  /** Nonzero: the IRQ handler acknowledges but neither EOIs nor deactivates. */
  hold: 40,
  held: 48,
  /** Nonzero: the IRQ handler also writes ICC_DIR_EL1 after ICC_EOIR1_EL1 (EOImode = 1). */
  dir: 56,
  irqTotal: 64,
  logN: 72,
  log: 80, // 16 entries
  irqVct: 208,
  irqPct: 216,
  cmd: 224,
  arg0: 232,
  arg1: 240,
  ret0: 248,
  irqCount: 256, // 64 entries (INTID & 63)
  scratch: 768,
} as const;
export const PERCPU_SIZE = 1024;

export const PSCI = {
  VERSION: 0x8400_0000,
  CPU_OFF: 0x8400_0002,
  CPU_ON: 0xc400_0003,
  AFFINITY_INFO: 0xc400_0004,
  MIGRATE_INFO_TYPE: 0x8400_0006,
  SYSTEM_OFF: 0x8400_0008,
  SYSTEM_RESET: 0x8400_0009,
  FEATURES: 0x8400_000a,
} as const;

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

// Identity map (same shape as the self-test): TCR_EL1 T0SZ = 25 (39-bit VA,
// walk from level 1), 4 KB granule, inner-shareable write-back walks, EPD1,
// IPS = 40 bits. L1[0] = 0..1 GiB Device-nGnRnE XN, L1[1] = table of 2 MiB
// Normal WB blocks for 1..2 GiB (RAM), L1[2..] invalid (suites may fill them).
const AF = 1n << 10n;
const SH_INNER = 3n << 8n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;
export const DESC = {
  AF,
  SH_INNER,
  PXN,
  UXN,
  AP_RO: 2n << 6n,
  ATTR_DEVICE: 0n << 2n,
  ATTR_NORMAL: 1n << 2n,
  PAGE: 3n,
  TABLE: 3n,
  BLOCK: 1n,
} as const;
const DEVICE_BLOCK_1G = AF | PXN | UXN | 1n;
const NORMAL_BLOCK_2M = 0x4000_0000n | AF | SH_INNER | (1n << 2n) | 1n;

/** String/label helpers a suite builds its code with. */
export class Asm {
  private strings: string[] = [];
  private labelNo = 0;
  constructor(private readonly prefix: string) {}

  /** A label for a NUL-terminated string. */
  str(text: string): string {
    const i = this.strings.indexOf(text);
    if (i >= 0) return `${this.prefix}s${i}`;
    this.strings.push(text);
    return `${this.prefix}s${this.strings.length - 1}`;
  }
  label(hint = 'L'): string {
    return `${this.prefix}${hint}${this.labelNo++}`;
  }
  /** Print a constant string (clobbers x0..x3, x30). */
  say(text: string): string {
    return `    ldr x0, =${this.str(text)}\n    bl puts\n`;
  }
  /** Record a check: passes when condition `cond` holds after the preceding compare. */
  check(cond: string, name: string): string {
    return `    cset x1, ${cond}\n    ldr x0, =${this.str(name)}\n    bl result\n`;
  }
  /** Record a check from a register (nonzero = pass). */
  checkReg(reg: string, name: string): string {
    return `    mov x1, ${reg}\n    ldr x0, =${this.str(name)}\n    bl result\n`;
  }
  /** An SMCCC call over HVC; args are immediates or register names. */
  hvc(fn: number, ...args: (number | bigint | string)[]): string {
    let s = '';
    args.forEach((a, i) => {
      s += typeof a === 'string' ? `    mov x${i + 1}, ${a}\n` : `    ldr x${i + 1}, =${hex(a)}\n`;
    });
    return s + `    ldr x0, =${hex(fn)}\n    hvc #0\n`;
  }
  /** Print "INFO: <text>" + a register in hex + newline. */
  infoHex(text: string, reg: string): string {
    return `    mov x0, ${reg}\n    bl push_x0\n${this.say('INFO: ' + text)}    bl pop_x0\n    bl put_hex\n    bl put_nl\n`;
  }
  infoDec(text: string, reg: string): string {
    return `    mov x0, ${reg}\n    bl push_x0\n${this.say('INFO: ' + text)}    bl pop_x0\n    bl put_dec\n    bl put_nl\n`;
  }
  /** Point x<reg> at this CPU's per-CPU block (clobbers x<tmp>). */
  static percpu(reg: string, tmp: string): string {
    return `    mrs ${tmp}, tpidr_el1\n    ldr ${reg}, =percpu\n    add ${reg}, ${reg}, ${tmp}, lsl #10\n`;
  }
  /** Expect the next exception: it is recorded and the instruction skipped. */
  static expect(): string {
    return `    mrs x16, tpidr_el1\n    ldr x17, =percpu\n    add x17, x17, x16, lsl #10\n    mov x16, #1\n    str x16, [x17, #${PC.expect}]\n    ldr x16, [x17, #${PC.excCount}]\n    str x16, [x17, #${PC.scratch + 200}]\n`;
  }
  /** After an expected exception: x0 = ESR, x1 = FAR, x2 = ELR, x3 = 1 if one was taken (else 0, and expect is cleared). */
  static taken(): string {
    return `    bl exc_taken\n`;
  }
  dataSection(): string {
    return this.strings.map((s, i) => `${this.prefix}s${i}: .asciz ${JSON.stringify(s)}`).join('\n');
  }
}

export interface SuiteSpec {
  /** Suite name (printed in the banner). */
  name: string;
  /** Code run on CPU 0 after the runtime's set-up; falls through to `finish`. */
  main: string;
  /** Extra functions. */
  code?: string;
  /** Extra data (after the runtime's). */
  data?: string;
  /** The suite's Asm (its strings go into the data section). */
  asm: Asm;
  /** Replace the default IRQ handler: code for label `irq_handler` (called with
   *  bl from the vector, x0..x30 saved; must ret). */
  irqHandler?: string;
  /** Replaces the first line ("INFO: conformance suite <name>, CPUs from the device tree: N"). */
  banner?: string;
  /** A line printed after the SUMMARY line, right before SYSTEM_OFF. */
  finalLine?: string;
}

/** The default IRQ handler: acknowledge, count per INTID, log the order,
 *  mask a firing EL1 timer (IMASK) so its level does not storm, then EOI
 *  (and DIR when the per-CPU `dir` flag is set), unless `hold` is set. */
const DEFAULT_IRQ_HANDLER = `
irq_handler:
    mrs x0, icc_iar1_el1
    cmp x0, #1020
    b.hs 9f
${Asm.percpu('x2', 'x1')}
    mrs x3, cntvct_el0
    str x3, [x2, #${PC.irqVct}]
    mrs x3, cntpct_el0
    str x3, [x2, #${PC.irqPct}]
    ldr x3, [x2, #${PC.irqTotal}]
    add x3, x3, #1
    str x3, [x2, #${PC.irqTotal}]
    and x4, x0, #63
    add x5, x2, #${PC.irqCount}
    ldr x3, [x5, x4, lsl #3]
    add x3, x3, #1
    str x3, [x5, x4, lsl #3]
    ldr x3, [x2, #${PC.logN}]
    cmp x3, #16
    b.hs 1f
    add x5, x2, #${PC.log}
    str x0, [x5, x3, lsl #3]
    add x3, x3, #1
    str x3, [x2, #${PC.logN}]
1:  cmp x0, #27
    b.ne 2f
    mrs x3, cntv_ctl_el0
    orr x3, x3, #2
    msr cntv_ctl_el0, x3
    isb
2:  cmp x0, #30
    b.ne 3f
    mrs x3, cntp_ctl_el0
    orr x3, x3, #2
    msr cntp_ctl_el0, x3
    isb
3:  ldr x3, [x2, #${PC.hold}]
    cbz x3, 4f
    str x0, [x2, #${PC.held}]
    ret
4:  msr icc_eoir1_el1, x0
    ldr x3, [x2, #${PC.dir}]
    cbz x3, 9f
    msr icc_dir_el1, x0
9:  isb
    ret
`;

/** Builds a complete program around a suite. */
/** irq_count_of (x0 = CPU, x1 = INTID -> that CPU's count of it) and
 *  wait_irq_count (x0 = CPU, x1 = INTID, x2 = count: wait until the count
 *  equals it, then `settleTicks` more counter ticks, and check it stayed:
 *  x0 = 1, 0 on timeout or overshoot), for suites that count interrupts. */
export function irqCountAsm(settleTicks: number): string {
  return `
// x0 = CPU, x1 = INTID -> x0 = that CPU's count
irq_count_of:
    ldr x2, =percpu
    add x2, x2, x0, lsl #10
    add x2, x2, #${PC.irqCount}
    ldr x0, [x2, x1, lsl #3]
    ret

// x0 = CPU, x1 = INTID, x2 = count: wait until the count equals it, then
// make sure it stays -> x0 = 1, 0 on timeout or overshoot
wait_irq_count:
    stp x29, x30, [sp, #-48]!
    stp x19, x20, [sp, #16]
    str x21, [sp, #32]
    ldr x19, =percpu
    add x19, x19, x0, lsl #10
    add x19, x19, #${PC.irqCount}
    add x19, x19, x1, lsl #3
    mov x20, x2
    mov x0, x19
    mov x1, x20
    bl wait_eq
    mov x21, x0
    mov x0, #${settleTicks}
    bl delay
    ldr x1, [x19]
    cmp x1, x20
    cset x0, eq
    and x0, x0, x21
    ldr x21, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #48
    ret
`;
}

export function buildProgram(spec: SuiteSpec): string {
  const rt = new Asm('rt_');
  const saveRegs = saveGprs(272);
  const restoreRegs = restoreGprs(272);
  const vectors = vectorEntries();

  return `
    .equ UART, 0x09000000
    .equ GICD, 0x08000000
    .equ GICR, 0x080a0000
    .equ GICR_STRIDE, 0x20000
    .equ STACK_BYTES, 8192
    .equ MAX_CPUS, ${MAX_CONFORMANCE_CPUS}
    .text
_start:
    ldr x1, =dtb_ptr
    str x0, [x1]
    bl build_tables
    mov x0, #0
    bl cpu_setup
    bl gic_dist_init
    bl gic_cpu_init
    mrs x0, cntfrq_el0
    ldr x1, =cntfrq
    str x0, [x1]
    bl dtb_count_cpus
    ldr x1, =ncpus_dtb
    str x0, [x1]
    mov x1, x0
    cbnz x1, 1f
    mov x1, #1                      // no usable DTB: assume 1 CPU
1:  cmp x1, #MAX_CPUS
    b.ls 2f
    mov x1, #MAX_CPUS
2:  ldr x2, =ncpus
    str x1, [x2]
${rt.say(spec.banner ?? 'INFO: conformance suite ' + spec.name + ', CPUs from the device tree: ')}
    ldr x0, =ncpus_dtb
    ldr x0, [x0]
    bl put_dec
    bl put_nl
    b main

// x0 = CPU index: stack, TPIDR_EL1, vectors, MMU on (tables already built)
cpu_setup:
    msr tpidr_el1, x0
    ldr x1, =stacks
    add x2, x0, #1
    lsl x2, x2, #13
    add x1, x1, x2
    mov sp, x1
${mmuOnAsm('x1')}    ret

build_tables:
    ldr x0, =l1_table
    ldr x1, =l2_ram
    mov x2, #512
    mov x3, x0
1:  str xzr, [x3], #8
    subs x2, x2, #1
    b.ne 1b
    ldr x2, =${hex(DEVICE_BLOCK_1G)}
    str x2, [x0]
    orr x2, x1, #3
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

gic_dist_init:
    ldr x1, =GICD
    mov w2, #0x13                   // ARE | EnableGrp1 | EnableGrp0 (DS = 1 view)
    str w2, [x1]
1:  ldr w2, [x1]
    tbnz w2, #31, 1b                // RWP
    ret

// This CPU's redistributor: wake it, SGIs/PPIs to Group 1 at priority 0xa0,
// SGIs 0..15 and the timer PPIs 27/30 enabled; CPU interface: SRE, PMR = 0xff,
// BPR1 = 0, EOImode = 0, Group 1 enabled.
gic_cpu_init:
    mrs x0, tpidr_el1
    ldr x1, =GICR
    mov x2, #GICR_STRIDE
    madd x1, x0, x2, x1
    ldr w2, [x1, #0x14]             // GICR_WAKER
    bic w2, w2, #2
    str w2, [x1, #0x14]
1:  ldr w2, [x1, #0x14]
    tbnz w2, #2, 1b
    add x3, x1, #0x10000            // SGI_base
    mov w2, #-1
    str w2, [x3, #0x80]             // IGROUPR0
    ldr w2, =0xa0a0a0a0
    mov x4, #0
2:  add x5, x3, #0x400
    str w2, [x5, x4]
    add x4, x4, #4
    cmp x4, #32
    b.lo 2b
    mov w2, #-1
    str w2, [x3, #0x180]            // ICENABLER0: start from nothing enabled
    str w2, [x3, #0x280]            // ICPENDR0
    ldr w2, =0x4800ffff             // SGIs, PPI 27, PPI 30
    str w2, [x3, #0x100]            // ISENABLER0
1:  ldr w2, [x1]                    // GICR_CTLR.RWP
    tbnz w2, #3, 1b
    mov x0, #7
    msr icc_sre_el1, x0
    isb
    mov x0, #0xff
    msr icc_pmr_el1, x0
    msr icc_bpr1_el1, xzr
    msr icc_ctlr_el1, xzr
    mov x0, #1
    msr icc_igrpen1_el1, x0
    isb
    ret

// x0 = this CPU's redistributor SGI_base frame
gicr_sgi_base:
    mrs x0, tpidr_el1
// x0 = CPU index -> x0 = that CPU's SGI_base frame
gicr_sgi_base_of:
    ldr x1, =GICR + 0x10000
    mov x2, #GICR_STRIDE
    madd x0, x0, x2, x1
    ret

// Count /cpus/cpu@* nodes in the flattened device tree at dtb_ptr (0 if none)
dtb_count_cpus:
    ldr x1, =dtb_ptr
    ldr x1, [x1]
    mov x0, #0
    cbz x1, 9f
    ldr w2, [x1]
    rev w2, w2
    ldr w3, =0xd00dfeed
    cmp w2, w3
    b.ne 9f
    ldr w3, [x1, #8]                // off_dt_struct
    rev w3, w3
    add x3, x1, x3
    mov x4, #0                      // depth
    mov x5, #0                      // inside /cpus
1:  ldr w7, [x3], #4
    rev w7, w7
    cmp w7, #1
    b.eq 2f
    cmp w7, #2
    b.eq 5f
    cmp w7, #3
    b.eq 6f
    cmp w7, #4
    b.eq 1b
    b 9f                            // FDT_END or garbage
2:  add x4, x4, #1                  // FDT_BEGIN_NODE: name follows
    ldr w8, [x3]
    cmp x4, #2
    b.ne 3f
    ldr w9, =0x73757063             // "cpus"
    cmp w8, w9
    b.ne 4f
    ldrb w9, [x3, #4]
    cbnz w9, 4f
    mov x5, #1
    b 4f
3:  cmp x4, #3
    b.ne 4f
    cbz x5, 4f
    ldr w9, =0x40757063             // "cpu@"
    cmp w8, w9
    b.ne 4f
    add x0, x0, #1
4:  ldrb w9, [x3], #1               // skip the name and its NUL, align to 4
    cbnz w9, 4b
    add x3, x3, #3
    and x3, x3, #-4
    b 1b
5:  cmp x4, #2                      // FDT_END_NODE
    b.ne 51f
    mov x5, #0
51: sub x4, x4, #1
    b 1b
6:  ldr w7, [x3]                    // FDT_PROP: len, nameoff, value
    rev w7, w7
    add x3, x3, #8
    add x3, x3, x7
    add x3, x3, #3
    and x3, x3, #-4
    b 1b
9:  ret

// ---- secondary CPUs ----
secondary_entry:
    mov x19, x0
    bl cpu_setup
    bl gic_cpu_init
    msr daifclr, #2
    ldr x1, =online_count
    ldr x2, [x1, x19, lsl #3]
    add x2, x2, #1
    str x2, [x1, x19, lsl #3]
    ldr x1, =alive
    mov x2, #1
    dmb ish
    str x2, [x1, x19, lsl #3]
    dmb ish
sec_loop:
    ldr x1, =percpu
    add x1, x1, x19, lsl #10
    ldr x2, [x1, #${PC.cmd}]
    cbnz x2, 1f
    yield
    b sec_loop
1:  dmb ish
    ldr x0, [x1, #${PC.arg0}]
    ldr x1, [x1, #${PC.arg1}]
    blr x2
    ldr x1, =percpu
    add x1, x1, x19, lsl #10
    str x0, [x1, #${PC.ret0}]
    dmb ish
    str xzr, [x1, #${PC.cmd}]
    dmb ish
    b sec_loop

// CPU_OFF from a secondary (as a run_on function); does not return
do_cpu_off:
    ldr x1, =alive
    dmb ish
    str xzr, [x1, x19, lsl #3]
    dmb ish
    ldr x1, =percpu
    add x1, x1, x19, lsl #10
    str xzr, [x1, #${PC.cmd}]
    dmb ish
    ldr x0, =${hex(PSCI.CPU_OFF)}
    hvc #0
    ldr x1, =percpu                 // CPU_OFF returned: record it
    add x1, x1, x19, lsl #10
    str x0, [x1, #${PC.ret0}]
1:  wfi
    b 1b

// x0 = CPU index, x1 = function, x2 = arg0, x3 = arg1: queue work on a secondary
start_on:
    ldr x4, =percpu
    add x4, x4, x0, lsl #10
    str x2, [x4, #${PC.arg0}]
    str x3, [x4, #${PC.arg1}]
    dmb ish
    str x1, [x4, #${PC.cmd}]
    dmb ish
    ret

// x0 = CPU index: wait until its queued work is done -> x0 = 1 (x1 = its return value), 0 on timeout
wait_idle:
    stp x29, x30, [sp, #-32]!
    str x19, [sp, #16]
    ldr x19, =percpu
    add x19, x19, x0, lsl #10
    bl deadline
    mov x5, x0
1:  ldr x2, [x19, #${PC.cmd}]
    cbz x2, 2f
    mrs x3, cntvct_el0
    cmp x3, x5
    b.hs 3f
    yield
    b 1b
2:  dmb ish
    ldr x1, [x19, #${PC.ret0}]
    mov x0, #1
    b 4f
3:  mov x0, #0
4:  ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

// run_on: start_on + wait_idle
run_on:
    stp x29, x30, [sp, #-32]!
    str x19, [sp, #16]
    mov x19, x0
    bl start_on
    mov x0, x19
    bl wait_idle
    ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

// x0 = address, x1 = value: wait until the doubleword equals it -> x0 = 1, 0 on timeout
wait_eq:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    mov x19, x0
    mov x20, x1
    bl deadline
    mov x5, x0
1:  ldr x2, [x19]
    cmp x2, x20
    b.eq 2f
    mrs x3, cntvct_el0
    cmp x3, x5
    b.hs 3f
    yield
    b 1b
2:  mov x0, #1
    b 4f
3:  mov x0, #0
4:  ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

// x0 = CNTVCT + one second: the deadline of a wait (long enough for QEMU
// TCG on a loaded host; only a failing run ever reaches it)
deadline:
    ldr x0, =cntfrq
    ldr x0, [x0]
    mrs x1, cntvct_el0
    add x0, x0, x1
    ret

// x0 = counter ticks: busy-wait that long (CNTVCT)
delay:
    mrs x1, cntvct_el0
    add x1, x1, x0
1:  mrs x2, cntvct_el0
    cmp x2, x1
    b.hs 2f
    yield
    b 1b
2:  ret

// x0 = MPIDR value: poll PSCI AFFINITY_INFO until it reports OFF -> x0 = 1, 0 on timeout
wait_aff_off:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    mov x19, x0
    bl deadline
    mov x20, x0
1:  mov x1, x19
    mov x2, #0
    ldr x0, =${hex(PSCI.AFFINITY_INFO)}
    hvc #0
    cmp x0, #1
    b.eq 2f
    mrs x3, cntvct_el0
    cmp x3, x20
    b.hs 3f
    mov x0, #200
    bl delay
    b 1b
2:  mov x0, #1
    b 4f
3:  mov x0, #0
4:  ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

// After an expected exception: x0 = ESR, x1 = FAR, x2 = ELR, x3 = 1 if taken
exc_taken:
${Asm.percpu('x17', 'x16')}
    ldr x3, [x17, #${PC.excCount}]
    ldr x4, [x17, #${PC.scratch + 200}]
    str xzr, [x17, #${PC.expect}]
    cmp x3, x4
    cset x3, ne
    ldr x0, [x17, #${PC.esr}]
    ldr x1, [x17, #${PC.far}]
    ldr x2, [x17, #${PC.elr}]
    ret

// x0 = test name, x1 = nonzero for a pass
result:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    mov x19, x0
    mov x20, x1
    ldr x2, =n_tests
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    cbnz x20, 1f
    ldr x2, =n_fail
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    ldr x0, =${rt.str('FAIL: ')}
    b 2f
1:  ldr x0, =${rt.str('PASS: ')}
2:  bl puts
    mov x0, x19
    bl puts
    bl put_nl
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

// Print the summary and power off
finish:
    msr daifset, #2
${rt.say('SUMMARY: ')}
    ldr x0, =n_tests
    ldr x0, [x0]
    bl put_dec
${rt.say(' tests, ')}
    ldr x0, =n_fail
    ldr x0, [x0]
    bl put_dec
${rt.say(' failures\n')}
${spec.finalLine ? rt.say(spec.finalLine + '\n') : ''}    ldr x0, =${hex(PSCI.SYSTEM_OFF)}
    hvc #0
1:  wfi
    b 1b

// ---- console ----
putc:                               // w0 = byte; clobbers x1, x2
    ldr x1, =UART
1:  ldr w2, [x1, #0x18]             // UARTFR.TXFF
    tbnz w2, #5, 1b
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

push_x0:                            // keeps x0 in a per-CPU slot across a say()
${Asm.percpu('x17', 'x16')}
    str x0, [x17, #${PC.scratch + 208}]
    ret
pop_x0:
${Asm.percpu('x17', 'x16')}
    ldr x0, [x17, #${PC.scratch + 208}]
    ret

${PRINT_NUMBERS_ASM}
// ---- exception handlers ----
el1_sync:
${saveRegs}
${Asm.percpu('x20', 'x19')}
    mrs x0, esr_el1
    str x0, [x20, #${PC.esr}]
    mrs x1, far_el1
    str x1, [x20, #${PC.far}]
    mrs x2, elr_el1
    str x2, [x20, #${PC.elr}]
    ldr x3, [x20, #${PC.excCount}]
    add x3, x3, #1
    str x3, [x20, #${PC.excCount}]
    ldr x4, [x20, #${PC.expect}]
    cbz x4, el1_sync_unexpected
    str xzr, [x20, #${PC.expect}]
    lsr x5, x0, #26
    cmp x5, #0x15                   // SVC / HVC: ELR is already past the instruction
    b.eq 9f
    cmp x5, #0x16
    b.eq 9f
    cmp x5, #0x20                   // instruction abort: return to the caller (x30)
    b.eq 7f
    cmp x5, #0x21
    b.eq 7f
    cmp x5, #0x22                   // PC alignment: likewise
    b.eq 7f
    cmp x4, #2                      // an HVC taken as UNDEFINED (no EL2, not PSCI)
    b.ne 8f
    cbnz x5, 8f
    mov x6, #-1
    str x6, [sp]                    // saved x0 = NOT_SUPPORTED
8:  add x2, x2, #4
    msr elr_el1, x2
    b 9f
7:  ldr x2, [sp, #240]
    msr elr_el1, x2
9:
${restoreRegs}
    eret
el1_sync_unexpected:
    mov x21, #0x200
    b bad_vector

el1_irq:
${saveRegs}
    bl irq_handler
${restoreRegs}
    eret

// x21 = vector offset: report, count a failure; CPU 0 finishes, others stop
bad_vector:
${rt.say('FAIL: unexpected exception on cpu')}
    mrs x0, tpidr_el1
    bl put_dec
${rt.say(', vector ')}
    mov x0, x21
    bl put_hex
${rt.say(', ESR_EL1 ')}
    mrs x0, esr_el1
    bl put_hex
${rt.say(', ELR_EL1 ')}
    mrs x0, elr_el1
    bl put_hex
${rt.say(', FAR_EL1 ')}
    mrs x0, far_el1
    bl put_hex
    bl put_nl
    ldr x2, =n_tests
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    ldr x2, =n_fail
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    mrs x0, tpidr_el1
    cbnz x0, 1f
    ldr x0, =stacks + STACK_BYTES
    mov sp, x0
    b finish
1:  msr daifset, #0xf
2:  wfi
    b 2b

${spec.irqHandler ?? DEFAULT_IRQ_HANDLER}

// ==== suite ${spec.name} ====
main:
${spec.main}
    b finish

${spec.code ?? ''}

    .ltorg

    .balign 2048
vectors:
${vectors}

    .balign 8
${rt.dataSection()}
${spec.asm.dataSection()}

    .balign 8
dtb_ptr: .quad 0
cntfrq: .quad 0
ncpus: .quad 0
ncpus_dtb: .quad 0
n_tests: .quad 0
n_fail: .quad 0
alive: .space 8 * MAX_CPUS
online_count: .space 8 * MAX_CPUS
${spec.data ?? ''}
    .balign 4096
l1_table: .space 4096
l2_ram: .space 4096
    .balign 64
percpu: .space ${PERCPU_SIZE} * MAX_CPUS
    .balign 16
stacks: .space STACK_BYTES * (MAX_CPUS + 1)
`;
}

/** Parsed report of a conformance run. */
export interface ConformanceReport {
  pass: string[];
  fail: string[];
  summary: { tests: number; failures: number } | null;
  /** The PASS/FAIL lines in order, as printed. */
  results: string[];
}

export function parseReport(output: string): ConformanceReport {
  const pass: string[] = [];
  const fail: string[] = [];
  const results: string[] = [];
  let summary: ConformanceReport['summary'] = null;
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('PASS: ')) {
      pass.push(line.slice(6));
      results.push(line);
    } else if (line.startsWith('FAIL: ')) {
      fail.push(line.slice(6));
      results.push(line);
    } else {
      const m = /^SUMMARY: (\d+) tests, (\d+) failures$/.exec(line);
      if (m) summary = { tests: Number(m[1]), failures: Number(m[2]) };
    }
  }
  return { pass, fail, summary, results };
}
