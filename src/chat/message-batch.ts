import type SqliteDatabase from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { DB, MessageRow } from '../db/tables.js';
import { AppError } from '../errors.js';

export type PendingMessageRow = Omit<MessageRow, 'seq' | 'change_seq'>;

/**
 * Stores a batch of new messages in one transaction and returns them with their seq and
 * change_seq, in input order. A chat's counters move by exactly the rows stored with it, so
 * seqs stay gapless. Throws (and stores nothing) if any row fails.
 */
export type StoreMessageBatch = (rows: PendingMessageRow[]) => Promise<MessageRow[]>;

const chatGone = () => new AppError('NOT_FOUND', 'Chat not found');

/** The rows' indexes grouped by chat, chats in a fixed order (two nodes lock chat rows alike). */
function byChat(rows: PendingMessageRow[]): Array<[string, number[]]> {
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = groups.get(r.chat_id);
    if (list) list.push(i);
    else groups.set(r.chat_id, [i]);
  });
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * A chat's rows, numbered: its counters have just moved by `indexes.length`, so they end at the
 * last of the seqs (and change_seqs) these rows take.
 */
function numbered(
  rows: PendingMessageRow[],
  indexes: number[],
  counters: { last_seq: number; change_seq: number },
): Array<[number, MessageRow]> {
  const firstSeq = Number(counters.last_seq) - indexes.length + 1;
  const firstChange = Number(counters.change_seq) - indexes.length + 1;
  return indexes.map((rowIndex, n) => [rowIndex, { ...rows[rowIndex]!, seq: firstSeq + n, change_seq: firstChange + n }]);
}

/**
 * PostgreSQL: three statements per batch, whatever the number of chats in it — the chats' rows
 * locked in id order (so two nodes' batches never deadlock), every counter moved by one
 * UPDATE … FROM unnest(…), and one multi-row insert. (One UPDATE per chat cost a round trip
 * each: 50 per batch in the benchmark.)
 */
export function postgresMessageBatch(db: Kysely<DB>): StoreMessageBatch {
  return (rows) =>
    db.transaction().execute(async (tx) => {
      const groups = byChat(rows);
      const chatIds = groups.map(([chatId]) => chatId);
      await tx.selectFrom('chats').select('id').where('id', 'in', chatIds).orderBy('id').forUpdate().execute();
      const { rows: counters } = await sql<{ id: string; last_seq: number; change_seq: number }>`
        update chats as c
           set last_seq = c.last_seq + v.k, change_seq = c.change_seq + v.k
          from (select unnest(${chatIds}::varchar[]) as id, unnest(${groups.map(([, i]) => i.length)}::int[]) as k) as v
         where c.id = v.id
        returning c.id, c.last_seq, c.change_seq`.execute(tx);
      const byId = new Map(counters.map((c) => [c.id, c]));
      const stored: MessageRow[] = new Array(rows.length);
      for (const [chatId, indexes] of groups) {
        const counter = byId.get(chatId);
        if (!counter) throw chatGone();
        for (const [rowIndex, row] of numbered(rows, indexes, counter)) stored[rowIndex] = row;
      }
      await tx.insertInto('messages').values(stored).execute();
      return stored;
    });
}

/**
 * The same transaction on SQLite, written by hand against better-sqlite3: two prepared
 * statements run synchronously. Through the query builder, a batch of n rows built and froze a
 * tree of about 15·n nodes and compiled a statement per distinct n; by hand, storage fell from
 * a quarter of the server's samples to a tenth at 4,000 msg/s (docs/performance.md, step 7).
 */
export function sqliteMessageBatch(sqlite: SqliteDatabase.Database, db: Kysely<DB>): StoreMessageBatch {
  // Prepared on first use: the tables may not exist yet when this is built (initializeSocketIO
  // migrates in the background).
  let store: ((rows: PendingMessageRow[]) => MessageRow[]) | undefined;
  const prepare = () => {
    const bump = sqlite.prepare<[number, number, string], { last_seq: number; change_seq: number }>(
      'update chats set last_seq = last_seq + ?, change_seq = change_seq + ? where id = ? returning last_seq, change_seq',
    );
    const insert = sqlite.prepare<MessageRow>(
      `insert into messages (id, chat_id, seq, sender_id, type, content, reply_to, attachments,
         client_message_id, created_at, edited_at, deleted_at, change_seq)
       values (@id, @chat_id, @seq, @sender_id, @type, @content, @reply_to, @attachments,
         @client_message_id, @created_at, @edited_at, @deleted_at, @change_seq)`,
    );
    return sqlite.transaction((rows: PendingMessageRow[]): MessageRow[] => {
      const stored: MessageRow[] = new Array(rows.length);
      for (const [chatId, indexes] of byChat(rows)) {
        const counters = bump.get(indexes.length, indexes.length, chatId);
        if (!counters) throw chatGone();
        for (const [rowIndex, row] of numbered(rows, indexes, counters)) {
          insert.run(row);
          stored[rowIndex] = row;
        }
      }
      return stored;
    });
  };
  // Taken through kysely's connection lock: a kysely transaction waiting on something else (a
  // Redis call, say) keeps the connection, and a batch run then would join that transaction.
  return (rows) => db.connection().execute(async () => (store ??= prepare())(rows));
}

/** The batch store for the database in use. */
export function messageBatchStore(database: Pick<Database, 'db' | 'sqlite'>): StoreMessageBatch {
  return database.sqlite ? sqliteMessageBatch(database.sqlite, database.db) : postgresMessageBatch(database.db);
}
