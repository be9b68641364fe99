// Differential tier, Secure EL1 (issue 10): generated S-EL1 sequences
// (secure-generator.ts: loads, stores and AT through a secure stage 1 with
// descriptor NS bits set and clear and NSTable, into secure and Non-secure
// RAM; EL1 system register writes and reads) run on QEMU
// virt,secure=on,virtualization=on, entered from an EL3 stub (-bios), and on
// hvrr, entered by its EL3 firmware as a secure payload; final registers,
// NZCV, both scratch digests and the exception records must match
// (secure-harness.ts; docs/differential.md "Secure EL1").
//   HVRR_DIFF_SEL1_SEQUENCES  number of sequences (default 400; CI's bound)
//   HVRR_DIFF_SEL1_SEED       seed (default: from the commit)
import { describe, expect, it } from 'vitest';
import { hasQemu } from '../../scripts/qemu.js';
import { suiteSeed } from '../seed.js';
import { secureSequence, type SecureSequence } from './secure-generator.js';
import { buildSecureProgram, compareSecure, runSecureHvrr, runSecureQemu, SECURE_QEMU_CPU } from './secure-harness.js';

const qemu = hasQemu();
if (!qemu) console.log('secure differential: qemu-system-aarch64 not found; skipping (apt-get install qemu-system-arm)');

const DEFAULT_SEED = 0x5e1;
const BATCH = 200;
const count = Number(process.env.HVRR_DIFF_SEL1_SEQUENCES ?? 400);
const seed = suiteSeed('secure differential', 'HVRR_DIFF_SEL1_SEED', DEFAULT_SEED, { sequences: count, batch: BATCH, cpu: SECURE_QEMU_CPU });

function describeSeq(s: SecureSequence): string {
  return s.items.map((it) => `    [${it.cls}] ${it.lines.join('; ')}`).join('\n');
}

describe.skipIf(!qemu)('differential: Secure EL1, hvrr vs QEMU virt,secure=on', () => {
  it(`${count} generated S-EL1 sequences (seed ${seed})`, async () => {
    const reports: string[] = [];
    const failures: string[] = [];
    const classes = new Map<string, number>();
    let mismatches = 0;
    let qemuOutput = '';
    for (let start = 0; start < count; start += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => start + k);
      const seqs = ids.map((id) => secureSequence(seed, id));
      for (const s of seqs) for (const it of s.items) classes.set(it.cls.replace(/-.*/, ''), (classes.get(it.cls.replace(/-.*/, '')) ?? 0) + 1);
      const prog = buildSecureProgram(seqs, ids);
      const q = runSecureQemu(prog.bytes);
      const h = runSecureHvrr(prog.bytes, ids.length);
      // The first program also under the interpreter alone: the same output as the translator's.
      if (start === 0) {
        const i = runSecureHvrr(prog.bytes, ids.length, 'interp');
        if (i.output !== h.output || i.secureOutput !== h.secureOutput) failures.push('hvrr: the interpreter and the translator print different results');
      }
      const qr = await q;
      qemuOutput += qr.output;
      if (h.stop !== 'system-off') failures.push(`hvrr stopped with ${h.stop}`);
      if (qr.stop !== 'system-off') failures.push(`qemu stopped with ${qr.stop}`);
      if (h.secureOutput !== qr.secureOutput) failures.push(`secure UART: hvrr ${JSON.stringify(h.secureOutput)}, qemu ${JSON.stringify(qr.secureOutput)}`);
      if (!qr.secureOutput.startsWith('secure differential program at S-EL1: ')) failures.push(`secure UART: qemu printed ${JSON.stringify(qr.secureOutput)}`);
      for (const m of compareSecure(ids, h.output, qr.output)) {
        mismatches++;
        if (reports.length < 6) {
          reports.push(`MISMATCH seq ${m.id} (seed ${seed}): first difference in ${m.what}: hvrr=${m.hvrr} qemu=${m.qemu}\n` +
            `${describeSeq(seqs[ids.indexOf(m.id)]!)}\n  reproduce: HVRR_DIFF_SEL1_SEED=${seed} HVRR_DIFF_SEL1_SEQUENCES=${m.id + 1} npx vitest run property-tests/differential/secure-el1.test.ts`);
        }
      }
    }
    console.log(`secure differential: seed ${seed}, ${count} sequences, ${mismatches} mismatches; classes ${[...classes].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (reports.length) console.log(reports.join('\n\n'));
    expect(failures).toEqual([]);
    expect(mismatches).toBe(0);
    if (count >= 100) {
      // What the tier is about happened: a Non-secure access to secure RAM
      // aborted (synchronous external abort at EL1, read or write) and AT
      // reported a Non-secure output (PAR_EL1.NS, the NS scratch's page).
      expect(qemuOutput).toMatch(/^00000000960000[15]0$/m);
      expect(qemuOutput).toMatch(/^ff00000040600b80$/m);
    }
  }, 900_000);

  it('the comparison names the first differing line of a sequence', () => {
    const out = (x5: string): string => ['S0000000000000007', ...Array.from({ length: 20 }, (_, i) => (i === 5 ? x5 : '0000000000000000')), ''].join('\n');
    expect(compareSecure([7], out('0000000000000001'), out('0000000000000001'))).toEqual([]);
    expect(compareSecure([7], out('0000000000000001'), out('0000000000000002'))).toEqual([{ id: 7, what: 'x5', hvrr: '0000000000000001', qemu: '0000000000000002' }]);
    expect(compareSecure([8], out('1'), out('1'))[0]?.what).toBe('missing output');
  });
});
