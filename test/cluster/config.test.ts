import { expect, test } from 'vitest';
import { assertClusterConfig, loadConfig } from '../../src/config.js';

const secret = 'a-shared-secret-of-enough-length';

test('cluster mode refuses SQLite and a missing JWT_SECRET, with a clear message', () => {
  expect(() => assertClusterConfig(loadConfig({ REDIS_URL: 'redis://r:6379', JWT_SECRET: secret }))).toThrow(
    /DATABASE_URL: cluster mode \(REDIS_URL set\) requires PostgreSQL/,
  );
  expect(() =>
    assertClusterConfig(loadConfig({ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'sqlite:/tmp/x.sqlite', JWT_SECRET: secret })),
  ).toThrow(/requires PostgreSQL/);
  expect(() => assertClusterConfig(loadConfig({ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/db' }))).toThrow(
    /JWT_SECRET: cluster mode \(REDIS_URL set\) requires JWT_SECRET/,
  );
  expect(() =>
    assertClusterConfig(loadConfig({ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/db', JWT_SECRET: secret })),
  ).not.toThrow();
  // One node (no REDIS_URL) may run on SQLite with a generated secret.
  expect(() => assertClusterConfig(loadConfig({}))).not.toThrow();
});

test('REDIS_PREFIX and DRAIN_TIMEOUT_MS are configurable', () => {
  const c = loadConfig({ REDIS_PREFIX: 'app1:', DRAIN_TIMEOUT_MS: '2500' });
  expect(c.redisPrefix).toBe('app1:');
  expect(c.drainTimeoutMs).toBe(2500);
  expect(loadConfig({}).redisPrefix).toBe('msgr:');
});
