#!/usr/bin/env node
// hvrr command entry point: runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`hvrr: not built (${entry} is missing): run 'npm run build' first\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
// Let stdout/stderr drain (pipes are asynchronous), then exit even if stdin is still open.
process.exitCode = code;
const done = () => process.exit(code);
if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) done();
else {
  let pending = 2;
  const one = () => { if (--pending === 0) done(); };
  process.stdout.write('', one);
  process.stderr.write('', one);
}
