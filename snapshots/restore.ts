// Machine-level save and restore: capture + encode with the core's dirty
// map, and restore by decoding straight into the machine's memory.
import type { Machine } from '../core/machine.js';
import { captureMachine, restoreMachine } from '../core/snapshot.js';
import { decodeChain, type KeepPrevious, type ResolveBase } from './decode.js';
import { encodeFullWithStats, encodeIncrementalWithStats, type EncodeOptions, type EncodeResult } from './encode.js';
import { SnapshotError } from './errors.js';
import { PAGE_BYTES, type SnapshotMeta, type SnapshotRef } from './format.js';

/** Secure RAM pages written since the last `core.resetDirty()` (the core's
 *  dirty map covers the whole wasm memory; `dirtyRamPages()` reports only RAM). */
export function dirtySecurePages(m: Machine): number[] {
  return m.core.dirtySecureRamPages();
}

/**
 * Save a full snapshot of `m` now. Resets the dirty map first, so the next
 * `saveIncremental` is relative to this point (and the captured TLB image
 * carries no write tags: saving again right after a restore gives the same bytes).
 */
export function saveFull(m: Machine, opts: EncodeOptions = {}): EncodeResult {
  m.core.resetDirty();
  return encodeFullWithStats(captureMachine(m), opts);
}

/** Save the pages written since the last save/restore, relative to `base` (that save's id). */
export function saveIncremental(m: Machine, base: SnapshotRef, opts: EncodeOptions = {}): EncodeResult {
  const ram = m.core.dirtyRamPages();
  const secure = dirtySecurePages(m);
  m.core.resetDirty();
  return encodeIncrementalWithStats(captureMachine(m), base, ram, secure, opts);
}

/**
 * Restore `bytes` (and its bases) into `m`, which must have the snapshot's
 * configuration. Everything is verified before the machine is touched; RAM
 * is written straight into the machine's memory (zero pages are only cleared
 * where not already zero), which is much faster than
 * `restoreMachine(m, decodeSnapshot(...))` on a machine whose memory was never
 * touched. The dirty map is reset, so the next incremental is relative to this point.
 * `opts.baseInMachine`: see decodeChain (the machine's memory already equals that base's).
 * `opts.keepPrevious`: hands over the memory of the snapshots the newest
 * increments are based on, for the pages they change (a debugger going back
 * one snapshot more restores that without decoding its chain again).
 */
export function restoreInto(m: Machine, bytes: Uint8Array, resolveBase?: ResolveBase, opts: { baseInMachine?: string; keepPrevious?: KeepPrevious } = {}): SnapshotMeta {
  const d = decodeChain(bytes, resolveBase, opts.baseInMachine);
  const core = m.core;
  const ram = core.ramView();
  const secureRam = core.secureRamView();
  if (ram.length !== d.meta.ramPages * PAGE_BYTES) throw new SnapshotError(`snapshot RAM is ${d.meta.ramPages * PAGE_BYTES} bytes, machine has ${ram.length}`);
  // A machine whose memory was never written holds only zeros: zero pages
  // need no clearing (saves scanning hundreds of MiB of untouched memory).
  // One built and loaded (or run) without a restore since has only its dirty
  // pages written: clearing those makes it as new (read before restoreMachine
  // resets the map).
  let fresh = core.memoryPristine;
  const written = !fresh && d.full && core.writesTracked ? { ram: core.dirtyRamPages(), secure: dirtySecurePages(m) } : null;
  // Non-RAM state first: restoreMachine checks the configuration before it
  // changes anything, and copying the machine's own RAM onto itself is free.
  try {
    restoreMachine(m, { ...d.state, ram, secureRam });
  } catch (e) {
    throw new SnapshotError(`cannot restore: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (written) {
    for (const p of written.ram) ram.fill(0, p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    for (const p of written.secure) secureRam.fill(0, p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
    fresh = true;
  }
  d.writeMemory(ram, secureRam, fresh, opts.keepPrevious);
  core.memoryWritten();
  core.resetDirty();
  return d.meta;
}
