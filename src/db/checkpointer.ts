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
 * grows without end. So once the WAL holds more than `restartFrames` pages (64 MB), the worker
 * runs a RESTART checkpoint: everything is copied already but the last few pages, so it holds
 * the writer for a few milliseconds (measured: 3–6 ms, once per 64 MB written), and the next
 * commit starts the WAL from the top.
 *
 * The worker's code is inline (eval) so it runs the same from the compiled build, under tsx and
 * inside someone else's app; better-sqlite3 is resolved from here, not from the cwd.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// RESTART waits for the writer's current transaction to end; never longer than this.
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log > workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(
  file: string,
  logger: Pick<Logger, 'warn'>,
  options: { intervalMs?: number; restartFrames?: number } = {},
): Checkpointer {
  const { intervalMs = 250, restartFrames = 16_384 } = options;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs, restartFrames } });
  // It must never keep the process alive on its own.
  worker.unref();
  let warned = false;
  worker.on('message', (m: { error?: string }) => {
    // A busy or failed checkpoint is tried again on the next tick; say so once, not every tick.
    if (m.error && !warned) {
      warned = true;
      logger.warn({ error: m.error }, 'WAL checkpoint failed; retrying');
    }
  });
  worker.on('error', (err) => logger.warn({ err }, 'WAL checkpointer stopped; SQLite checkpoints on its own'));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      // Closing the connection takes a moment; past that, end the thread.
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
