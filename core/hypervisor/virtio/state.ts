// Every piece of virtio device state, as versioned plain-data records
// (numbers, strings, booleans, arrays, plain objects, Uint8Array): they
// survive structuredClone and CBOR. Addresses are IPAs < 2^32, kept as the
// two 32-bit halves the driver wrote (a non-zero High half is out of range).

export const VIRTIO_STATE_VERSION = 1;

/** One split virtqueue (§2.7) as configured through the virtio-mmio queue registers (§4.2.2). */
export interface VirtqueueState {
  /** QueueNum: queue size (power of 2, ≤ QueueNumMax). */
  num: number;
  /** QueueReady. */
  ready: boolean;
  /** QueueDescLow/High: descriptor table. */
  descLow: number;
  descHigh: number;
  /** QueueDriverLow/High: available ring. */
  driverLow: number;
  driverHigh: number;
  /** QueueDeviceLow/High: used ring. */
  deviceLow: number;
  deviceHigh: number;
  /** The device's next avail ring index to consume (free-running u16). */
  lastAvailIdx: number;
  /** The device's used ring idx (free-running u16). */
  usedIdx: number;
}

export interface BlkCounters {
  reads: number;
  writes: number;
  flushes: number;
  getIds: number;
  unsupported: number;
  ioErrors: number;
  bytesRead: number;
  bytesWritten: number;
}

export interface BlkState {
  /** Disk size in bytes (a multiple of 512). */
  capacityBytes: number;
  /** copy-on-write overlay: 4 KiB chunk index (decimal string) -> chunk bytes */
  overlay: Record<string, Uint8Array>;
  counters: BlkCounters;
}

export interface NetCounters {
  /** Frames the guest sent that went to the vswitch. */
  txFrames: number;
  /** Frames the guest sent that were dropped (size out of range). */
  txDrops: number;
  /** Frames placed into the guest's RX buffers. */
  rxFrames: number;
  /** Frames dropped because the guest's RX buffer was too small. */
  rxDrops: number;
}

export interface NetState {
  /** 6 bytes. */
  mac: number[];
  /** The vswitch port this device is plugged into. */
  port: number;
  counters: NetCounters;
}

/** One virtio-mmio v2 transport (§4.2.2) with its device. */
export interface VirtioMmioState {
  version: number;
  kind: 'blk' | 'net';
  /** Transport slot n: registers at VIRTIO_MMIO_BASE + n*VIRTIO_MMIO_STRIDE, SPI VIRTIO_SPI_BASE + n. */
  slot: number;
  deviceFeaturesSel: number;
  driverFeaturesSel: number;
  /** DriverFeatures words 0 (bits 0..31) and 1 (bits 32..63). */
  driverFeatures: number[];
  /** Device status (§2.1). */
  status: number;
  queueSel: number;
  queues: VirtqueueState[];
  interruptStatus: number;
  configGeneration: number;
  shmSel: number;
  blk?: BlkState;
  net?: NetState;
}

export interface VswitchPortState {
  /** frames waiting for the port's guest RX buffers, oldest first, bounded (VSWITCH_RX_QUEUE_MAX; drop + count when full) */
  rx: Uint8Array[];
  rxDrops: number;
  /** Frames this port sent into the switch (accepted). */
  txFrames: number;
  /** Frames queued to this port's rx. */
  rxFrames: number;
}

export interface VswitchState {
  version: number;
  /** learned MAC (12 hex digits) -> port */
  macTable: Record<string, number>;
  ports: VswitchPortState[];
  /** Frames dropped on entry: shorter than 14 bytes or from a port that does not exist. */
  runtDrops: number;
}
