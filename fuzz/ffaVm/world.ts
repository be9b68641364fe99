// The real side of `hvrr fuzz ffa --vm`: a hypervisor machine with two VMs
// (one vCPU each, 4 MiB of RAM), no guest code run. A call is made as a
// guest makes it: the descriptor written into the VM's TX buffer in guest
// memory, x0-x17 set in the pCPU's registers, and the proxy's real entry
// (core/hypervisor/ffa/proxy.ts ffaCall) called as the trap handler calls
// it; the answer is read back from x0-x7.
//
// A machine costs about 45 ms to build and 12-20 ms to restore from a full
// capture (24 MiB of RAM and 16 MiB of secure RAM copied): a campaign builds
// one, and each case starts from its initial state restored with the
// hypervisor's own loadState and the RAM pages the last case wrote (the
// core's dirty map) copied back, about 1-2 ms. The dirty map also tells
// which pages a call wrote (a refused call must write none).
import { FFA_RXTX_MAP_64, FFA_VERSION } from '../../core/ffa/functionIds.js';
import { isFfaError, type FfaResult } from '../../core/ffa/result.js';
import { ffaCall } from '../../core/hypervisor/ffa/proxy.js';
import { BORROW_IPA_BASE } from '../../core/hypervisor/ffa/ownership.js';
import { GUEST_RAM_IPA, HYPERVISOR_COMPONENT, Hypervisor, machineRamFor, type HypervisorConfig } from '../../core/hypervisor/hypervisor.js';
import { Machine, RAM_BASE } from '../../core/machine.js';
import type { MutationName } from '../../core/mutations.js';

export const PAGE = 0x1000;
const MiB = 1 << 20;
export const VM_RAM_BYTES = 4 * MiB;
/** The VMs' FF-A IDs (VM k is k + 1). */
export const VMS = [1, 2] as const;
export const vmIndexOf = (id: number): number => id - 1;
export const otherVm = (id: number): number => 3 - id;

/** Each VM's pages in play: 10 small pages (sends pick 1-3 from the first 8), a 256-page area whose
 *  one-constituent-per-page send needs FFA_MEM_FRAG_TX (and, sent in descending order so no two
 *  constituents merge, a retrieve response in two fragments), and four RX/TX candidates. */
export const AREA_IPA = GUEST_RAM_IPA + 0x10_0000;
export const AREA_PAGES = 10;
export const BIG_IPA = GUEST_RAM_IPA + 0x20_0000;
export const BIG_PAGES = 256;
export const BUFFER_IPAS = [0x4030_0000, 0x4030_1000, 0x4030_2000, 0x4030_3000] as const;
/** An IPA nothing maps; the last page of RAM (a two-page range from it runs past RAM); one past 4 GiB. */
export const UNMAPPED_IPA = 0x3000_0000;
export const RAM_LAST_IPA = GUEST_RAM_IPA + VM_RAM_BYTES - PAGE;
export const BEYOND_IPA = 0xffff_f000;
export { BORROW_IPA_BASE, RAM_BASE };

/** The byte the small and big areas are filled with at the start (so a clear is seen). */
export const FILL = 0x5a;

export interface CallOutcome {
  r: FfaResult;
  /** RAM pages (indexes from RAM_BASE) the call wrote. */
  written: number[];
}

export class VmWorld {
  readonly m: Machine;
  readonly hv: Hypervisor;
  private readonly initialHv: unknown;
  private readonly initialRam: Uint8Array;
  /** Pages written since the initial state (copied back at the next reset). */
  private readonly touched = new Set<number>();

  constructor(mutation: MutationName | '') {
    const cfg: HypervisorConfig = { vms: VMS.map(() => ({ numVcpus: 1, ramBytes: VM_RAM_BYTES, kernel: new Uint8Array(16) })) };
    this.m = new Machine({ numCpus: 1, ramBytes: machineRamFor(cfg), seed: 7n, ...(mutation ? { mutation } : {}) });
    this.hv = new Hypervisor(this.m, cfg);
    const fill = new Uint8Array(PAGE).fill(FILL);
    for (const id of VMS) {
      for (let i = 0; i < AREA_PAGES; i++) this.m.core.writePhys(this.paOf(id, AREA_IPA + i * PAGE), fill);
      for (let i = 0; i < BIG_PAGES; i++) this.m.core.writePhys(this.paOf(id, BIG_IPA + i * PAGE), fill);
    }
    this.initialHv = this.m.component(HYPERVISOR_COMPONENT).getState();
    this.initialRam = this.m.core.ramView().slice();
    this.m.core.resetDirty();
  }

  /** The PA behind `ipa` of VM `id`'s own RAM. */
  paOf(id: number, ipa: number): number {
    return this.hv.s.vms[vmIndexOf(id)]!.backingPa + (ipa - GUEST_RAM_IPA);
  }

  backingPa(id: number): number {
    return this.hv.s.vms[vmIndexOf(id)]!.backingPa;
  }

  /** Back to the initial state: the hypervisor's record and every RAM page written since. */
  reset(): void {
    this.m.component(HYPERVISOR_COMPONENT).loadState(this.initialHv);
    for (const p of this.m.core.dirtyRamPages()) this.touched.add(p);
    const ram = this.m.core.ramView();
    for (const p of this.touched) ram.set(this.initialRam.subarray(p * PAGE, (p + 1) * PAGE), p * PAGE);
    this.touched.clear();
    this.m.core.resetDirty();
    this.m.core.invalidateVmid(1, this.hv.s.vms[0]!.vmid);
    this.m.core.invalidateVmid(1, this.hv.s.vms[1]!.vmid);
  }

  /** Each VM negotiates `versions[i]` and maps a one-page RX/TX pair (TX BUFFER_IPAS[0], RX [1]). */
  start(versions: readonly number[]): string | null {
    for (const id of VMS) {
      const v = this.call(id, [BigInt(FFA_VERSION), BigInt(versions[vmIndexOf(id)]!)]).r;
      if (v.x[0] !== 0x1_0002n) return `FFA_VERSION from VM ${id} answered 0x${v.x[0]!.toString(16)}`;
    }
    for (const id of VMS) {
      const r = this.call(id, [BigInt(FFA_RXTX_MAP_64), BigInt(BUFFER_IPAS[0]), BigInt(BUFFER_IPAS[1]), 1n]).r;
      if (isFfaError(r)) return `FFA_RXTX_MAP_64 from VM ${id} refused`;
    }
    return null;
  }

  /** VM `id`'s call with x0.. = `x` (the rest zero), `tx` written into its TX buffer first (when mapped). */
  call(id: number, x: readonly bigint[], tx?: Uint8Array): CallOutcome {
    const core = this.m.core;
    const f = this.hv.s.ffa.vms[vmIndexOf(id)]!;
    if (tx && f.rxtx) core.writePhys(f.rxtx.txPa, tx);
    for (const p of core.dirtyRamPages()) this.touched.add(p);
    core.resetDirty();
    const regs = core.regs(0);
    for (let i = 0; i < 18; i++) regs.setX(i, x[i] ?? 0n);
    const vm = this.hv.s.vms[vmIndexOf(id)]!;
    ffaCall(this.hv, 0, vm, vm.vcpus[0]!);
    const r: FfaResult = { x: Array.from({ length: 8 }, (_, i) => regs.x(i)), reason: '' };
    return { r, written: core.dirtyRamPages() };
  }

  /** The bytes of VM `id`'s RX buffer (null when none is mapped). */
  rx(id: number): Uint8Array | null {
    const b = this.hv.s.ffa.vms[vmIndexOf(id)]!.rxtx;
    return b ? this.m.core.readPhys(b.rxPa, b.pageCount * PAGE) : null;
  }
}
