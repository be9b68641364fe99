/**
 * A64 disassembler producing the text GNU objdump prints by default (alias
 * forms, the same immediate bases), with a single space after the mnemonic
 * and without objdump's trailing `// ...` comments. Branch and literal
 * targets print as absolute addresses (`b 0x1040`) relative to `pc`.
 */
import { formsFor } from "./table.js";

export function disassemble(insn: number, pc: bigint = 0n): string {
  const i = insn >>> 0;
  for (const f of formsFor(i)) {
    if (((i & f.mask) >>> 0) !== f.bits) continue;
    if (f.when && !f.when(i)) continue;
    const parts: string[] = [];
    let ok = true;
    for (const k of f.ops) {
      const s = k.dec(i, pc);
      if (s === null) {
        ok = false;
        break;
      }
      if (s !== "") parts.push(s);
    }
    if (!ok) continue;
    return parts.length ? `${f.mn} ${parts.join(", ")}` : f.mn;
  }
  return `.inst 0x${i.toString(16).padStart(8, "0")} ; undefined`;
}
