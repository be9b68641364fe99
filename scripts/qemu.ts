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
  /** virt,secure=on,virtualization=on: the image is the firmware (-bios,
   *  entered at EL3 from the Secure flash) and may end with a semihosting
   *  SYS_EXIT. Default: -kernel on a board with one Security state. */
  secure?: boolean;
  /** With `secure`: also capture the secure UART (0x09040000, QEMU's second
   *  serial port) into `secureOutput`. */
  secureSerial?: boolean;
}

/** The QEMU command line for a bare-metal run on `virt` with GICv3 (UART to `serial`). */
export function qemuVirtArgs(kernelPath: string, serial: string, o: QemuVirtOptions, secureSerial?: string): string[] {
  const board = o.secure ? 'virt,secure=on,virtualization=on,gic-version=3' : 'virt,gic-version=3';
  const image = o.secure ? ['-bios', kernelPath, '-semihosting-config', 'enable=on,target=native'] : ['-kernel', kernelPath];
  return [
    '-M', board, '-cpu', o.cpu, '-smp', String(o.smp ?? 1), '-m', `${o.memMiB ?? 256}M`,
    '-accel', 'tcg', '-display', 'none', '-monitor', 'none', '-serial', serial,
    '-nodefaults', '-no-reboot', ...image,
    ...(secureSerial !== undefined ? ['-serial', secureSerial] : []),
    ...(o.icount ? ['-icount', 'shift=0,sleep=off'] : []),
  ];
}

/**
 * Run `image` (loaded by QEMU's -kernel) until it powers off or times out.
 * The UART goes to a file, not a pipe: callers often run hvrr synchronously
 * meanwhile and would leave a pipe undrained, stalling QEMU.
 */
export async function runQemuImage(image: Uint8Array, o: QemuVirtOptions): Promise<{ output: string; stop: string; secureOutput?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hvrr-qemu-'));
  const path = join(dir, 'prog.bin');
  const outPath = join(dir, 'uart.txt');
  const securePath = o.secure && o.secureSerial ? join(dir, 'secure-uart.txt') : undefined;
  writeFileSync(path, image);
  try {
    return await new Promise((resolve, reject) => {
      const p = spawn(QEMU_BIN, qemuVirtArgs(path, `file:${outPath}`, o, securePath !== undefined ? `file:${securePath}` : undefined), { stdio: ['ignore', 'ignore', 'pipe'] });
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
        // A missing file is no output at all: the stop reason says why.
        const read = (f: string): string => {
          try {
            return readFileSync(f, 'latin1');
          } catch {
            return '';
          }
        };
        resolve({
          output: read(outPath), stop: timedOut ? 'timeout' : code === 0 ? 'system-off' : `exit ${code}: ${err.trim()}`,
          ...(securePath !== undefined ? { secureOutput: read(securePath) } : {}),
        });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
