// Issue 9, defect 2: replaying or dumping a truncated trace says so on
// stderr (up to which event, how much was lost) and shows only what the file
// holds.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../replay/traceFile.js';
import { runCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-truncated-'));

describe('a truncated trace', () => {
  const trace = join(dir, 't4.hvrr');
  const cut = join(dir, 'cut.hvrr');
  let lastSeq = -1;
  let lost = 0;

  it('is cut inside an events chunk after the first snapshots (the reproduction of issue 9)', async () => {
    const r = await runCli(['record', '--guest', 'selftest', '--smp', '4', '--snapshot-every', '1000000', '-o', trace]);
    expect(r.code).toBe(0);
    const whole = TraceReader.open(trace);
    // The first events chunk after a snapshot, cut a few hundred bytes into its payload.
    const chunks = whole.index.chunks;
    const at = chunks.findIndex((c, i) => c.kind === 'events' && c.firstSeq > 0 && chunks[i - 1]!.kind === 'snapshot' && c.size > 1000);
    expect(at).toBeGreaterThan(0);
    const c = chunks[at]!;
    lastSeq = c.firstSeq - 1;
    whole.close();
    const bytes = readFileSync(trace);
    writeFileSync(cut, bytes.subarray(0, c.offset + 600));
    lost = 600;
  });

  it('replay says on stderr that it was recovered, up to which event and how much was lost, and shows no event past it', async () => {
    const r = await runCli(['replay', cut, '--print', 'events,uart']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`hvrr: warning: trace '${cut}' was recovered from a truncated file`);
    expect(r.err).toContain(`it holds events #0..#${lastSeq} (${(lastSeq + 1).toLocaleString('en-US')} events)`);
    expect(r.err).toMatch(new RegExp(`${lost} trailing bytes lost \\(an incomplete events chunk of [\\d,]+ events, ${lost} of its [\\d,]+ bytes\\)`));
    expect(r.out).toContain(`; ${(lastSeq + 1).toLocaleString('en-US')} events and `);
    expect(r.out).toMatch(new RegExp(`, ${(lastSeq + 1).toLocaleString('en-US')} events\\n`));
    const shown = [...r.out.matchAll(/^ {2}#(\d+) /gm)].map((m) => Number(m[1]));
    expect(shown.length).toBeGreaterThan(0);
    expect(Math.max(...shown)).toBe(lastSeq);
  });

  it('dump says the same on stderr and prints exactly the events in the file', async () => {
    const r = await runCli(['dump', cut]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`it holds events #0..#${lastSeq}`);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const seqs = [...r.out.matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
    expect(seqs).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i));
  });

  it('a complete trace gives no warning', async () => {
    expect((await runCli(['dump', trace, '--count', '1'])).err).toBe('');
    expect((await runCli(['replay', trace, '--until', 'exception', '3', '--print', 'events'])).err).toBe('');
  });
});
