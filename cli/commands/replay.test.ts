// `--until ffa [NAME|FID]` as replay parses it (the whole-machine stops are in
// cli/secure.test.ts and cli/ffaLinux.test.ts).
import { describe, expect, it } from 'vitest';
import { FFA_MEM_FRAG_TX, FFA_MEM_SHARE_32, FFA_MEM_SHARE_64, FFA_VERSION } from '../../core/ffa/functionIds.js';
import { describeTarget } from '../../replay/targets.js';
import { UsageError } from '../errors.js';
import { parseUntil } from './replay.js';

describe('--until ffa', () => {
  it('alone: any FF-A event, the Nth with --count', () => {
    expect(parseUntil('ffa', '--until', 3)).toEqual({ kind: 'ffa', count: 3 });
    expect(describeTarget(parseUntil('ffa', '--until', 3))).toBe('ffa (occurrence 3)');
  });

  it('a name without its width matches both forms; with FFA_ or a width, exactly that one; any case', () => {
    expect(parseUntil('ffa:mem_share', '--until')).toEqual({ kind: 'ffa', fids: [FFA_MEM_SHARE_32, FFA_MEM_SHARE_64], name: 'FFA_MEM_SHARE', count: 1 });
    expect(parseUntil('ffa:FFA_MEM_SHARE_64', '--until')).toEqual({ kind: 'ffa', fids: [FFA_MEM_SHARE_64], name: 'FFA_MEM_SHARE_64', count: 1 });
    expect(parseUntil('ffa:VERSION', '--until')).toEqual({ kind: 'ffa', fids: [FFA_VERSION], name: 'FFA_VERSION', count: 1 });
    expect(describeTarget(parseUntil('ffa:MEM_FRAG_TX', '--until'))).toBe('ffa FFA_MEM_FRAG_TX');
  });

  it('a function id: named when it is one', () => {
    expect(parseUntil('ffa:0x8400007b', '--until')).toEqual({ kind: 'ffa', fids: [FFA_MEM_FRAG_TX], name: 'FFA_MEM_FRAG_TX', count: 1 });
    expect(parseUntil('ffa:0x84000000', '--until')).toEqual({ kind: 'ffa', fids: [0x84000000], name: '0x84000000', count: 1 });
  });

  it('refuses an unknown name and an id wider than 32 bits', () => {
    expect(() => parseUntil('ffa:LUNCH', '--until')).toThrow(UsageError);
    expect(() => parseUntil('ffa:LUNCH', '--until')).toThrow(/unknown FF-A function 'LUNCH'/);
    expect(() => parseUntil('ffa:0x100000000', '--until')).toThrow(/does not fit in 32 bits/);
  });
});
