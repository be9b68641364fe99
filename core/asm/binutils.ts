/**
 * Test helpers that drive GNU binutils (aarch64-linux-gnu-as / objdump) for
 * the cross-check tier. Used only by tests.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const AS = "aarch64-linux-gnu-as";
const OBJDUMP = "aarch64-linux-gnu-objdump";
const OBJCOPY = "aarch64-linux-gnu-objcopy";

export function hasBinutils(): boolean {
  const a = spawnSync(AS, ["--version"], { encoding: "utf8" });
  const o = spawnSync(OBJDUMP, ["--version"], { encoding: "utf8" });
  const c = spawnSync(OBJCOPY, ["--version"], { encoding: "utf8" });
  return a.status === 0 && o.status === 0 && c.status === 0;
}

function withTmp<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "hvrr-asm-"));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Assemble with GNU as and return the raw .text bytes, or the error text. */
export function gnuAssemble(source: string, march = "armv8.4-a+crc+lse"): Uint8Array | string {
  return withTmp((dir) => {
    const s = join(dir, "a.s");
    const o = join(dir, "a.o");
    const b = join(dir, "a.bin");
    writeFileSync(s, source);
    const r = spawnSync(AS, [`-march=${march}`, "-o", o, s], { encoding: "utf8" });
    if (r.status !== 0) return r.stderr;
    const c = spawnSync(OBJCOPY, ["-O", "binary", "-j", ".text", o, b], { encoding: "utf8" });
    if (c.status !== 0) return c.stderr;
    return new Uint8Array(readFileSync(b));
  });
}

/** Normalise a line of disassembly for comparison: collapse whitespace, drop `// ...` comments and `<sym>`. */
export function normalise(text: string): string {
  return text
    .replace(/\s*\/\/.*$/, "")
    .replace(/\s*<[^>]*>/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Disassemble words with objdump (raw binary at `vma`), returning one normalised line per word. */
export function gnuDisassemble(words: readonly number[], vma: bigint): string[] {
  return withTmp((dir) => {
    const b = join(dir, "w.bin");
    const buf = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => buf.writeUInt32LE(w >>> 0, i * 4));
    writeFileSync(b, buf);
    const r = spawnSync(OBJDUMP, ["-D", "-b", "binary", "-m", "aarch64", `--adjust-vma=0x${vma.toString(16)}`, b], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const out: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const m = /^\s*[0-9a-f]+:\s+[0-9a-f]{8}\s+(.*)$/.exec(line);
      if (m) out.push(normalise(m[1]!));
    }
    if (out.length !== words.length) throw new Error(`objdump returned ${out.length} lines for ${words.length} words`);
    return out;
  });
}
