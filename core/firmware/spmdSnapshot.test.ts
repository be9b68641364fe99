// The EL3 firmware's record (the SPMD's saved world contexts and SPMC
// states) in snapshots: a snapshot taken anywhere in a run with world
// switches (through the encoded file format) restores and continues
// identically; a snapshot of a machine with two Security states made
// before the firmware kept a record loads it with its reset state.
import { describe, expect, it } from 'vitest';
import { captureMachine, restoreMachine } from '../snapshot.js';
import { restoreInto, saveFull } from '../../snapshots/index.js';
import { Machine } from '../machine.js';
import { assemble } from '../asm/assembler.js';
import { bootKernel } from './boot.js';
import { secureColdBoot } from './secureBoot.js';
import { bootSecureTestMachine, PARTITION_ID } from './sel2TestPlugin.js';

const REQUESTS = Array.from({ length: 5 }, (_, i) => `  ldr x0, =0x8400006f\n  ldr x1, =${PARTITION_ID}\n  mov x2, #0\n  mov x3, #0\n  mov x4, #${i}\n  smc #0\n  mov x${20 + i}, x4`).join('\n');
const PROGRAM = `${REQUESTS}\n  ldr x0, =0x84000008\n  smc #0\n  b .\n`;

function build(): Machine {
  const { m, plugin } = bootSecureTestMachine(PROGRAM);
  m.registerComponent('sel2-test', plugin);
  return m;
}

describe('EL3 firmware state in snapshots', () => {
  it('restores anywhere in a run with world switches and continues identically', () => {
    const whole = build();
    expect(whole.run(1_000_000)).toEqual({ kind: 'system-off' });
    const total = whole.instructions;
    for (const at of [60, Math.floor(total / 2), total - 10]) {
      const a = build();
      expect(a.run(at).kind).toBe('instruction-limit');
      const file = saveFull(a).bytes;
      const b = build();
      restoreInto(b, file);
      expect(b.run(1_000_000)).toEqual({ kind: 'system-off' });
      expect(b.trace.digest(), `snapshot at ${at}`).toBe(whole.trace.digest());
      for (let i = 0; i < 5; i++) expect(b.core.getX(0, 20 + i)).toBe(BigInt(i + 0x1000));
    }
  });

  it('a snapshot without the firmware record (made before it existed) loads with the reset state', () => {
    const make = (): Machine => {
      const m = new Machine({ numCpus: 1, ramBytes: 32 << 20, seed: 3n, secure: true });
      bootKernel(m, { kernel: assemble('  ldr x5, =50000\n1:\n  subs x5, x5, #1\n  b.ne 1b\n  ldr x0, =0x84000008\n  smc #0\n  b .', { baseAddress: 0x4008_0000n }).bytes });
      secureColdBoot(m);
      return m;
    };
    const whole = make();
    expect(whole.run(1_000_000)).toEqual({ kind: 'system-off' });
    const a = make();
    a.run(30_000);
    const { ram, secureRam, ...rest } = captureMachine(a);
    const old = structuredClone(rest);
    expect(Object.keys(old.components)).toEqual(['el3-firmware']);
    delete old.components['el3-firmware'];
    const b = make();
    restoreMachine(b, { ...old, ram: ram.slice(), secureRam: secureRam.slice() });
    expect(b.run(1_000_000)).toEqual({ kind: 'system-off' });
    expect(b.trace.digest()).toBe(whole.trace.digest());
  });
});

describe('EL3 firmware record: refusals', () => {
  it('a record with a damaged world context or another PE count is refused in one line', () => {
    const { m } = bootSecureTestMachine(PROGRAM);
    const spmd = m.component('el3-firmware');
    const good = spmd.getState() as { cpus: Array<{ ns: Uint8Array }> };
    const bad = structuredClone(good);
    bad.cpus[0]!.ns = new Uint8Array(12);
    expect(() => spmd.loadState(bad)).toThrow(/^EL3 firmware \(SPMD\) state has a world context of the wrong size/);
    expect(() => spmd.loadState({ ...good, cpus: [] })).toThrow(/has 0 PEs, the machine 1$/);
    spmd.loadState(good);
  });
});
