import { describe, expect, it } from "vitest";
import { AsmError, assemble } from "./assembler.js";
import { decodeBitmask, encodeBitmask } from "./bitmask.js";
import { disassemble } from "./disassembler.js";
import { SYSREG_BY_NAME, SYSREG_NAME_BY_KEY, parseSysreg } from "./sysreg-names.js";
import { words } from "./testutil.js";

const dis = (src: string, base = 0n): string[] => {
  const r = assemble(src, { baseAddress: base });
  return words(r.bytes).map((w, i) => disassemble(w, base + BigInt(i * 4)));
};

const err = (src: string): string => {
  try {
    assemble(src);
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    return (e as Error).message;
  }
  throw new Error("expected an AsmError");
};

describe("assembler", () => {
  it("resolves labels, numeric local labels and reports symbols", () => {
    const r = assemble(
      `start:\n  b 1f\n1: b 1b\n  b 1f\n1: bl start\n.global start\nend: .equ K, end - start`,
      { baseAddress: 0x1000n },
    );
    expect(words(r.bytes).map((w, i) => disassemble(w, 0x1000n + BigInt(i * 4)))).toEqual([
      "b 0x1004",
      "b 0x1004",
      "b 0x100c",
      "bl 0x1000",
    ]);
    expect(r.symbols.get("start")).toBe(0x1000n);
    expect(r.symbols.get("end")).toBe(0x1010n);
    expect(r.symbols.get("K")).toBe(0x10n);
  });

  it("handles comments, ';' separators and case", () => {
    expect(dis("NOP // c\n/* multi\nline */ nop ; ADD X0, X1, #1 // x")).toEqual(["nop", "nop", "add x0, x1, #0x1"]);
  });

  it("emits data directives", () => {
    const r = assemble(`.byte 1, 2\n.hword 0x304\n.word 0x05060708\n.quad -1\n.ascii "ab"\n.asciz "c\\n"\n.skip 2, 0xee`);
    expect([...r.bytes]).toEqual([1, 2, 4, 3, 8, 7, 6, 5, 255, 255, 255, 255, 255, 255, 255, 255, 97, 98, 99, 10, 0, 0xee, 0xee]);
  });

  it("aligns with nops in .text and zeros in .data; .org pads", () => {
    const r = assemble(`.byte 1\n.align 3\nnop\n.balign 16\n.org 0x20\n.word 7`);
    expect([...r.bytes.slice(0, 4)]).toEqual([1, 0, 0, 0]);
    expect(words(r.bytes).slice(1, 4)).toEqual([0xd503201f, 0xd503201f, 0xd503201f]);
    expect(r.bytes.length).toBe(0x24);
    expect(words(r.bytes)[8]).toBe(7);
  });

  it("lays .data after .text and resolves cross-section references", () => {
    const r = assemble(`.text\nadr x0, msg\nldr w1, msg\n.data\nmsg: .word 0x11223344\n.text\nret`, { baseAddress: 0x4000n });
    const msg = r.symbols.get("msg")!;
    expect(msg).toBe(0x4010n);
    expect(dis(`adr x0, 0x4010\nldr w1, 0x4014`, 0x4000n)).toEqual(["adr x0, 0x4010", "ldr w1, 0x4014"]);
    expect(words(r.bytes)[4]).toBe(0x11223344);
  });

  it("builds literal pools for ldr =value at .ltorg and at the end", () => {
    const r = assemble(`ldr x0, =0x1122334455667788\nldr w1, =label\nldr x2, =0x1122334455667788\n.ltorg\nlabel: ldr x3, =7`, {
      baseAddress: 0x1000n,
    });
    const w = words(r.bytes);
    expect(disassemble(w[0]!, 0x1000n)).toBe("ldr x0, 0x1010");
    expect(disassemble(w[1]!, 0x1004n)).toBe("ldr w1, 0x1018");
    expect(disassemble(w[2]!, 0x1008n)).toBe("ldr x2, 0x1010");
    expect(w[4]).toBe(0x55667788);
    expect(w[5]).toBe(0x11223344);
    expect(w[6]).toBe(0x101c); // label
    expect(disassemble(w[7]!, 0x101cn)).toBe("ldr x3, 0x1020");
    expect(w[8]).toBe(7);
  });

  it("supports adrp + :lo12: and expressions", () => {
    const src = `adrp x0, var\nadd x0, x0, :lo12:var\nldr x1, [x0, #:lo12:var]\n.org 0x2008\nvar: .quad (1 << 4) | 3 * 2`;
    const out = dis(src, 0x10000n);
    expect(out.slice(0, 3)).toEqual(["adrp x0, 0x12000", "add x0, x0, #0x8", "ldr x1, [x0, #8]"]);
  });

  it("selects mov encodings like GNU as", () => {
    expect(dis("mov x0, #0x10000\nmov x0, #-1\nmov w0, #0xffff0000\nmov x0, #0x5555555555555555\nmov x0, x1\nmov sp, x1")).toEqual([
      "mov x0, #0x10000",
      "mov x0, #0xffffffffffffffff",
      "mov w0, #0xffff0000",
      "mov x0, #0x5555555555555555",
      "mov x0, x1",
      "mov sp, x1",
    ]);
  });

  it("reports errors with line numbers and never guesses", () => {
    expect(err("nop\nfoo x0")).toBe("line 2: unknown instruction 'foo'");
    expect(err("add x0, x1, #0x1001")).toMatch(/^line 1: add: immediate 4097 out of range/);
    expect(err("mov x0, #0x1234567")).toMatch(/^line 1: mov: immediate 0x1234567 cannot be built/);
    expect(err("b nowhere")).toMatch(/^line 1: b: undefined symbol 'nowhere'/);
    expect(err("x: nop\nx: nop")).toBe("line 2: symbol 'x' is already defined");
    expect(err("ldr x0, [x1, #32768]")).toMatch(/^line 1: ldr: /);
    expect(err(".byte 256")).toBe("line 1: value 256 does not fit in 1 byte(s)");
    expect(err("add x0, w1, x2")).toMatch(/^line 1: add: /);
    expect(err(".foo 1")).toBe("line 1: unknown directive '.foo'");
    expect(err("b.eq .+2")).toMatch(/not 4-byte aligned/);
    expect(err("tbz w0, #32, .")).toMatch(/^line 1: tbz: /);
    expect(err("ldr x0, [x1, x2, lsl #2]")).toMatch(/shift amount must be 0 or 3/);
    expect(err(".org 8\n.org 4")).toMatch(/^line 2: .org moves backwards/);
    expect(err("casp x1, x2, x4, x5, [x0]")).toMatch(/even register/);
  });
});

describe("bitmask immediates", () => {
  it("encode(decode(fields)) round-trips for every valid 64- and 32-bit pattern", () => {
    const n64 = new Set<bigint>();
    const n32 = new Set<bigint>();
    for (const size of [32, 64] as const) {
      for (let n = 0; n < (size === 64 ? 2 : 1); n++) {
        for (let imms = 0; imms < 64; imms++) {
          for (let immr = 0; immr < 64; immr++) {
            if (size === 32 && immr >= 32) continue;
            const v = decodeBitmask(n, imms, immr, size);
            if (v === undefined) continue;
            const f = encodeBitmask(v, size);
            expect(f).toBeDefined();
            expect(decodeBitmask(f!.n, f!.imms, f!.immr, size)).toBe(v);
            (size === 64 ? n64 : n32).add(v);
          }
        }
      }
    }
    expect(n64.size).toBe(5334);
    expect(n32.size).toBe(1302);
    expect(encodeBitmask(0n, 64)).toBeUndefined();
    expect(encodeBitmask(0x1234n, 64)).toBeUndefined();
  });
});

describe("system register names", () => {
  it("maps names and keys both ways and accepts the generic form", () => {
    expect(SYSREG_BY_NAME.get("sctlr_el1")).toBe((3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 0);
    expect(SYSREG_NAME_BY_KEY.get(SYSREG_BY_NAME.get("icv_iar1_el1")!)).toBe("icc_iar1_el1");
    expect(parseSysreg("S3_0_C15_C2_0")).toBe((3 << 14) | (15 << 7) | (2 << 3));
    expect(parseSysreg("s1_0_c0_c0_0")).toBeUndefined();
    for (const [name, key] of SYSREG_BY_NAME) {
      if (name.startsWith("icv_") || name === "dbgdtrtx_el0") continue;
      expect(SYSREG_NAME_BY_KEY.get(key)).toBe(name);
    }
  });
});
