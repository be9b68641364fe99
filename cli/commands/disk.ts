// --disk-writeback: the guest's writes live in a copy-on-write overlay in the
// machine state; at the end of a run VM 0's disk (base image + overlay) is
// written back into the image file, atomically (temporary file, fsync, rename), so
// an interrupted write-back never leaves a half-written image.
import type { Machine } from '../../core/machine.js';
import { Hypervisor } from '../../core/hypervisor/hypervisor.js';
import { CliError } from '../errors.js';
import { writeFileAtomic } from '../../snapshots/file.js';

function hypervisorOf(m: Machine): Hypervisor | null {
  const sw = m.software.get('el2-ns');
  return sw instanceof Hypervisor ? sw : null;
}

/** Write VM 0's disk back into `path`; returns the bytes written (0 when the guest wrote nothing). */
export function writeBackDisk(m: Machine, path: string): number {
  const hv = hypervisorOf(m);
  const image = hv?.diskImage(0) ?? null;
  if (!image || !hv?.diskDirty(0)) return 0;
  try {
    writeFileAtomic(path, image);
  } catch (e) {
    throw new CliError(`cannot write the disk back into '${path}': ${(e as Error).message}`);
  }
  return image.length;
}

/** After a snapshot restore: give each VM with a virtio-blk disk its base image. */
export function attachRestoredDisk(m: Machine, disk: Uint8Array | undefined, path: string | undefined): void {
  const hv = hypervisorOf(m);
  if (!hv) {
    if (disk) throw new CliError('--disk: the snapshot has no hypervisor (a bare-metal run has no virtio-blk)');
    return;
  }
  const withDisk = hv.s.vms.filter((vm) => hv.blkOf(vm.id) !== undefined);
  if (withDisk.length === 0) {
    if (disk) throw new CliError('--disk: the snapshot\'s VMs have no virtio-blk disk');
    return;
  }
  if (!disk) throw new CliError('the snapshot\'s VMs have a virtio-blk disk: pass the image they were started with (--disk FILE)');
  for (const vm of withDisk) {
    try {
      hv.attachDisk(vm.id, disk);
    } catch (e) {
      throw new CliError(`disk image '${path}': ${(e as Error).message}`);
    }
  }
}
