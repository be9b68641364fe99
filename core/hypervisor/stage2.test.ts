// Stage-2 tables in RAM: 2 MiB blocks, a 4 KiB hole splits its block into
// pages, and the PE's own walk (a guest access) agrees with ours.
import { describe, expect, it } from 'vitest';
import { s2Translate, s2UnmapPage } from './stage2.js';
import { hvMachine } from './testing.js';
import { guestImage, readGuest64, EXC_LOG, res } from './testGuest.js';

const MiB = 1 << 20;

describe('Stage 2', () => {
  it('maps guest RAM with 2 MiB blocks; unmapping one 4 KiB page splits its block and leaves the neighbours mapped', () => {
    const hole = 0x4060_3000;
    const image = guestImage({
      main: `
    ldr x0, =${hole - 8}
    ldr x1, =0x1111
    str x1, [x0]
    ldr x0, =${hole}
    ldr x2, [x0]
    ldr x0, =${hole + 0x1000}
    str x1, [x0]
    ldr x3, [x0]
    ldr x9, =RES
    str x3, [x9]
`,
    });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: 16 * MiB, kernel: image }] });
    const vm = r.hv.s.vms[0]!;
    const core = r.m.core;
    const before = r.hv.s.reserveNext;
    expect(s2Translate(core, vm.s2Root, 0x4060_0000)).toBe(vm.backingPa + 0x60_0000);
    s2UnmapPage(core, r.hv.s, vm.s2Root, hole);
    expect(r.hv.s.reserveNext - before).toBe(0x1000); // one level-3 table
    expect(s2Translate(core, vm.s2Root, hole)).toBe(-1);
    expect(s2Translate(core, vm.s2Root, hole - 8)).toBe(vm.backingPa + (hole - 8 - 0x4000_0000));
    expect(s2Translate(core, vm.s2Root, hole + 0x1000)).toBe(vm.backingPa + (hole + 0x1000 - 0x4000_0000));
    expect(s2Translate(core, vm.s2Root, 0x4000_0000 + 16 * MiB)).toBe(-1);
    core.invalidateVmid(1, vm.vmid); // TLBI VMALLS12E1 for the VM
    expect(r.m.run(1_000_000)).toEqual({ kind: 'system-off' });
    expect(readGuest64(r.hv, 0, EXC_LOG)).toBe(1n); // only the hole faulted
    expect(readGuest64(r.hv, 0, EXC_LOG + 16)).toBe(BigInt(hole));
    expect(res(r.hv, 0)).toBe(0x1111n);
    expect(readGuest64(r.hv, 0, hole - 8)).toBe(0x1111n);
  });
});
