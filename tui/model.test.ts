import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexJob } from './jobs.js';
import { TraceModel } from './model.js';
import { parseFilter } from './filter.js';
import { bookmarksFile, Bookmarks } from './bookmarks.js';
import { JOB_EVENTS, writeTrace } from './testing.js';

function model(): TraceModel {
  const { reader, path } = writeTrace(JOB_EVENTS, 4);
  return new TraceModel(reader, path);
}

function indexed(m: TraceModel): TraceModel {
  const g = indexJob(m.reader as never);
  for (;;) {
    const r = g.next();
    if (r.done) {
      m.setIndex(r.value);
      return m;
    }
  }
}

describe('the TUI model', () => {
  it('resolves jumps to an event, an exception, a tick, or says why not', () => {
    const m = model();
    expect(m.resolveJump('12')).toEqual({ seq: 12 });
    expect(m.resolveJump('#7')).toEqual({ seq: 7 });
    expect(m.resolveJump('e 2')).toEqual({ seq: 8 });
    expect(m.resolveJump('exception 3')).toEqual({ seq: 19 });
    expect(m.resolveJump('t 20')).toEqual({ seq: 18 });
    expect(m.resolveJump('@9')).toEqual({ seq: 8 });
    expect(m.resolveJump('99')).toEqual({ error: 'no event 99: the trace holds #0..#24' });
    expect(m.resolveJump('e 9')).toEqual({ error: 'no exception 9: the last is 3' });
    expect(m.resolveJump('t 1000')).toEqual({ error: 'no event at or after tick 1,000' });
    expect(m.resolveJump('where')).toHaveProperty('error');
  });

  it('finds the next and previous event of a kind, across chunks and among a filter\'s matches', () => {
    const m = model();
    expect(m.nextOfKind(6, 'exception', 1)).toBe(8);
    expect(m.nextOfKind(8, 'exception', 1)).toBe(19);
    expect(m.nextOfKind(19, 'exception', 1)).toBeNull();
    expect(m.nextOfKind(19, 'exception', -1)).toBe(8);
    expect(m.nextOfKind(6, 'exception', -1)).toBeNull();
    expect(m.nextOfKind(24, 'sched', -1)).toBe(18);
    const matches = m.setFilter(parseFilter('cpu=0'))!;
    matches.push([0, 6, 18, 19]);
    matches.complete = true;
    expect(m.nextOfKind(6, 'exception', 1)).toBe(19);
    expect(m.nearestShown(7)).toBe(18);
    expect(m.nearestShown(30)).toBe(19);
    m.setFilter(null);
    expect(m.nearestShown(7)).toBe(7);
  });

  it('knows the console up to an event, and the lanes, once indexed', () => {
    const m = model();
    expect(m.lanesAt(8)).toBeNull();
    expect(m.consoleUpTo(30)).toEqual([]);
    indexed(m);
    expect(m.consoleUpTo(0)).toEqual([]);
    expect(m.consoleUpTo(3).map((l) => l.text)).toEqual(['boot']);
    expect(m.consoleUpTo(9).map((l) => l.text)).toEqual(['boot', '[vm1] hi']);
    expect(m.lanesAt(8)).toEqual([{ vm: 0, vcpu: 0 }, { vm: 1, vcpu: 0 }]);
  });

  it('takes the pCPU count from the recorded options', () => {
    const { reader, path } = writeTrace(JOB_EVENTS, 4, { scenario: 'selftest', argv: ['--guest=selftest', '--smp=4'] });
    expect(new TraceModel(reader, path).cpus).toBe(4);
    const two = writeTrace(JOB_EVENTS, 4, { scenario: 'diag', argv: ['--guest=diag', '--smp=4', '--pcpus=2'] });
    expect(new TraceModel(two.reader, two.path).cpus).toBe(2);
    const bare = writeTrace(JOB_EVENTS, 4, { scenario: 'diag', argv: ['--guest=diag'] });
    expect(new TraceModel(bare.reader, bare.path).cpus).toBe(1);
  });

  it('keeps bookmarks beside the trace', () => {
    const m = model();
    expect(m.bookmarks.all()).toEqual([]);
    expect(m.bookmarks.set('b', 12)).toBe(true);
    expect(m.bookmarks.set('a', 3)).toBe(true);
    expect(JSON.parse(readFileSync(bookmarksFile(m.path), 'utf8'))).toEqual({ a: 3, b: 12 });
    const again = new TraceModel(m.reader, m.path);
    expect(again.bookmarks.get('b')).toBe(12);
    writeFileSync(bookmarksFile(m.path), 'not json');
    const bad = new Bookmarks(bookmarksFile(m.path));
    expect(bad.problem).toMatch(/bookmarks start empty/);
    expect(bad.all()).toEqual([]);
    const unwritable = new Bookmarks('/nonexistent-dir/x.bookmarks');
    expect(unwritable.set('a', 1)).toBe(false);
    expect(unwritable.problem).toMatch(/^cannot save/);
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });
});
