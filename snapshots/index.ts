// Snapshot files: format, encoding, decoding, files, machine save/restore.
// docs/snapshots.md describes the format byte by byte.
export { SnapshotError } from './errors.js';
export {
  FORMAT_VERSION, MAGIC, PAGE_BYTES,
  type SnapshotKind, type SnapshotMeta, type SnapshotRef,
} from './format.js';
export { encodeFull, encodeFullWithStats, encodeIncremental, encodeIncrementalWithStats, type EncodeOptions, type EncodeResult } from './encode.js';
export { decodeSnapshot, decodeSnapshotState, describeSnapshot, readMeta, snapshotComponents, type KeepPrevious, type PreviousPages, type ResolveBase, type SnapshotInfo, type RegionInfo } from './decode.js';
export { readSnapshotFile, writeSnapshotFile, type FileOps } from './file.js';
export { dirtySecurePages, restoreInto, saveFull, saveIncremental } from './restore.js';
export { initZstd } from './zstd.js';
export type { PageStats } from './pages.js';
