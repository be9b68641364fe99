// Conformance suite `exceptions`: synchronous exceptions taken to EL1 and
// their syndrome (Arm ARM D17.2.37 ESR_EL1, D17.2.40 FAR_EL1):
//   SVC #imm (EC 0x15, ISS = imm16, ELR past the SVC), BRK #imm (EC 0x3c,
//   ISS = imm16, ELR at the BRK), UDF (EC 0x00, IL = 1, ELR at it), a load and
//   a store at an unmapped VA (EC 0x25, DFSC 0x05 translation fault level 1,
//   WnR, FAR = the address), an unaligned exclusive load (DFSC 0x21 alignment
//   fault), a branch to a misaligned address (EC 0x22 PC alignment, FAR = the
//   target), an access to an address with nothing behind it (the secure RAM
//   window 0x0e000000, absent on a non-secure `virt`: EC 0x25, DFSC 0x10
//   synchronous external abort), and that exceptions from the handler's own
//   stack (SPSel = 1) use the "current EL with SP_ELx" vector.
import { Asm, buildProgram } from './runtime.js';

export function exceptionsSource(): string {
  const a = new Asm('ex_');
  const esrEc = (ec: number, name: string): string => `    lsr x10, x0, #26\n    cmp x10, #${ec}\n${a.check('eq', name)}`;
  let main = '';
  // SVC
  main += `
${Asm.expect()}
    adr x25, 1f
    svc #0x123
1:
${Asm.taken()}
    mov x19, x0
    mov x20, x2
${a.checkReg('x3', 'svc-taken')}
    mov x0, x19
${esrEc(0x15, 'svc-esr-ec')}
    and x10, x19, #0xffff
    cmp x10, #0x123
${a.check('eq', 'svc-esr-iss-imm16')}
    ubfx x10, x19, #25, #1
    cmp x10, #1
${a.check('eq', 'svc-esr-il')}
    cmp x20, x25
${a.check('eq', 'svc-elr-after-instruction')}
`;
  // BRK
  main += `
${Asm.expect()}
    adr x25, 1f
1:  brk #0x45
${Asm.taken()}
    mov x19, x0
    mov x20, x2
${a.checkReg('x3', 'brk-taken')}
    mov x0, x19
${esrEc(0x3c, 'brk-esr-ec')}
    and x10, x19, #0xffff
    cmp x10, #0x45
${a.check('eq', 'brk-esr-iss-imm16')}
    cmp x20, x25
${a.check('eq', 'brk-elr-at-instruction')}
`;
  // UDF
  main += `
${Asm.expect()}
    adr x25, 1f
1:  udf #0x7
${Asm.taken()}
    mov x19, x0
    mov x20, x2
${a.checkReg('x3', 'undef-taken')}
    ldr x10, =0x2000000
    cmp x19, x10
${a.check('eq', 'undef-esr-ec0-il1')}
    cmp x20, x25
${a.check('eq', 'undef-elr-at-instruction')}
`;
  // Translation faults
  const dabt = (what: string, insn: string, addr: string, wnr: number, dfsc: number): string => `
    ldr x24, =${addr}
${Asm.expect()}
    adr x25, 1f
1:  ${insn}
${Asm.taken()}
    mov x19, x0
    mov x20, x2
    mov x21, x1
${a.checkReg('x3', `${what}-taken`)}
    mov x0, x19
${esrEc(0x25, `${what}-esr-ec-data-abort-same-el`)}
    and x10, x19, #0x3f
    cmp x10, #${dfsc}
${a.check('eq', `${what}-esr-dfsc-0x${dfsc.toString(16).padStart(2, '0')}`)}
    ubfx x10, x19, #6, #1
    cmp x10, #${wnr}
${a.check('eq', `${what}-esr-wnr-${wnr}`)}
${dfsc === 0x10 ? '' : `    cmp x21, x24\n${a.check('eq', `${what}-far`)}`}
    cmp x20, x25
${a.check('eq', `${what}-elr-at-instruction`)}
`;
  main += dabt('load-unmapped-va', 'ldr x5, [x24]', '0x80000010', 0, 0x05);
  main += dabt('store-unmapped-va', 'str x5, [x24]', '0x80001018', 1, 0x05);
  main += dabt('load-high-unmapped-va', 'ldr w5, [x24]', '0x7f00000000', 0, 0x05);
  main += dabt('unaligned-exclusive', 'ldxr x5, [x24]', 'excl_word + 4', 0, 0x21);
  main += dabt('load-nothing-there', 'ldr w5, [x24]', '0x0e000000', 0, 0x10);
  // PC alignment
  main += `
${Asm.expect()}
    ldr x24, =misaligned_target + 2
    blr x24
${Asm.taken()}
    mov x19, x0
    mov x21, x1
${a.checkReg('x3', 'pc-alignment-taken')}
    mov x0, x19
${esrEc(0x22, 'pc-alignment-esr-ec')}
    cmp x21, x24
${a.check('eq', 'pc-alignment-far-is-target')}
`;
  // Vector offset: the handler runs on SP_EL1 (SPSel = 1), so a fault here came
  // through "current EL with SP_ELx" (VBAR + 0x200); one with SPSel = 0 would
  // be reported as unexpected (VBAR + 0x000).
  main += `
    mrs x0, spsel
    cmp x0, #1
${a.check('eq', 'runs-with-spsel-1')}
    mrs x0, currentel
    cmp x0, #4
${a.check('eq', 'runs-at-el1')}
`;
  const code = `
    .balign 8
misaligned_target:
    nop
    ret
`;
  const data = `
    .balign 16
excl_word: .quad 0, 0
`;
  return buildProgram({ name: 'exceptions', main, code, data, asm: a });
}
