// Hostile guests. Bare mode now: every access the hostile guest tries has
// nothing behind it on the hvrr board, so each must fault and be reported
// BLOCKED (this checks the program's logic: probes, vector, sweep, report).
// Under the hypervisor with two VMs (victim + hostile) once
// core/hypervisor/hypervisor.ts exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../core/asm/assembler.js';
import { LOAD_ADDRESS, parseReport } from '../conformance/runtime.js';
import { runOnHvrr } from '../conformance/run.js';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { HOSTILE_DONE_LINE, HOSTILE_SECRET, VICTIM_READY_PREFIX, hostileImage, hostileSource, victimImage } from './index.js';

const HYPERVISOR_MODULE = fileURLToPath(new URL('../../core/hypervisor/hypervisor.ts', import.meta.url));
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('hostile guest, bare mode', () => {
  it('every escape attempt faults and is reported BLOCKED', () => {
    const r = runOnHvrr(hostileImage(), 1);
    expect(r.stop, r.output).toBe('system-off');
    const out = lines(r.output);
    expect(out.filter((l) => l.startsWith('LEAKED') || l.startsWith('ACCESSIBLE'))).toEqual([]);
    const blocked = out.filter((l) => l.startsWith('BLOCKED: '));
    expect(blocked).toHaveLength(28); // 9 addresses x read/write, 2 sweeps, 8 EL2/EL3 accesses
    expect(blocked).toContain('BLOCKED: read secure-ram 0xe000000');
    expect(blocked).toContain('BLOCKED: write past-end-of-guest-ram 0x50000000');
    expect(blocked.filter((l) => l.startsWith('BLOCKED: sweep of '))).toHaveLength(2);
    expect(out).toContain('hostile: hypercall ABI not available (bare mode): console-write probes skipped');
    expect(out.at(-2)).toBe('SUMMARY: 28 tests, 0 failures');
    expect(out.at(-1)).toBe(HOSTILE_DONE_LINE);
  });

  it('reports LEAKED when a read returns the secret, ACCESSIBLE when it succeeds otherwise', () => {
    // Point a probe at the hostile's own RAM where a planted copy of the
    // secret sits: the program must notice it (the detection path works).
    const { secretIpa } = victimImage();
    const planted = 0x4010_0000n;
    const img = assemble(hostileSource({ secretIpa, extraProbes: [{ name: 'planted', address: planted }, { name: 'own-ram', address: 0x4010_1000n }] }), { baseAddress: LOAD_ADDRESS }).bytes;
    const m = new Machine({ numCpus: 1, ramBytes: 256 << 20, seed: 1n });
    const bytes: number[] = [];
    m.onConsole = (b) => bytes.push(b);
    bootKernel(m, { kernel: img });
    const secret = new Uint8Array(8);
    new DataView(secret.buffer).setBigUint64(0, HOSTILE_SECRET, true);
    m.core.writePhys(Number(planted), secret);
    expect(m.run(50_000_000).kind).toBe('system-off');
    const r = { output: Buffer.from(bytes).toString('latin1') };
    const out = lines(r.output);
    expect(out).toContain('ACCESSIBLE: read own-ram 0x40101000 = 0x0');
    expect(out).toContain('LEAKED: read planted 0x40100000 = 0x' + HOSTILE_SECRET.toString(16));
    expect(out.some((l) => l.startsWith('ACCESSIBLE: write planted 0x40100000'))).toBe(true);
    expect(parseReport(r.output).summary).toEqual({ tests: 32, failures: 4 });
  });

  it('the victim plants its secret and waits', () => {
    const v = victimImage();
    const r = runOnHvrr(v.bytes, 1, { maxInstructions: 2_000_000 });
    expect(r.stop).toBe('idle');
    expect(lines(r.output)).toContain(VICTIM_READY_PREFIX + '0x' + v.secretIpa.toString(16));
    const page = r.machine.core.readPhys(Number(v.secretIpa), 8);
    expect(new DataView(page.buffer, page.byteOffset).getBigUint64(0, true)).toBe(HOSTILE_SECRET);
  });

  it('the secret is not in the hostile image', () => {
    const img = hostileImage();
    const dv = new DataView(img.buffer, img.byteOffset, img.byteLength);
    for (let i = 0; i + 8 <= img.length; i += 4) expect(dv.getBigUint64(i, true)).not.toBe(HOSTILE_SECRET);
  });
});

describe('hostile guest, under the hypervisor with 2 VMs', () => {
  it.runIf(!existsSync(HYPERVISOR_MODULE))('skipped: core/hypervisor/hypervisor.ts does not exist yet', () => {
    expect(existsSync(HYPERVISOR_MODULE)).toBe(false);
  });
});
