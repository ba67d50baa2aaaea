import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `@photogram/client` imported by the server's test helpers is this source too, not the
  // last build; the other conditions are Vite's defaults for a server.
  ssr: {
    resolve: { conditions: ['@photogram/source', 'module', 'node', 'development|production'] },
  },
  test: {
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
