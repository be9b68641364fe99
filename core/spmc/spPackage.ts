// A Secure Partition package as TF-A's sptool writes it and Hafnium reads it
// (Hafnium inc/hf/sp_pkg.h, src/sp_pkg.c): a header of six little-endian
// 32-bit words, then the partition's FF-A manifest (a DTB) and its image at
// the offsets the header gives. Both header versions have the same six
// words; they differ in where the manifest may sit:
//   v1: the manifest right after the header (pm_offset = 24), the image on
//       a page boundary after the header and manifest rounded up to a page;
//   v2: manifest and image each on a page boundary (the space before the
//       manifest is for boot information), manifest before image.
// Beyond Hafnium (which trusts the loader for it) both regions must lie
// inside the bytes we were given, and neither may be empty.

export const SP_PKG_HEADER_MAGIC = 0x474b5053; // "SPKG" read as a little-endian word
export const SP_PKG_HEADER_VERSION_1 = 1;
export const SP_PKG_HEADER_VERSION_2 = 2;
export const SP_PKG_HEADER_BYTES = 24;
export const SP_PKG_PAGE_BYTES = 0x1000;

export type SpPackageVersion = typeof SP_PKG_HEADER_VERSION_1 | typeof SP_PKG_HEADER_VERSION_2;

/** The header field a rejection is about. */
export type SpPackageField = 'length' | 'magic' | 'version' | 'pm_offset' | 'pm_size' | 'img_offset' | 'img_size';

export class SpPackageError extends Error {
  constructor(readonly field: SpPackageField, detail: string) {
    super(`SP package ${field}: ${detail}`);
    this.name = 'SpPackageError';
  }
}

export interface SpPackageHeader {
  version: SpPackageVersion;
  pmOffset: number;
  pmSize: number;
  imgOffset: number;
  imgSize: number;
}

export interface SpPackage {
  header: SpPackageHeader;
  /** The manifest DTB (a view into the package bytes). */
  manifest: Uint8Array;
  /** The partition image (a view into the package bytes). */
  image: Uint8Array;
}

const hex = (v: number): string => `0x${v.toString(16)}`;
const pageAligned = (v: number): boolean => v % SP_PKG_PAGE_BYTES === 0;
const alignUp = (v: number): number => Math.ceil(v / SP_PKG_PAGE_BYTES) * SP_PKG_PAGE_BYTES;

/** Checks the header's layout rules for its version against a package of `length` bytes. */
function checkLayout(h: SpPackageHeader, length: number): void {
  if (h.pmSize === 0) throw new SpPackageError('pm_size', 'the manifest is empty');
  if (h.imgSize === 0) throw new SpPackageError('img_size', 'the image is empty');
  if (!pageAligned(h.imgOffset)) throw new SpPackageError('img_offset', `${hex(h.imgOffset)} is not 4 KiB aligned`);
  if (h.version === SP_PKG_HEADER_VERSION_1) {
    if (h.pmOffset !== SP_PKG_HEADER_BYTES) throw new SpPackageError('pm_offset', `${hex(h.pmOffset)}: a version 1 manifest follows the header at ${hex(SP_PKG_HEADER_BYTES)}`);
    if (alignUp(SP_PKG_HEADER_BYTES + h.pmSize) > h.imgOffset) throw new SpPackageError('img_offset', `${hex(h.imgOffset)} is inside the header and manifest pages`);
  } else {
    if (!pageAligned(h.pmOffset) || h.pmOffset === 0) throw new SpPackageError('pm_offset', `${hex(h.pmOffset)}: a version 2 manifest starts on a page after the header`);
    if (h.pmOffset + h.pmSize > h.imgOffset) throw new SpPackageError('img_offset', `${hex(h.imgOffset)} is inside the manifest (${hex(h.pmOffset)} + ${hex(h.pmSize)})`);
  }
  if (h.pmOffset + h.pmSize > length) throw new SpPackageError('pm_size', `manifest ${hex(h.pmOffset)} + ${hex(h.pmSize)} runs past the package's ${hex(length)} bytes`);
  if (h.imgOffset + h.imgSize > length) throw new SpPackageError('img_size', `image ${hex(h.imgOffset)} + ${hex(h.imgSize)} runs past the package's ${hex(length)} bytes`);
}

/** Parses a package strictly; every rejection is an SpPackageError naming the field. */
export function parseSpPackage(bytes: Uint8Array): SpPackage {
  if (bytes.length < SP_PKG_HEADER_BYTES) throw new SpPackageError('length', `${bytes.length} bytes, shorter than the ${SP_PKG_HEADER_BYTES}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number): number => dv.getUint32(i * 4, true);
  if (word(0) !== SP_PKG_HEADER_MAGIC) throw new SpPackageError('magic', `${hex(word(0))} is not "SPKG" (${hex(SP_PKG_HEADER_MAGIC)})`);
  const version = word(1);
  if (version !== SP_PKG_HEADER_VERSION_1 && version !== SP_PKG_HEADER_VERSION_2) throw new SpPackageError('version', `${version}: only versions 1 and 2 exist`);
  const header: SpPackageHeader = { version, pmOffset: word(2), pmSize: word(3), imgOffset: word(4), imgSize: word(5) };
  checkLayout(header, bytes.length);
  return {
    header,
    manifest: bytes.subarray(header.pmOffset, header.pmOffset + header.pmSize),
    image: bytes.subarray(header.imgOffset, header.imgOffset + header.imgSize),
  };
}

export interface SpPackageBuild {
  manifest: Uint8Array;
  image: Uint8Array;
  /** 2 by default (what TF-A's sptool writes today). */
  version?: SpPackageVersion;
}

/** Builds a package in the canonical arrangement of its version (the
 *  regions on the first pages that fit); the result parses back. */
export function buildSpPackage(b: SpPackageBuild): Uint8Array {
  const version = b.version ?? SP_PKG_HEADER_VERSION_2;
  const pmOffset = version === SP_PKG_HEADER_VERSION_1 ? SP_PKG_HEADER_BYTES : SP_PKG_PAGE_BYTES;
  const imgOffset = alignUp(pmOffset + b.manifest.length);
  const header: SpPackageHeader = { version, pmOffset, pmSize: b.manifest.length, imgOffset, imgSize: b.image.length };
  const out = new Uint8Array(imgOffset + b.image.length);
  checkLayout(header, out.length);
  const dv = new DataView(out.buffer);
  [SP_PKG_HEADER_MAGIC, version, pmOffset, header.pmSize, imgOffset, header.imgSize].forEach((w, i) => dv.setUint32(i * 4, w, true));
  out.set(b.manifest, pmOffset);
  out.set(b.image, imgOffset);
  return out;
}
