// The ffa-linux scenario: Debian's arm64 6.12 kernel as a VM under the
// hypervisor on a machine with the Secure world (--secure: the SPMC and its
// three bundled partitions), booting the initramfs of scripts/ffa-artifacts.sh,
// which loads Linux's own FF-A driver (drivers/firmware/arm_ffa, built as
// modules) and hvrr's client module (guests/ffa-linux). The client binds each
// partition, exercises direct messaging and memory sharing, and prints one
// summary line per partition; with hvrr.poweroff on the command line the
// initramfs powers off after its marker, so the run ends by itself.
// FfaLinuxChecks reads the console and gives the scenario's verdict.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CliError, UsageError } from '../errors.js';
import { artifactScript, cachedLinuxArtifacts, LINUX_APPEND, LINUX_DEFAULT_MEM, LINUX_DEFAULT_PCPUS } from './linux.js';

export const FFA_LINUX = 'ffa-linux';
/** hvrr.poweroff: the FF-A initramfs powers off after its marker instead of starting a shell. */
export const FFA_LINUX_APPEND = `${LINUX_APPEND} hvrr.poweroff`;
/** One vCPU: the driver and the client run on the boot CPU, and Linux boots fastest. */
export const FFA_LINUX_DEFAULT_VCPUS = 1;
/** A bound on a run that hangs (the boot takes about 1.6 s virtual). */
export const FFA_LINUX_MAX_TICKS = 30_000_000_000;
/** The bundled partitions the client must bind (their FF-A IDs). */
export const FFA_LINUX_PARTITIONS: readonly number[] = [0x8001, 0x8002, 0x8003];
/** The client's checks per partition (guests/ffa-linux/README.md): direct-req-64,
 *  direct-req-32, mem-share, mem-lend, mem-share-frag-tx. */
export const FFA_LINUX_CLIENT_CHECKS = 5;

/** The FF-A initramfs per `scripts/ffa-artifacts.sh --check` (nothing is built), or why not. */
export function cachedFfaInitrd(): { initrd: string | null; reason: string } {
  const script = artifactScript('ffa-artifacts.sh');
  if (!existsSync(script)) return { initrd: null, reason: `${script} is missing` };
  const r = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  const initrd = r.status === 0 ? /^initrd=(.*)$/m.exec(r.stdout ?? '')?.[1] ?? null : null;
  if (initrd) return { initrd, reason: '' };
  const why = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit status ${String(r.status)}`;
  return { initrd: null, reason: why.replace(/^ffa-artifacts: (error: )?/, '') };
}

/** Fill in ffa-linux's defaults in parsed run options; options the user gave win. */
export function applyFfaLinux(o: Map<string, unknown>, log: (line: string) => void): void {
  if (o.get('bare') === true) throw new UsageError(`${FFA_LINUX} runs Linux under the hypervisor (its FF-A calls go through the proxy): drop --bare`);
  if (o.has('guest')) throw new UsageError(`give either the ${FFA_LINUX} scenario or --guest, not both`);
  if (o.has('secure-payload')) throw new UsageError(`${FFA_LINUX} needs the SPMC, not a secure payload: drop --secure-payload`);
  if (!o.has('kernel')) {
    const linux = cachedLinuxArtifacts();
    if (!linux.artifacts) throw new CliError(`${FFA_LINUX}: no Linux kernel in the cache (${linux.reason}): run scripts/linux-artifacts.sh, then scripts/ffa-artifacts.sh`);
    o.set('kernel', linux.artifacts.kernel);
  }
  if (!o.has('initrd')) {
    const ffa = cachedFfaInitrd();
    if (!ffa.initrd) throw new CliError(`${FFA_LINUX}: no FF-A initramfs (${ffa.reason}): run scripts/ffa-artifacts.sh`);
    o.set('initrd', ffa.initrd);
  }
  o.set('secure', true);
  if (!o.has('smp')) o.set('smp', FFA_LINUX_DEFAULT_VCPUS);
  if (!o.has('pcpus')) o.set('pcpus', LINUX_DEFAULT_PCPUS);
  if (!o.has('mem')) o.set('mem', LINUX_DEFAULT_MEM);
  if (!o.has('nic')) o.set('nic', 'none');
  if (!o.has('append')) o.set('append', FFA_LINUX_APPEND);
  if (!o.has('max-seconds')) o.set('max-seconds', FFA_LINUX_MAX_TICKS);
  const mib = (o.get('mem') as number) / (1 << 20);
  log(
    `hvrr: ${FFA_LINUX}: 1 VM of ${String(o.get('smp'))} vCPU(s), ${mib} MiB, on ${String(o.get('pcpus'))} pCPU(s), --secure (SPMC, 3 partitions); ` +
    `--kernel ${String(o.get('kernel'))} --initrd ${String(o.get('initrd'))} --append "${String(o.get('append'))}" ` +
    `--max-seconds ${(o.get('max-seconds') as number) / 1e9} --seed ${String(o.get('seed') ?? 0n)}`,
  );
}

export interface FfaLinuxVerdict {
  ok: boolean;
  /** One line: what passed, or every reason it failed. */
  text: string;
}

const FIRMWARE = /ARM FF-A: Firmware version (\d+)\.(\d+) found/;
const PARTITION = /hvrr-ffa-client: partition 0x([0-9a-f]+) uuid/;
const SUMMARY = /HVRR-FFA-CLIENT sp=0x([0-9a-f]+) pass=(\d+) fail=(\d+)/;
const CLIENT_FAIL = /hvrr-ffa-client: (FAIL .*)$/;
const KERNEL_TROUBLE = /(Internal error: Oops|Kernel panic|BUG: |WARNING: CPU: )/;

const hex = (id: number): string => `0x${id.toString(16)}`;

/** Reads the guest console (bytes, any split) and judges the scenario's checks. */
export class FfaLinuxChecks {
  private line = '';
  private firmware: string | null = null;
  private readonly bound = new Set<number>();
  private readonly summaries = new Map<number, { pass: number; fail: number }>();
  private readonly failures: string[] = [];
  private trouble: string | null = null;

  push(byte: number): void {
    if (byte === 10) {
      this.onLine(this.line.replace(/\r$/, ''));
      this.line = '';
    } else if (this.line.length < 4096) {
      this.line += String.fromCharCode(byte);
    }
  }

  pushText(text: string): void {
    for (let i = 0; i < text.length; i++) this.push(text.charCodeAt(i));
  }

  private onLine(l: string): void {
    let m: RegExpExecArray | null;
    if ((m = FIRMWARE.exec(l))) this.firmware ??= `${m[1]}.${m[2]}`;
    else if ((m = PARTITION.exec(l))) this.bound.add(parseInt(m[1]!, 16));
    else if ((m = SUMMARY.exec(l))) this.summaries.set(parseInt(m[1]!, 16), { pass: Number(m[2]), fail: Number(m[3]) });
    else if ((m = CLIENT_FAIL.exec(l))) this.failures.push(m[1]!);
    else if ((m = KERNEL_TROUBLE.exec(l))) this.trouble ??= l.replace(/^\[\s*[\d.]+\]\s*/, '');
  }

  verdict(): FfaLinuxVerdict {
    const why: string[] = [];
    if (this.firmware === null) why.push('the FF-A driver reported no firmware version');
    else if (this.firmware !== '1.1' && this.firmware !== '1.2') why.push(`the FF-A driver found firmware version ${this.firmware} (want 1.1 or 1.2)`);
    const unbound = FFA_LINUX_PARTITIONS.filter((id) => !this.bound.has(id));
    if (unbound.length > 0) why.push(`the client did not bind partition${unbound.length > 1 ? 's' : ''} ${unbound.map(hex).join(', ')}`);
    for (const id of FFA_LINUX_PARTITIONS) {
      const s = this.summaries.get(id);
      if (!s) {
        if (this.bound.has(id)) why.push(`no HVRR-FFA-CLIENT line for ${hex(id)}`);
      } else if (s.fail !== 0 || s.pass !== FFA_LINUX_CLIENT_CHECKS) {
        why.push(`${hex(id)}: pass=${s.pass} fail=${s.fail} (want pass=${FFA_LINUX_CLIENT_CHECKS} fail=0)`);
      }
    }
    if (this.failures.length > 0) why.push(...this.failures);
    if (this.trouble !== null) why.push(`the kernel reported '${this.trouble}'`);
    if (why.length > 0) return { ok: false, text: `FAIL: ${why.join('; ')}` };
    return {
      ok: true,
      text: `PASS: the FF-A driver found firmware version ${this.firmware ?? '?'} and partitions ${FFA_LINUX_PARTITIONS.map(hex).join(', ')}; ` +
        `the client passed ${FFA_LINUX_CLIENT_CHECKS} checks on each (HVRR-FFA-CLIENT ... fail=0)`,
    };
  }
}

/** Exit status of a run whose machine ended well but whose scenario checks failed. */
export const EXIT_CHECKS_FAILED = 7;

/** The checks of a run of `scenario` (null: a scenario without checks): feed
 *  `onConsoleByte`, then `finish` prints the verdict and gives the exit status
 *  (the run's own when it is not 0: the machine did not end well). */
export function scenarioChecks(scenario: string | null, write: (line: string) => void): { onConsoleByte?: (b: number) => void; finish: (exitCode: number) => number } {
  if (scenario !== FFA_LINUX) return { finish: (code) => code };
  const checks = new FfaLinuxChecks();
  return {
    onConsoleByte: (b) => checks.push(b),
    finish: (code) => {
      const v = checks.verdict();
      write(`hvrr: ${FFA_LINUX}: ${v.text}`);
      return code !== 0 ? code : v.ok ? 0 : EXIT_CHECKS_FAILED;
    },
  };
}
