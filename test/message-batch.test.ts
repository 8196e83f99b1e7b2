import { afterAll, beforeAll, expect, test } from 'vitest';
import { messageBatchStore, type PendingMessageRow } from '../src/chat/message-batch.js';
import { MessageWriter } from '../src/chat/message-writer.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { AppError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { createTestStorage, TEST_DB, type TestStorage } from './support/server.js';

// The message writer against real storage, below the socket layer: what the hand-written SQLite
// batch (and the PostgreSQL one) must keep true.

let storage: TestStorage;
let database: Database;
let writer: MessageWriter;
const userId = newId();
const chatId = newId();

beforeAll(async () => {
  storage = await createTestStorage();
  database = await openDatabase({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir, logger: createLogger('silent', 'test') });
  const now = Date.now();
  await database.db
    .insertInto('users')
    .values({ id: userId, username: 'writer', username_key: 'writer', password_hash: 'x', created_at: now, last_seen_at: null, tokens_valid_after: 0 })
    .execute();
  await database.db
    .insertInto('chats')
    .values({ id: chatId, type: 'group', title: 'before', created_by: userId, created_at: now, direct_key: null })
    .execute();
  writer = new MessageWriter(messageBatchStore(database));
});
afterAll(async () => {
  await database?.close();
  await storage?.drop();
});

const row = (content: string, chat = chatId, clientMessageId: string | null = null): PendingMessageRow => ({
  id: newId(),
  chat_id: chat,
  sender_id: userId,
  type: 'text',
  content,
  reply_to: null,
  attachments: null,
  client_message_id: clientMessageId,
  created_at: Date.now(),
  edited_at: null,
  deleted_at: null,
});

const counters = () => database.db.selectFrom('chats').select(['last_seq', 'change_seq', 'title']).where('id', '=', chatId).executeTakeFirstOrThrow();

test(`the store in use is the ${TEST_DB === 'sqlite' ? 'hand-written SQLite' : 'PostgreSQL'} one`, () => {
  expect(database.sqlite !== undefined).toBe(TEST_DB === 'sqlite');
});

test('a batch never joins a transaction that is open and waiting: that one rolls back alone', async () => {
  const before = await counters();
  let wrote!: Promise<unknown>;
  const rolledBack = database.db
    .transaction()
    .execute(async (tx) => {
      await tx.updateTable('chats').set({ title: 'inside' }).where('id', '=', chatId).execute();
      // While this transaction waits on something else, a send arrives and is written.
      wrote = writer.write(row('sent meanwhile'));
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('roll back');
    })
    .catch((err: Error) => err.message);
  expect(await rolledBack).toBe('roll back');
  const stored = (await wrote) as { seq: number };
  expect(stored.seq).toBe(Number(before.last_seq) + 1);
  const after = await counters();
  expect(after.title).toBe('before');
  expect(Number(after.last_seq)).toBe(stored.seq);
  const kept = await database.db.selectFrom('messages').select('content').where('chat_id', '=', chatId).where('seq', '=', stored.seq).executeTakeFirst();
  expect(kept?.content).toBe('sent meanwhile');
});

test('a row for a chat that is gone fails alone with NOT_FOUND; the rest of its batch is stored, seqs gapless', async () => {
  const before = await counters();
  const results = await Promise.allSettled([
    writer.write(row('one')),
    writer.write(row('lost', newId())),
    writer.write(row('two')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const reason = (results[1] as PromiseRejectedResult).reason;
  expect(reason).toBeInstanceOf(AppError);
  expect((reason as AppError).code).toBe('NOT_FOUND');
  const seqs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []));
  expect(seqs).toEqual([Number(before.last_seq) + 1, Number(before.last_seq) + 2]);
  expect(Number((await counters()).last_seq)).toBe(Number(before.last_seq) + 2);
});

test('a duplicate clientMessageId is refused by the index and stores nothing', async () => {
  await writer.write(row('first', chatId, 'same-id'));
  const before = await counters();
  await expect(writer.write(row('again', chatId, 'same-id'))).rejects.toThrow();
  expect(await counters()).toEqual(before);
});

test('one batch over several chats: every chat gets its own gapless run of seqs, rows in input order', async () => {
  const others = [newId(), newId()];
  for (const id of others) {
    await database.db.insertInto('chats').values({ id, type: 'group', title: 'other', created_by: userId, created_at: Date.now(), direct_key: null }).execute();
  }
  const chats = [chatId, ...others];
  const before = await counters();
  // Written in one tick, so they form one batch; chats interleaved.
  const stored = await Promise.all(Array.from({ length: 12 }, (_, i) => writer.write(row(`multi ${i}`, chats[i % 3]))));
  stored.forEach((r, i) => expect(r.content).toBe(`multi ${i}`));
  const seqsOf = (c: string) => stored.filter((r) => r.chat_id === c).map((r) => r.seq);
  expect(seqsOf(others[0]!)).toEqual([1, 2, 3, 4]);
  expect(seqsOf(others[1]!)).toEqual([1, 2, 3, 4]);
  const base = Number(before.last_seq);
  expect(seqsOf(chatId)).toEqual([base + 1, base + 2, base + 3, base + 4]);
  const changeSeqs = stored.filter((r) => r.chat_id === others[0]).map((r) => r.change_seq);
  expect(changeSeqs).toEqual([1, 2, 3, 4]);
});

test('message ids are time-ordered (UUIDv7): newer rows append to the primary-key index', async () => {
  const rows = [];
  for (let i = 0; i < 5; i++) rows.push(await writer.write(row(`ordered ${i}`)));
  const ids = rows.map((r) => r.id);
  expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
  expect([...ids].sort()).toEqual(ids);
});
