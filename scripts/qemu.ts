// Running a bare-metal image on QEMU TCG's `virt` board: the reference the
// differential and conformance tiers compare hvrr against.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QEMU_BIN = 'qemu-system-aarch64';

export function hasQemu(): boolean {
  try {
    return spawnSync(QEMU_BIN, ['--version'], { encoding: 'utf8' }).status === 0;
  } catch {
    return false;
  }
}

export interface QemuVirtOptions {
  /** QEMU -cpu model, e.g. 'cortex-a57'. */
  cpu: string;
  smp?: number;
  memMiB?: number;
  timeoutMs?: number;
  /**
   * Virtual time from the instruction count (`-icount shift=0,sleep=off`:
   * 1 ns per instruction, idle time skipped) instead of the host clock, so
   * timing checks do not depend on how loaded the host is.
   */
  icount?: boolean;
}

/** The QEMU command line for a bare-metal run on `virt` with GICv3 (UART to `serial`). */
export function qemuVirtArgs(kernelPath: string, serial: string, o: QemuVirtOptions): string[] {
  return [
    '-M', 'virt,gic-version=3', '-cpu', o.cpu, '-smp', String(o.smp ?? 1), '-m', `${o.memMiB ?? 256}M`,
    '-accel', 'tcg', '-display', 'none', '-monitor', 'none', '-serial', serial,
    '-nodefaults', '-no-reboot', '-kernel', kernelPath,
    ...(o.icount ? ['-icount', 'shift=0,sleep=off'] : []),
  ];
}

/**
 * Run `image` (loaded by QEMU's -kernel) until it powers off or times out.
 * The UART goes to a file, not a pipe: callers often run hvrr synchronously
 * meanwhile and would leave a pipe undrained, stalling QEMU.
 */
export async function runQemuImage(image: Uint8Array, o: QemuVirtOptions): Promise<{ output: string; stop: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-qemu-'));
  const path = join(dir, 'prog.bin');
  const outPath = join(dir, 'uart.txt');
  writeFileSync(path, image);
  try {
    return await new Promise((resolve, reject) => {
      const p = spawn(QEMU_BIN, qemuVirtArgs(path, `file:${outPath}`, o), { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        p.kill('SIGKILL');
      }, o.timeoutMs ?? 60_000);
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
          // no output at all: the stop reason says why
        }
        resolve({ output, stop: timedOut ? 'timeout' : code === 0 ? 'system-off' : `exit ${code}: ${err.trim()}` });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
