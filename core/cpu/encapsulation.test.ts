// Only core/cpu knows where CPU state lives in the wasm memory (layout.ts:
// state-block offsets, system-register slots, host-area addresses). Every
// other file reaches registers by name (CpuCore.regs, registers.ts), RAM
// through ramView/readPhys/writePhys, and the host-call contract (exit
// reasons, statuses, line bits) through cpu.ts's re-exports. This scan fails
// on any use of the layout outside core/cpu, tests included. No file is
// exempt.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles, stripComments } from '../../scripts/sourceScan.js';

const ROOT = join(import.meta.dirname, '../..');
const DIRS = ['core', 'replay', 'snapshots', 'cli', 'guests', 'scripts', 'property-tests', 'tui', 'golden'];
const CPU_DIR = join(ROOT, 'core', 'cpu');

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"][^'"]*cpu\/layout\.js['"]/, 'imports core/cpu/layout.js'],
  [/\bSLOT_[A-Z0-9]/, 'a system-register slot (SLOT_*)'],
  [/\bST_[A-Z]/, 'a CPU state-block offset (ST_*)'],
  [/\b(?:RAM_HOST_BASE|SECURE_RAM_HOST_BASE|CPU_STATE_BASE|CPU_STATE_BYTES|DIRTY_MAP_BASE|SYSREG_TABLE_BASE|TLB_BASE|DECODE_MEMO_BASE)\b/, 'a wasm memory address'],
  [/\.(?:sysregSlot|setSysregSlot)\s*\(/, 'a raw slot accessor (use regs(cpu).get/set by name)'],
  [/\bcore\.(?:u64|u32|bytes)\b/, "the core's raw memory views"],
  [/\bcore\.base\s*\(/, "a CPU state block's address"],
];

describe('CPU layout encapsulation', () => {
  const files = sourceFiles(ROOT, DIRS, [CPU_DIR]);

  it('scans the sources outside core/cpu', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.startsWith(CPU_DIR))).toBe(false);
  });

  it('no file outside core/cpu uses the wasm layout of CPU state', () => {
    const hits: string[] = [];
    for (const f of files) {
      stripComments(readFileSync(f, 'utf8')).split('\n').forEach((line, i) => {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${what}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the scan catches a layout import and a slot', () => {
    const line = "import * as L from '../cpu/layout.js'; core.sysregSlot(0, L.SLOT_HCR_EL2);";
    expect(FORBIDDEN.filter(([re]) => re.test(line)).map(([, w]) => w)).toHaveLength(3);
  });
});
