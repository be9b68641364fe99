import { describe, expect, it } from "vitest";
import { disassemble } from "./disassembler.js";
import { ALL_FORMS } from "./table.js";
import { gnuDisassemble, hasBinutils, normalise } from "./binutils.js";

const VMA = 0x400000n;

/** Deterministic xorshift32 stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

describe.skipIf(!hasBinutils())("objdump cross-check", () => {
  it("random encodings of every form disassemble like objdump", () => {
    const next = rng(0x5eed);
    const words: number[] = [];
    const perForm = Number(process.env.XCHECK_PER_FORM ?? 24);
    for (const f of ALL_FORMS) {
      if (f.only === "asm") continue;
      for (let k = 0; k < perForm; k++) words.push(((f.bits | (next() & ~f.mask)) >>> 0));
    }
    const theirs = gnuDisassemble(words, VMA);
    const bad: string[] = [];
    words.forEach((w, idx) => {
      const pc = VMA + BigInt(idx * 4);
      const ours = normalise(disassemble(w, pc));
      if (ours !== theirs[idx]) bad.push(`${w.toString(16).padStart(8, "0")}: ours '${ours}' objdump '${theirs[idx]}'`);
    });
    console.log(`objdump cross-check: ${words.length - bad.length}/${words.length} encodings agree`);
    if (bad.length) console.log([...new Set(bad)].slice(0, Number(process.env.XCHECK_SHOW ?? 60)).join("\n"));
    expect(bad.length).toBe(0);
  });
});
