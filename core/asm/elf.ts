// An assembled image as an ELF64 executable (AArch64, ET_EXEC): one PT_LOAD
// segment holding the image at its load address, sections split where the
// labels change between code and data (.text / .data, so gdb sees data
// labels as variables), and .symtab/.strtab with every label (STT_FUNC or
// STT_OBJECT, with its size). What `gdb -ex 'file guest.elf'` needs for
// `break LABEL` and `watch (long)VARIABLE` on a bundled guest; no DWARF.
// ELF-64 Object File Format 1.5; AArch64 ELF ABI (EM_AARCH64 = 183).
import type { AsmLabel } from "./assembler.js";

export interface ElfImage {
  bytes: Uint8Array;
  /** Load (and link) address of bytes[0]. */
  base: bigint;
  entry: bigint;
  labels: readonly AsmLabel[];
}

const EHDR = 64;
const PHDR = 56;
const SHDR = 64;
const SYM = 24;
const EM_AARCH64 = 183;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_GLOBAL = 1;

/** Names into a string table (offset 0 is the empty name). */
class StringTable {
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;
  add(name: string): number {
    const at = this.size;
    const b = Buffer.from(name + "\0", "latin1");
    this.parts.push(b);
    this.size += b.length;
    return at;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

interface Section {
  name: string;
  kind: AsmLabel["kind"];
  start: number;
  end: number;
}

/** Runs of the image by the kind of the labels in them (labels by address); bytes before the first label are code. */
function sections(img: ElfImage): Section[] {
  const runs: { start: number; kind: AsmLabel["kind"] }[] = [{ start: 0, kind: "code" }];
  for (const l of img.labels) {
    const off = Number(l.address - img.base);
    if (off < 0 || off >= img.bytes.length) continue;
    const last = runs.at(-1)!;
    if (last.start === off) last.kind = l.kind;
    else if (last.kind !== l.kind) runs.push({ start: off, kind: l.kind });
  }
  const merged = runs.filter((r, i) => i === 0 || r.kind !== runs[i - 1]!.kind);
  return merged.map((r, i) => ({ name: r.kind === "code" ? ".text" : ".data", kind: r.kind, start: r.start, end: merged[i + 1]?.start ?? img.bytes.length }));
}

/** The ELF file. */
export function elfExecutable(img: ElfImage): Uint8Array {
  const secs = sections(img);
  const shstr = new StringTable();
  const str = new StringTable();
  // Section indices: 0 null, 1.. the image's sections, then .symtab, .strtab, .shstrtab.
  const symtabIndex = secs.length + 1;
  const imageOff = 0x1000 + Number(img.base & 0xfffn); // offset = vaddr modulo the segment's alignment
  const syms: Buffer[] = [Buffer.alloc(SYM)];
  for (const l of img.labels) {
    const off = Number(l.address - img.base);
    const sec = secs.findIndex((s) => off >= s.start && off < s.end);
    const b = Buffer.alloc(SYM);
    b.writeUInt32LE(str.add(l.name), 0);
    b.writeUInt8((STB_GLOBAL << 4) | (l.kind === "code" ? STT_FUNC : STT_OBJECT), 4);
    b.writeUInt16LE(sec >= 0 ? sec + 1 : 0xfff1 /* SHN_ABS */, 6);
    b.writeBigUInt64LE(l.address, 8);
    b.writeBigUInt64LE(BigInt(l.size), 16);
    syms.push(b);
  }
  const symtab = Buffer.concat(syms);
  const strtab = str.bytes;
  const names = secs.map((s) => shstr.add(s.name));
  const symName = shstr.add(".symtab");
  const strName = shstr.add(".strtab");
  const shstrName = shstr.add(".shstrtab");
  const shstrtab = shstr.bytes;
  const symOff = align(imageOff + img.bytes.length, 8);
  const strOff = symOff + symtab.length;
  const shstrOff = strOff + strtab.length;
  const shOff = align(shstrOff + shstrtab.length, 8);
  const shnum = secs.length + 4;
  const out = Buffer.alloc(shOff + shnum * SHDR);

  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */], 0);
  out.writeUInt16LE(2, 16); // ET_EXEC
  out.writeUInt16LE(EM_AARCH64, 18);
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(img.entry, 24);
  out.writeBigUInt64LE(BigInt(EHDR), 32); // e_phoff
  out.writeBigUInt64LE(BigInt(shOff), 40);
  out.writeUInt16LE(EHDR, 52);
  out.writeUInt16LE(PHDR, 54);
  out.writeUInt16LE(1, 56);
  out.writeUInt16LE(SHDR, 58);
  out.writeUInt16LE(shnum, 60);
  out.writeUInt16LE(shnum - 1, 62); // e_shstrndx

  const ph = EHDR;
  out.writeUInt32LE(1, ph); // PT_LOAD
  out.writeUInt32LE(7, ph + 4); // PF_R | PF_W | PF_X: the guests write their own data labels
  out.writeBigUInt64LE(BigInt(imageOff), ph + 8);
  out.writeBigUInt64LE(img.base, ph + 16);
  out.writeBigUInt64LE(img.base, ph + 24);
  out.writeBigUInt64LE(BigInt(img.bytes.length), ph + 32);
  out.writeBigUInt64LE(BigInt(img.bytes.length), ph + 40);
  out.writeBigUInt64LE(0x1000n, ph + 48);

  out.set(img.bytes, imageOff);
  out.set(symtab, symOff);
  out.set(strtab, strOff);
  out.set(shstrtab, shstrOff);

  const shdr = (i: number, f: { name: number; type: number; flags?: number; addr?: bigint; off: number; size: number; link?: number; info?: number; align: number; entsize?: number }): void => {
    const o = shOff + i * SHDR;
    out.writeUInt32LE(f.name, o);
    out.writeUInt32LE(f.type, o + 4);
    out.writeBigUInt64LE(BigInt(f.flags ?? 0), o + 8);
    out.writeBigUInt64LE(f.addr ?? 0n, o + 16);
    out.writeBigUInt64LE(BigInt(f.off), o + 24);
    out.writeBigUInt64LE(BigInt(f.size), o + 32);
    out.writeUInt32LE(f.link ?? 0, o + 40);
    out.writeUInt32LE(f.info ?? 0, o + 44);
    out.writeBigUInt64LE(BigInt(f.align), o + 48);
    out.writeBigUInt64LE(BigInt(f.entsize ?? 0), o + 56);
  };
  secs.forEach((s, i) => shdr(i + 1, {
    name: names[i]!, type: SHT_PROGBITS, flags: SHF_ALLOC | (s.kind === "code" ? SHF_EXECINSTR : SHF_WRITE),
    addr: img.base + BigInt(s.start), off: imageOff + s.start, size: s.end - s.start, align: s.start === 0 ? 4 : 1,
  }));
  // sh_info of a symbol table: one past the last local symbol (only the null symbol is local).
  shdr(symtabIndex, { name: symName, type: SHT_SYMTAB, off: symOff, size: symtab.length, link: symtabIndex + 1, info: 1, align: 8, entsize: SYM });
  shdr(symtabIndex + 1, { name: strName, type: SHT_STRTAB, off: strOff, size: strtab.length, align: 1 });
  shdr(symtabIndex + 2, { name: shstrName, type: SHT_STRTAB, off: shstrOff, size: shstrtab.length, align: 1 });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
