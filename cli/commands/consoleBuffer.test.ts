import { describe, expect, it } from 'vitest';
import { ConsoleBuffer } from './run.js';

function through(text: string, dropQueries: boolean, flushEvery = 0): string {
  const chunks: string[] = [];
  const b = new ConsoleBuffer({ write: (c) => chunks.push(Buffer.from(c as Uint8Array).toString('latin1')) }, dropQueries);
  [...Buffer.from(text, 'latin1')].forEach((byte, i) => {
    b.push(byte);
    if (flushEvery > 0 && i % flushEvery === 0) b.flush();
  });
  b.flush(true);
  return chunks.join('');
}

describe('ConsoleBuffer', () => {
  const shell = '~ # \x1b[6nls\r\n\x1b[1;34mbin\x1b[0m\r\n~ # \x1b[6n';
  it('passes terminal queries to a terminal', () => {
    expect(through(shell, false)).toBe(shell);
  });
  it('leaves terminal queries out of a pipe, keeping every other escape sequence, across flushes', () => {
    for (const every of [0, 1, 2, 3]) expect(through(shell, true, every)).toBe('~ # ls\r\n\x1b[1;34mbin\x1b[0m\r\n~ # ');
    expect(through('a\x1b[ca\x1b[>0cb\x1bZ\x1b[5nc', true)).toBe('aabc');
  });
  it('a sequence that only starts like a query, or is cut off at the end, is kept', () => {
    expect(through('\x1b[6m\x1b[61n\x1b', true)).toBe('\x1b[6m\x1b[61n\x1b');
    expect(through('x\x1b[6', true)).toBe('x\x1b[6');
  });
});
