// A VM's CFI flash: QEMU virt's two 64 MiB banks at IPA 0 and 0x04000000
// (core/devices/pflash.ts is the command-set model), as KVM's VMMs give a
// guest its firmware flash. The contents live in machine RAM after the VM's
// RAM; while a bank is in read-array mode it is mapped read-only in Stage 2,
// so the guest reads and executes it at full speed and only its writes trap
// (permission faults, the devices.ts window). A write that leaves read-array
// mode (a CFI command) unmaps the bank, so every access traps and the model
// answers status, identifier or query data; returning to read-array maps it
// again. Each change of mapping is followed by a TLB invalidation of the
// VM's VMID on every pCPU (TLBI VMALLS12E1IS).
import { FLASH_BANK_BYTES, pflashRead, pflashReadArray, pflashWrite, resetPflash, type FlashStorage } from '../devices/pflash.js';
import type { Hv } from './context.js';
import { s2MapRam, s2UnmapBlocks } from './stage2.js';
import type { VmFlashState, VmState } from './state.js';

export const FLASH_IPA = 0;
export const VM_FLASH_BYTES = 2 * FLASH_BANK_BYTES;
const PAGE = 0x1000;

/** The flash record of a VM whose banks are backed at `backingPa`, both in read-array mode and mapped. */
export function createVflash(backingPa: number): VmFlashState {
  return { backingPa, banks: [resetPflash(), resetPflash()], mapped: [false, false], written: [false, false] };
}

/** Put `image` at the start of bank `bank` (the rest reads zero, as QEMU's
 *  -bios bank); all-zero pages are skipped so machine RAM stays untouched there. */
export function loadVflash(hv: Hv, f: VmFlashState, bank: number, image: Uint8Array): void {
  if (image.length > FLASH_BANK_BYTES) throw new Error(`a flash image has ${image.length} bytes, more than the ${FLASH_BANK_BYTES}-byte bank`);
  const base = f.backingPa + bank * FLASH_BANK_BYTES;
  for (let off = 0; off < image.length; off += PAGE) {
    const page = image.subarray(off, Math.min(off + PAGE, image.length));
    if (page.some((b) => b !== 0)) hv.m.core.writePhys(base + off, page);
  }
}

function storage(hv: Hv, f: VmFlashState, bank: number): FlashStorage {
  const core = hv.m.core;
  const base = f.backingPa + bank * FLASH_BANK_BYTES;
  return {
    read: (off, len) => core.readPhys(base + off, len),
    write: (off, data) => {
      core.writePhys(base + off, data);
      f.written[bank] = true;
    },
  };
}

/** Map or unmap each bank as its mode says (read-array: mapped read-only). */
export function syncVflash(hv: Hv, vm: VmState): void {
  const f = vm.flash;
  if (!f) return;
  let changed = false;
  for (let b = 0; b < f.banks.length; b++) {
    const want = pflashReadArray(f.banks[b]!);
    if (want === f.mapped[b]) continue;
    const ipa = FLASH_IPA + b * FLASH_BANK_BYTES;
    if (want) s2MapRam(hv.m.core, hv.s, vm.s2Root, ipa, f.backingPa + b * FLASH_BANK_BYTES, FLASH_BANK_BYTES, true);
    else s2UnmapBlocks(hv.m.core, vm.s2Root, ipa, FLASH_BANK_BYTES);
    f.mapped[b] = want;
    changed = true;
  }
  if (changed) hv.m.core.invalidateVmid((1 << hv.m.numCpus) - 1, vm.vmid);
}

/** A trapped read at offset `off` of the flash window; undefined for a bus error. */
export function vflashRead(hv: Hv, vm: VmState, off: number, size: number): bigint | undefined {
  const f = vm.flash!;
  const bank = Math.floor(off / FLASH_BANK_BYTES);
  const v = pflashRead(f.banks[bank]!, storage(hv, f, bank), off % FLASH_BANK_BYTES, size);
  syncVflash(hv, vm); // a read in an unknown state returns to read-array
  return v;
}

/** A trapped write (always: the banks are never mapped writable); false for a bus error. */
export function vflashWrite(hv: Hv, vm: VmState, off: number, size: number, value: bigint): boolean {
  const f = vm.flash!;
  const bank = Math.floor(off / FLASH_BANK_BYTES);
  const ok = pflashWrite(f.banks[bank]!, storage(hv, f, bank), off % FLASH_BANK_BYTES, size, value);
  syncVflash(hv, vm);
  return ok;
}

/** Bank `bank`'s whole contents now (for --pflash-writeback). */
export function vflashImage(hv: Hv, vm: VmState, bank: number): Uint8Array | null {
  const f = vm.flash;
  return f ? hv.m.core.readPhys(f.backingPa + bank * FLASH_BANK_BYTES, FLASH_BANK_BYTES).slice() : null;
}
