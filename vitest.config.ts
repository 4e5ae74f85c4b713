import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards only: tests wait on events, files and processes, never on time, so a loaded
    // machine (two cores shared by many) makes them slower but never makes them fail.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Two cores: the media tests are I/O- and process-heavy, so keep to two workers.
    maxWorkers: 2,
    // @actions/workflow-parser imports JSON without import attributes: let vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
