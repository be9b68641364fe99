// Conformance suite `psci`: PSCI 0.2+/1.0 over HVC as a guest sees it
// (ARM DEN0022D). VERSION and FEATURES; the CPU count from the device tree
// against an AFFINITY_INFO probe; INVALID_PARAMETERS for an MPIDR that names
// no CPU; for every secondary: OFF before CPU_ON, SUCCESS, ON_PENDING or ON
// right after, online (its own MPIDR), ALREADY_ON for a second CPU_ON, CPU_OFF
// and AFFINITY_INFO back to OFF, CPU_ON again after CPU_OFF; and (3+ CPUs)
// CPU 0 and CPU 1 racing CPU_ON for CPU 2: exactly one SUCCESS, the other
// ALREADY_ON or ON_PENDING.
import { Asm, MAX_CONFORMANCE_CPUS, PSCI, buildProgram } from './runtime.js';

const PSCI_RET = { SUCCESS: 0, NOT_SUPPORTED: -1, INVALID_PARAMETERS: -2, ALREADY_ON: -4, ON_PENDING: -5 } as const;

export function psciSource(): string {
  const a = new Asm('ps_');
  let main = '';
  // ---- VERSION / FEATURES / MIGRATE_INFO_TYPE ----
  main += a.hvc(PSCI.VERSION);
  main += '    mov x20, x0\n';
  main += a.infoHex('PSCI_VERSION = ', 'x20');
  main += '    lsr x0, x20, #16\n    cmp x0, #1\n' + a.check('hs', 'psci-version-at-least-1.0');
  const features: [string, number][] = [
    ['psci-version', PSCI.VERSION],
    ['cpu-on', PSCI.CPU_ON],
    ['cpu-off', PSCI.CPU_OFF],
    ['affinity-info', PSCI.AFFINITY_INFO],
    ['system-off', PSCI.SYSTEM_OFF],
  ];
  for (const [name, fn] of features) {
    main += a.hvc(PSCI.FEATURES, fn);
    main += '    cmp x0, #0\n' + a.check('ge', `psci-features-${name}-supported`);
  }
  main += a.hvc(PSCI.FEATURES, 0x8400_00ff);
  main += '    cmn x0, #1\n' + a.check('eq', 'psci-features-unknown-function-not-supported');

  // ---- CPU count: device tree vs AFFINITY_INFO probe ----
  main += `
    mov x24, #0
1:  cmp x24, #${MAX_CONFORMANCE_CPUS}
    b.hs 2f
${a.hvc(PSCI.AFFINITY_INFO, 'x24', 0)}
    cmn x0, #2
    b.eq 2f
    add x24, x24, #1
    b 1b
2:
${a.infoDec('CPUs answering AFFINITY_INFO: ', 'x24')}
    ldr x1, =ncpus_dtb
    ldr x1, [x1]
    cmp x1, x24
${a.check('eq', 'dtb-cpu-count-matches-affinity-info-probe')}
`;
  main += a.hvc(PSCI.AFFINITY_INFO, 0, 0) + '    cmp x0, #0\n' + a.check('eq', 'affinity-info-boot-cpu-on');
  main += a.hvc(PSCI.AFFINITY_INFO, 0xff, 0) + `    cmn x0, #${-PSCI_RET.INVALID_PARAMETERS}\n` + a.check('eq', 'affinity-info-bad-mpidr-invalid-parameters');
  main += '    ldr x26, =secondary_entry\n';
  main += a.hvc(PSCI.CPU_ON, 0xff, 'x26', 0) + `    cmn x0, #${-PSCI_RET.INVALID_PARAMETERS}\n` + a.check('eq', 'cpu-on-bad-mpidr-invalid-parameters');
  main += a.hvc(PSCI.CPU_ON, 0, 'x26', 0) + `    cmn x0, #${-PSCI_RET.ALREADY_ON}\n` + a.check('eq', 'cpu-on-boot-cpu-already-on');

  // ---- every secondary ----
  for (let i = 1; i < MAX_CONFORMANCE_CPUS; i++) {
    const skip = a.label('skip');
    const c = `cpu${i}`;
    main += `
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #${i}
    b.ls ${skip}
${a.hvc(PSCI.AFFINITY_INFO, i, 0)}
    cmp x0, #1
${a.check('eq', `${c}-affinity-info-off-before-cpu-on`)}
    ldr x26, =secondary_entry
${a.hvc(PSCI.CPU_ON, i, 'x26', i)}
    cmp x0, #0
${a.check('eq', `${c}-cpu-on-success`)}
${a.hvc(PSCI.AFFINITY_INFO, i, 0)}
    mov x20, x0
${a.infoHex(`${c}: AFFINITY_INFO right after CPU_ON = `, 'x20')}
    cmp x20, #0
    ccmp x20, #2, #4, ne
${a.check('eq', `${c}-affinity-info-on-or-on-pending-after-cpu-on`)}
    ldr x0, =alive + ${8 * i}
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', `${c}-comes-online`)}
${a.hvc(PSCI.AFFINITY_INFO, i, 0)}
    cmp x0, #0
${a.check('eq', `${c}-affinity-info-on-when-online`)}
    ldr x26, =secondary_entry
${a.hvc(PSCI.CPU_ON, i, 'x26', i)}
    cmn x0, #${-PSCI_RET.ALREADY_ON}
${a.check('eq', `${c}-second-cpu-on-already-on`)}
    mov x0, #${i}
    ldr x1, =read_mpidr
    bl run_on
    and x1, x1, #0xffffff
    cmp x1, #${i}
    cset x2, eq
    and x0, x0, x2
${a.checkReg('x0', `${c}-runs-with-its-mpidr`)}
    mov x0, #${i}
    ldr x1, =do_cpu_off
    bl start_on
    mov x0, #${i}
    bl wait_aff_off
${a.checkReg('x0', `${c}-cpu-off-then-affinity-info-off`)}
${skip}:
`;
  }

  // ---- CPU_ON after CPU_OFF, then the race ----
  main += `
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #2
    b.lo 9f
    ldr x26, =secondary_entry
${a.hvc(PSCI.CPU_ON, 1, 'x26', 1)}
    cmp x0, #0
${a.check('eq', 'cpu1-cpu-on-again-after-cpu-off')}
    ldr x0, =alive + 8
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', 'cpu1-online-again')}
    ldr x1, =ncpus
    ldr x1, [x1]
    cmp x1, #3
    b.hs 3f
${a.say('INFO: cpu-on race skipped (needs 3 CPUs)\n')}
    b 8f
3:  ldr x0, =race_go
    str xzr, [x0]
    mov x0, #1
    ldr x1, =race_cpu_on
    bl start_on
    ldr x0, =race_ready
    mov x1, #1
    bl wait_eq
    ldr x26, =secondary_entry
    ldr x0, =race_go
    mov x1, #1
    dmb ish
    str x1, [x0]
${a.hvc(PSCI.CPU_ON, 2, 'x26', 2)}
    mov x20, x0                     // CPU 0's answer
    mov x0, #1
    bl wait_idle
    mov x21, x1                     // CPU 1's answer
    mov x22, x0
${a.infoHex('race: CPU_ON from cpu0 = ', 'x20')}
${a.infoHex('race: CPU_ON from cpu1 = ', 'x21')}
    // exactly one SUCCESS; the other ALREADY_ON or ON_PENDING
    mov x23, #0
    cmp x20, #0
    b.ne 4f
    mov x1, x21
    b 5f
4:  cmp x21, #0
    b.ne 6f
    mov x1, x20
5:  cmn x1, #${-PSCI_RET.ALREADY_ON}
    ccmn x1, #${-PSCI_RET.ON_PENDING}, #4, ne
    cset x23, eq
6:  and x23, x23, x22
${a.checkReg('x23', 'cpu-on-race-exactly-one-success-other-already-on-or-on-pending')}
    ldr x0, =alive + 16
    mov x1, #1
    bl wait_eq
${a.checkReg('x0', 'cpu-on-race-target-comes-online-once')}
    ldr x0, =online_count + 16
    ldr x0, [x0]
    cmp x0, #2                      // cpu2 came online twice in all: once per bring-up
${a.check('eq', 'cpu-on-race-target-entered-once')}
    mov x0, #2
    ldr x1, =do_cpu_off
    bl start_on
    mov x0, #2
    bl wait_aff_off
${a.checkReg('x0', 'cpu2-off-after-race')}
8:  mov x0, #1
    ldr x1, =do_cpu_off
    bl start_on
    mov x0, #1
    bl wait_aff_off
${a.checkReg('x0', 'cpu1-off-again')}
9:
`;
  const code = `
read_mpidr:
    mrs x0, mpidr_el1
    ret

// on cpu1: wait for the go flag, then CPU_ON cpu2; returns PSCI's answer
race_cpu_on:
    ldr x1, =race_ready
    mov x2, #1
    str x2, [x1]
    dmb ish
    ldr x1, =race_go
1:  ldr x2, [x1]
    cbz x2, 1b
    mov x1, #2
    ldr x2, =secondary_entry
    mov x3, #2
    ldr x0, =${'0x' + PSCI.CPU_ON.toString(16)}
    hvc #0
    ret
`;
  const data = `
race_go: .quad 0
race_ready: .quad 0
`;
  return buildProgram({ name: 'psci', main, code, data, asm: a });
}
