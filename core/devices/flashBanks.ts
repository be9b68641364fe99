// The machine's flash: QEMU virt's two CFI pflash banks on the physical bus
// at 0 and 0x04000000 (the command set is pflash.ts). A bank's base image
// (--bios in bank 0, --pflash in bank 1) is an input like the kernel, never
// modified and never in the state: the record keeps its SHA-256, and what
// the guest programs or erases goes to a copy-on-write overlay of 4 KiB
// chunks in the record (core/memory/overlay.ts), so snapshots of an untouched
// flash stay small. Registered as component 'flash' (snapshots carry it).
//
// A bank in read-array mode is QEMU's romd mode: the CPU core reads and
// fetches its contents like RAM (so firmware runs from flash), from a copy
// of the contents this device keeps in the core's ROM-device window
// (CpuCore.writeRomd); its writes are command cycles and come here. A
// command takes the bank out of romd mode (CpuCore.setRomd: the core drops
// its TLB entries for it), so reads reach the model until read array.
//
// hvrr adds the banks only to a machine given flash (QEMU always has them),
// so every machine without it stays exactly as before.
import { createHash } from 'node:crypto';
import { CpuCore } from '../cpu/cpu.js';
import type { Machine, StatefulComponent } from '../machine.js';
import type { MmioDevice } from '../memory/mmio.js';
import { OVERLAY_CHUNK, overlayApply, overlayRead, overlayWrite, type Overlay } from '../memory/overlay.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';
import {
  FLASH_BANK0_PA, FLASH_BANK_BYTES, FLASH_WINDOW_BYTES, pflashRead, pflashReadArray, pflashWrite, resetPflash, type FlashStorage,
  type PflashState,
} from './pflash.js';

export const FLASH_COMPONENT = 'flash';

export interface FlashBankState {
  pflash: PflashState;
  /** What the guest wrote, over the base image. */
  overlay: Overlay;
  /** The base image the bank was started with (null: none, the bank reads zero). */
  base: { sha256: string; bytes: number } | null;
}

export interface MachineFlashState {
  version: 1;
  banks: FlashBankState[];
}

const SCHEMA: RecordSchema = { name: 'flash state', version: 1 };

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export class FlashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlashError';
  }
}

export class MachineFlash implements MmioDevice, StatefulComponent {
  readonly name = 'pflash';
  private s: MachineFlashState;
  /** The banks' base images (inputs, not state). */
  private readonly bases: Array<Uint8Array | null> = [null, null];
  /** Romd mode of each bank as last told to the core (bit n: bank n). */
  private romdMask = 0;

  /** `core`: the CPU core whose ROM-device window holds the banks' contents
   *  for reads and fetches in read-array mode (as found: zero). */
  constructor(private readonly core: CpuCore, images: ReadonlyArray<Uint8Array | undefined> = []) {
    if (CpuCore.ROMD.pa !== FLASH_BANK0_PA || CpuCore.ROMD.bytes !== FLASH_WINDOW_BYTES || CpuCore.ROMD.unitBytes !== FLASH_BANK_BYTES) {
      throw new Error('the core\'s ROM-device window is not the flash banks\' window');
    }
    this.s = { version: 1, banks: [0, 1].map(() => ({ pflash: resetPflash(), overlay: {}, base: null })) };
    images.forEach((img, b) => {
      if (img) this.setBase(b, img);
    });
    this.syncRomd();
  }

  private setBase(bank: number, image: Uint8Array): void {
    if (image.length > FLASH_BANK_BYTES) throw new FlashError(`a flash image has ${image.length} bytes, more than the ${FLASH_BANK_BYTES}-byte bank`);
    this.bases[bank] = image;
    this.s.banks[bank]!.base = { sha256: sha256(image), bytes: image.length };
    this.mirrorBase(bank, null);
  }

  /** After a restore: give bank `bank` the base image it was started with (checked by its SHA-256). */
  attachBase(bank: number, image: Uint8Array): void {
    const want = this.s.banks[bank]?.base;
    if (!want) throw new FlashError(`flash bank ${bank} was started without an image`);
    if (sha256(image) !== want.sha256) throw new FlashError(`the image differs from the one flash bank ${bank} was started with (sha256 ${want.sha256.slice(0, 16)}...)`);
    const before = this.bases[bank] ?? null;
    this.bases[bank] = image;
    this.mirrorBase(bank, before);
  }

  // ---- the copy of the contents in the core (what romd mode reads and fetches) ----

  /** Bank `bank`'s base image changed from `before`: copy the new one where
   *  it differs (the copy starts zero, so zero chunks of a first image are
   *  skipped), then the guest's writes over it. */
  private mirrorBase(bank: number, before: Uint8Array | null): void {
    const image = this.bases[bank] ?? null;
    const len = Math.max(image?.length ?? 0, before?.length ?? 0);
    for (let off = 0; off < len; off += OVERLAY_CHUNK) {
      const now = chunkOf(image, off);
      if (Buffer.compare(now, chunkOf(before, off)) !== 0) this.core.writeRomd(bank * FLASH_BANK_BYTES + off, now);
    }
    this.mirrorChunks(bank, Object.keys(this.s.banks[bank]!.overlay));
  }

  /** Copy chunks (overlay keys) of bank `bank` as they read now. */
  private mirrorChunks(bank: number, keys: Iterable<string>): void {
    const b = this.s.banks[bank]!;
    const base = this.bases[bank] ?? null;
    for (const key of keys) {
      const off = Number(key) * OVERLAY_CHUNK;
      if (off < FLASH_BANK_BYTES) this.core.writeRomd(bank * FLASH_BANK_BYTES + off, overlayRead(b.overlay, base, off, OVERLAY_CHUNK));
    }
  }

  /** Tell the core which banks are in read-array (romd) mode, when that changed. */
  private syncRomd(): void {
    const mask = this.s.banks.reduce((m, b, i) => (pflashReadArray(b.pflash) ? m | (1 << i) : m), 0);
    if (mask === this.romdMask) return;
    this.romdMask = mask;
    this.core.setRomd(mask);
  }

  /** Banks whose base image must be attached after a restore. */
  missingBases(): number[] {
    return this.s.banks.flatMap((b, i) => (b.base && !this.bases[i] ? [i] : []));
  }

  private storage(bank: number): FlashStorage {
    const b = this.s.banks[bank]!;
    const base = this.bases[bank] ?? null;
    if (b.base && !base) throw new FlashError(`flash bank ${bank}'s image is not attached`);
    return {
      read: (off, len) => overlayRead(b.overlay, base, off, len),
      write: (off, data) => {
        overlayWrite(b.overlay, base, off, data);
        this.core.writeRomd(bank * FLASH_BANK_BYTES + off, data);
      },
    };
  }

  accepts(off: number, size: number, isWrite: boolean): boolean {
    // Reads in read-array mode are memory (any alignment); writes are
    // command cycles and every access outside read-array mode a register
    // access, aligned (QEMU: valid.unaligned false for the device's ops).
    const bank = this.s.banks[Math.floor(off / FLASH_BANK_BYTES)]!;
    return (off + size - 1) < FLASH_WINDOW_BYTES && (off % size === 0 || (!isWrite && pflashReadArray(bank.pflash)));
  }

  read(off: number, size: number): number {
    const bank = Math.floor(off / FLASH_BANK_BYTES);
    const v = Number(pflashRead(this.s.banks[bank]!.pflash, this.storage(bank), off % FLASH_BANK_BYTES, size) ?? 0n);
    this.syncRomd(); // a read in an impossible mode returns to read array
    return v;
  }

  write(off: number, size: number, value: number): void {
    const bank = Math.floor(off / FLASH_BANK_BYTES);
    pflashWrite(this.s.banks[bank]!.pflash, this.storage(bank), off % FLASH_BANK_BYTES, size, BigInt(value >>> 0));
    this.syncRomd();
  }

  /** Whether the guest has programmed or erased bank `bank`. */
  written(bank: number): boolean {
    return Object.keys(this.s.banks[bank]?.overlay ?? {}).length > 0;
  }

  /** Bank `bank`'s whole contents now (64 MiB). */
  image(bank: number): Uint8Array {
    return overlayApply(this.s.banks[bank]!.overlay, this.bases[bank] ?? new Uint8Array(0), FLASH_BANK_BYTES);
  }

  getState(): MachineFlashState {
    return structuredClone(this.s);
  }

  loadState(st: unknown): void {
    const before = this.s.banks.map((b) => Object.keys(b.overlay));
    this.s = upgradeRecord<MachineFlashState>(SCHEMA, st, { version: 1, banks: [] });
    // The core's copy: chunks written before or after the restore read as now.
    this.s.banks.forEach((b, i) => this.mirrorChunks(i, new Set([...(before[i] ?? []), ...Object.keys(b.overlay)])));
    this.romdMask = -1;
    this.syncRomd();
  }
}

/** One chunk of an image at `off` (zeros past its end). */
function chunkOf(image: Uint8Array | null, off: number): Uint8Array {
  const out = new Uint8Array(OVERLAY_CHUNK);
  if (image && off < image.length) out.set(image.subarray(off, Math.min(off + OVERLAY_CHUNK, image.length)));
  return out;
}

/** Give machine `m` the two flash banks (`images[b]`: bank b's base image, if any). */
export function attachMachineFlash(m: Machine, images: ReadonlyArray<Uint8Array | undefined> = []): MachineFlash {
  const f = new MachineFlash(m.core, images);
  m.bus.map(FLASH_BANK0_PA, FLASH_WINDOW_BYTES, f);
  m.registerComponent(FLASH_COMPONENT, f);
  return f;
}

/** The machine's flash, if it has one. */
export function machineFlash(m: Machine): MachineFlash | null {
  return m.componentNames().includes(FLASH_COMPONENT) ? (m.component(FLASH_COMPONENT) as MachineFlash) : null;
}

export function machineFlashWritten(m: Machine, bank: number): boolean {
  return machineFlash(m)?.written(bank) ?? false;
}

export function machineFlashImage(m: Machine, bank: number): Uint8Array | null {
  return machineFlash(m)?.image(bank) ?? null;
}
