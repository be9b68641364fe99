// Kernel image recognition and the direct-boot ("-kernel") placement plan,
// mirroring QEMU's hw/arm/boot.c (arm_setup_direct_kernel_boot,
// load_aarch64_image, arm_load_elf) for an AArch64 CPU and RAM at 0x40000000.
// Pure functions over the bytes the caller passes in: no I/O, no state.
//
// What QEMU does, and what we therefore do:
//
// * ELF (tried first). PT_LOAD segments go to their *physical* addresses; the
//   CPU starts directly at e_entry with no boot stub and x0..x3 = 0 ("ELF
//   images are not Linux kernels"). If the image leaves the bottom of RAM free
//   (lowest segment above ramBase), the DTB goes at ramBase, provided it fits
//   below the lowest segment; otherwise no DTB is placed. (QEMU then leaves
//   dtb_start at 0 and the blob lands at physical 0, i.e. in flash: an accident
//   we do not copy.) QEMU ignores -initrd for ELF; we refuse it instead.
//
// * Everything else (uImage aside, which we refuse) goes through
//   load_aarch64_image and is booted as Linux:
//   - arm64 Image (magic "ARM\x64" at 56) with image_size != 0: loaded at
//     ramBase + text_offset, except that a text_offset below
//     BOOTLOADER_MAX_SIZE (4 KiB) gets 2 MiB added so it cannot overlap the
//     boot stub at ramBase. Modern kernels have text_offset 0, so they load at
//     0x40200000. The kernel's extent is image_size (it includes .bss).
//   - Image with image_size == 0 (pre-3.17 kernels) and raw binaries without
//     the header: loaded at ramBase + KERNEL64_LOAD_ADDR (0x80000), extent =
//     file size. (Not at ramBase: QEMU reserves the bottom for its stub.)
//   - initrd at ramBase + min(ramBytes / 2, 128 MiB), moved up to the end of
//     the kernel if the kernel reaches past that, page (4 KiB) aligned.
//   - DTB at the 2 MiB-aligned address at or after initrd_start + initrd_size
//     (with no initrd, simply 2 MiB-aligned at/after initrd_start: QEMU uses
//     the same rule, so the DTB sits at 0x48000000 for a small kernel).
//   - The boot stub (bootStub.ts) at ramBase sets x0 = DTB, x1..x3 = 0 and
//     branches to the kernel; CPU 0 starts at ramBase. Secondaries stay off
//     until PSCI CPU_ON.
//
// Deliberate differences: gzip / EFI zboot / uImage kernels are refused (QEMU
// would unpack them); big-endian Images are refused; the kernel extent is
// max(image_size, file size) so a header claiming less than the file cannot
// make us overlap it; every region must lie inside RAM and the DTB must fit
// entirely (QEMU only checks that it starts inside RAM).

import { buildBootStub, BOOT_STUB_BYTES, type BootStub } from './bootStub.js';
import { disassemble } from '../asm/disassembler.js';

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

export interface ElfSegment {
  readonly paddr: bigint;
  readonly vaddr: bigint;
  readonly fileBytes: Uint8Array;
  readonly memSize: bigint;
}

export type ImageInfo =
  | {
      kind: 'arm64-image';
      /** Header fields, verbatim (little-endian u64s). */
      textOffset: bigint;
      imageSize: bigint;
      flags: bigint;
      /** flags bits 1-2: 0 = unspecified, else 4096 / 16384 / 65536. */
      pageSizeBytes: number;
      /** flags bit 3: 1 = may be placed anywhere in physical memory. */
      placementAnywhere: boolean;
    }
  | { kind: 'elf'; entry: bigint; segments: ElfSegment[] }
  | { kind: 'raw' };

// booting.rst: the 64-byte header.
export const ARM64_IMAGE_MAGIC = 0x644d5241; // "ARM\x64" little-endian
export const ARM64_MAGIC_OFFSET = 56;
export const ARM64_TEXT_OFFSET_OFFSET = 8;
export const ARM64_IMAGE_SIZE_OFFSET = 16;
export const ARM64_FLAGS_OFFSET = 24;
export const ARM64_HEADER_BYTES = 64;

// QEMU hw/arm/boot.c
export const KERNEL64_LOAD_ADDR = 0x80000n;
export const BOOTLOADER_MAX_SIZE = 0x1000n;
export const DEFAULT_RAM_BASE = 0x40000000n;
const MiB = 1n << 20n;
const PAGE = 0x1000n;

// ELF64 (System V gABI; AArch64 ELF ABI)
const EM_AARCH64 = 183;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const ELF64_EHDR_BYTES = 64;
const ELF64_PHDR_BYTES = 56;
const U64_LIMIT = 1n << 64n;

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

function u64le(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off, true);
}

/** The byte offset as a JS number when it is within `limit`; otherwise null. */
function within(v: bigint, limit: number): number | null {
  return v <= BigInt(limit) ? Number(v) : null;
}

function parseElf(bytes: Uint8Array): ImageInfo {
  if (bytes.length < ELF64_EHDR_BYTES) throw new ImageError(`ELF file of ${bytes.length} bytes is shorter than an ELF64 header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cls = bytes[4];
  const data = bytes[5];
  if (cls !== 2) throw new ImageError(`ELF class ${String(cls)} is not ELFCLASS64 (2): only 64-bit AArch64 ELF kernels are supported`);
  if (data === 2) throw new ImageError('big-endian ELF (ELFDATA2MSB) is not supported: build a little-endian AArch64 image');
  if (data !== 1) throw new ImageError(`ELF data encoding ${String(data)} is invalid (expected ELFDATA2LSB = 1)`);
  if (bytes[6] !== 1) throw new ImageError(`ELF ident version ${String(bytes[6])} is not EV_CURRENT (1)`);
  const eType = dv.getUint16(16, true);
  const eMachine = dv.getUint16(18, true);
  const eVersion = dv.getUint32(20, true);
  const eEntry = u64le(dv, 24);
  const ePhoff = u64le(dv, 32);
  const ePhentsize = dv.getUint16(54, true);
  const ePhnum = dv.getUint16(56, true);
  if (eMachine !== EM_AARCH64) throw new ImageError(`ELF e_machine ${eMachine} is not EM_AARCH64 (183)`);
  if (eType !== ET_EXEC && eType !== ET_DYN) throw new ImageError(`ELF e_type ${eType} is not ET_EXEC (2) or ET_DYN (3)`);
  if (eVersion !== 1) throw new ImageError(`ELF e_version ${eVersion} is not EV_CURRENT (1)`);
  if (ePhnum === 0) throw new ImageError('ELF has no program headers (e_phnum = 0)');
  if (ePhnum === 0xffff) throw new ImageError('ELF uses extended program header numbering (PN_XNUM), which is not supported');
  if (ePhentsize !== ELF64_PHDR_BYTES) throw new ImageError(`ELF e_phentsize ${ePhentsize} is not ${ELF64_PHDR_BYTES}`);
  const phoff = within(ePhoff, bytes.length);
  if (phoff === null || phoff + ePhnum * ELF64_PHDR_BYTES > bytes.length) {
    throw new ImageError(`ELF program headers at ${hex(ePhoff)} (${ePhnum} x ${ELF64_PHDR_BYTES} bytes) run past the ${bytes.length}-byte file`);
  }
  const segments: ElfSegment[] = [];
  for (let i = 0; i < ePhnum; i++) {
    const ph = phoff + i * ELF64_PHDR_BYTES;
    if (dv.getUint32(ph, true) !== PT_LOAD) continue;
    const pOffset = u64le(dv, ph + 8);
    const pVaddr = u64le(dv, ph + 16);
    const pPaddr = u64le(dv, ph + 24);
    const pFilesz = u64le(dv, ph + 32);
    const pMemsz = u64le(dv, ph + 40);
    if (pFilesz > pMemsz) throw new ImageError(`ELF segment ${i}: p_filesz ${hex(pFilesz)} exceeds p_memsz ${hex(pMemsz)}`);
    const off = within(pOffset, bytes.length);
    const len = within(pFilesz, bytes.length);
    if (off === null || len === null || off + len > bytes.length) {
      throw new ImageError(`ELF segment ${i}: file bytes [${hex(pOffset)}, +${hex(pFilesz)}) lie outside the ${bytes.length}-byte file`);
    }
    if (pPaddr + pMemsz > U64_LIMIT || pVaddr + pMemsz > U64_LIMIT) {
      throw new ImageError(`ELF segment ${i}: [${hex(pPaddr)}, +${hex(pMemsz)}) wraps the 64-bit address space`);
    }
    if (pMemsz === 0n) continue; // QEMU skips empty segments too
    segments.push({ paddr: pPaddr, vaddr: pVaddr, fileBytes: bytes.slice(off, off + len), memSize: pMemsz });
  }
  if (segments.length === 0) throw new ImageError('ELF has no non-empty PT_LOAD segments');
  const sorted = [...segments].sort((a, b) => (a.paddr < b.paddr ? -1 : a.paddr > b.paddr ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    const c = sorted[i];
    if (p !== undefined && c !== undefined && p.paddr + p.memSize > c.paddr) {
      throw new ImageError(`ELF segments at physical ${hex(p.paddr)} (+${hex(p.memSize)}) and ${hex(c.paddr)} overlap`);
    }
  }
  const inSeg = (a: bigint, base: (s: ElfSegment) => bigint): boolean =>
    segments.some((s) => a >= base(s) && a < base(s) + s.memSize);
  if (!inSeg(eEntry, (s) => s.paddr) && !inSeg(eEntry, (s) => s.vaddr)) {
    throw new ImageError(`ELF entry point ${hex(eEntry)} is not inside any loadable segment`);
  }
  return { kind: 'elf', entry: eEntry, segments };
}

/** Words at a raw binary's entry that are probed at most. */
const RAW_PROBE_WORDS = 16;

/** B, BR, RET, ERET: after them a literal pool or data may follow. */
function endsStraightLine(w: number): boolean {
  return (w & 0xfc00_0000) >>> 0 === 0x1400_0000 || (w & 0xffff_fc1f) >>> 0 === 0xd61f_0000 || (w & 0xffff_fc1f) >>> 0 === 0xd65f_0000 || w >>> 0 === 0xd69f_03e0;
}

/**
 * Why a raw binary (neither an arm64 Image nor an ELF) does not look like
 * AArch64 code, or null when it does. The code the entry point leads to
 * (following unconditional branches, as U-Boot's `b reset` over its header,
 * up to an indirect branch or return, at most RAW_PROBE_WORDS words) must be
 * instructions hvrr's disassembler knows (not UDF): the first one, and three
 * in four of all, with no jump out of the image. About 30% of random words disassemble, so random bytes
 * practically always fail this; code practically never does. A warning, not
 * a refusal: a raw image is what the user said it is.
 */
export function rawImageProblem(bytes: Uint8Array): string | null {
  if (bytes.length < 4) return `it is ${bytes.length} bytes, less than one instruction`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (off: number): number => dv.getUint32(off, true);
  const known = (off: number): boolean => {
    const text = disassemble(word(off));
    return !text.startsWith('.inst') && !text.startsWith('udf');
  };
  if (!known(0)) return `its first word 0x${word(0).toString(16).padStart(8, '0')} (the entry point) is not an A64 instruction`;
  // Walk the code from the entry, through unconditional branches (B imm26)
  // that stay inside the image, to an indirect branch or return, `b .`, or
  // RAW_PROBE_WORDS words.
  let probed = 0;
  let bad = 0;
  for (let off = 0; off + 4 <= bytes.length && probed < RAW_PROBE_WORDS;) {
    probed++;
    const w = word(off);
    if (!known(off)) bad++;
    if ((w & 0xfc00_0000) >>> 0 === 0x1400_0000) {
      const target = off + (((w << 6) >> 6) * 4);
      if (target < 0 || target + 4 > bytes.length) {
        bad++; // a jump out of the image
        break;
      }
      if (target === off) break;
      off = target;
      continue;
    }
    if (endsStraightLine(w)) break;
    off += 4;
  }
  if (bad * 4 > probed) return `${bad} of the ${probed} instructions its entry point leads to are not A64 instructions (or jump out of it)`;
  return null;
}

/** Recognises an AArch64 kernel image. Throws ImageError for anything it cannot boot. */
export function identifyImage(bytes: Uint8Array): ImageInfo {
  if (bytes.length === 0) throw new ImageError('kernel image is empty');
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    return parseElf(bytes);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length > ARM64_MAGIC_OFFSET + 4 && dv.getUint32(ARM64_MAGIC_OFFSET, true) === ARM64_IMAGE_MAGIC) {
    const textOffset = u64le(dv, ARM64_TEXT_OFFSET_OFFSET);
    const imageSize = u64le(dv, ARM64_IMAGE_SIZE_OFFSET);
    // Before Linux 3.17 image_size was 0 and flags did not exist (booting.rst).
    const flags = imageSize === 0n ? 0n : u64le(dv, ARM64_FLAGS_OFFSET);
    if ((flags & 1n) !== 0n) {
      throw new ImageError('arm64 Image header flags bit 0 says big-endian kernel; only little-endian kernels are supported');
    }
    const ps = Number((flags >> 1n) & 3n);
    return {
      kind: 'arm64-image',
      textOffset,
      imageSize,
      flags,
      pageSizeBytes: ps === 0 ? 0 : 1 << (12 + 2 * (ps - 1)),
      placementAnywhere: (flags & 8n) !== 0n,
    };
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new ImageError('kernel is gzip-compressed; decompress it (e.g. gunzip Image.gz) and pass the Image');
  }
  if (bytes.length >= 8 && bytes[0] === 0x4d && bytes[1] === 0x5a && bytes[4] === 0x7a && bytes[5] === 0x69 && bytes[6] === 0x6d && bytes[7] === 0x67) {
    throw new ImageError('kernel is an EFI zboot (compressed) image; pass the uncompressed arch/arm64/boot/Image');
  }
  if (bytes.length >= 4 && dv.getUint32(0, false) === 0x27051956) {
    throw new ImageError('kernel is a U-Boot uImage, which is not supported; pass the raw Image or an ELF');
  }
  return { kind: 'raw' };
}

export interface BootPlanInput {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  /** Size of the DTB that will be placed (an upper bound is fine). */
  dtbSize: number;
  ramBase?: bigint;
  ramBytes: bigint | number;
}

/** A region to copy into RAM: `bytes` at `address`, then zeros up to `memSize`. */
export interface LoadRegion {
  readonly name: 'stub' | 'kernel' | 'initrd' | `segment${number}`;
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly memSize: bigint;
}

export interface BootPlan {
  readonly image: ImageInfo;
  /** True for Image/raw kernels (stub + Linux register contract), false for ELF. */
  readonly isLinux: boolean;
  /** Everything to copy into RAM except the DTB itself (the caller builds it from this plan). */
  readonly loads: LoadRegion[];
  /** [start, end) of the kernel's footprint (incl. .bss); for ELF the span of its segments. */
  readonly kernel: { start: bigint; end: bigint };
  /** Where the kernel starts executing. */
  readonly entry: bigint;
  readonly initrd: { start: bigint; end: bigint } | null;
  /** Where the DTB goes, or null if there is no room for it (ELF only). */
  readonly dtbAddress: bigint | null;
  readonly stub: BootStub | null;
  /** PC of CPU 0 at reset and its x0..x3 there (the stub sets its own). */
  readonly bootPc: bigint;
  readonly bootRegs: { x0: bigint; x1: bigint; x2: bigint; x3: bigint };
}

const alignUp = (v: bigint, a: bigint): bigint => ((v + a - 1n) / a) * a;
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Computes where QEMU's -kernel boot would put everything. Throws ImageError if it does not fit. */
export function planBoot(input: BootPlanInput): BootPlan {
  const ramBase = input.ramBase ?? DEFAULT_RAM_BASE;
  if (typeof input.ramBytes === 'number' && !Number.isSafeInteger(input.ramBytes)) {
    throw new ImageError(`RAM size ${input.ramBytes} is not an integer`);
  }
  const ramBytes = BigInt(input.ramBytes);
  if (ramBytes <= 0n) throw new ImageError(`RAM size ${ramBytes} must be positive`);
  if (ramBase < 0n || ramBase % PAGE !== 0n) throw new ImageError(`RAM base ${hex(ramBase)} is not page aligned`);
  if (!Number.isSafeInteger(input.dtbSize) || input.dtbSize <= 0) throw new ImageError(`DTB size ${input.dtbSize} must be a positive integer`);
  const dtbSize = BigInt(input.dtbSize);
  const ramEnd = ramBase + ramBytes;
  const image = identifyImage(input.kernel);
  const zeroRegs = { x0: 0n, x1: 0n, x2: 0n, x3: 0n };

  if (image.kind === 'elf') {
    if (input.initrd !== undefined) {
      throw new ImageError('an initrd was given with an ELF kernel; ELF images boot bare-metal style (QEMU ignores -initrd for them), so pass an arm64 Image instead');
    }
    const loads: LoadRegion[] = image.segments.map((s, i) => {
      if (s.paddr < ramBase || s.paddr + s.memSize > ramEnd) {
        throw new ImageError(`ELF segment at physical ${hex(s.paddr)} (+${hex(s.memSize)}) lies outside RAM [${hex(ramBase)}, ${hex(ramEnd)})`);
      }
      return { name: `segment${i}` as const, address: s.paddr, bytes: s.fileBytes, memSize: s.memSize };
    });
    if (!image.segments.some((s) => image.entry >= s.paddr && image.entry < s.paddr + s.memSize)) {
      throw new ImageError(`ELF entry ${hex(image.entry)} is not inside any segment's physical range (linked at a virtual address?)`);
    }
    const low = image.segments.reduce((m, s) => minB(m, s.paddr), U64_LIMIT);
    const high = image.segments.reduce((m, s) => maxB(m, s.paddr + s.memSize), 0n);
    // QEMU: the DTB goes at the base of RAM if the image leaves room below itself.
    const dtbAddress = low > ramBase && ramBase + dtbSize <= low ? ramBase : null;
    return {
      image,
      isLinux: false,
      loads,
      kernel: { start: low, end: high },
      entry: image.entry,
      initrd: null,
      dtbAddress,
      stub: null,
      bootPc: image.entry,
      bootRegs: zeroRegs,
    };
  }

  // Linux boot (arm64 Image or raw binary), QEMU load_aarch64_image.
  let loadOffset = KERNEL64_LOAD_ADDR;
  let extent = BigInt(input.kernel.length);
  if (image.kind === 'arm64-image' && image.imageSize !== 0n) {
    loadOffset = image.textOffset;
    if (loadOffset % 4n !== 0n) throw new ImageError(`arm64 Image text_offset ${hex(loadOffset)} is not 4-byte aligned`);
    if (loadOffset < BOOTLOADER_MAX_SIZE) loadOffset += 2n * MiB;
    extent = maxB(image.imageSize, extent);
  }
  const kernelStart = ramBase + loadOffset;
  const kernelEnd = kernelStart + extent;
  if (kernelEnd > ramEnd) {
    throw new ImageError(`kernel is too large to fit in RAM (kernel size ${extent} at offset ${hex(loadOffset)}, RAM size ${ramBytes})`);
  }
  const initrdStart = alignUp(maxB(ramBase + minB(ramBytes / 2n, 128n * MiB), kernelEnd), PAGE);
  const initrdSize = BigInt(input.initrd?.length ?? 0);
  if (input.initrd !== undefined) {
    if (initrdStart >= ramEnd) {
      throw new ImageError(`not enough space after the kernel to load the initrd (initrd would start at ${hex(initrdStart)}, RAM ends at ${hex(ramEnd)})`);
    }
    if (initrdStart + initrdSize > ramEnd) {
      throw new ImageError(`initrd of ${initrdSize} bytes is too big to fit into RAM after the kernel (starts at ${hex(initrdStart)}, RAM ends at ${hex(ramEnd)})`);
    }
  }
  const dtbAddress = alignUp(initrdStart + initrdSize, 2n * MiB);
  if (dtbAddress + dtbSize > ramEnd) {
    throw new ImageError(`not enough space for the ${dtbSize}-byte DTB after the kernel/initrd (it would start at ${hex(dtbAddress)}, RAM ends at ${hex(ramEnd)})`);
  }
  if (kernelStart < ramBase + BigInt(BOOT_STUB_BYTES)) {
    throw new ImageError(`kernel at ${hex(kernelStart)} would overlap the boot stub at ${hex(ramBase)}`);
  }
  const stub = buildBootStub({ stubAddress: ramBase, dtbAddress, entry: kernelStart });
  const loads: LoadRegion[] = [
    { name: 'stub', address: ramBase, bytes: stub.bytes, memSize: BigInt(stub.bytes.length) },
    // The file only; the kernel clears its own .bss (booting.rst), so memSize is the file length.
    { name: 'kernel', address: kernelStart, bytes: input.kernel, memSize: BigInt(input.kernel.length) },
  ];
  if (input.initrd !== undefined) {
    loads.push({ name: 'initrd', address: initrdStart, bytes: input.initrd, memSize: initrdSize });
  }
  return {
    image,
    isLinux: true,
    loads,
    kernel: { start: kernelStart, end: kernelEnd },
    entry: kernelStart,
    initrd: input.initrd !== undefined ? { start: initrdStart, end: initrdStart + initrdSize } : null,
    dtbAddress,
    stub,
    bootPc: ramBase,
    bootRegs: zeroRegs,
  };
}
