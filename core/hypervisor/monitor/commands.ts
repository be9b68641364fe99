// The EL2 UART monitor's command interpreter: a pure function of a read-only
// view of the hypervisor (its plain-data state record, trace counts by kind,
// a physical-memory reader for walking Stage-2 tables, the registers of a
// vCPU) and one input line, giving the text to print and what to do next.
// No I/O and no machine access here, so it is unit-tested without a machine
// and deterministic by construction.
//
// Commands:
//   help                 this list
//   vms                  VMs: id, name, VMID, RAM (IPA -> PA), vCPUs, power, Stage-2 root
//   vcpus [vm]           vCPUs: run state, pCPU, exits, loaded or saved
//   regs <vm> <vcpu>     X0..X30, PC, PSTATE, SP_EL0/SP_EL1, EL1 system registers
//   s2 <vm> [ipa]        Stage-2 mappings (runs of equal attributes), or the walk of one IPA
//   events               trace events by kind, hypervisor counters
//   log                  the hypervisor log (as DUMP_LOG prints it)
//   resume               leave the monitor; paused vCPUs run again
import type { HvState } from '../state.js';

/** Registers of a vCPU as the monitor shows them (64-bit values as hex strings, like VcpuContext). */
export interface MonitorRegs {
  x: readonly string[];
  pc: string;
  pstate: string;
  spEl0: string;
  spEl1: string;
  sys: Readonly<Record<string, string>>;
  /** Where they were read: 'saved' context or the pCPU the vCPU is loaded on. */
  source: string;
}

export interface MonitorView {
  hv: Readonly<HvState>;
  /** Trace events emitted so far, by kind. */
  eventCounts: Readonly<Record<string, number>>;
  /** A little-endian doubleword of physical RAM, or null when `pa` is not RAM. */
  readPhys64(pa: number): bigint | null;
  /** The registers of a vCPU, or null when it has none (never started). */
  regs(vm: number, vcpu: number): MonitorRegs | null;
}

export type MonitorAction = 'none' | 'resume';

export interface MonitorResult {
  output: string;
  action: MonitorAction;
}

export const MONITOR_PROMPT = 'hvrr-mon> ';

export const MONITOR_HELP = [
  'commands:',
  '  help                this list',
  '  vms                 list the VMs',
  '  vcpus [vm]          list the vCPUs (of one VM)',
  '  regs <vm> <vcpu>    registers of a vCPU',
  '  s2 <vm> [ipa]       Stage-2 mappings of a VM, or the table walk of one IPA',
  '  events              trace events by kind and hypervisor counters',
  '  log                 the hypervisor log',
  '  virtio              virtio-mmio devices of every VM and the vswitch',
  '  resume              leave the monitor and resume the guests',
].join('\n');

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padL = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function size(bytes: number): string {
  if (bytes % (1 << 30) === 0) return `${bytes / (1 << 30)} GiB`;
  if (bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Parse a number the way a person types it: decimal, or 0x hex. */
function parseNum(s: string | undefined): number | null {
  if (s === undefined) return null;
  if (/^0x[0-9a-f]+$/i.test(s) || /^[0-9]+$/.test(s)) {
    const v = Number(s.startsWith('0x') || s.startsWith('0X') ? BigInt(s) : BigInt(s));
    return Number.isSafeInteger(v) ? v : null;
  }
  return null;
}

function vmArg(view: MonitorView, s: string | undefined, cmd: string): number | string {
  const n = parseNum(s);
  if (n === null) {
    const byName = view.hv.vms.findIndex((v) => v.name === s);
    if (s !== undefined && byName >= 0) return byName;
    return `${cmd}: '${s ?? ''}' is not a VM (ids 0..${view.hv.vms.length - 1}; see 'vms')`;
  }
  if (n < 0 || n >= view.hv.vms.length) return `${cmd}: no VM ${n} (ids 0..${view.hv.vms.length - 1})`;
  return n;
}

function cmdVms(view: MonitorView): string {
  const rows = ['id  name        vmid  ram (ipa -> pa)                              vcpus  power    s2 root'];
  for (const vm of view.hv.vms) {
    const ram = `${hex(vm.ramIpa)}-${hex(vm.ramIpa + vm.ramBytes - 1)} -> ${hex(vm.backingPa)} (${size(vm.ramBytes)})`;
    rows.push(`${pad(String(vm.id), 4)}${pad(vm.name, 12)}${pad(String(vm.vmid), 6)}${pad(ram, 45)}${pad(String(vm.vcpus.length), 7)}${pad(vm.power, 9)}${hex(vm.s2Root)}`);
  }
  return rows.join('\n');
}

function loadedOn(view: MonitorView, vm: number, vcpu: number): number {
  return view.hv.pcpus.findIndex((p) => p.loaded !== null && p.loaded[0] === vm && p.loaded[1] === vcpu);
}

function cmdVcpus(view: MonitorView, arg: string | undefined): string {
  let ids = view.hv.vms.map((v) => v.id);
  if (arg !== undefined) {
    const v = vmArg(view, arg, 'vcpus');
    if (typeof v === 'string') return v;
    ids = [v];
  }
  const rows = ['vm  vcpu  state        pcpu  exits     context'];
  for (const id of ids) {
    const vm = view.hv.vms[id]!;
    for (const vc of vm.vcpus) {
      const on = loadedOn(view, id, vc.id);
      const where = on >= 0 ? `loaded on pCPU ${on}${view.hv.pcpus[on]!.running ? ' (running)' : ' (idle)'}` : vc.ctx ? 'saved' : 'none';
      rows.push(`${pad(String(id), 4)}${pad(String(vc.id), 6)}${pad(vc.run, 13)}${pad(String(vc.pcpu), 6)}${pad(String(vc.exits), 10)}${where}`);
    }
  }
  return rows.join('\n');
}

function cmdRegs(view: MonitorView, a: string | undefined, b: string | undefined): string {
  if (a === undefined || b === undefined) return 'regs: usage: regs <vm> <vcpu>';
  const vm = vmArg(view, a, 'regs');
  if (typeof vm === 'string') return vm;
  const vcpu = parseNum(b);
  const n = view.hv.vms[vm]!.vcpus.length;
  if (vcpu === null || vcpu < 0 || vcpu >= n) return `regs: no vCPU '${b}' in VM ${vm} (ids 0..${n - 1})`;
  const r = view.regs(vm, vcpu);
  if (!r) return `regs: VM ${vm} vCPU ${vcpu} has no register state`;
  const v64 = (s: string): string => padL(BigInt(s).toString(16), 16).replace(/ /g, '0');
  const lines = [`VM ${vm} (${view.hv.vms[vm]!.name}) vCPU ${vcpu}, ${r.source}:`];
  for (let i = 0; i < 31; i += 4) {
    const cells: string[] = [];
    for (let j = i; j < Math.min(i + 4, 31); j++) cells.push(`${padL('x' + j, 3)}=${v64(r.x[j] ?? '0x0')}`);
    lines.push('  ' + cells.join('  '));
  }
  const pstate = BigInt(r.pstate);
  const el = Number((pstate >> 2n) & 3n);
  const nzcv = ['N', 'Z', 'C', 'V'].map((f, i) => ((pstate >> BigInt(31 - i)) & 1n ? f : f.toLowerCase())).join('');
  const daif = ['D', 'A', 'I', 'F'].map((f, i) => ((pstate >> BigInt(9 - i)) & 1n ? f : f.toLowerCase())).join('');
  lines.push(`   pc=${v64(r.pc)}  pstate=${v64(r.pstate)} (EL${el}${pstate & 1n ? 'h' : 't'} ${nzcv} ${daif})`);
  lines.push(`  sp_el0=${v64(r.spEl0)}  sp_el1=${v64(r.spEl1)}`);
  const names = Object.keys(r.sys).sort();
  for (let i = 0; i < names.length; i += 3) {
    lines.push('  ' + names.slice(i, i + 3).map((k) => `${pad(k.toLowerCase(), 15)}=${v64(r.sys[k]!)}`).join('  '));
  }
  return lines.join('\n');
}

// ---- Stage-2 (VMSAv8-64, 4 KB granule, 32-bit IPA, start level 1: Arm ARM D8.3) ----

const OA_MASK = 0x0000_ffff_ffff_f000n;

/** Stage-2 lower/upper attributes of a block or page descriptor, in words. */
export function s2Attrs(d: bigint): string {
  const memAttr = Number((d >> 2n) & 0xfn);
  const s2ap = Number((d >> 6n) & 3n);
  const xn = Number((d >> 53n) & 3n);
  const mem = (memAttr & 0xc) === 0 ? ['Device-nGnRnE', 'Device-nGnRE', 'Device-nGRE', 'Device-GRE'][memAttr & 3]! : memAttr === 0xf ? 'Normal WB' : memAttr === 0x5 ? 'Normal NC' : `Normal attr ${hex(memAttr)}`;
  const ap = ['none', 'RO', 'WO', 'RW'][s2ap]!;
  const af = (d >> 10n) & 1n ? '' : ' AF=0';
  return `${mem} ${ap}${xn ? ' XN' : ''}${af}`;
}

interface S2Run {
  ipa: number;
  pa: number;
  bytes: number;
  level: number;
  attrs: string;
  count: number;
}

/** The mappings of a Stage-2 tree as runs of contiguous IPA -> PA with equal attributes and level. */
export function s2Runs(read: (pa: number) => bigint | null, root: number): S2Run[] | string {
  const runs: S2Run[] = [];
  const visit = (table: number, level: number, base: number): string | null => {
    const entries = level === 1 ? 4 : 512; // 32-bit IPA: 4 level-1 entries
    const span = level === 1 ? 2 ** 30 : level === 2 ? 2 ** 21 : 2 ** 12;
    for (let i = 0; i < entries; i++) {
      const d = read(table + i * 8);
      if (d === null) return `stage-2 table at ${hex(table)} is not RAM`;
      if ((d & 1n) === 0n) continue;
      const ipa = base + i * span;
      if (level < 3 && (d & 2n) !== 0n) {
        const err = visit(Number(d & OA_MASK), level + 1, ipa);
        if (err) return err;
        continue;
      }
      if (level === 3 && (d & 2n) === 0n) continue; // reserved encoding at level 3
      const pa = Number(d & OA_MASK & ~BigInt(span - 1));
      const attrs = s2Attrs(d);
      const last = runs.at(-1);
      if (last && last.level === level && last.attrs === attrs && last.ipa + last.bytes === ipa && last.pa + last.bytes === pa) {
        last.bytes += span;
        last.count++;
      } else {
        runs.push({ ipa, pa, bytes: span, level, attrs, count: 1 });
      }
    }
    return null;
  };
  const err = visit(root, 1, 0);
  return err ?? runs;
}

function cmdS2(view: MonitorView, a: string | undefined, b: string | undefined): string {
  if (a === undefined) return 's2: usage: s2 <vm> [ipa]';
  const vmId = vmArg(view, a, 's2');
  if (typeof vmId === 'string') return vmId;
  const vm = view.hv.vms[vmId]!;
  const head = `VM ${vmId} (${vm.name}) Stage-2: VMID ${vm.vmid}, root ${hex(vm.s2Root)}, 4 KB granule, 32-bit IPA, start level 1`;
  if (b === undefined) {
    const runs = s2Runs((pa) => view.readPhys64(pa), vm.s2Root);
    if (typeof runs === 'string') return `${head}\n  ${runs}`;
    if (runs.length === 0) return `${head}\n  (nothing mapped)`;
    const unit = (l: number): string => (l === 1 ? '1G block' : l === 2 ? '2M block' : '4K page');
    return [head, ...runs.map((r) => `  ipa ${hex(r.ipa)}-${hex(r.ipa + r.bytes - 1)} -> pa ${hex(r.pa)}-${hex(r.pa + r.bytes - 1)}  ${size(r.bytes)}  ${r.count} x ${unit(r.level)}  ${r.attrs}`)].join('\n');
  }
  const ipa = parseNum(b);
  if (ipa === null) return `s2: '${b}' is not an address (decimal or 0x hex)`;
  const lines = [head];
  if (ipa >= 2 ** 32) {
    lines.push(`  ipa ${hex(ipa)} is outside the 32-bit IPA space: translation fault, level 1`);
    return lines.join('\n');
  }
  let table = vm.s2Root;
  for (let level = 1; level <= 3; level++) {
    const shift = 30 - 9 * (level - 1);
    const idx = level === 1 ? Math.floor(ipa / 2 ** 30) : Math.floor(ipa / 2 ** shift) % 512;
    const at = table + idx * 8;
    const d = view.readPhys64(at);
    if (d === null) {
      lines.push(`  L${level}[${idx}] at ${hex(at)}: not RAM`);
      return lines.join('\n');
    }
    const desc = `  L${level}[${idx}] at ${hex(at)} = ${hex(d)}`;
    if ((d & 1n) === 0n || (level === 3 && (d & 2n) === 0n)) {
      lines.push(`${desc}  invalid`);
      lines.push(`  ipa ${hex(ipa)}: not mapped (translation fault, level ${level})`);
      return lines.join('\n');
    }
    if (level < 3 && (d & 2n) !== 0n) {
      table = Number(d & OA_MASK);
      lines.push(`${desc}  table -> ${hex(table)}`);
      continue;
    }
    const span = 2 ** shift;
    const pa = Number(d & OA_MASK & ~BigInt(span - 1)) + (ipa % span);
    lines.push(`${desc}  ${level === 3 ? 'page' : 'block'} (${size(span)})`);
    lines.push(`  ipa ${hex(ipa)} -> pa ${hex(pa)}  ${s2Attrs(d)}`);
    return lines.join('\n');
  }
  return lines.join('\n');
}

function cmdEvents(view: MonitorView): string {
  const kinds = Object.keys(view.eventCounts).filter((k) => (view.eventCounts[k] ?? 0) > 0).sort();
  const total = kinds.reduce((s, k) => s + view.eventCounts[k]!, 0);
  const lines = [`trace events: ${total}`];
  for (const k of kinds) lines.push(`  ${pad(k, 16)}${padL(String(view.eventCounts[k]), 10)}`);
  lines.push('hypervisor counters:');
  for (const k of Object.keys(view.hv.counters).sort()) lines.push(`  ${pad(k, 16)}${padL(String(view.hv.counters[k]), 10)}`);
  return lines.join('\n');
}

function cmdLog(view: MonitorView): string {
  if (view.hv.log.length === 0) return '(the hypervisor log is empty)';
  return view.hv.log.map((l) => `hv: ${l}`).join('\n');
}

const STATUS_BITS: Array<[number, string]> = [[1, 'ACKNOWLEDGE'], [2, 'DRIVER'], [8, 'FEATURES_OK'], [4, 'DRIVER_OK'], [0x40, 'DEVICE_NEEDS_RESET'], [0x80, 'FAILED']];

function cmdVirtio(view: MonitorView): string {
  const lines: string[] = [];
  for (const vm of view.hv.vms) {
    for (const d of vm.virtio ?? []) {
      const status = STATUS_BITS.filter(([bit]) => d.status & bit).map(([, n]) => n).join('|') || 'reset';
      const base = 0x0a00_0000 + d.slot * 0x200;
      lines.push(`${vm.name} virtio-${d.kind} @ ${hex(base)} (SPI ${16 + d.slot}): ${status}, InterruptStatus ${hex(d.interruptStatus)}`);
      d.queues.forEach((q, i) => {
        if (q.num > 0 || q.ready) lines.push(`  queue ${i}: ${q.ready ? 'ready' : 'not ready'}, ${q.num} entries, avail consumed ${q.lastAvailIdx}, used ${q.usedIdx}`);
      });
      const c = d.blk ? { ...d.blk.counters, overlayChunks: Object.keys(d.blk.overlay).length } : d.net ? { mac: d.net.mac.map((b) => b.toString(16).padStart(2, '0')).join(':'), port: d.net.port, ...d.net.counters } : {};
      lines.push('  ' + Object.entries(c).map(([k, v]) => `${k} ${String(v)}`).join(', '));
    }
  }
  const sw = view.hv.vswitch;
  if (sw) {
    lines.push(`vswitch: ${sw.ports.length} port(s), ${Object.keys(sw.macTable).length} learned MAC(s)`);
    for (const [mac, port] of Object.entries(sw.macTable)) lines.push(`  ${mac.replace(/(..)(?!$)/g, '$1:')} -> port ${port}`);
    sw.ports.forEach((p, i) => lines.push(`  port ${i}: tx ${p.txFrames}, rx ${p.rxFrames}, waiting ${p.rx.length}, dropped ${p.rxDrops}`));
  }
  return lines.length > 0 ? lines.join('\n') : '(no virtio devices)';
}

/** Interpret one input line. Blank lines print nothing. */
export function monitorCommand(view: MonitorView, line: string): MonitorResult {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const none = (output: string): MonitorResult => ({ output, action: 'none' });
  if (words.length === 0) return none('');
  const [cmd, a, b, extra] = words;
  const tooMany = (max: number): boolean => words.length - 1 > max;
  switch (cmd!.toLowerCase()) {
    case 'help':
    case '?':
      return none(MONITOR_HELP);
    case 'vms':
      return none(tooMany(0) ? 'vms: takes no arguments' : cmdVms(view));
    case 'vcpus':
      return none(tooMany(1) ? 'vcpus: usage: vcpus [vm]' : cmdVcpus(view, a));
    case 'regs':
      return none(extra !== undefined ? 'regs: usage: regs <vm> <vcpu>' : cmdRegs(view, a, b));
    case 's2':
      return none(extra !== undefined ? 's2: usage: s2 <vm> [ipa]' : cmdS2(view, a, b));
    case 'events':
      return none(tooMany(0) ? 'events: takes no arguments' : cmdEvents(view));
    case 'log':
      return none(tooMany(0) ? 'log: takes no arguments' : cmdLog(view));
    case 'virtio':
      return none(tooMany(0) ? 'virtio: takes no arguments' : cmdVirtio(view));
    case 'resume':
    case 'c':
      return { output: 'resuming', action: 'resume' };
  }
  return none(`unknown command '${cmd}' (type 'help' for the list)`);
}
