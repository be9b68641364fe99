// Compiles the AssemblyScript CPU core to build/cpu.wasm (and a text listing
// for inspection with --text). Skips the compile when the output is newer
// than every source.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'core/cpu/as');
const out = join(root, 'build/cpu.wasm');
const sources = [...readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => join(srcDir, f)), join(root, 'core/cpu/layout.ts'), join(root, 'core/cpu/ops.ts')];
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
if (existsSync(out) && statSync(out).mtimeMs > newest && !process.argv.includes('--force')) process.exit(0);
mkdirSync(join(root, 'build'), { recursive: true });
const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
const args = [asc, join(srcDir, 'index.ts'), '-O3', '--runtime', 'stub', '--importMemory', '--importTable', '--noAssert', '--disableWarning', '201',
  '--outFile', out];
if (process.argv.includes('--text')) args.push('--textFile', join(root, 'build/cpu.wat'));
try {
  execFileSync(process.execPath, args, { stdio: 'inherit', cwd: root });
} catch {
  console.error('build-wasm: AssemblyScript compile failed');
  process.exit(1);
}
