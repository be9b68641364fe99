// hvrr's version for the meta section, read from package.json (source tree
// or dist/). Not simulation state: it is stamped into files, never into the id.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hvrr' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}

export const HVRR_VERSION: string = readVersion();
