/**
 * The shape shared by the assembler and the disassembler: an instruction
 * form is a fixed bit pattern plus a list of operand kinds, each of which
 * knows how to encode a parsed operand into its fields and how to print
 * those fields back. Aliases are forms of their own, listed before the
 * instruction they alias, with a `when` predicate that says when the
 * disassembler prefers them (the ARM ARM "preferred disassembly" rules).
 */
import type { Operand } from "./operand.js";

/** Encoding context for one attempt at one form. */
export interface EncCtx {
  /** Address of the instruction. */
  readonly pc: bigint;
  /** Evaluate an immediate / bare-expression operand: the value, or a failure message. */
  value(op: Operand | undefined, opts?: { bare?: boolean; reloc?: readonly string[] }): bigint | string;
  /** Scratch values that later operands of the same form may read (e.g. a bitfield lsb). */
  readonly v: Record<string, number>;
}

/** Result of encoding one operand: bits to OR in, or a failure message (try the next form). */
export type EncResult = number | string;

export interface OpKind {
  enc(op: Operand | undefined, c: EncCtx): EncResult;
  /** Printed operand, "" to omit it, or null when the encoding is not valid for this form. */
  dec(insn: number, pc: bigint): string | null;
  /** May be left out at the end of the operand list. */
  readonly opt?: boolean;
}

export interface Form {
  readonly mn: string;
  readonly bits: number;
  readonly mask: number;
  readonly ops: readonly OpKind[];
  /** Disassembly predicate: the form applies only if this holds. */
  readonly when?: (insn: number) => boolean;
  /** "asm": only for assembling (an accepted spelling objdump never prints); "dis": only for disassembling. */
  readonly only?: "asm" | "dis";
  /** Assembly predicate over the encoded word (e.g. alias conditions that involve two operands). */
  readonly check?: (insn: number) => string | undefined;
}

/** Pattern string of 0/1/x (other characters ignored) -> fixed bits and mask. */
export function pat(p: string): { bits: number; mask: number } {
  let bits = 0;
  let mask = 0;
  let n = 0;
  for (const ch of p) {
    if (ch !== "0" && ch !== "1" && ch !== "x") continue;
    bits = bits * 2 + (ch === "1" ? 1 : 0);
    mask = mask * 2 + (ch === "x" ? 0 : 1);
    n++;
  }
  if (n !== 32) throw new Error(`pattern '${p}' has ${n} bits`);
  return { bits: bits >>> 0, mask: mask >>> 0 };
}

/** Extract bits [lsb+width-1:lsb]. */
export function fld(i: number, lsb: number, width: number): number {
  return width === 32 ? i >>> 0 : (i >>> lsb) & ((1 << width) - 1);
}

export function form(
  mn: string,
  p: string | { bits: number; mask: number },
  ops: readonly OpKind[],
  extra: Partial<Pick<Form, "when" | "only" | "check">> = {},
): Form {
  const { bits, mask } = typeof p === "string" ? pat(p) : p;
  return { mn, bits, mask, ops, ...extra };
}

/** Set bits: place `value` into [lsb+width-1:lsb] of `base`. */
export function put(base: number, value: number, lsb: number, width: number): number {
  const m = width === 32 ? 0xffffffff : ((1 << width) - 1) << lsb;
  return ((base & ~m) | ((value << lsb) & m)) >>> 0;
}
