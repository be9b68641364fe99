// A64 routines shared by the bundled guests: print a number on the console.
// The including program provides `putc` (w0 = byte) and `puts` (x0 = NUL-
// terminated string); both routines may clobber x0-x12 and use x19 saved.
export const PRINT_NUMBERS_ASM = `
put_hex:                            // x0 = value, printed 0x... without leading zeros
    stp x29, x30, [sp, #-32]!
    str x19, [sp, #16]
    mov x19, x0
    mov w0, #48
    bl putc
    mov w0, #120
    bl putc
    mov x9, #60
1:  lsr x10, x19, x9
    cbnz x10, 2f
    cbz x9, 2f
    sub x9, x9, #4
    b 1b
2:  lsr x10, x19, x9
    and x10, x10, #0xf
    add x0, x10, #48
    cmp x10, #10
    b.lo 3f
    add x0, x10, #87
3:  bl putc
    cbz x9, 4f
    sub x9, x9, #4
    b 2b
4:  ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

put_dec:                            // x0 = unsigned value in decimal
    stp x29, x30, [sp, #-48]!
    add x9, sp, #47
    strb wzr, [x9]
    mov x10, #10
1:  udiv x11, x0, x10
    msub x12, x11, x10, x0
    add x12, x12, #48
    sub x9, x9, #1
    strb w12, [x9]
    mov x0, x11
    cbnz x0, 1b
    mov x0, x9
    bl puts
    ldp x29, x30, [sp], #48
    ret
`;
