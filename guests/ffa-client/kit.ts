// The pieces a client check is written with: each check is one A64
// subroutine generated from TypeScript. Its body makes FF-A calls through
// the conduit routine `ffa` (x0-x7 in and out), asserts on the answers, and
// either falls through (PASS) or branches to its fail path with a detail
// string and a value (FAIL). Bodies may use x19-x26 (saved around each
// check) and x0-x18 (the routines clobber them); x28 holds the client's own
// endpoint ID (from FFA_ID_GET); x27 is not saved, so bodies leave it alone.
import * as F from '../../core/ffa/functionIds.js';

export type Arg = number | bigint | string;

const hex = (v: number | bigint): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;

/** A64 that puts `v` in `reg`: a register name or an immediate. */
export function load(reg: string, v: Arg): string {
  if (typeof v === 'string') return v === reg ? '' : `    mov ${reg}, ${v}`;
  const u = BigInt.asUintN(64, BigInt(v));
  if (u < 0x1_0000n) return `    mov ${reg}, #${hex(u)}`;
  return `    ldr ${reg}, =${hex(u)}`;
}

export class CheckAsm {
  private readonly lines: string[] = [];
  private readonly strings: Array<[string, string]> = [];
  private n = 0;

  constructor(readonly id: string) {}

  /** Raw A64 lines. */
  asm(text: string): this {
    this.lines.push(text);
    return this;
  }

  private label(): string {
    return `${this.id}_l${this.n++}`;
  }

  private str(text: string): string {
    const l = `${this.id}_s${this.strings.length}`;
    this.strings.push([l, text]);
    return l;
  }

  /** x1 = this endpoint << 16 | target: the endpoints word of a message from the client. */
  static endpoints(target: Arg): string {
    return `${load('x9', target)}\n    orr x1, x9, x28, lsl #16`;
  }

  /** An FF-A call: x0 = fid, then x1.. the arguments (an `endpoints:` string sets x1 from the target). */
  call(fid: number | bigint | string, ...args: Arg[]): this {
    const set: string[] = [];
    args.forEach((a, i) => {
      const reg = `x${i + 1}`;
      if (typeof a === 'string' && a.startsWith('endpoints:')) set.push(CheckAsm.endpoints(a.slice('endpoints:'.length)));
      else set.push(load(reg, a));
    });
    for (let i = args.length + 1; i <= 7; i++) set.push(`    mov x${i}, #0`);
    set.push(load('x0', fid));
    set.push('    bl ffa');
    return this.asm(set.filter((l) => l !== '').join('\n'));
  }

  /** Fail unless `cond` holds after the preceding compare; the value printed is `valueReg`. */
  failUnless(cond: string, detail: string, valueReg = 'x2'): this {
    const ok = this.label();
    return this.asm(`    b.${cond} ${ok}\n    mov x9, ${valueReg}\n    adr x10, ${this.str(detail)}\n    b ${this.id}_fail\n${ok}:`);
  }

  /** Fail unconditionally. */
  fail(detail: string, valueReg = 'x2'): this {
    return this.asm(`    mov x9, ${valueReg}\n    adr x10, ${this.str(detail)}\n    b ${this.id}_fail`);
  }

  /** x0 is one of `fids`. */
  expectFid(fids: readonly number[], detail: string): this {
    const ok = this.label();
    for (const f of fids) this.asm(`${load('x9', f)}\n    cmp x0, x9\n    b.eq ${ok}`);
    this.fail(`${detail}`);
    return this.asm(`${ok}:`);
  }

  expectSuccess(detail: string): this {
    return this.expectFid([F.FFA_SUCCESS_32, F.FFA_SUCCESS_64], detail);
  }

  /** FFA_ERROR with `code` in w2. */
  expectError(code: number, detail: string): this {
    this.asm(`${load('x9', F.FFA_ERROR)}\n    cmp w0, w9`);
    this.failUnless('eq', `${detail}: not FFA_ERROR`, 'x0');
    this.asm(`    sxtw x9, w2\n    cmn x9, #${-code}`);
    return this.failUnless('eq', `${detail}: wrong error code`, 'x2');
  }

  /** `reg` (64-bit) equals `value`. */
  expectReg(reg: string, value: Arg, detail: string): this {
    this.asm(`${load('x11', value)}\n    cmp ${reg}, x11`);
    return this.failUnless('eq', detail, reg);
  }

  /** A direct request (32- or 64-bit) to `target` with command and up to four arguments, answered by a
   *  direct response of the same width (x3 = status then). */
  direct(width: 32 | 64, target: Arg, cmd: number, ...args: Arg[]): this {
    const req = width === 32 ? F.FFA_MSG_SEND_DIRECT_REQ_32 : F.FFA_MSG_SEND_DIRECT_REQ_64;
    const resp = width === 32 ? F.FFA_MSG_SEND_DIRECT_RESP_32 : F.FFA_MSG_SEND_DIRECT_RESP_64;
    this.call(req, `endpoints:${typeof target === 'string' ? target : hex(target)}`, 0, cmd, ...args);
    return this.expectFid([resp], `no direct response from ${typeof target === 'string' ? target : hex(target)}`);
  }

  /** ... and the status in x3 is 0. */
  directOk(width: 32 | 64, target: Arg, cmd: number, ...args: Arg[]): this {
    this.direct(width, target, cmd, ...args);
    this.asm('    sxtw x9, w3\n    cmp x9, #0');
    return this.failUnless('eq', `partition status`, 'x9');
  }

  /** The check's subroutine and its strings. */
  render(name: string): { code: string; data: string } {
    const code = `
${this.id}:
    stp x29, x30, [sp, #-80]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
${this.lines.join('\n')}
    mov x0, #0
    b ${this.id}_end
${this.id}_fail:
    adr x11, fail_regs
    stp x0, x9, [x11]
    mov x0, x10
${this.id}_end:
    ldp x25, x26, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #80
    ret`;
    const data = [[`${this.id}_name`, name] as [string, string], ...this.strings].map(([l, t]) => `${l}:\n    .asciz ${JSON.stringify(t)}`).join('\n');
    return { code, data };
  }
}
