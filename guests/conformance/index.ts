// The conformance programs: bare-metal test programs for QEMU `virt` in the
// style of hypervisor conformance suites (see runtime.ts for what they assume
// and print). Each is assembled on first use and cached.
import { assemble } from '../../core/asm/assembler.js';
import { LOAD_ADDRESS } from './runtime.js';
import { psciSource } from './psci.js';
import { gicIpiSource } from './gicIpi.js';
import { timerSource } from './timer.js';
import { exceptionsSource } from './exceptions.js';
import { mmuSource } from './mmu.js';

export { LOAD_ADDRESS, parseReport, type ConformanceReport } from './runtime.js';

export const CONFORMANCE_SUITES = {
  psci: psciSource,
  'gic-ipi': gicIpiSource,
  timer: timerSource,
  exceptions: exceptionsSource,
  mmu: mmuSource,
} as const;

export type ConformanceSuite = keyof typeof CONFORMANCE_SUITES;
export const CONFORMANCE_SUITE_NAMES = Object.keys(CONFORMANCE_SUITES) as ConformanceSuite[];

const cache = new Map<ConformanceSuite, Uint8Array>();

/** The raw image of a suite (load at LOAD_ADDRESS, i.e. QEMU -kernel / hvrr --kernel). */
export function conformanceImage(suite: ConformanceSuite): Uint8Array {
  let img = cache.get(suite);
  if (!img) {
    img = assemble(CONFORMANCE_SUITES[suite](), { baseAddress: LOAD_ADDRESS }).bytes;
    cache.set(suite, img);
  }
  return img.slice();
}
