/**
 * Cross-check tier against GNU binutils (aarch64-linux-gnu-as/objdump from
 * Debian binutils-aarch64-linux-gnu). Skips cleanly where they are missing.
 */
import { describe, expect, it } from "vitest";
import { assemble } from "./assembler.js";
import { gnuAssemble, gnuDisassemble, hasBinutils, normalise } from "./binutils.js";
import { CORPUS, corpusLines } from "./corpus.js";
import { disassemble } from "./disassembler.js";
import { SYSREG_BY_NAME } from "./sysreg-names.js";
import { formEncodings, hex8, rng, words } from "./testutil.js";

const VMA = 0x400000n;
const GENERIC = /\bs[0-3]_[0-7]_c\d+_c\d+_[0-7]\b/;

/** A system register objdump knows by a name our table does not carry (e.g. trace, MPU, SPE). */
function unnamedSysreg(ours: string, theirs: string): boolean {
  return GENERIC.test(ours) && ours.replace(GENERIC, "R") === theirs.replace(/\b(msr|mrs) (\w+), (\w+)$/, (_m, mn: string, a: string, b: string) => (mn === "mrs" ? `mrs ${a}, R` : `msr R, ${b}`));
}

function compareWithObjdump(ws: readonly number[]): { agree: number; bad: string[]; gaps: string[] } {
  const theirs = gnuDisassemble(ws, VMA);
  let agree = 0;
  const bad: string[] = [];
  const gaps: string[] = [];
  ws.forEach((w, i) => {
    const ours = normalise(disassemble(w, VMA + BigInt(i * 4)));
    const t = theirs[i]!;
    if (ours === t) agree++;
    else if (ours.startsWith(".inst") || ours.startsWith("msr s0_") || unnamedSysreg(ours, t)) gaps.push(`${hex8(w)}: objdump '${t}'`);
    else bad.push(`${hex8(w)}: ours '${ours}' objdump '${t}'`);
  });
  return { agree, bad, gaps };
}

describe.skipIf(!hasBinutils())("GNU binutils cross-check", () => {
  it("corpus: our bytes equal GNU as bytes, line by line", () => {
    const gnu = gnuAssemble(CORPUS);
    if (typeof gnu === "string") throw new Error(gnu);
    const ours = assemble(CORPUS).bytes;
    const lines = corpusLines();
    const a = words(ours);
    const b = words(gnu);
    const bad = lines.map((l, i) => (a[i] === b[i] ? "" : `${l}: ours ${hex8(a[i] ?? 0)} gnu ${hex8(b[i] ?? 0)}`)).filter((s) => s);
    console.log(`GNU as corpus: ${lines.length - bad.length}/${lines.length} instructions identical`);
    expect(bad).toEqual([]);
    expect(a.length).toBe(b.length);
  });

  it("random encodings of every form: disassembly equals objdump", () => {
    const ws = formEncodings(24, 0x5eed);
    const { agree, bad, gaps } = compareWithObjdump(ws);
    if (bad.length) console.log(bad.join("\n"));
    console.log(`objdump (form-directed): ${agree}/${ws.length} identical, ${gaps.length} outside our tables (unlisted sysreg names, SME)`);
    expect(bad.slice(0, 50)).toEqual([]);
  });

  it("uniformly random words: every word we decode matches objdump", () => {
    const next = rng(0xabcdef);
    const ws: number[] = [];
    for (let k = 0; k < 40000; k++) ws.push(next());
    const { agree, bad, gaps } = compareWithObjdump(ws);
    const undefBoth = ws.filter((w, i) => disassemble(w).startsWith(".inst") && i >= 0).length - gaps.length;
    console.log(
      `objdump (uniform random): ${agree}/${ws.length} identical (${undefBoth} undefined for both); ` +
        `${gaps.length} decoded only by objdump (outside our scope: SVE, SME, newer extensions, unlisted sysreg names)`,
    );
    expect(bad.slice(0, 50)).toEqual([]);
  });

  it("disassembly of random encodings re-assembles with GNU as to the same words", () => {
    const ws = formEncodings(6, 0xbead).filter((w) => {
      const t = disassemble(w);
      // PC-relative forms need relocations in a .o; PSTATE-space msr has no assembly spelling
      return !t.startsWith(".inst") && !/^(b|bl|b\.\w+|cbn?z|tbn?z|adrp?|ldr|ldrsw|prfm) .*0x[0-9a-f]+$/.test(t) && !/^msr s0_/.test(t);
    });
    const text = ws.map((w) => disassemble(w)).join("\n") + "\n";
    const gnu = gnuAssemble(text, "armv8.5-a+crc+lse+fp16");
    if (typeof gnu === "string") throw new Error(gnu.split("\n").filter((l) => l.includes("Error")).slice(0, 20).join("\n"));
    const theirs = words(gnu);
    const ours = words(assemble(text).bytes);
    const lines = text.split("\n");
    const bad = ours.map((w, i) => (w === theirs[i] ? "" : `${lines[i]}: ours ${hex8(w)} gnu ${hex8(theirs[i] ?? 0)}`)).filter((s) => s);
    console.log(`GNU as on disassembled text: ${ours.length - bad.length}/${ours.length} identical`);
    expect(bad.slice(0, 50)).toEqual([]);
  });

  it("every named system register assembles like GNU as and prints like objdump", () => {
    const names = [...SYSREG_BY_NAME.keys()].filter((n) => !n.startsWith("icv_"));
    const text = names.map((n) => (n === "dbgdtrtx_el0" ? `msr ${n}, x2` : n === "dbgdtrrx_el0" ? `mrs x1, ${n}` : `mrs x1, ${n}\nmsr ${n}, x2`)).join("\n") + "\n";
    const gnu = gnuAssemble(text, "armv8.5-a+crc+lse+fp16+sve");
    if (typeof gnu === "string") throw new Error(gnu.split("\n").filter((l) => l.includes("Error")).slice(0, 20).join("\n"));
    const ours = words(assemble(text).bytes);
    expect(ours).toEqual(words(gnu));
    const { agree, bad, gaps } = compareWithObjdump(ours);
    if (bad.length) console.log(bad.join("\n"));
    console.log(`sysreg names: ${names.length} registers, ${agree}/${ours.length} mrs/msr lines identical to objdump; ${gaps.length} objdump spells in the generic form: ${gaps.slice(0, 5).join(', ')}${gaps.length > 5 ? ', ...' : ''}`);
    expect(bad).toEqual([]);
    expect(gaps).toEqual([]);
  });
});
