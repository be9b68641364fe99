// Every QEMU command line the project builds works where Debian's optional
// ipxe-qemu package (the default NIC's option ROM, efi-virtio.rom) is
// missing: it passes -nodefaults or -nic none. A source scan keeps new QEMU
// command lines to the builders checked here.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { qemuVirtArgs } from './qemu.js';
import { qemuArgs } from './bench-linux.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function noDefaultNic(args: readonly string[]): boolean {
  return args.includes('-nodefaults') || args.some((a, i) => a === '-nic' && args[i + 1] === 'none');
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('QEMU command lines', () => {
  it('bare-metal runs (differential tier, bench) and the Linux benchmark have no default NIC', () => {
    expect(noDefaultNic(qemuVirtArgs('k.bin', 'stdio', { cpu: 'cortex-a57' }))).toBe(true);
    expect(noDefaultNic(qemuArgs({ kernel: 'Image', initrd: 'initrd', disk: 'disk.img' }, 4))).toBe(true);
    expect(noDefaultNic(qemuArgs({ kernel: 'Image', initrd: 'initrd' }, 1))).toBe(true);
  });

  it('every file that starts a QEMU command line (-M/-machine) is one of the builders above', () => {
    const builders = ['scripts/qemu.ts', 'scripts/bench-linux.ts'];
    const found = sources(ROOT).filter((p) => /['"]-(M|machine)['"]/.test(readFileSync(p, 'utf8'))).map((p) => relative(ROOT, p)).sort();
    expect(found).toEqual(builders.sort());
  });
});
