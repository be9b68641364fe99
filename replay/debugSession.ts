// A debugger's view of a machine: run forward to breakpoints, data
// watchpoints and single steps, and, over a recording, backwards
// (reverse-stepi, reverse-continue) the way rr does it: restore the nearest
// snapshot before the target and replay forward to the last stop condition
// before the current point. Everything here is synchronous and
// deterministic; the gdb stub (cli/gdb/) drives it between packets.
//
// Positions are the machine's instruction count (instructions executed
// since power-on, by every CPU). "Position k" is where
// `run({ maxInstructions: k })` stops: instruction k - 1 and everything it
// caused (its EL2/EL3 handler) done, instruction k not started. A
// breakpoint stop at k and a forward watchpoint stop at k are before
// instruction k too, but later in its step: an interrupt or a window
// boundary's events due before that instruction have happened. A reverse
// watchpoint stop is at k + 1, right after the access (gdb, whose AArch64
// watchpoints are non-steppable, then steps back over it itself).
import type { Machine, StopReason } from '../core/machine.js';
import type { Breakpoint, DataWatch } from '../core/cpu/cpu.js';
import { decodeSnapshotState, restoreInto, saveFull, type PreviousPages } from '../snapshots/index.js';
import { captureMachine, restoreMachine, type MachineSnapshot } from '../core/snapshot.js';
import type { InputRecord, SnapshotEntry, TraceReader } from './traceFile.js';
import type { SnapshotSource } from './replayer.js';
import { lastSeqOf } from './targets.js';

/** Why the session stopped. */
export type DebugStop =
  /** Where the session began (the start of replay, or its --until target). */
  | { kind: 'start' }
  /** After a single step of `cpu`. */
  | { kind: 'step'; cpu: number }
  /** Before the instruction at a breakpoint. */
  | { kind: 'breakpoint'; cpu: number; pc: bigint }
  /** A data watchpoint: forward, before the accessing instruction; reverse, right after it. */
  | { kind: 'watch'; cpu: number; pa: number; isWrite: boolean; reverse: boolean }
  /** A forward run ended its slices because the debugger asked (Ctrl-C). */
  | { kind: 'interrupted' }
  /** Reverse execution reached the start of the recording. */
  | { kind: 'begin' }
  /** Forward execution reached the end of the recording, or the machine stopped (live). */
  | { kind: 'end'; why: string };

/** The recording a replay session can travel in. */
export interface History {
  reader: TraceReader;
  snapshots: SnapshotSource;
}

/** A point to come back to: a recorded snapshot, or one the session took. */
interface Base {
  key: string;
  instructions: number;
  restore(m: Machine): void;
}

/** A base decoded once and kept: its non-RAM state and its non-zero pages.
 *  Going back to it rewrites only the pages that can differ (written since
 *  the last restore, or non-zero in either image): no decompression. */
interface Image {
  key: string;
  state: Omit<MachineSnapshot, 'ram' | 'secureRam'>;
  ram: Map<number, Uint8Array>;
  secure: Map<number, Uint8Array>;
  /** A checkpoint the session took (no recorded snapshot behind it): its position. */
  checkpoint?: number;
  /** Derived from the image of the increment based on it (`derive`): that
   *  image's key and the pages where the two differ. */
  parent?: { key: string; ram: number[]; secure: number[] };
}

const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);
/** Bytes of pages the kept images may hold together (least recently used dropped first). */
const IMAGE_BUDGET_BYTES = 768 << 20;
/** A reverse step replaying further than this takes a checkpoint (an image)
 *  CHECKPOINT_BACK instructions before its target, so the next reverse steps
 *  near there replay little. */
const CHECKPOINT_DISTANCE = 2_000_000;
const CHECKPOINT_BACK = 200_000;
/** reverse-continue's scan keeps the machine at a hit (state and the pages
 *  written since the scan's base: a few ms) when the hit is this far past
 *  the last one kept, so reaching the last hit replays less than this. */
const HIT_SPACING = 2_000_000;

const imageBytes = (i: Image): number => (i.ram.size + i.secure.size) * PAGE;
/** Pages of the snapshots before the newest increments of a chain, kept
 *  when it is decoded, so going back one snapshot more decodes nothing. */
const PREVIOUS_BUDGET_BYTES = 32 << 20;

const ZERO_CHUNK = Buffer.alloc(16 * PAGE);

/** Copies of the non-zero pages of `mem` (compared in place: no view per page). */
function nonZeroPages(mem: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const buf = Buffer.from(mem.buffer, mem.byteOffset, mem.byteLength);
  for (let off = 0; off < mem.length; off += ZERO_CHUNK.length) {
    const end = Math.min(off + ZERO_CHUNK.length, mem.length);
    if (ZERO_CHUNK.compare(buf, off, end, 0, end - off) === 0) continue;
    for (let o = off; o < end; o += PAGE) if (ZERO_PAGE.compare(buf, o, o + PAGE) !== 0) out.set(o / PAGE, mem.slice(o, o + PAGE));
  }
  return out;
}

/** Pages whose content may differ between two images. */
function imagesDiffer(a: Image, b: Image): { ram: Iterable<number>; secure: Iterable<number> } {
  if (a === b) return { ram: [], secure: [] };
  if (b.parent?.key === a.key) return b.parent;
  if (a.parent?.key === b.key) return a.parent;
  return { ram: [...a.ram.keys(), ...b.ram.keys()], secure: [...a.secure.keys(), ...b.secure.keys()] };
}

/** What a forward run that is not finished yet reports (call resume again). */
export const RUNNING = null;

interface Hit {
  stop: DebugStop & { kind: 'breakpoint' | 'watch' };
  /** Instruction index the hit is before (breakpoint) or the accessing instruction (watch). */
  k: number;
}

/** The machine as a scan stopped at a hit: its non-RAM state and the pages
 *  written since the scan restored `baseKey`'s image (the machine's memory
 *  is that image but for them). */
interface KeptHit {
  hit: Hit;
  baseKey: string;
  state: Image['state'];
  ram: Map<number, Uint8Array | null>;
  secure: Map<number, Uint8Array | null>;
}

/** `pages` with `changed` over them (null: a zero page, not kept). Pages are
 *  never written in place, so images share them. */
function overlay(pages: Map<number, Uint8Array>, changed: Map<number, Uint8Array | null>): Map<number, Uint8Array> {
  const out = new Map(pages);
  for (const [p, d] of changed) if (d) out.set(p, d); else out.delete(p);
  return out;
}

export class DebugSession {
  private breakpoints: Breakpoint[] = [];
  private watches: DataWatch[] = [];
  private armedKey = '';
  private stopAt: DebugStop = { kind: 'start' };
  private stopPos: number;
  /** The machine is exactly at position stopPos (a run to that count stops here). */
  private countBased = false;
  private readonly inputs: InputRecord[];
  private readonly lastSeq: number;
  private readonly bases: Base[] = [];
  private images: Image[] = [];
  /** From the last chain decoded: the memory of the snapshots its newest increments are based on, by id. */
  private previous = new Map<string, PreviousPages>();
  /** The image the machine's memory equals but for the pages written since (the core's dirty map). */
  private lastImage: Image | null = null;
  private endOfRecording = false;
  /** Instructions the stepping CPU still has to execute in the current forward step. */
  private stepLeft = 0;
  /** Snapshot restores, instructions replayed by reverse execution, images taken and derived (statistics). */
  readonly stats = { restores: 0, replayedInstructions: 0, checkpoints: 0, derivedImages: 0 };

  /** `history` null: a live machine, forward only. Call before the machine
   *  has run (a replay) so the session can always come back to power-on. */
  private readonly checkpointDistance: number;
  private readonly checkpointBack: number;
  private readonly hitSpacing: number;
  /** The last hit the last scan kept (see HIT_SPACING). */
  private keptHit: KeptHit | null = null;

  constructor(private readonly m: Machine, private readonly history: History | null, opts: { checkpointDistance?: number; checkpointBack?: number; hitSpacing?: number } = {}) {
    this.checkpointDistance = opts.checkpointDistance ?? CHECKPOINT_DISTANCE;
    this.checkpointBack = opts.checkpointBack ?? CHECKPOINT_BACK;
    this.hitSpacing = opts.hitSpacing ?? HIT_SPACING;
    this.stopPos = m.instructions;
    this.inputs = history ? history.reader.inputs() : [];
    this.lastSeq = history ? lastSeqOf(history.reader) : Number.MAX_SAFE_INTEGER;
    if (!history) return;
    const snaps = history.snapshots;
    for (const s of snaps.snapshots()) {
      this.bases.push({ key: s.id, instructions: s.instructions, restore: (mm) => {
        this.previous = new Map();
        restoreInto(mm, snaps.snapshotBlob(s), (id) => this.blobById(id), { keepPrevious: { maxBytes: PREVIOUS_BUDGET_BYTES, take: (p) => this.previous.set(p.id, p) } });
      } });
    }
    // Power-on must be reachable: a recording without a root snapshot gets one
    // of the machine as built (it must not have run yet).
    if (!this.bases.some((b) => b.instructions === 0)) {
      if (m.instructions !== 0 || m.nowTick !== 0) throw new Error('a replay debug session must start on a machine that has not run yet');
      const root = saveFull(m).bytes;
      this.bases.push({ key: 'power-on', instructions: 0, restore: (mm) => restoreInto(mm, root) });
    }
    this.bases.sort((a, b) => a.instructions - b.instructions);
  }

  get machine(): Machine {
    return this.m;
  }
  get canReverse(): boolean {
    return this.history !== null;
  }
  /** The instruction count where the session is. */
  get position(): number {
    return this.m.instructions;
  }
  get lastStop(): DebugStop {
    return this.stopAt;
  }
  /** The run stopped here for a reason other than the debugger (call after
   *  Replayer.run moved the machine to an --until target). */
  markStart(): void {
    this.invalidateImages(); // the replayer restored snapshots of its own
    this.setStop({ kind: 'start' });
  }

  setBreakpoints(list: readonly Breakpoint[]): void {
    this.breakpoints = list.slice();
  }
  setWatches(list: readonly DataWatch[]): void {
    this.watches = list.slice();
  }

  // ---- forward ----

  /**
   * Run forward: `step` set, until that CPU executed one instruction; else
   * until a breakpoint, a watchpoint or the end. At most `slice` instructions
   * per call: returns RUNNING when the slice ended first (call again with
   * `continuing`, or `interrupt()`). Resuming at a breakpoint or watchpoint passes it once.
   */
  resume(step: number | null, slice = Number.MAX_SAFE_INTEGER, continuing = false): DebugStop | null {
    if (!continuing) this.stepLeft = step !== null ? 1 : 0;
    const startPos = this.m.instructions;
    const r = this.advance({ max: startPos + slice, stepCpu: step });
    if (r === 'limit') {
      if (step !== null && this.stepLeft === 0) return this.setStop({ kind: 'step', cpu: step });
      return RUNNING;
    }
    this.stepLeft = 0;
    return this.setStop(r);
  }

  /** A forward run was interrupted between slices. */
  interrupt(): DebugStop {
    this.stepLeft = 0;
    return this.setStop({ kind: 'interrupted' });
  }

  // ---- backward ----

  /** Undo the last instruction `cpu` executed (and everything after it):
   *  stop before it, at position k. */
  reverseStep(cpu: number): DebugStop {
    const cur = this.position;
    let to = cur;
    for (const base of this.basesBefore(cur)) {
      let last = -1;
      this.restore(base);
      const prev = this.m.onExecuted;
      this.m.onExecuted = (c, first, count) => {
        if (c === cpu) last = first + count - 1;
      };
      try {
        if (to - this.position > this.checkpointDistance) {
          this.runTo(to - this.checkpointBack);
          if (this.position === to - this.checkpointBack) this.checkpoint();
        }
        this.runTo(to);
      } finally {
        this.m.onExecuted = prev;
      }
      if (last >= 0) {
        this.goTo(last);
        return this.setStop({ kind: 'step', cpu });
      }
      to = base.instructions;
    }
    this.goTo(0);
    return this.setStop({ kind: 'begin' });
  }

  /** Back to the last breakpoint or watchpoint hit before the current point,
   *  or to the start of the recording. */
  reverseContinue(): DebugStop {
    const cur = this.position;
    const here = this.stopAt;
    // The stop the session is at (read before a scan's restore moves it; none
    // when a forward run went on past it): not a hit to go back to.
    const herePos = this.position === this.stopPos ? this.stopPos : -1;
    let to = cur;
    for (const base of this.basesBefore(cur)) {
      const hits = this.scan(base, to).filter((h) => !(here.kind === h.stop.kind && herePos === this.reversePosition(h)));
      if (hits.length > 0) {
        let best = hits[0]!;
        for (const h of hits) if (this.reversePosition(h) >= this.reversePosition(best)) best = h;
        return this.reach(best);
      }
      to = base.instructions;
    }
    this.goTo(0);
    return this.setStop({ kind: 'begin' });
  }

  /** Position `k` (count-based: see the file comment). */
  goTo(k: number): void {
    if (k < 0) throw new RangeError(`position ${k} is before power-on`);
    if (!this.history) {
      if (k < this.position) throw new Error('a live session runs forward only');
    } else if (k < this.position || (k === this.position && !this.countBased)) {
      this.restore(this.basesBefore(k)[0]!);
    }
    this.runTo(k);
    if (this.position !== k) throw new Error(`position ${k} is beyond the ${this.history ? 'recording' : 'run'} (it ends at ${this.position})`);
    this.setStop({ kind: 'step', cpu: -1 });
  }

  // ---- internals ----

  private setStop(s: DebugStop): DebugStop {
    this.stopAt = s;
    this.stopPos = this.m.instructions;
    this.countBased = s.kind === 'step' || s.kind === 'interrupted' || (s.kind === 'watch' && s.reverse) || s.kind === 'begin';
    return s;
  }

  /** Where a reverse run lands for a hit: a breakpoint before its
   *  instruction, a watchpoint right after the access. */
  private reversePosition(h: Hit): number {
    return h.stop.kind === 'watch' ? h.k + 1 : h.k;
  }

  private reach(h: Hit): DebugStop {
    const kept = this.keptHit;
    this.keptHit = null;
    if (kept && kept.hit.k <= h.k) {
      // The scan kept the machine at this hit or one shortly before: restore
      // that, as a base for what follows it (a stop is later in its step than
      // its count, as a recorded snapshot is).
      const img = this.imageOfHit(kept);
      if (img && kept.hit === h && h.stop.kind === 'breakpoint') {
        this.restore({ key: img.key, instructions: h.k, restore: () => {} });
        return this.setStop(h.stop);
      }
    }
    if (h.stop.kind === 'watch') {
      this.goTo(h.k + 1);
      return this.setStop({ ...h.stop, reverse: true });
    }
    this.goTo(h.k);
    // Before instruction k, later in its step: where the breakpoint stops.
    this.arm(true);
    const r = this.advance({ max: h.k + 1, stepCpu: null });
    if (typeof r === 'string' || r.kind !== 'breakpoint' || this.position !== h.k) throw new Error(`internal: replaying to the breakpoint at position ${h.k} did not stop there`);
    return this.setStop(r);
  }

  /** Every breakpoint and watchpoint hit in [base, to), in execution order. */
  private scan(base: Base, to: number): Hit[] {
    this.restore(base);
    const from = this.position;
    const baseImage = this.lastImage;
    const hits: Hit[] = [];
    this.keptHit = null;
    for (let keptAt = from; ;) {
      const r = this.advance({ max: to, stepCpu: null });
      if (r === 'limit' || (r.kind !== 'breakpoint' && r.kind !== 'watch')) break;
      const hit = { stop: r, k: this.position };
      hits.push(hit);
      if (baseImage && hit.k - keptAt >= this.hitSpacing) {
        this.keptHit = this.keepHit(hit, baseImage);
        keptAt = hit.k;
      }
    }
    this.stats.replayedInstructions += this.position - from;
    return hits;
  }

  /** Bases usable for position `k`, latest first: a snapshot is taken at a
   *  window boundary after its due events, later in its step than position
   *  k = its count, so only power-on serves its own count. */
  private basesBefore(k: number): Base[] {
    const checkpoints: Base[] = this.images.filter((i) => i.checkpoint !== undefined).map((i) => ({
      key: i.key, instructions: i.checkpoint!, restore: () => this.restoreImage(i, null),
    }));
    return [...this.bases, ...checkpoints].filter((b) => b.instructions < k || b.instructions === 0).sort((a, b) => b.instructions - a.instructions);
  }

  /** Keep the machine as it is now (a count-based position) as a base. */
  private checkpoint(): void {
    const img = this.capture(`checkpoint ${this.position}`);
    img.checkpoint = this.position;
    this.stats.checkpoints++;
  }

  /** The machine now, stopped at `hit`, relative to `base` (the image its memory came from). */
  private keepHit(hit: Hit, base: Image): KeptHit {
    const core = this.m.core;
    const { ram: _r, secureRam: _s, ...state } = captureMachine(this.m);
    const copy = (mem: Uint8Array, pages: readonly number[]): Map<number, Uint8Array | null> => {
      const buf = Buffer.from(mem.buffer, mem.byteOffset, mem.length);
      return new Map(pages.map((p) => [p, ZERO_PAGE.compare(buf, p * PAGE, (p + 1) * PAGE) === 0 ? null : mem.slice(p * PAGE, (p + 1) * PAGE)]));
    };
    return { hit, baseKey: base.key, state: structuredClone(state), ram: copy(core.ramView(), core.dirtyRamPages()), secure: copy(core.secureRamView(), core.dirtySecureRamPages()) };
  }

  /** A kept hit as an image (a checkpoint at its count), derived from its
   *  base's image; undefined when that image is gone. */
  private imageOfHit(kept: KeptHit): Image | undefined {
    const base = this.images.find((i) => i.key === kept.baseKey);
    if (!base) return undefined;
    const img: Image = {
      key: `hit ${kept.hit.k} ${kept.hit.stop.kind}`,
      state: kept.state,
      ram: overlay(base.ram, kept.ram),
      secure: overlay(base.secure, kept.secure),
      checkpoint: kept.hit.k,
      parent: { key: base.key, ram: [...kept.ram.keys()], secure: [...kept.secure.keys()] },
    };
    this.keep(img);
    this.stats.checkpoints++;
    return img;
  }

  /** Forget which image the machine's memory came from (something else
   *  restored or saved the machine, resetting its dirty-page map). */
  invalidateImages(): void {
    this.lastImage = null;
  }

  private restore(b: Base): void {
    const img = this.images.find((i) => i.key === b.key) ?? this.derive(b.key);
    if (img && this.lastImage) this.restoreImage(img, this.lastImage);
    else if (img?.checkpoint !== undefined) this.restoreImage(img, null);
    else {
      b.restore(this.m);
      this.lastImage = img ?? this.capture(b.key);
    }
    this.stopAt = { kind: 'step', cpu: -1 };
    this.stopPos = this.m.instructions;
    this.countBased = false;
    this.m.core.clearDataWatchSkips();
    this.armedKey = ''; // restoring may have replaced the armed tables' page tags: re-arm
    this.endOfRecording = false;
    this.stats.restores++;
  }

  /** Run to position k with nothing armed (count-based stop). */
  private runTo(k: number): void {
    const before = this.position;
    const saveB = this.breakpoints;
    const saveW = this.watches;
    this.breakpoints = [];
    this.watches = [];
    try {
      this.advance({ max: k, stepCpu: null });
    } finally {
      this.breakpoints = saveB;
      this.watches = saveW;
      this.stats.replayedInstructions += this.position - before;
    }
  }

  /** Arm the session's breakpoints and watches in the core when they changed. */
  private arm(force = false): void {
    const key = JSON.stringify(this.breakpoints, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + JSON.stringify(this.watches);
    if (key === this.armedKey && !force) return;
    this.armedKey = key;
    const core = this.m.core;
    core.setBreakpoints(this.breakpoints);
    core.setDataWatches(this.watches);
    // Stopped at a breakpoint: re-arming must not make it hit again in place.
    const s = this.stopAt;
    if (s.kind === 'breakpoint' && this.stopPos === this.position) core.passBreakpoint(s.cpu);
  }

  /** Run the machine forward, feeding recorded inputs at their ticks. */
  private advance(lim: { max: number; stepCpu: number | null }): DebugStop | 'limit' {
    const m = this.m;
    this.arm();
    let next = 0;
    const inputs = this.inputs;
    while (next < inputs.length && inputs[next]!.tick < m.nowTick) next++;
    m.inputHook = (mm) => {
      while (next < inputs.length && inputs[next]!.tick === mm.nowTick) mm.uart.pushRx(inputs[next++]!.byte, mm.nowTick);
    };
    const unsubscribe = this.history ? m.trace.subscribe((e) => {
      if (e.seq > this.lastSeq && !this.endOfRecording) {
        this.endOfRecording = true;
        m.requestPause();
      }
    }) : () => {};
    const prevExec = m.onExecuted;
    if (lim.stepCpu !== null) {
      const cpu = lim.stepCpu;
      m.onExecuted = (c, first, count) => {
        prevExec?.(c, first, count);
        if (c === cpu) this.stepLeft = Math.max(0, this.stepLeft - count);
      };
    }
    try {
      for (;;) {
        if (this.endOfRecording) return { kind: 'end', why: 'the end of the recording' };
        let ahead = next;
        while (ahead < inputs.length && inputs[ahead]!.tick <= m.nowTick) ahead++;
        const after = inputs[ahead]?.tick;
        const r: StopReason = m.run({
          maxInstructions: lim.max,
          ...(after === undefined ? {} : { untilTick: after }),
          ...(lim.stepCpu === null ? {} : { cpuStep: { cpu: lim.stepCpu, count: this.stepLeft } }),
        });
        switch (r.kind) {
          case 'tick-limit':
          case 'watch':
            continue;
          case 'instruction-limit':
            return 'limit';
          case 'breakpoint':
            return { kind: 'breakpoint', cpu: r.cpu, pc: r.pc };
          case 'data-watch':
            return { kind: 'watch', cpu: r.cpu, pa: r.pa, isWrite: r.isWrite, reverse: false };
          case 'paused':
            if (this.endOfRecording) return { kind: 'end', why: 'the end of the recording' };
            continue;
          default:
            return { kind: 'end', why: r.kind === 'halt' ? `halt: ${r.message}` : r.kind };
        }
      }
    } finally {
      unsubscribe();
      m.inputHook = undefined;
      m.onExecuted = prevExec;
    }
  }

  /** The machine as just restored from base `key`, kept. */
  private capture(key: string): Image {
    const core = this.m.core;
    const { ram: _r, secureRam: _s, ...state } = captureMachine(this.m);
    const img: Image = { key, state: structuredClone(state), ram: nonZeroPages(core.ramView()), secure: nonZeroPages(core.secureRamView()) };
    this.keep(img);
    return img;
  }

  /** The image of recorded snapshot `key` made from the image of the
   *  increment based on it and the pages that increment changed (kept when
   *  its chain was decoded): no decompression; undefined when not known. */
  private derive(key: string): Image | undefined {
    const prev = this.previous.get(key);
    if (!prev) return undefined;
    const next = this.images.find((i) => i.key === prev.increment) ?? this.derive(prev.increment);
    if (!next) return undefined;
    const img: Image = {
      key,
      state: decodeSnapshotState(this.blobById(key)),
      ram: overlay(next.ram, prev.ram),
      secure: overlay(next.secure, prev.secure),
      parent: { key: next.key, ram: [...prev.ram.keys()], secure: [...prev.secure.keys()] },
    };
    this.keep(img);
    this.stats.derivedImages++;
    return img;
  }

  /** Most recently used first, within the byte budget. */
  private keep(img: Image): void {
    const list = [img, ...this.images.filter((i) => i !== img && i.key !== img.key)];
    let bytes = 0;
    this.images = list.filter((i, n) => (bytes += imageBytes(i)) <= IMAGE_BUDGET_BYTES || n === 0);
  }

  /** Back to `img` from memory that equals `from` but for its dirty pages
   *  (null: memory of unknown content, every page is rewritten). */
  private restoreImage(img: Image, from: Image | null): void {
    const core = this.m.core;
    const ram = core.ramView();
    const secure = core.secureRamView();
    // Back to the same image: only the pages written since differ; to one
    // derived from the other: those and the pages the derivation changed.
    const differ = from ? imagesDiffer(from, img) : null;
    const ramPages = differ ? new Set([...core.dirtyRamPages(), ...differ.ram]) : null;
    const securePages = differ ? new Set([...core.dirtySecureRamPages(), ...differ.secure]) : null;
    restoreMachine(this.m, { ...structuredClone(img.state), ram, secureRam: secure });
    if (ramPages && securePages) {
      for (const p of ramPages) ram.set(img.ram.get(p) ?? ZERO_PAGE, p * PAGE);
      for (const p of securePages) secure.set(img.secure.get(p) ?? ZERO_PAGE, p * PAGE);
    } else {
      ram.fill(0);
      secure.fill(0);
      for (const [p, d] of img.ram) ram.set(d, p * PAGE);
      for (const [p, d] of img.secure) secure.set(d, p * PAGE);
    }
    core.memoryWritten();
    core.resetDirty();
    this.lastImage = img;
    this.keep(img);
  }

  private blobById(id: string): Uint8Array {
    const snaps = this.history!.snapshots;
    const s = snaps.snapshots().find((x: SnapshotEntry) => x.id === id);
    if (!s) throw new Error(`the recording lacks snapshot ${id.slice(0, 12)}… that another snapshot is based on`);
    return snaps.snapshotBlob(s);
  }
}
