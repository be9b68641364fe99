// Running a conformance program: on hvrr bare mode (Machine + bootKernel,
// PSCI from the firmware stand-in) and on QEMU TCG (`virt`, GICv3,
// cortex-a57, QEMU's own PSCI over HVC), capturing the PL011 output.
import { qemuVirtArgs, runQemuImage } from '../../scripts/qemu.js';
import { Machine, type StopReason } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';

export { QEMU_BIN, hasQemu } from '../../scripts/qemu.js';

export interface RunResult {
  output: string;
  /** 'system-off' when the program powered off. */
  stop: string;
  instructions?: number;
}

export interface HvrrRunOptions {
  seed?: bigint;
  quantum?: number;
  /** Seeded chaos level (core/clock/chaos.ts). */
  chaos?: number;
  maxInstructions?: number;
  bootargs?: string;
}

/** Run an image on hvrr in bare mode (no hypervisor: the EL2/EL3 firmware stand-in answers PSCI). */
export function runOnHvrr(image: Uint8Array, numCpus: number, opts: HvrrRunOptions = {}): RunResult & { machine: Machine; reason: StopReason } {
  const m = new Machine({ numCpus, ramBytes: 256 << 20, seed: opts.seed ?? 1n, ...(opts.quantum ? { quantumTicks: opts.quantum } : {}), ...(opts.chaos ? { chaos: opts.chaos } : {}) });
  const bytes: number[] = [];
  m.onConsole = (b) => bytes.push(b);
  bootKernel(m, { kernel: image, bootargs: opts.bootargs ?? '' });
  const reason = m.run(opts.maxInstructions ?? 400_000_000);
  return { output: Buffer.from(bytes).toString('latin1'), stop: reason.kind === 'halt' ? `halt: ${reason.message}` : reason.kind, instructions: m.instructions, machine: m, reason };
}

/** The QEMU command line for a conformance run (UART to `serial`). */
export function qemuArgs(kernelPath: string, numCpus: number, serial: string): string[] {
  return qemuVirtArgs(kernelPath, serial, { cpu: 'cortex-a57', smp: numCpus });
}

/** Run an image on QEMU TCG; the UART goes to a file (a pipe could stall QEMU). */
export async function runOnQemu(image: Uint8Array, numCpus: number, timeoutMs = 60_000): Promise<RunResult> {
  // icount: a loaded host must not make the timer checks' deadlines pass
  // while QEMU waits for a core (seen at load 15: armed-ahead found ISTATUS set).
  return runQemuImage(image, { cpu: 'cortex-a57', smp: numCpus, timeoutMs, icount: true });
}
