// A CPU-bound bare-metal guest for `npm run bench`: identity-maps RAM with
// the MMU on (2 MiB blocks, plus 4 KiB pages for the data buffer), then runs
// kernel-like work: block copies with load/store pairs, a hashing loop,
// leaf-function calls with frame set-up, and a branchy scan. It prints a
// checksum so every emulator running it can be checked to agree, and ends
// with PSCI SYSTEM_OFF. The same binary runs under hvrr and QEMU.
import { assemble } from '../../core/asm/assembler.js';

export const BENCH_LOAD_ADDRESS = 0x4008_0000n;

export function cpuBenchSource(iterations: number): string {
  return `
_start:
  // --- page tables: L1 @0x40200000, L2 (1-2 GiB) @0x40201000, L3 for the data buffer @0x40202000
  ldr x0, =0x40200000
  mov x1, #0
1: str xzr, [x0, x1]
  add x1, x1, #8
  cmp x1, #0x3000
  b.lo 1b
  // L1[0]: 0-1 GiB device block (AttrIndx 0), AF, XN
  ldr x2, =0x0060000000000401
  str x2, [x0]
  // L1[1]: table -> L2
  ldr x2, =0x40201003
  str x2, [x0, #8]
  // L2: 512 x 2 MiB normal blocks for 0x40000000.., AttrIndx 1, inner shareable, AF
  ldr x3, =0x40201000
  ldr x4, =0x40000705
  mov x5, #512
2: str x4, [x3], #8
  add x4, x4, #0x200000
  subs x5, x5, #1
  b.ne 2b
  // L2[2] (0x40400000-0x405fffff): table -> L3 with 4 KiB pages
  ldr x3, =0x40201000
  ldr x2, =0x40202003
  str x2, [x3, #16]
  ldr x3, =0x40202000
  ldr x4, =0x40400707
  mov x5, #512
3: str x4, [x3], #8
  add x4, x4, #0x1000
  subs x5, x5, #1
  b.ne 3b
  // MAIR: attr0 Device-nGnRnE, attr1 Normal WB; TCR: T0SZ=25, 4 KiB, IPS 40-bit, EPD1
  ldr x0, =0xff00
  msr mair_el1, x0
  ldr x0, =0x2008b3519
  msr tcr_el1, x0
  ldr x0, =0x40200000
  msr ttbr0_el1, x0
  dsb sy
  isb
  ldr x0, =0x30d01805
  msr sctlr_el1, x0
  isb
  ldr x0, =0x40700000
  mov sp, x0

  // --- fill the source buffer (64 KiB at 0x40400000)
  ldr x0, =0x40400000
  ldr x1, =0x9e3779b97f4a7c15
  mov x2, #8192
4: str x1, [x0], #8
  eor x1, x1, x1, lsl #13
  eor x1, x1, x1, lsr #7
  eor x1, x1, x1, lsl #17
  subs x2, x2, #1
  b.ne 4b

  ldr x20, =${iterations}
  mov x21, #0            // checksum
outer:
  // copy 4 KiB with ldp/stp (src 0x40400000 + (i*4K mod 64K) -> 0x40500000)
  and x9, x20, #15
  lsl x9, x9, #12
  ldr x0, =0x40400000
  add x0, x0, x9
  ldr x1, =0x40500000
  mov x2, #64
5: ldp x3, x4, [x0], #16
  ldp x5, x6, [x0], #16
  ldp x7, x8, [x0], #16
  ldp x10, x11, [x0], #16
  stp x3, x4, [x1], #16
  stp x5, x6, [x1], #16
  stp x7, x8, [x1], #16
  stp x10, x11, [x1], #16
  subs x2, x2, #1
  b.ne 5b
  // hash the copy
  ldr x0, =0x40500000
  mov x2, #512
6: ldr x3, [x0], #8
  eor x21, x21, x3
  ror x21, x21, #27
  add x21, x21, x3, lsr #3
  mul x4, x21, x3
  add x21, x21, x4
  subs x2, x2, #1
  b.ne 6b
  // leaf calls
  mov x19, #32
7: mov x0, x21
  mov x1, x19
  bl mix
  mov x21, x0
  subs x19, x19, #1
  b.ne 7b
  // branchy scan: count words above a threshold, track a max
  ldr x0, =0x40500000
  mov x2, #256
  mov x5, #0
  mov x6, #0
  lsr x7, x21, #1
8: ldr w3, [x0], #4
  cmp x3, x7
  b.ls 9f
  add x5, x5, #1
9: cmp x3, x6
  csel x6, x3, x6, hi
  tbz x3, #0, 10f
  add x5, x5, #3
10: subs x2, x2, #1
  b.ne 8b
  add x21, x21, x5
  eor x21, x21, x6
  subs x20, x20, #1
  b.ne outer

  // print the checksum in hex, then power off
  ldr x1, =0x09000000
  mov x2, #60
11: lsr x3, x21, x2
  and x3, x3, #15
  cmp x3, #10
  b.lo 12f
  add x3, x3, #39
12: add x3, x3, #48
  str w3, [x1]
  subs x2, x2, #4
  b.pl 11b
  mov x3, #10
  str w3, [x1]
  ldr x0, =0x84000008
  hvc #0
13: b 13b

mix:
  stp x29, x30, [sp, #-32]!
  mov x29, sp
  str x19, [sp, #16]
  eor x0, x0, x1
  add x0, x0, x0, lsl #5
  eor x0, x0, x0, lsr #11
  ldr x19, [sp, #16]
  ldp x29, x30, [sp], #32
  ret
`;
}

/** The benchmark guest as a raw binary to load at BENCH_LOAD_ADDRESS. */
export function cpuBenchBinary(iterations: number): Uint8Array {
  return assemble(cpuBenchSource(iterations), { baseAddress: BENCH_LOAD_ADDRESS }).bytes;
}
