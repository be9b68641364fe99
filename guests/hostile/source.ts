// Hostile guests: a program that tries to get out of its VM, and a victim
// that holds a secret for it to look for.
//
// The hostile guest (EL1, `virt` layout, x0 = DTB) extends its stage-1
// identity map to 16 GiB of PA-looking space (1 GiB Normal blocks above
// 2 GiB) and then tries, each attempt caught by its own vector:
//   - reads and writes of named addresses: the secure RAM window 0x0e000000,
//     unassigned device windows (ITS 0x08080000, virtio-mmio 0x0a000000,
//     platform bus 0x0c000000, PCIe ECAM 0x3f000000), the first 2 MiB past
//     its RAM, PA-looking addresses above 4 GiB, and any extra addresses the
//     caller names (the other VM's backing, the hypervisor's reserve);
//   - a sweep: one read per 2 MiB block of [0x0a000000, 0x40000000) and of
//     [end of its RAM, 4 GiB) at the victim secret's offset within a 2 MiB
//     block (so any 2 MiB-aligned backing of the victim's RAM is hit);
//   - EL2/EL3 system registers and instructions from EL1 (UNDEFINED);
//   - DMA-like abuse of GUEST_CONSOLE_WRITE (hypercall 4): IPAs outside its
//     RAM, a buffer running past the end of RAM, a huge length, a wrapping
//     range — each must be refused with a negative status (skipped, with a
//     line saying so, when the hypercall ABI is not available).
// Per attempt it prints one line: `BLOCKED: <what>` (the access faulted or
// the call was refused), `LEAKED: <what> = <value>` (a read returned the
// victim's secret), or `ACCESSIBLE: <what> = <value>` (it succeeded), then
// `SUMMARY: N tests, M failures` (M = LEAKED + ACCESSIBLE), `hostile: done`
// and SYSTEM_OFF. The secret never appears in the hostile image: it is
// computed in a register from two masked constants.
//
// The victim writes the secret over one page of its RAM, prints where, and
// waits forever (WFI).
import { Asm, PC, buildProgram } from '../conformance/runtime.js';

export const HOSTILE_SECRET = 0x5ec2_e7da_7a1e_af00n;
const SECRET_MASK = 0xa5a5_5a5a_0ff0_f00fn;
export const HOSTILE_DONE_LINE = 'hostile: done';
export const VICTIM_READY_PREFIX = 'victim: secret planted at IPA ';

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const RAM_BASE = 0x4000_0000n;
const TWO_MIB = 0x20_0000n;

export interface HostileProbe {
  name: string;
  address: bigint;
}

export interface HostileOptions {
  /** Guest RAM size (the sweep starts at RAM base + this); default 256 MiB. */
  ramBytes?: bigint;
  /** The IPA of the victim's secret (see victimSecretIpa()); its offset within 2 MiB drives the sweep. */
  secretIpa: bigint;
  /** Extra addresses to try (the other VM's backing, the hypervisor's reserve...). */
  extraProbes?: HostileProbe[];
}

/** The named addresses tried by default (besides the sweep). */
export function defaultProbes(ramBytes: bigint): HostileProbe[] {
  return [
    { name: 'secure-ram', address: 0x0e00_0000n },
    { name: 'secure-ram-end', address: 0x0eff_fff8n },
    { name: 'unassigned-its-window', address: 0x0808_0000n },
    { name: 'unassigned-virtio-mmio-window', address: 0x0a00_0000n },
    { name: 'unassigned-platform-bus', address: 0x0c00_0000n },
    { name: 'unassigned-pcie-ecam', address: 0x3f00_0000n },
    { name: 'past-end-of-guest-ram', address: RAM_BASE + ramBytes },
    { name: 'pa-4gib', address: 0x1_0000_0000n },
    { name: 'pa-8gib', address: 0x2_0000_0000n },
  ];
}

export function hostileSource(opts: HostileOptions): string {
  const a = new Asm('ho_');
  const ramBytes = opts.ramBytes ?? 256n << 20n;
  const ramEnd = RAM_BASE + ramBytes;
  const secretOff = opts.secretIpa % TWO_MIB;
  const probes = [...defaultProbes(ramBytes), ...(opts.extraProbes ?? [])];
  let main = `
    // 1 GiB identity Normal blocks for 2..16 GiB (L1[2..15])
    ldr x0, =l1_table
    mov x1, #2
1:  lsl x2, x1, #30
    ldr x3, =0x705                  // AF | SH inner | AttrIndx 1 | block
    orr x2, x2, x3
    str x2, [x0, x1, lsl #3]
    add x1, x1, #1
    cmp x1, #16
    b.lo 1b
    dsb ishst
    tlbi vmalle1
    dsb ish
    isb
`;
  for (const p of probes) {
    for (const write of [0, 1]) {
      main += `    ldr x0, =${hex(p.address)}\n    ldr x1, =${a.str(`${write ? 'write' : 'read'} ${p.name} ${hex(p.address)}`)}\n    mov x2, #${write}\n    bl probe_access\n`;
    }
  }
  // The sweep.
  main += `
    ldr x0, =0x0a000000
    ldr x1, =0x40000000
    bl sweep
    ldr x0, =${hex(ramEnd)}
    ldr x1, =0x100000000
    bl sweep
`;
  // EL2/EL3 from EL1.
  const undefs: [string, string][] = [
    ['msr hcr_el2', 'msr hcr_el2, xzr'],
    ['mrs vttbr_el2', 'mrs x5, vttbr_el2'],
    ['msr vttbr_el2', 'msr vttbr_el2, xzr'],
    ['mrs ich_hcr_el2', 'mrs x5, ich_hcr_el2'],
    ['msr cntvoff_el2', 'msr cntvoff_el2, xzr'],
    ['mrs scr_el3', 'mrs x5, scr_el3'],
    ['tlbi alle2', 'tlbi alle2'],
    ['at s12e1r', 'at s12e1r, x0'],
  ];
  for (const [name, insn] of undefs) {
    main += `
${Asm.expect()}
    mov x0, #0
    ${insn}
${Asm.taken()}
    mov x0, x3
    mov x1, #0
    ldr x2, =${a.str(`${name} from EL1`)}
    mov x3, #2
    bl report
`;
  }
  // DMA-like abuse of GUEST_CONSOLE_WRITE.
  const cw: [string, bigint, bigint][] = [
    ['secure-ram', 0x0e00_0000n, 64n],
    ['past-end-of-guest-ram', ramEnd, 64n],
    ['running-past-end-of-guest-ram', ramEnd - 16n, 4096n],
    ['huge-length', RAM_BASE + 0x8_0000n, 0xffff_ffff_ffff_ffffn],
    ['wrapping-range', 0xffff_ffff_ffff_f000n, 0x2000n],
    ['pa-4gib', 0x1_0000_0000n, 64n],
    ...(opts.extraProbes ?? []).map((p): [string, bigint, bigint] => [p.name, p.address, 64n]),
  ];
  main += `
    mov x0, #0                      // GET_HV_ID: is the hypercall ABI there?
    bl hypercall
    cmn x0, #1
    b.ne 2f
${a.say('hostile: hypercall ABI not available (bare mode): console-write probes skipped\n')}
    b 3f
2:
`;
  for (const [name, ipa, len] of cw) {
    main += `
    ldr x1, =${hex(ipa)}
    ldr x2, =${hex(len)}
    mov x0, #4
    bl hypercall
    lsr x0, x0, #63                 // negative status: refused
    mov x1, #0
    ldr x2, =${a.str(`console-write ${name} ipa ${hex(ipa)} len ${hex(len)}`)}
    mov x3, #3
    bl report
`;
  }
  main += '3:\n';
  const code = `
// x0 = VA, x1 = name, x2 = 1 for a write
probe_access:
    stp x29, x30, [sp, #-48]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    mov x19, x0
    mov x20, x1
    mov x21, x2
    mov x22, #0
${Asm.expect()}
    cbnz x21, 1f
    ldr x22, [x19]
    b 2f
1:  ldr x3, =0x4242424242424242
    str x3, [x19]
2:
${Asm.taken()}
    mov x0, x3
    mov x1, x22
    mov x2, x20
    mov x3, x21
    bl report
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #48
    ret

// x0 = 1 if blocked, x1 = value read, x2 = what, x3 = 0 read / 1 write / 2 instruction / 3 hypercall
report:
    stp x29, x30, [sp, #-48]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    mov x19, x0
    mov x20, x1
    mov x21, x2
    mov x22, x3
    ldr x2, =n_tests
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    cbz x19, 1f
${a.say('BLOCKED: ')}
    mov x0, x21
    bl puts
    bl put_nl
    b 9f
1:  ldr x2, =n_fail
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    cbnz x22, 3f
    bl secret
    cmp x0, x20
    b.ne 3f
${a.say('LEAKED: ')}
    b 4f
3:
${a.say('ACCESSIBLE: ')}
4:  mov x0, x21
    bl puts
${a.say(' = ')}
    mov x0, x20
    bl put_hex
    bl put_nl
9:  ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #48
    ret

// x0 = the victim's secret, computed (never stored in this image)
secret:
    ldr x0, =${hex(HOSTILE_SECRET ^ SECRET_MASK)}
    ldr x1, =${hex(SECRET_MASK)}
    eor x0, x0, x1
    ret

// x0 = start, x1 = end: read start + k * 2 MiB + secret offset; one line for the range
sweep:
    stp x29, x30, [sp, #-96]!
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    str x0, [sp, #80]
    mov x19, x0
    mov x20, x1
    mov x21, #0                     // blocks tried
    mov x22, #0                     // faulted
    mov x23, #0                     // readable
    mov x24, #0                     // leaked
1:  cmp x19, x20
    b.hs 5f
    ldr x25, =${hex(secretOff)}
    add x25, x19, x25
${Asm.expect()}
    mov x26, #0
    ldr x26, [x25]
${Asm.taken()}
    add x21, x21, #1
    cbz x3, 2f
    add x22, x22, #1
    b 4f
2:  add x23, x23, #1
    bl secret
    cmp x0, x26
    b.ne 4f
    add x24, x24, #1
${a.say('LEAKED: sweep read at ')}
    mov x0, x25
    bl put_hex
${a.say(' = ')}
    mov x0, x26
    bl put_hex
    bl put_nl
4:  add x19, x19, #0x200000
    b 1b
5:  ldr x2, =n_tests
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
    cmp x22, x21
    b.ne 6f
${a.say('BLOCKED: sweep of ')}
    mov x0, x21
    bl put_dec
${a.say(' 2-MiB blocks from ')}
    ldr x0, [sp, #80]
    bl put_hex
    b 7f
6:  ldr x2, =n_fail
    ldr x3, [x2]
    add x3, x3, #1
    str x3, [x2]
${a.say('ACCESSIBLE: sweep: ')}
    mov x0, x23
    bl put_dec
${a.say(' of ')}
    mov x0, x21
    bl put_dec
${a.say(' 2-MiB blocks readable from ')}
    ldr x0, [sp, #80]
    bl put_hex
7:  bl put_nl
    ldp x25, x26, [sp, #64]
    ldp x23, x24, [sp, #48]
    ldp x21, x22, [sp, #32]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #96
    ret

// x0 = call, x1..x3 = arguments -> x0; an UNDEFINED HVC answers x0 = -1
hypercall:
    mrs x16, tpidr_el1
    ldr x17, =percpu
    add x17, x17, x16, lsl #10
    mov x16, #2
    str x16, [x17, #${PC.expect}]
    hvc #0
    mrs x16, tpidr_el1
    ldr x17, =percpu
    add x17, x17, x16, lsl #10
    str xzr, [x17, #${PC.expect}]
    ret
`;
  return buildProgram({ name: 'hostile', main, code, asm: a, banner: 'hostile: escape attempts starting; CPUs in the device tree: ', finalLine: HOSTILE_DONE_LINE });
}

/** The victim: plants the secret over one page, says where, waits forever. */
export function victimSource(): string {
  const a = new Asm('vi_');
  const main = `
    ldr x0, =secret_page
    ldr x1, =${hex(HOSTILE_SECRET)}
    mov x2, #512
1:  str x1, [x0], #8
    subs x2, x2, #1
    b.ne 1b
    dsb sy
${a.say(VICTIM_READY_PREFIX)}
    ldr x0, =secret_page
    bl put_hex
    bl put_nl
2:  wfi
    b 2b
`;
  const data = `
    .balign 4096
secret_page: .space 4096
`;
  return buildProgram({ name: 'victim', main, data, asm: a, banner: 'victim: starting; CPUs in the device tree: ' });
}
