// Instruction fetch from the bare machine's flash (QEMU's romd mode): a bank
// in read-array mode is read and executed like RAM from the core's copy of
// its contents; a command takes it out of that mode, so its reads reach the
// CFI model and a fetch from it is an external abort; code programmed into
// flash runs on the next fetch (cached blocks and translations of the old
// contents are dropped). Every case runs under every engine, the translator
// at threshold 1, and must agree with the interpreter.
import { describe, expect, it } from 'vitest';
import { assemble } from '../asm/assembler.js';
import { CPU_ENGINES, type CpuEngine } from '../cpu/cpu.js';
import { bootFirmware, bootKernel } from '../firmware/boot.js';
import { Machine } from '../machine.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import { attachMachineFlash } from './flashBanks.js';
import { FLASH_BANK_BYTES } from './pflash.js';

const RES = 0x4010_0000;
const RAMCODE = 0x4020_0000;

function enc(insn: string): number {
  const b = assemble(insn, { baseAddress: 0n }).bytes;
  return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
}

/** Firmware for bank 0: runs `routine` in flash, reprograms its first
 *  instruction from a programmer copied to RAM, runs it again. */
const FIRMWARE = `
    mov x20, x0
    ldr x9, =${RES}
    str x20, [x9, #0]
    ldr x1, =0x40000000
    ldr w2, [x1]
    str x2, [x9, #8]
    bl routine
    str x21, [x9, #16]
    bl routine
    str x21, [x9, #24]
    adr x1, prog_start
    adr x2, prog_end
    ldr x3, =${RAMCODE}
copy:
    ldr w4, [x1]
    str w4, [x3]
    add x1, x1, #4
    add x3, x3, #4
    cmp x1, x2
    b.ne copy
    adr x6, routine
    ldr w10, =${enc('mov x21, #2')}
    ldr x3, =${RAMCODE}
    blr x3
    bl routine
    str x21, [x9, #40]
    ldr x0, =0x84000008
    hvc #0
routine:
    mov x21, #1
    ret
prog_start:
    mov x7, #0
    mov w4, #0x98
    str w4, [x7, #0x154]
    ldr w5, [x7, #0x40]
    str x5, [x9, #32]
    mov w4, #0xff
    str w4, [x7]
    mov w4, #0x40
    str w4, [x6]
    str w10, [x6]
    mov w4, #0xff
    str w4, [x7]
    ret
prog_end:
`;

function firmwareMachine(engine: CpuEngine): Machine {
  const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 5n });
  m.core.setEngine(engine);
  m.core.setJitThreshold(1);
  attachMachineFlash(m, [assemble(FIRMWARE, { baseAddress: 0n }).bytes]);
  bootFirmware(m);
  return m;
}

function rd(m: Machine, n: number): bigint {
  const b = m.core.readPhys(RES + 8 * n, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

describe('instruction fetch from flash on the bare machine', () => {
  it('runs firmware from bank 0 and runs code programmed into it, under every engine', () => {
    const results = CPU_ENGINES.map((engine) => {
      const m = firmwareMachine(engine);
      expect(m.run(1_000_000), engine).toEqual({ kind: 'system-off' });
      return { engine, res: [0, 1, 2, 3, 4, 5].map((n) => rd(m, n)), insns: m.instructions, digest: m.trace.digest() };
    });
    const ref = results[0]!;
    expect(ref.res).toEqual([0n, 0xedfe0dd0n, 1n, 1n, 0x00510051n, 2n]);
    for (const r of results) expect({ ...r, engine: '' }).toEqual({ ...ref, engine: '' });
  });

  it('a fetch from a bank in command mode is an instruction abort (external); read array makes it code again', () => {
    for (const engine of CPU_ENGINES) {
      const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 5n });
      m.core.setEngine(engine);
      m.core.setJitThreshold(1);
      const bank0 = assemble(`
    mov x22, #7
    br x30
`, { baseAddress: 0n }).bytes;
      attachMachineFlash(m, [bank0]);
      bootKernel(m, { kernel: assemble(`
    ldr x9, =${RES}
    adr x1, vectors
    msr vbar_el1, x1
    mov x0, #0
    blr x0                      // read array: runs 'mov x22, #7'
    str x22, [x9]
    mov w4, #0x70               // read status: the bank leaves romd mode
    str w4, [x0]
    ldr w5, [x0]
    str x5, [x9, #8]
    adr x30, back
    br x0                       // fetch from a bank in command mode
back:
    ldr x0, =0x84000008
    hvc #0
    .balign 2048
vectors:
    .skip 0x200
    mrs x10, esr_el1
    str x10, [x9, #16]
    mrs x10, far_el1
    str x10, [x9, #24]
    mov w4, #0xff
    mov x0, #0
    str w4, [x0]
    mov x22, #0
    mov x0, #0
    blr x0                      // read array again: runs from flash
    str x22, [x9, #32]
    ldr x0, =0x84000008
    hvc #0
`, { baseAddress: 0x40080000n }).bytes }, { flash: true });
      expect(m.run(1_000_000), engine).toEqual({ kind: 'system-off' });
      expect([0, 1, 2, 3, 4].map((n) => rd(m, n)), engine).toEqual([7n, 0x00800080n, (0x21n << 26n) | (1n << 25n) | 0x10n, 0n, 7n]);
    }
  });

  it('a snapshot taken in command mode restores into a machine whose flash is in read-array mode', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 5n });
    const f = attachMachineFlash(m, [undefined, new Uint8Array(1 << 20).fill(0x11)]);
    m.bus.write(FLASH_BANK_BYTES, 4, 0x40n, 0);
    m.bus.write(FLASH_BANK_BYTES, 4, 0xd503201fn, 0); // program a NOP at bank 1's start
    m.bus.write(FLASH_BANK_BYTES, 4, 0x90n, 0); // identifier mode
    const snap = saveFull(m).bytes;
    const m2 = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 5n });
    const f2 = attachMachineFlash(m2, [undefined, new Uint8Array(1 << 20).fill(0x11)]);
    restoreInto(m2, snap);
    expect(m2.bus.read(FLASH_BANK_BYTES, 4, 0)).toBe(0x00890089n);
    expect(f2.getState()).toEqual(f.getState());
    // Back to read array: the programmed word, then the base image, as the core reads them.
    m2.bus.write(FLASH_BANK_BYTES, 4, 0xffn, 0);
    bootKernel(m2, { kernel: assemble(`
    ldr x1, =${FLASH_BANK_BYTES}
    ldr x2, [x1]
    ldr x9, =${RES}
    str x2, [x9]
    ldr x0, =0x84000008
    hvc #0
`, { baseAddress: 0x40080000n }).bytes });
    expect(m2.run(100_000)).toEqual({ kind: 'system-off' });
    expect(rd(m2, 0)).toBe(0x11111111d503201fn);
  });
});
