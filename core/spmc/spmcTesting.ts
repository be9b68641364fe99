// Test support: a secure machine booted the whole way with the real SPMC
// and given SP packages, `nsProgram` (assembled at NS_CODE_BASE) as the
// Normal world's kernel at EL1 (mirrors sel2TestPlugin's bootSecureTestMachine).
import { assemble } from '../asm/assembler.js';
import { Machine } from '../machine.js';
import { bootKernel } from '../firmware/boot.js';
import { secureColdBoot } from '../firmware/secureBoot.js';
import { NS_CODE_BASE } from '../firmware/sel2TestPlugin.js';
import { installSpmc, SPMC_BOOT_INFO } from './installSpmc.js';
import type { Spmc } from './spmc.js';

export { NS_CODE_BASE };

export function bootSpmcMachine(nsProgram: string, packages: readonly Uint8Array[], opts: { numCpus?: number; ramBytes?: number } = {}): { m: Machine; spmc: Spmc } {
  const numCpus = opts.numCpus ?? 1;
  const m = new Machine({ numCpus, ramBytes: opts.ramBytes ?? 32 << 20, seed: 7n, secure: true });
  bootKernel(m, { kernel: assemble(nsProgram, { baseAddress: NS_CODE_BASE }).bytes });
  const spmc = installSpmc(m, packages);
  secureColdBoot(m, SPMC_BOOT_INFO);
  return { m, spmc };
}
