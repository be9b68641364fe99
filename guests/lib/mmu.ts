// The identity-map MMU set-up the bundled guests share: MAIR attr0 =
// Device-nGnRnE, attr1 = Normal write-back; TCR: T0SZ = 25 (39-bit VA), 4 KiB
// granule, inner/outer write-back, inner shareable, EPD1, IPS = 40 bits.
export const MAIR = 0xff00n;
export const TCR = 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n) | (2n << 32n);

/** A64 that installs `vectors`, MAIR/TCR and `l1_table` in TTBR0, drops
 *  stale TLB entries and turns on the MMU and caches, using `reg` as scratch. */
export function mmuOnAsm(reg: 'x0' | 'x1'): string {
  return `    ldr ${reg}, =vectors
    msr vbar_el1, ${reg}
    ldr ${reg}, =0x${MAIR.toString(16)}
    msr mair_el1, ${reg}
    ldr ${reg}, =0x${TCR.toString(16)}
    msr tcr_el1, ${reg}
    ldr ${reg}, =l1_table
    msr ttbr0_el1, ${reg}
    isb
    tlbi vmalle1
    dsb nsh
    isb
    mrs ${reg}, sctlr_el1
    orr ${reg}, ${reg}, #1                  // M
    orr ${reg}, ${reg}, #4                  // C
    orr ${reg}, ${reg}, #0x1000             // I
    msr sctlr_el1, ${reg}
    isb
`;
}
