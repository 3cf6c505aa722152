import { defineConfig } from 'vitest/config';

/**
 * Tests that compare rates measured in two phases. Beside other test files, a burst of their work
 * can land in one phase and not the other; these run alone, once the rest of the suite is done.
 */
const measuredAlone = ['test/delivery/isolation.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: measuredAlone, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'measured alone', include: measuredAlone, sequence: { groupOrder: 1 } } },
    ],
  },
});
