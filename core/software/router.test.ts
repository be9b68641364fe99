// Exceptions to EL2/EL3 reach the software plugged in for that level and
// Security state; an empty slot halts the run naming it.
import { describe, expect, it } from 'vitest';
import { Machine } from '../machine.js';
import { bootKernel } from '../firmware/boot.js';
import { assemble } from '../asm/assembler.js';
import { SoftwareRouter } from './router.js';
import { PsciStandIn, smcccCall } from '../firmware/standIn.js';
import { El3Firmware } from '../firmware/el3Firmware.js';
import { formatEvent } from '../trace/events.js';
import { slotFor, type ExceptionSoftware } from './software.js';

const PSCI_VERSION_THEN_OFF = `
  ldr x0, =0x84000000
  smc #0
  mov x19, x0
  ldr x0, =0x84000008
  hvc #0
`;

function machine(): Machine {
  const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
  bootKernel(m, { kernel: assemble(PSCI_VERSION_THEN_OFF, { baseAddress: 0x40080000n }).bytes });
  return m;
}

describe('software router', () => {
  it('routes by level and Security state', () => {
    expect(slotFor(3, true)).toBe('el3');
    expect(slotFor(3, false)).toBe('el3');
    expect(slotFor(2, true)).toBe('el2-ns');
    expect(slotFor(2, false)).toBe('el2-s');
  });

  it('on a bare machine the EL3 firmware answers SMC and the PSCI stand-in HVC at Non-secure EL2', () => {
    const m = machine();
    expect(m.software.get('el3')).toBeInstanceOf(El3Firmware);
    expect(m.software.get('el2-ns')).toBeInstanceOf(PsciStandIn);
    expect(m.run(10_000).kind).toBe('system-off');
    expect(m.core.regs(0).x(19)).toBe(0x1_0001n); // the firmware's PSCI 1.1
    const psci = m.trace.last(10).filter((e) => e.kind === 'psci');
    expect(psci.map((e) => (e.kind === 'psci' ? e.fn : 0))).toEqual([0x8400_0000, 0x8400_0008]);
  });

  it('a plug-in replaces the firmware in its slot only', () => {
    const m = machine();
    const seen: string[] = [];
    const el3: ExceptionSoftware = {
      handle(mm, cpu, toEl) {
        seen.push(`el${toEl}`);
        mm.core.regs(cpu).setX(0, 42n);
        mm.core.eret(cpu);
      },
    };
    m.software.install('el3', el3);
    expect(m.run(10_000).kind).toBe('system-off'); // the HVC still reaches the stand-in at NS-EL2
    expect(seen).toEqual(['el3']);
    expect(m.core.regs(0).x(19)).toBe(42n);
  });

  it('an exception to an empty slot halts the run, naming the level', () => {
    const stops: string[] = [];
    const fake = { core: { isNonSecure: () => false }, stop: (r: { kind: string; message?: string }) => stops.push(r.message ?? r.kind) };
    const r = new SoftwareRouter();
    r.handle(fake as unknown as Machine, 0, 2);
    expect(stops).toEqual(['cpu0: exception to Secure EL2 with no software there']);
    expect(r.at(fake as unknown as Machine, 0, 2)).toBeUndefined();
  });

  it('events carry the world they happened in: an EL3 plug-in that enters the Secure world', () => {
    const m = new Machine({ numCpus: 1, ramBytes: 16 << 20, seed: 1n });
    bootKernel(m, {
      kernel: assemble(`
  ldr x0, =0x84000000
  smc #0
  ldr x0, =0x84000000
  smc #0
  ldr x0, =0x84000008
  hvc #0
`, { baseAddress: 0x40080000n }).bytes,
    });
    let calls = 0;
    m.software.install('el3', {
      handle(mm, cpu, toEl) {
        expect(toEl).toBe(3);
        const regs = mm.core.regs(cpu);
        smcccCall(mm, cpu, toEl);
        // First SMC: return to the Secure world (SCR_EL3.NS = 0); second: back to Non-secure.
        regs.set('SCR_EL3', ++calls === 1 ? regs.get('SCR_EL3') & ~1n : regs.get('SCR_EL3') | 1n);
        mm.core.eret(cpu);
      },
    });
    expect(m.run(10_000).kind).toBe('system-off');
    const lines = m.trace.last(20).filter((e) => e.kind === 'exception' || e.kind === 'psci').map(formatEvent);
    expect(lines.map((l) => l.replace(/^#\d+ @\d+ /, '').replace(/ esr=.*? elr=.*? far=\S+/, '').replace(/ args=.*? result=\S+/, ''))).toEqual([
      'cpu0 exception n=1 sync el1->el3 ec=0x17',
      'cpu0 psci fn=0x84000000',
      'cpu0 exception n=2 sync el1->el3 ec=0x17 world=s',
      'cpu0 psci fn=0x84000000 world=s',
      'cpu0 exception n=3 sync el1->el2 ec=0x16',
      'cpu0 psci fn=0x84000008',
    ]);
  });
});
