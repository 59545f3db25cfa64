import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/event-loop-turn.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two test files at a time: on the 2-core CI machine the default ran one, and two finish
    // the suite in three quarters of the time (the FLASH tests' own workers share the cores).
    maxWorkers: 2,
  },
});
