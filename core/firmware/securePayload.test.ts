// The EL3 firmware entering a secure payload at Secure EL1 at cold boot and
// then the Non-secure boot (securePayload.ts), by real machine code: the
// payload prints on the secure UART, changes EL1 registers and returns with
// TSP_ENTRY_DONE; the Non-secure kernel then starts exactly as the loader
// left it (x0 = the DTB, EL1 registers at reset) and prints on the PL011.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from './boot.js';
import { secureColdBoot } from './secureBoot.js';
import { installSecurePayload, attachSecurePayload, SecurePayload, SECURE_PAYLOAD_BASE, SECURE_PAYLOAD_COMPONENT, SecurePayloadError } from './securePayload.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import type { TraceEvent } from '../trace/events.js';
import { readFdt } from '../fdt/reader.js';
import { elfExecutable } from '../../scripts/linux-mini-init.js';
import { findNode } from '../fdt/tree.js';
import { contextWord, sysWord, xWord } from './worldContext.js';

/** Prints `text` on the UART at `base` (x1, w2 clobbered). */
function print(base: number, text: string): string {
  return [`ldr x1, =${base}`, ...[...text].map((c) => `mov w2, #${c.charCodeAt(0)}\n  strb w2, [x1]`)].join('\n  ');
}

export const PAYLOAD_SOURCE = `
  ${print(0x0904_0000, 'secure payload at S-EL1\n')}
  ldr x0, =0x1234
  msr tpidr_el1, x0
  ldr x0, =payload_vectors
  msr vbar_el1, x0
  mov x20, #0x77
  ldr x0, =0xf2000000
  ldr x1, =payload_vectors
  smc #0
  b .
  .ltorg
.balign 2048
payload_vectors:
  b .
`;

const KERNEL_SOURCE = `
  mov x19, x0
  mrs x20, tpidr_el1
  mrs x21, vbar_el1
  mov x22, x20
  ${print(0x0900_0000, 'non-secure kernel\n')}
  ldr x0, =0x84000008
  smc #0
  b .
`;

function boot(opts: { payload?: boolean } = {}): { m: Machine; ns: () => string; s: () => string; dtb: bigint; events: TraceEvent[] } {
  const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: true });
  const plan = bootKernel(m, { kernel: assemble(KERNEL_SOURCE, { baseAddress: 0x4008_0000n }).bytes });
  secureColdBoot(m);
  if (opts.payload !== false) installSecurePayload(m, assemble(PAYLOAD_SOURCE, { baseAddress: BigInt(SECURE_PAYLOAD_BASE) }).bytes).coldBoot(m);
  let ns = '';
  let s = '';
  m.onConsole = (b) => (ns += String.fromCharCode(b));
  m.onSecureConsole = (b) => (s += String.fromCharCode(b));
  const events: TraceEvent[] = [];
  m.trace.subscribe((e) => events.push(e));
  return { m, ns: () => ns, s: () => s, dtb: plan.dtbAddress!, events };
}

describe('secure payload at Secure EL1 (TF-A BL32 with an S-EL1 SPD)', () => {
  it('runs before the Non-secure boot, prints on the secure UART, returns with TSP_ENTRY_DONE; the Non-secure kernel starts as loaded', () => {
    const b = boot();
    expect(b.m.core.el(0)).toBe(1);
    expect(b.m.core.isNonSecure(0)).toBe(false);
    expect(b.m.core.getPc(0)).toBe(BigInt(SECURE_PAYLOAD_BASE));
    const stop = b.m.run(100_000);
    expect(stop.kind).toBe('system-off');
    expect(b.s()).toBe('secure payload at S-EL1\n');
    expect(b.ns()).toBe('non-secure kernel\n');
    const x = (n: number): bigint => b.m.core.getX(0, n);
    expect(x(19)).toBe(b.dtb); // x0 as the boot stub sets it
    expect(x(20)).toBe(0n); // TPIDR_EL1 at its reset value in the Non-secure world
    expect(x(21)).toBe(0n); // VBAR_EL1 too
    const events = b.events;
    const secureOut = events.filter((e) => e.kind === 'uart-out' && e.world === 's');
    expect(secureOut.length).toBeGreaterThan(0);
    const done = events.find((e) => e.kind === 'psci' && e.fn === 0xf2000000);
    expect(done?.world).toBe('s');
    // The device tree the Non-secure kernel got describes the Secure world's devices, disabled for it.
    const dt = readFdt(b.m.core.readPhys(Number(b.dtb), 0x10000)).root;
    expect(findNode(dt, '/pl011@9040000')).toBeDefined();
    expect(findNode(dt, '/secure-chosen')).toBeDefined();
    const p = b.m.component(SECURE_PAYLOAD_COMPONENT).getState() as SecurePayload['s'];
    expect(p.phase).toBe('ready');
    expect(contextWord(p.secure!, sysWord('TPIDR_EL1'))).toBe(0x1234n);
    expect(contextWord(p.secure!, xWord(20))).toBe(0x77n);
    expect(BigInt(p.vectors)).toBe(contextWord(p.secure!, sysWord('VBAR_EL1')));
  });

  it('a snapshot taken while the payload initialises restores and continues identically', () => {
    const a = boot();
    a.m.run(30);
    const snap = saveFull(a.m).bytes;
    a.m.run(100_000);
    const b = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: true });
    attachSecurePayload(b, new SecurePayload(b, 0n));
    restoreInto(b, snap);
    let ns = '';
    b.onConsole = (c) => (ns += String.fromCharCode(c));
    expect(b.run(100_000).kind).toBe('system-off');
    expect(ns).toBe(a.ns());
    expect(b.trace.digest()).toBe(a.m.trace.digest());
  });

  it('a damaged record in a snapshot is refused with what is wrong, not a host exception later', () => {
    const b = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: true });
    const p = new SecurePayload(b, 0n);
    const c = b.component(SECURE_PAYLOAD_COMPONENT);
    expect(() => c.loadState({ ...p.s, phase: 'running' })).toThrow(/phase 'running'/);
    expect(() => c.loadState({ ...p.s, secure: new Uint8Array(8) })).toThrow(/the secure context is not a world context/);
    c.loadState(p.s);
  });

  it('an ELF payload goes to its segments\' physical addresses in secure RAM and is entered at e_entry; one outside secure RAM is refused', () => {
    const base = 0x0e20_0000n;
    const elf = elfExecutable(assemble(PAYLOAD_SOURCE, { baseAddress: base + 120n }).bytes, base);
    const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n, secure: true });
    bootKernel(m, { kernel: assemble(KERNEL_SOURCE, { baseAddress: 0x4008_0000n }).bytes });
    installSecurePayload(m, elf).coldBoot(m);
    expect(m.core.getPc(0)).toBe(base + 120n);
    let s = '';
    m.onSecureConsole = (b) => (s += String.fromCharCode(b));
    expect(m.run(100_000).kind).toBe('system-off');
    expect(s).toBe('secure payload at S-EL1\n');
    const outside = elfExecutable(new Uint8Array(16), 0x4010_0000n);
    expect(() => installSecurePayload(new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n, secure: true }), outside)).toThrow(/outside secure RAM/);
  });

  it('is refused with Secure EL2 software installed', () => {
    const s = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n, secure: true });
    s.software.install('el2-s', { handle: () => {} });
    expect(() => installSecurePayload(s, new Uint8Array(4))).toThrow(/Secure EL2 software/);
  });

  it('is refused on a machine with one Security state, and when empty', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    expect(() => installSecurePayload(m, new Uint8Array(4))).toThrow(SecurePayloadError);
    const s = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n, secure: true });
    expect(() => installSecurePayload(s, new Uint8Array(0))).toThrow(/empty/);
  });
});
