// The gdb remote stub: GDB Remote Serial Protocol commands over a byte
// transport, acting on a DebugSession (replay/debugSession.ts) between
// packets. Each CPU is a gdb thread (thread id = CPU number + 1), then each
// vCPU of each VM under the hypervisor (threads.ts).
// Breakpoints (Z0, Z1) are the core's PC breakpoints, watchpoints (Z2-Z4)
// its data watches: nothing is written into guest memory or guest debug
// registers. Forward runs go in slices (pump()), so a Ctrl-C (0x03) that
// arrives between slices stops them; where a slice ends never changes what
// the machine computes. docs/gdb.md describes the commands.
import { formatEvent } from '../../core/trace/events.js';
import type { Machine } from '../../core/machine.js';
import type { DataWatch } from '../../core/cpu/cpu.js';
import type { DebugSession, DebugStop } from '../../replay/debugSession.js';
import { Replayer, type SnapshotSource } from '../../replay/replayer.js';
import type { TraceReader } from '../../replay/traceFile.js';
import type { ReplayTarget } from '../../replay/targets.js';
import { saveFull, writeSnapshotFile } from '../../snapshots/index.js';
import { PacketParser, escapeBinary, frame, fromHexText, hexText, toHex, unescapeBinary } from './packets.js';
import { registerSet, type RegisterSet } from './registers.js';
import { physicalRanges, readMemory, writeMemory } from './memory.js';
import { cpuOfThread, describeThread, threadList, threadView, type GdbThread, type ThreadView } from './threads.js';

/** Where replies go. Strings are Latin-1 bytes. */
export interface GdbTransport {
  write(data: string): void;
  close(): void;
}

export interface StubOptions {
  /** Instructions per forward slice between polls for Ctrl-C (default 1,000,000). */
  slice?: number;
  /** The recording, for `monitor events` and `monitor seek` (replay only). */
  recording?: { reader: TraceReader; snapshots: SnapshotSource };
  /** Log lines (connection, refusals) for the user's terminal. */
  log?: (line: string) => void;
}

type Running = { step: number | null; continuing: boolean };

interface GdbWatch {
  type: 2 | 3 | 4;
  va: bigint;
  len: number;
  /** Physical pieces, resolved when gdb inserted it. */
  pieces: { pa: number; len: number; va: bigint }[];
}

const SIGTRAP = '05';
const SIGINT = '02';

export class GdbStub {
  private readonly parser = new PacketParser();
  private noAck = false;
  private gThread = 1;
  private cThread = 0;
  private physical = false;
  private swbreak = false;
  private hwbreak = false;
  private running: Running | null = null;
  private interruptRequested = false;
  private readonly breakpoints = new Map<string, { type: 0 | 1; va: bigint }>();
  private readonly watches = new Map<string, GdbWatch>();
  private readonly regs: RegisterSet;
  private readonly slice: number;
  private lastReply: string;
  private closed = false;

  constructor(private readonly session: DebugSession, private readonly transport: GdbTransport, private readonly opts: StubOptions = {}) {
    this.regs = registerSet(session.machine);
    this.slice = opts.slice ?? 1_000_000;
    this.lastReply = this.stopReply(session.lastStop);
  }

  get m(): Machine {
    return this.session.machine;
  }
  /** A forward run is in progress: call pump() until it is not. */
  get isRunning(): boolean {
    return this.running !== null;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes from gdb. */
  receive(chunk: string): void {
    for (const inc of this.parser.push(chunk)) {
      if (this.closed) return;
      switch (inc.kind) {
        case 'interrupt':
          if (this.running) this.interruptRequested = true;
          break;
        case 'bad-checksum':
          if (!this.noAck) this.transport.write('-');
          break;
        case 'packet':
          if (!this.noAck) this.transport.write('+');
          this.handle(inc.payload);
          break;
        default:
          break; // acks: replies are never resent (gdb on a reliable stream does not ask)
      }
    }
  }

  /** Advance a forward run by one slice; sends the stop reply when it stops. */
  pump(): void {
    const r = this.running;
    if (!r) return;
    let stop: DebugStop | null;
    if (this.interruptRequested) {
      this.interruptRequested = false;
      stop = this.session.interrupt();
    } else {
      stop = this.session.resume(r.step, this.slice, r.continuing);
      r.continuing = true;
    }
    if (stop === null) return;
    this.running = null;
    this.reportStop(stop);
  }

  private send(payload: string): void {
    this.transport.write(frame(payload));
  }

  private reportStop(stop: DebugStop): void {
    if ('cpu' in stop && stop.cpu >= 0) this.gThread = stop.cpu + 1;
    this.lastReply = this.stopReply(stop);
    this.send(this.lastReply);
  }

  private stopReply(stop: DebugStop): string {
    const thread = `thread:${('cpu' in stop && stop.cpu >= 0 ? stop.cpu + 1 : this.gThread).toString(16)};`;
    switch (stop.kind) {
      case 'interrupted':
        return `T${SIGINT}${thread}`;
      case 'begin':
        return `T${SIGTRAP}replaylog:begin;${thread}`;
      case 'end':
        if (!this.session.canReverse) return 'W00';
        return `T${SIGTRAP}replaylog:end;${thread}`;
      case 'breakpoint': {
        const kinds = [...this.breakpoints.values()].filter((b) => b.va === stop.pc).map((b) => b.type);
        const why = kinds.includes(0) && this.swbreak ? 'swbreak:;' : kinds.includes(1) && this.hwbreak ? 'hwbreak:;' : '';
        return `T${SIGTRAP}${why}${thread}`;
      }
      case 'watch': {
        const w = [...this.watches.values()].find((x) => x.pieces.some((p) => stop.pa >= p.pa && stop.pa < p.pa + p.len));
        if (!w) return `T${SIGTRAP}${thread}`;
        const p = w.pieces.find((x) => stop.pa >= x.pa && stop.pa < x.pa + x.len)!;
        const va = p.va + BigInt(stop.pa - p.pa);
        const name = w.type === 2 ? 'watch' : w.type === 3 ? 'rwatch' : 'awatch';
        return `T${SIGTRAP}${name}:${va.toString(16)};${thread}`;
      }
      default:
        return `T${SIGTRAP}${thread}`;
    }
  }

  /** Thread `tid` (0 or -1: the register thread). */
  private threadOf(tid: number): GdbThread {
    const list = threadList(this.m);
    return list[(tid <= 0 ? this.gThread : tid) - 1] ?? list[0]!;
  }

  private cpuOf(tid: number): number {
    return cpuOfThread(this.threadOf(tid));
  }

  /** The registers and memory of the register thread (Hg). */
  private view(): ThreadView {
    return threadView(this.m, this.threadOf(this.gThread));
  }

  private validThread(t: number): boolean {
    return t === 0 || t === -1 || (t >= 1 && t <= threadList(this.m).length);
  }

  private handle(p: string): void {
    const reply = this.dispatch(p);
    if (reply !== null) this.send(reply);
  }

  /** The reply to one packet, or null when the reply comes later (a run) or not at all. */
  private dispatch(p: string): string | null {
    const replay = this.session.canReverse;
    switch (p[0]) {
      case '?':
        return this.lastReply;
      case 'g': {
        const view = this.view();
        return this.regs.list.map((r) => r.read(view)).join('');
      }
      case 'G':
        return replay ? this.refuse('register writes') : this.writeAllRegs(p.slice(1));
      case 'p': {
        const n = parseInt(p.slice(1), 16);
        const r = this.regs.list[n];
        return r ? r.read(this.view()) : 'E45';
      }
      case 'P': {
        if (replay) return this.refuse('register writes');
        const [n, v] = p.slice(1).split('=');
        const r = this.regs.list[parseInt(n!, 16)];
        return r && r.write(this.view(), v!) ? 'OK' : 'E45';
      }
      case 'm': {
        const [a, l] = p.slice(1).split(',');
        const r = readMemory(this.m, this.view(), BigInt('0x' + a), Math.min(parseInt(l!, 16), 0x2000), this.physical);
        return typeof r === 'string' ? 'E14' : toHex(r);
      }
      case 'M': {
        if (replay) return this.refuse('memory writes');
        const [where, data] = p.slice(1).split(':');
        const [a] = where!.split(',');
        return this.writeMem(BigInt('0x' + a), Buffer.from(data ?? '', 'hex'));
      }
      case 'X': {
        const colon = p.indexOf(':');
        const [a, l] = p.slice(1, colon).split(',');
        if (parseInt(l!, 16) === 0) return 'OK'; // gdb probes binary downloads with an empty write
        if (replay) return this.refuse('memory writes');
        return this.writeMem(BigInt('0x' + a), Buffer.from(unescapeBinary(p.slice(colon + 1)), 'latin1'));
      }
      case 'H': {
        const t = parseInt(p.slice(2), 16);
        if (!this.validThread(t)) return 'E22';
        if (p[1] === 'g') {
          if (t > 0) this.gThread = t;
        } else {
          this.cThread = t;
        }
        return 'OK';
      }
      case 'T':
        return this.validThread(parseInt(p.slice(1), 16)) && parseInt(p.slice(1), 16) > 0 ? 'OK' : 'E22';
      case 'Z':
      case 'z':
        return this.point(p[0] === 'Z', p.slice(1));
      case 'c':
      case 'C':
        return this.start(null);
      case 's':
      case 'S':
        return this.start(this.cpuOf(this.cThread));
      case 'b':
        if (!replay) return '';
        if (p === 'bs') return this.reverse(() => this.session.reverseStep(this.cpuOf(this.cThread)));
        if (p === 'bc') return this.reverse(() => this.session.reverseContinue());
        return '';
      case 'v':
        return this.vPacket(p);
      case 'q':
      case 'Q':
        return this.query(p);
      case 'D':
        this.send('OK');
        this.close();
        return null;
      case 'k':
        this.close();
        return null;
      default:
        return '';
    }
  }

  private refuse(what: string): string {
    this.opts.log?.(`gdb: ${what} refused: a replay replays the recording (docs/gdb.md)`);
    return 'E01';
  }

  private writeAllRegs(hex: string): string {
    const view = this.view();
    let off = 0;
    let ok = true;
    for (const r of this.regs.list) {
      const n = r.bits / 4;
      if (off + n > hex.length) break;
      const part = hex.slice(off, off + n);
      if (!/^x+$/i.test(part)) ok = r.write(view, part) && ok;
      off += n;
    }
    return ok ? 'OK' : 'E45';
  }

  private writeMem(va: bigint, data: Uint8Array): string {
    const err = writeMemory(this.m, this.view(), va, data, this.physical);
    return err === null ? 'OK' : 'E14';
  }

  private point(insert: boolean, args: string): string {
    const [typeS, addrS, kindS] = args.split(/[,;]/);
    const type = Number(typeS);
    const va = BigInt('0x' + addrS);
    const key = `${type}:${addrS}`;
    if (type === 0 || type === 1) {
      if (insert) this.breakpoints.set(key, { type, va });
      else this.breakpoints.delete(key);
      const vas = [...new Set([...this.breakpoints.values()].map((b) => b.va))];
      if (vas.length > 16) {
        this.breakpoints.delete(key);
        return 'E28';
      }
      const all = (1 << this.m.numCpus) - 1;
      this.session.setBreakpoints(vas.map((v) => ({ va: v, cpuMask: all, elMask: 0xf })));
      return 'OK';
    }
    if (type >= 2 && type <= 4) {
      if (insert) {
        const len = parseInt(kindS ?? '1', 16);
        const pieces = physicalRanges(this.m, this.view(), va, len, this.physical);
        if (typeof pieces === 'string') {
          this.opts.log?.(`gdb: cannot watch ${pieces}`);
          return 'E14';
        }
        this.watches.set(key, { type: type as 2 | 3 | 4, va, len, pieces });
      } else {
        this.watches.delete(key);
      }
      const list: DataWatch[] = [];
      for (const w of this.watches.values()) {
        for (const piece of w.pieces) list.push({ pa: piece.pa, len: piece.len, read: w.type !== 2, write: w.type !== 3 });
      }
      if (list.length > 256) {
        this.watches.delete(key);
        return 'E28';
      }
      this.session.setWatches(list);
      return 'OK';
    }
    return '';
  }

  /** Start a forward run; the reply comes from pump(). */
  private start(step: number | null): null {
    this.running = { step, continuing: false };
    this.interruptRequested = false;
    return null;
  }

  private reverse(go: () => DebugStop): null {
    this.reportStop(go());
    return null;
  }

  private vPacket(p: string): string | null {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      let step: number | null = null;
      for (const action of p.slice(6).split(';')) {
        const [a, t] = action.split(':');
        if (a![0] === 's' || a![0] === 'S') step = this.cpuOf(t === undefined ? this.cThread : parseInt(t, 16));
      }
      return this.start(step);
    }
    if (p === 'vMustReplyEmpty') return '';
    if (p.startsWith('vKill')) {
      this.send('OK');
      this.close();
      return null;
    }
    return '';
  }

  private query(p: string): string | null {
    if (p.startsWith('qSupported')) {
      const feats = p.split(':')[1] ?? '';
      this.swbreak = feats.includes('swbreak+');
      this.hwbreak = feats.includes('hwbreak+');
      const reverse = this.session.canReverse ? ';ReverseStep+;ReverseContinue+' : '';
      return `PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+${reverse}`;
    }
    if (p === 'QStartNoAckMode') {
      this.send('OK');
      this.noAck = true;
      return null;
    }
    if (p.startsWith('qXfer:features:read:')) {
      const [annex, range] = p.slice('qXfer:features:read:'.length).split(':');
      if (annex !== 'target.xml') return 'E00';
      const [o, l] = range!.split(',');
      const off = parseInt(o!, 16);
      const len = parseInt(l!, 16);
      const part = this.regs.xml.slice(off, off + len);
      return (off + len >= this.regs.xml.length ? 'l' : 'm') + escapeBinary(part);
    }
    if (p === 'qC') return `QC${this.gThread.toString(16)}`;
    if (p === 'qfThreadInfo') return 'm' + threadList(this.m).map((t) => t.tid.toString(16)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) {
      return hexText(describeThread(this.m, this.threadOf(parseInt(p.split(',')[1]!, 16))));
    }
    if (p === 'qAttached') return '1';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) {
      const out = this.monitor(fromHexText(p.slice(6)).trim());
      for (const line of out) this.send('O' + hexText(line + '\n'));
      return 'OK';
    }
    return '';
  }

  // ---- monitor commands ----

  private monitor(cmd: string): string[] {
    const [word, ...rest] = cmd.split(/\s+/);
    const arg = rest.join(' ');
    try {
      switch (word) {
        case 'phys':
          if (arg === 'on' || arg === 'off') this.physical = arg === 'on';
          else if (arg !== '') return ['usage: monitor phys on|off'];
          return [`addresses are ${this.physical ? 'physical' : "virtual (the selected CPU's current translation regime)"}`];
        case 'when':
          return this.when();
        case 'seek':
          return this.seek(arg);
        case 'events':
          return this.events(arg === '' ? 5 : Number(arg));
        case 'snapshot': {
          if (arg === '') return ['usage: monitor snapshot FILE'];
          writeSnapshotFile(arg, saveFull(this.m).bytes);
          this.session.invalidateImages(); // saving resets the dirty-page map
          return [`wrote a snapshot of the machine to ${arg} (hvrr run --restore ${arg} continues from it)`];
        }
        case 'help':
        case undefined:
        case '':
          return [
            'monitor when                     where the machine is: instructions, tick, events, exceptions, CPUs',
            'monitor seek insn K | event N | exception N | tick T   move there (replay; then: maint flush register-cache)',
            'monitor events [N]               the N recorded events before and after the current point',
            'monitor phys on|off              memory addresses physical / virtual',
            'monitor snapshot FILE            save the machine here (hvrr run --restore FILE)',
          ];
        default:
          return [`unknown monitor command '${word}' (monitor help)`];
      }
    } catch (e) {
      return [`error: ${(e as Error).message}`];
    }
  }

  private when(): string[] {
    const m = this.m;
    const st = m.getMachineState();
    const lines = [`instructions ${m.instructions} (the debugger's position), tick ${m.clockTick}, events 0..${m.trace.count - 1}, exceptions ${st.exceptionCount}`];
    for (const t of threadList(m)) {
      const tail = t.kind === 'cpu' ? ` pc=0x${m.core.getPc(t.cpu).toString(16)} clock ${m.cpuTick(t.cpu)}` : ` pc=0x${threadView(m, t).pc().toString(16)}`;
      lines.push(`  thread ${t.tid}: ${describeThread(m, t)}${tail}`);
    }
    return lines;
  }

  private seek(arg: string): string[] {
    const rec = this.opts.recording;
    if (!rec) return ['seek needs a recording (hvrr replay --gdb)'];
    const [kind, value] = arg.split(/\s+/);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) return ['usage: monitor seek insn K | event N | exception N | tick T'];
    if (kind === 'insn') {
      this.session.goTo(n);
    } else {
      const target: ReplayTarget | null = kind === 'event' ? { kind: 'event', seq: n } : kind === 'exception' ? { kind: 'exception', n } : kind === 'tick' ? { kind: 'tick', tick: n } : null;
      if (!target) return ['usage: monitor seek insn K | event N | exception N | tick T'];
      this.session.goTo(0);
      const r = new Replayer(rec.reader, rec.snapshots).run(this.m, target);
      this.session.markStart();
      if (r.status !== 'reached') return [`seek ${arg}: ${r.status}${r.missing ? ` (${r.missing})` : ''}`];
    }
    this.lastReply = this.stopReply(this.session.lastStop);
    return [...this.when(), "registers gdb holds are stale: type 'maint flush register-cache' (or 'flushregs')"];
  }

  private events(n: number): string[] {
    const rec = this.opts.recording;
    const here = this.m.trace.count; // the next event's seq
    if (!rec) return this.m.trace.last(n).map((e) => formatEvent(e));
    const out: string[] = [];
    for (const e of rec.reader.eventsInRange(Math.max(0, here - n), here + n)) out.push(`${e.seq < here ? ' ' : '>'} ${formatEvent(e)}`);
    out.push("('>': not happened yet at this point)");
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.running = null;
    this.transport.close();
  }
}
