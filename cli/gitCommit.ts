// The commit of the checkout hvrr runs from, read from .git without a git
// binary: printed with every fuzz failure and used to rotate property-test
// seeds.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout hvrr runs from: this file is cli/gitCommit.ts in the source
 *  tree, or dist/cli/gitCommit.js when built. */
const HERE = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = basename(HERE) === 'dist' ? join(HERE, '..') : HERE;
const ROOT = REPO_ROOT;

/** The checked-out commit's hash read from .git (no git binary needed), or null. */
export function headCommit(root = ROOT): string | null {
  const read = (p: string): string | null => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return null;
    }
  };
  // A worktree's .git is a file naming its git directory; refs live in the common one.
  let gitDir = join(root, '.git');
  const pointer = /^gitdir: (.+)$/.exec(read(gitDir) ?? '')?.[1];
  if (pointer) gitDir = isAbsolute(pointer) ? pointer : join(root, pointer);
  const common = read(join(gitDir, 'commondir'));
  const refDir = common ? (isAbsolute(common) ? common : join(gitDir, common)) : gitDir;
  const head = read(join(gitDir, 'HEAD'));
  if (!head) return null;
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return null;
  const loose = read(join(refDir, ref));
  if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  const line = (read(join(refDir, 'packed-refs')) ?? '').split('\n').find((l) => l.endsWith(` ${ref}`));
  return line ? line.slice(0, 40) : null;
}

