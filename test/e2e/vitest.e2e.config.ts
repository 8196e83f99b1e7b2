import { defineConfig } from 'vitest/config';

/**
 * Browser tests: real headless Chromium (Debian's /usr/bin/chromium via playwright-core) against
 * a real server started in-process on port 0, serving the freshly built client (dist/web).
 * Files run one after another: each drives two browser contexts with fake media devices.
 */
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/support/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // See vitest.config.ts: one retry in CI for load-induced timing flakes.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default'],
  },
});
