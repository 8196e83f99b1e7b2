import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, Recorder, settle, sleep, type TestSocket, type TestUser } from '../support/client.js';
import { createDirect } from '../support/fixtures.js';
import { startServer, TEST_DB, type TestServer } from '../support/server.js';
import { PG_ADMIN_URL } from '../support/services.js';
import { snapshotRows } from '../security/helpers.js';

/**
 * Storage faults: while storage refuses, writes answer UNAVAILABLE and store nothing; when it
 * comes back the same server serves again, by itself. PostgreSQL: the test's own database is
 * closed to connections and its sessions are terminated. SQLite: another connection holds the
 * write lock, so writes fail SQLITE_BUSY after a short busy_timeout.
 */

interface Outage {
  begin(): Promise<void>;
  end(): Promise<void>;
}

function pgOutage(server: TestServer): Outage {
  const dbName = new URL(server.storage.databaseUrl!).pathname.slice(1);
  const admin = async (fn: (c: pg.Client) => Promise<unknown>) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    begin: () =>
      admin(async (c) => {
        await c.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      }),
    end: () => admin((c) => c.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`)),
  };
}

function sqliteOutage(server: TestServer): Outage {
  let locker: SqliteDatabase.Database | undefined;
  return {
    begin: async () => {
      locker = new SqliteDatabase(path.join(server.storage.dataDir, 'messenger.sqlite'));
      locker.exec('BEGIN EXCLUSIVE');
    },
    end: async () => {
      locker?.exec('ROLLBACK');
      locker?.close();
      locker = undefined;
    },
  };
}

describe(`storage outage (${TEST_DB})`, () => {
  let server: TestServer;
  let outage: Outage;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let a: TestSocket;
  let b: TestSocket;
  let bobSeen: Recorder;

  beforeAll(async () => {
    server = await startServer({ env: { SQLITE_BUSY_TIMEOUT_MS: '100' } });
    outage = TEST_DB === 'postgres' ? pgOutage(server) : sqliteOutage(server);
    alice = await registerUser(server.url);
    bob = await registerUser(server.url);
    chatId = await createDirect(server.url, alice, bob);
    a = await connect(server.url, alice.token);
    b = await connect(server.url, bob.token);
    bobSeen = new Recorder(b);
  });
  afterAll(async () => {
    await outage?.end().catch(() => {});
    a?.close();
    b?.close();
    await server?.close();
  });

  test('writes fail UNAVAILABLE, nothing is half-written, and service resumes by itself', async () => {
    const first = await emitAck(a, 'message:send', { chatId, content: 'before' });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const before = await snapshotRows(server);
    bobSeen.clear();

    await outage.begin();
    try {
      const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
      const send = await emitAck(a, 'message:send', { chatId, content: 'during', clientMessageId: 'fault-1' });
      expect(code(send)).toBe('UNAVAILABLE');
      expect(send).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'Service temporarily unavailable' } });
      expect(code(await emitAck(a, 'message:edit', { messageId: first.message.id, content: 'edited' }))).toBe('UNAVAILABLE');
      expect(code(await emitAck(a, 'message:delete', { messageId: first.message.id }))).toBe('UNAVAILABLE');
      expect(code(await emitAck(b, 'message:read', { chatId, messageId: first.message.id }))).toBe('UNAVAILABLE');
      const rest = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token: alice.token, body: { content: 'rest during' } });
      expect(rest.status).toBe(503);
      expect(rest.body).toEqual({ error: { code: 'UNAVAILABLE', message: 'Service temporarily unavailable' } });
      const created = await api(server.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'group', title: 'g', memberIds: [bob.user.id] } });
      expect(created.status).toBe(503);
      if (TEST_DB === 'postgres') {
        // Reads need storage too; a new socket is told to retry, not that its token is bad.
        expect((await api(server.url, 'GET', '/api/me', { token: alice.token })).status).toBe(503);
        await expect(connect(server.url, alice.token)).rejects.toThrow('Service unavailable');
      }
      // Sockets stay connected; nobody was told of anything.
      expect(a.connected && b.connected).toBe(true);
      await settle();
      expect(bobSeen.of('message:receive')).toEqual([]);
      expect(bobSeen.of('message:edited')).toEqual([]);
    } finally {
      await outage.end();
    }

    // Nothing was written, not even in part (counters, read marks).
    expect(await snapshotRows(server)).toEqual(before);

    // Service resumes without a restart: the client's retry (same clientMessageId) stores once.
    let retry = await emitAck(a, 'message:send', { chatId, content: 'during', clientMessageId: 'fault-1' });
    for (let i = 0; i < 20 && !retry.ok; i++) {
      await sleep(100);
      retry = await emitAck(a, 'message:send', { chatId, content: 'during', clientMessageId: 'fault-1' });
    }
    expect(retry.ok).toBe(true);
    if (!retry.ok) return;
    expect(retry.duplicate).toBeUndefined();
    expect(retry.message.seq).toBe(first.message.seq + 1);
    const again = await emitAck(a, 'message:send', { chatId, content: 'during', clientMessageId: 'fault-1' });
    expect(again.ok && again.duplicate).toBe(true);
    const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token });
    expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual(['before', 'during']);
    await settle();
    expect(bobSeen.of('message:receive').map((p) => p.message.content)).toEqual(['during']);
    const fresh = await connect(server.url, alice.token);
    fresh.close();
  });

  test('a write refused half-way (after the chat counters moved) is rolled back whole', async () => {
    const db = server.app.services.database.db;
    // The message insert is refused after the counter update of the same transaction ran.
    if (TEST_DB === 'postgres') {
      await sql`CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN IF NEW.content = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(db);
      await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_boom()`.execute(db);
    } else {
      await sql`CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.content = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`.execute(db);
    }
    try {
      const before = await snapshotRows(server);
      const r = await emitAck(a, 'message:send', { chatId, content: 'boom' });
      expect(r.ok ? 'ok' : r.error.code).toBe('INTERNAL');
      expect(await snapshotRows(server)).toEqual(before);
      const next = await emitAck(a, 'message:send', { chatId, content: 'after boom' });
      expect(next.ok).toBe(true);
      const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token });
      const seqs = history.body.messages.map((m: { seq: number }) => m.seq);
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1)); // gapless
    } finally {
      await sql`DROP TRIGGER refuse_boom${TEST_DB === 'postgres' ? sql` ON messages` : sql``}`.execute(db);
    }
  });
});
