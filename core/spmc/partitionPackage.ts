// A Secure Partition as the SPMC loads it: the SP package (spPackage.ts)
// with its FF-A manifest read (manifest.ts) and the manifest checked against
// the image it came with: the entry point lies inside the image on an
// instruction boundary (A64 instructions are 4 bytes).
import { ManifestError, parseManifest, type PartitionManifest } from './manifest.js';
import { parseSpPackage, type SpPackageHeader } from './spPackage.js';

export interface LoadedPartition {
  header: SpPackageHeader;
  manifest: PartitionManifest;
  /** The image bytes (a view into the package). */
  image: Uint8Array;
}

/** Reads a package and its manifest; throws SpPackageError or ManifestError, each one line. */
export function readPartitionPackage(bytes: Uint8Array): LoadedPartition {
  const pkg = parseSpPackage(bytes);
  const manifest = parseManifest(pkg.manifest);
  const entry = manifest.entrypointOffset;
  if (entry >= BigInt(pkg.image.length)) throw new ManifestError('/entrypoint-offset', `0x${entry.toString(16)} is past the ${pkg.image.length}-byte image`);
  if (entry % 4n !== 0n) throw new ManifestError('/entrypoint-offset', `0x${entry.toString(16)} is not 4-byte aligned`);
  return { header: pkg.header, manifest, image: pkg.image };
}
