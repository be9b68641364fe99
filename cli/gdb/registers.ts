// The registers gdb sees, in its numbering: the AArch64 core and FP/SIMD
// features gdb knows (org.gnu.gdb.aarch64.core, .fpu), then every system
// register hvrr models by its ARM ARM name (core/cpu/registers.ts), in a
// feature of its own. The target description XML is built from the same list.
import type { Machine } from '../../core/machine.js';
import { leHex, parseLeHex } from './packets.js';
import type { ThreadView } from './threads.js';

export interface GdbRegister {
  name: string;
  bits: number;
  read(t: ThreadView): string;
  /** Write from a little-endian hex image; false when it cannot be written. */
  write(t: ThreadView, hex: string): boolean;
}

const FPU_TYPES = `
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v2u" type="uint64" count="2"/>
    <vector id="v2i" type="int64" count="2"/>
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v4u" type="uint32" count="4"/>
    <vector id="v4i" type="int32" count="4"/>
    <vector id="v8u" type="uint16" count="8"/>
    <vector id="v8i" type="int16" count="8"/>
    <vector id="v16u" type="uint8" count="16"/>
    <vector id="v16i" type="int8" count="16"/>
    <vector id="v1u" type="uint128" count="1"/>
    <vector id="v1i" type="int128" count="1"/>
    <union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
    <union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
    <union id="vnh"><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
    <union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
    <union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
    <union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>`;

export interface RegisterSet {
  list: GdbRegister[];
  xml: string;
}

/** The register list and target description for the machine's CPUs. */
export function registerSet(m: Machine): RegisterSet {
  const list: GdbRegister[] = [];
  const core: string[] = [];
  const fpu: string[] = [];
  const sys: string[] = [];
  const add = (r: GdbRegister, into: string[], type: string, group?: string): void => {
    into.push(`    <reg name="${r.name}" bitsize="${r.bits}" type="${type}" regnum="${list.length}"${group ? ` group="${group}"` : ''}/>`);
    list.push(r);
  };
  for (let n = 0; n < 31; n++) {
    add({
      name: `x${n}`, bits: 64,
      read: (t) => leHex(t.x(n), 8),
      write: (t, h) => t.setX(n, parseLeHex(h)),
    }, core, 'int');
  }
  add({ name: 'sp', bits: 64, read: (t) => leHex(t.sp(), 8), write: (t, h) => t.setSp(parseLeHex(h)) }, core, 'data_ptr');
  add({ name: 'pc', bits: 64, read: (t) => leHex(t.pc(), 8), write: (t, h) => t.setPc(parseLeHex(h)) }, core, 'code_ptr');
  add({ name: 'cpsr', bits: 32, read: (t) => leHex(BigInt(t.pstate()), 4), write: (t, h) => t.setPstate(Number(parseLeHex(h))) }, core, 'int');
  for (let n = 0; n < 32; n++) {
    add({
      name: `v${n}`, bits: 128,
      read: (t) => {
        const [lo, hi] = t.v(n);
        return leHex(lo, 8) + leHex(hi, 8);
      },
      write: (t, h) => t.setV(n, parseLeHex(h.slice(0, 16)), parseLeHex(h.slice(16, 32))),
    }, fpu, 'aarch64v');
  }
  for (const name of ['FPSR', 'FPCR']) {
    add({
      name: name.toLowerCase(), bits: 32,
      read: (t) => leHex(t.get(name), 4),
      write: (t, h) => t.set(name, parseLeHex(h)),
    }, fpu, 'int');
  }
  for (const name of m.core.registers.offsets.keys()) {
    if (name === 'FPSR' || name === 'FPCR') continue;
    add({
      name, bits: 64,
      read: (t) => leHex(t.get(name), 8),
      write: (t, h) => t.set(name, parseLeHex(h)),
    }, sys, 'uint64', 'system');
  }
  const xml = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>aarch64</architecture>
  <feature name="org.gnu.gdb.aarch64.core">
${core.join('\n')}
  </feature>
  <feature name="org.gnu.gdb.aarch64.fpu">${FPU_TYPES}
${fpu.join('\n')}
  </feature>
  <feature name="org.hvrr.aarch64.sysregs">
${sys.join('\n')}
  </feature>
</target>
`;
  return { list, xml };
}
