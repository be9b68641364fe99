// End to end: the real `hvrr tui` in an 80x24 tmux terminal (send-keys,
// capture-pane) on recorded runs: the self-test (open, filter to exceptions,
// jump to exception 5, see its decoded ESR and its registers, quit) and the
// FF-A demo (filter to FF-A messages, open the FF-A pane, find the first
// memory share, see its handle, sender, receivers, pages and the call chain,
// quit). Needs tmux (.ci/run installs it) and the compiled CLI (npm test builds it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'hvrr.js');
const haveTmux = spawnSync('tmux', ['-V']).status === 0;
const built = existsSync(join(root, 'dist', 'tui', 'worker.js'));
const why = !haveTmux ? 'tmux is not installed (apt-get install tmux)' : !built ? "the CLI is not built (npm run build)" : '';
if (why) console.warn(`tui/tmux.test.ts: skipped: ${why}`);

const sessionOf = (name: string): string => `hvrr-tui-${name}-${process.pid}`;
let session = sessionOf('selftest');
// A tmux server of its own (-L), apart from any other on the machine.
const socket = ['-L', `hvrr-tui-test-${process.pid}`];
const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', [...socket, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const screen = (): string => tmux('capture-pane', '-t', session, '-p');
async function until(what: RegExp | string, ms = 60_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen();
    if (typeof what === 'string' ? s.includes(what) : what.test(s)) return s;
    if (Date.now() - t0 > ms) throw new Error(`the screen never showed ${String(what)}; it shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const keys = (...k: string[]): void => {
  tmux('send-keys', '-t', session, ...k);
};

afterAll(() => {
  if (haveTmux) spawnSync('tmux', [...socket, 'kill-server']);
});

describe.skipIf(why !== '')('hvrr tui in tmux', () => {
  it('opens a recording, filters to exceptions, jumps to exception 5, shows its ESR and registers, quits', async () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'hvrr-tui-tmux-')), 'run.hvrr');
    const rec = await runCli(['record', 'selftest', '-o', trace]);
    expect(rec.code, rec.err).toBe(0);
    // CI=true as on the CI machine: Ink must still draw every frame on a terminal.
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'CI=true', `${process.execPath} ${bin} tui ${trace}; echo "hvrr exit status $?"; sleep 600`);
    await until(/^> +#0 +0 c0/m);
    keys('f');
    await until('filter: ');
    keys('kind=exception', 'Enter');
    await until('filter kind=exception: 2,159 events');
    keys('g');
    await until('go to (N, e N, t T): ');
    keys('e 5', 'Enter');
    await until(/^> +#12 +36 c0 +ns 1>2 exception +n=5 DABT R4 w2/m);
    keys('Enter');
    let s = await until('syndrome   read word w2, translation fault, level 1');
    expect(s).toContain('ESR        0x93820005  EC=0x24 IL=1 ISS=0x1820005');
    expect(s).toContain('class      data abort from a lower EL');
    keys('Tab', 'Space');
    s = await until(/registers of cpu0 at event #12 \(exception 5: reached/);
    expect(s).toMatch(/ x0=0x[0-9a-f]{16} +x1=0x0000000009000000/);
    keys('q');
    s = await until('hvrr exit status 0');
    expect(s).not.toContain('registers of cpu0');
  }, 180_000);

  it('on an ffa-demo recording: filters to FF-A messages, shows the FF-A pane, finds the first memory share, quits', async () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'hvrr-tui-tmux-')), 'ffa-demo.hvrr');
    const rec = await runCli(['record', 'ffa-demo', '--smp', '2', '-o', trace]);
    expect(rec.code, rec.err).toBe(0);
    session = sessionOf('ffa');
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'CI=true', `${process.execPath} ${bin} tui ${trace}; echo "hvrr exit status $?"; sleep 600`);
    await until(/^> +#0 +0 c0/m);
    keys('f');
    await until('filter: ');
    keys('kind=ffa', 'Enter');
    let s = await until(/filter kind=ffa: [\d,]+ events/);
    // Every row an FF-A message: the SPMD's boot entry first, then the partitions' FFA_VERSION calls and answers.
    expect(s).toMatch(/^ +#\d+ +\d+ c0 +s +- +ffa +FFA_VERSION 8001->8000 /m);
    expect(s).toMatch(/^ +#\d+ +\d+ c0 +s +- +ffa +FFA_RXTX_MAP_64 8001->8000 /m);
    keys('a');
    await until(/FF-A at #0: 1 of [\d,]+ messages so far/);
    keys('/');
    await until(/^\/_$/m);
    keys('handle=', 'Enter');
    await until(/search: 'handle=' at #\d+/);
    // The first message naming a handle: the SPMC's FFA_SUCCESS to partition 0x8001's share with 0x8003.
    s = await until(/memory shares \(1\):\n +0x[0-9a-f]+ share from 0x8001 to 0x8003 pages 1 shared \(since #\d+\)/);
    expect(s).toMatch(/^> +#\d+ +\d+ c0 +s +- +ffa +FFA_SUCCESS_32 8001<-8000 handle/m);
    expect(s).toMatch(/^ +#\d+ +\d+ c0 +s +- +ffa +FFA_MEM_SHARE_64 8001->8000 to 8/m);
    expect(s).toMatch(/partitions \(3\):/);
    expect(s).toMatch(/call chain \(\d+ waiting\):\n +0x0001 -> 0x8003 FFA_MSG_SEND_DIRECT_REQ_64 at #\d+/);
    keys('q');
    s = await until('hvrr exit status 0');
    expect(s).not.toContain('memory shares');
  }, 180_000);
});
