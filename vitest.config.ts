import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'replay/**/*.test.ts', 'snapshots/**/*.test.ts', 'golden/**/*.test.ts', 'tui/**/*.test.ts', 'tui/**/*.test.tsx', 'guests/**/*.test.ts', 'cli/**/*.test.ts', 'fuzz/**/*.test.ts', 'property-tests/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    pool: 'forks',
  },
});
