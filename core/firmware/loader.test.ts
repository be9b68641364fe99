import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildVirtDeviceTreeBlob } from '../fdt/virtDtb.js';
import { readFdt } from '../fdt/reader.js';
import { findNode, getProp, readU64 } from '../fdt/tree.js';
import { BOOT_STUB_BYTES, buildBootStub, encBr, encLdrLiteral64, encMovXzr } from './bootStub.js';
import { ImageError, identifyImage, planBoot, rawImageProblem, type ImageInfo } from './loader.js';

const MiB = 1 << 20;
const hasCross = spawnSync('aarch64-linux-gnu-as', ['--version']).status === 0 && spawnSync('aarch64-linux-gnu-ld', ['--version']).status === 0;

// ---- synthesized images ----

function arm64Image(opts: { textOffset?: bigint; imageSize?: bigint; flags?: bigint; fileBytes?: number } = {}): Uint8Array {
  const b = new Uint8Array(opts.fileBytes ?? 4096);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x91005a4d, true); // code0 (as in EFI-stub kernels: "MZ" + add)
  dv.setUint32(4, 0x14000000, true); // code1: b .
  dv.setBigUint64(8, opts.textOffset ?? 0n, true);
  dv.setBigUint64(16, opts.imageSize ?? 0x1a00000n, true);
  dv.setBigUint64(24, opts.flags ?? 0b1010n, true); // LE, 4K pages, placement anywhere
  dv.setUint32(56, 0x644d5241, true);
  return b;
}

interface SynthSeg {
  type?: number;
  offset?: bigint;
  vaddr: bigint;
  paddr: bigint;
  data: Uint8Array;
  memsz?: bigint;
  filesz?: bigint;
}

function elf64(opts: { entry: bigint; segs: SynthSeg[]; machine?: number; cls?: number; data?: number; type?: number; phentsize?: number; phoff?: bigint }): Uint8Array {
  const phoff = 64;
  let dataAt = phoff + 56 * opts.segs.length;
  const offsets = opts.segs.map((s) => {
    const o = dataAt;
    dataAt += s.data.length;
    return o;
  });
  const b = new Uint8Array(dataAt);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 2, opts.data ?? 1, 1]);
  dv.setUint16(16, opts.type ?? 2, true);
  dv.setUint16(18, opts.machine ?? 183, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, opts.entry, true);
  dv.setBigUint64(32, opts.phoff ?? BigInt(phoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, opts.phentsize ?? 56, true);
  dv.setUint16(56, opts.segs.length, true);
  opts.segs.forEach((s, i) => {
    const ph = phoff + 56 * i;
    dv.setUint32(ph, s.type ?? 1, true);
    dv.setUint32(ph + 4, 5, true);
    dv.setBigUint64(ph + 8, s.offset ?? BigInt(offsets[i] ?? 0), true);
    dv.setBigUint64(ph + 16, s.vaddr, true);
    dv.setBigUint64(ph + 24, s.paddr, true);
    dv.setBigUint64(ph + 32, s.filesz ?? BigInt(s.data.length), true);
    dv.setBigUint64(ph + 40, s.memsz ?? BigInt(s.data.length), true);
    dv.setBigUint64(ph + 48, 0x10000n, true);
    b.set(s.data, offsets[i] ?? 0);
  });
  return b;
}

function imageErr(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('expected an ImageError');
}

describe('identifyImage', () => {
  it('parses an arm64 Image header', () => {
    const info = identifyImage(arm64Image({ textOffset: 0n, imageSize: 0x1a00000n, flags: 0b1010n }));
    expect(info).toEqual({
      kind: 'arm64-image',
      textOffset: 0n,
      imageSize: 0x1a00000n,
      flags: 0b1010n,
      pageSizeBytes: 4096,
      placementAnywhere: true,
    });
    const i64k = identifyImage(arm64Image({ flags: 0b0110n, textOffset: 0x80000n }));
    expect(i64k).toMatchObject({ pageSizeBytes: 65536, placementAnywhere: false, textOffset: 0x80000n });
    expect(identifyImage(arm64Image({ flags: 0b0100n }))).toMatchObject({ pageSizeBytes: 16384 });
    expect(identifyImage(arm64Image({ flags: 0n }))).toMatchObject({ pageSizeBytes: 0 });
  });

  it('refuses big-endian Images', () => {
    expect(imageErr(() => identifyImage(arm64Image({ flags: 1n })))).toMatch(/big-endian/);
  });

  it('treats a pre-3.17 header (image_size 0) as having no flags', () => {
    expect(identifyImage(arm64Image({ imageSize: 0n, flags: 1n }))).toMatchObject({ kind: 'arm64-image', imageSize: 0n, flags: 0n });
  });

  it('needs the whole magic (QEMU: size > 60)', () => {
    expect(identifyImage(arm64Image({ fileBytes: 60 })).kind).toBe('raw');
    expect(identifyImage(arm64Image({ fileBytes: 61 })).kind).toBe('arm64-image');
  });

  it('recognises raw binaries and refuses compressed / uImage / empty inputs', () => {
    expect(identifyImage(new Uint8Array([0x00, 0x00, 0x80, 0xd2])).kind).toBe('raw');
    expect(imageErr(() => identifyImage(new Uint8Array()))).toMatch(/empty/);
    expect(imageErr(() => identifyImage(new Uint8Array([0x1f, 0x8b, 8, 0])))).toMatch(/gzip/);
    expect(imageErr(() => identifyImage(new Uint8Array([0x4d, 0x5a, 0, 0, 0x7a, 0x69, 0x6d, 0x67])))).toMatch(/zboot/);
    expect(imageErr(() => identifyImage(new Uint8Array([0x27, 0x05, 0x19, 0x56, 0, 0, 0, 0])))).toMatch(/uImage/);
  });

  it('parses a synthesized ELF64', () => {
    const text = new Uint8Array([0x1f, 0x20, 0x03, 0xd5, 0x00, 0x00, 0x00, 0x14]);
    const data = new Uint8Array([1, 2, 3, 4]);
    const info = identifyImage(
      elf64({
        entry: 0x40100000n,
        segs: [
          { vaddr: 0x40100000n, paddr: 0x40100000n, data: text },
          { vaddr: 0xffff000040200000n, paddr: 0x40200000n, data, memsz: 0x1000n },
          { type: 4 /* PT_NOTE */, vaddr: 0n, paddr: 0n, data: new Uint8Array(8) },
          { vaddr: 0x40300000n, paddr: 0x40300000n, data: new Uint8Array(), memsz: 0n }, // empty: skipped
        ],
      }),
    );
    expect(info.kind).toBe('elf');
    if (info.kind !== 'elf') return;
    expect(info.entry).toBe(0x40100000n);
    expect(info.segments).toEqual([
      { paddr: 0x40100000n, vaddr: 0x40100000n, fileBytes: text, memSize: 8n },
      { paddr: 0x40200000n, vaddr: 0xffff000040200000n, fileBytes: data, memSize: 0x1000n },
    ]);
  });

  const seg = (): SynthSeg => ({ vaddr: 0x40100000n, paddr: 0x40100000n, data: new Uint8Array(16) });
  it.each([
    ['32-bit class', () => elf64({ entry: 0x40100000n, segs: [seg()], cls: 1 }), /ELFCLASS64/],
    ['big-endian', () => elf64({ entry: 0x40100000n, segs: [seg()], data: 2 }), /big-endian/],
    ['wrong machine (x86-64)', () => elf64({ entry: 0x40100000n, segs: [seg()], machine: 62 }), /e_machine 62 is not EM_AARCH64/],
    ['relocatable object', () => elf64({ entry: 0x40100000n, segs: [seg()], type: 1 }), /e_type 1/],
    ['bad phentsize', () => elf64({ entry: 0x40100000n, segs: [seg()], phentsize: 32 }), /e_phentsize 32/],
    ['program headers past EOF', () => elf64({ entry: 0x40100000n, segs: [seg()], phoff: 0xffffffffffn }), /program headers .* run past/],
    ['segment past EOF', () => elf64({ entry: 0x40100000n, segs: [{ ...seg(), offset: 0x10000n }] }), /lie outside the .*-byte file/],
    ['filesz > memsz', () => elf64({ entry: 0x40100000n, segs: [{ ...seg(), memsz: 4n }] }), /p_filesz .* exceeds p_memsz/],
    ['wrapping segment', () => elf64({ entry: 0x40100000n, segs: [{ ...seg(), paddr: 0xfffffffffffffff8n }] }), /wraps/],
    [
      'overlapping segments',
      () => elf64({ entry: 0x40100000n, segs: [seg(), { ...seg(), paddr: 0x40100008n, vaddr: 0x40100008n }] }),
      /overlap/,
    ],
    ['entry outside segments', () => elf64({ entry: 0x50000000n, segs: [seg()] }), /entry point 0x50000000 is not inside/],
    ['no PT_LOAD', () => elf64({ entry: 0x40100000n, segs: [{ ...seg(), type: 4 }] }), /no non-empty PT_LOAD/],
    ['truncated header', () => elf64({ entry: 0x40100000n, segs: [seg()] }).subarray(0, 40), /shorter than an ELF64 header/],
  ] as [string, () => Uint8Array, RegExp][])('refuses an ELF with %s', (_label, make, re) => {
    expect(imageErr(() => identifyImage(make()))).toMatch(re);
  });

  it('throws only ImageError (or returns) on arbitrary bytes and mutated headers', () => {
    const seeds = [arm64Image(), elf64({ entry: 0x40100000n, segs: [seg()] })];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }), fc.nat()).map(([s, flips, cut]) => {
            const b = s.slice();
            for (const [p, v] of flips) b[p % b.length] = v;
            return b.subarray(0, 1 + (cut % b.length));
          }),
        ),
        (bytes) => {
          try {
            identifyImage(bytes);
          } catch (e) {
            if (!(e instanceof ImageError)) throw e;
          }
        },
      ),
      { numRuns: 3000, seed: 0x1a6e },
    );
  });
});

describe('planBoot (QEMU -kernel placement)', () => {
  const RAM = 512 * MiB;

  it('places a text_offset 0 Image at ramBase + 2 MiB, initrd at +128 MiB, DTB after it', () => {
    const kernel = arm64Image({ textOffset: 0n, imageSize: 0x1a00000n });
    const initrd = new Uint8Array(0x123456);
    const p = planBoot({ kernel, initrd, dtbSize: 0x2000, ramBytes: RAM });
    expect(p.isLinux).toBe(true);
    expect(p.entry).toBe(0x40200000n);
    expect(p.kernel).toEqual({ start: 0x40200000n, end: 0x40200000n + 0x1a00000n });
    expect(p.initrd).toEqual({ start: 0x48000000n, end: 0x48123456n });
    expect(p.dtbAddress).toBe(0x48200000n);
    expect(p.bootPc).toBe(0x40000000n);
    expect(p.stub?.stubAddress).toBe(0x40000000n);
    expect(p.loads.map((l) => [l.name, l.address])).toEqual([
      ['stub', 0x40000000n],
      ['kernel', 0x40200000n],
      ['initrd', 0x48000000n],
    ]);
    expect(p.loads[1]?.bytes).toBe(kernel);
  });

  it('without an initrd puts the DTB at the 2 MiB-aligned initrd slot', () => {
    const p = planBoot({ kernel: arm64Image(), dtbSize: 0x2000, ramBytes: RAM });
    expect(p.initrd).toBeNull();
    expect(p.dtbAddress).toBe(0x48000000n);
    expect(p.loads.map((l) => l.name)).toEqual(['stub', 'kernel']);
  });

  it('honours a text_offset at or above 4 KiB and adds 2 MiB below it', () => {
    expect(planBoot({ kernel: arm64Image({ textOffset: 0x80000n }), dtbSize: 64, ramBytes: RAM }).entry).toBe(0x40080000n);
    expect(planBoot({ kernel: arm64Image({ textOffset: 0x1000n }), dtbSize: 64, ramBytes: RAM }).entry).toBe(0x40001000n);
    expect(planBoot({ kernel: arm64Image({ textOffset: 0xffcn }), dtbSize: 64, ramBytes: RAM }).entry).toBe(0x40200ffcn);
    expect(imageErr(() => planBoot({ kernel: arm64Image({ textOffset: 0x80002n }), dtbSize: 64, ramBytes: RAM }))).toMatch(
      /text_offset 0x80002 is not 4-byte aligned/,
    );
  });

  it('loads pre-3.17 Images and raw binaries at ramBase + 0x80000 with the stub', () => {
    const legacy = planBoot({ kernel: arm64Image({ imageSize: 0n, textOffset: 0x1234n }), dtbSize: 64, ramBytes: RAM });
    expect(legacy.entry).toBe(0x40080000n);
    expect(legacy.kernel.end - legacy.kernel.start).toBe(4096n);
    const raw = planBoot({ kernel: new Uint8Array(0x3000), dtbSize: 64, ramBytes: RAM });
    expect(raw.image.kind).toBe('raw');
    expect(raw.entry).toBe(0x40080000n);
    expect(raw.bootPc).toBe(0x40000000n);
    expect(raw.stub).not.toBeNull();
  });

  it('moves the initrd above a kernel larger than 128 MiB (page aligned)', () => {
    const kernel = arm64Image({ imageSize: 0x9000123n });
    const p = planBoot({ kernel, initrd: new Uint8Array(100), dtbSize: 64, ramBytes: RAM });
    expect(p.initrd?.start).toBe(0x40200000n + 0x9001000n);
    expect(p.dtbAddress).toBe(0x49400000n);
  });

  it('uses half of a small RAM for the initrd slot', () => {
    const p = planBoot({ kernel: arm64Image({ imageSize: 0x100000n }), initrd: new Uint8Array(10), dtbSize: 64, ramBytes: 64 * MiB });
    expect(p.initrd?.start).toBe(0x42000000n);
    expect(p.dtbAddress).toBe(0x42200000n);
  });

  it('refuses layouts that do not fit, naming the sizes', () => {
    expect(imageErr(() => planBoot({ kernel: arm64Image({ imageSize: BigInt(RAM) }), dtbSize: 64, ramBytes: RAM }))).toMatch(
      /kernel is too large to fit in RAM \(kernel size 536870912 .*RAM size 536870912\)/,
    );
    expect(imageErr(() => planBoot({ kernel: arm64Image(), initrd: new Uint8Array(RAM / 2), dtbSize: 64, ramBytes: 256 * MiB }))).toMatch(
      /initrd of 268435456 bytes is too big to fit into RAM after the kernel \(starts at 0x48000000, RAM ends at 0x50000000\)/,
    );
    expect(imageErr(() => planBoot({ kernel: arm64Image({ imageSize: 0x5e00000n }), initrd: new Uint8Array(1), dtbSize: 64, ramBytes: 96 * MiB }))).toMatch(
      /not enough space after the kernel to load the initrd/,
    );
    // Kernel ends at +28 MiB, so initrd slot = DTB = +28 MiB; 8 MiB fits exactly in 36 MiB, one more byte does not.
    expect(planBoot({ kernel: arm64Image(), dtbSize: 0x800000, ramBytes: 36 * MiB }).dtbAddress).toBe(0x41c00000n);
    expect(imageErr(() => planBoot({ kernel: arm64Image(), dtbSize: 0x800001, ramBytes: 36 * MiB }))).toMatch(
      /not enough space for the 8388609-byte DTB after the kernel\/initrd \(it would start at 0x41c00000, RAM ends at 0x42400000\)/,
    );
    expect(imageErr(() => planBoot({ kernel: arm64Image(), dtbSize: 0, ramBytes: RAM }))).toMatch(/DTB size/);
    expect(imageErr(() => planBoot({ kernel: arm64Image(), dtbSize: 64, ramBytes: 0 }))).toMatch(/RAM size/);
  });

  it('boots ELF images at their physical addresses with no stub, DTB at ramBase when there is room', () => {
    const kernel = elf64({
      entry: 0x40080000n,
      segs: [
        { vaddr: 0x40080000n, paddr: 0x40080000n, data: new Uint8Array(0x100) },
        { vaddr: 0x40090000n, paddr: 0x40090000n, data: new Uint8Array(0x10), memsz: 0x2000n },
      ],
    });
    const p = planBoot({ kernel, dtbSize: 0x1000, ramBytes: RAM });
    expect(p.isLinux).toBe(false);
    expect(p.stub).toBeNull();
    expect(p.bootPc).toBe(0x40080000n);
    expect(p.bootRegs).toEqual({ x0: 0n, x1: 0n, x2: 0n, x3: 0n });
    expect(p.dtbAddress).toBe(0x40000000n);
    expect(p.kernel).toEqual({ start: 0x40080000n, end: 0x40092000n });
    expect(p.loads.map((l) => [l.name, l.address, l.memSize])).toEqual([
      ['segment0', 0x40080000n, 0x100n],
      ['segment1', 0x40090000n, 0x2000n],
    ]);
    // No room below the image: no DTB (QEMU would drop it at physical 0).
    expect(planBoot({ kernel, dtbSize: 0x80001, ramBytes: RAM }).dtbAddress).toBeNull();
    const atBase = elf64({ entry: 0x40000000n, segs: [{ vaddr: 0x40000000n, paddr: 0x40000000n, data: new Uint8Array(8) }] });
    expect(planBoot({ kernel: atBase, dtbSize: 64, ramBytes: RAM }).dtbAddress).toBeNull();
  });

  it('refuses ELF segments outside RAM, virtual entries and initrds', () => {
    const outside = elf64({ entry: 0x100000n, segs: [{ vaddr: 0x100000n, paddr: 0x100000n, data: new Uint8Array(8) }] });
    expect(imageErr(() => planBoot({ kernel: outside, dtbSize: 64, ramBytes: RAM }))).toMatch(/outside RAM/);
    const virt = elf64({ entry: 0xffff800010000000n, segs: [{ vaddr: 0xffff800010000000n, paddr: 0x40200000n, data: new Uint8Array(8) }] });
    expect(imageErr(() => planBoot({ kernel: virt, dtbSize: 64, ramBytes: RAM }))).toMatch(/not inside any segment's physical range/);
    const ok = elf64({ entry: 0x40200000n, segs: [{ vaddr: 0x40200000n, paddr: 0x40200000n, data: new Uint8Array(8) }] });
    expect(imageErr(() => planBoot({ kernel: ok, initrd: new Uint8Array(1), dtbSize: 64, ramBytes: RAM }))).toMatch(/initrd was given with an ELF/);
  });

  it('feeds a virt DTB whose initrd range and size match the plan', () => {
    const kernel = arm64Image();
    const initrd = new Uint8Array(0x4321);
    // The initrd placement does not depend on the DTB size, so plan once with a bound, build, check.
    const probe = planBoot({ kernel, initrd, dtbSize: 0x10000, ramBytes: RAM });
    const dtb = buildVirtDeviceTreeBlob({ numCpus: 2, memBytes: RAM, seed: 3n, initrd: probe.initrd ?? undefined, bootargs: 'console=ttyAMA0' });
    const plan = planBoot({ kernel, initrd, dtbSize: dtb.length, ramBytes: RAM });
    expect(plan.initrd).toEqual(probe.initrd);
    expect(plan.dtbAddress).toBe(probe.dtbAddress);
    const chosen = findNode(readFdt(dtb).root, '/chosen');
    expect(chosen && readU64(getProp(chosen, 'linux,initrd-start') ?? new Uint8Array())).toBe(0x48000000n);
    expect(chosen && readU64(getProp(chosen, 'linux,initrd-end') ?? new Uint8Array())).toBe(0x48004321n);
  });

  it('is deterministic', () => {
    const input = { kernel: arm64Image(), initrd: new Uint8Array(5), dtbSize: 100, ramBytes: RAM };
    expect(planBoot(input)).toEqual(planBoot(input));
  });
});

describe('boot stub', () => {
  it('encodes the QEMU bootloader_aarch64 sequence', () => {
    const s = buildBootStub({ stubAddress: 0x40000000n, dtbAddress: 0x1_4800_0000n, entry: 0x40200000n });
    expect(s.stubAddress).toBe(0x40000000n);
    expect(Array.from(s.words)).toEqual([
      0x580000c0, // ldr x0, #0x18
      0xaa1f03e1, // mov x1, xzr
      0xaa1f03e2, // mov x2, xzr
      0xaa1f03e3, // mov x3, xzr
      0x58000084, // ldr x4, #0x10
      0xd61f0080, // br x4
      0x48000000,
      0x00000001,
      0x40200000,
      0x00000000,
    ]);
    expect(s.bytes.length).toBe(BOOT_STUB_BYTES);
    expect(Array.from(s.bytes.subarray(0, 4))).toEqual([0xc0, 0x00, 0x00, 0x58]); // little-endian
    expect(Array.from(s.bytes.subarray(24, 32))).toEqual([0x00, 0x00, 0x00, 0x48, 0x01, 0x00, 0x00, 0x00]);
  });

  it('encoders match hand-checked encodings and reject bad inputs', () => {
    expect(encLdrLiteral64(0, 0x18)).toBe(0x580000c0);
    expect(encLdrLiteral64(1, -4)).toBe(0x58ffffe1);
    expect(encMovXzr(7)).toBe(0xaa1f03e7);
    expect(encBr(30)).toBe(0xd61f03c0);
    expect(() => encLdrLiteral64(0, 2)).toThrow();
    expect(() => buildBootStub({ stubAddress: 0x40000004n, dtbAddress: 0n, entry: 0n })).toThrow(/8-byte aligned/);
    expect(() => buildBootStub({ stubAddress: 0n, dtbAddress: 0n, entry: 2n })).toThrow(/4-byte aligned/);
  });
});

describe.skipIf(!hasCross)('with GNU binutils (aarch64-linux-gnu)', () => {
  const withTmp = <T>(f: (dir: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'hvrr-loader-'));
    try {
      return f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const run = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    return r.stdout;
  };

  it('the boot stub is what the assembler produces for the same source', () => {
    withTmp((dir) => {
      const src = [
        '.text',
        '.global _start',
        '_start:',
        '  ldr x0, dtb_ptr',
        '  mov x1, xzr',
        '  mov x2, xzr',
        '  mov x3, xzr',
        '  ldr x4, entry_ptr',
        '  br  x4',
        'dtb_ptr:   .quad 0x0000000148000000',
        'entry_ptr: .quad 0x0000000040200000',
        '',
      ].join('\n');
      writeFileSync(join(dir, 'stub.s'), src);
      run('aarch64-linux-gnu-as', ['-o', join(dir, 'stub.o'), join(dir, 'stub.s')]);
      run('aarch64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'stub.o'), join(dir, 'stub.bin')]);
      const bin = new Uint8Array(readFileSync(join(dir, 'stub.bin')));
      const ours = buildBootStub({ stubAddress: 0x40000000n, dtbAddress: 0x148000000n, entry: 0x40200000n });
      expect(bin).toEqual(ours.bytes);
    });
  });

  it('parses a real linked ELF like readelf does', () => {
    withTmp((dir) => {
      const src = [
        '.text',
        '.global _start',
        '_start:',
        '  adr x1, msg',
        '  ldr x2, =counter',
        '1: wfi',
        '  b 1b',
        '.data',
        'msg: .asciz "hello from hvrr"',
        '.bss',
        'counter: .space 0x3000',
        '',
      ].join('\n');
      writeFileSync(join(dir, 'k.s'), src);
      run('aarch64-linux-gnu-as', ['-o', join(dir, 'k.o'), join(dir, 'k.s')]);
      run('aarch64-linux-gnu-ld', ['-static', '-Ttext=0x40080000', '-Tdata=0x40100000', '-e', '_start', '-o', join(dir, 'k.elf'), join(dir, 'k.o')]);
      const bytes = new Uint8Array(readFileSync(join(dir, 'k.elf')));
      const info: ImageInfo = identifyImage(bytes);
      expect(info.kind).toBe('elf');
      if (info.kind !== 'elf') return;
      const sym = run('aarch64-linux-gnu-nm', [join(dir, 'k.elf')]);
      const start = BigInt('0x' + (sym.match(/^([0-9a-f]+) T _start$/m)?.[1] ?? 'x'));
      expect(info.entry).toBe(start);
      // Compare against readelf's program headers (LOAD rows).
      const ph = run('aarch64-linux-gnu-readelf', ['-lW', join(dir, 'k.elf')]);
      const loads = [...ph.matchAll(/^\s*LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)/gm)].map((m) => ({
        offset: parseInt(m[1] ?? '', 16),
        vaddr: BigInt('0x' + m[2]),
        paddr: BigInt('0x' + m[3]),
        filesz: parseInt(m[4] ?? '', 16),
        memsz: BigInt('0x' + m[5]),
      }));
      expect(loads.length).toBeGreaterThan(0);
      expect(info.segments.map((s) => ({ vaddr: s.vaddr, paddr: s.paddr, memsz: s.memSize, filesz: s.fileBytes.length }))).toEqual(
        loads.filter((l) => l.memsz > 0n).map((l) => ({ vaddr: l.vaddr, paddr: l.paddr, memsz: l.memsz, filesz: l.filesz })),
      );
      for (const [i, l] of loads.filter((x) => x.memsz > 0n).entries()) {
        expect(info.segments[i]?.fileBytes).toEqual(bytes.subarray(l.offset, l.offset + l.filesz));
      }
      const data = info.segments.find((s) => s.paddr === 0x40100000n);
      expect(new TextDecoder().decode(data?.fileBytes.subarray(0, 15))).toBe('hello from hvrr');
      expect(data?.memSize).toBeGreaterThanOrEqual(0x3000n);
      const plan = planBoot({ kernel: bytes, dtbSize: 0x1000, ramBytes: 512 * MiB });
      expect(plan.bootPc).toBe(start);
      expect(plan.dtbAddress).toBe(0x40000000n);
    });
  });
});

describe('rawImageProblem: does a raw binary look like A64 code?', () => {
  const words = (...ws: number[]): Uint8Array => new Uint8Array(new Uint32Array(ws).buffer);
  it('accepts code, a branch over a header, and a small program with a literal pool', () => {
    expect(rawImageProblem(words(0x14000000))).toBeNull(); // b .
    expect(rawImageProblem(words(0x14000003, 0, 0, 0xd503201f, 0xd503207f, 0x17ffffff))).toBeNull(); // b +12 over data; nop; wfi; b -4
    expect(rawImageProblem(words(0x58000040, 0xd4000002, 0x14000000, 0x84000009, 0))).toBeNull(); // ldr x0, =lit; hvc #0; b .; literal
  });
  it('names what is wrong with zeros, data and a jump out of the image', () => {
    expect(rawImageProblem(new Uint8Array(64))).toMatch(/first word 0x00000000 \(the entry point\) is not an A64 instruction/);
    expect(rawImageProblem(new Uint8Array(2))).toMatch(/less than one instruction/);
    expect(rawImageProblem(words(0xd503201f, 0xdeadbeef, 0x0badf00d, 0xffffffff))).toMatch(/of the \d+ instructions its entry point leads to are not/);
    expect(rawImageProblem(words(0x14100000))).toMatch(/jump out of it/);
  });
  it('flags nearly all random data (seeded)', () => {
    let x = 0x9e3779b9;
    let flagged = 0;
    for (let n = 0; n < 500; n++) {
      const b = new Uint8Array(1024);
      for (let i = 0; i < b.length; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        b[i] = x & 0xff;
      }
      if (rawImageProblem(b) !== null) flagged++;
    }
    expect(flagged).toBeGreaterThanOrEqual(495);
  });
});
