/** The library surface: the seed's server API plus the app factory and typed contract. */
export {
  SocketConfig,
  attachSocketManager,
  getSocketManager,
  initializeSocketIO,
  shutdownSocketIO,
  SocketUtils,
} from './sockets/socket-setup.js';
export { SocketManager, type SocketStats } from './sockets/socket-manager.js';
export { createApp, type App, type CreateAppOptions } from './app.js';
export { loadConfig, type Config } from './config.js';
export { openDatabase, type Database } from './db/database.js';
export { createLogger } from './logger.js';
export { ErrorCodes, AppError, type ErrorCode } from './errors.js';
export type * from './shared/events.js';
