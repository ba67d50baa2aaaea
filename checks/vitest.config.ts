import { defineConfig } from 'vitest/config';

// Checks of the repository itself (not of any one workspace), run by `npm test`.
export default defineConfig({
  test: { include: ['checks/**/*.test.ts'], allowOnly: false },
});
