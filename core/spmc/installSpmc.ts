// Plugging the SPMC into a machine with two Security states: the SP
// packages are checked on the host (one-line errors for a bad package,
// before anything runs), placed in secure RAM as a boot loader would
// (TF-A's BL2 loads them from the FIP), and listed in the boot directory
// the SPMC reads at cold boot (its x0, TF-A's manifest address). The SPMC
// is installed at Secure EL2 and its record registered as the component
// 'spmc'. The caller then boots the machine with `secureColdBoot(m,
// SPMC_BOOT_INFO)` after the Normal world's entry is set.
import type { Machine } from '../machine.js';
import type { SpmcBootInfo } from '../firmware/spmd.js';
import { FFA_VERSION_1_2 } from '../ffa/functionIds.js';
import { readPartitionPackage } from './partitionPackage.js';
import { checkPartitionSet } from './partitionSet.js';
import { BOOT_DIRECTORY_MAGIC, MAX_PARTITIONS, PACKAGE_AREA_BASE, PACKAGE_AREA_END, SPMC_BOOT_DIRECTORY, SPMC_ENTRY, pageAlignUp } from './secureLayout.js';
import { Spmc, SPMC_COMPONENT, SPMC_ID } from './spmc.js';

/** What the SPMD is told of this SPMC (TF-A's TOS_FW_CONFIG): entry, boot directory, ID, FF-A v1.2. */
export const SPMC_BOOT_INFO: SpmcBootInfo = { entry: SPMC_ENTRY, manifestAddress: BigInt(SPMC_BOOT_DIRECTORY), spmcId: SPMC_ID, spmcVersion: FFA_VERSION_1_2 };

export class SpmcInstallError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'SpmcInstallError';
  }
}

/** Check, place and list `packages`; install the SPMC at Secure EL2. Throws a one-line error for bad packages. */
export function installSpmc(m: Machine, packages: readonly Uint8Array[]): Spmc {
  if (!m.config.secure) throw new SpmcInstallError('the SPMC needs a machine with two Security states (--secure)');
  if (packages.length > MAX_PARTITIONS) throw new SpmcInstallError(`${packages.length} SP packages: at most ${MAX_PARTITIONS}`);
  const manifests = packages.map((p, i) => {
    try {
      return readPartitionPackage(p).manifest;
    } catch (e) {
      throw new SpmcInstallError(`SP package ${i}: ${(e as Error).message}`);
    }
  });
  try {
    checkPartitionSet(manifests);
  } catch (e) {
    throw new SpmcInstallError((e as Error).message);
  }
  const dir = new Uint8Array(8 + 8 * packages.length);
  const dv = new DataView(dir.buffer);
  dv.setUint32(0, BOOT_DIRECTORY_MAGIC, true);
  dv.setUint32(4, packages.length, true);
  let at = PACKAGE_AREA_BASE;
  packages.forEach((p, i) => {
    if (at + p.length > PACKAGE_AREA_END) throw new SpmcInstallError(`SP packages need more than the ${(PACKAGE_AREA_END - PACKAGE_AREA_BASE) >> 20} MiB of secure RAM set aside for them`);
    m.core.writePhys(at, p);
    dv.setUint32(8 + 8 * i, at, true);
    dv.setUint32(12 + 8 * i, p.length, true);
    at += pageAlignUp(p.length);
  });
  m.core.writePhys(SPMC_BOOT_DIRECTORY, dir);
  return attachSpmc(m);
}

/** Install the SPMC at Secure EL2 and register its record, with no packages
 *  placed: for a snapshot restore, whose secure RAM and record bring them. */
export function attachSpmc(m: Machine): Spmc {
  const spmc = new Spmc(m.numCpus, { mutation: m.config.mutation });
  m.software.install('el2-s', spmc);
  m.registerComponent(SPMC_COMPONENT, { getState: () => spmc.getState(), loadState: (st: unknown) => spmc.loadState(st) });
  return spmc;
}
