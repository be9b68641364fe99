// `hvrr run`: boot a kernel (or the embedded self-test guest) on the virt
// board, with the PL011 on stdout/stdin, until the guest powers off, the
// machine stops, or an instruction limit.
//
// Wall time is read here (progress summary) and stdin timing decides when
// input bytes enter the machine: both are outside the simulation, and an
// interactive run is not reproducible (recording comes with `hvrr record`).
import { CHAOS_MAX_LEVEL, describeChaos } from '../../core/clock/chaos.js';
import { isMutation, MUTATIONS } from '../../core/mutations.js';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Machine, type StopReason } from '../../core/machine.js';
import { bootFirmware, bootKernel } from '../../core/firmware/boot.js';
import { attachMachineFlash } from '../../core/devices/flashBanks.js';
import { attachRestoredFlash, readFlashImages, writeBackPflash } from './firmware.js';
import { ImageError, identifyImage, rawImageProblem } from '../../core/firmware/loader.js';
import { readFdtHeader } from '../../core/fdt/reader.js';
import { FdtError } from '../../core/fdt/tree.js';
import { MAX_CPUS, MAX_RAM_BYTES as CORE_MAX_RAM_BYTES } from '../../core/cpu/cpu.js';
import { BUILTIN_GUESTS, DEFAULT_GUEST, builtinImage, isBuiltinGuest, type BuiltinGuest } from './guests.js';
import { attachMonitor } from '../../core/hypervisor/monitor/attach.js';
import { Hypervisor, machineRamFor, type HypervisorConfig } from '../../core/hypervisor/hypervisor.js';
import { parseArgs, parseCount, parseIntRange, parseSeed, parseSize, parseString, type OptionSpec } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { INTERRUPT_SIGNALS, signalExitCode, writeHoldingSignals, type InterruptSignal } from '../signals.js';
import type { CliIO, InStream, OutStream } from '../io.js';
import type { Command } from './command.js';
import { helpFor } from '../help.js';
import { machineFromSnapshot } from './restore.js';
import { attachRestoredDisk, writeBackDisk } from './disk.js';
import { applyBootLinux, BOOT_LINUX, MarkerWatch } from './linux.js';
import { applyFfaLinux, FFA_LINUX, scenarioChecks } from './ffaLinux.js';
import { DebugSession } from '../../replay/debugSession.js';
import { secureColdBoot } from '../../core/firmware/secureBoot.js';
import { installSecurePayload, SECURE_PAYLOAD_BASE, SecurePayloadError } from '../../core/firmware/securePayload.js';
import { SecureConsole } from './secureConsole.js';
import { installSpmc, SPMC_BOOT_INFO, SpmcInstallError } from '../../core/spmc/installSpmc.js';
import { bundledPartitions } from '../../guests/sp/index.js';
import { debugWithGdb, extractGdbOption } from '../gdb/cli.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_RESET = 3;
export const EXIT_HALT = 4;
export const EXIT_IDLE = 5;
export const EXIT_INTERRUPTED = 130;

const MiB = 1 << 20;
/** Largest RAM the core can hold (wasm memory is 4 GiB minus the host area). */
export const MAX_RAM_BYTES = CORE_MAX_RAM_BYTES;
export const DEFAULT_RAM_BYTES = 512 * MiB;
/**
 * Instructions per slice between looks at stdin (about 20 ms at 100 MIPS).
 * Fixed, not wall-time adaptive: Machine.run(limit) ends its round-robin
 * window early at the limit, so where slices end is part of the schedule and
 * must not depend on the host's speed (a non-interactive run stays
 * reproducible). A multiple of the default quantum.
 */
export const SLICE_INSTRUCTIONS = 2_000_000;
/** Diagnostics printed per distinct encoding before they are only counted. */
const DIAG_PER_KEY = 3;
const CTRL_A = 0x01;

export interface RunOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  dtb?: string;
  smp: number;
  mem: number;
  seed: bigint;
  maxInsns?: number;
  quantum?: number;
  /** Seeded chaos level 0..3 (core/clock/chaos.ts); 0 or absent: off. */
  chaos?: number;
  /** Test only: a planted defect (core/mutations.ts). */
  mutate?: string;
  digest: boolean;
  restore?: string;
  /** Built-in guest to boot when no kernel file is given. */
  guest?: BuiltinGuest;
  /** Bare-metal mode: the kernel runs at EL1 with the firmware stand-in at EL2/EL3, no hypervisor. */
  bare?: boolean;
  /** Under the hypervisor: VMs running the same kernel (default 1). */
  vms?: number;
  /** Under the hypervisor: physical CPUs (default: --smp, one per vCPU). */
  pcpus?: number;
  /** Under the hypervisor: disk image behind each VM's virtio-blk (writes go to a copy-on-write overlay in the machine state). */
  disk?: string;
  /** With --disk: write VM 0's overlay back into the image file when the run ends. */
  diskWriteback?: boolean;
  /** Hold console input until the guest has printed this text. */
  inputAfter?: string;
  /** Let idle virtual time run ahead of the wall clock even on a terminal. */
  noPace?: boolean;
  /** Execute guest code with the one-instruction-at-a-time interpreter only (same results, slower). */
  noJit?: boolean;
  /** --max-seconds, in ticks. */
  maxTicks?: number;
  /** --quiet-seconds, in ticks. */
  quietTicks?: number;
  untilIdle?: boolean;
  /** Firmware in flash bank 0, booted from address 0 (QEMU's -bios). */
  bios?: string;
  /** Flash bank 1's contents (64 MiB). */
  pflash?: string;
  /** With --pflash: write bank 1 back into its file at the end. */
  pflashWriteback?: boolean;
  /** --nic none: VMs without their virtio-net device. */
  noNic?: boolean;
  /** Two Security states (QEMU virt,secure=on,virtualization=on) with the EL3 firmware. */
  secure?: boolean;
  /** With --secure: an image the EL3 firmware runs at Secure EL1 before the Non-secure boot. */
  securePayload?: string;
  /** With --secure: SP packages booted by the SPMC after the bundled partitions. */
  sp?: string[];
}

export const NO_JIT_OPTION: OptionSpec = {
  name: 'no-jit',
  help: 'execute guest code with the one-instruction-at-a-time interpreter\nonly: no block cache, no translation to WebAssembly (the run,\nits trace and its snapshots are identical, only slower)',
};

/** Apply --no-jit to a machine (the default engine translates hot code). */
export function applyEngine(m: Machine, noJit: boolean | undefined): void {
  if (noJit) m.core.setEngine('interp');
}

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'kernel', value: 'FILE', help: 'kernel: arm64 Image, AArch64 ELF or raw binary\n(default: the built-in guest named by --guest)', parse: parseString },
  { name: 'guest', value: 'NAME', help: `built-in guest when no --kernel is given: ${Object.keys(BUILTIN_GUESTS).join(', ')}\n(default ${DEFAULT_GUEST})`, parse: parseGuest },
  { name: 'initrd', value: 'FILE', help: 'initial ramdisk (not with an ELF kernel)', parse: parseString },
  { name: 'append', value: 'STR', help: 'kernel command line (/chosen/bootargs)', parse: parseString },
  { name: 'dtb', value: 'FILE', help: 'device tree blob to use instead of the generated one', parse: parseString },
  { name: 'smp', value: 'N', help: `number of CPUs, 1..${MAX_CPUS} (default 1)`, parse: (r, o) => parseIntRange(r, o, 1, MAX_CPUS) },
  { name: 'mem', value: 'SIZE', help: `RAM size: bytes or K/M/G (binary), a multiple of 1M,\nup to ${MAX_RAM_BYTES / MiB}M (default 512M)`, parse: parseMem },
  { name: 'seed', value: 'N', help: 'machine PRNG seed, decimal or 0x hex, 0..2^64-1 (default 0)', parse: parseSeed },
  { name: 'max-insns', value: 'N', help: 'stop after N instructions; K/M/G are powers of 1000\n(2G = 2,000,000,000); default: no limit', parse: (r, o) => parseCount(r, o) },
  { name: 'quantum', value: 'N', help: 'instructions per CPU per round-robin window (default 10000)', parse: (r, o) => parseCount(r, o, 1_000_000_000) },
  { name: 'chaos', value: 'LEVEL', help: `seeded chaos 0..${CHAOS_MAX_LEVEL} (default 0, off): window lengths, PE order,\nsimultaneous events, timer interrupt latency and (3) the hypervisor's\nvCPU pick drawn from the --seed PRNG; the derived options print first`, parse: (r, o) => parseIntRange(r, o, 0, CHAOS_MAX_LEVEL) },
  { name: 'mutate', value: 'NAME', help: `test only: plant a known defect for the fuzzers' mutation suite\n(${Object.keys(MUTATIONS).join(', ')}; docs/fuzzing.md)`, parse: (r, o) => { if (!isMutation(r)) throw new UsageError(`${o}: unknown mutation '${r}' (mutations: ${Object.keys(MUTATIONS).join(', ')})`); return r; } },
  { name: 'digest', help: 'also print the trace digest and event count to stderr' },
  { name: 'bare', help: 'run the kernel bare-metal at EL1 (firmware stand-in at EL2/EL3)\ninstead of as a VM under the hvrr hypervisor' },
  { name: 'vms', value: 'N', help: 'under the hypervisor: run N VMs of the same kernel, 1..4 (default 1)', parse: (r, o) => parseIntRange(r, o, 1, 4) },
  { name: 'pcpus', value: 'N', help: `under the hypervisor: physical CPUs, 1..${MAX_CPUS}\n(default: one per vCPU, i.e. --smp; vCPUs share pCPUs round-robin)`, parse: (r, o) => parseIntRange(r, o, 1, MAX_CPUS) },
  { name: 'disk', value: 'FILE', help: 'under the hypervisor: raw disk image behind each VM\'s virtio-blk\n(guest writes go to a copy-on-write overlay in the machine state)', parse: parseString },
  { name: 'disk-writeback', help: 'with --disk: write VM 0\'s overlay into the image file at the end\n(atomically, through a temporary file)' },
  { name: 'no-pace', help: 'on a terminal, let virtual time run ahead of the wall clock\nwhile the guest idles (default: idle time passes at the\nwall clock\'s pace when stdin is a terminal)' },
  NO_JIT_OPTION,
  { name: 'input-after', value: 'TEXT', help: 'hold console input until the guest prints TEXT (a shell\'s\nready line; boot-linux: HVRR-LINUX-READY): bytes a UART gets\nbefore the guest reads it are lost, as on hardware', parse: parseString },
  { name: 'max-seconds', value: 'S', help: 'stop when virtual time reaches S seconds (decimals allowed)', parse: parseSeconds },
  { name: 'quiet-seconds', value: 'S', help: 'once console input has ended (a pipe or file), stop after S s of\nvirtual quiet: no console output or input, CPUs idle (default 1;\n0: never). See cli/README.md "When a run ends"', parse: parseSeconds },
  { name: 'until-idle', help: 'stop after the quiet period even with console input still open\n(a terminal)' },
  { name: 'nic', value: 'none', help: 'under the hypervisor: \'none\' gives the VMs no virtio-net device\n(as QEMU\'s -nic none; default: one each, on the vswitch)', parse: parseNic },
  { name: 'bios', value: 'FILE', help: 'firmware in flash bank 0 (at 0x0), run from address 0 with the\ndevice tree at the start of RAM, as QEMU\'s -bios (U-Boot, UEFI);\ninstead of --kernel/--guest', parse: parseString },
  { name: 'pflash', value: 'FILE', help: '64 MiB image of flash bank 1 (at 0x04000000; guest writes go to\na copy-on-write overlay in the machine state)', parse: parseString },
  { name: 'pflash-writeback', help: 'with --pflash: write flash bank 1 into the file at the end\n(atomically, through a temporary file)' },
  { name: 'secure', help: 'two Security states, as QEMU virt,secure=on,virtualization=on:\nSecure EL2, secure RAM (0x0e000000), the secure UART (0x09040000;\nits lines go to stderr prefixed \'[secure] \'), a GIC with Group 0 and\nSecure Group 1, the EL3 firmware setting it up (docs/ARCHITECTURE.md)' },
  { name: 'secure-payload', value: 'FILE', help: `with --secure: an image the EL3 firmware runs at Secure EL1 before\nthe Non-secure boot (an AArch64 ELF at its physical addresses in secure\nRAM, or raw at 0x${SECURE_PAYLOAD_BASE.toString(16).padStart(8, '0')}); it returns with SMC 0xf2000000\n(TF-A's TSP_ENTRY_DONE)`, parse: parseString },
  { name: 'sp', value: 'FILE', repeatable: true, help: 'with --secure: an SP package (TF-A sp_pkg: "SPKG" header, FF-A manifest\nDTB, image) the SPMC boots after the bundled partitions; repeatable\n(docs/ffa.md)', parse: parseString },
  { name: 'restore', value: 'SNAP', help: 'continue from a full snapshot file (hvrr replay --snapshot);\nthe snapshot fixes CPUs, RAM, seed, quantum and --secure', parse: parseString },
];

/** Virtual seconds, decimals allowed (0.5, 2, 1e-3), as ticks (1 ns each). */
function parseSeconds(raw: string, option: string): number {
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`${option}: '${raw}' is not a number of seconds`);
  const ticks = Math.round(v * 1e9);
  if (ticks > Number.MAX_SAFE_INTEGER) throw new UsageError(`${option}: '${raw}' is too large`);
  return ticks;
}

function parseNic(raw: string, option: string): 'none' {
  if (raw !== 'none') throw new UsageError(`${option}: '${raw}' is not a NIC choice (only 'none': VMs have one virtio-net device by default)`);
  return raw;
}

function parseGuest(raw: string, option: string): BuiltinGuest {
  if (!isBuiltinGuest(raw)) throw new UsageError(`${option}: unknown built-in guest '${raw}' (guests: ${Object.keys(BUILTIN_GUESTS).join(', ')})`);
  return raw;
}

function parseMem(raw: string, option: string): number {
  const v = parseSize(raw, option);
  if (v < MiB || v % MiB !== 0) throw new UsageError(`${option}: '${raw}' is not a whole number of MiB (at least 1M)`);
  if (v > MAX_RAM_BYTES) throw new UsageError(`${option}: '${raw}' is more than the ${MAX_RAM_BYTES / MiB}M the machine supports`);
  return v;
}

/** The FF-A demo: the FF-A test client as a VM under the hypervisor, on a
 *  machine with the Secure world (the SPMC and the bundled partitions). */
export const FFA_DEMO = 'ffa-demo';

/** ffa-demo's options: the built-in client guest, --secure. */
export function applyFfaDemo(o: Map<string, unknown>): void {
  if (o.has('kernel') || o.has('guest')) throw new UsageError(`${FFA_DEMO} runs the built-in FF-A client: drop --kernel/--guest`);
  if (o.has('secure-payload')) throw new UsageError(`${FFA_DEMO} needs the SPMC, not a secure payload: drop --secure-payload`);
  if (o.has('bare')) throw new UsageError(`${FFA_DEMO} runs the client under the hypervisor: drop --bare (or run --guest ffa-client --bare --secure)`);
  o.set('guest', 'ffa-client');
  o.set('secure', true);
}

/** `run [boot-linux | ffa-demo | ffa-linux] [options]`: a scenario fills in its defaults (see linux.ts, applyFfaDemo, ffaLinux.ts). */
export function parseRunOptions(argv: readonly string[], log: (line: string) => void = () => {}): RunOptions & { help: boolean; scenario: string | null } {
  const { options: o, positionals, help } = parseArgs(argv, RUN_OPTIONS);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' after ${positionals[0]}`);
  if (positionals[0] === BOOT_LINUX) {
    if (!help) applyBootLinux(o, log);
  } else if (positionals[0] === FFA_DEMO) {
    applyFfaDemo(o);
  } else if (positionals[0] === FFA_LINUX) {
    if (!help) applyFfaLinux(o, log);
  } else if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' (scenarios: ${BOOT_LINUX}, ${FFA_DEMO}, ${FFA_LINUX}; did you mean --kernel ${positionals[0]}?)`);
  }
  return { help, scenario: positionals[0] ?? null, ...parseRunOptionsFrom(o) };
}

/** RunOptions from parsed options (shared with record). */
export function parseRunOptionsFrom(o: Map<string, unknown>): RunOptions {
  return {
    kernel: o.get('kernel') as string | undefined,
    initrd: o.get('initrd') as string | undefined,
    append: o.get('append') as string | undefined,
    dtb: o.get('dtb') as string | undefined,
    smp: (o.get('smp') as number | undefined) ?? 1,
    mem: (o.get('mem') as number | undefined) ?? DEFAULT_RAM_BYTES,
    seed: (o.get('seed') as bigint | undefined) ?? 0n,
    maxInsns: o.get('max-insns') as number | undefined,
    quantum: o.get('quantum') as number | undefined,
    chaos: o.get('chaos') as number | undefined,
    mutate: o.get('mutate') as string | undefined,
    digest: o.get('digest') === true,
    restore: o.get('restore') as string | undefined,
    guest: o.get('guest') as BuiltinGuest | undefined,
    bare: o.get('bare') === true,
    vms: o.get('vms') as number | undefined,
    pcpus: o.get('pcpus') as number | undefined,
    disk: o.get('disk') as string | undefined,
    diskWriteback: o.get('disk-writeback') === true,
    inputAfter: o.get('input-after') as string | undefined,
    noPace: o.get('no-pace') === true,
    noJit: o.get('no-jit') === true,
    maxTicks: o.get('max-seconds') as number | undefined,
    quietTicks: o.get('quiet-seconds') as number | undefined,
    untilIdle: o.get('until-idle') === true,
    bios: o.get('bios') as string | undefined,
    pflash: o.get('pflash') as string | undefined,
    pflashWriteback: o.get('pflash-writeback') === true,
    noNic: o.get('nic') === 'none',
    secure: o.get('secure') === true,
    securePayload: o.get('secure-payload') as string | undefined,
    sp: o.get('sp') as string[] | undefined,
  };
}

/** Read an input file, turning I/O errors into one-line messages. */
export function readInputFile(what: string, path: string): Uint8Array {
  try {
    // The memory Node read into, not a copy (a 44 MB kernel image would be
    // copied and its pages touched twice before the boot); a small file can
    // sit in Node's shared pool, and is copied out of it.
    const b = readFileSync(path);
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? new Uint8Array(b.buffer) : new Uint8Array(b);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' :
      code === 'EISDIR' ? 'is a directory' :
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' :
      code === 'ENOTDIR' ? 'a component of the path is not a directory' :
      (e as Error).message;
    throw new CliError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** Builds the machine and loads the images; every failure is a CliError.
 *  `warn` gets one-line warnings (a kernel file that does not look like code). */
export function prepareMachine(opts: RunOptions, warn: (line: string) => void = () => {}): Machine {
  if (opts.kernel !== undefined && opts.guest !== undefined) throw new UsageError('give either --kernel or --guest, not both');
  if (opts.bare && opts.vms !== undefined) throw new UsageError('--vms needs the hypervisor; drop --bare');
  if (opts.bare && opts.pcpus !== undefined) throw new UsageError('--pcpus needs the hypervisor (bare, --smp sets the CPUs); drop --bare');
  if (opts.securePayload !== undefined && !opts.secure) throw new UsageError('--secure-payload needs --secure (a machine with a Secure world)');
  if (opts.sp !== undefined && !opts.secure) throw new UsageError('--sp needs --secure (a machine with a Secure world)');
  if (opts.sp !== undefined && opts.securePayload !== undefined) throw new UsageError('--sp and --secure-payload exclude each other: the EL3 firmware dispatches either an SPMC at Secure EL2 or a payload at Secure EL1');
  const spPackages = (opts.sp ?? []).map((f) => readInputFile('SP package', f));
  const flash = readFlashImages(opts);
  const payload = opts.securePayload !== undefined ? readInputFile('secure payload', opts.securePayload) : undefined;
  const kernel = opts.bios !== undefined ? undefined : opts.kernel !== undefined ? readInputFile('kernel', opts.kernel) : builtinImage(opts.guest ?? DEFAULT_GUEST);
  if (opts.kernel !== undefined) {
    let raw = false;
    try {
      raw = kernel !== undefined && identifyImage(kernel).kind === 'raw';
    } catch {
      // refused with its reason when the image is loaded below
    }
    const problem = raw && kernel ? rawImageProblem(kernel) : null;
    if (problem) warn(`hvrr: warning: kernel '${opts.kernel}' is neither an arm64 Image nor an ELF, so it runs as a raw binary at 0x40080000, but ${problem}`);
  }
  const initrd = opts.initrd !== undefined ? readInputFile('initrd', opts.initrd) : undefined;
  const dtb = opts.dtb !== undefined ? readInputFile('device tree', opts.dtb) : undefined;
  if (dtb && opts.dtb !== undefined) {
    try {
      readFdtHeader(dtb);
    } catch (e) {
      if (e instanceof FdtError) throw new CliError(`device tree '${opts.dtb}': ${e.message}`);
      throw e;
    }
  }
  const bootargs = opts.append;
  if (opts.bare && opts.noNic) throw new UsageError('--nic none is for the hypervisor\'s VMs (the bare machine has no NIC); drop --bare');
  if (opts.bare && opts.disk !== undefined) throw new UsageError('--disk needs the hypervisor (its virtio-blk); drop --bare');
  if (opts.diskWriteback && opts.disk === undefined) throw new UsageError('--disk-writeback needs --disk FILE');
  const disk = opts.disk !== undefined ? readInputFile('disk image', opts.disk) : undefined;
  if (disk && disk.length < 512) throw new CliError(`disk image '${opts.disk}' has ${disk.length} bytes: less than one 512-byte sector`);
  let hvConfig: HypervisorConfig | undefined;
  let numCpus = opts.smp;
  let ramBytes = opts.mem;
  if (!opts.bare) {
    // Default: the kernel is the guest of a VM (--smp vCPUs, --mem of guest RAM) under the hypervisor.
    if (opts.mem % (2 * MiB) !== 0) throw new CliError(`--mem must be a multiple of 2M under the hypervisor (guest RAM is mapped with 2 MiB blocks)`);
    hvConfig = {
      vms: Array.from({ length: opts.vms ?? 1 }, () => ({
        numVcpus: opts.smp, ramBytes: opts.mem, ...(kernel ? { kernel } : {}), ...flash,
        ...(initrd ? { initrd } : {}), ...(dtb ? { dtb } : {}), ...(bootargs !== undefined ? { bootargs } : {}),
        ...(disk ? { disk } : {}), ...(opts.noNic ? { nic: false } : {}),
      })),
    };
    ramBytes = machineRamFor(hvConfig);
    numCpus = opts.pcpus ?? opts.smp;
    if (ramBytes > MAX_RAM_BYTES) throw new CliError(`--mem ${opts.mem / MiB}M x ${opts.vms ?? 1} VM(s) plus the hypervisor's ${(ramBytes - opts.mem * (opts.vms ?? 1)) / MiB}M is more than the ${MAX_RAM_BYTES / MiB}M the machine supports`);
  }
  let m: Machine;
  try {
    m = new Machine({
      numCpus, ramBytes, seed: opts.seed, ...(opts.quantum !== undefined ? { quantumTicks: opts.quantum } : {}), ...(opts.secure ? { secure: true } : {}),
      ...(opts.chaos ? { chaos: opts.chaos } : {}),
      ...(opts.mutate ? { mutation: opts.mutate } : {}),
    });
    if (opts.chaos) warn(`hvrr: seed ${opts.seed}, ${describeChaos(m.chaos)}`);
    if (opts.mutate) warn(`hvrr: test mutation '${opts.mutate}' planted: ${MUTATIONS[opts.mutate as keyof typeof MUTATIONS]}`);
  } catch (e) {
    const msg = (e as Error).message;
    if (e instanceof RangeError) throw new CliError(`cannot allocate ${ramBytes / MiB} MiB of RAM (${msg}); try a smaller --mem`, EXIT_INTERNAL);
    if (/not built/.test(msg)) throw new CliError(msg, EXIT_INTERNAL);
    throw new CliError(`cannot build the machine: ${msg}`);
  }
  try {
    // Under the hypervisor the EL2 UART monitor is available: a guest's PAUSE
    // hypercall or Ctrl-A m on the console enters it.
    if (hvConfig) attachMonitor(new Hypervisor(m, hvConfig));
    else {
      if (flash.bios || flash.pflash) attachMachineFlash(m, [flash.bios, flash.pflash]);
      if (flash.bios) bootFirmware(m, dtb ? { dtb } : {});
      else bootKernel(m, { kernel: kernel!, ...(initrd ? { initrd } : {}), ...(dtb ? { dtb } : {}), ...(bootargs !== undefined ? { bootargs } : {}) }, { flash: flash.pflash !== undefined });
    }
    // The EL3 firmware's cold boot: the GIC for two Security states, then the
    // secure payload at Secure EL1, which hands over to the Non-secure boot.
    // With a secure payload the firmware dispatches it at Secure EL1 (TF-A's
    // TSPD); otherwise the SPMC at Secure EL2 boots the bundled partitions and
    // every --sp package, then the Normal world starts (TF-A's SPMD).
    if (opts.secure && payload) {
      secureColdBoot(m);
      installSecurePayload(m, payload).coldBoot(m);
    } else if (opts.secure) {
      installSpmc(m, [...bundledPartitions().map((p) => p.package), ...spPackages]);
      secureColdBoot(m, SPMC_BOOT_INFO);
    }
  } catch (e) {
    if (e instanceof SecurePayloadError) throw new CliError(`secure payload '${opts.securePayload}': ${e.message}`);
    if (e instanceof SpmcInstallError) throw new CliError(e.message.replace(/^SP package (\d+)/, (_, i: string) => {
      const k = Number(i) - bundledPartitions().length;
      return k >= 0 ? `SP package '${opts.sp![k]}'` : `bundled SP package ${i}`;
    }));
    if (e instanceof ImageError || e instanceof FdtError) {
      throw new CliError(opts.kernel !== undefined ? `kernel '${opts.kernel}': ${e.message}` : e.message);
    }
    throw e;
  }
  applyEngine(m, opts.noJit);
  return m;
}

/** Collects UART output and writes it in chunks. */
/** Terminal queries a guest's shell sends to learn the cursor position or
 *  the terminal type (BusyBox's line editing sends ESC[6n): answered by a
 *  terminal, noise in a pipe or a file. */
const TERMINAL_QUERIES = ['\x1b[6n', '\x1b[5n', '\x1b[c', '\x1b[0c', '\x1b[>c', '\x1b[>0c', '\x1bZ'].map((q) => Buffer.from(q, 'latin1'));

export class ConsoleBuffer {
  private buf = new Uint8Array(64 * 1024);
  private n = 0;
  /** Bytes of a possible terminal query held back until it completes or cannot be one. */
  private held: number[] = [];
  /** `dropQueries`: leave out terminal queries (stdout is not a terminal). */
  constructor(private readonly out: OutStream, private readonly dropQueries = false) {}
  push(byte: number): void {
    if (this.dropQueries && (this.held.length > 0 || byte === 0x1b)) {
      this.held.push(byte);
      const h = this.held;
      if (TERMINAL_QUERIES.some((q) => q.length === h.length && h.every((b, i) => q[i] === b))) {
        this.held = [];
        return;
      }
      if (TERMINAL_QUERIES.some((q) => q.length > h.length && h.every((b, i) => q[i] === b))) return;
      this.held = [];
      for (const b of h) this.append(b);
      return;
    }
    this.append(byte);
  }
  private append(byte: number): void {
    this.buf[this.n++] = byte;
    if (this.n === this.buf.length) this.flush();
  }
  /** Write what is buffered; `final`: also a held-back partial sequence (the run ended). */
  flush(final = false): void {
    if (final && this.held.length > 0) {
      const h = this.held;
      this.held = [];
      for (const b of h) this.append(b);
    }
    if (this.n === 0) return;
    this.out.write(Buffer.from(this.buf.subarray(0, this.n)));
    this.buf = new Uint8Array(this.buf.length);
    this.n = 0;
  }
}

/** Prints the first few diagnostics per key, counts the rest. */
export class DiagnosticFilter {
  private counts = new Map<string, number>();
  constructor(private readonly write: (line: string) => void, private readonly perKey = DIAG_PER_KEY) {}
  report(message: string): void {
    const key = /encoding (0x[0-9a-f]+)/i.exec(message)?.[1] ?? message;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= this.perKey) this.write(`hvrr: ${message}${n === this.perKey ? ' (further ones for this encoding are counted)' : ''}`);
  }
  /** Lines for suppressed repeats. */
  summary(): string[] {
    const out: string[] = [];
    for (const [key, n] of this.counts) if (n > this.perKey) out.push(`hvrr: ${(n - this.perKey).toLocaleString('en-US')} more diagnostic(s) for ${key}`);
    return out;
  }
}

/** Console input: bytes from stdin waiting to be injected, escape handling, EOF. */
export class ConsoleInput {
  pending: number[] = [];
  ended = false;
  quit = false;
  private sawCtrlA = false;
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const b of bytes) {
      if (this.raw) {
        if (this.sawCtrlA) {
          this.sawCtrlA = false;
          if (b === 0x78 || b === 0x58) {
            this.quit = true; // Ctrl-A x
            continue;
          }
          // Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A <other> sends both bytes
          // (Ctrl-A m is the EL2 monitor's escape and must reach the UART).
          if (b !== CTRL_A) this.pending.push(CTRL_A);
        } else if (b === CTRL_A) {
          this.sawCtrlA = true;
          continue;
        }
      }
      this.pending.push(b);
    }
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };

  constructor(private readonly stream: InStream | null, private readonly raw: boolean) {
    if (!stream) {
      this.ended = true;
      return;
    }
    if (raw) stream.setRawMode?.(true);
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.resume();
  }
  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  /** Resolves when input arrives, input ends or `interrupt()` is called. */
  /** Resolves when input arrives, input ends, `interrupt()` is called, or after `timeoutMs`. */
  waitForInput(timeoutMs?: number): Promise<void> {
    if (this.pending.length > 0 || this.ended || this.quit) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      if (timeoutMs !== undefined) {
        setTimeout(() => {
          if (this.wake === resolve) this.notify();
        }, timeoutMs);
      }
    });
  }
  /** The signal that ended the run, if one did (Ctrl-A x leaves it SIGINT-like). */
  signal: InterruptSignal | undefined;
  interrupt(signal?: InterruptSignal): void {
    this.quit = true;
    this.signal ??= signal;
    this.notify();
  }
  close(): void {
    if (!this.stream) return;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.pause();
    if (this.raw) this.stream.setRawMode?.(false);
  }
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));


export type RunEnd =
  | StopReason
  | { kind: 'interrupted'; signal?: InterruptSignal }
  /** The machine was quiet for `seconds` (virtual) after console input ended
   *  (or, with --until-idle, with it still open); `unread`: input bytes the guest never took. */
  | { kind: 'quiet'; seconds: number; inputEnded: boolean; unread?: number }
  /** --max-seconds reached. */
  | { kind: 'time-limit' };

export function exitCodeFor(end: RunEnd): number {
  switch (end.kind) {
    case 'system-off':
    case 'instruction-limit':
    case 'tick-limit':
    case 'paused':
    case 'breakpoint':
    case 'watch':
    case 'data-watch':
    case 'quiet':
    case 'time-limit':
      return EXIT_OK;
    case 'system-reset':
      return EXIT_RESET;
    case 'halt':
      return EXIT_HALT;
    case 'idle':
      return EXIT_IDLE;
    case 'interrupted':
      return end.signal === undefined ? EXIT_INTERRUPTED : signalExitCode(end.signal);
  }
}

/** `executed`: instructions run by this process (less than `instructions` after --restore). */
/** How a run ended, in the summary's words. */
export function describeEnd(end: RunEnd): string {
  switch (end.kind) {
    case 'halt': return `halt (${end.message})`;
    case 'quiet': return `quiet (${end.inputEnded ? 'console input ended' : '--until-idle'}, the machine quiet for ${end.seconds.toFixed(2)} s virtual${end.unread ? `; ${end.unread.toLocaleString('en-US')} input bytes the guest never took` : ''})`;
    case 'time-limit': return 'time limit (--max-seconds)';
    default: return end.kind;
  }
}

export function formatSummary(end: RunEnd, instructions: number, ticks: number, wallSeconds: number, executed = instructions): string {
  const mips = wallSeconds > 0 ? executed / wallSeconds / 1e6 : 0;
  const what = describeEnd(end);
  return `hvrr: ${what} after ${instructions.toLocaleString('en-US')} instructions, ${(ticks / 1e9).toFixed(6)} s virtual, ${wallSeconds.toFixed(2)} s wall, ${mips.toFixed(1)} MIPS`;
}

/** How a caller (run, record) takes part in the console loop. */
export interface RunLoopHooks {
  /** Put console bytes into the machine (default: into the UART's RX FIFO at window boundaries while it has room). */
  feed?: (bytes: number[]) => void;
  /** Bytes `feed` accepted that are not inside the machine yet (held back by flow control). */
  held?: () => number;
  /** Called after every slice (progress lines). */
  afterSlice?: () => void;
  /** Hold console input back until the guest has printed this text (a shell's
   *  marker): bytes a real UART receives before the guest's driver and shell
   *  are up are lost, so piped commands wait for the shell instead. */
  holdInputUntil?: string;
  /** Called with each console byte the guest writes. */
  onConsoleByte?: (byte: number) => void;
  /** Pace virtual time to the wall clock (default: when stdin is a terminal). */
  pace?: boolean;
  /** How many times holdInputUntil's text must appear (one per VM; default 1). */
  holdInputCount?: number;
  /** The quiet period (QuietWatch) after which a run whose console input has
   *  ended stops (default DEFAULT_QUIET_TICKS; 0: never). Not on a terminal
   *  unless `untilIdle`. */
  quietTicks?: number;
  /** Stop after the quiet period even if console input has not ended (a terminal). */
  untilIdle?: boolean;
  /** Stop once virtual time reaches this tick (--max-seconds). */
  maxTick?: number;
}

/**
 * When a run with its console input ended stops on its own: the machine has
 * been *quiet* for the quiet period (virtual time): no console output, no
 * console input entering, and the CPUs busy at most QUIET_BUSY_FRACTION of
 * the time (an idle OS wakes for timers, briefly). Measured over checkpoints
 * every QUIET_CHECK_TICKS of virtual time. Documented in cli/README.md.
 */
export const DEFAULT_QUIET_TICKS = 1_000_000_000; // 1 s virtual
export const QUIET_CHECK_TICKS = 10_000_000; // 10 ms virtual
export const QUIET_BUSY_FRACTION = 0.01;

/** Tracks quiet time between checkpoints (pure: fed by the run loop). */
export class QuietWatch {
  private quietSince: number;
  private lastTick: number;
  private lastInstructions: number;
  private lastInputs: number;
  private noisy = false;
  constructor(startTick: number, startInstructions: number, startInputs: number, private readonly numCpus: number) {
    this.quietSince = startTick;
    this.lastTick = startTick;
    this.lastInstructions = startInstructions;
    this.lastInputs = startInputs;
  }
  /** The guest wrote to the console. */
  output(): void {
    this.noisy = true;
  }
  /** A checkpoint: the clock, instructions retired and console bytes entered so far. Returns the quiet time in ticks. */
  check(tick: number, instructions: number, inputs: number): number {
    const dt = tick - this.lastTick;
    const busy = instructions - this.lastInstructions > QUIET_BUSY_FRACTION * Math.max(dt, 1) * this.numCpus;
    if (this.noisy || busy || inputs !== this.lastInputs) this.quietSince = tick;
    this.noisy = false;
    this.lastTick = tick;
    this.lastInstructions = instructions;
    this.lastInputs = inputs;
    return tick - this.quietSince;
  }
}

/** How far virtual time may run ahead of the wall clock in a paced run. */
const PACE_AHEAD_TICKS = 20_000_000;

/** The tick a paced run may reach now: the wall-clock time since the run started,
 *  in ticks (1 ns), plus a little slack; at least one tick past `nowTick`. */
export function paceUntilTick(startTick: number, wallMs: number, nowTick: number): number {
  return Math.max(nowTick + 1, startTick + Math.floor(wallMs * 1e6) + PACE_AHEAD_TICKS);
}

/** The run loop's settings from the command line (shared by run and record). */
export function runLoopOptions(opts: RunOptions): { maxInsns?: number } & RunLoopHooks {
  return {
    ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
    // With several VMs each prints the --input-after text once: input waits for all.
    ...(opts.inputAfter !== undefined ? { holdInputUntil: opts.inputAfter, holdInputCount: opts.bare ? 1 : (opts.vms ?? 1) } : {}),
    ...(opts.noPace ? { pace: false } : {}),
    ...(opts.maxTicks !== undefined ? { maxTick: opts.maxTicks } : {}),
    ...(opts.quietTicks !== undefined ? { quietTicks: opts.quietTicks } : {}),
    ...(opts.untilIdle ? { untilIdle: true } : {}),
  };
}

/** Runs a prepared machine with console I/O; returns how it ended. */
export async function runMachine(m: Machine, opts: { maxInsns?: number } & RunLoopHooks, io: CliIO): Promise<RunEnd> {
  const out = new ConsoleBuffer(io.stdout, (io.stdout as { isTTY?: boolean }).isTTY !== true);
  const diags = new DiagnosticFilter((line) => {
    out.flush();
    io.stderr.write(line + '\n');
  });
  const hold = opts.holdInputUntil !== undefined ? new MarkerWatch(opts.holdInputUntil) : null;
  const holdCount = opts.holdInputCount ?? 1;
  const released = (): boolean => hold === null || hold.count >= holdCount;
  const quiet = new QuietWatch(m.nowTick, m.instructions, m.trace.kindCounts()['uart-in'], m.numCpus);
  m.onConsole = (b) => {
    out.push(b);
    opts.onConsoleByte?.(b);
    hold?.push(b);
    quiet.output();
  };
  m.onDiagnostic = (msg) => diags.report(msg);
  const secureOut = new SecureConsole(io.stderr);
  m.onSecureConsole = (b) => {
    out.flush();
    secureOut.push(b);
    quiet.output();
  };
  const raw = io.stdin?.isTTY === true && typeof io.stdin.setRawMode === 'function';
  const input = new ConsoleInput(io.stdin, raw);
  const pace = opts.pace ?? raw;
  const untilIdle = opts.untilIdle === true;
  const quietTicks = io.stdin?.isTTY === true && !untilIdle ? 0 : (opts.quietTicks ?? DEFAULT_QUIET_TICKS);
  const maxTick = opts.maxTick ?? Number.MAX_SAFE_INTEGER;
  const t0 = performance.now();
  const startTick = m.nowTick;
  const onSignal = (signal: InterruptSignal): void => input.interrupt(signal);
  if (io.handleSignals) for (const sig of INTERRUPT_SIGNALS) process.on(sig, onSignal);
  const limit = opts.maxInsns ?? Number.MAX_SAFE_INTEGER;
  // Default feed: flow control as a terminal line with RTS/CTS would do it: bytes
  // enter the UART's receive FIFO at window boundaries while it has room (the
  // recorder does the same and records where each byte entered).
  const queue: number[] = [];
  if (!opts.feed) {
    m.inputHook = (mm) => {
      const n = Math.min(mm.uart.rxSpace(), queue.length);
      for (const b of queue.splice(0, n)) mm.uart.pushRx(b, mm.nowTick);
    };
  }
  const feed = opts.feed ?? ((bytes: number[]): void => {
    for (const b of bytes) queue.push(b);
  });
  const held = opts.held ?? ((): number => queue.length);
  let heldIdleTick = -1;
  let end: RunEnd;
  try {
    // Console input already waiting when the run starts enters at the first
    // window boundary (tick 0), before the first slice runs.
    await nextMacrotask();
    for (;;) {
      if (input.pending.length > 0 && released()) {
        feed(input.pending);
        input.pending = [];
      }
      if (input.quit) {
        end = input.signal === undefined ? { kind: 'interrupted' } : { kind: 'interrupted', signal: input.signal };
        break;
      }
      // On a terminal the guest's idle time passes at the wall clock's pace: a
      // paced run stops where virtual time would overtake the wall clock and
      // waits (for time to pass, or for input). Input then enters at that tick;
      // the recorder notes it and the replayer stops there too, so this
      // touches only when input arrives, never what a replay does.
      const paced = pace && !input.ended;
      // Slices end at quiet checkpoints too (window boundaries: the run is the same).
      const checkpoint = quietTicks > 0 ? m.nowTick + QUIET_CHECK_TICKS : Number.MAX_SAFE_INTEGER;
      const untilTick = Math.min(checkpoint, paced ? paceUntilTick(startTick, performance.now() - t0, m.nowTick) : Number.MAX_SAFE_INTEGER);
      const reason = m.run({
        maxInstructions: Math.min(limit, m.instructions + SLICE_INSTRUCTIONS),
        ...(untilTick < Number.MAX_SAFE_INTEGER ? { untilTick } : {}),
        ...(maxTick < Number.MAX_SAFE_INTEGER ? { stopAtTick: maxTick } : {}),
      });
      out.flush();
      opts.afterSlice?.();
      if (m.clockTick >= maxTick && (reason.kind === 'tick-limit' || reason.kind === 'instruction-limit' || reason.kind === 'idle')) {
        end = { kind: 'time-limit' };
        break;
      }
      if (quietTicks > 0 && !m.getMachineState().window) {
        const q = quiet.check(m.nowTick, m.instructions, m.trace.kindCounts()['uart-in']);
        if ((input.ended || untilIdle) && q >= quietTicks && reason.kind !== 'idle') {
          // Input still waiting here is input the guest does not take (it never
          // printed the --input-after text, or does not read).
          const unread = input.pending.length + held();
          end = { kind: 'quiet', seconds: q / 1e9, inputEnded: input.ended, ...(unread > 0 ? { unread } : {}) };
          break;
        }
      }
      if ((reason.kind === 'instruction-limit' && m.instructions < limit) || (reason.kind === 'tick-limit' && !paced)) {
        await nextMacrotask();
        continue;
      }
      if (reason.kind === 'tick-limit' && paced) {
        const aheadMs = (m.nowTick - startTick) / 1e6 - (performance.now() - t0);
        await input.waitForInput(Math.min(50, Math.max(1, aheadMs)));
        continue;
      }
      if (reason.kind === 'idle' && !input.quit) {
        // Input held back by flow control gets one more window boundary to
        // enter; if the machine stays idle on it, the guest is not reading.
        if (held() > 0 && heldIdleTick !== m.nowTick) {
          heldIdleTick = m.nowTick;
          continue;
        }
        if (!input.ended) {
          // Everything waits for the outside world: wait for console input.
          await input.waitForInput();
          if (input.pending.length > 0 && released()) continue; // idle is not final: feed the input and go on
        }
      }
      end = input.quit && reason.kind === 'idle' ? (input.signal === undefined ? { kind: 'interrupted' } : { kind: 'interrupted', signal: input.signal }) : reason;
      break;
    }
  } finally {
    if (!opts.feed) m.inputHook = undefined;
    out.flush(true);
    secureOut.flush();
    input.close();
    if (io.handleSignals) for (const sig of INTERRUPT_SIGNALS) process.off(sig, onSignal);
  }
  for (const line of diags.summary()) io.stderr.write(line + '\n');
  return end;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'boot a kernel (or a built-in guest) with the console on stdin/stdout',
  usage: 'run [boot-linux | ffa-demo | ffa-linux] [options]',
  options: RUN_OPTIONS,
  details: `'hvrr run boot-linux' boots Debian's arm64 Linux as 'hvrr record boot-linux'
does (see 'hvrr record --help'), without recording; 'hvrr run ffa-linux'
runs Linux's FF-A driver and hvrr's client against the SPMC's partitions
and ends with a verdict line (docs/ffa.md).
Without --kernel, runs a built-in guest (--guest; default: the diagnostic
guest, which exercises every hypercall of the hypervisor, takes and reports
its own exceptions and triggers the traps; 'selftest' checks the machine).
By default the guest runs as a VM under the hvrr hypervisor; --bare runs it
directly at EL1. --secure gives the machine a Secure world (QEMU
virt,secure=on,virtualization=on); --secure-payload runs an image at Secure
EL1 first, whose secure UART lines go to stderr as '[secure] ...'.
The guest's UART is stdout; stdin feeds its UART input (a
terminal is put in raw mode: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A,
Ctrl-A m enters the EL2 monitor under the hypervisor). A summary line goes
to stderr at the end.

--gdb [PORT|PATH]: stop before the first instruction and serve gdb on
127.0.0.1:PORT (default 1234) or a Unix socket PATH; forward execution only
(docs/gdb.md).

Exit status:
  0    guest powered off (PSCI SYSTEM_OFF), or --max-insns reached
  1    internal error
  2    bad command line or input file
  3    guest asked for PSCI SYSTEM_RESET (the self-test does this on FAIL)
  4    machine halted (exception with no handler, core stop)
  5    idle: every CPU waits and nothing can wake it (no input left)
  7    ffa-linux: the machine ended well but the scenario's checks failed
       (the verdict line on stderr says which)
  130  interrupted (Ctrl-A x, SIGINT); 143 for SIGTERM, 129 for SIGHUP
       (a recording is closed properly in every case)`,
  async run(argvIn, io) {
    const gdb = extractGdbOption(argvIn);
    const argv = gdb.argv;
    const opts = parseRunOptions(argv, (line) => io.stderr.write(line + '\n'));
    if (opts.help) {
      io.stdout.write(helpFor(runCommand));
      return EXIT_OK;
    }
    let m: Machine;
    if (opts.restore !== undefined) {
      const fixed = (['kernel', 'initrd', 'dtb', 'append', 'quantum', 'chaos', 'mutate', 'securePayload', 'sp'] as const).filter((k) => opts[k] !== undefined);
      if (opts.secure) throw new UsageError('--secure cannot be combined with --restore: the snapshot fixes the machine (and records whether it has a Secure world)');
      if (fixed.length > 0) throw new UsageError(`--${fixed[0] === 'securePayload' ? 'secure-payload' : fixed[0]} cannot be combined with --restore: the snapshot fixes the machine`);
      if (argv.some((a) => /^--(smp|mem|seed)(=|$)/.test(a))) throw new UsageError('--smp/--mem/--seed cannot be combined with --restore: the snapshot fixes the machine');
      m = machineFromSnapshot(opts.restore);
      applyEngine(m, opts.noJit);
      attachRestoredDisk(m, opts.disk !== undefined ? readInputFile('disk image', opts.disk) : undefined, opts.disk);
      attachRestoredFlash(m, opts);
    } else {
      m = prepareMachine(opts, (line) => io.stderr.write(line + '\n'));
    }
    if (gdb.listen !== undefined) {
      await debugWithGdb(new DebugSession(m, null), gdb.listen, io);
      io.stderr.write(formatSummary(m.stopped ?? { kind: 'paused' }, m.instructions, m.nowTick, 0, m.instructions) + '\n');
      return EXIT_OK;
    }
    const t0 = performance.now();
    const startInstructions = m.instructions;
    const checks = scenarioChecks(opts.scenario, (line) => io.stderr.write(line + '\n'));
    const end = await runMachine(m, { ...runLoopOptions(opts), ...(checks.onConsoleByte ? { onConsoleByte: checks.onConsoleByte } : {}) }, io);
    const wall = (performance.now() - t0) / 1000;
    io.stderr.write(formatSummary(end, m.instructions, m.nowTick, wall, m.instructions - startInstructions) + '\n');
    if (opts.diskWriteback && opts.disk !== undefined) {
      const disk = opts.disk;
      const n = await writeHoldingSignals(io, `the disk image '${disk}'`, () => writeBackDisk(m, disk));
      io.stderr.write(n > 0 ? `hvrr: wrote VM 0's disk back into ${opts.disk} (${n.toLocaleString('en-US')} bytes)\n` : `hvrr: the guest wrote nothing to its disk; ${opts.disk} is unchanged\n`);
    }
    if (opts.pflashWriteback && opts.pflash !== undefined) {
      const file = opts.pflash;
      const n = await writeHoldingSignals(io, `the flash image '${file}'`, () => writeBackPflash(m, file));
      io.stderr.write(n > 0 ? `hvrr: wrote flash bank 1 back into ${file}\n` : `hvrr: the guest wrote nothing to flash bank 1; ${file} is unchanged\n`);
    }
    if (opts.digest) io.stderr.write(`hvrr: trace digest ${m.trace.digest()} (${m.trace.count.toLocaleString('en-US')} events)\n`);
    return checks.finish(exitCodeFor(end));
  },
};
