// vGIC core: shadow interrupt state per VM and its injection through the
// GIC virtual CPU interface (ICH_LR<n>_EL2, GICv3 spec IHI 0069 §6 and §12.4).
//
// At every exit the list registers are read back into the shadow state
// (sync); at every entry the highest-priority deliverable interrupts of the
// vCPU are written back (flush): active ones first (the guest must find them
// to EOI), then pending ones by priority. When more are pending than there
// are LRs, ICH_HCR_EL2.NPIE asks for a maintenance interrupt once no LR holds
// a pending interrupt, and the next exit refills them.
import { ICH_HCR_EL2, ICH_LR_EL2 } from '../../devices/gicv3/registers.js';
import type { VgicState, VmState } from '../state.js';

export const NUM_INTIDS = 288; // as QEMU virt: 256 SPIs
export const NUM_LRS = 4;
const ICH_HCR_EN = 1n;
const ICH_HCR_UIE = 2n;
const ICH_HCR_NPIE = 8n;

/** The hypervisor services the vGIC needs (physical GIC system registers). */
export interface VgicHost {
  sysRead(cpu: number, key: number): bigint;
  sysWrite(cpu: number, key: number, value: bigint): void;
  /** Level of the physical source of a HW interrupt (the timer output) on `cpu`. */
  hwLevel(cpu: number, intid: number): boolean;
  /** Deactivate a HW interrupt's physical INTID on `cpu` (it was dropped before the guest took it). */
  hwDrop(cpu: number, intid: number): void;
  /** The vGICs whose SPI slots are known to hold no pending or active bit,
   *  so that vgicFlush, which runs before every entry, need not scan their
   *  256 SPIs. Not state: it only ever says what a scan would find. A vGIC
   *  goes in when a flush's scan finds nothing, and out at every write that
   *  may set an SPI's pending or active bit (spiMaySet); a restore brings
   *  new VgicState objects, which are not in it. */
  readonly vgicSpisClear: WeakSet<VgicState>;
}

/** An SPI's pending or active bit may have been set: the next flush scans. */
export function spiMaySet(h: { readonly vgicSpisClear: WeakSet<VgicState> }, g: VgicState): void {
  h.vgicSpisClear.delete(g);
}

/** A HW-backed level interrupt pending but not active follows its source
 *  (KVM resamples mapped level interrupts the same way): when the timer no
 *  longer asserts its output, the pending state goes and the physical PPI,
 *  left active since the hypervisor acknowledged it, is deactivated. */
function resampleHw(h: VgicHost, cpu: number, vm: VmState, slot: number): void {
  const g = vm.gic;
  const intid = intidOf(vm, slot);
  if (g.hw[slot] && g.pending[slot] && !g.active[slot] && !h.hwLevel(cpu, intid)) {
    g.pending[slot] = 0;
    h.hwDrop(cpu, intid);
  }
}

export function createVgic(numVcpus: number): VgicState {
  const n = numVcpus * 32 + (NUM_INTIDS - 32);
  const z = (): number[] => new Array<number>(n).fill(0);
  const edge = z();
  for (let v = 0; v < numVcpus; v++) for (let i = 0; i < 16; i++) edge[v * 32 + i] = 1; // SGIs are edge-triggered
  return {
    ctlr: 0, enabled: z(), pending: z(), active: z(), priority: z(), group: z(), edge, level: z(), hw: z(),
    route: new Array<number>(NUM_INTIDS - 32).fill(0),
    waker: new Array<number>(numVcpus).fill(1), // ProcessorSleep = 1 at reset
    gicrCtlr: new Array<number>(numVcpus).fill(0),
    lrSlot: Array.from({ length: numVcpus }, () => []),
  };
}

export function slotOf(vm: VmState, vcpu: number, intid: number): number {
  return intid < 32 ? vcpu * 32 + intid : vm.vcpus.length * 32 + (intid - 32);
}
export function intidOf(vm: VmState, slot: number): number {
  const priv = vm.vcpus.length * 32;
  return slot < priv ? slot % 32 : slot - priv + 32;
}
/** The vCPU an interrupt slot is delivered to. */
export function targetOf(vm: VmState, slot: number): number {
  const priv = vm.vcpus.length * 32;
  if (slot < priv) return Math.floor(slot / 32);
  const r = vm.gic.route[slot - priv]!; // Aff0 of GICD_IROUTER (IRM is RES0: GICD_TYPER.No1N)
  return r < vm.vcpus.length ? r : 0;
}

function groupEnabled(g: VgicState, slot: number): boolean {
  return (g.ctlr & (g.group[slot] ? 2 : 1)) !== 0;
}

/** Is an interrupt pending and deliverable to `vcpu` (the WFI wake-up condition)? */
export function hasPendingFor(vm: VmState, vcpu: number): boolean {
  const g = vm.gic;
  const base = vcpu * 32;
  for (let s = base; s < base + 32; s++) if (g.pending[s] && g.enabled[s] && groupEnabled(g, s)) return true;
  const priv = vm.vcpus.length * 32;
  for (let s = priv; s < g.pending.length; s++) if (g.pending[s] && g.enabled[s] && groupEnabled(g, s) && targetOf(vm, s) === vcpu) return true;
  return false;
}

/** Make an interrupt pending (edge) or drive its level (level-sensitive emulated source). */
export function raise(h: VgicHost, vm: VmState, slot: number): void {
  vm.gic.pending[slot] = 1;
  spiMaySet(h, vm.gic);
}
export function setLevel(h: VgicHost, vm: VmState, slot: number, level: boolean): void {
  const g = vm.gic;
  g.level[slot] = level ? 1 : 0;
  if (level) {
    g.pending[slot] = 1;
    spiMaySet(h, g);
  }
  else if (!g.edge[slot] && !g.hw[slot]) g.pending[slot] = 0;
}

/** Read the list registers back into the shadow state (at an exit on `cpu`). */
export function vgicSync(h: VgicHost, cpu: number, vm: VmState, vcpu: number): void {
  // The LRs themselves are left as they are: the next flush on this pCPU rewrites them.
  const g = vm.gic;
  const slots = g.lrSlot[vcpu]!;
  if (slots.length === 0) return;
  spiMaySet(h, g);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    const lr = h.sysRead(cpu, ICH_LR_EL2(i));
    const st = Number(lr >> 62n);
    if (st & 1) g.pending[slot] = 1;
    g.active[slot] = (st >> 1) & 1;
    if (st === 1) resampleHw(h, cpu, vm, slot);
    if (!g.edge[slot] && !g.hw[slot] && g.level[slot] && !g.active[slot]) g.pending[slot] = 1;
  }
  g.lrSlot[vcpu] = [];
}

const cand: number[] = [];

/** A flush candidate: active, or pending and deliverable. */
function consider(g: VgicState, s: number): void {
  if (g.active[s] || (g.pending[s] && g.enabled[s] && groupEnabled(g, s))) cand.push(s);
}

/** Write the vCPU's deliverable interrupts into the list registers (before
 *  an entry on `cpu`); `prevUsed` LRs were written by the last flush there.
 *  Returns how many LRs are now in use. */
export function vgicFlush(h: VgicHost, cpu: number, vm: VmState, vcpu: number, prevUsed: number): number {
  const g = vm.gic;
  cand.length = 0;
  const base = vcpu * 32;
  const pending = g.pending;
  const active = g.active;
  for (let s = base; s < base + 32; s++) {
    if ((pending[s]! | active[s]!) === 0) continue; // bits are 0 or 1
    if (g.hw[s] && !active[s]) resampleHw(h, cpu, vm, s);
    if (pending[s] || active[s]) consider(g, s);
  }
  // The SPIs, unless known clear: visited in ascending order by jumping from
  // one set bit to the next (indexOf is a builtin scan).
  if (!h.vgicSpisClear.has(g)) {
    const priv = vm.vcpus.length * 32;
    let p = pending.indexOf(1, priv);
    let a = active.indexOf(1, priv);
    if (p < 0 && a < 0) h.vgicSpisClear.add(g);
    while (p >= 0 || a >= 0) {
      const s = p < 0 ? a : a < 0 ? p : Math.min(p, a);
      if (targetOf(vm, s) === vcpu) consider(g, s);
      if (s === p) p = pending.indexOf(1, s + 1);
      if (s === a) a = active.indexOf(1, s + 1);
    }
  }
  if (cand.length === 0 && prevUsed === 0) return 0;
  if (cand.length > 1) {
    cand.sort((a, b) => (g.active[b]! - g.active[a]!) || (g.priority[a]! - g.priority[b]!) || (intidOf(vm, a) - intidOf(vm, b)));
  }
  const n = Math.min(cand.length, NUM_LRS);
  const used: number[] = [];
  let anyPending = false;
  for (let i = 0; i < n; i++) {
    const s = cand[i]!;
    const intid = intidOf(vm, s);
    const hw = g.hw[s] === 1;
    let state = (g.active[s] ? 2 : 0) | (g.pending[s] && g.enabled[s] && groupEnabled(g, s) ? 1 : 0);
    if (hw && state === 3) state = 2; // a HW interrupt is never pending and active in an LR (§12.4.x ICH_LR)
    if (state & 1) {
      g.pending[s] = 0; // the pending state now lives in the LR
      anyPending = true;
    }
    let lr = (BigInt(state) << 62n) | (BigInt(g.group[s] ? 1 : 0) << 60n) | (BigInt(g.priority[s]! & 0xff) << 48n) | BigInt(intid);
    if (hw) lr |= (1n << 61n) | (BigInt(intid) << 32n);
    h.sysWrite(cpu, ICH_LR_EL2(i), lr);
    used.push(s);
  }
  for (let i = n; i < prevUsed; i++) h.sysWrite(cpu, ICH_LR_EL2(i), 0n);
  g.lrSlot[vcpu] = used;
  const more = cand.length > n;
  h.sysWrite(cpu, ICH_HCR_EL2, ICH_HCR_EN | (more ? (anyPending ? ICH_HCR_NPIE : ICH_HCR_UIE) : 0n));
  return n;
}

/** Empty every LR a flush wrote (before the pCPU idles or switches VM). */
export function vgicClear(h: VgicHost, cpu: number, prevUsed: number): void {
  for (let i = 0; i < prevUsed; i++) h.sysWrite(cpu, ICH_LR_EL2(i), 0n);
  h.sysWrite(cpu, ICH_HCR_EL2, ICH_HCR_EN);
}
