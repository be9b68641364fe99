import { describe, expect, it } from 'vitest';
import { bootSpmcMachine } from '../../core/spmc/spmcTesting.js';
import { bundledPartitions } from '../sp/index.js';
import { CLIENT_SUMMARY_PREFIX, clientChecks, clientSource, ffaClientImage } from './index.js';

/** Checks waiting for SPMC ABIs not merged yet (memory sharing, notifications, indirect messaging). */
const PENDING = new Set([
  'features', 'mem-share-sp1', 'mem-lend-sp1', 'mem-share-sp2', 'mem-lend-sp3', 'mem-donate-sp1', 'mem-reclaim-unknown-handle',
  'mem-share-other-sender-denied', 'mem-share-no-constituents', 'sp-to-sp-share', 'sp-to-sp-lend', 'sp-to-sp-donate', 'frag-tx',
  'frag-tx-and-rx', 'frag-tx-unknown-handle', 'notifications', 'notification-set-unbound-denied', 'indirect-message',
]);

function runClient(numCpus: number): { lines: string[]; secure: string[]; stop: unknown } {
  const { m, spmc } = bootSpmcMachine(clientSource(), bundledPartitions().map((p) => p.package), { numCpus, ramBytes: 64 << 20 });
  const out: number[] = [];
  m.onConsole = (b) => out.push(b);
  const stop = m.run(100_000_000);
  return { lines: Buffer.from(out).toString('latin1').split('\n').filter((l) => l !== ''), secure: spmc.consoleLines, stop };
}

describe('the Normal-world FF-A test client', () => {
  it('assembles with both conduits; check names are unique', () => {
    expect(ffaClientImage({ conduit: 'smc' }).length).toBeGreaterThan(0);
    expect(ffaClientImage({ conduit: 'hvc' }).length).toBeGreaterThan(0);
    const names = clientChecks().map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  for (const numCpus of [1, 4]) {
    it(`runs bare at NS-EL1 against the SPMC and the bundled partitions (${numCpus} CPU${numCpus > 1 ? 's' : ''}): one line per check, every available check passes`, () => {
      const r = runClient(numCpus);
      expect(r.stop).toEqual({ kind: 'system-off' });
      const names = clientChecks().map((c) => c.name);
      const results = r.lines.filter((l) => /^(PASS|FAIL) /.test(l));
      expect(results.map((l) => l.split(/[ :]/)[1])).toEqual(names);
      const failed = results.filter((l) => l.startsWith('FAIL') && !PENDING.has(l.split(/[ :]/)[1]!));
      expect(failed).toEqual([]);
      const passed = results.filter((l) => l.startsWith('PASS')).length;
      expect(r.lines.at(-1)).toBe(`${CLIENT_SUMMARY_PREFIX} pass=${passed} fail=${names.length - passed}`);
      expect(passed).toBeGreaterThanOrEqual(names.length - PENDING.size);
      // Every partition logged its start through FFA_CONSOLE_LOG.
      for (const [id, name] of [['0x8001', 'sp1'], ['0x8002', 'sp2'], ['0x8003', 'sp3']]) expect(r.secure).toContain(`[${id}] ${name}: up, waiting for requests`);
    });
  }
});
