import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, expect, test } from 'vitest';
import { startCheckpointer } from '../src/db/checkpointer.js';

// The WAL checkpointer thread over a real SQLite file (the embedded store; the same under both
// test projects). The writer here never checkpoints, so only the thread can keep the WAL short.

const dir = mkdtempSync(path.join(tmpdir(), 'msgr-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('under steady writes the thread copies the WAL back and rewinds it: the file stays small, every row stays', async () => {
  const file = path.join(dir, 'wal.sqlite');
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${256 * 1024}`);
  db.exec('create table t (id integer primary key, body text)');
  const warnings: unknown[] = [];
  // The writer below stands still while a hold is on, as the server's writes wait on kysely's lock.
  // The first hold fails (the connection was busy closing, say): the thread must go on asking.
  let holds = 0;
  let holding = false;
  const holdWrites = async (fn: () => Promise<void>) => {
    if (++holds === 1) throw new Error('lock unavailable');
    holding = true;
    try {
      await fn();
    } finally {
      holding = false;
    }
  };
  const checkpointer = startCheckpointer(file, { warn: (...args: unknown[]) => warnings.push(args) }, {
    intervalMs: 10,
    restartFrames: 100,
    holdWrites,
    onFailed: () => warnings.push('failed'),
  });

  const insert = db.prepare('insert into t (body) values (?)');
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('x'.repeat(500));
  });
  let rows = 0;
  const until = Date.now() + 500;
  // Bursts of back-to-back commits, so one always lands while a checkpoint runs (the thread runs
  // beside this loop) and the writer alone never finds the WAL wholly copied back; short pauses
  // between bursts, as a server's writes pause while it sends.
  while (Date.now() < until) {
    while (holding) await new Promise((r) => setTimeout(r, 1));
    const burstEnd = Date.now() + 3;
    while (Date.now() < burstEnd) {
      batch(20);
      rows += 20;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await checkpointer.stop();

  const written = rows * 500;
  expect(written).toBeGreaterThan(2 * 1024 * 1024);
  // Without the rewind the WAL would hold every page written (more than `written` bytes).
  expect(statSync(`${file}-wal`).size).toBeLessThan(written / 4);
  expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: rows });
  expect(holds).toBeGreaterThan(1);
  // Only the one skipped restart was worth a warning.
  expect(warnings).toHaveLength(1);
  db.close();
});

test('stop() ends the thread even when nothing was written', async () => {
  const file = path.join(dir, 'idle.sqlite');
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  const checkpointer = startCheckpointer(file, { warn: () => {} }, { intervalMs: 5, holdWrites: (fn) => fn(), onFailed: () => {} });
  await new Promise((r) => setTimeout(r, 30));
  await checkpointer.stop();
  db.close();
});

test('a thread that cannot start says so: the writer is told to checkpoint by itself again', async () => {
  let failed = false;
  const checkpointer = startCheckpointer(path.join(dir, 'no-such.sqlite'), { warn: () => {} }, {
    holdWrites: (fn) => fn(),
    onFailed: () => (failed = true),
  });
  await expect.poll(() => failed).toBe(true);
  await checkpointer.stop();
});
