// Helpers for the proxy's whole-machine tests: FF-A calls in guest
// assembly, results stored in the guest's results area (testGuest.ts).
import { FFA_MSG_SEND_DIRECT_REQ_64 } from '../../ffa/functionIds.js';
const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** x0 = fid, x1.. = args (numbers, or register names), then the conduit instruction. */
export function ffaAsm(insn: 'smc' | 'hvc', fid: number, ...args: Array<number | bigint | string>): string {
  return `    ldr x0, =${hex(fid >>> 0)}\n` +
    args.map((a, i) => (typeof a === 'string' ? `    mov x${i + 1}, ${a}\n` : `    ldr x${i + 1}, =${hex(typeof a === 'bigint' ? BigInt.asUintN(64, a) : a >>> 0)}\n`)).join('') +
    `    ${insn} #0\n`;
}

/** Store registers `regs` at result words n, n + 1, ... (clobbers x9). */
export function storeAsm(n: number, ...regs: string[]): string {
  return `    ldr x9, =RES\n` + regs.map((r, i) => `    str ${r}, [x9, #${(n + i) * 8}]\n`).join('');
}

export const neg = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
/** FFA_ERROR's w2 for `code` (zero-extended). */
export const errW2 = (code: number): bigint => BigInt(code >>> 0);

/** `bytes` as assembler data at `label` (8-byte aligned). */
export function bytesAsm(label: string, bytes: Uint8Array): string {
  return `    .balign 8\n${label}:\n    .byte ${[...bytes].join(', ')}\n    .balign 8\n`;
}

/** Copy `len` bytes at `label` to `to` (a TX buffer's address; x10-x13 clobbered). */
export function copyAsm(label: string, to: number, len: number): string {
  return `
    ldr x10, =${label}
    ldr x11, =${hex(to)}
    ldr x12, =${len}
1:  ldrb w13, [x10], #1
    strb w13, [x11], #1
    subs x12, x12, #1
    b.ne 1b
`;
}

/** A direct request from a VM (over SMC) asking test partition `sp` (core/spmc/testPartition.ts, command 7) to make
 *  FF-A call `fid` with x1-x3 = `args` (numbers, or register names); it answers x3-x7 = the call's x0-x4. */
export function atPartitionAsm(sp: number, fid: number, ...args: Array<number | bigint | string>): string {
  return ffaAsm('smc', FFA_MSG_SEND_DIRECT_REQ_64, (1 << 16) | sp, 0, 7, fid, ...args);
}
