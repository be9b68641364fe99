// The device tree of hvrr's QEMU-`virt`-shaped board with GICv3.
//
// Shapes follow core/fdt/testdata/qemu-virt-gicv3-smp4.dts (QEMU 7.2,
// `-M virt,gic-version=3 -smp 4 -m 512M`): same node names, compatible strings,
// reg / interrupt cells, phandle numbering and even node and property order.
// QEMU builds its tree with libfdt, which inserts each new property and each
// new subnode *before* the existing ones, so the blob lists them in reverse
// creation order; we emit the same order so `dtc -O dts` of our blob reads like
// the reference.
//
// Included: psci, memory, 32 virtio-mmio transports (optional), pl031, pl011,
// pmu (optional, off by default), intc (GICv3), cpus (+ cpu-map), timer,
// apb-pclk, chosen; on a secure machine the secure PL011, secure RAM and
// /secure-chosen (as virt,secure=on: qemu-virt-secure-el2-gicv3-smp4.dts).
// Deliberately left out because hvrr does not emulate the devices behind them:
// platform-bus@c000000 (dynamic sysbus devices), fw-cfg@9020000, pl061@9030000
// and gpio-keys (which points at the pl061), pcie@10000000 (ECAM host bridge),
// its@8080000 (the GICv3 ITS; no MSIs without PCIe). flash@0 (the CFI pflash
// banks) is there when the machine or VM has flash (--bios, --pflash).
// Secure machines, unlike QEMU's: the psci node stays (the EL3 firmware
// answers PSCI; QEMU drops it when firmware is loaded), flash stays one
// Non-secure node (hvrr's bank 0 is not secure-only: no secflash@0), no
// rng-seed/kaslr-seed in /secure-chosen, and no secure PL061 with its
// gpio-poweroff/gpio-restart (not emulated).
//
// Phandles are allocated like QEMU: apb-pclk 0x8000, then the CPUs in reverse
// order (cpu@N-1 = 0x8001 ... cpu@0 = 0x8000+N), then the GIC (0x8000+N+1).

import { createHash } from 'node:crypto';
import {
  FdtError,
  cells,
  concat,
  empty,
  node,
  prop,
  sizedCells,
  str,
  strList,
  u32,
  u64,
  type FdtNode,
  type FdtProp,
} from './tree.js';
import { writeFdt } from './writer.js';

export interface VirtDtConfig {
  /** 1..8 CPUs (MPIDR Aff0 = index, one cluster). */
  numCpus: number;
  memBytes: bigint | number;
  bootargs?: string;
  /** `linux,initrd-start` / `linux,initrd-end` (end exclusive, as Linux reads it). */
  initrd?: { start: bigint; end: bigint };
  /** Machine seed; `rng-seed` and `kaslr-seed` are derived from it. */
  seed: bigint | number;
  psciMethod?: 'hvc' | 'smc';
  /** The 32 virtio-mmio transport nodes (QEMU always lists them). Default true. */
  virtio?: boolean;
  /**
   * GIC maintenance interrupt (PPI 9) on the intc node. QEMU adds it only with
   * `virtualization=on` (the guest owns EL2); the reference tree has none, and
   * a guest running under hvrr's EL2 hypervisor must not see it. Default false.
   */
  gicMaintenanceIrq?: boolean;
  /** `arm,armv8-pmuv3` node (PPI 7). QEMU adds it when the CPU has a PMU. Default false. */
  pmu?: boolean;
  /** The two CFI flash banks at 0 and 0x04000000 (QEMU always has them; hvrr
   *  only when a machine or VM is given flash). Default false. */
  flash?: boolean;
  /** The Secure world of `virt,secure=on` (virt.c with vms->secure): the
   *  secure PL011 and secure RAM as `status = "disabled"; secure-status =
   *  "okay"` nodes, and /secure-chosen naming the secure UART. Default false. */
  secure?: boolean;
}

// ---- the virt memory map (QEMU hw/arm/virt.c base_memmap / a15irqmap) ----
export const VIRT_RAM_BASE = 0x40000000n;
export const VIRT_GIC_DIST_BASE = 0x08000000;
export const VIRT_GIC_DIST_SIZE = 0x10000;
export const VIRT_GIC_REDIST_BASE = 0x080a0000;
export const VIRT_GIC_REDIST_STRIDE = 0x20000; // RD_base + SGI_base frames per CPU
export const VIRT_UART_BASE = 0x09000000;
export const VIRT_SECURE_UART_BASE = 0x09040000;
export const VIRT_SECURE_UART_SPI = 8;
export const VIRT_SECURE_MEM_BASE = 0x0e000000;
export const VIRT_SECURE_MEM_SIZE = 0x01000000;
export const VIRT_RTC_BASE = 0x09010000;
export const VIRT_MMIO_DEV_SIZE = 0x1000;
export const VIRT_FLASH_BASE = 0;
export const VIRT_FLASH_BANK_SIZE = 0x04000000;
export const VIRT_MMIO_BASE = 0x0a000000;
export const VIRT_MMIO_SIZE = 0x200;
export const NUM_VIRTIO_TRANSPORTS = 32;
export const VIRT_UART_SPI = 1;
export const VIRT_RTC_SPI = 2;
export const VIRT_MMIO_SPI = 16;
export const APB_PCLK_HZ = 24000000;

// Interrupt specifier cells for arm,gic-v3 (#interrupt-cells = 3).
export const GIC_FDT_IRQ_TYPE_SPI = 0;
export const GIC_FDT_IRQ_TYPE_PPI = 1;
export const GIC_FDT_IRQ_FLAGS_EDGE_LO_HI = 1;
export const GIC_FDT_IRQ_FLAGS_LEVEL_HI = 4;

// Architected timer PPIs (INTID - 16), in the binding's order.
export const ARCH_TIMER_S_EL1_PPI = 13;
export const ARCH_TIMER_NS_EL1_PPI = 14;
export const ARCH_TIMER_VIRT_PPI = 11;
export const ARCH_TIMER_NS_EL2_PPI = 10;
export const ARCH_GIC_MAINT_PPI = 9;
export const VIRTUAL_PMU_PPI = 7;

// PSCI 0.2+ function IDs QEMU lists in the psci node (SMC Calling Convention:
// 0x84.. = SMC32, 0xc4.. = SMC64).
export const PSCI_0_2_FN64_CPU_SUSPEND = 0xc4000001;
export const PSCI_0_2_FN_CPU_OFF = 0x84000002;
export const PSCI_0_2_FN64_CPU_ON = 0xc4000003;
export const PSCI_0_2_FN64_MIGRATE = 0xc4000005;

export const PHANDLE_CLOCK = 0x8000;
export const virtCpuPhandle = (numCpus: number, cpu: number): number => 0x8000 + numCpus - cpu;
export const virtGicPhandle = (numCpus: number): number => 0x8000 + numCpus + 1;

function hex(n: number | bigint): string {
  return n.toString(16);
}

function toBig(v: bigint | number, what: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new FdtError(`${what} ${v} is not an integer`);
  return BigInt(v);
}

/** 32 bytes derived from the machine seed, for /chosen/rng-seed. */
export function virtRngSeed(seed: bigint | number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`hvrr:virt:rng-seed:${toBig(seed, 'seed').toString()}`).digest());
}

/** u64 derived from the machine seed, for /chosen/kaslr-seed. */
export function virtKaslrSeed(seed: bigint | number): bigint {
  const d = createHash('sha256').update(`hvrr:virt:kaslr-seed:${toBig(seed, 'seed').toString()}`).digest();
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(d[i] ?? 0);
  return v;
}

const reg2 = (base: bigint | number, size: bigint | number): Uint8Array => concat(sizedCells(2, base), sizedCells(2, size));
const irq = (type: number, num: number, flags: number): number[] => [type, num, flags];

/** Builds the tree. Pure: the same config always gives the same tree. */
export function buildVirtDeviceTree(cfg: VirtDtConfig): FdtNode {
  const n = cfg.numCpus;
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new FdtError(`numCpus ${String(n)} is outside 1..8`);
  const memBytes = toBig(cfg.memBytes, 'memBytes');
  if (memBytes <= 0n) throw new FdtError(`memBytes ${memBytes} must be positive`);
  if (VIRT_RAM_BASE + memBytes > 1n << 64n) throw new FdtError(`memBytes 0x${hex(memBytes)} overflows the address space`);
  const psciMethod = cfg.psciMethod ?? 'hvc';
  if (psciMethod !== 'hvc' && psciMethod !== 'smc') throw new FdtError(`psciMethod ${String(psciMethod)} is not hvc or smc`);
  if (cfg.initrd !== undefined && cfg.initrd.end < cfg.initrd.start) {
    throw new FdtError(`initrd end 0x${hex(cfg.initrd.end)} is below start 0x${hex(cfg.initrd.start)}`);
  }
  const gicPh = virtGicPhandle(n);
  const children: FdtNode[] = [];

  children.push(
    node('psci', [
      prop('migrate', u32(PSCI_0_2_FN64_MIGRATE)),
      prop('cpu_on', u32(PSCI_0_2_FN64_CPU_ON)),
      prop('cpu_off', u32(PSCI_0_2_FN_CPU_OFF)),
      prop('cpu_suspend', u32(PSCI_0_2_FN64_CPU_SUSPEND)),
      prop('method', str(psciMethod)),
      prop('compatible', strList('arm,psci-1.0', 'arm,psci-0.2', 'arm,psci')),
    ]),
  );

  children.push(
    node(`memory@${hex(VIRT_RAM_BASE)}`, [prop('reg', reg2(VIRT_RAM_BASE, memBytes)), prop('device_type', str('memory'))]),
  );

  if (cfg.virtio ?? true) {
    // QEMU creates these from the top down so that they read in ascending order.
    for (let i = 0; i < NUM_VIRTIO_TRANSPORTS; i++) {
      const base = VIRT_MMIO_BASE + i * VIRT_MMIO_SIZE;
      children.push(
        node(`virtio_mmio@${hex(base)}`, [
          prop('dma-coherent', empty()),
          prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_SPI, VIRT_MMIO_SPI + i, GIC_FDT_IRQ_FLAGS_EDGE_LO_HI))),
          prop('reg', reg2(base, VIRT_MMIO_SIZE)),
          prop('compatible', str('virtio,mmio')),
        ]),
      );
    }
  }

  children.push(
    node(`pl031@${hex(VIRT_RTC_BASE)}`, [
      prop('clock-names', str('apb_pclk')),
      prop('clocks', u32(PHANDLE_CLOCK)),
      prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_SPI, VIRT_RTC_SPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI))),
      prop('reg', reg2(VIRT_RTC_BASE, VIRT_MMIO_DEV_SIZE)),
      prop('compatible', strList('arm,pl031', 'arm,primecell')),
    ]),
  );

  if (cfg.secure ?? false) {
    // Devices only the Secure world may use: disabled for the Non-secure OS,
    // enabled for secure software (devicetree "secure-status" binding).
    const secureOnly = [prop('secure-status', str('okay')), prop('status', str('disabled'))];
    children.push(
      node(`pl011@${hex(VIRT_SECURE_UART_BASE)}`, [
        ...secureOnly,
        prop('clock-names', strList('uartclk', 'apb_pclk')),
        prop('clocks', cells(PHANDLE_CLOCK, PHANDLE_CLOCK)),
        prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_SPI, VIRT_SECURE_UART_SPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI))),
        prop('reg', reg2(VIRT_SECURE_UART_BASE, VIRT_MMIO_DEV_SIZE)),
        prop('compatible', strList('arm,pl011', 'arm,primecell')),
      ]),
      node(`secram@${hex(VIRT_SECURE_MEM_BASE)}`, [
        ...secureOnly,
        prop('reg', reg2(VIRT_SECURE_MEM_BASE, VIRT_SECURE_MEM_SIZE)),
        prop('device_type', str('memory')),
      ]),
    );
  }

  children.push(
    node(`pl011@${hex(VIRT_UART_BASE)}`, [
      prop('clock-names', strList('uartclk', 'apb_pclk')),
      prop('clocks', cells(PHANDLE_CLOCK, PHANDLE_CLOCK)),
      prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_SPI, VIRT_UART_SPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI))),
      prop('reg', reg2(VIRT_UART_BASE, VIRT_MMIO_DEV_SIZE)),
      prop('compatible', strList('arm,pl011', 'arm,primecell')),
    ]),
  );

  if (cfg.pmu ?? false) {
    children.push(
      node('pmu', [
        prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_PPI, VIRTUAL_PMU_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI))),
        prop('compatible', str('arm,armv8-pmuv3')),
      ]),
    );
  }

  // GICv3. The redistributor region is sized for exactly numCpus frames; QEMU
  // instead advertises its whole 0xf60000 window (123 frames) and relies on
  // GICR_TYPER.Last. Sizing it to the CPUs present keeps the guest's scan from
  // touching addresses hvrr does not decode.
  const gicProps: FdtProp[] = [prop('phandle', u32(gicPh))];
  if (cfg.gicMaintenanceIrq ?? false) {
    gicProps.push(prop('interrupts', cells(...irq(GIC_FDT_IRQ_TYPE_PPI, ARCH_GIC_MAINT_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI))));
  }
  gicProps.push(
    prop('reg', concat(reg2(VIRT_GIC_DIST_BASE, VIRT_GIC_DIST_SIZE), reg2(VIRT_GIC_REDIST_BASE, n * VIRT_GIC_REDIST_STRIDE))),
    prop('#redistributor-regions', u32(1)),
    prop('compatible', str('arm,gic-v3')),
    prop('ranges', empty()),
    prop('#size-cells', u32(2)),
    prop('#address-cells', u32(2)),
    prop('interrupt-controller', empty()),
    prop('#interrupt-cells', u32(3)),
  );
  children.push(node(`intc@${hex(VIRT_GIC_DIST_BASE)}`, gicProps));

  if (cfg.flash ?? false) {
    // virt_flash_fdt without a secure world: one node for both banks.
    children.push(
      node(`flash@${hex(VIRT_FLASH_BASE)}`, [
        prop('bank-width', u32(4)),
        prop('reg', concat(reg2(VIRT_FLASH_BASE, VIRT_FLASH_BANK_SIZE), reg2(VIRT_FLASH_BASE + VIRT_FLASH_BANK_SIZE, VIRT_FLASH_BANK_SIZE))),
        prop('compatible', str('cfi-flash')),
      ]),
    );
  }

  const cores: FdtNode[] = [];
  for (let i = 0; i < n; i++) cores.push(node(`core${i}`, [prop('cpu', u32(virtCpuPhandle(n, i)))]));
  const cpuNodes: FdtNode[] = [];
  for (let i = 0; i < n; i++) {
    cpuNodes.push(
      node(`cpu@${hex(i)}`, [
        prop('phandle', u32(virtCpuPhandle(n, i))),
        prop('reg', u32(i)), // MPIDR_EL1 affinity: Aff0 = i, Aff1..3 = 0
        prop('enable-method', str('psci')),
        prop('compatible', str('arm,cortex-a57')),
        prop('device_type', str('cpu')),
      ]),
    );
  }
  children.push(
    node(
      'cpus',
      [prop('#size-cells', u32(0)), prop('#address-cells', u32(1))],
      [node('cpu-map', [], [node('socket0', [], [node('cluster0', [], cores)])]), ...cpuNodes],
    ),
  );

  children.push(
    node('timer', [
      prop(
        'interrupts',
        cells(
          ...irq(GIC_FDT_IRQ_TYPE_PPI, ARCH_TIMER_S_EL1_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI),
          ...irq(GIC_FDT_IRQ_TYPE_PPI, ARCH_TIMER_NS_EL1_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI),
          ...irq(GIC_FDT_IRQ_TYPE_PPI, ARCH_TIMER_VIRT_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI),
          ...irq(GIC_FDT_IRQ_TYPE_PPI, ARCH_TIMER_NS_EL2_PPI, GIC_FDT_IRQ_FLAGS_LEVEL_HI),
        ),
      ),
      prop('always-on', empty()),
      prop('compatible', strList('arm,armv8-timer', 'arm,armv7-timer')),
    ]),
  );

  children.push(
    node('apb-pclk', [
      prop('phandle', u32(PHANDLE_CLOCK)),
      prop('clock-output-names', str('clk24mhz')),
      prop('clock-frequency', u32(APB_PCLK_HZ)),
      prop('#clock-cells', u32(0)),
      prop('compatible', str('fixed-clock')),
    ]),
  );

  // /chosen. QEMU's hw/arm/boot.c adds bootargs and the initrd range after the
  // board's own properties, so they come first. QEMU 7.2 writes the initrd
  // addresses as one cell each; Linux reads either width (of_read_number on
  // the property length), and we always write two cells so the blob's size
  // does not depend on where the initrd lands.
  const chosen: FdtProp[] = [];
  if (cfg.initrd !== undefined) {
    chosen.push(prop('linux,initrd-end', u64(cfg.initrd.end)), prop('linux,initrd-start', u64(cfg.initrd.start)));
  }
  if (cfg.bootargs !== undefined && cfg.bootargs !== '') chosen.push(prop('bootargs', str(cfg.bootargs)));
  chosen.push(
    prop('stdout-path', str(`/pl011@${hex(VIRT_UART_BASE)}`)),
    prop('rng-seed', virtRngSeed(cfg.seed)),
    prop('kaslr-seed', u64(virtKaslrSeed(cfg.seed))),
  );
  if (cfg.secure ?? false) children.push(node('secure-chosen', [prop('stdout-path', str(`/pl011@${hex(VIRT_SECURE_UART_BASE)}`))]));
  children.push(node('chosen', chosen));

  return node(
    '',
    [
      prop('interrupt-parent', u32(gicPh)),
      prop('model', str('linux,dummy-virt')),
      prop('#size-cells', u32(2)),
      prop('#address-cells', u32(2)),
      prop('compatible', str('linux,dummy-virt')),
    ],
    children,
  );
}

/** The tree of buildVirtDeviceTree as a DTB (boot CPU 0, no reservations). */
export function buildVirtDeviceTreeBlob(cfg: VirtDtConfig): Uint8Array {
  return writeFdt(buildVirtDeviceTree(cfg));
}
