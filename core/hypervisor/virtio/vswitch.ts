// A learning L2 switch between the VMs' virtio-net devices. Each port holds a
// bounded queue of frames waiting for its guest's RX buffers.
import { VIRTIO_STATE_VERSION, type VswitchState } from './state.js';

/** Frames a port holds for its guest at most; more are dropped and counted (rxDrops). */
export const VSWITCH_RX_QUEUE_MAX = 256;
/** Learned MACs at most; once full, new source MACs are not learned (their frames still flood). */
export const VSWITCH_MAC_TABLE_MAX = 1024;
/** Destination + source MAC + EtherType. */
export const ETH_HEADER_LEN = 14;

export function createVswitch(numPorts: number): VswitchState {
  const ports = [];
  for (let i = 0; i < numPorts; i++) ports.push({ rx: [], rxDrops: 0, txFrames: 0, rxFrames: 0 });
  return { version: VIRTIO_STATE_VERSION, macTable: {}, ports, runtDrops: 0 };
}

/** 12 lowercase hex digits. */
export function macKey(frame: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += frame[off + i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * L2 switching of one Ethernet frame sent by `fromPort`: learn the source MAC -> fromPort; a unicast destination known in macTable goes to that port only (dropped if it is fromPort itself); broadcast/multicast (I/G bit) or unknown unicast floods to every other port. Returns the ports whose rx ring received it. Frames shorter than 14 bytes are dropped and counted.
 * A multicast source MAC is never learned. Each receiving port gets its own copy.
 */
export function vswitchSend(sw: VswitchState, fromPort: number, frame: Uint8Array): number[] {
  const from = sw.ports[fromPort];
  if (!from || frame.length < ETH_HEADER_LEN) {
    sw.runtDrops++;
    return [];
  }
  from.txFrames++;
  const src = macKey(frame, 6);
  if ((frame[6]! & 1) === 0 && (src in sw.macTable || Object.keys(sw.macTable).length < VSWITCH_MAC_TABLE_MAX)) {
    sw.macTable[src] = fromPort;
  }
  let targets: number[];
  const known = (frame[0]! & 1) === 0 ? sw.macTable[macKey(frame, 0)] : undefined;
  if (known !== undefined) targets = known === fromPort ? [] : [known];
  else targets = sw.ports.map((_, i) => i).filter((i) => i !== fromPort);
  const delivered: number[] = [];
  for (const t of targets) {
    const p = sw.ports[t]!;
    if (p.rx.length >= VSWITCH_RX_QUEUE_MAX) {
      p.rxDrops++;
      continue;
    }
    p.rx.push(frame.slice());
    p.rxFrames++;
    delivered.push(t);
  }
  return delivered;
}
