import { describe, expect, it } from 'vitest';
import { filterJob, indexJob, searchJob, type Progress } from './jobs.js';
import { parseFilter } from './filter.js';
import { Lanes } from './lanes.js';
import { JOB_EVENTS, numbered, uartText, writeTrace } from './testing.js';

function run<T>(g: Generator<Progress, T>): { result: T; progress: Progress[] } {
  const progress: Progress[] = [];
  for (;;) {
    const r = g.next();
    if (r.done) return { result: r.value, progress };
    progress.push(r.value);
  }
}

describe('TUI jobs', () => {
  const { reader } = writeTrace(JOB_EVENTS, 4);

  it('index: console lines with the seqs that printed them, lanes, FF-A messages, one step per chunk', () => {
    const { result, progress } = run(indexJob(reader));
    expect(progress.length).toBe(7); // 25 events in chunks of 4
    expect(progress[progress.length - 1]).toEqual({ done: 7, total: 7 });
    expect(result.console).toEqual([
      { first: 1, last: 5, cpu: 0, text: 'boot' },
      { first: 9, last: 17, cpu: 1, text: '[vm1] hi' },
      { first: 21, last: 24, cpu: 0, text: 'tail' },
    ]);
    expect(result.ffa.map((e) => e.seq)).toEqual([20]);
    expect(result.cpus).toBe(2);
    const lanes = Lanes.fromJSON(result.lanes);
    expect(lanes.at(6)).toEqual([{ vm: 0, vcpu: 0 }, null]);
    expect(lanes.at(8)).toEqual([{ vm: 0, vcpu: 0 }, { vm: 1, vcpu: 0 }]);
    expect(lanes.at(19)).toEqual([null, { vm: 1, vcpu: 0 }]);
  });

  it('index: the secure UART (world=s) is a console of its own, its lines marked [secure] even when the two interleave', () => {
    const secure = uartText('sec\n', 0, 100).map((e) => ({ ...e, world: 's' as const }));
    const ns = uartText('ns\n', 0, 100);
    const mixed = numbered([ns[0]!, secure[0]!, ns[1]!, secure[1]!, secure[2]!, ns[2]!, secure[3]!]);
    const { result } = run(indexJob(writeTrace(mixed, 4).reader));
    expect(result.console).toEqual([
      { first: 0, last: 5, cpu: 0, text: 'ns' },
      { first: 1, last: 6, cpu: 0, text: '[secure] sec' },
    ]);
  });

  it('filter: matches per chunk; vm and vcpu follow the sched events', () => {
    const seqs = (text: string): number[] => run(filterJob(reader, parseFilter(text))).progress.flatMap((p) => p.found ?? []);
    expect(seqs('exception')).toEqual([6, 8, 19]);
    expect(seqs('exception cpu=0')).toEqual([6, 19]);
    expect(seqs('vm=1')).toEqual([7, 8, ...Array.from({ length: 9 }, (_, i) => 9 + i), 20]);
    expect(seqs('vm=0 exception')).toEqual([6]);
    expect(seqs('ffa=MSG_SEND_DIRECT_REQ')).toEqual([20]);
    expect(run(filterJob(reader, parseFilter('exception'))).result).toBe(3);
  });

  it('search: forwards, backwards, wrapping around, among a filter\'s matches', () => {
    const find = (q: string, from: number, dir: 1 | -1, within?: number[]): number | null => run(searchJob(reader, q, from, dir, within)).result;
    expect(find('DABT', 0, 1)).toBe(8);
    expect(find('ec=0x16', 6, 1)).toBe(19);
    expect(find('ec=0x16', 19, 1)).toBe(6); // wrapped
    expect(find('ec=0x16', 19, -1)).toBe(6);
    expect(find('ec=0x16', 6, -1)).toBe(19); // wrapped
    expect(find('vm1', 0, 1)).toBe(7);
    expect(find('nowhere', 3, 1)).toBeNull();
    expect(find('sched', 0, 1, [6, 8, 19])).toBeNull();
    expect(find('exception', 8, 1, [6, 8, 19])).toBe(19);
  });
});
