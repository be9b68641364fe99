// Whole-machine tests of each trap path with small EL1 test programs.
import { describe, expect, it } from 'vitest';
import { checkSchedInvariants, hvMachine } from './testing.js';
import { enableSpi, guestImage, res, irqCount, EXC_LOG, readGuest64, UART_RX_TO_RESULTS, UART_RX_UNMASK, type GuestParts } from './testGuest.js';

const MiB = 1 << 20;
const hex = (v: number | bigint): string => '0x' + v.toString(16);
/** Call with x0 = fn, x1.. = args (numbers or register names). */
const call = (insn: 'hvc' | 'smc', fn: number | bigint, ...args: Array<number | bigint | string>): string =>
  `    ldr x0, =${hex(fn)}\n` +
  args.map((a, i) => (typeof a === 'string' ? `    mov x${i + 1}, ${a}\n` : `    ldr x${i + 1}, =${hex(a)}\n`)).join('') +
  `    ${insn} #0\n`;
const store = (n: number, reg = 'x0'): string => `    ldr x9, =RES\n    str ${reg}, [x9, #${n * 8}]\n`;
const neg = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

function boot(p: GuestParts, o: { vcpus?: number; pcpus?: number; vms?: number; insns?: number; ram?: number } = {}) {
  const image = guestImage(p);
  const r = hvMachine({ vms: Array.from({ length: o.vms ?? 1 }, () => ({ numVcpus: o.vcpus ?? 1, ramBytes: o.ram ?? 32 * MiB, kernel: image })) }, { numCpus: o.pcpus ?? 1 });
  const stop = r.m.run(o.insns ?? 20_000_000);
  return { ...r, stop };
}

describe('HVC: hypercall ABI (seed 004)', () => {
  it('GET_HV_ID, GET_STATUS, GUEST_CONSOLE_WRITE (good and bad IPA, bad length), DUMP_LOG, PAUSE, REPORT_EXCEPTION, unknown ids', () => {
    const paused: string[] = [];
    const image = guestImage({
      main: `
${call('hvc', 0)}${store(0)}${store(1, 'x1')}
${call('hvc', 2)}${store(2)}${store(3, 'x1')}${store(4, 'x2')}${store(5, 'x3')}
    ldr x1, =msg
${call('hvc', 4, 'x1', 6)}${store(6)}
${call('hvc', 4, 0x0e00_0000, 4)}${store(7)}
${call('hvc', 4, 0x4000_0000 + 32 * MiB - 2, 4)}${store(8)}
${call('hvc', 4, 0x4000_0000, 1 << 20)}${store(9)}
${call('hvc', 4, neg(-1), 1)}${store(10)}
${call('hvc', 5, 0x96000045, 0x40081234, 0xdead0000)}${store(11)}
${call('hvc', 3)}${store(12)}
${call('hvc', 1)}${store(13)}
${call('hvc', 0x8200_0000)}${store(14)}
`,
      extra: `msg: .ascii "hello\\n"\n    .balign 4`,
    });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] });
    r.hv.onPause = (vm, vcpu) => paused.push(`${vm.name}/${vcpu}`);
    expect(r.m.run(5_000_000)).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    expect(res(hv, 0)).toBe(0x4856_5252n); // "HVRR"
    expect(res(hv, 1)).toBe(1n);
    expect([res(hv, 2), res(hv, 3), res(hv, 4), res(hv, 5)]).toEqual([0n, 0n, 0n, 1n]);
    expect(res(hv, 6)).toBe(6n);
    expect(res(hv, 7)).toBe(neg(-3)); // secure RAM IPA: not the VM's RAM
    expect(res(hv, 8)).toBe(neg(-3)); // runs off the end of RAM
    expect(res(hv, 9)).toBe(neg(-2)); // longer than 4096
    expect(res(hv, 10)).toBe(neg(-3));
    expect(res(hv, 11)).toBe(0n);
    expect(res(hv, 12)).toBe(0n);
    expect(paused).toEqual(['vm0/0']);
    expect(res(hv, 13)).toBe(2n); // log lines so far: the exception report and the pause
    expect(res(hv, 14)).toBe(neg(-1)); // unknown SMCCC id over HVC: NOT_SUPPORTED
    const out = r.console();
    expect(out).toContain('hello\n');
    expect(out).toContain('hv: vm0 vcpu0: exception ESR=0x96000045 ELR=0x40081234 FAR=0xdead0000');
  });
});

describe('SMC trapped with HCR_EL2.TSC', () => {
  it('PSCI over SMC answers; other SMCs get NOT_SUPPORTED; the PC advances past the SMC', () => {
    const r = boot({
      main: `
${call('smc', 0x8400_0000)}${store(0)}
${call('smc', 0x8200_0001)}${store(1)}
${call('smc', 0xc300_0000)}${store(2)}
${call('hvc', 0x8400_000a, 0xc400_0003)}${store(3)}
${call('hvc', 0x8400_0006)}${store(4)}
${call('hvc', 0x8400_000a, 0x8400_0077)}${store(5)}
${call('smc', 0x8000_0000)}${store(6)}
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(res(r.hv, 0)).toBe(0x1_0000n); // PSCI 1.0
    expect(res(r.hv, 1)).toBe(neg(-1));
    expect(res(r.hv, 2)).toBe(neg(-1));
    expect(res(r.hv, 3)).toBe(0n); // FEATURES(CPU_ON)
    expect(res(r.hv, 4)).toBe(2n); // MIGRATE_INFO_TYPE: no migration needed
    expect(res(r.hv, 5)).toBe(neg(-1));
    expect(res(r.hv, 6)).toBe(0x1_0002n); // SMCCC 1.2 (x0-x17, as the FF-A proxy serves them)
  });
});

describe('data aborts on emulated devices', () => {
  it('decodes from the ISS (ISV = 1) and from the instruction (LDP/STP, pre/post-index writeback)', () => {
    const r = boot({
      main: `
    ldr x0, =GICD
    ldr w1, [x0, #4]
${store(0, 'x1')}
    ldp w2, w3, [x0]
${store(1, 'x2')}${store(2, 'x3')}
    ldr x4, =0x08000004
    ldr w5, [x4, #4]!
${store(3, 'x4')}${store(4, 'x5')}
    ldr x4, =0x08000420
    ldr w6, =0xa0b0c0d0
    str w6, [x4], #4
${store(5, 'x4')}
    ldr x4, =0x08000420
    ldr w7, [x4]
${store(6, 'x7')}
    ldr x4, =0x08006108
    ldr x6, =0x3
    str x6, [x4]
    ldr x7, [x4]
${store(7, 'x7')}
    ldr x4, =0x08000420
    ldp x2, x3, [x4]
${store(8, 'x2')}
    ldr x4, =GICR + 0x1041c
    ldr w9, =0xf0
    strb w9, [x4]
    ldrsb x8, [x4]
${store(9, 'x8')}
    ldr x4, =0x09010000
    ldr w8, [x4]
${store(10, 'x8')}
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    expect(res(hv, 0)).toBe(BigInt((288 / 32 - 1) | (9 << 19) | (1 << 25))); // GICD_TYPER: ITLinesNumber, IDbits, No1N
    expect(res(hv, 1)).toBe(0x50n); // GICD_CTLR: ARE | DS
    expect(res(hv, 2)).toBe(res(hv, 0));
    expect(res(hv, 3)).toBe(0x0800_0008n); // pre-index writeback
    expect(res(hv, 4)).toBe(0x43bn | (0x0300n << 16n)); // GICD_IIDR
    expect(res(hv, 5)).toBe(0x0800_0424n); // post-index writeback
    expect(res(hv, 6)).toBe(0xa0b0c0d0n & 0xf8f8f8f8n); // priorities keep 5 bits
    expect(res(hv, 7)).toBe(3n); // IROUTER33 (64-bit access)
    expect(res(hv, 8)).toBe(0xa0b0c0d0n & 0xf8f8f8f8n); // 64-bit LDP over two 32-bit halves
    expect(res(hv, 9)).toBe(neg(-16)); // LDRSB sign-extends 0xf0
    expect(res(hv, 10)).toBeGreaterThan(1_600_000_000n); // vPL031 RTCDR
  });

  it('GICD_IROUTER: IRM is RES0 (No1N), the SPI follows Aff0', () => {
    const r = boot({
      main: `
    ldr x0, =0x08006000
    ldr x1, =0x80000001
    str x1, [x0, #48 * 8]
    ldr x2, [x0, #48 * 8]
${store(0, 'x2')}
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(res(r.hv, 0)).toBe(1n);
    expect(r.hv.s.vms[0]!.gic.route[48 - 32]).toBe(1);
  });

  it('an access to an IPA with no RAM and no device gets a data abort injected at EL1', () => {
    const r = boot({
      main: `
    ldr x0, =0x0c000000
    ldr w1, [x0]
    ldr x0, =0x0e000000
    str w1, [x0]
${store(0, 'x1')}
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    expect(readGuest64(hv, 0, EXC_LOG)).toBe(2n);
    const esr = readGuest64(hv, 0, EXC_LOG + 8);
    expect(esr >> 26n).toBe(0x25n); // data abort, same EL
    expect(esr & 0x3fn).toBe(0x10n); // synchronous external abort
    expect(readGuest64(hv, 0, EXC_LOG + 16)).toBe(0x0e00_0000n);
    expect(hv.s.counters['injectedAborts']).toBe(2);
  });
});

describe('IPIs (ICC_SGI1R_EL1 trapped) and WFI blocking', () => {
  const ipi: GuestParts = {
    main: `
    mov x1, #0
    bl gic_init
    msr daifclr, #2
    mrs x19, mpidr_el1
${call('hvc', 0xc400_0003, 1, 'x19', 0)}
    ldr x20, =RES
1:  ldr x1, [x20, #0]
    cbz x1, 1b
    // SGI 5 to vCPU 1 (TargetList bit 1), then SGI 6 to all but self (IRM)
    mov x0, #(5 << 24)
    orr x0, x0, #2
    msr icc_sgi1r_el1, x0
    mov x0, #(6 << 24)
    orr x0, x0, #(1 << 40)
    msr icc_sgi1r_el1, x0
2:  ldr x1, [x20, #8]
    cmp x1, #2
    b.lo 2b
`,
    secondary: `
    mov x1, #1
    bl gic_init
    msr daifclr, #2
    ldr x20, =RES
    mov x1, #1
    str x1, [x20, #0]
1:  wfi
    ldr x1, =IRQS + 0x200
    ldr x2, [x1, #40]
    ldr x3, [x1, #48]
    add x2, x2, x3
    cmp x2, #2
    b.lo 1b
    str x2, [x20, #8]
`,
    extra: `
secondary_entry:
    b secondary
`,
  };
  // CPU_ON entry is the image's _start (x19 = its address in main is wrong): use the real entry.
  const fix = (p: GuestParts): GuestParts => ({ ...p, main: p.main.replace("mrs x19, mpidr_el1", 'ldr x19, =_start') });

  for (const pcpus of [1, 2]) {
    it(`SGIs reach the target vCPU and wake it from WFI (2 vCPUs on ${pcpus} pCPU(s))`, () => {
      const r = boot(fix(ipi), { vcpus: 2, pcpus, insns: 60_000_000 });
      expect(r.stop).toEqual({ kind: 'system-off' });
      expect(irqCount(r.hv, 1, 5)).toBe(1);
      expect(irqCount(r.hv, 1, 6)).toBe(1);
      expect(irqCount(r.hv, 0, 6)).toBe(0); // IRM excludes the sender
      expect(r.hv.s.counters['wfi']).toBeGreaterThan(0);
      checkSchedInvariants(r.decisions);
    });
  }

  it('more pending interrupts than list registers: all 8 SGIs are delivered (maintenance refill)', () => {
    const r = boot({
      main: `
    mov x1, #0
    bl gic_init
    mov x3, #0
1:  lsl x0, x3, #24
    orr x0, x0, #1
    msr icc_sgi1r_el1, x0
    add x3, x3, #1
    cmp x3, #8
    b.lo 1b
    msr daifclr, #2
    ldr x20, =IRQS
2:  mov x3, #0
    mov x4, #0
3:  ldr x5, [x20, x3, lsl #3]
    add x4, x4, x5
    add x3, x3, #1
    cmp x3, #8
    b.lo 3b
    cmp x4, #8
    b.lo 2b
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    for (let i = 0; i < 8; i++) expect(irqCount(r.hv, 0, i)).toBe(1);
  });
});

describe('timers', () => {
  it('virtual (PPI 27) and EL1 physical (PPI 30) timers both interrupt the guest; WFI blocks until they fire', () => {
    const r = boot({
      main: `
    mov x1, #0
    bl gic_init
    msr daifclr, #2
    mov x0, #1000
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    ldr x0, =3000
    msr cntp_tval_el0, x0
    mov x0, #1
    msr cntp_ctl_el0, x0
    ldr x20, =IRQS
1:  wfi
    ldr x1, [x20, #27 * 8]
    ldr x2, [x20, #30 * 8]
    cbz x1, 1b
    cbz x2, 1b
    mrs x3, cntpct_el0
${store(0, 'x3')}
`,
    });
    expect(r.stop).toEqual({ kind: 'system-off' });
    expect(irqCount(r.hv, 0, 27)).toBe(1);
    expect(irqCount(r.hv, 0, 30)).toBe(1);
    expect(res(r.hv, 0)).toBeGreaterThanOrEqual(3000n);
    // blocked in WFI rather than spinning: few instructions for ~3000 counts (48000 ticks)
    expect(r.m.instructions).toBeLessThan(20_000);
  });
});

describe('scheduling', () => {
  it('preemption on the 10 ms CNTHP tick: two spinning vCPUs on one pCPU both progress; runnable vCPUs run within 2 slices', () => {
    const image = guestImage({
      main: `
${call('hvc', 0xc400_0003, 1, 'x19', 0).replace("mov x2, x19", 'ldr x2, =_start')}
    ldr x20, =RES
1:  ldr x1, [x20]
    add x1, x1, #1
    str x1, [x20]
    b 1b
`,
      secondary: `
    ldr x20, =RES
1:  ldr x1, [x20, #8]
    add x1, x1, #1
    str x1, [x20, #8]
    b 1b
`,
    });
    const r = hvMachine({ vms: [{ numVcpus: 2, ramBytes: 32 * MiB, kernel: image }] });
    const waiting = new Map<string, number>();
    r.hv.onSched = (d) => {
      r.decisions.push(d);
      for (const vm of r.hv.s.vms) {
        for (const v of vm.vcpus) {
          const k = `${vm.id}.${v.id}`;
          if (d.dir === 'in' && d.vm === vm.id && d.vcpu === v.id) {
            waiting.delete(k);
            continue;
          }
          if (v.run === 'runnable' || v.run === 'on-pending') {
            if (!waiting.has(k)) waiting.set(k, d.tick);
            expect(d.tick - waiting.get(k)!).toBeLessThanOrEqual(2 * 10_000_000 + 100_000);
          } else waiting.delete(k);
        }
      }
    };
    r.m.run({ untilTick: 100_000_000 });
    expect(res(r.hv, 0)).toBeGreaterThan(1_000_000n);
    expect(res(r.hv, 1)).toBeGreaterThan(1_000_000n);
    const ins = r.decisions.filter((d) => d.dir === 'in');
    expect(ins.length).toBeGreaterThanOrEqual(8);
    checkSchedInvariants(r.decisions);
  });
});

describe('guest PSCI', () => {
  it('racing CPU_ON: exactly one start; ON_PENDING / ALREADY_ON / INVALID_PARAMETERS / INVALID_ADDRESS; AFFINITY_INFO; CPU_SUSPEND', () => {
    const r = boot({
      main: `
    ldr x19, =_start
${call('hvc', 0xc400_0003, 2, 'x19', 0)}${store(0)}
${call('hvc', 0xc400_0003, 2, 'x19', 0)}${store(1)}
${call('hvc', 0xc400_0004, 2, 0)}${store(2)}
${call('hvc', 0xc400_0003, 1, 'x19', 0)}${store(3)}
${call('hvc', 0xc400_0003, 9, 'x19', 0)}${store(4)}
${call('hvc', 0xc400_0003, 3, 0x1000, 0)}${store(5)}
    ldr x20, =RES
1:  ldr x1, [x20, #8 * 10]
    cmp x1, #2
    b.lo 1b
${call('hvc', 0xc400_0003, 2, 'x19', 0)}${store(6)}
${call('hvc', 0xc400_0004, 2, 0)}${store(7)}
${call('hvc', 0xc400_0004, 3, 0)}${store(8)}
    mov x1, #0
    bl gic_init
    mov x0, #500
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
${call('hvc', 0xc400_0001, 0, 0, 0)}${store(9)}
    msr daifclr, #2
    isb
    ldr x1, =IRQS
    ldr x1, [x1, #27 * 8]
${store(11, 'x1')}
`,
      secondary: `
    mrs x1, mpidr_el1
    and x1, x1, #0xff
    cmp x1, #1
    b.ne 5f
    // vCPU 1 races vCPU 0 to start vCPU 2
    ldr x19, =_start
${call('hvc', 0xc400_0003, 2, 'x19', 0)}
    ldr x9, =RES
    str x0, [x9, #8 * 12]
    b 6f
5:  ldr x9, =RES + 8 * 13
    ldaxr x2, [x9]
    ldr x2, [x9]
    add x2, x2, #1
    str x2, [x9]
6:  ldr x9, =RES + 8 * 10
1:  ldaxr x2, [x9]
    add x2, x2, #1
    stlxr w3, x2, [x9]
    cbnz w3, 1b
1:  wfi
    b 1b
`,
    }, { vcpus: 4, pcpus: 4, insns: 30_000_000 });
    expect(r.stop).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    expect(res(hv, 0)).toBe(0n); // SUCCESS
    expect(res(hv, 1)).toBe(neg(-5)); // ON_PENDING: vCPU 2 has not run yet
    expect(res(hv, 2)).toBe(2n); // AFFINITY_INFO: ON_PENDING
    expect(res(hv, 3)).toBe(0n);
    expect(res(hv, 4)).toBe(neg(-2)); // no such MPIDR
    expect(res(hv, 5)).toBe(neg(-9)); // entry not in the VM's RAM
    expect(res(hv, 6)).toBe(neg(-4)); // ALREADY_ON
    expect(res(hv, 7)).toBe(0n); // AFFINITY_INFO: ON
    expect(res(hv, 8)).toBe(1n); // OFF
    expect(res(hv, 9)).toBe(0n); // CPU_SUSPEND returned after the timer
    expect(res(hv, 11)).toBe(1n);
    expect([neg(-4), neg(-5)]).toContain(res(hv, 12)); // vCPU 1 lost the race
    expect(res(hv, 13)).toBe(1n); // vCPU 2 started exactly once
  });

  it('SYSTEM_RESET stops the machine with system-reset', () => {
    const r = boot({ main: call('hvc', 0x8400_0009) });
    expect(r.stop).toEqual({ kind: 'system-reset' });
  });
});

describe('vPL011', () => {
  it('RX bytes from the console raise the guest UART interrupt (SPI 33) and are read from UARTDR', () => {
    const image = guestImage({
      main: `${enableSpi(33)}${UART_RX_UNMASK}
    msr daifclr, #2
    ldr x20, =RES
1:  wfi
    ldr x1, [x20, #8]
    cmp x1, #3
    b.lo 1b
`,
      onIrq: UART_RX_TO_RESULTS,
    });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] });
    [0x61, 0x62, 0x63].forEach((b, i) => r.m.scheduleUartRx(200_000 + i * 50_000, b));
    expect(r.m.run(5_000_000)).toEqual({ kind: 'system-off' });
    expect(res(r.hv, 1)).toBe(3n);
    expect(Number(res(r.hv, 2) & 0xffffffn)).toBe(0x636261);
  });
});

describe('vPL031 alarm', () => {
  it('a match sets RTCRIS with the interrupt masked too (as the PL031 and QEMU do), and RTCMIS stays 0; the IDs read as QEMU\'s', () => {
    // The guest sleeps through the second with the virtual timer (62.5M counts = 1 s), then reads RIS/MIS.
    const image = guestImage({
      main: `
    mov x1, #0
    bl gic_init
    ldr x0, =0x09010000
    ldr x20, =RES
    ldr w5, [x0]
    add w5, w5, #1
    str w5, [x0, #0x04]
    msr daifclr, #2
    ldr x1, =70000000
    msr cntv_tval_el0, x1
    mov x1, #1
    msr cntv_ctl_el0, x1
    ldr x21, =IRQS
1:  wfi
    ldr x1, [x21, #27 * 8]
    cbz x1, 1b
    ldr w1, [x0]
    str x1, [x20, #0]
    str x5, [x20, #8]
    ldr w1, [x0, #0x14]
    str x1, [x20, #16]
    ldr w1, [x0, #0x18]
    str x1, [x20, #24]
    ldr w1, [x0, #0xfe8]
    str x1, [x20, #32]
`,
    });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] });
    expect(r.m.run(50_000_000)).toEqual({ kind: 'system-off' });
    expect(res(r.hv, 0)).toBeGreaterThanOrEqual(res(r.hv, 1)); // the count reached RTCMR
    expect(res(r.hv, 2)).toBe(1n); // RTCRIS
    expect(res(r.hv, 3)).toBe(0n); // RTCMIS: masked
    expect(res(r.hv, 4)).toBe(0x14n); // RTCPeriphID2, as QEMU's pl031
    expect(irqCount(r.hv, 0, 34)).toBe(0);
  });

  it('RTCMR = now + 2 with the interrupt unmasked raises SPI 34 when the count gets there, once; RTCICR clears it', () => {
    const image = guestImage({
      main: `${enableSpi(34)}
    ldr x0, =0x09010000
    ldr w5, [x0]
    add w5, w5, #2
    ldr x20, =RES
    str x5, [x20, #0]
    str w5, [x0, #0x04]
    mov w1, #1
    str w1, [x0, #0x10]
    msr daifclr, #2
1:  wfi
    ldr x1, [x20, #8]
    cbz x1, 1b
    ldr w1, [x0, #0x14]
    str x1, [x20, #24]
`,
      onIrq: `
    cmp x0, #34
    b.ne 7f
    ldr x1, =0x09010000
    ldr w3, [x1]
    ldr x2, =RES
    str x3, [x2, #8]
    ldr w3, [x1, #0x18]
    str x3, [x2, #16]
    mov w3, #1
    str w3, [x1, #0x1c]
7:
`,
    });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] });
    expect(r.m.run(50_000_000)).toEqual({ kind: 'system-off' });
    const hv = r.hv;
    expect(irqCount(hv, 0, 34)).toBe(1);
    expect(res(hv, 1)).toBe(res(hv, 0)); // the count equals RTCMR when the interrupt is taken
    expect(res(hv, 2)).toBe(1n); // RTCMIS
    expect(res(hv, 3)).toBe(0n); // RTCRIS after RTCICR
    expect(r.m.nowTick).toBeGreaterThan(1_000_000_000); // the idle guest waited (virtual time skipped ahead)
  });
});

