import type { Kysely } from 'kysely';
import type { DB, MessageRow } from '../db/tables.js';

type PendingRow = Omit<MessageRow, 'seq' | 'change_seq'>;
interface Pending {
  row: PendingRow;
  resolve(row: MessageRow): void;
  reject(err: unknown): void;
}

/**
 * Group commit for new messages: sends that arrive while a commit is under way are stored
 * together in the next transaction — one counter update per chat and one multi-row insert —
 * instead of BEGIN/UPDATE/INSERT/COMMIT each. Every send is still acked only after its row is
 * committed. Seqs stay gapless: a chat's counter moves by exactly the rows stored with it.
 * If a batch fails (a duplicate clientMessageId, say), its rows are retried one by one, so one
 * bad row never fails the others.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly maxBatch = 256,
  ) {}

  write(row: PendingRow): Promise<MessageRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      // Start after the current I/O phase, so every send parsed from the frames that arrived
      // together joins the first batch (a handful of microseconds of added latency).
      if (!this.flushing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const stored = await this.insertBatch(batch.map((p) => p.row));
          batch.forEach((p, i) => p.resolve(stored[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else await this.oneByOne(batch);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async oneByOne(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        const [stored] = await this.insertBatch([p.row]);
        p.resolve(stored!);
      } catch (err) {
        p.reject(err);
      }
    }
  }

  /** Stores rows in one transaction; returns them with seq and change_seq, in input order. */
  private insertBatch(rows: PendingRow[]): Promise<MessageRow[]> {
    return this.db.transaction().execute(async (tx) => {
      const byChat = new Map<string, number[]>();
      rows.forEach((r, i) => {
        const list = byChat.get(r.chat_id);
        if (list) list.push(i);
        else byChat.set(r.chat_id, [i]);
      });
      const stored: MessageRow[] = new Array(rows.length);
      // Chats in a fixed order, so two nodes' batches lock chat rows in the same order.
      for (const chatId of [...byChat.keys()].sort()) {
        const indexes = byChat.get(chatId)!;
        const k = indexes.length;
        const counters = await tx
          .updateTable('chats')
          .set((eb) => ({ last_seq: eb('last_seq', '+', k), change_seq: eb('change_seq', '+', k) }))
          .where('id', '=', chatId)
          .returning(['last_seq', 'change_seq'])
          .executeTakeFirstOrThrow();
        const firstSeq = Number(counters.last_seq) - k + 1;
        const firstChange = Number(counters.change_seq) - k + 1;
        indexes.forEach((rowIndex, n) => {
          stored[rowIndex] = { ...rows[rowIndex]!, seq: firstSeq + n, change_seq: firstChange + n };
        });
      }
      await tx.insertInto('messages').values(stored).execute();
      return stored;
    });
  }
}
