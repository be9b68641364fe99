// Input entering at a boundary that exists only because the recording run
// stopped an idle jump early (`run({ untilTick })`, as an interactive session
// paced to the wall clock does): the replay must stop its own idle jump at
// that tick too, or it would skip past the input.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hvMachine } from '../core/hypervisor/testing.js';
import { enableSpi, guestImage, res, UART_RX_TO_RESULTS, UART_RX_UNMASK } from '../core/hypervisor/testGuest.js';
import { TraceReader, TraceWriter } from './traceFile.js';
import { Recorder } from './recorder.js';
import { Replayer } from './replayer.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-paced-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Waits in WFI (the virtual timer armed 5 s ahead keeps an event in the queue,
// so the machine jumps ahead rather than going idle) for 3 console bytes.
const image = guestImage({
  main: `${enableSpi(33)}${UART_RX_UNMASK}
    ldr x1, =312500000
    msr cntv_tval_el0, x1
    mov x1, #1
    msr cntv_ctl_el0, x1
    msr daifclr, #2
    ldr x20, =RES
1:  wfi
    ldr x1, [x20, #8]
    cmp x1, #3
    b.lo 1b
`,
  onIrq: UART_RX_TO_RESULTS,
});

function machine() {
  return hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 << 20, kernel: image }] });
}

describe('input at boundaries made by stopping idle jumps', () => {
  it('replays exactly: the replayer stops at each recorded input tick', () => {
    const path = join(dir, 'paced.hvrr');
    const r = machine();
    const w = TraceWriter.create(path, { hvrrVersion: 'test', machine: {}, images: [], seed: '7', stateHashInterval: 20, snapshotInterval: 0 });
    const rec = new Recorder(r.m, w, { stateHashEvery: 20 });
    for (const [tick, byte] of [[1_000_000_007, 0x61], [2_000_000_011, 0x62], [2_500_000_013, 0x63]] as const) {
      expect(r.m.run({ untilTick: tick }).kind).toBe('tick-limit');
      rec.queueInput([byte]);
    }
    expect(r.m.run(50_000_000).kind).toBe('system-off');
    rec.finish();
    expect(res(r.hv, 1)).toBe(3n);
    const reader = TraceReader.open(path);
    expect(reader.inputs().map((i) => i.tick)).toEqual([1_000_000_007, 2_000_000_011, 2_500_000_013]);
    const p = machine();
    const out = new Replayer(reader).run(p.m, { kind: 'end' });
    expect(out.divergence).toBeUndefined();
    expect(out.status).toBe('end-of-recording');
    expect(p.m.nowTick).toBe(r.m.nowTick);
    expect(p.m.trace.digest()).toBe(r.m.trace.digest());
    expect(p.console()).toBe(r.console());
    reader.close();
  });
});
