import { describe, expect, it } from 'vitest';
import { Machine, type MachineConfig } from '../core/machine.js';
import { captureMachine, restoreMachine } from '../core/snapshot.js';
import { cpuBenchBinary } from '../guests/bench/cpuBench.js';
import {
  decodeSnapshot, describeSnapshot, dirtySecurePages, encodeFull, encodeIncremental, readMeta,
  restoreInto, saveFull, saveIncremental, SnapshotError, type ResolveBase,
} from './index.js';
import { bootedMachine, fingerprint, scribblerBinary } from './testing.js';

const CFG: MachineConfig = { numCpus: 1, ramBytes: 64 << 20, seed: 42n, quantumTicks: 3000 };
const ITER = 300_000;
const store = (): { put: (b: Uint8Array) => string; resolve: ResolveBase; map: Map<string, Uint8Array> } => {
  const map = new Map<string, Uint8Array>();
  return { map, put: (b) => { const id = readMeta(b).id; map.set(id, b); return id; }, resolve: (id) => map.get(id) };
};

describe('snapshot files on a real machine', () => {
  it('full round trip (MMU on, TLB image): restore into a fresh machine and run to the same end', () => {
    const kernel = cpuBenchBinary(30);
    const ref = bootedMachine(kernel, CFG);
    expect(ref.run().kind).toBe('system-off');
    const end = fingerprint(ref);

    const a = bootedMachine(kernel, CFG);
    expect(a.run(150_000).kind).toBe('instruction-limit');
    const snap = saveFull(a);
    expect(snap.meta.kind).toBe('full');
    expect(snap.meta.instructions).toBe(a.instructions);
    expect(readMeta(snap.bytes)).toEqual(snap.meta);

    const b = new Machine(CFG);
    restoreInto(b, snap.bytes);
    expect(b.run().kind).toBe('system-off');
    expect(fingerprint(b)).toBe(end);

    // The documented composition: restoreMachine(m, decodeSnapshot(bytes)).
    const c = new Machine(CFG);
    restoreMachine(c, decodeSnapshot(snap.bytes));
    expect(c.run().kind).toBe('system-off');
    expect(fingerprint(c)).toBe(end);
  });

  it('chain of 3 incrementals: each link restores (bases resolved recursively) and runs to the same end', () => {
    const kernel = scribblerBinary(ITER);
    const ref = bootedMachine(kernel, CFG);
    expect(ref.run().kind).toBe('system-off');
    const end = fingerprint(ref);

    const a = bootedMachine(kernel, CFG);
    const s = store();
    expect(a.run(200_000).kind).toBe('instruction-limit');
    let base = saveFull(a);
    s.put(base.bytes);
    const links: Array<{ bytes: Uint8Array; fp: string }> = [];
    for (let i = 0; i < 3; i++) {
      expect(a.run(a.instructions + 5_000 + i * 20_000).kind).toBe('instruction-limit');
      const dirtyBefore = a.core.dirtyRamPages().length;
      const inc = saveIncremental(a, base.meta);
      expect(inc.meta.kind).toBe('incremental');
      expect(inc.meta.baseId).toBe(base.meta.id);
      expect(inc.ram.stored + inc.ram.zero).toBe(dirtyBefore);
      expect(inc.ram.unchanged).toBe(CFG.ramBytes / 4096 - dirtyBefore);
      expect(dirtyBefore).toBeGreaterThan(100);
      s.put(inc.bytes);
      links.push({ bytes: inc.bytes, fp: fingerprint(a) });
      base = inc;
    }
    expect(a.run().kind).toBe('system-off');
    expect(fingerprint(a)).toBe(end);

    for (const [i, link] of links.entries()) {
      const b = new Machine(CFG);
      restoreInto(b, link.bytes, s.resolve);
      expect(fingerprint(b), `link ${i} restored`).toBe(link.fp);
      expect(b.run().kind).toBe('system-off');
      expect(fingerprint(b), `link ${i} run to the end`).toBe(end);
      const c = new Machine(CFG);
      restoreMachine(c, decodeSnapshot(link.bytes, s.resolve));
      expect(fingerprint(c)).toBe(link.fp);
    }
    // restoreInto a machine that has run elsewhere (memory not zero): still exact.
    const dirty = bootedMachine(kernel, CFG);
    dirty.run(700_000);
    restoreInto(dirty, links[0]!.bytes, s.resolve);
    expect(fingerprint(dirty)).toBe(links[0]!.fp);
    dirty.run();
    expect(fingerprint(dirty)).toBe(end);
  });

  it('a full restore into a machine that has run (no restore since it was built) clears exactly what it wrote', () => {
    const kernel = scribblerBinary(ITER);
    const ref = bootedMachine(kernel, CFG);
    expect(ref.run().kind).toBe('system-off');
    const end = fingerprint(ref);
    const a = bootedMachine(kernel, CFG);
    expect(a.run(20_000).kind).toBe('instruction-limit');
    const snap = saveFull(a);
    const atSnap = fingerprint(a);
    // b has scribbled over many more pages than the snapshot holds; they must come back as zero.
    const b = bootedMachine(kernel, CFG);
    expect(b.run(400_000).kind).toBe('instruction-limit');
    expect(b.core.memoryPristine).toBe(false);
    expect(b.core.writesTracked).toBe(true);
    expect(b.core.dirtyRamPages().length).toBeGreaterThan(1000);
    restoreInto(b, snap.bytes);
    expect(b.core.writesTracked).toBe(false);
    expect(fingerprint(b)).toBe(atSnap);
    expect(b.run().kind).toBe('system-off');
    expect(fingerprint(b)).toBe(end);
    // Once restored, the map no longer covers every write: the next full restore scans.
    restoreInto(b, snap.bytes);
    expect(fingerprint(b)).toBe(atSnap);
  });

  it('incremental after a restore is relative to the restore point', () => {
    const kernel = scribblerBinary(ITER);
    const a = bootedMachine(kernel, CFG);
    a.run(200_000);
    const full = saveFull(a);
    const b = new Machine(CFG);
    restoreInto(b, full.bytes);
    expect(b.core.dirtyRamPages()).toEqual([]);
    b.run(300_000);
    a.run(300_000);
    const inc = saveIncremental(b, full.meta);
    const m = new Machine(CFG);
    restoreInto(m, inc.bytes, (id) => (id === full.meta.id ? full.bytes : undefined));
    expect(fingerprint(m)).toBe(fingerprint(a));
  });

  it('snapshot -> restore -> snapshot gives byte-identical files (full and incremental)', () => {
    const kernel = scribblerBinary(ITER);
    const a = bootedMachine(kernel, CFG);
    a.run(250_000);
    const full = saveFull(a);
    a.run(262_000);
    const ram = a.core.dirtyRamPages();
    a.core.writePhys(0x0e001000, new Uint8Array(100).fill(9)); // a secure RAM page too
    const sec = dirtySecurePages(a);
    expect(sec).toEqual([1]);
    a.core.resetDirty();
    const inc = encodeIncremental(captureMachine(a), full.meta, ram, sec);

    const b = new Machine(CFG);
    restoreInto(b, full.bytes);
    expect(saveFull(b).bytes).toEqual(full.bytes);
    const c = new Machine(CFG);
    restoreMachine(c, decodeSnapshot(full.bytes));
    expect(encodeFull(captureMachine(c))).toEqual(full.bytes);

    const d = new Machine(CFG);
    restoreInto(d, inc, (id) => (id === full.meta.id ? full.bytes : undefined));
    expect(encodeIncremental(captureMachine(d), full.meta, ram, sec)).toEqual(inc);
    expect(describeSnapshot(inc).secure.stored).toBe(1);
  });

  it('refuses a snapshot for another configuration with a SnapshotError naming the field', () => {
    const a = bootedMachine(scribblerBinary(10), CFG);
    const full = saveFull(a);
    expect(() => restoreInto(new Machine({ ...CFG, seed: 7n }), full.bytes)).toThrow(SnapshotError);
    expect(() => restoreInto(new Machine({ ...CFG, seed: 7n }), full.bytes)).toThrow(/seed/);
    expect(() => restoreInto(new Machine({ ...CFG, ramBytes: 32 << 20 }), full.bytes)).toThrow(/RAM is 67108864 bytes, machine has 33554432/);
  });
});
