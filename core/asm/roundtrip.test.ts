import { describe, expect, it } from "vitest";
import { assemble } from "./assembler.js";
import { corpusLines } from "./corpus.js";
import { disassemble } from "./disassembler.js";
import { formEncodings, hex8, words } from "./testutil.js";

const BASE = 0x80000n;

describe("round trip", () => {
  it("corpus: assemble -> disassemble -> assemble gives the same bytes", () => {
    const lines = corpusLines();
    const first = words(assemble(lines.join("\n"), { baseAddress: BASE }).bytes);
    expect(first.length).toBe(lines.length);
    const text = first.map((w, i) => disassemble(w, BASE + BigInt(i * 4)));
    const undef = text.filter((t) => t.startsWith(".inst"));
    expect(undef).toEqual([]);
    const second = words(assemble(text.join("\n"), { baseAddress: BASE }).bytes);
    const bad = first
      .map((w, i) => (w === second[i] ? "" : `${lines[i]} -> ${hex8(w)} -> '${text[i]}' -> ${hex8(second[i] ?? 0)}`))
      .filter((s) => s);
    expect(bad).toEqual([]);
    console.log(`corpus round trip: ${lines.length} instructions`);
  });

  it("random encodings of every form: disassemble -> assemble gives the same word", () => {
    const ws = formEncodings(16, 0xc0ffee);
    let checked = 0;
    let nonCanonical = 0;
    const bad: string[] = [];
    for (const w of ws) {
      const pc = BASE + 0x100000n;
      const t = disassemble(w, pc);
      // generic MSR to the PSTATE space and SBO-field variants have no assembly spelling that round-trips
      if (t.startsWith(".inst") || /^msr s0_/.test(t)) continue;
      let got: number | undefined;
      try {
        got = words(assemble(t, { baseAddress: pc }).bytes)[0];
      } catch (e) {
        bad.push(`${hex8(w)} '${t}': ${(e as Error).message}`);
        continue;
      }
      checked++;
      if (got === w) continue;
      // encodings with ignored bits set (e.g. immr<5> of a 32-bit bitmask, Ra of smulh) come back canonical
      if (got !== undefined && disassemble(got, pc) === t) nonCanonical++;
      else bad.push(`${hex8(w)} '${t}' -> ${hex8(got ?? 0)}`);
    }
    console.log(`random round trip: ${checked} encodings (${nonCanonical} non-canonical, re-encoded canonically)`);
    expect(bad.slice(0, 40)).toEqual([]);
  });
});
