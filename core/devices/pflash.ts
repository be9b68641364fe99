// CFI parallel flash with the Intel command set, as QEMU's virt board wires
// its two banks (hw/block/pflash_cfi01.c, the oracle; hw/arm/virt.c
// virt_flash_create1): 64 MiB banks of 256 KiB blocks, a 32-bit bank of two
// 16-bit devices (width 4, device-width 2), manufacturer 0x89 device 0x18,
// little-endian, writable (QEMU's -bios bank has no drive, so it is not
// read-only either).
//
// The model is QEMU's, command for command: read array, CFI query (0x98),
// read identifier (0x90), read status (0x70), clear status (0x50), single
// word program (0x10/0x40), block erase (0x20 + 0xd0; QEMU erases at the
// first cycle), write to buffer (0xe8, N, data..., 0xd0), block (un)lock
// (0x60 + 0xd0/0x01; lock bits are not kept, so every block reads
// unlocked), probe for AMD flash (0xf0) and 0xff/0x00 back to read array;
// anything else is logged and returns to read array. Timing is not modelled:
// the status register always reports ready (SR.7).
//
// Read-array mode is QEMU's "romd" mode (reads and fetches go straight to the
// contents); it holds exactly while `cmd` is 0x00. Accesses wider than 32 bits
// are two 32-bit ones, low word first, and unaligned accesses outside
// read-array mode are bus errors, as QEMU's memory core treats the device's
// ops (impl.max_access_size 4, valid.unaligned false).
//
// State is plain data (PflashState); the contents live behind FlashStorage
// (the machine's copy-on-write overlay, or a VM's flash pages in RAM).

export const FLASH_BANK_BYTES = 0x0400_0000;
export const FLASH_SECTOR_BYTES = 0x4_0000;
export const FLASH_BANK0_PA = 0x0000_0000;
export const FLASH_BANK1_PA = 0x0400_0000;
/** Bytes of the virt board's flash window (both banks). */
export const FLASH_WINDOW_BYTES = 2 * FLASH_BANK_BYTES;

const BANK_WIDTH = 4;
const DEVICE_WIDTH = 2;
const IDENT0 = 0x89;
const IDENT1 = 0x18;

/** SR.7: write state machine ready; SR.5: erase error; SR.4: program error. */
export const SR_READY = 0x80;

export interface PflashState {
  /** Write cycle of the command in progress (0: none). */
  wcycle: number;
  /** Command in progress; 0x00 is read-array mode (QEMU's reset value). */
  cmd: number;
  status: number;
  /** Write-to-buffer words still to come (QEMU's counter). */
  counter: number;
  /** Command sequences QEMU logs as unimplemented (LOG_UNIMP), counted. */
  unimplemented: number;
}

/** The contents of one bank. */
export interface FlashStorage {
  read(off: number, len: number): Uint8Array;
  write(off: number, data: Uint8Array): void;
}

export function resetPflash(): PflashState {
  return { wcycle: 0, cmd: 0x00, status: SR_READY, counter: 0, unimplemented: 0 };
}

/** Read-array mode: reads return the contents (QEMU's romd mode). */
export function pflashReadArray(s: PflashState): boolean {
  return s.cmd === 0x00;
}

const CFI_TABLE: Uint8Array = buildCfiTable();

/** pflash_cfi01_fill_cfi_table for one of the bank's two 16-bit devices. */
function buildCfiTable(): Uint8Array {
  const t = new Uint8Array(0x52);
  const numDevices = BANK_WIDTH / DEVICE_WIDTH;
  const blocksPerDevice = FLASH_BANK_BYTES / FLASH_SECTOR_BYTES;
  const sectorLenPerDevice = FLASH_SECTOR_BYTES / numDevices;
  const deviceLen = sectorLenPerDevice * blocksPerDevice;
  t.set([0x51, 0x52, 0x59], 0x10); // "QRY"
  t[0x13] = 0x01; // primary command set: Intel
  t[0x15] = 0x31; // primary extended table at 0x31
  t[0x1b] = 0x45; // Vcc min
  t[0x1c] = 0x55; // Vcc max
  t[0x1f] = 0x07;
  t[0x20] = 0x07;
  t[0x21] = 0x0a;
  t[0x23] = 0x04;
  t[0x24] = 0x04;
  t[0x25] = 0x04;
  t[0x27] = Math.log2(deviceLen); // device size, 2^n bytes
  t[0x28] = 0x02; // x8/x16 interface
  t[0x2a] = 0x0b; // 2^11-byte write buffer
  t[0x2c] = 0x01; // one uniform erase block region
  t[0x2d] = (blocksPerDevice - 1) & 0xff;
  t[0x2e] = (blocksPerDevice - 1) >> 8;
  t[0x2f] = (sectorLenPerDevice >> 8) & 0xff;
  t[0x30] = (sectorLenPerDevice >> 16) & 0xff;
  t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI" 1.0
  t[0x3f] = 0x01; // protection fields
  return t;
}

/** Replicate a device's 16-bit answer on both devices of the bank. */
function bothDevices(v: number): number {
  return (v & 0xffff) | ((v & 0xffff) << 16);
}

/** CFI query of the word at bank offset `off` (pflash_cfi_query). */
function cfiQuery(off: number): number {
  const boff = off >>> 2; // ctz(bank width) + ctz(max device width) - ctz(device width)
  return boff >= CFI_TABLE.length ? 0 : bothDevices(CFI_TABLE[boff]!);
}

/** Identifier read (pflash_devid_query): manufacturer, device, 0 elsewhere (lock bits: unlocked). */
function devidQuery(off: number): number {
  const boff = (off >>> 2) & 0xff;
  return boff === 0 ? bothDevices(IDENT0) : boff === 1 ? bothDevices(IDENT1) : 0;
}

function readLe(storage: FlashStorage, off: number, size: number): number {
  const b = storage.read(off, size);
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}

function writeLe(storage: FlashStorage, off: number, size: number, value: number): void {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  storage.write(off, b);
}

/** One access of at most 32 bits (pflash_read); the unsigned value of `size` bytes. */
function read32(s: PflashState, storage: FlashStorage, off: number, size: number): number {
  let v: number;
  switch (s.cmd) {
    case 0x00:
      return readLe(storage, off, size);
    case 0x10: case 0x20: case 0x28: case 0x40: case 0x50: case 0x60: case 0x70: case 0xe8:
      // Status of each device in the bank.
      v = size > DEVICE_WIDTH ? s.status | (s.status << 16) : s.status;
      break;
    case 0x90:
      v = devidQuery(off);
      break;
    case 0x98:
      v = cfiQuery(off);
      break;
    default:
      // Cannot happen (cmd only takes the values above); QEMU resets to read array.
      s.wcycle = 0;
      s.cmd = 0x00;
      return readLe(storage, off, size);
  }
  return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
}

/** A read of 1, 2, 4 or 8 bytes at bank offset `off`; undefined for a bus error. */
export function pflashRead(s: PflashState, storage: FlashStorage, off: number, size: number): bigint | undefined {
  if (!pflashReadArray(s) && off % size !== 0) return undefined;
  if (size === 8) {
    const lo = read32(s, storage, off, 4);
    const hi = read32(s, storage, off + 4, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  return BigInt(read32(s, storage, off, size));
}

/** A write of 1, 2, 4 or 8 bytes at bank offset `off`; false for a bus error. */
export function pflashWrite(s: PflashState, storage: FlashStorage, off: number, size: number, value: bigint): boolean {
  if (off % size !== 0) return false;
  if (size === 8) {
    write32(s, storage, off, 4, Number(value & 0xffff_ffffn));
    write32(s, storage, off + 4, 4, Number((value >> 32n) & 0xffff_ffffn));
    return true;
  }
  write32(s, storage, off, size, Number(value & 0xffff_ffffn));
  return true;
}

/** pflash_write: one bus cycle of at most 32 bits. */
function write32(s: PflashState, storage: FlashStorage, off: number, size: number, value: number): void {
  const cmd = value & 0xff;
  const readArray = (): void => {
    s.wcycle = 0;
    s.cmd = 0x00;
  };
  const unimplemented = (): void => {
    s.unimplemented++;
    readArray();
  };
  switch (s.wcycle) {
    case 0:
      switch (cmd) {
        case 0x00: // QEMU's READ_ARRAY alias
        case 0xf0: // probe for AMD flash
        case 0xff: // read array
          readArray();
          return;
        case 0x10:
        case 0x40: // single word program: the data comes next
          break;
        case 0x20: {
          // Block erase: QEMU erases at once; 0xd0 then only confirms.
          const base = off - (off % FLASH_SECTOR_BYTES);
          storage.write(base, new Uint8Array(FLASH_SECTOR_BYTES).fill(0xff));
          s.status |= SR_READY;
          break;
        }
        case 0x50: // clear status
          s.status = 0;
          readArray();
          return;
        case 0x60: // block (un)lock: the confirmation comes next
        case 0x98: // CFI query
          break;
        case 0x70: // read status
        case 0x90: // read identifier
          s.cmd = cmd;
          return;
        case 0xe8: // write to buffer: the word count comes next
          s.status |= SR_READY;
          break;
        default:
          unimplemented();
          return;
      }
      s.wcycle++;
      s.cmd = cmd;
      return;
    case 1:
      switch (s.cmd) {
        case 0x10:
        case 0x40:
          writeLe(storage, off, size, value);
          s.status |= SR_READY;
          s.wcycle = 0;
          return;
        case 0x20:
        case 0x28:
          if (cmd === 0xd0) {
            s.wcycle = 0;
            s.status |= SR_READY;
          } else if (cmd === 0xff) readArray();
          else unimplemented();
          return;
        case 0xe8:
          s.counter = value & 0xffff; // masked to the device width
          s.wcycle++;
          return;
        case 0x60:
          if (cmd === 0xd0 || cmd === 0x01) {
            s.wcycle = 0;
            s.status |= SR_READY;
          } else readArray(); // 0xff, or an unknown (un)locking command (QEMU only traces it)
          return;
        case 0x98:
          if (cmd === 0xff) readArray(); // anything else stays in query mode
          return;
      }
      unimplemented();
      return;
    case 2:
      if (s.cmd !== 0xe8) {
        unimplemented();
        return;
      }
      // QEMU writes the buffer's data straight into the contents.
      writeLe(storage, off, size, value);
      s.status |= SR_READY;
      if (s.counter === 0) s.wcycle++;
      s.counter--;
      return;
    case 3:
      if (s.cmd === 0xe8 && cmd === 0xd0) {
        s.wcycle = 0;
        s.status |= SR_READY;
      } else if (s.cmd === 0xe8) readArray(); // aborting the buffer write: the data is already written (as QEMU)
      else unimplemented();
      return;
  }
  readArray(); // an invalid write state (cannot happen)
}
