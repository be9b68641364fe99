// The Linux tier: whole-machine tests that boot Debian's arm64 Linux 6.12 with
// the BusyBox initramfs and the ext2 test disk (scripts/linux-artifacts.sh)
// under the hypervisor, in-process through runCli, and assert on the guest
// console. Guest instruction counts are deterministic; wall time is never
// asserted (timeouts are generous: the machine may be loaded).
//
// Gate: with HVRR_LINUX_TESTS=1 (CI, after `bash scripts/linux-artifacts.sh`)
// the tier must run and fails when the artifacts are missing; otherwise it
// runs only when `scripts/linux-artifacts.sh --check` passes and is skipped
// (with the reason printed) when it does not.
//
// The first test runs `record boot-linux` exactly as a user types it (the CLI
// finds the cached artifacts through scripts/linux-artifacts.sh --check); the
// others pass the cached images with --kernel/--initrd/--disk.
//
// The full tier (HVRR_LINUX_FULL=1, `npm run test:linux-full`; about a minute
// more, not in CI) adds the scenario's other forms: 4 vCPUs on 4 pCPUs, and two
// VMs of 4 vCPUs each on one pCPU.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINUX_APPEND, LINUX_MARKER } from './commands/linux.js';
import {
  LINUX_TESTS_REQUIRED, checkLinuxArtifacts, consoleLines, recordedExceptions, sha256File, shellInput, tail, type CachedLinuxArtifacts, scriptedConsole,
} from './linuxTesting.js';
import { runCli } from './testing.js';
import { TraceReader } from '../replay/traceFile.js';
import { TraceModel } from '../tui/model.js';
import { indexJob } from '../tui/jobs.js';
import { registersAt } from '../tui/registers.js';
import { validateChromeTrace } from '../tui/export.js';
import { exceptionCounts, haveGdb, openSession, pcs, positions, runGdb } from './gdb/gdbDriver.js';

const check = checkLinuxArtifacts();
const skip = !LINUX_TESTS_REQUIRED && check.artifacts === null;
if (skip) console.warn(`cli/linux.test.ts: skipped: ${check.reason}`);

const TIMEOUT = 240_000;

function artifacts(): CachedLinuxArtifacts {
  // Under HVRR_LINUX_TESTS=1 a missing cache is a failure, not a skip.
  if (!check.artifacts) throw new Error(`HVRR_LINUX_TESTS=1 but ${check.reason}`);
  return check.artifacts;
}

/** --kernel/--initrd/--disk of the cached artifacts (see the header comment). */
function imageArgs(disk?: string): string[] {
  const a = artifacts();
  return ['--kernel', a.kernel, '--initrd', a.initrd, '--disk', disk ?? a.disk];
}

const dir = mkdtempSync(join(tmpdir(), 'hvrr-linux-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A failure message with the end of the console and stderr. */
function ctx(r: { out: string; err: string }): string {
  return `console tail:\n${tail(r.out)}\nstderr tail:\n${tail(r.err, 10)}`;
}

/** `hvrr dump` output without its first line ('# trace: PATH'). */
async function dumpBody(file: string): Promise<string> {
  const d = await runCli(['dump', file, '--inputs', '--hashes']);
  expect(d.code, d.err).toBe(0);
  expect(d.out).toMatch(/^# trace: /);
  return d.out.slice(d.out.indexOf('\n') + 1);
}

// The echoed command line holds the literal '$(grep', never 'CPUS=4', and
// '/sys/bus/virtio/devices' holds no 'virtio0'/'virtio1': these can only
// match the commands' output.
const BOOT_COMMANDS = 'echo CPUS=$(grep -c ^processor /proc/cpuinfo); cat /mnt/disk/hello.txt; ls /sys/bus/virtio/devices; poweroff -f\n';

function expectBootConsole(r: { code: number; out: string; err: string }): void {
  const text = consoleLines(r.out);
  expect(r.code, ctx(r)).toBe(0);
  expect(r.err, ctx(r)).toMatch(/hvrr: recorded system-off to /);
  expect(r.err).toContain(`hvrr: boot-linux: ${LINUX_MARKER} after `);
  expect(text, ctx(r)).toContain(LINUX_MARKER);
  expect(text, ctx(r)).toMatch(/^CPUS=4$/m);
  // ID_AA64DFR0_EL1's comparators, as Linux's hw_breakpoint counts them.
  expect(text, ctx(r)).toMatch(/hw-breakpoint: found 6 breakpoint and 4 watchpoint registers\./);
  expect(text, ctx(r)).toMatch(/^hvrr-disk-ok$/m);
  expect(text, ctx(r)).toMatch(/\bvirtio0\b/);
  expect(text, ctx(r)).toMatch(/\bvirtio1\b/);
}

describe.skipIf(skip)(`Linux tier (${skip ? check.reason : 'cached artifacts'})`, () => {
  it('record boot-linux: 4 vCPUs on 1 pCPU see 4 CPUs, the virtio-blk disk and both virtio devices, then power off', async () => {
    artifacts();
    const trace = join(dir, 'boot1.hvrr');
    const r = await runCli(['record', 'boot-linux', '-o', trace], { stdin: shellInput(BOOT_COMMANDS) });
    expectBootConsole(r);
    expect(r.err).toMatch(/recorded system-off to .*; \d+ snapshots in .*boot1\.hvrr\.snap/);
  }, TIMEOUT);

  it('record boot-linux is deterministic: two recordings dump identically, replay matches to the end and stops at exception N', async () => {
    const a = join(dir, 'det-a.hvrr');
    const b = join(dir, 'det-b.hvrr');
    const ra = await runCli(['record', 'boot-linux', ...imageArgs(), '-o', a], { stdin: shellInput(BOOT_COMMANDS) });
    expectBootConsole(ra);
    const rb = await runCli(['record', 'boot-linux', ...imageArgs(), '-o', b], { stdin: shellInput(BOOT_COMMANDS) });
    expectBootConsole(rb);
    // Same guest console byte for byte, same events, inputs and state hashes.
    expect(rb.out).toBe(ra.out);
    const da = await dumpBody(a);
    const db = await dumpBody(b);
    expect(da.length).toBeGreaterThan(0);
    expect(db === da, 'hvrr dump of two identical boot-linux recordings differs').toBe(true);

    // From power-on (no snapshots): every event and state hash is checked.
    const full = await runCli(['replay', a, '--no-snapshots']);
    expect(full.code, full.out + full.err).toBe(0);
    expect(full.out).toMatch(/hvrr replay: replayed to the end of the recording from power-on; [\d,]+ events and \d+ state hashes matched/);

    const exceptions = recordedExceptions(ra.err);
    expect(exceptions).toBeGreaterThan(1000);
    expect(da).toContain(`# exceptions: n=1..${exceptions}\n`);
    for (const n of [Math.floor(exceptions / 2), exceptions - 5]) {
      const r = await runCli(['replay', a, '--until', 'exception', String(n)]);
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.out).toMatch(new RegExp(`hvrr replay: reached exception ${n} \\(event \\d+\\), `));
    }
  }, 2 * TIMEOUT);

  it('hvrr tui and export on the boot-linux trace: index, 4 vCPU lanes, registers and kernel code at an exception (from FILE.snap)', async () => {
    const trace = join(dir, 'boot1.hvrr');
    const reader = TraceReader.open(trace);
    const model = new TraceModel(reader, trace);
    for (const g = indexJob(reader); ;) {
      const r = g.next();
      if (r.done) {
        model.setIndex(r.value);
        break;
      }
    }
    expect(model.index!.console.map((l) => l.text)).toContain(LINUX_MARKER);
    const last = reader.firstSeq + reader.eventCount - 1;
    const seen = new Set<number>();
    for (let s = 0; s <= last; s += 97) for (const r of model.lanesAt(s) ?? []) if (r) seen.add(r.vcpu);
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    const exc = reader.findException(30_000)!;
    reader.close();
    const regs = registersAt(trace, exc.seq);
    expect(regs.status).toMatch(/^exception 30000: reached from the snapshot at tick [1-9]/);
    expect(regs.regs?.el).toBe(2);
    expect(regs.disasm!.lines.find((l) => l.here)!.word).not.toBeNull();
    const out = join(dir, 'boot1.json');
    expect((await runCli(['export', trace, '--format', 'perfetto', '-o', out])).code).toBe(0);
    expect(validateChromeTrace(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
  }, TIMEOUT);

  it.skipIf(!haveGdb)('gdb-multiarch on the boot-linux trace: break at the kernel\'s IRQ vector, continue twice, reverse-continue back over the exceptions between', async () => {
    const trace = join(dir, 'boot1.hvrr');
    // Expected stops, computed in-process by running forward only.
    const START = 200_000_000;
    const s = openSession(trace);
    s.goTo(START);
    for (let i = 0; i < 1_000_000 && s.machine.core.el(0) !== 1; i++) s.resume(0); // into the guest kernel
    expect(s.machine.core.el(0)).toBe(1);
    const bp = s.machine.core.regs(0).get('VBAR_EL1') + 0x280n; // IRQ, current EL with SP_ELx
    s.goTo(START);
    s.setBreakpoints([{ va: bp, cpuMask: 1, elMask: 0xf }]);
    s.resume(null);
    const h1 = { pos: s.position, exceptions: s.machine.getMachineState().exceptionCount };
    s.resume(null);
    const h2 = { pos: s.position, exceptions: s.machine.getMachineState().exceptionCount };
    expect(h2.exceptions - h1.exceptions, 'exceptions between the two hits').toBeGreaterThan(1);
    const out = await runGdb([
      `monitor seek insn ${START}`, 'maint flush register-cache',
      `break *0x${bp.toString(16)}`,
      'continue', 'monitor when', 'p/x $pc',
      'continue', 'monitor when',
      'reverse-continue', 'monitor when', 'p/x $pc',
    ], trace, dir, TIMEOUT);
    expect(out).toContain('hit Breakpoint 1');
    expect(positions(out), out).toEqual([START, h1.pos, h2.pos, h1.pos]);
    expect(exceptionCounts(out).slice(1), out).toEqual([h1.exceptions, h2.exceptions, h1.exceptions]);
    expect(pcs(out), out).toEqual([bp, bp]);
  }, 2 * TIMEOUT);

  it('golden boot-linux: the boot milestones of golden/cases/boot-linux.checks hold, in order', async () => {
    const r = await runCli(['golden', 'check', 'boot-linux'], { env: { CI: 'true', HVRR_LINUX_TESTS: '1' } });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^golden boot-linux: ok \([\d,]+ events, checks hold; /m);
  }, TIMEOUT);

  it('--vms 2 --smp 1 with piped input: the VMs ping each other; a line after Ctrl-A 1 goes to vm1\'s shell; the run ends when the input is used up and the VMs are quiet', async () => {
    // Piped input waits until both VMs printed the marker; the first line is
    // VM 0's, Ctrl-A 1 sends the second to VM 1 (announced with an [hv] line).
    // Nothing powers off: the run ends by the quiet rule (cli/README.md).
    // --max-insns only bounds a broken run.
    const trace = join(dir, 'vms2.hvrr');
    const res = await runCli(
      ['record', 'boot-linux', ...imageArgs(), '--vms', '2', '--smp', '1', '--max-insns', '6G', '-o', trace],
      { stdin: shellInput('echo VM0-SAYS-$((6*7))\n\x011echo VM1-SAYS-$((7*7))\n') },
    );
    const r = { ...res };
    const text = consoleLines(r.out);
    expect(r.code, ctx(r)).toBe(0);
    expect(r.err, ctx(r)).toMatch(/hvrr: recorded quiet \(console input ended, the machine quiet for 1\.\d\d s virtual\) to /);
    expect(r.err, ctx(r)).toMatch(/^hvrr record: .* s virtual/m); // progress goes on after the marker (not a terminal)
    expect(text, ctx(r)).toMatch(/^\[vm0\] HVRR-PING-OK 10\.0\.0\.2$/m);
    expect(text, ctx(r)).toMatch(/^\[vm1\] HVRR-PING-OK 10\.0\.0\.1$/m);
    expect(text).not.toContain('HVRR-PING-FAIL');
    expect(text, ctx(r)).toMatch(/^\[vm0\] HVRR-LINUX-READY$/m);
    expect(text, ctx(r)).toMatch(/^\[vm1\] HVRR-LINUX-READY$/m);
    expect(text, ctx(r)).toMatch(/^\[vm0\] VM0-SAYS-42$/m);
    expect(text, ctx(r)).toContain('[hv] console input goes to vm1');
    expect(text, ctx(r)).toMatch(/^\[vm1\] VM1-SAYS-49$/m);
    expect(text).not.toMatch(/^\[vm0\] VM1-SAYS/m);
    expect(text.indexOf('VM1-SAYS-49')).toBeGreaterThan(text.indexOf('[hv] console input goes to vm1'));
    expect(r.out).not.toContain('\x1b[6n'); // no terminal queries in a pipe
  }, TIMEOUT);

  describe('virtio-blk writes, copy-on-write and --disk-writeback (hvrr run)', () => {
    // A 512-byte sector near the end of the 8 MiB disk: 'hvrr-write-ok'
    // padded with zeros (dd conv=sync), flushed with conv=fsync, then read
    // back through the device after dropping the page cache. The echoed
    // command holds 'hvrr-%s-ok', never 'hvrr-write-ok'.
    const SECTOR = 16000;
    const PATTERN = Buffer.concat([Buffer.from('hvrr-write-ok', 'latin1'), Buffer.alloc(512 - 13)]);
    const COMMANDS =
      `printf 'hvrr-%s-ok' write | dd of=/dev/vda bs=512 seek=${SECTOR} count=1 conv=sync,fsync; sync; ` +
      `echo 3 > /proc/sys/vm/drop_caches; echo READBACK=$(dd if=/dev/vda bs=512 skip=${SECTOR} count=1 2>/dev/null | head -c 13); poweroff -f\n`;

    async function runWithDisk(disk: string, writeback: boolean): Promise<{ code: number; out: string; err: string }> {
      // Typed once the marker is on the console, as a user would.
      const io = scriptedConsole([{ waitFor: LINUX_MARKER, type: COMMANDS }]);
      // --max-insns bounds a run whose guest never powers off (the boot
      // takes about 0.7 G instructions on 1 vCPU).
      const r = await runCli(
        ['run', ...imageArgs(disk), ...(writeback ? ['--disk-writeback'] : []), '--smp', '1', '--max-insns', '4G', '--append', LINUX_APPEND],
        { stdin: io.stdin, stdout: io.stdout },
      );
      return { code: r.code, out: io.stdout.text, err: r.err };
    }

    function expectWrittenInGuest(r: { code: number; out: string; err: string }): void {
      const text = consoleLines(r.out);
      expect(r.code, ctx(r)).toBe(0);
      expect(text, ctx(r)).toContain(LINUX_MARKER);
      expect(text, ctx(r)).toMatch(/^READBACK=hvrr-write-ok$/m);
      expect(r.err, ctx(r)).toMatch(/^hvrr: system-off after /m);
    }

    it('--disk-writeback: the sector lands in the disk file, nothing else changes, the cached disk.img is untouched', async () => {
      const original = artifacts().disk;
      const before = sha256File(original);
      const disk = join(dir, 'wb.img');
      copyFileSync(original, disk);
      const r = await runWithDisk(disk, true);
      expectWrittenInGuest(r);
      expect(r.err, ctx(r)).toMatch(/hvrr: wrote VM 0's disk back into /);
      const after = readFileSync(disk);
      const orig = readFileSync(original);
      expect(after.length).toBe(orig.length);
      expect(after.subarray(SECTOR * 512, SECTOR * 512 + 512).equals(PATTERN), 'the written sector is in the disk file').toBe(true);
      // Every other byte is as before (the ext2 file system is mounted read-only).
      const rest = Buffer.from(after);
      orig.copy(rest, SECTOR * 512, SECTOR * 512, SECTOR * 512 + 512);
      expect(rest.equals(orig), 'only the written sector changed').toBe(true);
      expect(sha256File(original)).toBe(before);
    }, TIMEOUT);

    it('without --disk-writeback the guest sees its write (copy-on-write) but the disk file is unchanged', async () => {
      const original = artifacts().disk;
      const disk = join(dir, 'cow.img');
      copyFileSync(original, disk);
      const before = sha256File(disk);
      const r = await runWithDisk(disk, false);
      expectWrittenInGuest(r);
      expect(r.err).not.toMatch(/wrote VM 0's disk back/);
      expect(existsSync(disk)).toBe(true);
      expect(sha256File(disk)).toBe(before);
      expect(sha256File(disk)).toBe(sha256File(original));
    }, TIMEOUT);
  });
});

describe.skipIf(skip || process.env['HVRR_LINUX_FULL'] !== '1')('Linux full tier (HVRR_LINUX_FULL=1)', () => {
  it('record boot-linux --pcpus 4: 4 vCPUs 1:1 on 4 pCPUs', async () => {
    const r = await runCli(['record', 'boot-linux', ...imageArgs(), '--pcpus', '4', '-o', join(dir, 'full-4p.hvrr')], { stdin: shellInput(BOOT_COMMANDS) });
    expectBootConsole(r);
  }, TIMEOUT);

  it('record boot-linux --vms 2: two VMs of 4 vCPUs on one pCPU ping each other, then power off in turn', async () => {
    const io = scriptedConsole([
      { waitFor: '[vm1] HVRR-LINUX-READY', type: 'echo VM0-CPUS=$(grep -c ^processor /proc/cpuinfo); poweroff -f\n' },
      { waitFor: '[hv] vm0 is off: console input goes to vm1', type: 'echo VM1-CPUS=$(grep -c ^processor /proc/cpuinfo); poweroff -f\n' },
    ]);
    const res = await runCli(['record', 'boot-linux', ...imageArgs(), '--vms', '2', '-o', join(dir, 'full-2vm.hvrr')], { stdin: io.stdin, stdout: io.stdout });
    const r = { ...res, out: io.stdout.text };
    const text = consoleLines(r.out);
    expect(r.code, ctx(r)).toBe(0);
    expect(text, ctx(r)).toMatch(/^\[vm0\] HVRR-PING-OK 10\.0\.0\.2$/m);
    expect(text, ctx(r)).toMatch(/^\[vm1\] HVRR-PING-OK 10\.0\.0\.1$/m);
    expect(text, ctx(r)).toMatch(/^\[vm0\] VM0-CPUS=4$/m);
    expect(text, ctx(r)).toMatch(/^\[vm1\] VM1-CPUS=4$/m);
    expect(r.err, ctx(r)).toMatch(/hvrr: recorded system-off to /);
  }, 2 * TIMEOUT);
});
