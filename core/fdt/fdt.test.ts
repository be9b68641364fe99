import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFdt, readFdtHeader } from './reader.js';
import {
  FdtError,
  cells,
  checkPhandlesUnique,
  empty,
  findByPhandle,
  findNode,
  formatValue,
  getPhandle,
  getProp,
  maxPhandle,
  node,
  prop,
  readSizedCells,
  readString,
  readStringList,
  readU32,
  readU32Cells,
  readU64,
  sizedCells,
  str,
  strList,
  toDts,
  treesEqual,
  u32,
  u64,
  withPhandle,
  type FdtNode,
  type FdtReserveEntry,
} from './tree.js';
import { FDT_MAGIC, writeFdt } from './writer.js';

const hasDtc = spawnSync('dtc', ['--version']).status === 0;

// ---- arbitraries ----

const nameChars = 'abcdefghijklmnopqrstuvwxyz0123456789,._+-';
const arbBaseName = fc
  .array(fc.constantFrom(...nameChars), { minLength: 1, maxLength: 12 })
  .map((cs) => 'n' + cs.join(''));
const arbNodeName = fc.tuple(arbBaseName, fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined })).map(([b, u]) =>
  u === undefined ? b : `${b}@${u.toString(16)}`,
);
const arbPlainPropName = fc.array(fc.constantFrom(...nameChars, '#', '?'), { minLength: 1, maxLength: 20 }).map((cs) => 'p' + cs.join(''));
const arbPropName = fc.oneof(
  fc.constantFrom('compatible', 'reg', '#address-cells', '#size-cells', 'interrupts', 'phandle', 'status', 'linux,code', 'x?y'),
  arbPlainPropName,
);
const arbValue = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 8 }).map((v) => cells(...v)),
  fc.array(fc.stringMatching(/^[ -~]{1,12}$/).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 4 }).map((v) => strList(...v)),
  fc.constant(empty()),
);

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}

// `plain` avoids property names dtc gives meaning to (phandle, reg, ...), whose
// random values its semantic checks would rightly reject.
function arbNodeAt(depth: number, plain = false): fc.Arbitrary<FdtNode> {
  return fc
    .record({
      name: arbNodeName,
      props: fc.array(fc.record({ name: plain ? arbPlainPropName : arbPropName, value: arbValue }), { maxLength: 6 }),
      children: depth === 0 ? fc.constant<FdtNode[]>([]) : fc.array(arbNodeAt(depth - 1, plain), { maxLength: 3 }),
    })
    .map(({ name, props, children }) => ({
      name,
      props: uniqueBy(props, (p) => p.name),
      children: uniqueBy(children, (c) => c.name),
    }));
}
const arbTree: fc.Arbitrary<FdtNode> = arbNodeAt(4).map((n) => ({ ...n, name: '' }));
const arbPlainTree: fc.Arbitrary<FdtNode> = arbNodeAt(3, true).map((n) => ({ ...n, name: '' }));

const arbReserve: fc.Arbitrary<FdtReserveEntry[]> = fc.array(
  fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), size: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }) }),
  { maxLength: 4 },
);

function sampleTree(): FdtNode {
  return node(
    '',
    [prop('#address-cells', u32(2)), prop('#size-cells', u32(2)), prop('compatible', str('test,board')), prop('model', str('t'))],
    [
      node('cpus', [prop('#address-cells', u32(1)), prop('#size-cells', u32(0))], [
        node('cpu@0', [prop('reg', u32(0)), prop('phandle', u32(1)), prop('compatible', str('arm,cortex-a57'))]),
        node('cpu@1', [prop('reg', u32(1)), prop('phandle', u32(2)), prop('compatible', str('arm,cortex-a57'))]),
      ]),
      node('memory@40000000', [prop('device_type', str('memory')), prop('reg', concatCells(0, 0x40000000, 0, 0x10000000))]),
      node('chosen', [prop('bootargs', str('console=ttyAMA0 "quoted" back\\slash')), prop('empty-flag', empty())]),
    ],
  );
}

function concatCells(...v: number[]): Uint8Array {
  return cells(...v);
}

function classify(f: () => unknown): 'ok' | 'fdt-error' | Error {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof FdtError) {
      expect(e.message).not.toContain('\n');
      expect(e.message.length).toBeGreaterThan(0);
      return 'fdt-error';
    }
    return e as Error;
  }
}

describe('FDT writer/reader', () => {
  it('writes a v17 header dtc-style', () => {
    const blob = writeFdt(sampleTree(), { bootCpuidPhys: 3 });
    const h = readFdtHeader(blob);
    expect(h.magic).toBe(FDT_MAGIC);
    expect(h.version).toBe(17);
    expect(h.lastCompVersion).toBe(16);
    expect(h.totalSize).toBe(blob.length);
    expect(h.offMemRsvmap).toBe(0x28);
    expect(h.offDtStruct).toBe(0x28 + 16);
    expect(h.offDtStrings).toBe(h.offDtStruct + h.sizeDtStruct);
    expect(h.offDtStrings + h.sizeDtStrings).toBe(blob.length);
    expect(h.bootCpuidPhys).toBe(3);
  });

  it('de-duplicates property names in the strings block', () => {
    const blob = writeFdt(sampleTree());
    const h = readFdtHeader(blob);
    const names = new Set<string>();
    const collect = (n: FdtNode): void => {
      n.props.forEach((p) => names.add(p.name));
      n.children.forEach(collect);
    };
    collect(sampleTree());
    const expected = [...names].reduce((acc, s) => acc + s.length + 1, 0);
    expect(h.sizeDtStrings).toBe(expected);
    const strings = new TextDecoder().decode(blob.subarray(h.offDtStrings, h.offDtStrings + h.sizeDtStrings));
    expect(strings.split('\0').filter((s) => s === 'reg')).toHaveLength(1);
  });

  it('round-trips random trees, reservations and boot cpu exactly', () => {
    fc.assert(
      fc.property(arbTree, arbReserve, fc.nat({ max: 0xffffffff }), (tree, memReserve, bootCpuidPhys) => {
        const blob = writeFdt(tree, { memReserve, bootCpuidPhys });
        const back = readFdt(blob);
        expect(treesEqual(back.root, tree)).toBe(true);
        expect(back.memReserve).toEqual(memReserve);
        expect(back.bootCpuidPhys).toBe(bootCpuidPhys);
        // Deterministic and idempotent: re-writing the parsed tree gives the same bytes.
        expect(writeFdt(back.root, { memReserve, bootCpuidPhys })).toEqual(blob);
      }),
      { numRuns: 300, seed: 0x5eed },
    );
  });

  it('never throws anything but FdtError on byte flips and truncations', () => {
    fc.assert(
      fc.property(
        arbTree,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (tree, flips, cut) => {
          const blob = writeFdt(tree, { memReserve: [{ address: 0x1000n, size: 0x2000n }] });
          const bad = blob.slice();
          for (const [pos, x] of flips) {
            const i = pos % bad.length;
            bad[i] = (bad[i] ?? 0) ^ x;
          }
          const input = cut === undefined ? bad : bad.subarray(0, cut % bad.length);
          const r = classify(() => readFdt(input));
          if (r instanceof Error) throw r;
          if (r === 'ok') {
            // Whatever parsed must be a well-formed tree we can render and re-read.
            const again = readFdt(input);
            expect(toDts(again.root).length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000, seed: 0xf11b },
    );
  });

  it('rejects every truncation of a valid blob with FdtError', () => {
    const blob = writeFdt(sampleTree());
    for (let n = 0; n < blob.length; n++) {
      expect(classify(() => readFdt(blob.subarray(0, n)))).toBe('fdt-error');
    }
  });

  it('survives header fields set to hostile values', () => {
    const blob = writeFdt(sampleTree());
    const hostile = [0, 1, 3, 0x27, 0x28, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff, blob.length, blob.length - 4, blob.length + 4];
    for (let field = 1; field < 10; field++) {
      for (const v of hostile) {
        const bad = blob.slice();
        new DataView(bad.buffer).setUint32(field * 4, v >>> 0, false);
        const r = classify(() => readFdt(bad));
        if (r instanceof Error) throw r;
      }
    }
  });

  const corrupt = (edit: (dv: DataView, blob: Uint8Array) => void): Uint8Array => {
    const b = writeFdt(sampleTree());
    edit(new DataView(b.buffer), b);
    return b;
  };
  const h0 = readFdtHeader(writeFdt(sampleTree()));
  it.each([
    ['bad magic', corrupt((dv) => dv.setUint32(0, 0xdeadbeef)), /magic/],
    ['old version', corrupt((dv) => dv.setUint32(20, 15)), /version 15/],
    ['future last_comp_version', corrupt((dv) => dv.setUint32(24, 18)), /last_comp_version 18/],
    ['totalsize past end', corrupt((dv, b) => dv.setUint32(4, b.length + 1)), /totalsize/],
    ['struct offset misaligned', corrupt((dv) => dv.setUint32(8, h0.offDtStruct + 2)), /structure block offset .* not 4-byte aligned/],
    ['rsvmap misaligned', corrupt((dv) => dv.setUint32(16, 0x2c)), /memory reservation block offset .* not 8-byte aligned/],
    ['strings block out of bounds', corrupt((dv) => dv.setUint32(32, 0x10000)), /strings block .* outside totalsize/],
    ['struct size not multiple of 4', corrupt((dv) => dv.setUint32(36, h0.sizeDtStruct - 2)), /structure block/],
    ['unknown token', corrupt((dv) => dv.setUint32(h0.offDtStruct, 0x7)), /unknown FDT token 0x7/],
    ['root has a name', corrupt((dv, b) => (b[h0.offDtStruct + 4] = 0x61)), /root node has name/],
    [
      'name offset past strings block',
      corrupt((dv) => dv.setUint32(h0.offDtStruct + 8 + 8, 0x1000)),
      /name offset 0x1000 outside/,
    ],
    ['no FDT_END', corrupt((dv) => dv.setUint32(h0.offDtStruct + h0.sizeDtStruct - 4, 0x4)), /without an FDT_END/],
    [
      'missing END_NODE',
      corrupt((dv) => {
        dv.setUint32(h0.offDtStruct + h0.sizeDtStruct - 8, 0x4); // NOP out the root's END_NODE
      }),
      /still open/,
    ],
    ['short blob', new Uint8Array(12), /shorter than the 40-byte FDT header/],
  ])('rejects %s with a one-line FdtError', (_label, blob, re) => {
    let err: unknown;
    try {
      readFdt(blob);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FdtError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain('\n');
  });

  it('skips FDT_NOP tokens', () => {
    const blob = writeFdt(node('', [prop('a', u32(1))], [node('x', [prop('b', u32(2))])]));
    const h = readFdtHeader(blob);
    // Replace the child's prop (12 bytes header + 4 value = 4 words) with NOPs.
    const dv = new DataView(blob.buffer);
    const childPropAt = h.offDtStruct + 8 + 16 + 8; // root begin+name, root prop (16), child begin "x\0" (8)
    for (let i = 0; i < 4; i++) dv.setUint32(childPropAt + i * 4, 4);
    const t = readFdt(blob).root;
    expect(t.children[0]?.name).toBe('x');
    expect(t.children[0]?.props).toEqual([]);
  });

  it('refuses unrepresentable trees at write time', () => {
    expect(() => writeFdt(node('x'))).toThrow(FdtError);
    expect(() => writeFdt(node('', [], [node('a/b')]))).toThrow(/invalid node name/);
    expect(() => writeFdt(node('', [], [node('')]))).toThrow(/invalid node name/);
    expect(() => writeFdt(node('', [prop('a', empty()), prop('a', empty())]))).toThrow(/duplicate property/);
    expect(() => writeFdt(node('', [], [node('a'), node('a')]))).toThrow(/duplicate node/);
    expect(() => writeFdt(node('', [prop('', empty())]))).toThrow(/invalid property name/);
    expect(() => writeFdt(node(''), { memReserve: [{ address: 1n, size: 0n }] })).toThrow(/size 0/);
  });

  it('handles very deep trees without recursion', () => {
    let n: FdtNode = node('leaf', [prop('depth', u32(5000))]);
    for (let i = 4999; i >= 0; i--) n = node(`d${i}`, [], [n]);
    const root = node('', [], [n]);
    const back = readFdt(writeFdt(root)).root;
    expect(treesEqual(back, root)).toBe(true);
    expect(toDts(back).split('\n').length).toBeGreaterThan(10000);
  });
});

describe('FDT value and navigation helpers', () => {
  it('encodes and decodes values', () => {
    expect(Array.from(u32(0x12345678))).toEqual([0x12, 0x34, 0x56, 0x78]);
    expect(readU64(u64(0x1_2345_6789n))).toBe(0x1_2345_6789n);
    expect(readU64(u32(7))).toBe(7n);
    expect(readU32Cells(cells(1, 2, 0xffffffff))).toEqual([1, 2, 0xffffffff]);
    expect(readSizedCells(sizedCells(2, 0x40000000n), 2)).toEqual([[0x40000000n]]);
    expect(readSizedCells(cells(0, 1, 0, 2, 0, 3, 0, 4), 2, 2)).toEqual([
      [1n, 2n],
      [3n, 4n],
    ]);
    expect(readStringList(strList('a', 'bc'))).toEqual(['a', 'bc']);
    expect(readString(str('hello'))).toBe('hello');
    expect(() => readU32Cells(new Uint8Array(3))).toThrow(FdtError);
    expect(() => readU32(cells(1, 2))).toThrow(FdtError);
    expect(() => sizedCells(1, 1n << 32n)).toThrow(/does not fit/);
    expect(() => cells(-1)).toThrow(FdtError);
    expect(() => cells(1.5)).toThrow(FdtError);
    expect(() => u64(-1n)).toThrow(FdtError);
    expect(() => str('a\0b')).toThrow(FdtError);
    expect(() => readString(new Uint8Array([0x61]))).toThrow(/NUL-terminated/);
  });

  it('finds nodes by path, with or without unit address', () => {
    const t = sampleTree();
    expect(findNode(t, '/')).toBe(t);
    expect(findNode(t, '/cpus/cpu@1')?.name).toBe('cpu@1');
    expect(findNode(t, '/memory')?.name).toBe('memory@40000000');
    expect(findNode(t, '/cpus/cpu')?.name).toBe('cpu@0');
    expect(findNode(t, '/nope')).toBeUndefined();
    expect(findNode(t, '/memory@0')).toBeUndefined();
    expect(() => findNode(t, 'cpus')).toThrow(FdtError);
    const mem = findNode(t, '/memory');
    expect(mem && readU32Cells(getProp(mem, 'reg') ?? new Uint8Array())).toEqual([0, 0x40000000, 0, 0x10000000]);
    expect(getProp(t, 'absent')).toBeUndefined();
  });

  it('phandle helpers', () => {
    const t = sampleTree();
    expect(maxPhandle(t)).toBe(2);
    expect(findByPhandle(t, 2)?.name).toBe('cpu@1');
    expect(findByPhandle(t, 9)).toBeUndefined();
    const chosen = findNode(t, '/chosen');
    expect(chosen && getPhandle(chosen)).toBeUndefined();
    const c2 = withPhandle(chosen ?? node('x'), 5);
    expect(getPhandle(c2)).toBe(5);
    expect(getPhandle(withPhandle(c2, 6))).toBe(6);
    expect(withPhandle(c2, 6).props.filter((p) => p.name === 'phandle')).toHaveLength(1);
    expect(() => withPhandle(c2, 0)).toThrow(FdtError);
    checkPhandlesUnique(t);
    const dup = node('', [], [node('a', [prop('phandle', u32(1))]), node('b', [prop('phandle', u32(1))])]);
    expect(() => checkPhandlesUnique(dup)).toThrow(/used by both \/a and \/b/);
  });

  it('renders DTS like dtc', () => {
    expect(formatValue(str('x'))).toBe('"x"');
    expect(formatValue(strList('a', 'b'))).toBe('"a\\0b"');
    expect(formatValue(strList('a', '7b'))).toBe('"a\\x007b"'); // not the octal escape \\07
    expect(formatValue(cells(0, 0x10))).toBe('<0x00 0x10>');
    expect(formatValue(new Uint8Array([1, 2, 3]))).toBe('[01 02 03]');
    expect(formatValue(new Uint8Array([0, 0, 0, 1]))).toBe('<0x01>');
    const dts = toDts({ root: sampleTree(), memReserve: [{ address: 0x1000n, size: 0x2000n }], bootCpuidPhys: 0 });
    expect(dts).toContain('/memreserve/ 0x0000000000001000 0x0000000000002000;');
    expect(dts).toContain('\tcpus {\n\t\t#address-cells = <0x01>;');
    expect(dts).toContain('\t\tempty-flag;\n');
    expect(dts).toContain('bootargs = "console=ttyAMA0 \\"quoted\\" back\\\\slash";');
  });
});

describe.skipIf(!hasDtc)('FDT cross-check with dtc', () => {
  const withTmp = <T>(f: (dir: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'hvrr-fdt-'));
    try {
      return f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('dtc re-emits our blobs byte for byte, and compiles our DTS back to the same tree', () => {
    withTmp((dir) => {
      const trees = fc.sample(arbPlainTree, { numRuns: 25, seed: 42 });
      trees.push(sampleTree());
      trees.forEach((tree, i) => {
        const memReserve = i % 3 === 0 ? [{ address: 0x8000_0000n, size: 0x1000n }] : [];
        const blob = writeFdt(tree, { memReserve });
        const inPath = join(dir, `t${i}.dtb`);
        const outPath = join(dir, `t${i}.out.dtb`);
        writeFileSync(inPath, blob);
        const r = spawnSync('dtc', ['-q', '-I', 'dtb', '-O', 'dtb', '-o', outPath, inPath], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(new Uint8Array(readFileSync(outPath))).toEqual(blob);
        // toDts -> dtc -> our reader gives the tree back.
        const dtsPath = join(dir, `t${i}.dts`);
        writeFileSync(dtsPath, toDts(tree, memReserve));
        execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', outPath, dtsPath]);
        const back = readFdt(new Uint8Array(readFileSync(outPath)));
        if (!treesEqual(back.root, tree)) expect(toDts(back.root)).toBe(toDts(tree)); // readable diff
        expect(treesEqual(back.root, tree)).toBe(true);
        expect(back.memReserve).toEqual(memReserve);
      });
    });
  });
});
