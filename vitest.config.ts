import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Property tests run hundreds of cases; on a shared 2-core machine one can take
    // minutes, so the limit only catches real hangs.
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
