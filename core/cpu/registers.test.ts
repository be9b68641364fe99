// The register file by name (registers.ts): the one way code outside core/cpu
// reaches a PE's registers.
import { describe, expect, it } from 'vitest';
import { CpuCore, HOST_OK } from './cpu.js';

function core(): CpuCore {
  return new CpuCore({ numCpus: 2, ramBytes: 1 << 20 }, {
    mmioRead: () => ({ status: HOST_OK, value: 0n }),
    mmioWrite: () => HOST_OK,
    sysreg: () => ({ status: HOST_OK, value: 0n }),
    undef: () => {},
    exception: () => 0,
  });
}

describe('RegisterFile', () => {
  it('reads and writes system registers by their ARM ARM names, per CPU', () => {
    const c = core();
    c.regs(0).set('ESR_EL2', 0x9600_0045n);
    c.regs(1).set('ESR_EL2', 1n);
    expect(c.regs(0).get('ESR_EL2')).toBe(0x9600_0045n);
    expect(c.reg(1, 'ESR_EL2')).toBe(1n);
    expect(c.regs(1).get('MPIDR_EL1')).toBe(0x8000_0001n);
    c.regs(0).set('VTTBR_EL2', -1n);
    expect(c.regs(0).get('VTTBR_EL2')).toBe((1n << 64n) - 1n);
  });

  it('knows reset values and refuses names the CPU does not implement', () => {
    const c = core();
    expect(c.regs(0).resetValue('SCTLR_EL1')).toBe(0x30d0_0800n);
    expect(c.regs(0).has('ICC_IAR1_EL1')).toBe(false); // a GIC register: the device's, not a value in the core
    expect(() => c.regs(0).get('NO_SUCH_EL2')).toThrow(/no register NO_SUCH_EL2/);
  });

  it('reads a banked SP_ELn from the live stack pointer while PSTATE selects it', () => {
    const c = core();
    c.setPstate(0, 0x3c9); // EL2h: SP_EL2 is live, SP_EL0/SP_EL1 are banked
    c.regs(0).set('SP_EL1', 0x1000n);
    c.setSp(0, 0x2000n);
    expect(c.regs(0).get('SP_EL1')).toBe(0x1000n);
    expect(c.regs(0).get('SP_EL2')).toBe(0x2000n);
    c.setPstate(0, 0x3c5); // EL1h: SP_EL1 becomes the live one (unbanked)
    expect(c.getSp(0)).toBe(0x1000n);
    expect(c.regs(0).get('SP_EL1')).toBe(0x1000n);
    c.regs(0).set('SP_EL1', 0x3000n);
    expect(c.getSp(0)).toBe(0x3000n);
  });

  it('X31 is XZR and V registers are 128 bits as two halves', () => {
    const c = core();
    const r = c.regs(0);
    r.setX(31, 5n);
    expect(r.x(31)).toBe(0n);
    r.setX(30, 7n);
    expect(c.getX(0, 30)).toBe(7n);
    r.setV(3, 1n, 2n);
    expect(r.v(3)).toEqual([1n, 2n]);
    expect(c.getV(0, 3)).toEqual([1n, 2n]);
  });

  it('copies registers in bulk as 32-bit word pairs (a context switch): x0-x30, V0-V31, named ones with the live SP bank and names the CPU lacks', () => {
    const c = core();
    const r = c.regs(0);
    c.setPstate(0, 0x3c9); // EL2h: SP_EL2 is the live SP
    for (let n = 0; n < 31; n++) r.setX(n, 0x1111_0000_0000_0000n + BigInt(n));
    for (let n = 0; n < 32; n++) r.setV(n, BigInt(n), 0xffff_0000_0000_0000n + BigInt(n));
    r.set('TPIDR_EL1', 0x1234_5678_9abc_def0n);
    r.set('SP_EL1', 0x4000n);
    c.setSp(0, 0x5000n);
    const names = ['TPIDR_EL1', 'SP_EL1', 'SP_EL2', 'NO_SUCH_EL2'];
    const w = new Uint32Array(62 + 128 + 2 * names.length);
    r.readGprWords(w, 0);
    r.readVectorWords(w, 62);
    r.readNamedWords(names, w, 190);
    const at = (k: number): bigint => (BigInt(w[k + 1]!) << 32n) | BigInt(w[k]!);
    expect(at(2 * 30)).toBe(0x1111_0000_0000_001en);
    expect(at(62 + 4 * 3 + 2)).toBe(0xffff_0000_0000_0003n); // V3, high half
    expect([at(190), at(192), at(194), at(196)]).toEqual([0x1234_5678_9abc_def0n, 0x4000n, 0x5000n, 0n]);
    // Written into the other PE, the same values read back by name.
    const r1 = c.regs(1);
    c.setPstate(1, 0x3c9);
    r1.writeGprWords(w, 0);
    r1.writeVectorWords(w, 62);
    r1.writeNamedWords(names, w, 190);
    expect(r1.x(17)).toBe(0x1111_0000_0000_0011n);
    expect(r1.v(31)).toEqual([31n, 0xffff_0000_0000_001fn]);
    expect(r1.get('TPIDR_EL1')).toBe(0x1234_5678_9abc_def0n);
    expect(r1.get('SP_EL1')).toBe(0x4000n);
    expect(c.getSp(1)).toBe(0x5000n); // SP_EL2, the live one
  });
});
