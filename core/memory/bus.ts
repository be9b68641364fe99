// The physical address map outside RAM: device windows, each a MmioDevice.
// RAM is not here (the CPU core reaches it directly in wasm memory); an
// access to an address no window covers is a bus error, which the core turns
// into a synchronous external abort. A machine with two Security states has
// two address spaces (QEMU virt, secure=on): the Secure one sees every
// window, the Non-secure one only those not mapped `secureOnly` (for it, a
// secure-only device is not there: a bus error).
import type { MmioDevice } from './mmio.js';

interface Window {
  base: number;
  size: number;
  device: MmioDevice;
  secureOnly: boolean;
}

export class PhysicalBus {
  private readonly windows: Window[] = [];

  map(base: number, size: number, device: MmioDevice, opts: { secureOnly?: boolean } = {}): void {
    for (const w of this.windows) {
      if (base < w.base + w.size && w.base < base + size) {
        throw new Error(`bus: ${device.name} at 0x${base.toString(16)} overlaps ${w.device.name}`);
      }
    }
    this.windows.push({ base, size, device, secureOnly: opts.secureOnly ?? false });
    this.windows.sort((a, b) => a.base - b.base);
  }

  private find(pa: number, size: number, secure: boolean): Window | undefined {
    for (const w of this.windows) {
      if (pa >= w.base && pa + size <= w.base + w.size) return w.secureOnly && !secure ? undefined : w;
    }
    return undefined;
  }

  /** Read `size` bytes (1, 2, 4 or 8) in the Secure (`secure`) or Non-secure
   *  space; undefined on a bus error. 8-byte accesses are two 4-byte
   *  accesses, low word first. */
  read(pa: number, size: number, cpu: number, secure = false): bigint | undefined {
    const w = this.find(pa, size, secure);
    if (!w) return undefined;
    const off = pa - w.base;
    if (w.device.accepts && !w.device.accepts(off, size, false)) return undefined;
    if (size === 8) {
      const lo = w.device.read(off, 4, cpu) >>> 0;
      const hi = w.device.read(off + 4, 4, cpu) >>> 0;
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(w.device.read(off, size, cpu) >>> 0);
  }

  /** Write; false on a bus error. */
  write(pa: number, size: number, value: bigint, cpu: number, secure = false): boolean {
    const w = this.find(pa, size, secure);
    if (!w) return false;
    const off = pa - w.base;
    if (w.device.accepts && !w.device.accepts(off, size, true)) return false;
    if (size === 8) {
      w.device.write(off, 4, Number(value & 0xffff_ffffn), cpu);
      w.device.write(off + 4, 4, Number((value >> 32n) & 0xffff_ffffn), cpu);
      return true;
    }
    w.device.write(off, size, Number(value & 0xffff_ffffn), cpu);
    return true;
  }
}
