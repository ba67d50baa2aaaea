import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `allowOnly: false`: a committed `test.only` would quietly skip the rest of its file.
  test: { testTimeout: 30_000, hookTimeout: 60_000, allowOnly: false },
});
