import { defineConfig } from 'vitest/config';

/**
 * The suite runs twice: once on embedded SQLite and once on PostgreSQL (TEST_DB). The browser
 * tests (test/e2e) have their own project. Real servers on port 0, real clients, real storage.
 */
const shared = {
  include: ['test/**/*.test.ts'],
  exclude: ['test/e2e/**', 'node_modules/**'],
  testTimeout: 20_000,
  hookTimeout: 30_000,
  globalSetup: ['test/support/global-setup.ts'],
  // In CI a failed test runs once more: timing-heavy tests (clusters, kill -9, drains) have shown
  // rare load-induced flakes; a real failure fails twice. Locally, failures show at once.
  retry: process.env.CI ? 1 : 0,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...shared, name: 'sqlite', env: { TEST_DB: 'sqlite' } } },
      { test: { ...shared, name: 'postgres', env: { TEST_DB: 'postgres' } } },
    ],
  },
});
