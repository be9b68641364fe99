// Conformance suite `mmu`: EL1 stage-1 translation (4 KB granule, 39-bit VA)
// as a guest sees it. The runtime's identity map (1 GiB Device block for
// MMIO, 2 MiB Normal blocks for RAM) is checked with AT S1E1R; then a second
// region at VA 0x80000000 is built (L1[2] -> L2 -> L3 pages) and remapped:
// an alias of a data page read and written through the other VA, AT reporting
// the remapped PA, a change of the page's target made visible by TLBI VAE1,
// a 2 MiB block alias, an executable alias of a code page; and the faults
// (Arm ARM D8 and D17.2.37 DFSC/IFSC): translation fault level 3 after an
// unmap + TLBI, permission fault level 3 for a store to a read-only page,
// access flag fault level 3 for AF = 0, instruction abort for a PXN page.
import { Asm, DESC, buildProgram } from './runtime.js';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const PAGE_NORMAL = DESC.AF | DESC.SH_INNER | DESC.ATTR_NORMAL | DESC.PAGE;
const MARK_A = 0x1111_aaaa_2222_bbbbn;
const MARK_B = 0x3333_cccc_4444_ddddn;
const ALIAS = 0x8000_0000n;

export function mmuSource(): string {
  const a = new Asm('mm_');
  const tlbiAll = '    dsb ishst\n    tlbi vmalle1\n    dsb ish\n    isb\n';
  const setL3 = (idx: number, target: string, attrs: bigint): string =>
    `    ldr x1, =${target}\n    ldr x2, =${hex(attrs)}\n    orr x1, x1, x2\n    ldr x0, =mmu_l3\n    str x1, [x0, #${idx * 8}]\n`;
  const fault = (what: string, insn: string, va: bigint, ec: number, fsc: number, wnr?: number): string => `
    ldr x24, =${hex(va)}
${Asm.expect()}
    ${insn}
${Asm.taken()}
    mov x19, x0
    mov x21, x1
${a.checkReg('x3', `${what}-taken`)}
    lsr x10, x19, #26
    cmp x10, #${ec}
${a.check('eq', `${what}-esr-ec-0x${ec.toString(16)}`)}
    and x10, x19, #0x3f
    cmp x10, #${fsc}
${a.check('eq', `${what}-fsc-0x${fsc.toString(16).padStart(2, '0')}`)}
${wnr === undefined ? '' : `    ubfx x10, x19, #6, #1\n    cmp x10, #${wnr}\n${a.check('eq', `${what}-wnr-${wnr}`)}`}
    cmp x21, x24
${a.check('eq', `${what}-far`)}
`;
  const main = `
    // ---- the identity map ----
    mrs x0, sctlr_el1
    tst x0, #1
${a.check('ne', 'sctlr-m-set')}
    ldr x20, =page_a
    at s1e1r, x20
    isb
    mrs x21, par_el1
    tst x21, #1
${a.check('eq', 'at-identity-ram-no-fault')}
    ubfx x1, x21, #12, #36
    lsl x1, x1, #12
    cmp x1, x20
${a.check('eq', 'at-identity-ram-pa-equals-va')}
    lsr x1, x21, #56
    cmp x1, #0xff
${a.check('eq', 'at-identity-ram-normal-wb')}
    ldr x20, =0x09000000
    at s1e1r, x20
    isb
    mrs x21, par_el1
    tst x21, #1
${a.check('eq', 'at-identity-uart-no-fault')}
    lsr x1, x21, #56
    cmp x1, #0
${a.check('eq', 'at-identity-uart-device-ngnrne')}
    ldr x20, =${hex(ALIAS)}
    at s1e1r, x20
    isb
    mrs x0, par_el1
    tst x0, #1
${a.check('ne', 'at-unmapped-va-reports-fault')}

    // ---- build the alias region: L1[2] -> mmu_l2, L2[0] -> mmu_l3 ----
    ldr x0, =page_a
    ldr x1, =${hex(MARK_A)}
    str x1, [x0]
    ldr x0, =page_b
    ldr x1, =${hex(MARK_B)}
    str x1, [x0]
    ldr x0, =mmu_l2
    ldr x1, =mmu_l3
    orr x1, x1, #3
    str x1, [x0]
    ldr x1, =page_a                 // L2[1]: 2 MiB block aliasing the image's 2 MiB
    and x1, x1, #0xffffffffffe00000
    ldr x2, =${hex(DESC.AF | DESC.SH_INNER | DESC.ATTR_NORMAL | DESC.BLOCK)}
    orr x1, x1, x2
    str x1, [x0, #8]
${setL3(0, 'page_a', PAGE_NORMAL)}
${setL3(1, 'page_a', PAGE_NORMAL | DESC.AP_RO)}
${setL3(2, 'page_a', PAGE_NORMAL & ~DESC.AF)}
${setL3(3, 'code_page', PAGE_NORMAL | DESC.PXN)}
${setL3(4, 'code_page', PAGE_NORMAL)}
    ldr x0, =l1_table
    ldr x1, =mmu_l2
    orr x1, x1, #3
    str x1, [x0, #16]
${tlbiAll}
    // ---- remap ----
    ldr x20, =${hex(ALIAS)}
    ldr x0, [x20]
    ldr x1, =${hex(MARK_A)}
    cmp x0, x1
${a.check('eq', 'alias-page-reads-target')}
    ldr x1, =0x5566778899
    str x1, [x20, #8]
    dsb ish
    ldr x0, =page_a
    ldr x0, [x0, #8]
    cmp x0, x1
${a.check('eq', 'alias-page-write-visible-at-identity')}
    at s1e1r, x20
    isb
    mrs x0, par_el1
    tst x0, #1
    ubfx x1, x0, #12, #36
    lsl x1, x1, #12
    ldr x2, =page_a
    ccmp x1, x2, #0, eq
${a.check('eq', 'at-alias-reports-target-pa')}
    ldr x0, =${hex(ALIAS + 0x20_0000n)}
    ldr x1, =page_a
    and x2, x1, #0x1fffff
    ldr x0, [x0, x2]
    ldr x1, =${hex(MARK_A)}
    cmp x0, x1
${a.check('eq', 'alias-2m-block-reads-target')}
    // retarget L3[0] to page_b; TLBI VAE1 makes it visible
${setL3(0, 'page_b', PAGE_NORMAL)}
    dsb ishst
    lsr x0, x20, #12
    tlbi vae1, x0
    dsb ish
    isb
    ldr x0, [x20]
    ldr x1, =${hex(MARK_B)}
    cmp x0, x1
${a.check('eq', 'retarget-visible-after-tlbi-vae1')}
    // the read-only alias reads
    ldr x0, =${hex(ALIAS + 0x1000n)}
    ldr x0, [x0]
    ldr x1, =${hex(MARK_A)}
    cmp x0, x1
${a.check('eq', 'read-only-alias-readable')}
    // the executable alias of the code page runs
    ldr x0, =${hex(ALIAS + 0x4000n)}
    mov x1, #0
    blr x0
    cmp x0, #0x77
${a.check('eq', 'executable-alias-runs')}
${fault('store-read-only-page', 'str x5, [x24]', ALIAS + 0x1008n, 0x25, 0x0f, 1)}
${fault('load-access-flag-clear', 'ldr x5, [x24]', ALIAS + 0x2010n, 0x25, 0x0b, 0)}
${fault('exec-pxn-page', 'blr x24', ALIAS + 0x3000n, 0x21, 0x0f)}
    // unmap L3[0], TLBI, then the load faults at level 3
    ldr x0, =mmu_l3
    str xzr, [x0]
    dsb ishst
    lsr x0, x20, #12
    tlbi vae1, x0
    dsb ish
    isb
${fault('load-after-unmap', 'ldr x5, [x24]', ALIAS + 0x18n, 0x25, 0x07, 0)}
${fault('load-unmapped-l2-entry', 'ldr x5, [x24]', ALIAS + 0x40_0000n, 0x25, 0x06, 0)}
`;
  const code = `
    .balign 4096
code_page:
    mov x0, #0x77
    ret
    .balign 4096
`;
  const data = `
    .balign 4096
page_a: .space 4096
page_b: .space 4096
mmu_l2: .space 4096
mmu_l3: .space 4096
`;
  return buildProgram({ name: 'mmu', main, code, data, asm: a });
}
