import { createApp } from './app.js';
import { assertClusterConfig, loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { createLogger } from './logger.js';

/** The entry point: read config, open storage, listen, and drain on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  assertClusterConfig(config);
  const logger = createLogger(config.logLevel, config.nodeId);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger,
    poolMax: config.storage.poolMax,
    sqliteBusyTimeoutMs: config.storage.sqliteBusyTimeoutMs,
  });
  const app = await createApp({ config, db, logger });
  const port = await app.listen();
  logger.info({ port, host: config.host, storage: db.dialect, sharedState: app.services.state.kind }, 'messenger listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    // Drain waits up to DRAIN_TIMEOUT_MS for in-flight work; closing sockets and storage gets 5 s more.
    const force = setTimeout(() => process.exit(1), config.drainTimeoutMs + 5_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
