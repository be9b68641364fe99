import { describe, expect, it } from 'vitest';
import { formatEvent, TRACE_KINDS } from '../core/trace/events.js';
import { loadConfig } from './config.js';
import { runScenario } from './scenario.js';
import { SAMPLE_EVENTS } from '../core/trace/sampleEvents.js';
import { checkTemplate, renderEvent } from './render.js';
import { defaultGoldenDir } from '../cli/commands/golden.js';

describe('golden rendering', () => {
  it('renders every kind exactly as formatEvent when nothing is redacted', () => {
    expect(new Set(SAMPLE_EVENTS.map((e) => e.kind))).toEqual(new Set(TRACE_KINDS));
    for (const e of SAMPLE_EVENTS) {
      expect(renderEvent(e)).toBe(formatEvent(e));
      expect(checkTemplate(e)).toBeNull();
    }
  });

  it('renders every event of the 4-CPU hypervisor scenario exactly as formatEvent', async () => {
    const cfg = loadConfig(defaultGoldenDir(), 'selftest-hv-smp4');
    let n = 0;
    await runScenario(cfg, (e) => {
      n++;
      const p = checkTemplate(e);
      if (p) throw new Error(p);
    });
    expect(n).toBeGreaterThan(1000);
  });

  it('renders every event of the FF-A demo (event format 3 FF-A fields) exactly as formatEvent', async () => {
    let ffa = 0;
    await runScenario(loadConfig(defaultGoldenDir(), 'ffa-demo'), (e) => {
      if (e.kind === 'ffa') ffa++;
      const p = checkTemplate(e);
      if (p) throw new Error(p);
    });
    expect(ffa).toBeGreaterThan(400);
  });

  it('passes each field, with its rendering, through the hook', () => {
    const seen: string[] = [];
    const line = renderEvent(SAMPLE_EVENTS[8]!, (f, i, _raw, text) => {
      seen.push(i === undefined ? f : `${f}.${i}`);
      return f === 'args' ? `<a${i}>` : text;
    });
    expect(line).toBe('#8 @18 cpu0 psci fn=0xc4000003 args=[<a0>,<a1>,<a2>] result=0x0');
    expect(seen).toEqual(['seq', 'tick', 'cpu', 'fn', 'args.0', 'args.1', 'args.2', 'result']);
  });
});
