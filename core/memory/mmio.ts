// A memory-mapped device as the physical bus sees it. Offsets are relative to
// the device's base; accesses are at most 4 bytes wide (the bus splits 8-byte
// accesses into two 4-byte ones, low word first), values are unsigned 32-bit.
// Devices answer every offset inside their window: registers the spec calls
// reserved read as zero and ignore writes (GICv3 §12.1.1, PL011 TRM) and are
// logged by the device. Accesses outside every window are the bus's business
// (a synchronous external abort), never the device's.
export interface MmioDevice {
  readonly name: string;
  /** Optional: whether the device takes an access of `sizeBytes` (1, 2, 4 or
   *  8, before the bus splits it) at `offsetBytes`; one it refuses is a bus
   *  error (QEMU's MemoryRegionOps.valid: e.g. unaligned accesses). */
  accepts?(offsetBytes: number, sizeBytes: number, isWrite: boolean): boolean;
  read(offsetBytes: number, sizeBytes: number, cpu: number): number;
  write(offsetBytes: number, sizeBytes: number, value: number, cpu: number): void;
}

// A line from a device to the interrupt controller. Devices raise interrupts
// without knowing the CPU (TinyEMU style); the GIC implements this.
export interface InterruptSink {
  setSpiLevel(intid: number, level: boolean): void;
  setPpiLevel(cpu: number, intid: number, level: boolean): void;
}
