// Where the SPMC keeps things in the emulated secure RAM (QEMU virt
// secure=on: 16 MiB at 0x0e000000). TF-A's QEMU platform puts BL32 (the
// SPMC) at 0x0e100000; the rest is this SPMC's own choice:
//   0x0e00_2000  the boot directory installSpmc writes (the SPMC's x0 at
//                cold boot): where each SP package lies
//   0x0e10_0000  the SPMC's (nominal) entry; TypeScript runs, no code here
//   0x0e20_0000  stage-2 translation tables (2 MiB page heap)
//   0x0e40_0000  partitions: images at their load addresses, memory regions
//   0x0ec0_0000  SP packages as the loader placed them (4 MiB)
import { SECURE_RAM_BYTES, SECURE_RAM_PA } from '../cpu/cpu.js';

export { SECURE_RAM_PA, SECURE_RAM_BYTES };
export const SPMC_BOOT_DIRECTORY = 0x0e00_2000;
export const SPMC_ENTRY = 0x0e10_0000n;
export const SPMC_SECONDARY_ENTRY = 0x0e10_0800n;
export const S2_HEAP_BASE = 0x0e20_0000;
export const S2_HEAP_PAGES = 512;
export const PARTITION_AREA_BASE = 0x0e40_0000;
export const PARTITION_AREA_END = 0x0ec0_0000;
export const PACKAGE_AREA_BASE = 0x0ec0_0000;
export const PACKAGE_AREA_END = SECURE_RAM_PA + SECURE_RAM_BYTES;
export const PAGE_BYTES = 0x1000;

/** The boot directory: magic "SPMC", package count, then (address, size) 32-bit pairs. */
export const BOOT_DIRECTORY_MAGIC = 0x434d5053;
export const MAX_PARTITIONS = 16;

export function pageAlignUp(n: number): number {
  return Math.ceil(n / PAGE_BYTES) * PAGE_BYTES;
}
