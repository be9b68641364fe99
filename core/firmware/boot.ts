// Puts a kernel, initrd and device tree into a machine's RAM the way QEMU's
// -kernel does on `virt`, and sets CPU 0 up to start there at EL1 with the
// MMU off (secondary CPUs stay off until PSCI CPU_ON).
import { planBoot, ImageError, type BootPlan } from './loader.js';
import { buildVirtDeviceTreeBlob } from '../fdt/virtDtb.js';
import type { Machine } from '../machine.js';

export interface BootImages {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  /** A DTB to use as-is instead of the generated one. */
  dtb?: Uint8Array;
  bootargs?: string;
}

/** Upper bound used to plan before the DTB is built (it is rebuilt to the real size). */
const DTB_PLANNING_BYTES = 0x10000;

export function bootKernel(m: Machine, images: BootImages): BootPlan {
  const ramBytes = BigInt(m.config.ramBytes);
  const plan = planBoot({
    kernel: images.kernel,
    initrd: images.initrd,
    dtbSize: Math.max(images.dtb?.length ?? 0, DTB_PLANNING_BYTES),
    ramBytes,
  });
  const dtb = images.dtb ?? buildVirtDeviceTreeBlob({
    numCpus: m.numCpus,
    memBytes: ramBytes,
    bootargs: images.bootargs ?? '',
    initrd: plan.initrd ?? undefined,
    seed: m.config.seed,
    psciMethod: 'hvc',
    virtio: false,
  });
  if (dtb.length > DTB_PLANNING_BYTES && !images.dtb) throw new ImageError(`generated device tree is ${dtb.length} bytes, over the ${DTB_PLANNING_BYTES}-byte plan`);
  for (const region of plan.loads) {
    m.core.writePhys(Number(region.address), region.bytes);
    const tail = Number(region.memSize) - region.bytes.length;
    if (tail > 0) m.core.writePhys(Number(region.address) + region.bytes.length, new Uint8Array(tail));
  }
  if (plan.dtbAddress !== null) m.core.writePhys(Number(plan.dtbAddress), dtb);
  const cpu = 0;
  m.core.setPc(cpu, plan.bootPc);
  m.core.setX(cpu, 0, plan.bootRegs.x0);
  m.core.setX(cpu, 1, plan.bootRegs.x1);
  m.core.setX(cpu, 2, plan.bootRegs.x2);
  m.core.setX(cpu, 3, plan.bootRegs.x3);
  return plan;
}
