// Trap-and-emulate GICv3 Distributor (GICD_*) and Redistributor (GICR_*)
// frames over the VM's shadow state (IHI 0069 §12.9, §12.10, §12.11), with
// affinity routing always on (ARE RAO) and a single Security state (DS RAO):
// GICD registers for INTIDs 0-31 are RAZ/WI, those live in each vCPU's
// redistributor SGI frame.
import type { VmState } from '../state.js';
import { NUM_INTIDS, slotOf, spiMaySet } from './vgic.js';

export const GICD_SIZE = 0x1_0000;
export const GICR_STRIDE = 0x2_0000;
const IIDR = 0x0300_043b; // ARM implementer
const PIDR2_GICV3 = 0x3b; // ArchRev = 3

/** Callbacks for side effects beyond the shadow state. */
export interface VgicMmioHost {
  /** Something may have become deliverable to `vcpu` (or any vCPU when -1). */
  notify(vm: VmState, vcpu: number): void;
  /** The guest cleared the active state of a HW-backed interrupt of `vcpu`. */
  hwDeactivated(vm: VmState, vcpu: number, intid: number): void;
  /** vgic.ts VgicHost.vgicSpisClear: a write setting bits takes the vGIC out. */
  readonly vgicSpisClear: WeakSet<VmState['gic']>;
}

type BitArray = 'group' | 'enabled' | 'pending' | 'active';

function readBits(vm: VmState, vcpu: number, arr: BitArray, first: number): number {
  const a = vm.gic[arr];
  let v = 0;
  for (let b = 0; b < 32; b++) {
    const intid = first + b;
    if (intid >= NUM_INTIDS) break;
    if (a[slotOf(vm, vcpu, intid)]) v |= 1 << b;
  }
  return v >>> 0;
}

function writeBits(h: VgicMmioHost, vm: VmState, vcpu: number, arr: BitArray, first: number, value: number, set: boolean | null): void {
  const g = vm.gic;
  const a = g[arr];
  if (set === true) spiMaySet(h, g);
  for (let b = 0; b < 32; b++) {
    const intid = first + b;
    if (intid >= NUM_INTIDS) break;
    const s = slotOf(vm, vcpu, intid);
    const bit = (value >>> b) & 1;
    if (set === null) a[s] = bit; // plain register (IGROUPR)
    else if (bit) {
      if (!set && a[s] && g.hw[s] && arr === 'active') h.hwDeactivated(vm, vcpu, intid);
      a[s] = set ? 1 : 0;
    }
  }
  h.notify(vm, first < 32 ? vcpu : -1);
}

/** Registers common to GICD (first = 32 * n) and the GICR SGI frame (first = 0). Returns undefined when not one of them. */
function bankRead(vm: VmState, vcpu: number, off: number, size: number, spiOnly: boolean): number | undefined {
  const g = vm.gic;
  const word = (base: number): number => ((off - base) >> 2) * 32;
  const inRange = (base: number, len: number): boolean => off >= base && off < base + len;
  const len = spiOnly ? 0x80 : 4;
  const raz = (first: number): boolean => spiOnly && first < 32;
  if (inRange(0x080, len)) return raz(word(0x080)) ? 0 : readBits(vm, vcpu, 'group', word(0x080));
  if (inRange(0x100, len)) return raz(word(0x100)) ? 0 : readBits(vm, vcpu, 'enabled', word(0x100));
  if (inRange(0x180, len)) return raz(word(0x180)) ? 0 : readBits(vm, vcpu, 'enabled', word(0x180));
  if (inRange(0x200, len)) return raz(word(0x200)) ? 0 : readBits(vm, vcpu, 'pending', word(0x200));
  if (inRange(0x280, len)) return raz(word(0x280)) ? 0 : readBits(vm, vcpu, 'pending', word(0x280));
  if (inRange(0x300, len)) return raz(word(0x300)) ? 0 : readBits(vm, vcpu, 'active', word(0x300));
  if (inRange(0x380, len)) return raz(word(0x380)) ? 0 : readBits(vm, vcpu, 'active', word(0x380));
  if (inRange(0x400, spiOnly ? 0x400 : 0x20)) {
    let v = 0;
    for (let i = 0; i < size; i++) {
      const intid = off - 0x400 + i;
      if (intid >= NUM_INTIDS || (spiOnly && intid < 32)) continue;
      v |= (g.priority[slotOf(vm, vcpu, intid)]! & 0xff) << (8 * i);
    }
    return v >>> 0;
  }
  if (inRange(0xc00, spiOnly ? 0x100 : 8)) {
    const first = ((off - 0xc00) >> 2) * 16;
    if (spiOnly && first < 32) return first < 16 ? 0xaaaa_aaaa : 0;
    let v = 0;
    for (let i = 0; i < 16; i++) {
      const intid = first + i;
      if (intid < NUM_INTIDS && g.edge[slotOf(vm, vcpu, intid)]) v |= 2 << (2 * i);
    }
    return v >>> 0;
  }
  if (inRange(0xd00, len)) return 0; // IGRPMODR: RAZ/WI with DS = 1
  return undefined;
}

function bankWrite(h: VgicMmioHost, vm: VmState, vcpu: number, off: number, size: number, value: number, spiOnly: boolean): boolean {
  const g = vm.gic;
  const word = (base: number): number => ((off - base) >> 2) * 32;
  const inRange = (base: number, len: number): boolean => off >= base && off < base + len;
  const len = spiOnly ? 0x80 : 4;
  const wi = (first: number): boolean => spiOnly && first < 32;
  const bits = (base: number, arr: BitArray, set: boolean | null): boolean => {
    if (inRange(base, len)) {
      if (!wi(word(base))) writeBits(h, vm, vcpu, arr, word(base), value, set);
      return true;
    }
    return false;
  };
  if (bits(0x080, 'group', null) || bits(0x100, 'enabled', true) || bits(0x180, 'enabled', false)) return true;
  if (bits(0x200, 'pending', true) || bits(0x280, 'pending', false) || bits(0x300, 'active', true) || bits(0x380, 'active', false)) return true;
  if (inRange(0x400, spiOnly ? 0x400 : 0x20)) {
    for (let i = 0; i < size; i++) {
      const intid = off - 0x400 + i;
      if (intid >= NUM_INTIDS || (spiOnly && intid < 32)) continue;
      g.priority[slotOf(vm, vcpu, intid)] = (value >>> (8 * i)) & 0xf8; // 5 priority bits
    }
    return true;
  }
  if (inRange(0xc00, spiOnly ? 0x100 : 8)) {
    const first = ((off - 0xc00) >> 2) * 16;
    if (first < 16) return true; // SGIs: always edge (RO)
    if (spiOnly && first < 32) return true;
    for (let i = 0; i < 16; i++) {
      const intid = first + i;
      if (intid < NUM_INTIDS) g.edge[slotOf(vm, vcpu, intid)] = (value >>> (2 * i + 1)) & 1;
    }
    return true;
  }
  if (inRange(0xd00, len)) return true;
  return false;
}

/** GICD read at offset `off`; undefined = no such register (the access aborts). */
export function gicdRead(vm: VmState, vcpu: number, off: number, size: number): bigint | undefined {
  const g = vm.gic;
  switch (off) {
    case 0x0000: return BigInt(g.ctlr | 0x50); // ARE (bit 4) and DS (bit 6) RAO
    // ITLinesNumber, CPUNumber, IDbits = 10 bits, No1N: 1 of N SPI distribution is not
    // supported, so GICD_IROUTER<n>.IRM is RES0 (IHI 0069 §12.9.38, §12.9.22).
    case 0x0004: return BigInt(((NUM_INTIDS / 32 - 1) | ((vm.vcpus.length - 1) << 5) | (9 << 19) | (1 << 25)) >>> 0);
    case 0x0008: return BigInt(IIDR);
    case 0x000c: case 0x0010: return 0n; // TYPER2, STATUSR
    case 0xffe8: return BigInt(PIDR2_GICV3);
  }
  if (off >= 0x6100 && off < 0x6000 + NUM_INTIDS * 8) {
    const v = BigInt(g.route[((off - 0x6000) >> 3) - 32]! & 0xff);
    return (off & 4) ? 0n : v;
  }
  if (off >= 0x6000 && off < 0x6100) return 0n; // IROUTER<0..31>: reserved
  if (off >= 0x0800 && off < 0x0c00) return 0n; // ITARGETSR: RAZ/WI with ARE
  if (off >= 0xffd0) return BigInt([0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0x0, 0x0d, 0xf0, 0x05, 0xb1][(off - 0xffd0) >> 2] ?? 0);
  const v = bankRead(vm, vcpu, off, size, true);
  return v === undefined ? (off < GICD_SIZE ? 0n : undefined) : BigInt(v);
}

export function gicdWrite(h: VgicMmioHost, vm: VmState, vcpu: number, off: number, size: number, value: bigint): boolean {
  const g = vm.gic;
  if (off === 0) {
    g.ctlr = Number(value & 3n);
    h.notify(vm, -1);
    return true;
  }
  if (off >= 0x6100 && off < 0x6000 + NUM_INTIDS * 8) {
    if (off & 4) return true;
    const i = ((off - 0x6000) >> 3) - 32;
    g.route[i] = Number(value & 0xffn); // Aff0; IRM is RES0 (No1N)
    h.notify(vm, -1);
    return true;
  }
  if (!bankWrite(h, vm, vcpu, off, size, Number(value & 0xffff_ffffn), true)) return off < GICD_SIZE; // other registers: WI
  return true;
}

/** A redistributor frame access: `rd` = the redistributor's vCPU, `off` within its 128 KiB. */
export function gicrRead(vm: VmState, rd: number, off: number, size: number): bigint | undefined {
  const g = vm.gic;
  if (off < 0x1_0000) {
    switch (off) {
      case 0x0000: return BigInt(g.gicrCtlr[rd]!);
      case 0x0004: return BigInt(IIDR);
      case 0x0008: {
        // TYPER: Affinity_Value [63:32] (Aff0 = vCPU), Processor_Number [23:8], Last [4].
        const lo = BigInt((rd << 8) | (rd === vm.vcpus.length - 1 ? 1 << 4 : 0));
        const hi = BigInt(rd);
        return size === 8 ? (hi << 32n) | lo : lo;
      }
      case 0x000c: return BigInt(rd);
      case 0x0014: return BigInt(g.waker[rd] ? 6 : 0); // ProcessorSleep, ChildrenAsleep
      case 0xffe8: return BigInt(PIDR2_GICV3);
    }
    return 0n;
  }
  const v = bankRead(vm, rd, off - 0x1_0000, size, false);
  return BigInt(v ?? 0);
}

export function gicrWrite(h: VgicMmioHost, vm: VmState, rd: number, off: number, size: number, value: bigint): boolean {
  const g = vm.gic;
  if (off < 0x1_0000) {
    if (off === 0x0014) g.waker[rd] = Number((value >> 1n) & 1n);
    return true;
  }
  bankWrite(h, vm, rd, off - 0x1_0000, size, Number(value & 0xffff_ffffn), false);
  return true;
}
