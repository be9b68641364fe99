// Exception-handling scaffolding shared by the bundled EL1 guests: saving and
// restoring the general-purpose registers around a handler, and a VBAR_EL1
// vector table whose current-EL SPx synchronous and IRQ entries branch to the
// including program's `el1_sync` and `el1_irq`; every other entry loads its
// offset into x21 and branches to its `bad_vector`.

/** Push x0-x30 in a frame of `frameBytes` (at least 248, a multiple of 16). */
export function saveGprs(frameBytes: number): string {
  return [
    `    sub sp, sp, #${frameBytes}`,
    ...Array.from({ length: 15 }, (_, i) => `    stp x${2 * i}, x${2 * i + 1}, [sp, #${16 * i}]`),
    '    str x30, [sp, #240]',
  ].join('\n');
}

/** Pop what saveGprs(frameBytes) pushed. */
export function restoreGprs(frameBytes: number): string {
  return [
    ...Array.from({ length: 15 }, (_, i) => `    ldp x${2 * i}, x${2 * i + 1}, [sp, #${16 * i}]`),
    '    ldr x30, [sp, #240]',
    `    add sp, sp, #${frameBytes}`,
  ].join('\n');
}

const VECTOR_NAMES = [
  'cur_sp0_sync', 'cur_sp0_irq', 'cur_sp0_fiq', 'cur_sp0_serror', 'cur_spx_sync', 'cur_spx_irq', 'cur_spx_fiq', 'cur_spx_serror',
  'lower64_sync', 'lower64_irq', 'lower64_fiq', 'lower64_serror', 'lower32_sync', 'lower32_irq', 'lower32_fiq', 'lower32_serror',
];

/** The 16 entries of the table (the caller places it at a 2 KiB boundary). */
export function vectorEntries(): string {
  return VECTOR_NAMES.map((name, i) => {
    const body = i === 4 ? '    b el1_sync' : i === 5 ? '    b el1_irq' : `    mov x21, #${i * 0x80}\n    b bad_vector`;
    return `    .balign 128\nvec_${name}:\n${body}`;
  }).join('\n');
}
