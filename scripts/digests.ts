// `npm run digests`: runs every built-in scenario through the hvrr CLI and
// prints one line per scenario: its trace digest (the sink's block-chained
// SHA-256 over the canonical event lines), the event count and how the run
// ended. A refactoring that must not change behaviour is checked by saving
// the output before and comparing after (`--compare FILE` exits 1 on any
// difference and names the scenarios that differ).
//
// Scenarios: the diagnostic guest and the self-test under the hypervisor and
// bare on 1/2/4 CPUs, multi-VM and overcommitted forms, every conformance
// suite bare and under the hypervisor, a recorded run (its dumped events and
// state hashes), and boot-linux (--smp 1, and --vms 2) and ffa-linux when the
// Linux and FF-A artifacts are cached (`--no-linux` skips them). Long runs are bounded by
// --max-insns. Options: --only SUBSTR (scenarios whose name contains it),
// --compare FILE, --no-linux.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFORMANCE_SUITE_NAMES, conformanceImage } from '../guests/conformance/index.js';
import { cachedLinuxArtifacts } from '../cli/commands/linux.js';
import { cachedFfaInitrd } from '../cli/commands/ffaLinux.js';

const here = dirname(fileURLToPath(import.meta.url));
const hvrrBin = [join(here, '../bin/hvrr.js'), join(here, '../../bin/hvrr.js')].find((p) => existsSync(p))!;

interface Scenario {
  name: string;
  /** `hvrr run` arguments (--digest --no-pace are added). */
  run?: string[];
  /** A recorded run: `hvrr record` arguments (-o is added); the digests are of the dumped lines. */
  record?: string[];
}

function parseOptions(argv: string[]): { only: string | null; compare: string | null; linux: boolean } {
  let only: string | null = null;
  let compare: string | null = null;
  let linux = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--only') only = argv[++i] ?? '';
    else if (a === '--compare') compare = argv[++i] ?? '';
    else if (a === '--no-linux') linux = false;
    else {
      process.stderr.write(`digests: unknown argument '${a}' (options: --only SUBSTR, --compare FILE, --no-linux)\n`);
      process.exit(2);
    }
  }
  return { only, compare, linux };
}

function scenarios(tmp: string, linux: boolean): Scenario[] {
  const out: Scenario[] = [];
  out.push({ name: 'diag hv', run: [] });
  out.push({ name: 'diag bare', run: ['--bare'] });
  out.push({ name: 'diag hv --vms 2', run: ['--vms', '2'] });
  out.push({ name: 'diag hv --smp 2 --pcpus 1', run: ['--smp', '2', '--pcpus', '1'] });
  for (const n of [1, 2, 4]) {
    out.push({ name: `selftest hv --smp ${n}`, run: ['--guest', 'selftest', '--smp', String(n)] });
    out.push({ name: `selftest bare --smp ${n}`, run: ['--guest', 'selftest', '--bare', '--smp', String(n)] });
  }
  out.push({ name: 'selftest hv --smp 4 --pcpus 2', run: ['--guest', 'selftest', '--smp', '4', '--pcpus', '2'] });
  out.push({ name: 'selftest hv --vms 2 --smp 2', run: ['--guest', 'selftest', '--vms', '2', '--smp', '2'] });
  for (const suite of CONFORMANCE_SUITE_NAMES) {
    const img = join(tmp, `${suite}.bin`);
    writeFileSync(img, conformanceImage(suite));
    const common = ['--kernel', img, '--mem', '256M', '--seed', '1', '--max-insns', '2G'];
    for (const n of [1, 2, 4]) out.push({ name: `conformance ${suite} bare --smp ${n}`, run: [...common, '--bare', '--smp', String(n)] });
    for (const n of [1, 4]) out.push({ name: `conformance ${suite} hv --smp ${n}`, run: [...common, '--smp', String(n)] });
    out.push({ name: `conformance ${suite} hv --smp 4 --pcpus 1`, run: [...common, '--smp', '4', '--pcpus', '1', '--max-insns', '3G'] });
  }
  out.push({ name: 'record selftest hv --smp 2', record: ['selftest', '--smp', '2', '--state-hash-every', '500', '--snapshot-every', '1000000'] });
  out.push({ name: 'record diag bare', record: ['diag', '--bare', '--state-hash-every', '100'] });
  if (linux) {
    const cached = cachedLinuxArtifacts();
    if (cached.artifacts) {
      out.push({ name: 'boot-linux --smp 1 (800M insns)', run: ['boot-linux', '--smp', '1', '--max-insns', '800M'] });
      out.push({ name: 'boot-linux --vms 2 (1.5G insns)', run: ['boot-linux', '--vms', '2', '--max-insns', '1500M'] });
      // The FF-A initramfs embeds the modules it was built with: compare digests from one build of it.
      const ffa = cachedFfaInitrd();
      if (ffa.initrd) out.push({ name: 'ffa-linux (to power-off)', run: ['ffa-linux'] });
      else process.stderr.write(`digests: ffa-linux skipped (${ffa.reason})\n`);
    } else {
      process.stderr.write(`digests: boot-linux and ffa-linux skipped (${cached.reason})\n`);
    }
  }
  return out;
}

function hvrr(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [hvrrBin, ...args], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const sha = (s: string): string => createHash('sha256').update(s, 'latin1').digest('hex');

/** One result line's fields after the name. */
function measure(s: Scenario, tmp: string): string {
  if (s.run) {
    const r = hvrr(['run', ...s.run, '--digest', '--no-pace']);
    const d = /trace digest ([0-9a-f]{64}) \(([\d,]+) events\)/.exec(r.stderr);
    const end = /^hvrr: (.*?) after ([\d,]+) instructions, ([\d.]+) s virtual/m.exec(r.stderr);
    if (!d || !end) return `error (exit ${String(r.status)}): ${r.stderr.trim().split('\n').pop() ?? ''}`;
    return `${d[1]} events=${d[2]} end=${end[1]!.replace(/ /g, '_')} insns=${end[2]} virtual=${end[3]}s console=${sha(r.stdout).slice(0, 16)}`;
  }
  const file = join(tmp, 'rec.hvrr');
  rmSync(file, { force: true });
  const rec = hvrr(['record', ...s.record!, '-o', file, '--no-pace']);
  if (!existsSync(file)) return `error (exit ${String(rec.status)}): ${rec.stderr.trim().split('\n').pop() ?? ''}`;
  const dump = hvrr(['dump', file, '--hashes', '--inputs']);
  if (dump.status !== 0) return `error: dump exit ${String(dump.status)}: ${dump.stderr.trim()}`;
  const lines = dump.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('# '));
  const events = lines.filter((l) => l.startsWith('#'));
  const hashes = lines.filter((l) => l.startsWith('state-hash'));
  return `${sha(events.join('\n'))} events=${events.length} state-hashes=${sha(hashes.join('\n')).slice(0, 16)}(${hashes.length}) console=${sha(rec.stdout).slice(0, 16)}`;
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  const tmp = mkdtempSync(join(tmpdir(), 'hvrr-digests-'));
  const lines: string[] = [];
  try {
    for (const s of scenarios(tmp, opts.linux)) {
      if (opts.only !== null && !s.name.includes(opts.only)) continue;
      const line = `${s.name.padEnd(44)} ${measure(s, tmp)}`;
      lines.push(line);
      process.stdout.write(line + '\n');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (opts.compare === null) return;
  const before = new Map<string, string>();
  for (const l of readFileSync(opts.compare, 'utf8').split('\n')) if (l.trim() !== '') before.set(l.slice(0, 44).trimEnd(), l);
  let differ = 0;
  for (const l of lines) {
    const name = l.slice(0, 44).trimEnd();
    const b = before.get(name);
    if (b === undefined) process.stdout.write(`digests: ${name}: not in ${opts.compare}\n`);
    else if (b !== l) {
      differ++;
      process.stdout.write(`digests: ${name} DIFFERS\n  before ${b.slice(45)}\n  after  ${l.slice(45)}\n`);
    }
  }
  process.stdout.write(differ === 0 ? `digests: all ${lines.length} scenarios match ${opts.compare}\n` : `digests: ${differ} scenario(s) differ from ${opts.compare}\n`);
  if (differ > 0) process.exitCode = 1;
}

main();
