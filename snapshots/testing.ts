// Shared helpers for the snapshots/ tests (not used by the product).
import { assemble } from '../core/asm/assembler.js';
import { bootKernel } from '../core/firmware/boot.js';
import { Machine, type MachineConfig } from '../core/machine.js';
import { sha256, toHex } from './format.js';

/** A guest that scribbles 64-bit LCG values over 16 MiB (4096 pages) of RAM
 *  at 0x41000000, then powers off: every run window dirties a few hundred pages. */
export const SCRIBBLER = `
_start:
  ldr x0, =0x41000000
  mov x1, #0
  ldr x2, =0x12345
  ldr x5, =6364136223846793005
  ldr x6, =1442695040888963407
  ldr x9, =ITER
loop:
  madd x2, x2, x5, x6
  lsr x3, x2, #20
  and x3, x3, #0xfff000
  and x4, x1, #0xff8
  add x3, x3, x4
  str x2, [x0, x3]
  add x1, x1, #8
  subs x9, x9, #1
  b.ne loop
  ldr x0, =0x84000008
  hvc #0
  b .
`;

export function scribblerBinary(iterations: number): Uint8Array {
  return assemble(SCRIBBLER.replace('=ITER', `=${iterations}`), { baseAddress: 0x40080000n }).bytes;
}

export function bootedMachine(kernel: Uint8Array, cfg: MachineConfig): Machine {
  const m = new Machine(cfg);
  bootKernel(m, { kernel });
  return m;
}

/** Everything observable about a run's end: time, counts, trace digest, registers, memory. */
export function fingerprint(m: Machine): string {
  const regs = Array.from({ length: m.numCpus }, (_, c) => [m.core.getPc(c), m.core.pstate(c), ...Array.from({ length: 31 }, (_, i) => m.core.getX(c, i))].join(','));
  const ram = toHex(sha256(m.core.ramView()));
  const sec = toHex(sha256(m.core.secureRamView()));
  return `${m.nowTick}/${m.instructions}/${m.trace.count}/${m.trace.digest()}/${regs.join('|')}/${ram}/${sec}`;
}
