import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The tests' helpers use @photogram/client: read its source, not its last build.
  ssr: {
    resolve: { conditions: ['@photogram/source', 'module', 'node', 'development|production'] },
  },
  // `allowOnly: false`: a committed `test.only` would quietly skip the rest of its file.
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: false,
    // Vitest runs one file at a time on a 2-core machine (cores − 1). These files spend
    // most of their time waiting on servers they spawned, sockets and timers: three at
    // once keep both cores busy.
    maxWorkers: 3,
  },
});
