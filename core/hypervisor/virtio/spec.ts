// virtio 1.x constants (OASIS virtio v1.2), names as in the specification.

// §4.2.2 virtio-mmio register offsets (version 2).
export const MagicValue = 0x000;
export const Version = 0x004;
export const DeviceID = 0x008;
export const VendorID = 0x00c;
export const DeviceFeatures = 0x010;
export const DeviceFeaturesSel = 0x014;
export const DriverFeatures = 0x020;
export const DriverFeaturesSel = 0x024;
export const QueueSel = 0x030;
export const QueueNumMax = 0x034;
export const QueueNum = 0x038;
export const QueueReady = 0x044;
export const QueueNotify = 0x050;
export const InterruptStatus = 0x060;
export const InterruptACK = 0x064;
export const Status = 0x070;
export const QueueDescLow = 0x080;
export const QueueDescHigh = 0x084;
export const QueueDriverLow = 0x090;
export const QueueDriverHigh = 0x094;
export const QueueDeviceLow = 0x0a0;
export const QueueDeviceHigh = 0x0a4;
export const SHMSel = 0x0ac;
export const SHMLenLow = 0x0b0;
export const SHMLenHigh = 0x0b4;
export const SHMBaseLow = 0x0b8;
export const SHMBaseHigh = 0x0bc;
export const QueueReset = 0x0c0;
export const ConfigGeneration = 0x0fc;
export const Config = 0x100;

export const VIRTIO_MMIO_MAGIC = 0x74726976; // "virt"
export const VIRTIO_MMIO_VERSION = 2;
/** VendorID: "QEMU" little-endian, as QEMU's virtio-mmio answers. */
export const VIRTIO_MMIO_VENDOR = 0x554d4551;

// §5 device IDs.
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;

// §2.1 device status bits.
export const ACKNOWLEDGE = 1;
export const DRIVER = 2;
export const DRIVER_OK = 4;
export const FEATURES_OK = 8;
export const DEVICE_NEEDS_RESET = 0x40;
export const FAILED = 0x80;

// §4.2.2 InterruptStatus bits.
export const VIRTIO_MMIO_INT_VRING = 1; // used buffer notification
export const VIRTIO_MMIO_INT_CONFIG = 2; // configuration change notification

// §6 reserved feature bits (bit numbers).
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

// §2.7.5 descriptor flags; §2.7.6 avail flags.
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Linux's name for VIRTQ_AVAIL_F_NO_INTERRUPT. */
export const VRING_AVAIL_F_NO_INTERRUPT = VIRTQ_AVAIL_F_NO_INTERRUPT;

// §5.2 block device.
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
export const VIRTIO_BLK_ID_BYTES = 20;

// §5.1 network device.
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;
/** struct virtio_net_hdr with num_buffers (always present with VIRTIO_F_VERSION_1, §5.1.6). */
export const VIRTIO_NET_HDR_LEN = 12;
