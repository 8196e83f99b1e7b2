import type { MessageRow } from '../db/tables.js';
import type { PendingMessageRow, StoreMessageBatch } from './message-batch.js';

interface Pending {
  row: PendingMessageRow;
  resolve(row: MessageRow): void;
  reject(err: unknown): void;
}

/**
 * Group commit for new messages: sends that arrive while a commit is under way are stored
 * together in the next transaction (see message-batch.ts) instead of BEGIN/UPDATE/INSERT/COMMIT
 * each. Every send is still acked only after its row is committed. If a batch fails (a duplicate
 * clientMessageId, say), its rows are retried one by one, so one bad row never fails the others.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;

  constructor(
    private readonly storeBatch: StoreMessageBatch,
    private readonly maxBatch = 256,
  ) {}

  write(row: PendingMessageRow): Promise<MessageRow> {
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
          const stored = await this.storeBatch(batch.map((p) => p.row));
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
        const [stored] = await this.storeBatch([p.row]);
        p.resolve(stored!);
      } catch (err) {
        p.reject(err);
      }
    }
  }
}
