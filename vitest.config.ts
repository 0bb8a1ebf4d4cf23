import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start whole systems; two cores are shared, so keep files from starving each other.
    maxWorkers: 2,
  },
});
