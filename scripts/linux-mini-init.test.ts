import { describe, expect, it } from 'vitest';
import { disassemble } from '../core/asm/disassembler.js';
import { cpioNewc, elfExecutable, miniInitElf, miniInitramfs } from './linux-mini-init.js';

function parseCpio(b: Uint8Array): Array<{ name: string; mode: number; data: Uint8Array }> {
  const td = new TextDecoder();
  const out: Array<{ name: string; mode: number; data: Uint8Array }> = [];
  let o = 0;
  const al = (n: number): number => (n + 3) & ~3;
  for (;;) {
    const h = td.decode(b.subarray(o, o + 110));
    expect(h.slice(0, 6)).toBe('070701');
    const f = (i: number): number => parseInt(h.slice(6 + i * 8, 14 + i * 8), 16);
    const mode = f(1), size = f(6), nameLen = f(11);
    const name = td.decode(b.subarray(o + 110, o + 110 + nameLen - 1));
    o = al(o + 110 + nameLen);
    const data = b.slice(o, o + size);
    o = al(o + size);
    if (name === 'TRAILER!!!') break;
    out.push({ name, mode, data });
  }
  expect(o).toBe(b.length);
  return out;
}

describe('linux mini init', () => {
  it('is a static AArch64 ELF executable whose entry is inside its one PT_LOAD segment', () => {
    const elf = miniInitElf(['a.ko', 'b.ko']);
    const v = new DataView(elf.buffer, elf.byteOffset);
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(v.getUint16(16, true)).toBe(2); // ET_EXEC
    expect(v.getUint16(18, true)).toBe(183); // EM_AARCH64
    const entry = v.getBigUint64(24, true);
    const vaddr = v.getBigUint64(80, true);
    expect(v.getUint32(64, true)).toBe(1); // PT_LOAD
    expect(entry).toBe(vaddr + 120n);
    expect(v.getBigUint64(96, true)).toBe(BigInt(elf.length));
  });

  it('uses no FP/SIMD instructions (runs before AdvSIMD exists) and makes the expected syscalls', () => {
    const elf = miniInitElf(['virtio_mmio.ko']);
    const code = elf.subarray(120);
    const v = new DataView(code.buffer, code.byteOffset);
    const text: string[] = [];
    // the code ends at the first string (s_banner); disassemble up to the first undefined word
    for (let o = 0; o + 4 <= code.length; o += 4) {
      const d = disassemble(v.getUint32(o, true), 0x400078n + BigInt(o));
      if (d.startsWith('.inst')) break;
      text.push(d);
    }
    expect(text.length).toBeGreaterThan(50);
    expect(text.filter((t) => /\b[qdsbhv]\d+\b|\bf[a-z]+ /.test(t))).toEqual([]);
    expect(text.filter((t) => t.startsWith('svc')).length).toBeGreaterThanOrEqual(8);
    const str = new TextDecoder().decode(code);
    expect(str).toContain('/lib/modules/virtio_mmio.ko');
    expect(str).toContain('HVRR-LINUX-READY\n');
  });

  it('builds a newc cpio with /init executable and the modules', () => {
    const ko = new Uint8Array([1, 2, 3, 4, 5]);
    const entries = parseCpio(miniInitramfs([{ name: 'x.ko', data: ko }], 'MARK'));
    const init = entries.find((e) => e.name === 'init')!;
    expect(init.mode).toBe(0o100755);
    expect(new TextDecoder().decode(init.data)).toContain('MARK\n');
    expect(entries.find((e) => e.name === 'lib/modules/x.ko')!.data).toEqual(ko);
    expect(entries.find((e) => e.name === 'dev')!.mode).toBe(0o040755);
  });

  it('pads cpio headers, names and data to 4 bytes', () => {
    const b = cpioNewc([{ name: 'a', mode: 0o100644, data: new Uint8Array([9]) }]);
    expect(b.length % 4).toBe(0);
    expect(parseCpio(b)).toEqual([{ name: 'a', mode: 0o100644, data: new Uint8Array([9]) }]);
    expect(elfExecutable(new Uint8Array(8)).length).toBe(128);
  });
});
