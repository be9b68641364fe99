// The CFI pflash model against what QEMU's pflash_cfi01 answers on the virt
// board (width 4, device-width 2, ids 0x89/0x18, 256 KiB blocks).
import { describe, expect, it } from 'vitest';
import { overlayRead, overlayWrite, type Overlay } from '../memory/overlay.js';
import {
  FLASH_BANK_BYTES, FLASH_SECTOR_BYTES, pflashRead, pflashReadArray, pflashWrite, resetPflash, type FlashStorage, type PflashState,
} from './pflash.js';

function bank(base: Uint8Array | null = null): { s: PflashState; st: FlashStorage; ov: Overlay } {
  const ov: Overlay = {};
  return { s: resetPflash(), ov, st: { read: (o, n) => overlayRead(ov, base, o, n), write: (o, d) => overlayWrite(ov, base, o, d) } };
}

const rd = (b: ReturnType<typeof bank>, off: number, size = 4): number => Number(pflashRead(b.s, b.st, off, size));
const wr = (b: ReturnType<typeof bank>, off: number, value: number | bigint, size = 4): boolean => pflashWrite(b.s, b.st, off, size, BigInt(value));

describe('CFI pflash (QEMU pflash_cfi01 on virt)', () => {
  it('reads the array after reset, little-endian, any width', () => {
    const b = bank(new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]));
    expect(pflashReadArray(b.s)).toBe(true);
    expect(rd(b, 0)).toBe(0x44332211);
    expect(rd(b, 1, 1)).toBe(0x22);
    expect(rd(b, 2, 2)).toBe(0x4433);
    expect(pflashRead(b.s, b.st, 0, 8)).toBe(0x8877665544332211n);
    expect(rd(b, 3, 4)).toBe(0x77665544); // unaligned reads in read-array mode are plain memory reads
    expect(rd(b, 0x100)).toBe(0); // past the image: zero, as QEMU's -bios bank
  });

  it('CFI query: "QRY", Intel command set, 64 MiB of 256 KiB blocks on two x16 devices', () => {
    const b = bank();
    wr(b, 0x55 * 4, 0x00980098);
    expect(pflashReadArray(b.s)).toBe(false);
    const q = (i: number): number => rd(b, i * 4);
    expect([q(0x10), q(0x11), q(0x12)]).toEqual([0x00510051, 0x00520052, 0x00590059]);
    expect(q(0x13)).toBe(0x00010001);
    expect(q(0x27)).toBe(0x00190019); // 2^25 bytes per device, two devices: 64 MiB
    expect(q(0x2a)).toBe(0x000b000b);
    expect(q(0x2c)).toBe(0x00010001);
    expect([q(0x2d), q(0x2e), q(0x2f), q(0x30)]).toEqual([0x00ff00ff, 0, 0, 0x00020002]); // 256 blocks of 128 KiB per device
    expect(q(0x52)).toBe(0); // past the table
    expect(rd(b, 0x10 * 4, 1)).toBe(0x51);
    expect(rd(b, 0x10 * 4, 2)).toBe(0x0051);
    wr(b, 0, 0x1234); // anything but 0xff stays in query mode
    expect(q(0x10)).toBe(0x00510051);
    wr(b, 0, 0xff);
    expect(pflashReadArray(b.s)).toBe(true);
    expect(rd(b, 0x40)).toBe(0);
  });

  it('read identifier: manufacturer 0x89, device 0x18, blocks unlocked', () => {
    const b = bank();
    wr(b, 0, 0x90);
    expect(rd(b, 0)).toBe(0x00890089);
    expect(rd(b, 4)).toBe(0x00180018);
    expect(rd(b, 8)).toBe(0); // lock status of block 0
    expect(rd(b, FLASH_SECTOR_BYTES + 8)).toBe(0);
    wr(b, 0, 0xff);
    expect(rd(b, 0)).toBe(0);
  });

  it('word program then read status (SR.7 ready on both devices), back to read array with 0xff', () => {
    const b = bank();
    wr(b, 0x1000, 0x40);
    wr(b, 0x1000, 0xcafef00d);
    expect(rd(b, 0x1000)).toBe(0x00800080); // status, not data, until read array
    expect(rd(b, 0x1000, 1)).toBe(0x80);
    wr(b, 0, 0xff);
    expect(rd(b, 0x1000)).toBe(0xcafef00d);
  });

  it('block erase erases the whole 256 KiB block at the first cycle; 0xd0 confirms', () => {
    const base = new Uint8Array(2 * FLASH_SECTOR_BYTES).fill(0x5a);
    const b = bank(base);
    wr(b, FLASH_SECTOR_BYTES + 0x100, 0x20);
    expect(rd(b, 0)).toBe(0x00800080);
    wr(b, FLASH_SECTOR_BYTES + 0x100, 0xd0);
    wr(b, 0, 0xff);
    expect(rd(b, FLASH_SECTOR_BYTES - 4)).toBe(0x5a5a5a5a);
    expect(rd(b, FLASH_SECTOR_BYTES)).toBe(0xffffffff);
    expect(rd(b, 2 * FLASH_SECTOR_BYTES - 4)).toBe(0xffffffff);
    expect(base[FLASH_SECTOR_BYTES]).toBe(0x5a); // the base image is never written
  });

  it('write to buffer: count, data words, confirm', () => {
    const b = bank();
    wr(b, 0x2000, 0xe8);
    expect(rd(b, 0x2000)).toBe(0x00800080); // buffer available
    wr(b, 0x2000, 1); // two words (N - 1)
    wr(b, 0x2000, 0x11111111);
    wr(b, 0x2004, 0x22222222);
    expect(b.s.wcycle).toBe(3);
    wr(b, 0x2000, 0xd0);
    expect(b.s.wcycle).toBe(0);
    wr(b, 0, 0xff);
    expect([rd(b, 0x2000), rd(b, 0x2004), rd(b, 0x2008)]).toEqual([0x11111111, 0x22222222, 0]);
  });

  it('clear status, read status, lock/unlock', () => {
    const b = bank();
    wr(b, 0, 0x50);
    expect(pflashReadArray(b.s)).toBe(true);
    wr(b, 0, 0x70);
    expect(rd(b, 0)).toBe(0);
    wr(b, 0, 0x60);
    wr(b, 0, 0xd0); // unlock
    expect(rd(b, 0)).toBe(0x00800080);
    wr(b, 0, 0x60);
    wr(b, 0, 0x01); // lock (not kept)
    wr(b, 0, 0x90);
    expect(rd(b, 8)).toBe(0);
  });

  it('unknown commands return to read array and are counted; wide and unaligned accesses', () => {
    const b = bank(new Uint8Array([1, 2, 3, 4]));
    wr(b, 0, 0x42);
    expect(pflashReadArray(b.s)).toBe(true);
    expect(b.s.unimplemented).toBe(1);
    expect(wr(b, 2, 0x98, 4)).toBe(false); // unaligned write: bus error
    expect(wr(b, 0, 0x0000_00ff_0000_0098n, 8)).toBe(true); // two 32-bit cycles: query, then 0xff
    expect(pflashReadArray(b.s)).toBe(true);
    wr(b, 0, 0x98);
    expect(pflashRead(b.s, b.st, 2, 4)).toBeUndefined(); // unaligned read outside read-array mode
    expect(pflashRead(b.s, b.st, 0x10 * 4, 8)).toBe(0x0052005200510051n);
  });

  it('keeps the bank size QEMU gives virt', () => {
    expect(FLASH_BANK_BYTES / FLASH_SECTOR_BYTES).toBe(256);
  });
});
