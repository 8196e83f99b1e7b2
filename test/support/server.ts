import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import type { SharedState } from '../../src/state/shared-state.js';
import { PG_ADMIN_URL } from './services.js';

export const TEST_DB = (process.env.TEST_DB ?? 'sqlite') as 'sqlite' | 'postgres';
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestStorage {
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh storage for one test file: a temp SQLite dir, or a new PostgreSQL database. */
export async function createTestStorage(): Promise<TestStorage> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'msgr-test-'));
  if (TEST_DB === 'sqlite') {
    return { databaseUrl: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `msgr_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestServer {
  app: App;
  url: string;
  port: number;
  config: Config;
  storage: TestStorage;
  /** Closes the app; `keepStorage` leaves the data for a restart test. */
  close(options?: { keepStorage?: boolean }): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  storage?: TestStorage;
  state?: SharedState;
}

/** A real server on port 0 over real storage, as `npm start` builds it. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const storage = options.storage ?? (await createTestStorage());
  const config = loadConfig(
    {
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: storage.dataDir,
      // Every test user signs up from 127.0.0.1; the throttle has its own test (security/limits).
      REGISTER_MAX_PER_IP: '1000000',
      ...(storage.databaseUrl ? { DATABASE_URL: storage.databaseUrl } : {}),
      ...options.env,
    },
    { port: 0, host: '127.0.0.1' },
  );
  const logger = createLogger(config.logLevel, config.nodeId);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
    poolMax: 5,
    sqliteBusyTimeoutMs: config.storage.sqliteBusyTimeoutMs,
  });
  const app = await createApp({ config, db, logger, ...(options.state ? { state: options.state } : {}) });
  const port = await app.listen();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    storage,
    close: async ({ keepStorage = false } = {}) => {
      await app.close();
      if (!keepStorage) await storage.drop();
    },
  };
}
