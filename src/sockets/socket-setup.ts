import type { Express, NextFunction, Request, Response } from 'express';
import { assertClusterConfig, loadConfig, toSocketConfig, type Config } from '../config.js';
import { createDatabase, migrateDatabase, type Database } from '../db/database.js';
import { createLogger } from '../logger.js';
import { attachMessenger, type Messenger } from '../messenger.js';
import type { Logger } from 'pino';
import { getSocketManager } from './registry.js';
import type { SocketManager } from './socket-manager.js';

/**
 * The seed's SocketConfig, read from the environment once at load (protocol.md names the
 * variables). An app that passes its own Config to initializeSocketIO uses that instead.
 */
export const SocketConfig = toSocketConfig(loadConfig());

export interface InitializeOptions {
  config?: Config;
  database?: Database;
  logger?: Logger;
}

const messengers = new WeakMap<SocketManager, Messenger>();

/**
 * The seed's initializeSocketIO(app): builds the messenger on an existing Express app and
 * returns its SocketManager; `getHttpServer()` is the server to listen on. Storage is migrated
 * in the background; sockets and /api wait for it.
 */
export function initializeSocketIO(app: Express, options: InitializeOptions = {}): SocketManager {
  const config = options.config ?? loadConfig();
  assertClusterConfig(config);
  const logger = options.logger ?? createLogger(config.logLevel, config.nodeId);
  const database = options.database ?? createDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.storage.poolMax,
      sqliteBusyTimeoutMs: config.storage.sqliteBusyTimeoutMs,
      logger,
    });
  const ready = options.database ? Promise.resolve() : migrateDatabase(database, logger);
  ready.catch((err: unknown) => logger.fatal({ err }, 'storage migration failed'));
  const messenger = attachMessenger(app, { config, database, logger, ready });
  messengers.set(messenger.manager, messenger);
  return messenger.manager;
}

/** Closes what initializeSocketIO built (sockets, storage, shared state). */
export async function shutdownSocketIO(manager: SocketManager = getSocketManager()): Promise<void> {
  await messengers.get(manager)?.close();
}

/** The seed's attachSocketManager: routes get the manager as `req.socketManager`. */
export function attachSocketManager(req: Request, _res: Response, next: NextFunction): void {
  (req as Request & { socketManager?: SocketManager }).socketManager = getSocketManager();
  next();
}

export { getSocketManager };
export { SocketUtils } from './socket-utils.js';
