import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/**
 * Runs SQLite's WAL checkpoints on a worker thread, over a second connection to the same file.
 *
 * Why: a checkpoint copies the WAL's pages back into the database file and fsyncs both. Run by
 * the writing connection (SQLite's auto-checkpoint) it blocks the event loop for tens of
 * milliseconds every few thousand messages — measured as p99 latency of 44 ms at 1,000 msg/s
 * against 4 ms without (docs/performance.md). A PASSIVE checkpoint never blocks or waits for
 * the writer, so it costs the event loop nothing.
 *
 * But under steady writes a commit always lands while a PASSIVE checkpoint runs, so the WAL is
 * never wholly copied back at the start of a write and the writer never rewinds it: the file
 * grows without end. So once the WAL holds more than `restartFrames` pages (64 MB), a RESTART
 * checkpoint copies the last pages and rewinds it — and a RESTART needs the writer to stand
 * still. Run blindly it found the writer mid-transaction, and the writer then slept in SQLite's
 * busy handler (1, 2, 5, 10… ms steps): 20–40 ms stalls of the event loop. Instead the thread
 * asks, and `holdWrites` (kysely's connection lock on this process's one connection) keeps
 * every write of this process waiting — asynchronously, the event loop runs on — for the few
 * milliseconds the RESTART takes.
 *
 * The worker's code is inline (eval) so it runs the same from the compiled build, under tsx and
 * inside someone else's app; better-sqlite3 is resolved from here, not from the cwd.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// A writer outside this process (a backup tool, say) is waited for, never longer than this.
db.pragma('busy_timeout = 1000');
let asked = false;
const report = (err) => parentPort.postMessage({ error: String((err && err.message) || err) });
const timer = setInterval(() => {
  if (asked) return;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log > workerData.restartFrames) {
      asked = true;
      parentPort.postMessage({ wantRestart: true });
    }
  } catch (err) { report(err); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'restart' || m === 'skip') {
    if (m === 'restart') {
      try { db.pragma('wal_checkpoint(RESTART)'); } catch (err) { report(err); }
      parentPort.postMessage({ restarted: true });
    }
    asked = false; // PASSIVE checkpoints go on either way; a skipped RESTART is asked for again
    return;
  }
  clearInterval(timer); db.close(); parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  restartFrames?: number;
  /** Runs `fn` while no write of this process can start (and none is under way). */
  holdWrites: (fn: () => Promise<void>) => Promise<void>;
  /** The thread died: the writing connection must checkpoint by itself again. */
  onFailed: () => void;
}

export function startCheckpointer(file: string, logger: Pick<Logger, 'warn'>, options: CheckpointerOptions): Checkpointer {
  const { intervalMs = 250, restartFrames = 16_384, holdWrites, onFailed } = options;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs, restartFrames } });
  // It must never keep the process alive on its own.
  worker.unref();
  let warned = false;
  let stopped = false;
  let restarted: (() => void) | undefined;
  worker.on('message', (m: { error?: string; wantRestart?: boolean; restarted?: boolean }) => {
    // A busy or failed checkpoint is tried again on the next tick; say so once, not every tick.
    if (m.error && !warned) {
      warned = true;
      logger.warn({ error: m.error }, 'WAL checkpoint failed; retrying');
    }
    if (m.restarted) restarted?.();
    if (m.wantRestart && !stopped) {
      void holdWrites(
        () =>
          new Promise<void>((resolve) => {
            // Never hold the writes long, whatever the thread does.
            const timeout = setTimeout(resolve, 2000);
            restarted = () => {
              clearTimeout(timeout);
              resolve();
            };
            worker.postMessage('restart');
          }),
      ).catch((err: unknown) => {
        logger.warn({ err }, 'WAL restart skipped');
        if (!stopped) worker.postMessage('skip');
      });
    }
  });
  worker.on('error', (err) => {
    logger.warn({ err }, 'WAL checkpointer stopped; SQLite checkpoints on its own');
    onFailed();
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      stopped = true;
      restarted?.();
      worker.postMessage('stop');
      // Closing the connection takes a moment; past that, end the thread.
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
