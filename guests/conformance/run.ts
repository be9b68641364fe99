// Running a conformance program: on hvrr bare mode (Machine + bootKernel,
// PSCI from the firmware stand-in) and on QEMU TCG (`virt`, GICv3,
// cortex-a57, QEMU's own PSCI over HVC), capturing the PL011 output.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine, type StopReason } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';

export const QEMU_BIN = 'qemu-system-aarch64';

export interface RunResult {
  output: string;
  /** 'system-off' when the program powered off. */
  stop: string;
  instructions?: number;
}

export interface HvrrRunOptions {
  seed?: bigint;
  quantum?: number;
  maxInstructions?: number;
  bootargs?: string;
}

/** Run an image on hvrr in bare mode (no hypervisor: the EL2/EL3 firmware stand-in answers PSCI). */
export function runOnHvrr(image: Uint8Array, numCpus: number, opts: HvrrRunOptions = {}): RunResult & { machine: Machine; reason: StopReason } {
  const m = new Machine({ numCpus, ramBytes: 256 << 20, seed: opts.seed ?? 1n, ...(opts.quantum ? { quantumTicks: opts.quantum } : {}) });
  const bytes: number[] = [];
  m.onConsole = (b) => bytes.push(b);
  bootKernel(m, { kernel: image, bootargs: opts.bootargs ?? '' });
  const reason = m.run(opts.maxInstructions ?? 400_000_000);
  return { output: Buffer.from(bytes).toString('latin1'), stop: reason.kind === 'halt' ? `halt: ${reason.message}` : reason.kind, instructions: m.instructions, machine: m, reason };
}

export function hasQemu(): boolean {
  try {
    return spawnSync(QEMU_BIN, ['--version'], { encoding: 'utf8' }).status === 0;
  } catch {
    return false;
  }
}

/** The QEMU command line for a conformance run (UART to `serial`). */
export function qemuArgs(kernelPath: string, numCpus: number, serial: string): string[] {
  return [
    '-M', 'virt,gic-version=3', '-cpu', 'cortex-a57', '-smp', String(numCpus), '-m', '256M',
    '-accel', 'tcg', '-display', 'none', '-monitor', 'none', '-serial', serial,
    '-nodefaults', '-no-reboot', '-kernel', kernelPath,
  ];
}

/** Run an image on QEMU TCG; the UART goes to a file (a pipe could stall QEMU). */
export async function runOnQemu(image: Uint8Array, numCpus: number, timeoutMs = 60_000): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-conf-'));
  const path = join(dir, 'prog.bin');
  const outPath = join(dir, 'uart.txt');
  writeFileSync(path, image);
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const p = spawn(QEMU_BIN, qemuArgs(path, numCpus, `file:${outPath}`), { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        p.kill('SIGKILL');
      }, timeoutMs);
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.on('close', (code) => {
        clearTimeout(timer);
        let output = '';
        try {
          output = readFileSync(outPath, 'latin1');
        } catch {
          // no output at all
        }
        resolve({ output, stop: timedOut ? 'timeout' : code === 0 ? 'system-off' : `exit ${code}: ${err.trim()}` });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
