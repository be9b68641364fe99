#!/usr/bin/env node
// Benchmark of the zstd packages considered for snapshots and trace files
// (see docs/zstd.md). Wall time is fine here: this is a benchmark, outside
// simulated state.
//
// Usage: node scripts/bench-zstd.js [MiB=64] [level=3]
//
// Payloads (each MiB-sized, built deterministically from a fixed-seed PRNG):
//   events  - CBOR-ish trace event records (small maps, repeating keys,
//             slowly increasing ticks, a few hex strings)
//   memory  - a RAM image: 60% zero pages, 15% copies of a few repeated pages
//             (page tables / zeroed-then-touched pages), 20% "code-like" pages
//             (low-entropy 32-bit words), 5% random pages
//   mixed   - half of each, concatenated
// Packages that fail to load are reported and skipped.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const MIB = Number(process.argv[2] ?? 64);
const LEVEL = Number(process.argv[3] ?? 3);
const SIZE = MIB * 1024 * 1024;
const PAGE = 4096;

// xorshift32: deterministic payloads
let s = 0x9e3779b9;
function rnd() {
  s ^= s << 13;
  s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5;
  s >>>= 0;
  return s;
}

function makeEvents(size) {
  const out = new Uint8Array(size);
  const enc = new TextEncoder();
  const kinds = ['exception', 'irq-raise', 'irq-ack', 'irq-eoi', 'timer-program', 'timer-fire', 'uart-out'];
  let off = 0;
  let tick = 0;
  let seq = 0;
  while (off < size) {
    tick += 1 + (rnd() % 5000);
    const kind = kinds[rnd() % kinds.length];
    // A CBOR map header, then text keys and small values, as cbor-x would emit.
    let rec = `\xa6cseq\x1a${seq++}dtick\x1b${tick}ccpu\x00dkind${kind}`;
    if (kind === 'exception') rec += `cesrr0x${(0x56000000 + (rnd() % 4)).toString(16)}celrr0xffff8000${(0x10000000 + (rnd() % 0x100000)).toString(16)}`;
    else if (kind === 'uart-out') rec += `dbyte\x18${32 + (rnd() % 90)}`;
    else rec += `eintid\x18${[27, 30, 33, 34][rnd() % 4]}`;
    const b = enc.encode(rec);
    const n = Math.min(b.length, size - off);
    out.set(b.subarray(0, n), off);
    off += n;
  }
  return out;
}

function makeMemory(size) {
  const out = new Uint8Array(size);
  const repeated = [];
  for (let i = 0; i < 4; i++) {
    const p = new Uint8Array(PAGE);
    const w = new Uint32Array(p.buffer);
    for (let j = 0; j < w.length; j++) w[j] = j % 8 === 0 ? 0x40000703 + j * PAGE : 0;
    repeated.push(p);
  }
  const words = new Uint32Array(out.buffer);
  for (let pg = 0; pg < size / PAGE; pg++) {
    const r = rnd() % 100;
    if (r < 60) continue; // zero page
    if (r < 75) {
      out.set(repeated[rnd() % repeated.length], pg * PAGE);
    } else if (r < 95) {
      // code-like: A64 words drawn from a small vocabulary with random immediates
      const vocab = [0xd503201f, 0xa9bf7bfd, 0x910003fd, 0xf9400000, 0xb9000000, 0x94000000, 0xd65f03c0, 0x52800000];
      for (let j = 0; j < PAGE / 4; j++) {
        const v = vocab[rnd() % vocab.length];
        words[pg * (PAGE / 4) + j] = (v | (rnd() & 0x3ff)) >>> 0;
      }
    } else {
      for (let j = 0; j < PAGE / 4; j++) words[pg * (PAGE / 4) + j] = rnd();
    }
  }
  return out;
}

function payloads() {
  const events = makeEvents(SIZE);
  const memory = makeMemory(SIZE);
  const mixed = new Uint8Array(SIZE);
  mixed.set(events.subarray(0, SIZE / 2), 0);
  mixed.set(memory.subarray(0, SIZE / 2), SIZE / 2);
  return { events, memory, mixed };
}

async function loadCodecs() {
  const codecs = [];
  try {
    const napi = require('zstd-napi');
    codecs.push({
      name: 'zstd-napi',
      compress: (b) => napi.compress(b, { compressionLevel: LEVEL }),
      decompress: (b) => napi.decompress(b),
    });
  } catch (e) {
    console.log(`zstd-napi: not available (${e.message.split('\n')[0]})`);
  }
  try {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    codecs.push({
      name: '@bokuweb/zstd-wasm',
      compress: (b) => wasm.compress(b, LEVEL),
      decompress: (b) => wasm.decompress(b),
    });
  } catch (e) {
    console.log(`@bokuweb/zstd-wasm: not available (${e.message.split('\n')[0]})`);
  }
  try {
    const { ZstdCodec } = require('zstd-codec');
    const zstd = await new Promise((resolve) => ZstdCodec.run((z) => resolve(z)));
    const simple = new zstd.Simple();
    codecs.push({
      name: 'zstd-codec',
      compress: (b) => simple.compress(b, LEVEL),
      decompress: (b) => simple.decompress(b),
    });
  } catch (e) {
    console.log(`zstd-codec: not available (${e.message.split('\n')[0]})`);
  }
  return codecs;
}

function time(fn) {
  const t0 = performance.now();
  const r = fn();
  return { r, ms: performance.now() - t0 };
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function fmtErr(e) {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

function mbps(ms) {
  return (SIZE / 1e6 / (ms / 1000)).toFixed(0);
}

// Compress `buf` in pieces of `piece` bytes (piece = buf.length: one call).
function run(c, buf, piece) {
  let compMs = 0;
  let decMs = 0;
  let compBytes = 0;
  for (let off = 0; off < buf.length; off += piece) {
    const part = buf.subarray(off, off + piece);
    const a = time(() => c.compress(part));
    const b = time(() => c.decompress(a.r));
    if (!equal(b.r, part)) throw new Error('round trip mismatch');
    compMs += a.ms;
    decMs += b.ms;
    compBytes += a.r.length;
  }
  return { ratio: buf.length / compBytes, compMs, decMs };
}

const data = payloads();
const codecs = await loadCodecs();
console.log(`zstd level ${LEVEL}, ${MIB} MiB per payload, node ${process.version}`);
console.log('package              mode     payload  ratio   compress MB/s  decompress MB/s');
// Chunked (1 MiB calls) first: an emscripten abort (zstd-codec's OOM on large
// inputs) leaves that module unusable, so the whole-buffer runs go last.
for (const [mode, piece] of [['1MiB', 1 << 20], ['whole', SIZE]]) {
  for (const c of codecs) {
    if (c.dead) continue;
    for (const [pname, buf] of Object.entries(data)) {
      try {
        c.compress(buf.subarray(0, 1 << 20)); // warm-up
        const r = run(c, buf, piece);
        console.log(
          `${c.name.padEnd(20)} ${mode.padEnd(8)} ${pname.padEnd(8)} ${r.ratio.toFixed(2).padStart(6)}  ${mbps(r.compMs).padStart(13)}  ${mbps(r.decMs).padStart(15)}`,
        );
      } catch (e) {
        console.log(`${c.name.padEnd(20)} ${mode.padEnd(8)} ${pname.padEnd(8)} FAILED: ${fmtErr(e)}`);
        c.dead = true;
        break;
      }
    }
  }
}
