// --bios and --pflash: firmware in flash bank 0 and the contents of bank 1,
// as QEMU's -bios and its second -drive if=pflash give them to the virt
// board; --pflash-writeback writes bank 1 back into its file at the end,
// atomically (temporary file, fsync, rename), only when the guest wrote it.
import type { Machine } from '../../core/machine.js';
import { FLASH_BANK_BYTES } from '../../core/devices/pflash.js';
import { FlashError, machineFlash, machineFlashImage, machineFlashWritten } from '../../core/devices/flashBanks.js';
import { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import { writeFileAtomic } from '../../snapshots/file.js';
import { CliError, UsageError } from '../errors.js';
import { readInputFile, type RunOptions } from './run.js';

export interface FlashImages {
  bios?: Uint8Array;
  pflash?: Uint8Array;
}

const MiB = 1 << 20;

/** Check the firmware options against the others and read the images (one-line errors). */
export function readFlashImages(opts: RunOptions): FlashImages {
  if (opts.pflashWriteback && opts.pflash === undefined) throw new UsageError('--pflash-writeback needs --pflash FILE');
  const out: FlashImages = {};
  if (opts.bios !== undefined) {
    // Without fw_cfg the firmware cannot be handed a kernel (QEMU's -bios with -kernel).
    if (opts.kernel !== undefined || opts.guest !== undefined) throw new UsageError('give either --bios (firmware from flash) or --kernel/--guest, not both');
    if (opts.initrd !== undefined) throw new UsageError('--initrd is only allowed with --kernel (as QEMU\'s -initrd)');
    if (opts.append !== undefined) throw new UsageError('--append is only allowed with --kernel (as QEMU\'s -append)');
    const bios = readInputFile('firmware', opts.bios);
    if (bios.length === 0) throw new CliError(`firmware '${opts.bios}' is empty`);
    if (bios.length > FLASH_BANK_BYTES) throw new CliError(`firmware '${opts.bios}' has ${bios.length} bytes, more than the ${FLASH_BANK_BYTES / MiB} MiB flash bank`);
    out.bios = bios;
  }
  if (opts.pflash !== undefined) {
    const pflash = readInputFile('flash image', opts.pflash);
    if (pflash.length !== FLASH_BANK_BYTES) {
      throw new CliError(`flash image '${opts.pflash}' has ${pflash.length} bytes; a virt flash bank is ${FLASH_BANK_BYTES / MiB} MiB (${FLASH_BANK_BYTES} bytes): 'truncate -s 64M ${opts.pflash}' makes one`);
    }
    out.pflash = pflash;
  }
  return out;
}

/** Flash bank 1 as the guest left it (VM 0's under the hypervisor), or null when it never wrote it. */
function writtenBank1(m: Machine): Uint8Array | null {
  const sw = m.software.get('el2-ns');
  if (sw instanceof Hypervisor) return sw.flashWritten(0, 1) ? sw.flashImage(0, 1) : null;
  return machineFlashWritten(m, 1) ? machineFlashImage(m, 1) : null;
}

/** --pflash-writeback: write bank 1 into `path`; returns the bytes written (0 when the guest wrote nothing). */
export function writeBackPflash(m: Machine, path: string): number {
  const image = writtenBank1(m);
  if (!image) return 0;
  try {
    writeFileAtomic(path, image);
  } catch (e) {
    throw new CliError(`cannot write the flash back into '${path}': ${(e as Error).message}`);
  }
  return image.length;
}

/** After a snapshot restore: give the machine's flash banks their base images
 *  (--bios for bank 0, --pflash for bank 1), checked against the recorded SHA-256. */
export function attachRestoredFlash(m: Machine, opts: RunOptions): void {
  const f = machineFlash(m);
  const given: Array<[number, string | undefined]> = [[0, opts.bios], [1, opts.pflash]];
  if (!f) {
    const g = given.find(([, p]) => p !== undefined);
    if (g) throw new CliError(`--${g[0] === 0 ? 'bios' : 'pflash'}: the snapshot's machine has no flash of its own${m.software.get('el2-ns') instanceof Hypervisor ? ' (a VM\'s flash is in the snapshot)' : ''}`);
    return;
  }
  for (const [bank, path] of given) {
    if (path === undefined) continue;
    try {
      f.attachBase(bank, readInputFile(bank === 0 ? 'firmware' : 'flash image', path));
    } catch (e) {
      if (e instanceof FlashError) throw new CliError(`'${path}': ${e.message}`);
      throw e;
    }
  }
  const missing = f.missingBases();
  if (missing.length > 0) throw new CliError(`the snapshot's flash bank ${missing[0]} was started with an image: pass it again (${missing[0] === 0 ? '--bios' : '--pflash'} FILE)`);
}
