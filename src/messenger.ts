import { createServer, type Server as HttpServer } from 'node:http';
import express, { type Express } from 'express';
import { Server } from 'socket.io';
import type { Logger } from 'pino';
import { registerAuthHandlers, verifySocketAuth } from './auth/auth.handlers.js';
import { authRoutes } from './auth/auth.routes.js';
import { usersRoutes } from './auth/users.routes.js';
import { registerChatHandlers } from './chat/chat.handlers.js';
import { chatRoutes } from './chat/chat.routes.js';
import { TypingService } from './chat/typing.service.js';
import type { Config } from './config.js';
import { createServices, type Services } from './context.js';
import type { Database } from './db/database.js';
import { errorHandler } from './http/middleware.js';
import { presenceOnDisconnect, registerPresence } from './presence/presence.handlers.js';
import type { HandlerContext } from './sockets/register-event.js';
import { setSocketManager } from './sockets/registry.js';
import { SocketManager } from './sockets/socket-manager.js';
import { rooms, type AppServer } from './sockets/types.js';
import type { SharedState } from './state/shared-state.js';

export interface MessengerDeps {
  config: Config;
  database: Database;
  logger: Logger;
  state?: SharedState;
  /** Resolves when storage is migrated; sockets and /api wait for it. */
  ready?: Promise<void>;
}

export interface Messenger {
  httpServer: HttpServer;
  io: AppServer;
  manager: SocketManager;
  services: Services;
  /** Stops accepting, closes every socket, then storage and shared state. */
  close(): Promise<void>;
}

/**
 * Wires the messenger onto an Express app: Socket.io on a new HTTP server for that app, the
 * REST API under /api, and every feature's socket handlers. Shared by createApp (standalone)
 * and initializeSocketIO (inside someone else's app).
 */
export function attachMessenger(app: Express, deps: MessengerDeps): Messenger {
  const { config, database, logger } = deps;
  const services = createServices({ config, logger, database, ...(deps.state ? { state: deps.state } : {}) });
  const ready = deps.ready ?? Promise.resolve();
  const httpServer = createServer(app);
  const io: AppServer = new Server(httpServer, {
    maxHttpBufferSize: config.limits.maxHttpBufferSize,
    cors: config.corsOrigins.length > 0 ? { origin: config.corsOrigins, credentials: true } : undefined,
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  const manager = new SocketManager(io, httpServer, services);
  const typing = new TypingService(services.state, config.timeouts.typingMs, (chatId, userId) =>
    manager.sendToChat(chatId, 'typing:stopped', { chatId, userId }),
  );

  io.use((_socket, next) => {
    ready.then(() => next(), (err: unknown) => next(err instanceof Error ? err : new Error('Not ready')));
  });
  io.use(verifySocketAuth(services, (userId) => manager.localSocketCount(userId)));
  // Rooms are joined before 'connection' fires, so nothing sent right after connect is missed.
  io.use(async (socket, next) => {
    try {
      const chatIds = await services.chat.chatIdsOfUser(socket.data.userId);
      socket.join([rooms.user(socket.data.userId), ...chatIds.map(rooms.chat)]);
      next();
    } catch (err) {
      logger.error({ err }, 'could not load chats at connect');
      next(new Error('Service unavailable'));
    }
  });

  manager.onConnection((socket) => {
    const log = logger.child({ userId: socket.data.userId, socketId: socket.id });
    const ctx: HandlerContext = { socket, log, hooks: services.hooks };
    log.debug('connected');
    registerAuthHandlers(ctx, services);
    registerChatHandlers(ctx, services, manager, typing);
    registerPresence(socket, services);
    socket.on('disconnect', (reason) => log.debug({ reason }, 'disconnected'));
  });
  manager.onDisconnect((socket) => presenceOnDisconnect(socket, services, manager));

  const api = express.Router();
  api.use((_req, _res, next) => {
    ready.then(() => next(), next);
  });
  api.use(express.json({ limit: '256kb' }));
  api.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  api.use(authRoutes(services));
  api.use(usersRoutes(services));
  api.use(chatRoutes(services, manager));
  api.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });
  api.use(errorHandler(services));
  app.use('/api', api);

  setSocketManager(manager);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down');
      typing.close();
      await new Promise<void>((resolve) => {
        // io.close() closes every socket and then the HTTP server.
        io.close(() => resolve());
      });
      await services.state.close().catch(() => {});
      await database.close().catch(() => {});
      setSocketManager(undefined);
    })());

  return { httpServer, io, manager, services, close };
}
