import { describe, expect, it } from 'vitest';
import { SP_PKG_HEADER_MAGIC, SpPackageError, buildSpPackage, parseSpPackage, type SpPackageField } from './spPackage.js';

const manifest = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
const image = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

/** A package with the header word `index` replaced. */
function withWord(pkg: Uint8Array, index: number, value: number): Uint8Array {
  const copy = pkg.slice();
  new DataView(copy.buffer).setUint32(index * 4, value, true);
  return copy;
}

function refusedField(bytes: Uint8Array): SpPackageField {
  try {
    parseSpPackage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(SpPackageError);
    return (e as SpPackageError).field;
  }
  throw new Error('accepted');
}

describe('SP package', () => {
  it('reads the header words little-endian: "SPKG" is 0x474b5053', () => {
    const pkg = buildSpPackage({ manifest, image });
    expect(String.fromCharCode(...pkg.subarray(0, 4))).toBe('SPKG');
    expect(new DataView(pkg.buffer).getUint32(0, true)).toBe(SP_PKG_HEADER_MAGIC);
  });

  it.each([1, 2] as const)('round-trips version %i', (version) => {
    const pkg = buildSpPackage({ manifest, image, version });
    const p = parseSpPackage(pkg);
    expect(p.header.version).toBe(version);
    expect(p.header.pmOffset).toBe(version === 1 ? 24 : 0x1000);
    expect(p.header.imgOffset % 0x1000).toBe(0);
    expect([...p.manifest]).toEqual([...manifest]);
    expect([...p.image]).toEqual([...image]);
  });

  it('reads the seed\'s layout (v2: manifest at 0x1000, image at 0x4000)', () => {
    const pkg = new Uint8Array(0x4000 + 16);
    const dv = new DataView(pkg.buffer);
    [SP_PKG_HEADER_MAGIC, 2, 0x1000, 0x2000, 0x4000, 16].forEach((w, i) => dv.setUint32(i * 4, w, true));
    const p = parseSpPackage(pkg);
    expect(p.manifest.length).toBe(0x2000);
    expect(p.image.byteOffset).toBe(0x4000);
  });

  it('refuses each broken field by name', () => {
    const v1 = buildSpPackage({ manifest, image, version: 1 });
    const v2 = buildSpPackage({ manifest, image, version: 2 });
    expect(refusedField(v2.subarray(0, 23))).toBe('length');
    expect(refusedField(withWord(v2, 0, 0x474b5054))).toBe('magic');
    expect(refusedField(withWord(v2, 1, 3))).toBe('version');
    expect(refusedField(withWord(v2, 1, 0))).toBe('version');
    expect(refusedField(withWord(v1, 2, 0x1000))).toBe('pm_offset'); // v1: manifest right after the header
    expect(refusedField(withWord(v2, 2, 0x800))).toBe('pm_offset'); // v2: page aligned
    expect(refusedField(withWord(v2, 2, 0))).toBe('pm_offset'); // v2: not over the header
    expect(refusedField(withWord(v2, 3, 0))).toBe('pm_size');
    expect(refusedField(withWord(v2, 3, 0x1001))).toBe('img_offset'); // manifest runs into the image
    expect(refusedField(withWord(v1, 3, 0x1000))).toBe('img_offset'); // header + manifest need two pages
    expect(refusedField(withWord(v2, 4, 0x2800))).toBe('img_offset');
    expect(refusedField(withWord(v2, 5, 0))).toBe('img_size');
    expect(refusedField(withWord(v2, 5, image.length + 1))).toBe('img_size');
    expect(refusedField(v2.subarray(0, v2.length - 1))).toBe('img_size');
    expect(refusedField(withWord(v2, 4, 0xffff_f000))).toBe('img_size');
  });

  it('names the field and the value in the message', () => {
    const v2 = buildSpPackage({ manifest, image });
    expect(() => parseSpPackage(withWord(v2, 0, 0))).toThrow('SP package magic: 0x0 is not "SPKG" (0x474b5053)');
  });

  it('builds only what it can parse', () => {
    expect(() => buildSpPackage({ manifest: new Uint8Array(0), image })).toThrow(SpPackageError);
  });
});
