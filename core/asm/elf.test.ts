// The ELF writer: label kinds and sizes from the assembler, and a file whose
// headers, sections and symbol table read back as written (parsed here by
// the ELF-64 layout; gdb reads it in cli/gdb/gdb.e2e.test.ts).
import { describe, expect, it } from "vitest";
import { assemble } from "./assembler.js";
import { elfExecutable } from "./elf.js";

const SRC = `
    .equ COUNT, 3
_start:
    ldr x1, =counter
1:  ldr x2, [x1]
    add x2, x2, #1
    str x2, [x1]
    b 1b
    .align 4
helper:
    ret
    .align 3
counter: .quad 0
table:
    .word 1, 2, 3
    .align 4
buf: .space 20
`;

const BASE = 0x4008_0000n;

interface Sym { name: string; value: bigint; size: bigint; type: number; shndx: number }

function readElf(b: Buffer): { entry: bigint; sections: { name: string; addr: bigint; size: bigint; flags: bigint }[]; syms: Sym[]; load: { off: bigint; vaddr: bigint; filesz: bigint } } {
  const shoff = Number(b.readBigUInt64LE(40));
  const shnum = b.readUInt16LE(60);
  const shstrndx = b.readUInt16LE(62);
  const sh = (i: number) => {
    const o = shoff + i * 64;
    return { name: b.readUInt32LE(o), type: b.readUInt32LE(o + 4), flags: b.readBigUInt64LE(o + 8), addr: b.readBigUInt64LE(o + 16), off: Number(b.readBigUInt64LE(o + 24)), size: b.readBigUInt64LE(o + 32), link: b.readUInt32LE(o + 40) };
  };
  const cstr = (off: number): string => b.toString("latin1", off, b.indexOf(0, off));
  const shstr = sh(shstrndx);
  const all = Array.from({ length: shnum }, (_, i) => sh(i));
  const symtab = all.find((s) => s.type === 2)!;
  const strtab = all[symtab.link]!;
  const syms: Sym[] = [];
  for (let o = symtab.off + 24; o < symtab.off + Number(symtab.size); o += 24) {
    syms.push({ name: cstr(strtab.off + b.readUInt32LE(o)), type: b.readUInt8(o + 4) & 0xf, shndx: b.readUInt16LE(o + 6), value: b.readBigUInt64LE(o + 8), size: b.readBigUInt64LE(o + 16) });
  }
  return {
    entry: b.readBigUInt64LE(24),
    sections: all.map((s) => ({ name: cstr(shstr.off + s.name), addr: s.addr, size: s.size, flags: s.flags })),
    syms,
    load: { off: b.readBigUInt64LE(64 + 8), vaddr: b.readBigUInt64LE(64 + 16), filesz: b.readBigUInt64LE(64 + 32) },
  };
}

describe("elfExecutable", () => {
  const a = assemble(SRC, { baseAddress: BASE });

  it("labels: code or data by the first statement after them, sized to their content (no padding, no locals, no .equ)", () => {
    expect(a.labels.map((l) => [l.name, l.kind, l.size])).toEqual([
      ["_start", "code", 20], // 5 instructions; the literal pool comes at the section end
      ["helper", "code", 4],
      ["counter", "data", 8],
      ["table", "data", 12],
      ["buf", "data", 20],
    ]);
    expect(a.labels.find((l) => l.name === "helper")!.address % 16n).toBe(0n);
  });

  it("an ET_EXEC AArch64 file: one segment with the image, .text and .data split at the first data label, a symbol per label", () => {
    const b = Buffer.from(elfExecutable({ bytes: a.bytes, base: BASE, entry: BASE, labels: a.labels }));
    expect([...b.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    expect(b.readUInt16LE(16)).toBe(2); // ET_EXEC
    expect(b.readUInt16LE(18)).toBe(183); // EM_AARCH64
    const e = readElf(b);
    expect(e.entry).toBe(BASE);
    expect(e.load.vaddr).toBe(BASE);
    expect(e.load.filesz).toBe(BigInt(a.bytes.length));
    expect(Buffer.compare(b.subarray(Number(e.load.off), Number(e.load.off) + a.bytes.length), Buffer.from(a.bytes))).toBe(0);
    const counter = a.symbols.get("counter")!;
    expect(e.sections.map((s) => s.name)).toEqual(["", ".text", ".data", ".symtab", ".strtab", ".shstrtab"]);
    expect(e.sections[1]).toMatchObject({ addr: BASE, size: counter - BASE, flags: 6n }); // SHF_ALLOC | SHF_EXECINSTR
    expect(e.sections[2]).toMatchObject({ addr: counter, size: BASE + BigInt(a.bytes.length) - counter, flags: 3n }); // SHF_WRITE | SHF_ALLOC
    expect(e.syms.map((s) => [s.name, s.value, s.size, s.type, s.shndx])).toEqual(
      a.labels.map((l) => [l.name, l.address, BigInt(l.size), l.kind === "code" ? 2 : 1, l.kind === "code" ? 1 : 2]),
    );
  });
});
