// The hypervisor's whole mutable state as one versioned plain-data record
// (numbers, strings, arrays, plain objects; 64-bit values as hex strings),
// registered with the machine as component 'hypervisor' so snapshots carry it.

import { VIRTIO_STATE_VERSION, type VirtioMmioState, type VswitchState } from './virtio/state.js';
import { createVswitch } from './virtio/vswitch.js';
import { createVirtioBlk, createVirtioNet } from './virtio/transport.js';
import { upgradeRecord, type RecordSchema } from '../stateRecord.js';
import type { PflashState } from '../devices/pflash.js';
import type { FfaProxyState } from './ffa/state.js';
import { initialFfaState } from './ffa/setup.js';

/** 2: virtio-mmio devices per VM and the vswitch; 3: the console escape; 4: the FF-A proxy. */
export const HV_STATE_VERSION = 6;

/** 'paused': stopped by the EL2 monitor (never scheduled until it resumes them). */
export type VcpuRunState = 'off' | 'on-pending' | 'runnable' | 'running' | 'blocked' | 'paused';

/** A vCPU's saved EL1 context (present while the vCPU is not loaded on a pCPU). */
export interface VcpuContext {
  x: string[]; // X0..X30
  pc: string; // ELR_EL2 at the exit
  pstate: string; // SPSR_EL2 at the exit
  spEl0: string;
  spEl1: string;
  /** EL1/EL0 system registers by name (see vcpu.ts CONTEXT_SYSREGS). */
  sys: Record<string, string>;
  v: string[]; // V0..V31 as lo,hi pairs flattened (64 strings)
  fpcr: string;
  fpsr: string;
  /** Timers: CNTV_CTL/CVAL, CNTP_CTL/CVAL. */
  cntvCtl: number;
  cntvCval: string;
  cntpCtl: number;
  cntpCval: string;
  /** GIC virtual CPU interface: ICH_VMCR_EL2, ICH_AP0R0_EL2, ICH_AP1R0_EL2. */
  vmcr: string;
  ap0r: string;
  ap1r: string;
}

export interface VcpuState {
  id: number;
  run: VcpuRunState;
  /** pCPU the vCPU is assigned to (static affinity). */
  pcpu: number;
  /** Saved context, null while loaded on its pCPU. */
  ctx: VcpuContext | null;
  exits: number;
}

/** Shadow vGIC state of one VM. Per-interrupt arrays are indexed by "slot":
 *  vcpu * 32 + intid for SGIs/PPIs, numVcpus * 32 + (intid - 32) for SPIs. */
export interface VgicState {
  ctlr: number; // GICD_CTLR: EnableGrp0 (bit 0), EnableGrp1 (bit 1)
  // Per interrupt slot (vgic.ts slotOf), 0 or 1 (never another truthy value:
  // vgicFlush finds the set ones with indexOf(1)).
  enabled: number[];
  pending: number[];
  active: number[];
  priority: number[];
  group: number[];
  edge: number[]; // 1 = edge-triggered (ICFGR 0b10)
  level: number[]; // input level of a level-sensitive emulated source
  hw: number[]; // 1 = backed by a physical PPI of the same INTID (timers)
  /** IROUTER of each SPI: Aff0 of the target vCPU (IRM is RES0: the vGIC reports GICD_TYPER.No1N). */
  route: number[];
  /** Per vCPU: GICR_WAKER.ProcessorSleep and GICR_CTLR. */
  waker: number[];
  gicrCtlr: number[];
  /** Per vCPU: slots placed in the list registers at the last entry (-1 = empty). */
  lrSlot: number[][];
}

export interface VuartState {
  rx: number[];
  cr: number;
  lcrh: number;
  ibrd: number;
  fbrd: number;
  ifls: number;
  imsc: number;
  ris: number;
  dmacr: number;
  /** Bytes of the current output line (several VMs share the console: see HvState.consoleOwner). */
  line: number[];
}

export interface VrtcState {
  /** Seconds added to the physical RTC (from writes to RTCLR). */
  offset: number;
  mr: number;
  cr: number;
  imsc: number;
  ris: number;
}

/** A VM's two CFI flash banks (vflash.ts): their contents live in machine
 *  RAM at backingPa (bank 1 follows bank 0), mapped read-only at IPA 0 while
 *  a bank is in read-array mode. */
export interface VmFlashState {
  backingPa: number;
  /** The CFI command state of each bank. */
  banks: PflashState[];
  /** Whether bank b is mapped in Stage 2 now (it is exactly while in read-array mode). */
  mapped: boolean[];
  /** Whether the guest has programmed or erased bank b. */
  written: boolean[];
}

export interface VmState {
  id: number;
  vmid: number;
  name: string;
  ramIpa: number;
  ramBytes: number;
  backingPa: number;
  /** Stage-2 start table (VTTBR_EL2.BADDR). */
  s2Root: number;
  cntvoff: string;
  vcpus: VcpuState[];
  gic: VgicState;
  uart: VuartState;
  rtc: VrtcState;
  /** virtio-mmio transports with their devices (virtio-net always, virtio-blk with a disk), by slot. */
  virtio: VirtioMmioState[];
  /** 'running' until the guest calls SYSTEM_OFF / SYSTEM_RESET. */
  power: 'running' | 'off' | 'reset';
  /** The VM's flash (--bios, --pflash); absent when it has none (records before flash have none). */
  flash?: VmFlashState;
}

export interface PcpuState {
  started: boolean;
  /** [vm, vcpu] loaded on this pCPU (its context is in the registers), or null. */
  loaded: [number, number] | null;
  /** Whether the loaded vCPU is executing (false: the pCPU idles at EL2). */
  running: boolean;
  /** vCPUs assigned to this pCPU, in round-robin order. */
  runq: Array<[number, number]>;
  /** Index in runq of the last vCPU scheduled in. */
  rr: number;
  /** Counter value at which the current time slice ends. */
  sliceEnd: string;
  /** List registers written by the last vGIC flush on this pCPU. */
  lrUsed: number;
}

export interface HvState {
  version: typeof HV_STATE_VERSION;
  /** Bump allocator over the hypervisor reserve (Stage-2 tables). */
  reserveBase: number;
  reserveBytes: number;
  reserveNext: number;
  vms: VmState[];
  pcpus: PcpuState[];
  /** Recent hypervisor log lines (DUMP_LOG), bounded. */
  log: string[];
  counters: Record<string, number>;
  /** The L2 switch between the VMs' virtio-net devices (port = VM id). */
  vswitch: VswitchState;
  /** With several VMs: the VM whose unfinished line is on the physical console (its
   *  uart.line), -1 for none. Other VMs' lines wait for a newline, then are printed
   *  between a break and a redraw of that partial line (a shell prompt stays visible). */
  consoleOwner: number;
  /** The VM that receives console input: VM 0, then the next running VM when it
   *  powers off, or the one chosen with the console escape (Ctrl-A <digit>). */
  consoleVm: number;
  /** The last console input byte was the escape (Ctrl-A): the next one is a console command. */
  consoleEscape: boolean;
  /** The FF-A proxy (ffa/state.ts). */
  ffa: FfaProxyState;
}

/** Versions read (core/stateRecord.ts): 1 -> 2 adds virtio, 2 -> 3 the console escape, 3 -> 4 the FF-A proxy,
 *  4 -> 5 the proxy's notification bitmaps and RX/TX pairs at the SPMC per VM, 5 -> 6 memory VMs retrieved from partitions. */
export const HV_STATE_SCHEMA: RecordSchema = {
  name: 'hypervisor state',
  version: HV_STATE_VERSION,
  steps: {
    // VMs built before virtio have no virtio devices; an empty vswitch;
    // console input with VM 0; a console line a VM had buffered under version
    // 1's line buffering is dropped (cosmetic: the bytes were console output).
    1: (x) => {
      const vms = x['vms'] as Array<Record<string, unknown>> | undefined;
      if (!Array.isArray(vms)) return new Error('it has no vms');
      for (const vm of vms) {
        vm['virtio'] = [];
        const uart = vm['uart'] as { line?: number[] } | undefined;
        if (uart) uart.line = [];
      }
      x['vswitch'] = createVswitch(vms.length);
      x['consoleOwner'] = -1;
      x['consoleVm'] = 0;
    },
    // The console escape (Ctrl-A) moved from the monitor into the console: no escape pending.
    2: (x) => {
      x['consoleEscape'] = false;
    },
    // Before the FF-A proxy: no VM has called FF-A; each owns its RAM.
    3: (x) => {
      const vms = x['vms'] as Array<{ id: number; backingPa: number; ramBytes: number }>;
      const pcpus = x['pcpus'] as unknown[] | undefined;
      if (!Array.isArray(pcpus)) return new Error('it has no pcpus');
      x['ffa'] = initialFfaState(pcpus.length, vms);
    },
    // Before notifications and indirect messages for VMs: no VM's bitmap or RX/TX pair at the SPMC.
    4: (x) => {
      const ffa = x['ffa'] as { vms?: Array<Record<string, unknown>> } | undefined;
      if (!ffa || !Array.isArray(ffa.vms)) return new Error('it has no ffa.vms');
      for (const v of ffa.vms) Object.assign(v, { spmcBitmap: false, spmcRxtx: false, rxAcquired: false });
    },
    // Before memory partitions send to VMs: no VM has retrieved any.
    5: (x) => {
      const ffa = x['ffa'] as Record<string, unknown> | undefined;
      if (!ffa || typeof ffa !== 'object') return new Error('it has no ffa');
      ffa['spBorrows'] = [];
    },
  },
};

/** The virtio device and vswitch records inside the hypervisor's (their own version). */
export const VIRTIO_SCHEMA: RecordSchema = { name: 'virtio device state', version: VIRTIO_STATE_VERSION };
export const VSWITCH_SCHEMA: RecordSchema = { name: 'vswitch state', version: VIRTIO_STATE_VERSION };

/**
 * A state record of any supported version as the current version (a new
 * object; the input is not changed): upgraded step by step, then every field
 * added since taken from `defaults` (the state of a freshly attached
 * hypervisor), the virtio records inside too. Throws a StateRecordError
 * naming why it cannot.
 */
export function upgradeHvState(st: unknown, defaults?: HvState): HvState {
  const x = upgradeRecord<HvState>(HV_STATE_SCHEMA, st, defaults);
  x.vswitch = upgradeRecord(VSWITCH_SCHEMA, x.vswitch, createVswitch(x.vms.length));
  for (const vm of x.vms) vm.virtio = vm.virtio.map((d) => upgradeRecord<VirtioMmioState>(VIRTIO_SCHEMA, d, freshDevice(d, vm.id)));
  return x;
}

/** A device of the same kind, slot and identity at reset (the defaults for fields added since). */
function freshDevice(d: VirtioMmioState, vmId: number): VirtioMmioState {
  return d.kind === 'blk'
    ? createVirtioBlk(d.slot, d.blk?.capacityBytes ?? 0)
    : createVirtioNet(d.slot, d.net?.mac ?? [0, 0, 0, 0, 0, 0], d.net?.port ?? vmId);
}
