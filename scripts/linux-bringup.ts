// Linux bring-up probe: boots a kernel + initramfs (as `hvrr run` does) and
// reports when each boot milestone's console line appears, with the
// instruction count, virtual time, wall time and MIPS at that point.
//
//   npm run build && node dist/scripts/linux-bringup.js [--bare] [--smp N] [--pcpus N] [--max-insns N]
//        [--mini-init] [--console] [--past-panic]
//        [--kernel Image] [--initrd initrd] [--append "..."] [--mem 512M] [--input "cmd\n"]
//
// Defaults take the artifacts from scripts/linux-artifacts.sh's cache
// (${HVRR_LINUX_CACHE:-${XDG_CACHE_HOME:-~/.cache}/hvrr/linux}). Not a test:
// it needs downloaded artifacts. The console goes to stdout when --console.
import { LINUX_APPEND, linuxCacheDir } from '../cli/commands/linux.js';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { miniInitramfs } from './linux-mini-init.js';
import { prepareMachine, type RunOptions } from '../cli/commands/run.js';

const MILESTONES: Array<[string, RegExp]> = [
  ['kernel entry (first console byte)', /./],
  ['earlycon prints', /Booting Linux on physical CPU/],
  ['GICv3 probed', /GICv3: CPU0: found redistributor/],
  ['arch timer', /arch_timer: cp15 timer/],
  ['timer works (jiffies advance)', /\[\s*0\.00[1-9]\d*\]|\[\s*0\.0[1-9]/],
  ['SMP bring-up done', /SMP: Total of \d+ processors activated/],
  ['PL011 console (ttyAMA0)', /ttyAMA0 at MMIO/],
  ['initramfs unpacked', /Freeing initrd memory|Trying to unpack rootfs/],
  ['runs /init', /Run \/init as init process/],
  ['user space prints (hvrr-init)', /hvrr-init: kernel/],
  ['virtio modules loaded', /hvrr-init: loaded virtio_net/],
  ['mini-init runs', /hvrr-mini-init: SIMD-free/],
  ['first module loaded', /finit_module \/lib\/modules\/virtio_mmio.ko rc=0x0+$/],
  ['HVRR-LINUX-READY', /HVRR-LINUX-READY/],
  ['kernel panic', /Kernel panic/],
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function count(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad count ${s}`);
  return Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

function memBytes(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

const cache = linuxCacheDir();
const kernel = arg('kernel') ?? join(cache, 'Image');
let initrd = arg('initrd') ?? join(cache, 'initrd.cpio.gz');
if (process.argv.includes('--mini-init')) {
  // SIMD-free /init (scripts/linux-mini-init.ts) with the cached virtio modules
  const modDir = join(cache, 'modules');
  const names = readFileSync(join(modDir, 'load-order'), 'utf8').split('\n').filter((n) => n !== '');
  initrd = join(tmpdir(), `hvrr-mini-initrd-${process.pid}.cpio`);
  writeFileSync(initrd, miniInitramfs(names.map((name) => ({ name, data: new Uint8Array(readFileSync(join(modDir, name))) }))));
}
if (!existsSync(kernel)) {
  process.stderr.write(`linux-bringup: no kernel at ${kernel}: run scripts/linux-artifacts.sh first\n`);
  process.exit(2);
}
const opts: RunOptions = {
  kernel, initrd,
  append: arg('append') ?? LINUX_APPEND,
  smp: Number(arg('smp') ?? 1),
  mem: memBytes(arg('mem') ?? '512M'),
  seed: 0n, digest: false, bare: process.argv.includes('--bare'),
  ...(arg('pcpus') !== undefined ? { pcpus: Number(arg('pcpus')) } : {}),
} as RunOptions;
const maxInsns = count(arg('max-insns') ?? '3G');
const showConsole = process.argv.includes('--console');
const input = arg('input')?.replace(/\\n/g, '\n');

const m = prepareMachine(opts);
let line = '';
const reached = new Set<string>();
const t0 = performance.now();
const diags = new Map<string, number>();
const report = (what: string): void => {
  const wall = (performance.now() - t0) / 1000;
  process.stderr.write(`MILESTONE ${what}: ${m.instructions.toLocaleString('en-US')} insns, ${(m.nowTick / 1e9).toFixed(3)} s virtual, ${wall.toFixed(2)} s wall, ${(m.instructions / wall / 1e6).toFixed(1)} MIPS\n`);
};
let inputSent = false;
m.onConsole = (b) => {
  if (showConsole) process.stdout.write(String.fromCharCode(b));
  if (b === 10) { line = ''; return; }
  line += String.fromCharCode(b);
  for (const [name, re] of MILESTONES) {
    if (!reached.has(name) && re.test(line)) {
      reached.add(name);
      report(name);
    }
  }
  if (input !== undefined && !inputSent && reached.has('HVRR-LINUX-READY')) {
    inputSent = true;
    let t = m.nowTick + 10_000_000;
    for (const c of input) { m.scheduleUartRx(t, c.charCodeAt(0)); t += 100_000; }
  }
};
m.onDiagnostic = (msg) => {
  const key = msg.replace(/ at pc 0x[0-9a-f]+/, '');
  const n = (diags.get(key) ?? 0) + 1;
  diags.set(key, n);
  if (n <= 3) process.stderr.write(`diag: ${msg}\n`);
};
let end;
for (;;) {
  end = m.run(Math.min(maxInsns, m.instructions + 1_000_000));
  if (end.kind !== 'instruction-limit' || m.instructions >= maxInsns) break;
  if (reached.has('kernel panic') && !process.argv.includes('--past-panic')) { end = { kind: 'panic' }; break; }
  if (reached.has('HVRR-LINUX-READY') && input === undefined) { end = { kind: 'ready' }; break; }
}
report(`end (${end.kind})`);
for (const [k, n] of diags) process.stderr.write(`diag x${n}: ${k}\n`);
