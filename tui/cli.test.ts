// `hvrr tui`'s refusals: one line, exit 2, before anything is drawn.
import { describe, expect, it } from 'vitest';
import type { InStream } from '../cli/io.js';
import { runCli, Sink } from '../cli/testing.js';

const ttyIn = { isTTY: true, on: () => {}, off: () => {}, resume: () => {}, pause: () => {} } as unknown as InStream;
const ttyOut = (): Sink => Object.assign(new Sink(), { isTTY: true });

describe('hvrr tui command line', () => {
  it('needs a terminal, one trace, a readable trace', async () => {
    const noTty = await runCli(['tui', 'x.hvrr']);
    expect(noTty).toMatchObject({ code: 2, err: 'hvrr: hvrr tui needs a terminal (stdin and stdout); for text, use hvrr dump\n' });
    const stdout = ttyOut();
    const missing = await runCli(['tui', '/nonexistent/x.hvrr'], { stdin: ttyIn, stdout });
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("hvrr: cannot read '/nonexistent/x.hvrr': no such file\n");
    expect(stdout.text).toBe('');
    expect((await runCli(['tui'])).err).toMatch(/^hvrr: missing trace FILE \(usage: hvrr tui FILE\)/);
    expect((await runCli(['tui', 'a', 'b'])).err).toMatch(/^hvrr: unexpected argument 'b'/);
    expect((await runCli(['tui', '--help'])).out).toMatch(/^Usage: hvrr tui FILE\n/);
  });
});
