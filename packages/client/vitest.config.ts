import { defineConfig } from 'vitest/config';

// The tests start real servers through @photogram/server/testing/*. That package is not in
// devDependencies, because it lists this one (its tests use this client) and turbo refuses
// a cycle between workspaces; npm's workspace link resolves it all the same.

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
    // A committed `test.only` would quietly skip the rest of its file.
    allowOnly: false,
  },
});
