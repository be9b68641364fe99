// Every QEMU command line the project builds works where Debian's optional
// ipxe-qemu package (the default NIC's option ROM, efi-virtio.rom) is
// missing: it passes -nodefaults or -nic none. A source scan keeps new QEMU
// command lines to the builders checked here.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { qemuVirtArgs } from './qemu.js';
import { sourceFiles } from './sourceScan.js';
import { qemuArgs } from './bench-linux.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function noDefaultNic(args: readonly string[]): boolean {
  return args.includes('-nodefaults') || args.some((a, i) => a === '-nic' && args[i + 1] === 'none');
}

describe('QEMU command lines', () => {
  it('bare-metal runs (differential tier, bench) and the Linux benchmark have no default NIC', () => {
    expect(noDefaultNic(qemuVirtArgs('k.bin', 'stdio', { cpu: 'cortex-a57' }))).toBe(true);
    expect(noDefaultNic(qemuArgs({ kernel: 'Image', initrd: 'initrd', disk: 'disk.img' }, 4))).toBe(true);
    expect(noDefaultNic(qemuArgs({ kernel: 'Image', initrd: 'initrd' }, 1))).toBe(true);
  });

  it('every file that starts a QEMU command line (-M/-machine) is one of the builders above', () => {
    const builders = ['scripts/qemu.ts', 'scripts/bench-linux.ts'];
    const found = sourceFiles(ROOT, ['core', 'replay', 'snapshots', 'cli', 'guests', 'scripts', 'property-tests', 'golden', 'tui']).filter((p) => !p.endsWith('.test.ts')).filter((p) => /['"]-(M|machine)['"]/.test(readFileSync(p, 'utf8'))).map((p) => relative(ROOT, p)).sort();
    expect(found).toEqual(builders.sort());
  });
});
