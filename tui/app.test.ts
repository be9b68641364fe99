// The browser's views, rendered with ink-testing-library (Ink 6.8, React 19)
// over a recorded run of the self-test under the hypervisor, driven by keys.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import { TraceReader } from '../replay/traceFile.js';
import { TraceModel } from './model.js';
import { InlineRunner } from './runner.js';

// Colour as on a terminal (this process's output is not one), so the test
// of drawing without colour could fail. Ink's colour support is read when it loads.
process.env.FORCE_COLOR = '1';
const { createElement } = await import('react');
const { render } = await import('ink-testing-library');
const { App } = await import('./app.js');

const dir = mkdtempSync(join(tmpdir(), 'hvrr-tui-app-'));
const trace = join(dir, 'hv.hvrr');
beforeAll(async () => {
  const r = await runCli(['record', 'selftest', '-o', trace]);
  expect(r.code, r.err).toBe(0);
});

const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function open(size = { columns: 80, rows: 24 }, color = false) {
  const reader = TraceReader.open(trace);
  const model = new TraceModel(reader, trace);
  const runner = new InlineRunner(reader, trace);
  const app = render(createElement(App, { model, runner, color, size }));
  cleanup.push(() => {
    app.unmount();
    reader.close();
  });
  const frame = (): string => app.lastFrame() ?? '';
  const until = async (what: RegExp | string, ms = 20_000): Promise<string> => {
    const t0 = Date.now();
    for (;;) {
      const f = frame();
      // Text as shown (attributes dropped), or the raw frame for a pattern about them.
      const test = (x: string): boolean => (typeof what === 'string' ? x.includes(what) : what.test(x));
      if (test(plain(f)) || test(f)) return f;
      if (Date.now() - t0 > ms) throw new Error(`no frame matching ${String(what)} in ${ms} ms; last frame:\n${f}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const keys = async (...ks: string[]): Promise<void> => {
    for (const k of ks) {
      app.stdin.write(k);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { frame, until, keys, model };
}


describe('hvrr tui views', () => {
  it('draws 80x24: status, column header, rows with lanes, the keys line', async () => {
    const { until } = open();
    const f = await until(/p0/);
    const lines = plain(f).split('\n');
    expect(lines).toHaveLength(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^hvrr tui hv\.hvrr +3,293 events/);
    expect(lines[1]).toMatch(/^ +seq +tick cpu w +el +kind +summary +p0/);
    expect(lines[2]).toMatch(/^> +#0 +0 c0 +ns +- +timer-prog virt off cval=0x0/);
    expect(lines[23]).toMatch(/^\? keys/);
    expect(await until(/-> vm0 vcpu0 in +0\.0/)).toBeTruthy();
  });

  it('filters to exceptions, jumps to exception 5 and shows its decoded ESR and registers', async () => {
    const { until, keys, frame } = open();
    await until('p0');
    await keys('f', 'kind=exception', '\r');
    await until('filter kind=exception: 2,159 events');
    await keys('g', 'e 5', '\r');
    let f = plain(await until(/^> +#12 .*n=5 DABT R4 w2 far=0x9000018/m));
    expect(f).toMatch(/at 5\/2,159/);
    await keys('\r');
    f = plain(await until('syndrome'));
    expect(f).toContain('ESR        0x93820005  EC=0x24 IL=1 ISS=0x1820005');
    expect(f).toContain('class      data abort from a lower EL');
    expect(f).toContain('syndrome   read word w2, translation fault, level 1');
    await keys('\t', ' ');
    f = plain(await until(/registers of cpu0 at event #12 \(exception 5: reached/));
    expect(f).toMatch(/x0=0x[0-9a-f]{16}/);
    // Down the pane to the instruction at ELR.
    const here = /> 0x0*4008[0-9a-f]+: [0-9a-f]{8} +ldr w2, \[x1/;
    for (let i = 0; i < 4 && !here.test(plain(f)); i++) {
      await keys(' ');
      await new Promise((r) => setTimeout(r, 50));
      f = plain(frame());
    }
    expect(plain(f)).toMatch(here);
  });

  it('searches, steps by kind, and keeps bookmarks', async () => {
    const { until, keys, model } = open();
    await until('p0');
    await keys('/', 'SYSTEM_OFF', '\r');
    let f = plain(await until(/search: 'SYSTEM_OFF' at #\d+/));
    expect(f).toMatch(/^> +#\d+ .*psci +SYSTEM_OFF\(/m);
    await keys('[');
    f = plain(await until(/^> +#\d+ .* psci +(?!SYSTEM_OFF)/m));
    await keys('m', 'q');
    await until(/bookmark q = event #\d+/);
    const mark = model.bookmarks.get('q')!;
    await keys('g', '0', '\r');
    await until(/^> +#0 /m);
    await keys("'", 'q');
    f = plain(await until(`bookmark q: event #${mark}`));
    expect(f).toMatch(new RegExp(`^> +#${mark} `, 'm'));
    await keys('g', 'e 99999', '\r');
    await until('go to: no exception 99999: the last is 2,159');
  });

  it('the console pane goes back to the event that printed a line', async () => {
    const { until, keys } = open();
    await until('p0');
    await keys('G');
    await until(/^> +#3292 /m);
    await keys('c');
    let f = plain(await until(/console up to event #3292; Enter: go to the event/));
    expect(f).toMatch(/^> +#\d+ +hvrr self-test: all checks PASS, powering off/m);
    await keys('k', '\r');
    f = plain(await until(/console line printed by events #\d+\.\.#\d+/));
    const first = /printed by events #(\d+)/.exec(f)![1];
    expect(f).toMatch(new RegExp(`^> +#${first} `, 'm'));
  });

  it('shows the keys, scales up, and draws without colour when asked', async () => {
    const { until, keys } = open({ columns: 170, rows: 40 }, false);
    await until('p0');
    await keys('?');
    let f = plain(await until('hvrr tui keys'));
    expect(f).toContain('m<a-z>');
    await keys('?', 'd');
    f = await until('event #0 @0 cpu0 timer-program');
    // Side by side: the pane to the right of the rows.
    expect(plain(f)).toMatch(/^ +seq +tick cpu .* event #0 @0 cpu0 timer-program/m);
    expect(f).not.toMatch(/\x1b\[3[0-7]m/);
    // (With colour, exception rows are yellow: the check above can fail.)
    const coloured = open({ columns: 80, rows: 24 }, true);
    await coloured.keys('g', 'e 1', '\r');
    expect(await coloured.until(/\x1b\[33m/)).toMatch(/\x1b\[33m[^\n]*#6 /);
    for (const l of plain(f).split('\n')) expect(l.length).toBeLessThanOrEqual(170);
  });
});
