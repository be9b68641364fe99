// Snapshot benchmark: `npm run bench:snapshots`. Wall time is allowed
// here (outside the simulation). 512 MiB machine: full save, incremental save
// of a few hundred dirty pages, full restore (fresh and used machines, both
// restore paths), with mostly-zero RAM and with 64 MiB of non-zero data.
import { createHash } from 'node:crypto';
import { Machine, type MachineConfig } from '../core/machine.js';
import { captureMachine, restoreMachine } from '../core/snapshot.js';
import { decodeSnapshot, describeSnapshot, restoreInto, saveFull, saveIncremental, type EncodeResult } from '../snapshots/index.js';
import { bootedMachine, fingerprint, scribblerBinary } from '../snapshots/testing.js';

const NUM_CPUS = Number(process.env.CPUS ?? 1);
const CFG: MachineConfig = { numCpus: NUM_CPUS, ramBytes: 512 << 20, seed: 1n, quantumTicks: 3000 };
const RAM = 0x40000000;

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const kib = (n: number): string => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function row(label: string, r: EncodeResult, t: number): void {
  console.log(`  ${label}: ${ms(t)}, ${kib(r.bytes.length)} (state ${kib(r.stateBytes)}, RAM pages stored ${r.ram.stored}, unique ${r.ram.blobs}, zero ${r.ram.zero}, unchanged ${r.ram.unchanged})`);
}

function restoreFigures(bytes: Uint8Array, resolve: ((id: string) => Uint8Array | undefined) | undefined, expectFp: string): void {
  const fresh = new Machine(CFG);
  const [, t1] = time(() => restoreInto(fresh, bytes, resolve));
  if (fingerprint(fresh) !== expectFp) throw new Error('restoreInto gave a different machine');
  const [, t2] = time(() => restoreInto(fresh, bytes, resolve));
  const [snap, t3] = time(() => decodeSnapshot(bytes, resolve));
  const [, t4] = time(() => restoreMachine(fresh, snap));
  const other = new Machine(CFG);
  const [, t5] = time(() => restoreMachine(other, decodeSnapshot(bytes, resolve)));
  if (fingerprint(other) !== expectFp) throw new Error('decode+restoreMachine gave a different machine');
  console.log(`  restoreInto, fresh machine (memory never touched): ${ms(t1)}`);
  console.log(`  restoreInto, machine already restored once: ${ms(t2)}`);
  console.log(`  decodeSnapshot: ${ms(t3)}, then restoreMachine into a used machine: ${ms(t4)}; both into a fresh machine: ${ms(t5)}`);
}

/** Deterministic page contents for the 64 MiB case. */
function fillPages(m: Machine, firstPage: number, pages: number): void {
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  const page = new Uint8Array(4096);
  const dups = Array.from({ length: 16 }, () => page.map(() => next() & 0xff));
  for (let i = 0; i < pages; i++) {
    const kind = i % 4;
    if (kind === 0) page.set(dups[next() % 16]!); // 25% duplicates of 16 pages
    else if (kind === 1) for (let j = 0; j < 4096; j++) page[j] = next() & 0xff; // 25% random
    else for (let j = 0; j < 4096; j++) page[j] = (j & 7) === 0 ? next() & 0x0f : (j * kind) & 0x1f; // 50% structured, compressible
    m.core.writePhys(RAM + (firstPage + i) * 4096, page);
  }
}

function hashFigures(): void {
  const pages = 16384;
  const buf = new Uint8Array(pages * 4096);
  for (let i = 0; i < buf.length; i += 4) buf[i] = (i * 2654435761) >>> 24;
  const w = new Int32Array(buf.buffer);
  const js = (): number => {
    let acc = 0;
    for (let p = 0; p < pages; p++) {
      let a = 0x2545f491, b = 0x9e3779b9 | 0;
      for (let i = p * 1024, e = i + 1024; i < e; i += 2) {
        a = Math.imul(a ^ w[i]!, 0x85ebca6b); a ^= a >>> 13;
        b = Math.imul(b ^ w[i + 1]!, 0xc2b2ae35); b ^= b >>> 16;
      }
      acc ^= a ^ b;
    }
    return acc;
  };
  const crypto = (alg: string) => (): number => {
    let acc = 0;
    for (let p = 0; p < pages; p++) acc ^= createHash(alg).update(buf.subarray(p * 4096, p * 4096 + 4096)).digest()[0]!;
    return acc;
  };
  js();
  const [, tj] = time(js);
  const [, t1] = time(crypto('sha1'));
  const [, t256] = time(crypto('sha256'));
  console.log(`page hash, 16384 pages (64 MiB): JS 2-lane multiply-xorshift ${ms(tj)}, SHA-1 ${ms(t1)}, SHA-256 ${ms(t256)}`);
}

function main(): void {
  console.log(`hvrr snapshot bench: ${CFG.ramBytes >> 20} MiB RAM, ${NUM_CPUS} CPU(s), zstd level 3, Node ${process.version}`);
  hashFigures();

  // --- mostly-zero guest: the scribbler fills 16 MiB, the rest stays zero.
  const [m, tBoot] = time(() => bootedMachine(scribblerBinary(50_000_000), CFG));
  m.run(1_000_000);
  console.log(`\nmostly-zero guest (boot ${ms(tBoot)}, ran ${m.instructions} instructions):`);
  const [full, tFull] = time(() => saveFull(m));
  row('full save', full, tFull);
  const fullFp = fingerprint(m);
  const store = new Map([[full.meta.id, full.bytes]]);
  const resolve = (id: string): Uint8Array | undefined => store.get(id);

  const incTimes: number[] = [];
  let base = full;
  let last = full;
  let lastFp = '';
  for (let i = 0; i < 10; i++) {
    m.run(m.instructions + 3_000);
    const [inc, t] = time(() => saveIncremental(m, base.meta));
    incTimes.push(t);
    store.set(inc.meta.id, inc.bytes);
    base = inc;
    last = inc;
    lastFp = fingerprint(m);
    if (i === 0) row('incremental save (first)', inc, t);
  }
  console.log(`  incremental save, 10 chained, ~3000 instructions apart: median ${ms(median(incTimes))}, max ${ms(Math.max(...incTimes))}, last ${kib(last.bytes.length)}, ${last.ram.stored} pages`);
  console.log('  restore of the full snapshot:');
  restoreFigures(full.bytes, undefined, fullFp);
  console.log('  restore of the 10th incremental (chain of 11 files):');
  restoreFigures(last.bytes, resolve, lastFp);

  // --- 64 MiB of non-zero data.
  const d = new Machine(CFG);
  fillPages(d, 0x1000, 16384);
  const [full64, t64] = time(() => saveFull(d));
  console.log(`\n64 MiB non-zero (25% duplicates of 16 pages, 25% random, 50% structured):`);
  row('full save', full64, t64);
  const info = describeSnapshot(full64.bytes);
  console.log(`  RAM section ${kib(info.sectionBytes.ram)}: table ${kib(info.ram.tableBytes)}, blobs ${kib(info.ram.blobBytes)}`);
  restoreFigures(full64.bytes, undefined, fingerprint(d));
  const [, tSaveAgain] = time(() => saveFull(d));
  console.log(`  full save again (memory warm): ${ms(tSaveAgain)}`);

  // Sanity: capture views are live; nothing here changed the machines.
  void captureMachine;
}

main();
