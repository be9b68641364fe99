// The detail pane's registers: a recorded run replayed to an event.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import { TraceReader } from '../replay/traceFile.js';
import { registersAt } from './registers.js';
import { JOB_EVENTS, writeTrace } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-tui-regs-'));
const hv = join(dir, 'hv.hvrr');
const bare = join(dir, 'bare.hvrr');

beforeAll(async () => {
  // Snapshots every 10^6 ticks: a late event is reached from one of them.
  for (const [file, args] of [[hv, ['selftest']], [bare, ['selftest', '--bare']]] as const) {
    const r = await runCli(['record', ...args, '--snapshot-every', '1000000', '-o', file]);
    expect(r.code, r.err).toBe(0);
  }
});

const exceptionSeq = (file: string, n: number): number => {
  const r = TraceReader.open(file);
  try {
    return r.findException(n)!.seq;
  } finally {
    r.close();
  }
};

describe('registers at an event', () => {
  it('an exception under the hypervisor: its entry at EL2, the guest\'s instruction at ELR', () => {
    const seq = exceptionSeq(hv, 5);
    const r = registersAt(hv, seq);
    expect(r.error).toBeUndefined();
    expect(r.status).toMatch(/^exception 5: reached from power-on|^exception 5: reached from the snapshot at tick 0/);
    expect(r.regs).toMatchObject({ cpu: 0, el: 2 });
    expect(r.regs!.x).toHaveLength(31);
    expect(r.regs!.sysregs.map(([n]) => n)).toContain('ESR_EL2');
    expect(Object.fromEntries(r.regs!.sysregs).ESR_EL2).toBe('0x0000000093820005');
    expect(r.disasm!.label).toMatch(/^around ELR 0x[0-9a-f]+ \(EL1/);
    const here = r.disasm!.lines.find((l) => l.here)!;
    expect(here.text).toMatch(/^ldr w2, \[x1/);
    expect(r.disasm!.lines).toHaveLength(9);
  });

  it('a late event is reached from a snapshot', () => {
    const r = TraceReader.open(hv);
    const last = r.firstSeq + r.eventCount - 1;
    r.close();
    const res = registersAt(hv, last - 5);
    expect(res.status).toMatch(/from the snapshot at tick [1-9][\d,]*;/);
    expect(res.regs).not.toBeNull();
  });

  it('bare metal: an exception the guest takes itself, at EL1', () => {
    const seq = exceptionSeq(bare, 1);
    const r = registersAt(bare, seq);
    expect(r.regs?.el).toBe(1);
    expect(r.disasm!.lines.some((l) => l.here && l.word !== null)).toBe(true);
  });

  it('says why when the trace cannot be replayed here', () => {
    const { path } = writeTrace(JOB_EVENTS, 4);
    const r = registersAt(path, 3);
    expect(r.regs).toBeNull();
    expect(r.error).toMatch(/^cannot rebuild the recorded machine: .*does not describe a machine/);
    expect(registersAt(path, 999).error).toBe('the trace has no event 999');
  });
});
