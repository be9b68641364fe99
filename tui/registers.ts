// The machine at one event, for the detail pane: replays the recording to it
// (from the nearest snapshot; an exception stops at its entry, other events
// at the end of the step that emitted them, docs/replay.md) and reads the
// event's CPU: general registers, PC, PSTATE, the system registers that say
// where it is, and the instructions around ELR (an exception) or the PC.
import { existsSync } from 'node:fs';
import { disassemble } from '../core/asm/disassembler.js';
import type { Machine } from '../core/machine.js';
import { Replayer, snapshotFileProblem, type ReplayTarget } from '../replay/replayer.js';
import { describeTarget } from '../replay/targets.js';
import { TraceReader } from '../replay/traceFile.js';
import { machineForRecording, snapshotFileFor } from '../cli/commands/record.js';
import { readWordEl1 } from './guestMemory.js';

export interface CpuRegisters {
  cpu: number;
  state: string;
  tick: number;
  el: number;
  sp: string;
  pc: string;
  pstate: string;
  nzcv: string;
  x: string[];
  sysregs: [string, string][];
}

export interface DisasmLine {
  addr: string;
  /** The instruction word, or null when it cannot be read. */
  word: string | null;
  text: string;
  /** The instruction ELR/PC points at. */
  here: boolean;
}

export interface RegistersResult {
  seq: number;
  /** "reached exception 5 (event 12) from the snapshot at tick 100,000,000". */
  status: string;
  regs: CpuRegisters | null;
  disasm: { label: string; lines: DisasmLine[] } | null;
  /** Why there are no registers (the trace cannot be replayed here). */
  error?: string;
}

const SYSREGS = ['ESR_EL1', 'ELR_EL1', 'FAR_EL1', 'SPSR_EL1', 'VBAR_EL1', 'SCTLR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'ESR_EL2', 'ELR_EL2', 'FAR_EL2', 'HPFAR_EL2', 'HCR_EL2', 'VTTBR_EL2', 'SCR_EL3'];

const hex = (v: bigint, w = 16): string => '0x' + v.toString(16).padStart(w, '0');

export function readRegisters(m: Machine, cpu: number): CpuRegisters {
  const ps = m.core.pstate(cpu);
  const regs = m.core.regs(cpu);
  return {
    cpu, state: m.cpuState(cpu), tick: m.cpuTick(cpu), el: (ps >> 2) & 3,
    sp: hex(m.core.getSp(cpu)), pc: hex(m.core.getPc(cpu)), pstate: hex(BigInt(ps >>> 0), 8),
    nzcv: ['N', 'Z', 'C', 'V'].map((f, i) => ((ps >>> (31 - i)) & 1 ? f : f.toLowerCase())).join(''),
    x: Array.from({ length: 31 }, (_, k) => hex(m.core.getX(cpu, k))),
    sysregs: SYSREGS.filter((n) => regs.has(n)).map((n) => [n, hex(regs.get(n))]),
  };
}

/** `before` instructions before `va`, the one at it, `after` after it (EL1&0 regime). */
export function disassembleAround(m: Machine, cpu: number, va: bigint, before = 4, after = 4): DisasmLine[] {
  const out: DisasmLine[] = [];
  for (let k = -before; k <= after; k++) {
    const a = BigInt.asUintN(64, va + BigInt(k * 4));
    const w = readWordEl1(m, cpu, a);
    out.push(typeof w === 'number'
      ? { addr: hex(a), word: w.toString(16).padStart(8, '0'), text: disassemble(w, a), here: k === 0 }
      : { addr: hex(a), word: null, text: `(${w})`, here: k === 0 });
  }
  return out;
}

/** Replays `tracePath` to event `seq` and reads its CPU (sync: run it off the UI thread). */
export function registersAt(tracePath: string, seq: number): RegistersResult {
  const reader = TraceReader.open(tracePath);
  let snaps: TraceReader | undefined;
  try {
    const e = reader.event(seq);
    if (!e) return { seq, status: '', regs: null, disasm: null, error: `the trace has no event ${seq}` };
    let m: Machine;
    try {
      m = machineForRecording(reader.header, tracePath);
    } catch (err) {
      return { seq, status: '', regs: null, disasm: null, error: `cannot rebuild the recorded machine: ${(err as Error).message}` };
    }
    const snapPath = snapshotFileFor(tracePath);
    if (existsSync(snapPath)) {
      try {
        snaps = TraceReader.open(snapPath);
        if (snapshotFileProblem(reader, snaps)) {
          snaps.close();
          snaps = undefined;
        }
      } catch {
        snaps = undefined;
      }
    }
    const target: ReplayTarget = e.kind === 'exception' ? { kind: 'exception', n: e.n } : { kind: 'event', seq };
    const r = new Replayer(reader, snaps).run(m, target);
    const from = r.startedFrom ? `from the snapshot at tick ${r.startedFrom.tick.toLocaleString('en-US')}` : 'from power-on';
    if (r.status === 'diverged') return { seq, status: `DIVERGED at event ${r.divergence!.seq} ${from}`, regs: null, disasm: null, error: `the replay diverged at event ${r.divergence!.seq}: recorded ${r.divergence!.recorded}, replayed ${r.divergence!.replayed}` };
    if (r.status !== 'reached' && r.status !== 'end-of-recording') return { seq, status: r.status, regs: null, disasm: null, error: `replay stopped: ${r.status}${r.machineStop ? ` (${r.machineStop})` : ''}${r.missing ? `: ${r.missing}` : ''}` };
    const cpu = Math.max(0, e.cpu);
    const regs = readRegisters(m, cpu);
    let disasm: RegistersResult['disasm'] = null;
    if (e.kind === 'exception' && e.fromEl <= 1) {
      disasm = { label: `around ELR ${e.elr} (EL${e.fromEl}, where the exception was taken)`, lines: disassembleAround(m, cpu, BigInt(e.elr)) };
    } else if (regs.el <= 1) {
      disasm = { label: `around PC ${regs.pc} (EL${regs.el})`, lines: disassembleAround(m, cpu, BigInt(regs.pc)) };
    } else {
      disasm = { label: `cpu${cpu} is at EL${regs.el}: the EL2/EL3 software is TypeScript, no code in guest memory`, lines: [] };
    }
    return { seq, status: `${describeTarget(target)}: ${r.status === 'reached' ? 'reached' : 'the end of the recording'} ${from}; ${r.checked.toLocaleString('en-US')} events checked`, regs, disasm };
  } finally {
    reader.close();
    snaps?.close();
  }
}
