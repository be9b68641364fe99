// The Linux tier's FF-A part: `hvrr record ffa-linux` boots Debian's Linux 6.12
// under the hypervisor with the SPMC and its three partitions, loads Linux's
// own FF-A driver and hvrr's client module (scripts/ffa-artifacts.sh), and
// ends with a verdict; the recording replays exactly, `--until ffa` lands on
// an FF-A event, and the golden's milestones hold. Guest instruction counts are deterministic; wall time is
// never asserted.
//
// Gate: with HVRR_FFA_TESTS=1 (CI, after `bash scripts/ffa-artifacts.sh`) the
// tests must run and fail when the artifacts are missing; otherwise they run
// only when both artifact caches pass their --check, and are skipped (with
// the reason printed) when they do not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedFfaInitrd, FFA_LINUX_CLIENT_CHECKS, FFA_LINUX_PARTITIONS } from './commands/ffaLinux.js';
import { checkLinuxArtifacts, consoleLines, tail } from './linuxTesting.js';
import { runCli } from './testing.js';

const REQUIRED = process.env['HVRR_FFA_TESTS'] === '1';
const linux = checkLinuxArtifacts();
const ffa = cachedFfaInitrd();
const reason = linux.artifacts === null ? linux.reason : ffa.initrd === null ? `FF-A artifacts not cached (${ffa.reason}); run 'bash scripts/ffa-artifacts.sh' or set HVRR_FFA_TESTS=1 to require these tests` : '';
const skip = !REQUIRED && reason !== '';
if (skip) console.warn(`cli/ffaLinux.test.ts: skipped: ${reason}`);

const TIMEOUT = 240_000;
const dir = mkdtempSync(join(tmpdir(), 'hvrr-ffa-linux-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(r: { out: string; err: string }): string {
  return `console tail:\n${tail(r.out)}\nstderr tail:\n${tail(r.err, 10)}`;
}

const trace = join(dir, 'ffa-linux.hvrr');

describe.skipIf(skip)(`Linux tier, FF-A (${skip ? reason : 'cached artifacts'})`, () => {
  let events = 0;

  it("record ffa-linux: Linux's FF-A driver finds firmware 1.2 and the three partitions, the client passes every check on each, the guest powers off", async () => {
    if (reason !== '') throw new Error(`HVRR_FFA_TESTS=1 but ${reason}`);
    const r = await runCli(['record', 'ffa-linux', '-o', trace]);
    const text = consoleLines(r.out);
    expect(r.err, ctx(r)).toMatch(/^hvrr: ffa-linux: PASS: the FF-A driver found firmware version 1\.[12] and partitions 0x8001, 0x8002, 0x8003/m);
    expect(r.code, ctx(r)).toBe(0);
    expect(r.err).toMatch(/hvrr: recorded system-off to .*; \d+ snapshots in .*ffa-linux\.hvrr\.snap/);
    expect(text).toMatch(/ARM FF-A: Firmware version 1\.[12] found/);
    for (const sp of FFA_LINUX_PARTITIONS) {
      expect(text).toContain(`HVRR-FFA-CLIENT sp=0x${sp.toString(16)} pass=${FFA_LINUX_CLIENT_CHECKS} fail=0`);
      expect(text).toContain(`hvrr-ffa-client: PASS mem-share-frag-tx sp=0x${sp.toString(16)}`);
    }
    // The partitions' own console (CONSOLE_LOG) goes to stderr.
    expect(r.err).toContain('[secure] [0x8001] sp1: up, waiting for requests');
    events = Number(/: ([\d,]+) events, /.exec(r.err)![1]!.replace(/,/g, ''));
    expect(events).toBeGreaterThan(10_000);
  }, TIMEOUT);

  it('replays exactly from power-on (every event and state hash), and --until ffa lands on the fragmented share\'s FFA_MEM_FRAG_TX', async () => {
    const full = await runCli(['replay', trace, '--no-snapshots', '--print', 'uart']);
    expect(full.code, full.out + full.err).toBe(0);
    expect(full.out).toMatch(new RegExp(`hvrr replay: replayed to the end of the recording from power-on; ${events.toLocaleString('en-US')} events and \\d+ state hashes matched`));
    expect(consoleLines(full.out)).toContain(`HVRR-FFA-CLIENT sp=0x8003 pass=${FFA_LINUX_CLIENT_CHECKS} fail=0`);

    // The VM's FRAG_TX (src 0x1, the VM's FF-A id) of SP1's 300-page share, reached from a snapshot.
    const u = await runCli(['replay', trace, '--until', 'ffa', 'MEM_FRAG_TX', '--print', 'events']);
    expect(u.code, u.err).toBe(0);
    expect(u.out).toMatch(/reached ffa FFA_MEM_FRAG_TX \(event \d+\)/);
    expect(u.out).toMatch(/\n {2}#\d+ @\d+ cpu0 ffa call FFA_MEM_FRAG_TX fid=0x8400007b src=0x1 dst=0x0 /);
  }, TIMEOUT);

  it('golden ffa-linux: the FF-A driver probe and the client\'s milestones of golden/cases/ffa-linux.checks hold, in order', async () => {
    const r = await runCli(['golden', 'check', 'ffa-linux'], { env: { CI: 'true', HVRR_LINUX_TESTS: '1', HVRR_FFA_TESTS: '1' } });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^golden ffa-linux: ok \([\d,]+ events, checks hold; /m);
  }, TIMEOUT);
});

// The full tier (HVRR_LINUX_FULL=1, `npm run test:linux-full`; not in CI): every
// snapshot of the recording above restores (SPMC, partitions, proxy) and replays
// the same; the driver and the client with 4 vCPUs, on 1 pCPU and on 4 (the
// SPMC on every PE).
describe.skipIf(skip || process.env['HVRR_LINUX_FULL'] !== '1')('Linux full tier, FF-A (HVRR_LINUX_FULL=1)', () => {
  it('verify --replay: each of the recording\'s snapshots restores and replays to the same events', async () => {
    const v = await runCli(['verify', trace, '--replay']);
    expect(v.code, v.out + v.err).toBe(0);
    expect(v.out).toMatch(/hvrr verify: no problems: .*\.snap \([\d,]+ bytes, .*?([1-9]\d*) snapshots \(\1 restored\)\); \d+ replays matched/);
  }, TIMEOUT);

  for (const pcpus of ['1', '4']) {
    it(`run ffa-linux --smp 4 --pcpus ${pcpus}: the verdict passes`, async () => {
      const r = await runCli(['run', 'ffa-linux', '--smp', '4', '--pcpus', pcpus]);
      expect(r.err, ctx(r)).toMatch(/^hvrr: ffa-linux: PASS: /m);
      expect(r.code, ctx(r)).toBe(0);
      expect(consoleLines(r.out)).toMatch(/hvrr-init: kernel \S+, 4 cpu\(s\)/);
    }, TIMEOUT);
  }
});
