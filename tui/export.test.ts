import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FfaEvent, TraceEvent } from '../core/trace/events.js';
import { runCli } from '../cli/testing.js';
import { exportEvents, validateChromeTrace, DEVICES_TID, type ChromeEvent, type ExportFormat } from './export.js';
import { JOB_EVENTS } from './testing.js';

const ffa = (seq: number, tick: number, cpu: number, fid: number, src: number, dst: number): FfaEvent => ({ seq, tick, cpu, kind: 'ffa', fid, src, dst, args: ['0x0'] });

// JOB_EVENTS has a DIRECT_REQ from 1 to 0x8001 at #20 (tick 22); its response follows.
const EVENTS: TraceEvent[] = [...JOB_EVENTS, ffa(25, 30, 1, 0x84000070, 0x8001, 1), { seq: 26, tick: 31, cpu: -1, kind: 'irq-raise', intid: 33, target: 0 }];

function exported(format: ExportFormat): { events: ChromeEvent[]; stats: ReturnType<typeof exportEvents> } {
  const events: ChromeEvent[] = [];
  const stats = exportEvents(EVENTS, { format, cpus: 2, snapshots: [{ id: 'a', baseId: null, afterSeq: -1, tick: 0, instructions: 0, exceptions: 0, chunk: 0, offset: 0, blobSize: 1 }, { id: 'b', baseId: 'a', afterSeq: 10, tick: 15, instructions: 12, exceptions: 1, chunk: 2, offset: 9, blobSize: 1 }], title: 't' }, (e) => events.push(e));
  return { events, stats };
}

describe('export to Chrome trace-event JSON', () => {
  for (const format of ['perfetto', 'chrome'] as const) {
    it(`${format}: valid, slices nest, vCPU slices per pCPU, instants, flows, counter`, () => {
      const { events, stats } = exported(format);
      expect(validateChromeTrace({ displayTimeUnit: 'ns', traceEvents: events })).toEqual([]);
      const sched = events.filter((e) => e.cat === 'sched');
      expect(sched).toEqual([
        { name: 'vm0 vcpu0', cat: 'sched', ph: 'X', ts: 0, dur: 0.02, pid: 1, tid: 0, args: { vm: 0, vcpu: 0 } },
        { name: 'vm1 vcpu0', cat: 'sched', ph: 'X', ts: 0.008, dur: 0.023, pid: 1, tid: 1, args: { vm: 1, vcpu: 0 } },
      ]);
      expect(events.filter((e) => e.cat === 'exception').map((e) => [e.name, e.tid, e.args!.n])).toEqual([['HVC', 0, 1], ['data abort from a lower EL', 1, 2], ['HVC', 0, 3]]);
      expect(events.find((e) => e.cat === 'irq')).toMatchObject({ name: 'IRQ 33 raise', ph: 'i', tid: DEVICES_TID, args: { source: 'UART' } });
      expect(events.filter((e) => e.ph === 'C').map((e) => [e.ts, e.args])).toEqual([[0, { instructions: 0 }], [0.015, { instructions: 12 }]]);
      const calls = events.filter((e) => e.cat === 'ffa' && e.ph === 'X');
      expect(calls.map((e) => e.name)).toEqual(['FFA_MSG_SEND_DIRECT_REQ_32', 'FFA_MSG_SEND_DIRECT_RESP_32']);
      expect(stats).toEqual({ events: EVENTS.length, slices: 4, flows: 1 });
      if (format === 'perfetto') {
        expect(calls.map((e) => [e.bind_id, e.flow_out, e.flow_in])).toEqual([[1, true, undefined], [1, undefined, true]]);
      } else {
        expect(events.filter((e) => e.ph === 's' || e.ph === 'f').map((e) => [e.ph, e.id, e.ts])).toEqual([['s', 1, 0.022], ['f', 1, 0.03]]);
      }
    });
  }

  it('the validator finds what Perfetto would refuse or draw wrongly', () => {
    const base = { name: 'a', ph: 'X', pid: 1, tid: 0 };
    expect(validateChromeTrace({})).toEqual(['not an object with a traceEvents array']);
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: 0, dur: 10 }, { ...base, ts: 5, dur: 10 }] })).toEqual(['track 1:0: slice at event 1 overlaps slice at event 0 without nesting in it']);
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: 0, dur: 10 }, { ...base, ts: 2, dur: 3 }, { ...base, ts: 10, dur: 1 }] })).toEqual([]);
    // Back to back in binary floating point (82244.248 + 50.406 > 82294.654), from a Linux boot's sched slices.
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: 82244.248, dur: 50.406 }, { ...base, ts: 82294.654, dur: 9.512 }] })).toEqual([]);
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: -1, dur: 1 }, { name: 'b', ph: 'X', pid: 1, tid: 0, ts: 1 }] })).toEqual(['event 0: ts is not a non-negative number', 'event 1: complete event without a non-negative dur']);
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: 0, dur: 1 }, { name: 'f', ph: 's', id: 1, pid: 1, tid: 0, ts: 0 }, { name: 'f', ph: 'f', id: 2, pid: 1, tid: 0, ts: 5, bp: 'e' }] })).toEqual([
      'flow 1: no finish', 'flow 2: no start', 'event 2: flow point on track 1:0 at 5 is not inside a slice',
    ]);
    expect(validateChromeTrace({ traceEvents: [{ ...base, ts: 0, dur: 1, bind_id: 3, flow_out: true }] })).toEqual(['flow 3: 1 flow_out and 0 flow_in slices']);
    expect(validateChromeTrace({ traceEvents: [{ name: 'c', ph: 'C', pid: 1, ts: 0, args: { n: 'x' } }, { name: 'q', ph: 'Q', pid: 1, tid: 0, ts: 0 }] })).toEqual(['event 0: counter args are not numbers', "event 1: phase 'Q' is not one this exporter writes"]);
  });

  it('hvrr export: a 4-CPU run under the hypervisor, both formats, written whole or not at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvrr-export-'));
    const trace = join(dir, 'smp.hvrr');
    expect((await runCli(['record', 'selftest', '--smp', '4', '-o', trace])).code).toBe(0);
    for (const format of ['perfetto', 'chrome']) {
      const out = join(dir, `${format}.json`);
      const r = await runCli(['export', trace, '--format', format, '-o', out]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(new RegExp(`^hvrr: exported 4,259 events to .*${format}\\.json \\(${format}\\): \\d+ slices, 0 FF-A flows, 1 counter samples\\n$`));
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: ChromeEvent[] };
      expect(validateChromeTrace(doc)).toEqual([]);
      const tracks = new Set(doc.traceEvents.filter((e) => e.cat === 'sched').map((e) => e.tid));
      expect([...tracks].sort()).toEqual([0, 1, 2, 3]);
      expect(doc.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name)).toEqual(['pCPU 0', 'pCPU 1', 'pCPU 2', 'pCPU 3', 'devices']);
      expect(doc.traceEvents.filter((e) => e.cat === 'psci').length).toBe(34);
    }
    expect((await runCli(['export', trace, '-o', join(dir, 'x.json')])).err).toMatch(/--format is required/);
    expect((await runCli(['export', trace, '--format', 'svg', '-o', join(dir, 'x.json')])).err).toMatch(/unknown format 'svg'/);
    expect((await runCli(['export', trace, '--format', 'chrome'])).err).toMatch(/-o OUT.json is required/);
    const bad = await runCli(['export', trace, '--format', 'chrome', '-o', join(dir, 'no-such-dir', 'x.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^hvrr: cannot write '.*x\.json': /);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('hvrr export of ffa-demo: a flow from each call to its answer, slices named by function and result, the decoded fields as args', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvrr-export-ffa-'));
    const trace = join(dir, 'ffa-demo.hvrr');
    const rec = await runCli(['record', 'ffa-demo', '--smp', '2', '-o', trace]);
    expect(rec.code, rec.err).toBe(0);
    for (const format of ['perfetto', 'chrome'] as const) {
      const out = join(dir, `${format}.json`);
      const r = await runCli(['export', trace, '--format', format, '-o', out]);
      expect(r.code, r.err).toBe(0);
      const flows = Number(/(\d+) FF-A flows/.exec(r.err)![1]);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: ChromeEvent[] };
      expect(validateChromeTrace(doc)).toEqual([]);
      const ffaSlices = doc.traceEvents.filter((e) => e.cat === 'ffa' && e.ph === 'X');
      expect(ffaSlices.length).toBeGreaterThan(400);
      // Every call is answered in this run; a call passed on unchanged (proxy -> SPMD) shares its answer's arrow.
      const calls = ffaSlices.filter((e) => e.args!.dir === 'call');
      expect(flows).toBeGreaterThan(calls.length / 2);
      expect(flows).toBeLessThanOrEqual(calls.length);
      if (format === 'perfetto') {
        expect(ffaSlices.filter((e) => e.flow_out).every((e) => e.args!.dir === 'call')).toBe(true);
        expect(ffaSlices.filter((e) => e.flow_in).every((e) => e.args!.dir === 'answer')).toBe(true);
        expect(ffaSlices.filter((e) => e.flow_out).length).toBe(flows);
      }
      // The VM's first share: its call starts an arrow named by it, which ends at the FFA_SUCCESS naming the handle.
      const share = ffaSlices.find((e) => e.name === 'FFA_MEM_SHARE_64' && e.args!.src === '0x1')!;
      expect(share.args).toMatchObject({ dir: 'call', receivers: ['0x8001'], pages: 4 });
      const answer = (id: number | undefined): ChromeEvent => {
        if (format === 'perfetto') return ffaSlices.find((e) => e.bind_id === id && e.flow_in)!;
        const f = doc.traceEvents.find((e) => e.ph === 'f' && e.id === id)!;
        expect(f.name).toBe('FF-A FFA_MEM_SHARE_64');
        return ffaSlices.find((e) => e.ts === f.ts && e.tid === f.tid && e.args!.of === 'FFA_MEM_SHARE_64')!;
      };
      const startId = format === 'perfetto' ? share.bind_id : doc.traceEvents.find((e) => e.ph === 's' && e.ts === share.ts && e.name === 'FF-A FFA_MEM_SHARE_64')!.id;
      if (format === 'perfetto') expect(share.flow_out).toBe(true);
      const ok = answer(startId as number);
      expect(ok.name).toBe('FFA_SUCCESS_32');
      expect(ok.args).toMatchObject({ dir: 'answer', of: 'FFA_MEM_SHARE_64', result: 'FFA_SUCCESS_32', dst: '0x1', handle: expect.stringMatching(/^0x[0-9a-f]+$/) });
      // A refusal is named by its error.
      expect(ffaSlices.some((e) => e.name === 'FFA_ERROR INVALID_PARAMETERS' && e.args!.result === 'FFA_ERROR INVALID_PARAMETERS')).toBe(true);
    }
  }, 120_000);
});
