import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { startCheckpointer } from './checkpointer.js';
import { migrationProvider } from './migrations.js';
import type { DB } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /**
   * SQLite only: the better-sqlite3 connection behind `db`, for the one hot statement set written
   * by hand (the group-committed message insert, src/chat/message-batch.ts). Same connection, so
   * same transactions and locks.
   */
  sqlite?: SqliteDatabase.Database;
  /** Pool figures for /metrics and getSocketStats (PostgreSQL only; SQLite has one connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds and counters: well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface OpenDatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
  /** PostgreSQL pool size. */
  poolMax?: number;
  /** SQLite: how long a write waits for another connection's lock before SQLITE_BUSY (UNAVAILABLE). */
  sqliteBusyTimeoutMs?: number;
}

/** Opens SQLite (no DATABASE_URL, file under dataDir) or PostgreSQL, and applies migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const database = createDatabase(options);
  try {
    await migrateDatabase(database, options.logger);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** The connection without migrations (synchronous, for initializeSocketIO's readiness gate). */
export function createDatabase(options: OpenDatabaseOptions): Database {
  return options.databaseUrl?.startsWith('postgres')
    ? openPostgres(options.databaseUrl, options.poolMax ?? 20)
    : openSqlite(options.databaseUrl, options.dataDir, options.sqliteBusyTimeoutMs ?? 5000, options.logger);
}

function openSqlite(databaseUrl: string | undefined, dataDir: string, busyTimeoutMs: number, logger: Logger): Database {
  let file: string;
  if (databaseUrl === ':memory:') file = ':memory:';
  else if (databaseUrl?.startsWith('sqlite:')) file = databaseUrl.slice('sqlite:'.length);
  else {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'messenger.sqlite');
  }
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run while a write commits; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // Checkpoints (copying the WAL back into the file, with fsyncs) run on a worker thread
  // (checkpointer.ts), so they never stall the event loop; when it must rewind the WAL, it holds
  // this process's writes through kysely's lock on the one connection (the hand-written message
  // batch takes the same lock). The connection's own auto-checkpoint stays as a backstop (WAL past
  // 400 MB), back at SQLite's default should the thread die; the file is cut back to 64 MB after
  // a checkpoint.
  const checkpointer =
    file === ':memory:'
      ? undefined
      : startCheckpointer(file, logger, {
          holdWrites: (fn) => db.connection().execute(fn),
          onFailed: () => sqlite.open && sqlite.pragma('wal_autocheckpoint = 1000'),
        });
  sqlite.pragma(`wal_autocheckpoint = ${checkpointer ? 100_000 : 1000}`);
  sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  // 32 MB of page cache (default 2 MB): the index pages writes land on stay in memory.
  sqlite.pragma('cache_size = -32768');
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * better-sqlite3 compiles every prepare() anew, and kysely prepares per query: caching the
 * compiled statements of the (few, parameterized) hot queries saves ~10% of a send's CPU.
 * Only DML is cached, and the cache is bounded (queries with `in (…)` lists vary in text).
 */
function withStatementCache(sqlite: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (!statement) {
        statement = sqlite.prepare(sqlText);
        if (cache.size < 1000 && /^\s*(select|insert|update|delete)/i.test(sqlText)) cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string, max: number): Database {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}

export async function migrateDatabase(database: Database, logger: Logger): Promise<void> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') logger.info({ migration: r.migrationName }, 'migration applied');
    if (r.status === 'Error') logger.error({ migration: r.migrationName }, 'migration failed');
  }
  if (error) throw error;
}
