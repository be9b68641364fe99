// The machine's flash banks on the physical bus: a bare EL1 program drives
// bank 1 with CFI commands through ordinary loads and stores; its writes go
// to the copy-on-write overlay (the base image is never touched), a snapshot
// carries them (and only them), and a restored machine continues with the
// same contents once given its base image again.
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from '../firmware/boot.js';
import { Machine } from '../machine.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import { attachMachineFlash, machineFlash, FlashError } from './flashBanks.js';
import { FLASH_BANK_BYTES } from './pflash.js';

const B1 = FLASH_BANK_BYTES;
const RES = 0x4010_0000;

const PROGRAM = `
    ldr x9, =${RES}
    ldr x3, =${B1}
    ldr w5, [x3, #8]            // read array: the base image
    str x5, [x9, #0]
    ldr w4, =0x98
    str w4, [x3, #${0x55 * 4}]
    ldr w5, [x3, #${0x11 * 4}]  // 'R' on both devices
    str x5, [x9, #8]
    ldr w4, =0xff
    str w4, [x3]
    ldr w4, =0x10
    str w4, [x3, #0x1000]
    ldr w4, =0x12345678
    str w4, [x3, #0x1000]
    ldr w4, =0xff
    str w4, [x3]
    ldr w5, [x3, #0x1000]
    str x5, [x9, #16]
    ldr w5, [x3, #8]
    str x5, [x9, #24]
    ldr x0, =0x84000008
    hvc #0
`;

function machine(): Machine {
  return new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 3n });
}

describe('machine flash banks', () => {
  it('CFI from a bare program; writes in the overlay; a snapshot carries them', () => {
    const m = machine();
    const base = new Uint8Array(FLASH_BANK_BYTES);
    base.set([0xef, 0xbe, 0xad, 0xde], 8);
    const f = attachMachineFlash(m, [undefined, base]);
    bootKernel(m, { kernel: assemble(PROGRAM, { baseAddress: 0x40080000n }).bytes }, { flash: true });
    expect(m.run(100_000)).toEqual({ kind: 'system-off' });
    const rd = (n: number): bigint => {
      const b = m.core.readPhys(RES + 8 * n, 8);
      return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    };
    expect(rd(0)).toBe(0xdeadbeefn);
    expect(rd(1)).toBe(0x00520052n);
    expect(rd(2)).toBe(0x12345678n);
    expect(rd(3)).toBe(0xdeadbeefn);
    expect(base[0x1000]).toBe(0); // the base image is an input, never written
    expect(f.written(1)).toBe(true);
    expect(f.written(0)).toBe(false);
    expect(Object.keys(f.getState().banks[1]!.overlay)).toEqual(['1']);
    expect(f.image(1)[0x1003]).toBe(0x12);

    const snap = saveFull(m).bytes;
    const m2 = machine();
    const f2 = attachMachineFlash(m2);
    restoreInto(m2, snap);
    expect(f2.missingBases()).toEqual([1]);
    expect(() => f2.attachBase(1, new Uint8Array(16))).toThrow(FlashError);
    f2.attachBase(1, base);
    expect(f2.missingBases()).toEqual([]);
    // Buffer.compare: a deep toEqual of two 64 MiB arrays takes minutes.
    expect(Buffer.compare(machineFlash(m2)!.image(1), f.image(1))).toBe(0);
    expect(m2.bus.read(B1 + 0x1000, 4, 0)).toBe(0x12345678n);
    expect(m2.bus.read(B1 + 8, 4, 0)).toBe(0xdeadbeefn);
  });

  it('an untouched flash adds only its small record to a snapshot', () => {
    const plain = machine();
    bootKernel(plain, { kernel: assemble('wfi', { baseAddress: 0x40080000n }).bytes });
    const withFlash = machine();
    attachMachineFlash(withFlash, [new Uint8Array(1 << 20).fill(0x77), new Uint8Array(FLASH_BANK_BYTES).fill(0xff)]);
    bootKernel(withFlash, { kernel: assemble('wfi', { baseAddress: 0x40080000n }).bytes }, { flash: true });
    const a = saveFull(plain).bytes.length;
    const b = saveFull(withFlash).bytes.length;
    expect(b - a).toBeLessThan(1024); // the device tree grew a node; no flash contents
  });

  it('unaligned accesses outside read-array mode are bus errors; 64-bit ones are two cycles', () => {
    const m = machine();
    attachMachineFlash(m);
    expect(m.bus.read(2, 4, 0)).toBe(0n); // read array: memory
    expect(m.bus.write(2, 4, 0x98n, 0)).toBe(false);
    expect(m.bus.write(0, 8, 0x98n, 0)).toBe(true); // 0x98 then 0x00 (a read-array alias)
    expect(m.bus.write(0, 4, 0x98n, 0)).toBe(true);
    expect(m.bus.read(2, 4, 0)).toBeUndefined();
    expect(m.bus.read(0x10 * 4, 8, 0)).toBe(0x0052005200510051n);
  });
});
