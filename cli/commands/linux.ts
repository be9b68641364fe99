// The boot-linux scenario: Debian's arm64 6.12 kernel with the BusyBox
// initramfs and the ext2 test disk that scripts/linux-artifacts.sh fetches
// (by package name) and builds, run as VMs under the hypervisor with
// virtio-blk and virtio-net. The artifacts live in a cache outside the
// repository; when they are missing the script is run (it needs apt-get), and
// without apt the user is told which files to pass instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, UsageError } from '../errors.js';

export const BOOT_LINUX = 'boot-linux';
/** Printed by the initramfs's /init when the guest is up (before the shell starts). */
export const LINUX_MARKER = 'HVRR-LINUX-READY';
/** cryptomgr.notests skips the crypto self-tests (0.5 G guest instructions that test nothing of ours). */
export const LINUX_APPEND = 'console=ttyAMA0 earlycon=pl011,0x9000000 cryptomgr.notests rdinit=/init';
export const LINUX_DEFAULT_VCPUS = 4;
export const LINUX_DEFAULT_PCPUS = 1;
export const LINUX_DEFAULT_MEM = 512 * 1024 * 1024;

export interface LinuxArtifacts {
  kernel: string;
  initrd: string;
  disk: string;
}

/** The artifact cache directory (the same rule as scripts/linux-artifacts.sh). */
export function linuxCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['HVRR_LINUX_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'hvrr', 'linux');
}

/** scripts/NAME (default linux-artifacts.sh) of this installation: the package root is
 *  two levels up from cli/commands in the sources, three from dist/cli/commands. */
export function artifactScript(name = 'linux-artifacts.sh'): string {
  const candidates = [`../../scripts/${name}`, `../../../scripts/${name}`].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[1]!;
}

function parsePaths(stdout: string): LinuxArtifacts | null {
  const get = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(stdout)?.[1];
  const kernel = get('kernel');
  const initrd = get('initrd');
  const disk = get('disk');
  return kernel && initrd && disk ? { kernel, initrd, disk } : null;
}

/** The cached artifacts per `scripts/linux-artifacts.sh --check` (nothing is fetched), or why not. */
export function cachedLinuxArtifacts(): { artifacts: LinuxArtifacts | null; reason: string } {
  const script = artifactScript();
  if (!existsSync(script)) return { artifacts: null, reason: `${script} is missing` };
  const r = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  const artifacts = r.status === 0 ? parsePaths(r.stdout ?? '') : null;
  if (artifacts) return { artifacts, reason: '' };
  return { artifacts: null, reason: (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit status ${String(r.status)}` };
}

/** The cached artifacts, fetched and built first when they are missing or stale. */
export function ensureLinuxArtifacts(log: (line: string) => void): LinuxArtifacts {
  const script = artifactScript();
  if (!existsSync(script)) throw new CliError(`boot-linux: ${script} is missing: pass --kernel, --initrd and --disk`);
  const cached = cachedLinuxArtifacts().artifacts;
  if (cached) return cached;
  log(`hvrr: boot-linux: fetching and building the Linux guest artifacts into ${linuxCacheDir()} (scripts/linux-artifacts.sh; apt-get download by package name, once)`);
  const r = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.status === 2) {
    // No apt-get: the script's message names the files to pass.
    for (const line of (r.stderr ?? '').trimEnd().split('\n')) log(line);
    throw new CliError('boot-linux: no Linux guest artifacts and no apt-get to fetch them: pass --kernel FILE --initrd FILE --disk FILE (see above)');
  }
  const paths = r.status === 0 ? parsePaths(r.stdout ?? '') : null;
  if (!paths) {
    const why = (r.stderr ?? '').trim().split('\n').filter((l) => /error/i.test(l)).pop() ?? r.error?.message ?? `exit status ${String(r.status)}`;
    throw new CliError(`boot-linux: scripts/linux-artifacts.sh failed: ${why.replace(/^linux-artifacts: (error: )?/, '')}`);
  }
  return paths;
}

/** Fill in boot-linux's defaults in parsed run options; options the user gave win.
 *  Artifacts are looked up (and fetched) only for the images not given. */
export function applyBootLinux(o: Map<string, unknown>, log: (line: string) => void): void {
  if (o.get('bare') === true) throw new UsageError('boot-linux runs Linux under the hypervisor (virtio-blk/net need it): drop --bare');
  if (o.has('guest')) throw new UsageError('give either the boot-linux scenario or --guest, not both');
  if (!o.has('kernel') || !o.has('initrd') || !o.has('disk')) {
    if (o.has('kernel') && o.has('initrd')) {
      // A kernel and initrd of the user's own: no test disk unless --disk is given.
    } else {
      const a = ensureLinuxArtifacts(log);
      if (!o.has('kernel')) o.set('kernel', a.kernel);
      if (!o.has('initrd')) o.set('initrd', a.initrd);
      if (!o.has('disk')) o.set('disk', a.disk);
    }
  }
  if (!o.has('smp')) o.set('smp', LINUX_DEFAULT_VCPUS);
  if (!o.has('pcpus')) o.set('pcpus', LINUX_DEFAULT_PCPUS);
  if (!o.has('mem')) o.set('mem', LINUX_DEFAULT_MEM);
  if (!o.has('input-after')) o.set('input-after', LINUX_MARKER);
  const vms = (o.get('vms') as number | undefined) ?? 1;
  // hvrr.vms=N: the initramfs pings every other VM over the vswitch before the marker.
  if (!o.has('append')) o.set('append', vms > 1 ? `${LINUX_APPEND} hvrr.vms=${vms}` : LINUX_APPEND);
  // Every derived option first, so a run can be reproduced from its log.
  const mib = (o.get('mem') as number) / (1 << 20);
  log(
    `hvrr: boot-linux: ${vms} VM(s) of ${String(o.get('smp'))} vCPU(s), ${mib} MiB each, on ${String(o.get('pcpus'))} pCPU(s); ` +
    `--kernel ${String(o.get('kernel'))} --initrd ${String(o.get('initrd'))}${o.has('disk') ? ` --disk ${String(o.get('disk'))}` : ''} ` +
    `--append "${String(o.get('append'))}" --seed ${String(o.get('seed') ?? 0n)}`,
  );
}

/** Watches console output for a marker string within a line (bytes may arrive
 *  split anywhere) and counts its appearances. */
export class MarkerWatch {
  count = 0;
  private tail = '';
  constructor(private readonly marker: string) {}
  get seen(): boolean {
    return this.count > 0;
  }
  push(byte: number): void {
    if (byte === 10) {
      this.tail = '';
      return;
    }
    this.tail = (this.tail + String.fromCharCode(byte)).slice(-this.marker.length);
    if (this.tail === this.marker) {
      this.count++;
      this.tail = '';
    }
  }
  /** Feeds text (latin1); true when the first appearance is in it. */
  pushText(text: string): boolean {
    const before = this.count;
    for (let i = 0; i < text.length; i++) this.push(text.charCodeAt(i));
    return before === 0 && this.count > 0;
  }
}
