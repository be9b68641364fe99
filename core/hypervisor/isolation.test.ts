// Isolation: a hostile guest cannot reach another VM's memory, the
// hypervisor's reserve (Stage-2 tables) or the secure RAM, whatever it names
// directly, maps in Stage 1, walks Stage-1 tables through, or pokes through
// the emulated devices; each attempt ends as an abort injected into the
// guest (or an error code), never a host exception.
import { describe, expect, it } from 'vitest';
import { hvMachine } from './testing.js';
import { guestImage, readGuest64, res, EXC_LOG, RESULTS_IPA } from './testGuest.js';
import { HV_RESERVE_BYTES } from './hypervisor.js';
import { RAM_BASE } from '../machine.js';

const MiB = 1 << 20;
const RAM = 32 * MiB;
const hex = (v: number | bigint): string => '0x' + v.toString(16);
const SECRET = 0x5ec2_e7c0_ffee_1234n;

// IPAs a guest might try: secure RAM, just past its RAM, where the other VM's
// and the reserve's PAs are (as IPAs they are past its RAM or below it),
// unassigned device space, the top of and beyond the 32-bit IPA space.
const FORBIDDEN = [0x0e00_0000, 0x0e0f_fff8, 0x4000_0000 + RAM, RAM_BASE + HV_RESERVE_BYTES + RAM, 0x7fff_fff8, 0x0808_0000, 0x0000_0000, 0xffff_fff8, 0x1_0000_0000, 0x100_0000_0000];

function hostileMain(): string {
  const plain = FORBIDDEN.map((a) => `    ldr x0, =${hex(a)}\n    ldr x1, [x0]\n    str x1, [x0]\n    stp x1, x1, [x0]\n`).join('');
  return `
${plain}
    // Stage 1: TTBR0 L1 table (VA 0..4 GiB in 1 GiB blocks): 0 -> IPA 0 (Device),
    // 1 GiB -> IPA 0x40000000 (Normal, our code), 2 GiB -> IPA 0x0 again, 3 GiB -> IPA 4 GiB.
    ldr x0, =s1_l1
    ldr x1, =0x405
    str x1, [x0]
    ldr x1, =0x40000401 | (1 << 2)
    str x1, [x0, #8]
    ldr x1, =0x405
    str x1, [x0, #16]
    ldr x1, =0x100000405
    str x1, [x0, #24]
    ldr x0, =0xff04
    msr mair_el1, x0
    // T0SZ = 32, T1SZ = 25, TG1 = 4K, EPD1 = 0; TTBR1 table at the secure RAM IPA
    ldr x0, =(32 | (25 << 16) | (2 << 30) | (2 << 32))
    msr tcr_el1, x0
    ldr x0, =s1_l1
    msr ttbr0_el1, x0
    ldr x0, =0x0e000000
    msr ttbr1_el1, x0
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1
    msr sctlr_el1, x0
    isb
    ldr x0, =0x8e000000
    ldr x1, [x0]
    str x1, [x0]
    ldr x0, =0xc0000000
    ldr x1, [x0]
    str x1, [x0]
    ldr x0, =0xffffff8000000000
    ldr x1, [x0]
    str x1, [x0]
    mrs x0, sctlr_el1
    bic x0, x0, #1
    msr sctlr_el1, x0
    isb
    // hypercall with someone else's memory
    ldr x0, =4
    ldr x1, =0x0e000000
    mov x2, #16
    hvc #0
    ldr x9, =RES
    str x0, [x9]
    ldr x0, =EXC
    ldr x1, [x0]
    str x1, [x9, #8]
`;
}

describe('isolation', () => {
  it('a hostile VM faults on every forbidden IPA, Stage-1 mapping and Stage-1 walk; the victim VM and the Stage-2 tables are untouched', () => {
    const victim = guestImage({
      main: `
    ldr x0, =RES
    ldr x1, =${hex(SECRET)}
    str x1, [x0]
1:  ldr x2, [x0]
    cmp x2, x1
    b.eq 1b
    str xzr, [x0, #8]
    b 1b
`,
    });
    const hostile = guestImage({ main: hostileMain(), extra: '    .balign 4096\ns1_l1: .space 4096' });
    const r = hvMachine({ vms: [{ numVcpus: 1, ramBytes: RAM, kernel: victim }, { numVcpus: 1, ramBytes: RAM, kernel: hostile }] }, { numCpus: 1 });
    const core = r.m.core;
    const reserveBefore = core.readPhys(RAM_BASE, HV_RESERVE_BYTES).slice();
    r.m.run({ untilTick: 400_000_000 });
    expect(r.m.stopped).toBeNull(); // the victim runs on; no halt
    expect(r.diagnostics).toEqual([]);
    const hv = r.hv;
    expect(hv.s.vms[1]!.power).toBe('off'); // the hostile VM finished and powered off
    expect(res(hv, 0, 1)).toBe(BigInt.asUintN(64, -3n)); // console write from secure RAM refused
    const attempts = FORBIDDEN.length * 3 + 6;
    expect(res(hv, 1, 1)).toBe(BigInt(attempts));
    const esr = readGuest64(hv, 1, EXC_LOG + 8);
    expect(esr >> 26n).toBe(0x25n);
    expect(res(hv, 0, 0)).toBe(SECRET);
    expect(readGuest64(hv, 0, RESULTS_IPA + 8)).toBe(0n);
    expect(Buffer.from(core.readPhys(RAM_BASE, HV_RESERVE_BYTES)).equals(Buffer.from(reserveBefore))).toBe(true);
    // All but the three accesses to 2^40 were Stage-2 faults the hypervisor turned
    // into injected aborts; those three are address-size faults of the guest's own
    // Stage 1 (beyond the PA range with the MMU off), taken at EL1 directly.
    expect(hv.s.counters['injectedAborts']).toBe(attempts - 3);
  });

  it('random accesses to every emulated device never reach the host: state keeps its shape, the guest continues', () => {
    let x = 0x1234_5678;
    const rnd = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const regions: Array<[number, number]> = [[0x0800_0000, 0x1_0000], [0x080a_0000, 0x4_0000], [0x0900_0000, 0x1000], [0x0901_0000, 0x1000]];
    let body = '';
    for (let i = 0; i < 400; i++) {
      const [base, size] = regions[rnd(regions.length)]!;
      const sz = [1, 2, 4, 8][rnd(4)]!;
      const addr = base + (rnd(size) & ~(sz - 1));
      const reg = sz === 8 ? 'x1' : 'w1';
      const op = sz === 1 ? 'b' : sz === 2 ? 'h' : '';
      body += `    ldr x0, =${hex(addr)}\n    ldr x1, =${hex(rnd(0x1_0000_0000))}\n`;
      body += rnd(2) ? `    str${op} ${reg}, [x0]\n` : `    ldr${op} ${reg}, [x0]\n`;
    }
    body += '    ldr x9, =RES\n    mov x1, #1\n    str x1, [x9]\n    ldr x0, =0x08000000\n    str wzr, [x0]\n';
    const r = hvMachine({ vms: [{ numVcpus: 2, ramBytes: RAM, kernel: guestImage({ main: body }) }] }, { numCpus: 1 });
    const shape = (): string => JSON.stringify(Object.entries(r.hv.s.vms[0]!.gic).map(([k, v]) => [k, Array.isArray(v) ? v.length : typeof v]));
    const before = shape();
    expect(r.m.run(50_000_000)).toEqual({ kind: 'system-off' });
    expect(res(r.hv, 0)).toBe(1n);
    expect(shape()).toBe(before);
    expect(r.diagnostics).toEqual([]);
  });
});
