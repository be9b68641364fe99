// Hostile guests. Bare mode: every access the hostile guest tries has nothing
// behind it on the hvrr board, so each must fault and be reported BLOCKED
// (this checks the program's logic: probes, vector, sweep, report). Under the
// hypervisor with two VMs (hostile + victim): isolation.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../core/asm/assembler.js';
import { LOAD_ADDRESS, parseReport } from '../conformance/runtime.js';
import { runOnHvrr } from '../conformance/run.js';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { hvMachine } from '../../core/hypervisor/testing.js';
import { HOSTILE_DONE_LINE, HOSTILE_SECRET, VICTIM_READY_PREFIX, hostileImage, hostileSource, victimImage } from './index.js';

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
  const MiB = 1 << 20;

  function twoVms(numCpus: number) {
    const victim = victimImage();
    // The hostile VM first: the victim's RAM is then backed above the hostile's
    // whole IPA window, so its secret's PA is an address the hostile can name.
    const hostileRam = 64 * MiB;
    const r0 = hvMachine({ vms: [{ numVcpus: 1, ramBytes: hostileRam, kernel: new Uint8Array(4) }, { numVcpus: 1, ramBytes: 64 * MiB, kernel: victim.bytes }] }, { numCpus });
    const victimBacking = BigInt(r0.hv.s.vms[1]!.backingPa);
    const secretPa = victimBacking + victim.secretIpa - 0x4000_0000n;
    // (The hypervisor's reserve is PA [0x40000000, +16 MiB): those numbers are
    // IPAs of the hostile's own RAM, so it cannot name the reserve at all; the
    // sweep and the PA-looking probes cover everything above its RAM.)
    const extraProbes = [
      { name: 'victim-secret-pa', address: secretPa },
      { name: 'victim-ram-pa', address: victimBacking },
    ];
    const r = hvMachine({
      vms: [
        { name: 'hostile', numVcpus: 1, ramBytes: hostileRam, kernel: hostileImage({ ramBytes: BigInt(hostileRam), secretIpa: victim.secretIpa, extraProbes }) },
        { name: 'victim', numVcpus: 1, ramBytes: 64 * MiB, kernel: victim.bytes },
      ],
    }, { numCpus });
    const stop = r.m.run(3_000_000_000);
    return { r, stop, secretPa, victim };
  }

  it.each([1, 2])('nothing leaks, every attempt is BLOCKED (%i pCPU(s))', (numCpus) => {
    const { r, stop, secretPa, victim } = twoVms(numCpus);
    const out = lines(r.console());
    // the hostile VM powers off, the victim waits for ever
    expect(stop.kind).toBe('idle');
    expect(out).toContain(`[victim] ${VICTIM_READY_PREFIX}0x${victim.secretIpa.toString(16)}`);
    const hostile = out.filter((l) => l.startsWith('[hostile] ')).map((l) => l.slice(10));
    expect(hostile.at(-1)).toBe(HOSTILE_DONE_LINE);
    expect(hostile.filter((l) => l.startsWith('LEAKED') || l.startsWith('ACCESSIBLE'))).toEqual([]);
    const blocked = hostile.filter((l) => l.startsWith('BLOCKED: '));
    // 11 addresses x read/write, 2 sweeps, 8 EL2/EL3 accesses, 8 console writes
    expect(blocked).toHaveLength(22 + 2 + 8 + 8);
    expect(blocked).toContain(`BLOCKED: read victim-secret-pa 0x${secretPa.toString(16)}`);
    expect(blocked).toContain(`BLOCKED: console-write victim-secret-pa ipa 0x${secretPa.toString(16)} len 0x40`);
    expect(blocked).toContain('BLOCKED: console-write huge-length ipa 0x40080000 len 0xffffffffffffffff');
    expect(hostile).toContain(`SUMMARY: ${blocked.length} tests, 0 failures`);
    // the victim's secret is intact, and the hypervisor counted injected aborts, not host errors
    const v = r.hv.s.vms[1]!;
    const page = r.m.core.readPhys(v.backingPa + Number(victim.secretIpa) - 0x4000_0000, 8);
    expect(new DataView(page.buffer, page.byteOffset).getBigUint64(0, true)).toBe(HOSTILE_SECRET);
    expect(r.hv.s.counters['injectedAborts']).toBeGreaterThan(1000);
  });
});
