// The virtio-mmio window as a guest sees it through Stage-2 faults and the
// hypervisor's MMIO emulation: real guest loads, one transport per slot.
import { describe, expect, it } from 'vitest';
import { hvMachine } from './testing.js';
import { guestImage, res, EXC_LOG, readGuest64 } from './testGuest.js';
import { VIRTIO_BLK_SLOT, VIRTIO_NET_SLOT } from './hypervisor.js';

const MiB = 1 << 20;
const slotBase = (n: number): number => 0x0a00_0000 + n * 0x200;
const load = (n: number, addr: number, insn = 'ldr w1'): string =>
  `    ldr x0, =0x${addr.toString(16)}\n    ${insn}, [x0]\n    ldr x9, =RES\n    str x1, [x9, #${n * 8}]\n`;

describe('virtio-mmio window under the hypervisor', () => {
  it('identifies virtio-blk and virtio-net at the top slots, empty slots read DeviceID 0, bad widths abort', () => {
    const blk = slotBase(VIRTIO_BLK_SLOT);
    const net = slotBase(VIRTIO_NET_SLOT);
    const image = guestImage({
      main: [
        load(0, blk), load(1, blk + 4), load(2, blk + 8), load(3, blk + 0x100), load(4, blk + 0x104),
        load(5, net + 8), load(6, net + 0x100, 'ldrb w1'), load(7, net + 0x105, 'ldrb w1'),
        load(8, slotBase(0)), load(9, slotBase(0) + 8),
        load(10, blk + 0x34), // QueueNumMax
        load(11, blk, 'ldrb w1'), // a byte access to a 32-bit register: external abort
      ].join(''),
    });
    const disk = new Uint8Array(64 * 512);
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image, disk }] });
    expect(r.m.run(5_000_000).kind).toBe('system-off');
    const hv = r.hv;
    expect(res(hv, 0)).toBe(0x74726976n); // MagicValue "virt"
    expect(res(hv, 1)).toBe(2n); // Version 2 (virtio 1.x MMIO)
    expect(res(hv, 2)).toBe(2n); // block device
    expect(res(hv, 3)).toBe(64n); // capacity in 512-byte sectors, low word
    expect(res(hv, 4)).toBe(0n);
    expect(res(hv, 5)).toBe(1n); // network device
    expect([res(hv, 6), res(hv, 7)]).toEqual([0x52n, 0x01n]); // MAC 52:54:00:12:34:01
    expect(res(hv, 8)).toBe(0x74726976n);
    expect(res(hv, 9)).toBe(0n); // no device behind slot 0
    expect(res(hv, 10)).toBeGreaterThan(0n);
    expect(readGuest64(hv, 0, EXC_LOG)).toBe(1n);
    expect(readGuest64(hv, 0, EXC_LOG + 8) >> 26n).toBe(0x25n);
    expect(hv.s.counters['injectedAborts']).toBe(1);
  });

  it('a VM without --disk has no virtio-blk: its slot is empty', () => {
    const image = guestImage({ main: load(0, slotBase(VIRTIO_BLK_SLOT) + 8) + load(1, slotBase(VIRTIO_NET_SLOT) + 8) });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 32 * MiB, kernel: image }] });
    expect(r.m.run(5_000_000).kind).toBe('system-off');
    expect([res(r.hv, 0), res(r.hv, 1)]).toEqual([0n, 1n]);
  });
});
