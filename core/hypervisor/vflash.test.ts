// A VM's flash (vflash.ts): firmware assembled for address 0 runs from bank 0
// (read-only in Stage 2 while in read-array mode), finds the device tree at
// the start of RAM with x0 = 0, and drives bank 1 with CFI commands: query,
// identifier, word program, block erase, write to buffer; each command
// unmaps the bank (reads trap and get the model's answer) and read array
// maps it again.
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/assembler.js';
import { FLASH_BANK_BYTES, FLASH_SECTOR_BYTES } from '../devices/pflash.js';
import { s2Translate } from './stage2.js';
import { hvMachine } from './testing.js';
import { readGuest64 } from './testGuest.js';

const MiB = 1 << 20;
const RES = 0x4010_0000;
const B1 = FLASH_BANK_BYTES; // bank 1 at IPA 0x04000000

/** Firmware at IPA 0: results at RES + 8n, then PSCI SYSTEM_OFF. */
const FIRMWARE = `
    mov x20, x0                 // x0 at entry
    ldr x9, =${RES}
    str x20, [x9, #0]
    ldr x1, =0x40000000
    ldr w2, [x1]                // the device tree's magic (big-endian 0xd00dfeed)
    str x2, [x9, #8]
    ldr x1, =entry_word
    ldr w2, [x1]                // a data read of our own code in flash
    str x2, [x9, #16]
    ldr x3, =${B1}
    // CFI query on bank 1
    ldr w4, =0x98
    str w4, [x3, #${0x55 * 4}]
    ldr w5, [x3, #${0x10 * 4}]
    str x5, [x9, #24]
    ldr w5, [x3, #${0x27 * 4}]
    str x5, [x9, #32]
    // identifier (query mode is left only with read array, as QEMU)
    ldr w4, =0xff
    str w4, [x3]
    ldr w4, =0x90
    str w4, [x3]
    ldr w5, [x3]
    ldr w6, [x3, #4]
    bfi x5, x6, #32, #32
    str x5, [x9, #40]
    // word program at 0x100, status, read array, read back
    ldr w4, =0x40
    str w4, [x3, #0x100]
    ldr w4, =0xcafef00d
    str w4, [x3, #0x100]
    ldr w5, [x3, #0x100]
    str x5, [x9, #48]
    ldr w4, =0xff
    str w4, [x3]
    ldr w5, [x3, #0x100]
    str x5, [x9, #56]
    // block erase of block 1 (pre-filled by the test with 0x5a)
    ldr x7, =${B1 + FLASH_SECTOR_BYTES}
    ldr w4, =0x20
    str w4, [x7]
    ldr w4, =0xd0
    str w4, [x7]
    ldr w4, =0xff
    str w4, [x7]
    ldr w5, [x7, #0x40]
    str x5, [x9, #64]
    // write to buffer: two words at 0x200 with one 64-bit store of the data
    ldr w4, =0xe8
    str w4, [x3, #0x200]
    mov w4, #1
    str w4, [x3, #0x200]
    ldr x4, =0x2222222211111111
    str x4, [x3, #0x200]
    ldr w4, =0xd0
    str w4, [x3, #0x200]
    ldr w4, =0xff
    str w4, [x3]
    ldr x5, [x3, #0x200]
    str x5, [x9, #72]
    ldr x0, =0x84000008
    hvc #0
entry_word:
    .word 0x600dc0de
`;

describe('VM flash (--bios, --pflash)', () => {
  it('runs firmware from bank 0 and drives bank 1 with CFI commands', () => {
    const bios = assemble(FIRMWARE, { baseAddress: 0n }).bytes;
    const pflash = new Uint8Array(FLASH_BANK_BYTES);
    pflash.fill(0x5a, FLASH_SECTOR_BYTES, 2 * FLASH_SECTOR_BYTES);
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, bios, pflash }] });
    const hv = r.hv;
    const vm = hv.s.vms[0]!;
    const f = vm.flash!;
    expect(s2Translate(r.m.core, vm.s2Root, 0)).toBe(f.backingPa);
    expect(s2Translate(r.m.core, vm.s2Root, B1 + 8)).toBe(f.backingPa + B1 + 8);
    expect(r.m.run(10_000_000)).toEqual({ kind: 'system-off' });
    const rd = (n: number): bigint => readGuest64(hv, 0, RES + 8 * n);
    expect(rd(0)).toBe(0n);
    expect(rd(1)).toBe(0xedfe0dd0n);
    expect(rd(2)).toBe(0x600dc0den);
    expect(rd(3)).toBe(0x00510051n);
    expect(rd(4)).toBe(0x00190019n);
    expect(rd(5)).toBe(0x0018001800890089n);
    expect(rd(6)).toBe(0x00800080n); // status after the program
    expect(rd(7)).toBe(0xcafef00dn);
    expect(rd(8)).toBe(0xffffffffn);
    expect(rd(9)).toBe(0x2222222211111111n);
    // Back in read-array mode: mapped again; the guest's writes are in the contents.
    expect(f.mapped).toEqual([true, true]);
    expect(f.written).toEqual([false, true]);
    const image = hv.flashImage(0, 1)!;
    expect(image.length).toBe(FLASH_BANK_BYTES);
    expect(Array.from(image.subarray(0x100, 0x104))).toEqual([0x0d, 0xf0, 0xfe, 0xca]);
    expect(image[FLASH_SECTOR_BYTES + 7]).toBe(0xff);
    expect(image[2 * FLASH_SECTOR_BYTES]).toBe(0); // past the erased block
    expect(hv.flashWritten(0, 0)).toBe(false);
  });

  it('a bank in command mode is unmapped: its reads trap to the model', () => {
    const bios = assemble(`
    ldr x3, =${B1}
    ldr w4, =0x70
    str w4, [x3]
    wfi
`, { baseAddress: 0n }).bytes;
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, bios }] });
    r.m.run(100_000);
    const vm = r.hv.s.vms[0]!;
    expect(vm.flash!.mapped).toEqual([true, false]);
    expect(s2Translate(r.m.core, vm.s2Root, B1)).toBe(-1);
    expect(s2Translate(r.m.core, vm.s2Root, 0)).toBe(vm.flash!.backingPa);
  });
});
