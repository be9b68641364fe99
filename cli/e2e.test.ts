// End-to-end: the real `hvrr` binary as a child process (needs the compiled
// CLI in dist/; built here when missing).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { TraceReader } from '../replay/traceFile.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'hvrr.js');

function hvrr(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  }
});

describe('hvrr binary', () => {
  it('runs the self-test on 2 CPUs: report on stdout, one summary line on stderr, exit 0', () => {
    const r = hvrr(['run', '--guest', 'selftest', '--smp', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('hvrr self-test: cpu1 online');
    expect(r.out).toContain('hvrr self-test: all checks PASS, powering off\n');
    expect(r.err).toMatch(/^hvrr: system-off after [\d,]+ instructions, [\d.]+ s virtual, [\d.]+ s wall, [\d.]+ MIPS\n$/);
  });

  it('rejects a bad option value with one line and exit 2', () => {
    const r = hvrr(['run', '--smp', '9']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^hvrr: --smp: '9' is not an integer from 1 to 8[^\n]*\n$/);
    expect(r.out).toBe('');
  });

  it('reports a missing kernel file without a stack trace', () => {
    const r = hvrr(['run', '--kernel', '/nonexistent/vmlinux']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("hvrr: cannot read kernel '/nonexistent/vmlinux': no such file\n");
  });

  it('says to run the build when dist/ is missing', () => {
    const d = mkdtempSync(join(tmpdir(), 'hvrr-bin-'));
    copyFileSync(bin, join(d, 'hvrr.js'));
    const r = spawnSync(process.execPath, [join(d, 'hvrr.js'), 'run'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hvrr: not built .*run 'npm run build'/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  // A guest that never ends: 'b .' as a raw binary.
  const loopKernel = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hvrr-sig-'));
    const k = join(d, 'loop.bin');
    writeFileSync(k, Buffer.from([0x00, 0x00, 0x00, 0x14]));
    return k;
  };

  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129], ['SIGINT', 130]] as const) {
    it(`${signal} ends a recording like Ctrl-A x: the trace is closed (index and footer), exit ${code}`, async () => {
      const k = loopKernel();
      const trace = join(dirname(k), 'sig.hvrr');
      const child = spawn(process.execPath, [bin, 'record', '--kernel', k, '-o', trace], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => {
        err += d;
      });
      // The first progress line: the recording is under way.
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no progress line: ${err}`)), 30_000);
        child.stderr.on('data', () => {
          if (err.includes('hvrr record:')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      child.kill(signal);
      const status = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(status, err).toBe(code);
      expect(err).toMatch(/hvrr: recorded interrupted to /);
      const r = TraceReader.open(trace);
      expect(r.recovered).toBe(false);
      expect(r.eventCount).toBeGreaterThan(0);
      r.close();
    }, 60_000);
  }
});
