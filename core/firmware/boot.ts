// Puts a kernel, initrd and device tree into RAM the way QEMU's -kernel does
// on `virt` (or only the device tree, as its -bios does). placeBootImages is the one image loader: bootKernel uses it for
// a bare machine (CPU 0 then starts there at EL1 with the MMU off; secondary
// CPUs stay off until PSCI CPU_ON), the hypervisor for each VM's RAM (whose
// guest-physical addresses are backed elsewhere in machine RAM).
import { planBoot, ImageError, type BootPlan } from './loader.js';
import { buildVirtDeviceTreeBlob, VIRT_RAM_BASE } from '../fdt/virtDtb.js';
import type { CpuCore } from '../cpu/cpu.js';
import type { Machine } from '../machine.js';

export interface BootImages {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  /** A DTB to use as-is instead of the generated one. */
  dtb?: Uint8Array;
  bootargs?: string;
}

/** The RAM the images go into and the machine the generated device tree describes. */
export interface BootTarget {
  core: CpuCore;
  /** RAM size as the guest sees it (from 0x40000000). */
  ramBytes: bigint;
  /** Machine-physical address of guest-physical address `addr`. */
  pa(addr: bigint): number;
  numCpus: number;
  seed: bigint;
  /** Describe the virtio-mmio transports (under the hypervisor). */
  virtio: boolean;
  /** Describe the CFI flash banks. */
  flash?: boolean;
  /** The PSCI conduit the device tree names (default 'hvc'). */
  psciMethod?: 'hvc' | 'smc';
  /** Describe the Secure world's devices (virt,secure=on). */
  secure?: boolean;
}

/** What QEMU's -bios boot puts in RAM: only the device tree. */
export interface FirmwareImages {
  /** A DTB to use as-is instead of the generated one. */
  dtb?: Uint8Array;
}

/** Upper bound used to plan before the DTB is built (it is rebuilt to the real size). */
const DTB_PLANNING_BYTES = 0x10000;

/** Plan the boot, write every region and the DTB; the caller sets up the boot CPU from the plan. */
export function placeBootImages(t: BootTarget, images: BootImages): BootPlan {
  const plan = planBoot({
    kernel: images.kernel,
    initrd: images.initrd,
    dtbSize: Math.max(images.dtb?.length ?? 0, DTB_PLANNING_BYTES),
    ramBytes: t.ramBytes,
  });
  const dtb = images.dtb ?? buildVirtDeviceTreeBlob({
    numCpus: t.numCpus,
    memBytes: t.ramBytes,
    bootargs: images.bootargs ?? '',
    initrd: plan.initrd ?? undefined,
    seed: t.seed,
    psciMethod: t.psciMethod ?? 'hvc',
    virtio: t.virtio,
    flash: t.flash ?? false,
    secure: t.secure ?? false,
  });
  if (dtb.length > DTB_PLANNING_BYTES && !images.dtb) throw new ImageError(`generated device tree is ${dtb.length} bytes, over the ${DTB_PLANNING_BYTES}-byte plan`);
  for (const region of plan.loads) {
    t.core.writePhys(t.pa(region.address), region.bytes);
    const tail = Number(region.memSize) - region.bytes.length;
    if (tail > 0) t.core.writePhys(t.pa(region.address) + region.bytes.length, new Uint8Array(tail));
  }
  if (plan.dtbAddress !== null) t.core.writePhys(t.pa(plan.dtbAddress), dtb);
  return plan;
}

/**
 * A firmware boot (QEMU's -bios, hw/arm/boot.c arm_setup_firmware_boot): the
 * firmware runs from flash at address 0 and finds the device tree at the
 * start of RAM; the boot CPU starts with every register at its reset value
 * (x0 = 0). Returns the DTB's guest-physical address.
 */
export function placeFirmwareDtb(t: BootTarget, images: FirmwareImages): bigint {
  const dtb = images.dtb ?? buildVirtDeviceTreeBlob({
    numCpus: t.numCpus,
    memBytes: t.ramBytes,
    seed: t.seed,
    psciMethod: t.psciMethod ?? 'hvc',
    virtio: t.virtio,
    flash: t.flash ?? false,
    secure: t.secure ?? false,
  });
  if (BigInt(dtb.length) > t.ramBytes) throw new ImageError(`the device tree (${dtb.length} bytes) does not fit in RAM`);
  t.core.writePhys(t.pa(VIRT_RAM_BASE), dtb);
  return VIRT_RAM_BASE;
}

/** The bare machine as a boot target (device tree with flash when it has some). */
function machineTarget(m: Machine, flash: boolean): BootTarget {
  return { core: m.core, ramBytes: BigInt(m.config.ramBytes), pa: (addr) => Number(addr), numCpus: m.numCpus, seed: m.config.seed, virtio: false, flash, secure: m.config.secure };
}

/** QEMU's -bios on the bare machine: CPU 0 starts at address 0 (flash bank
 *  0, which the machine must have: core/devices/flashBanks.ts) at EL1 with
 *  x0 = 0, the device tree (flash included) at the start of RAM. */
export function bootFirmware(m: Machine, images: FirmwareImages = {}): bigint {
  const dtbAddress = placeFirmwareDtb(machineTarget(m, true), images);
  m.core.setPc(0, 0n);
  for (let r = 0; r < 4; r++) m.core.setX(0, r, 0n);
  return dtbAddress;
}

export function bootKernel(m: Machine, images: BootImages, opts: { flash?: boolean } = {}): BootPlan {
  const plan = placeBootImages(machineTarget(m, opts.flash ?? false), images);
  const cpu = 0;
  m.core.setPc(cpu, plan.bootPc);
  m.core.setX(cpu, 0, plan.bootRegs.x0);
  m.core.setX(cpu, 1, plan.bootRegs.x1);
  m.core.setX(cpu, 2, plan.bootRegs.x2);
  m.core.setX(cpu, 3, plan.bootRegs.x3);
  return plan;
}
