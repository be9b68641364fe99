import { describe, expect, it } from 'vitest';
import { clientChecks, ffaClientImage } from './index.js';

describe('the Normal-world FF-A test client', () => {
  it('assembles with both conduits; check names are unique', () => {
    expect(ffaClientImage({ conduit: 'smc' }).length).toBeGreaterThan(0);
    expect(ffaClientImage({ conduit: 'hvc' }).length).toBeGreaterThan(0);
    const names = clientChecks().map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(40);
  });
});
