// What `hvrr record` writes into the trace header for replay to re-parse.
import { describe, expect, it } from 'vitest';
import { parseRecordArgs } from './record.js';
import { parseRunOptions } from './run.js';

describe('record: the recorded run options', () => {
  it('--max-seconds and --quiet-seconds re-parse to the same ticks (they were written as ticks and read back as seconds: 1e9 times too many, refused)', () => {
    const r = parseRecordArgs(['--max-seconds', '1.5', '--quiet-seconds', '0.25', '--smp', '2', '-o', 'x.hvrr'], () => {});
    expect(r.runArgv).toContain('--max-seconds=1.5');
    expect(r.runArgv).toContain('--quiet-seconds=0.25');
    const again = parseRunOptions(r.runArgv);
    expect(again.maxTicks).toBe(1_500_000_000);
    expect(again.quietTicks).toBe(250_000_000);
    expect(again.smp).toBe(2);
  });
});
