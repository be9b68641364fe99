// Conformance suite `gic-ipi`: SGIs through the GICv3 CPU interface system
// registers (GICv3 §12.2.22 ICC_SGI1R_EL1: INTID [27:24], Aff1 [23:16],
// TargetList [15:0], IRM [40]).
//
//   - every CPU sends SGI 1 to every CPU (itself included) with
//     TargetList/Aff1 = 0; exactly the target counts one more SGI 1;
//   - IRM = 1 from CPU 0: every other CPU gets SGI 2, CPU 0 does not;
//   - Aff1 = 1 (a cluster that does not exist) reaches nobody;
//   - priorities: SGI 4 (0x60) is taken before SGI 3 (0xa0) when both are
//     pending as interrupts are unmasked;
//   - ICC_PMR_EL1 = 0x80 masks SGI 5 at 0xa0 (it stays pending in
//     GICR_ISPENDR0), PMR = 0xff lets it in;
//   - active state: SGI 6 acknowledged and not EOId stays active
//     (GICR_ISACTIVER0); a second SGI 6 stays pending and is only taken after
//     the EOI (EOImode = 0: EOIR drops priority and deactivates);
//   - EOImode = 1: EOIR only drops priority, SGI 7 stays active and a second
//     SGI 7 pending until ICC_DIR_EL1 deactivates it.
import { Asm, MAX_CONFORMANCE_CPUS, PC, buildProgram, irqCountAsm } from './runtime.js';

const IRQ_COUNT = (intid: number): number => PC.irqCount + 8 * intid;

export function gicIpiSource(): string {
  const a = new Asm('gi_');
  let main = '    msr daifclr, #2\n';
  // Bring every secondary online first.
  for (let i = 1; i < MAX_CONFORMANCE_CPUS; i++) {
    main += `
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #${i}
    b.ls 1f
    mov x1, #${i}
    ldr x2, =secondary_entry
    mov x3, #${i}
    ldr x0, =0xc4000003
    hvc #0
    ldr x0, =alive + ${8 * i}
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', `cpu${i}-online`)}
1:
`;
  }
  // ---- SGI 1 from every CPU to every CPU ----
  for (let s = 0; s < MAX_CONFORMANCE_CPUS; s++) {
    for (let t = 0; t < MAX_CONFORMANCE_CPUS; t++) {
      const n = Math.max(s, t);
      main += `
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #${n}
    b.ls 1f
    mov x0, #${t}
    mov x1, #1
    bl irq_count_of
    mov x20, x0
    ldr x22, =${'0x' + ((1n << 24n) | (1n << BigInt(t))).toString(16)}   // INTID 1, Aff1 0, TargetList bit ${t}
${s === 0 ? '    msr icc_sgi1r_el1, x22\n    isb\n' : `    mov x0, #${s}\n    ldr x1, =send_sgi\n    mov x2, x22\n    bl run_on\n`}
    mov x0, #${t}
    mov x1, #1
    add x2, x20, #1
    bl wait_irq_count
${a.checkReg('x0', `sgi-cpu${s}-to-cpu${t}`)}
1:
`;
    }
  }
  // ---- IRM broadcast ----
  main += `
    mov x0, #2
    bl snapshot_counts              // x0 snapshot of SGI 2 counts in sgi_before[]
    ldr x0, =${'0x' + ((1n << 40n) | (2n << 24n)).toString(16)}
    msr icc_sgi1r_el1, x0
    isb
    mov x21, #1                     // all other CPUs get exactly one more
    mov x23, #1
2:  ldr x1, =ncpus
    ldr x1, [x1]
    cmp x23, x1
    b.hs 3f
    ldr x2, =sgi_before
    ldr x2, [x2, x23, lsl #3]
    add x2, x2, #1
    mov x0, x23
    mov x1, #2
    bl wait_irq_count
    and x21, x21, x0
    add x23, x23, #1
    b 2b
3:  mov x0, #20000
    bl delay
    mov x0, #0                      // and the sender none
    mov x1, #2
    bl irq_count_of
    ldr x2, =sgi_before
    ldr x2, [x2]
    cmp x0, x2
    cset x0, eq
    and x21, x21, x0
${a.checkReg('x21', 'sgi-irm-broadcast-reaches-all-but-self')}
`;
  // ---- Aff1 mismatch ----
  main += `
    mov x0, #1
    bl snapshot_counts
    ldr x0, =${'0x' + ((1n << 24n) | (1n << 16n) | 0xffffn).toString(16)}   // INTID 1, Aff1 1, all Aff0
    msr icc_sgi1r_el1, x0
    isb
    mov x0, #20000
    bl delay
    bl counts_unchanged
${a.checkReg('x0', 'sgi-aff1-nonexistent-cluster-not-delivered')}
`;
  // ---- priorities ----
  main += `
    msr daifset, #2
    bl gicr_sgi_base
    mov x19, x0
    mov w1, #0xa0
    strb w1, [x19, #0x403]          // IPRIORITYR: SGI 3 = 0xa0
    mov w1, #0x60
    strb w1, [x19, #0x404]          // SGI 4 = 0x60
    dsb sy
${Asm.percpu('x20', 'x1')}
    str xzr, [x20, #${PC.logN}]
    ldr x0, =0x3000001
    msr icc_sgi1r_el1, x0
    ldr x0, =0x4000001
    msr icc_sgi1r_el1, x0
    isb
    mov x0, #2000
    bl delay
    msr daifclr, #2
    mov x0, #20000
    bl delay
    ldr x1, [x20, #${PC.logN}]
    cmp x1, #2
    ldr x2, [x20, #${PC.log}]
    ccmp x2, #4, #0, eq
    ldr x2, [x20, #${PC.log + 8}]
    ccmp x2, #3, #0, eq
${a.check('eq', 'sgi-higher-priority-taken-first')}
`;
  // ---- PMR masking ----
  main += `
    mov x0, #0x80
    msr icc_pmr_el1, x0
    isb
    mrs x0, icc_pmr_el1
    cmp x0, #0x80
${a.check('eq', 'icc-pmr-reads-back')}
    ldr x20, [x20, #${IRQ_COUNT(5)}]
    ldr x0, =0x5000001
    msr icc_sgi1r_el1, x0
    isb
    mov x0, #20000
    bl delay
${Asm.percpu('x21', 'x1')}
    ldr x0, [x21, #${IRQ_COUNT(5)}]
    cmp x0, x20
${a.check('eq', 'pmr-masks-lower-priority-sgi')}
    ldr w0, [x19, #0x200]           // GICR_ISPENDR0
    tst w0, #0x20
${a.check('ne', 'masked-sgi-stays-pending')}
    mov x0, #0xff
    msr icc_pmr_el1, x0
    isb
    mov x0, #20000
    bl delay
    ldr x0, [x21, #${IRQ_COUNT(5)}]
    sub x0, x0, x20
    cmp x0, #1
${a.check('eq', 'pmr-unmask-delivers-pending-sgi')}
`;
  // ---- active state, EOImode = 0 ----
  const activeTest = (intid: number, eoimode: 0 | 1): string => {
    const p = `eoimode${eoimode}`;
    return `
${Asm.percpu('x21', 'x1')}
    mov x0, #${eoimode === 1 ? 2 : 0}
    msr icc_ctlr_el1, x0            // EOImode
    isb
    mov x0, #1
    str x0, [x21, #${PC.hold}]
    str xzr, [x21, #${PC.held}]
    ldr x20, [x21, #${IRQ_COUNT(intid)}]
    ldr x0, =${'0x' + ((BigInt(intid) << 24n) | 1n).toString(16)}
    msr icc_sgi1r_el1, x0
    isb
    mov x0, #20000
    bl delay
    ldr x0, [x21, #${PC.held}]
    cmp x0, #${intid}
${a.check('eq', `${p}-sgi${intid}-acknowledged`)}
    ldr w0, [x19, #0x300]           // GICR_ISACTIVER0
    tst w0, #${1 << intid}
${a.check('ne', `${p}-sgi${intid}-active-after-acknowledge`)}
    ldr x0, =${'0x' + ((BigInt(intid) << 24n) | 1n).toString(16)}
    msr icc_sgi1r_el1, x0           // the second one
    isb
    mov x0, #20000
    bl delay
    ldr x0, [x21, #${IRQ_COUNT(intid)}]
    sub x0, x0, x20
    cmp x0, #1
${a.check('eq', `${p}-second-sgi${intid}-not-taken-while-active`)}
    ldr w0, [x19, #0x200]           // GICR_ISPENDR0
    tst w0, #${1 << intid}
${a.check('ne', `${p}-second-sgi${intid}-pending-while-active`)}
    str xzr, [x21, #${PC.hold}]
    mov x0, #${intid}
    msr icc_eoir1_el1, x0
    isb
${eoimode === 1 ? `
    mov x0, #20000
    bl delay
    ldr w0, [x19, #0x300]
    tst w0, #${1 << intid}
${a.check('ne', `${p}-eoir-leaves-sgi${intid}-active`)}
    ldr x0, [x21, #${IRQ_COUNT(intid)}]
    sub x0, x0, x20
    cmp x0, #1
${a.check('eq', `${p}-second-sgi${intid}-still-pending-after-eoir`)}
    mov x0, #1
    str x0, [x21, #${PC.dir}]       // the handler deactivates the second one itself
    mov x0, #${intid}
    msr icc_dir_el1, x0
    isb
` : ''}
    mov x0, #20000
    bl delay
    ldr x0, [x21, #${IRQ_COUNT(intid)}]
    sub x0, x0, x20
    cmp x0, #2
${a.check('eq', `${p}-second-sgi${intid}-taken-after-${eoimode === 1 ? 'dir' : 'eoi'}`)}
    ldr w0, [x19, #0x300]
    tst w0, #${1 << intid}
${a.check('eq', `${p}-sgi${intid}-inactive-at-the-end`)}
    str xzr, [x21, #${PC.dir}]
    msr icc_ctlr_el1, xzr
    isb
`;
  };
  main += activeTest(6, 0);
  main += activeTest(7, 1);
  main += `
    mrs x0, icc_rpr_el1
    cmp x0, #0xff
${a.check('eq', 'icc-rpr-idle-at-the-end')}
`;
  const code = `
// on a secondary: x0 = ICC_SGI1R_EL1 value
send_sgi:
    msr icc_sgi1r_el1, x0
    isb
    ret

${irqCountAsm(5000)}
// x0 = INTID: copy every CPU's count of it to sgi_before[], remember the INTID
snapshot_counts:
    ldr x1, =snap_intid
    str x0, [x1]
    mov x3, #0
1:  ldr x2, =percpu
    add x2, x2, x3, lsl #10
    add x2, x2, #${PC.irqCount}
    ldr x2, [x2, x0, lsl #3]
    ldr x4, =sgi_before
    str x2, [x4, x3, lsl #3]
    add x3, x3, #1
    cmp x3, #${MAX_CONFORMANCE_CPUS}
    b.lo 1b
    ret

// -> x0 = 1 when no CPU's count of snap_intid changed since snapshot_counts
counts_unchanged:
    ldr x0, =snap_intid
    ldr x0, [x0]
    mov x5, #1
    mov x3, #0
1:  ldr x2, =percpu
    add x2, x2, x3, lsl #10
    add x2, x2, #${PC.irqCount}
    ldr x2, [x2, x0, lsl #3]
    ldr x4, =sgi_before
    ldr x4, [x4, x3, lsl #3]
    cmp x2, x4
    csel x5, xzr, x5, ne
    add x3, x3, #1
    cmp x3, #${MAX_CONFORMANCE_CPUS}
    b.lo 1b
    mov x0, x5
    ret
`;
  const data = `
snap_intid: .quad 0
sgi_before: .space 8 * ${MAX_CONFORMANCE_CPUS}
`;
  return buildProgram({ name: 'gic-ipi', main, code, data, asm: a });
}
