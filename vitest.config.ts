import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/redis-global.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two shared cores: keep the worker count honest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
