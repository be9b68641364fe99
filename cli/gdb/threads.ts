// The gdb threads of a machine: each CPU (thread id = CPU number + 1), then,
// under the hypervisor, each vCPU of each VM (the next ids, VM by VM). A
// thread's registers and memory are seen through a ThreadView: a CPU's are
// the live ones; a vCPU's are its pCPU's live registers while it executes
// there, else the context the hypervisor saved (vcpu.ts), and its memory is
// its own EL1&0 regime through its VM's Stage 2, whichever vCPU the pCPU
// runs. The hypervisor's state is read, never changed: a saved vCPU's
// registers cannot be written.
import type { Machine } from '../../core/machine.js';
import type { HvState, VcpuContext, VmState } from '../../core/hypervisor/state.js';

export type GdbThread =
  | { kind: 'cpu'; tid: number; cpu: number }
  | { kind: 'vcpu'; tid: number; vm: number; vcpu: number; pcpu: number };

/** What gdb reads and writes of one thread. Setters return false when the value cannot be written. */
export interface ThreadView {
  /** The EL whose regime translates the thread's virtual addresses. */
  readonly el: number;
  x(n: number): bigint;
  sp(): bigint;
  pc(): bigint;
  pstate(): number;
  v(n: number): [bigint, bigint];
  /** A system or FP control register by its ARM ARM name. */
  get(name: string): bigint;
  setX(n: number, v: bigint): boolean;
  setSp(v: bigint): boolean;
  setPc(v: bigint): boolean;
  setPstate(v: number): boolean;
  setV(n: number, lo: bigint, hi: bigint): boolean;
  set(name: string, v: bigint): boolean;
}

function hvState(m: Machine): HvState | null {
  return m.componentNames().includes('hypervisor') ? (m.component('hypervisor').getState() as HvState) : null;
}

/** Every thread, CPUs first. */
export function threadList(m: Machine): GdbThread[] {
  const out: GdbThread[] = [];
  for (let cpu = 0; cpu < m.numCpus; cpu++) out.push({ kind: 'cpu', tid: cpu + 1, cpu });
  const hv = hvState(m);
  for (const vm of hv?.vms ?? []) {
    for (const vc of vm.vcpus) out.push({ kind: 'vcpu', tid: out.length + 1, vm: vm.id, vcpu: vc.id, pcpu: vc.pcpu });
  }
  return out;
}

/** The CPU a thread runs on: stepping or continuing a vCPU thread moves its pCPU. */
export function cpuOfThread(t: GdbThread): number {
  return t.kind === 'cpu' ? t.cpu : t.pcpu;
}

/** A CPU's live registers. */
export function cpuView(m: Machine, cpu: number): ThreadView {
  const regs = (): ReturnType<Machine['core']['regs']> => m.core.regs(cpu);
  return {
    get el() {
      return m.core.el(cpu);
    },
    x: (n) => m.core.getX(cpu, n),
    sp: () => m.core.getSp(cpu),
    pc: () => m.core.getPc(cpu),
    pstate: () => m.core.pstate(cpu),
    v: (n) => regs().v(n),
    get: (name) => regs().get(name),
    setX: (n, v) => (m.core.setX(cpu, n, v), true),
    setSp: (v) => (m.core.setSp(cpu, v), true),
    setPc: (v) => (m.core.setPc(cpu, v), true),
    setPstate: (v) => (m.core.setPstate(cpu, v), true),
    setV: (n, lo, hi) => (regs().setV(n, lo, hi), true),
    set: (name, v) => (regs().set(name, v), true),
  };
}

const refuse = (): boolean => false;

/** A vCPU's registers as its VM sees them. */
export function vcpuView(m: Machine, vmId: number, vcpuId: number): ThreadView {
  const hv = hvState(m);
  const vm = hv?.vms.find((v) => v.id === vmId);
  const vc = vm?.vcpus.find((v) => v.id === vcpuId);
  if (!hv || !vm || !vc) throw new Error(`no vm${vmId} vcpu${vcpuId}`);
  const p = hv.pcpus[vc.pcpu];
  const loaded = p?.loaded?.[0] === vmId && p.loaded[1] === vcpuId;
  if (loaded && m.core.el(vc.pcpu) < 2) return withStage2(cpuView(m, vc.pcpu), vm);
  // Saved by the hypervisor, or loaded on a pCPU idling at EL2 (then its PC
  // and PSTATE wait in ELR_EL2/SPSR_EL2): a read-only image.
  const ctx: VcpuContext = vc.ctx ?? liveContext(m, vc.pcpu);
  return savedView(m, vm, ctx, vc.pcpu);
}

/** The registers of the vCPU loaded on `cpu` while the pCPU is at EL2. */
function liveContext(m: Machine, cpu: number): VcpuContext {
  const regs = m.core.regs(cpu);
  const hex = (v: bigint): string => '0x' + v.toString(16);
  const v: string[] = [];
  for (let i = 0; i < 32; i++) {
    const [lo, hi] = regs.v(i);
    v.push(hex(lo), hex(hi));
  }
  const sys: Record<string, string> = {};
  for (const name of m.core.registers.offsets.keys()) sys[name] = hex(regs.get(name));
  return {
    x: Array.from({ length: 31 }, (_, i) => hex(regs.x(i))),
    pc: hex(regs.get('ELR_EL2')), pstate: hex(regs.get('SPSR_EL2')), spEl0: hex(regs.get('SP_EL0')), spEl1: hex(regs.get('SP_EL1')),
    sys, v, fpcr: hex(regs.get('FPCR')), fpsr: hex(regs.get('FPSR')),
    cntvCtl: 0, cntvCval: '0x0', cntpCtl: 0, cntpCval: '0x0', vmcr: '0x0', ap0r: '0x0', ap1r: '0x0',
  };
}

/** Stage 2 as the VM's: on, with its tables (a vCPU's own view whichever VM its pCPU runs). */
function stage2Of(vm: VmState, name: string): bigint | undefined {
  if (name === 'HCR_EL2') return 1n; // VM
  if (name === 'VTTBR_EL2') return (BigInt(vm.vmid) << 48n) | BigInt(vm.s2Root);
  return undefined;
}

function withStage2(view: ThreadView, vm: VmState): ThreadView {
  return { ...view, get el() { return view.el; }, get: (name) => stage2Of(vm, name) ?? view.get(name) };
}

function savedView(m: Machine, vm: VmState, c: VcpuContext, pcpu: number): ThreadView {
  const pstate = Number(BigInt(c.pstate));
  const el = (pstate >> 2) & 3;
  const spSel = pstate & 1;
  return {
    el,
    x: (n) => BigInt(c.x[n] ?? '0x0'),
    sp: () => BigInt(el === 0 || spSel === 0 ? c.spEl0 : c.spEl1),
    pc: () => BigInt(c.pc),
    pstate: () => pstate,
    v: (n) => [BigInt(c.v[2 * n] ?? '0x0'), BigInt(c.v[2 * n + 1] ?? '0x0')],
    get: (name) => {
      const s2 = stage2Of(vm, name);
      if (s2 !== undefined) return s2;
      if (name === 'FPCR') return BigInt(c.fpcr);
      if (name === 'FPSR') return BigInt(c.fpsr);
      if (name === 'SP_EL0') return BigInt(c.spEl0);
      if (name === 'SP_EL1') return BigInt(c.spEl1);
      const saved = c.sys[name];
      // What the context does not hold (EL2/EL3 registers) is its pCPU's.
      return saved !== undefined ? BigInt(saved) : m.core.regs(pcpu).get(name);
    },
    setX: refuse, setSp: refuse, setPc: refuse, setPstate: refuse, setV: refuse, set: refuse,
  };
}

/** The view of a thread. */
export function threadView(m: Machine, t: GdbThread): ThreadView {
  return t.kind === 'cpu' ? cpuView(m, t.cpu) : vcpuView(m, t.vm, t.vcpu);
}

/** gdb's extra thread information (`info threads`). */
export function describeThread(m: Machine, t: GdbThread): string {
  if (t.kind === 'cpu') {
    const hv = hvState(m);
    const loaded = hv?.pcpus[t.cpu]?.loaded;
    return `cpu${t.cpu} ${m.cpuState(t.cpu)} EL${m.core.el(t.cpu)}${loaded ? ` vm${loaded[0]} vcpu${loaded[1]}` : ''}`;
  }
  const hv = hvState(m)!;
  const vc = hv.vms.find((v) => v.id === t.vm)?.vcpus.find((v) => v.id === t.vcpu);
  const p = hv.pcpus[t.pcpu];
  const onCpu = p?.loaded?.[0] === t.vm && p.loaded[1] === t.vcpu;
  const where = onCpu ? (p!.running ? `running on cpu${t.pcpu}` : `loaded on cpu${t.pcpu}`) : `saved, on cpu${t.pcpu}'s run queue`;
  return `vm${t.vm} vcpu${t.vcpu} ${vc?.run ?? '?'} ${where}`;
}
