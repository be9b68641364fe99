// pCPU bring-up: what EL2 boot code does on each physical CPU before it runs
// vCPUs (physical GIC CPU interface and redistributor, on pCPU 0 also the
// distributor and the UART, then the EL2 controls), and pCPU 0 starting the
// others with PSCI CPU_ON to the EL3 firmware.
import { GICD_BASE, GICR_BASE, RAM_BASE, UART_BASE } from '../machine.js';
import { psciCall, PSCI_CPU_ON_64 } from '../firmware/psci.js';
import { ICC_CTLR_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from '../devices/gicv3/registers.js';
import { smcFromEl2 } from '../software/smcConduit.js';
import { worldField } from '../trace/events.js';
import * as A from './arch.js';
import { mmio32, type Hv } from './context.js';
import { PPI_HYP_TIMER, PPI_MAINT, PPI_PTIMER, PPI_VTIMER, RTC_SPI_PHYS, SGI_KICK, UART_SPI_PHYS } from './physIrq.js';

/** Physical GIC, UART and EL2 controls of `cpu`, once, at its first resume. */
export function pcpuInit(hv: Hv, cpu: number): void {
  const regs = hv.m.core.regs(cpu);
  const rd = GICR_BASE + cpu * 0x2_0000;
  mmio32(hv, cpu, rd + 0x14, 0); // GICR_WAKER.ProcessorSleep = 0
  const ppis = (1 << SGI_KICK) | (1 << PPI_MAINT) | (1 << PPI_HYP_TIMER) | (1 << PPI_VTIMER) | (1 << PPI_PTIMER);
  mmio32(hv, cpu, rd + 0x1_0080, 0xffff_ffff); // IGROUPR0: Group 1
  mmio32(hv, cpu, rd + 0x1_0100, ppis); // ISENABLER0
  hv.sysWrite(cpu, ICC_PMR_EL1, 0xffn);
  hv.sysWrite(cpu, ICC_CTLR_EL1, 2n); // EOImode = 1: EOIR drops priority, DIR deactivates (HW-injected interrupts are deactivated by the guest)
  hv.sysWrite(cpu, ICC_IGRPEN1_EL1, 1n);
  if (cpu === 0) {
    const gicd = GICD_BASE;
    mmio32(hv, cpu, gicd + 0x0000, 0x12); // GICD_CTLR: EnableGrp1, ARE
    const spis = (1 << (UART_SPI_PHYS - 32)) | (1 << (RTC_SPI_PHYS - 32));
    mmio32(hv, cpu, gicd + 0x0084, spis); // IGROUPR1
    mmio32(hv, cpu, gicd + 0x6000 + UART_SPI_PHYS * 8, 0); // IROUTER: pCPU 0
    mmio32(hv, cpu, gicd + 0x6000 + RTC_SPI_PHYS * 8, 0);
    mmio32(hv, cpu, gicd + 0x0104, spis); // ISENABLER1
    mmio32(hv, cpu, UART_BASE + 0x38, 0x50); // UARTIMSC: RX, RT
    mmio32(hv, cpu, UART_BASE + 0x30, 0x301); // UARTCR: UARTEN, TXE, RXE
  }
  regs.set('CNTHCTL_EL2', A.CNTHCTL_GUEST);
  regs.set('CPTR_EL2', A.CPTR_GUEST);
  regs.set('VTCR_EL2', A.VTCR_VALUE);
  regs.set('HCR_EL2', A.HCR_GUEST);
  hv.s.pcpus[cpu]!.started = true;
}

/**
 * pCPU 0's boot path: start the other pCPUs that have vCPUs with PSCI
 * CPU_ON, entry in the reserve (the PE arrives at EL2 and the machine hands
 * it to resume(), which runs pcpuInit). On a machine with two Security
 * states the call is an SMC to the EL3 firmware, as on QEMU virt with
 * secure=on and virtualization=on: its SPMD runs the SPMC's secondary
 * entry on the PE first (TF-A spmd_cpu_on_finish_handler), so the SPMC has
 * a context on every pCPU the hypervisor uses. With one Security state
 * PSCI is the machine's own, answered directly (QEMU's built-in PSCI over
 * the SMC conduit, with no EL3 software; the trace event is the same).
 */
export function startSecondaries(hv: Hv): void {
  const m = hv.m;
  for (let c = 1; c < m.numCpus; c++) {
    if (hv.s.pcpus[c]!.runq.length === 0) continue;
    const args = [m.mpidr(c), BigInt(RAM_BASE), 0n];
    if (m.config.secure) {
      // The EL3 firmware traces the call; x0 is its answer when it returns here.
      const returned = smcFromEl2(m, 0, [BigInt(PSCI_CPU_ON_64), ...args]);
      const r = m.core.regs(0).x(0);
      if (!returned || r !== 0n) hv.log(`pCPU ${c}: PSCI CPU_ON failed (${returned ? A.hex(r) : 'no return'})`);
      if (!returned) return;
      continue;
    }
    const r = psciCall(m, { cpu: 0, callerEl: 2, fn: PSCI_CPU_ON_64, args });
    m.trace.emit({ kind: 'psci', tick: m.core.nowTick(0), cpu: 0, fn: PSCI_CPU_ON_64, args: args.map(A.hex), result: A.hex(r ?? 0n), ...worldField(m.core.isNonSecure(0)) });
  }
}
