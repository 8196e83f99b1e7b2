import { createServer, type Server as HttpServer } from 'node:http';
import express, { type Express } from 'express';
import { Server } from 'socket.io';
import type { Logger } from 'pino';
import { authFeature, disconnectRevokedSockets, startTokenExpiry, verifySocketAuth } from './auth/auth.handlers.js';
import { authRoutes } from './auth/auth.routes.js';
import { usersRoutes } from './auth/users.routes.js';
import { attachCalls } from './calls/calls.handlers.js';
import { callRoutes } from './calls/calls.routes.js';
import { chatFeature } from './chat/chat.handlers.js';
import { chatRoutes } from './chat/chat.routes.js';
import { syncFeature } from './chat/sync.handlers.js';
import { Drainer } from './cluster/drain.js';
import { NodeLiveness } from './cluster/node-liveness.js';
import { createClusterAdapter } from './cluster/redis-adapter.js';
import { TypingService } from './chat/typing.service.js';
import type { Config } from './config.js';
import { createServices, type Services } from './context.js';
import type { Database } from './db/database.js';
import { errorHandler } from './http/middleware.js';
import { corsMiddleware, securityHeaders, socketCorsOptions } from './http/security.js';
import { installLimits } from './limits/index.js';
import { createMetrics } from './metrics/metrics.js';
import { presenceOnDisconnect, registerPresence } from './presence/presence.handlers.js';
import { setSocketManager } from './sockets/registry.js';
import { lazyFeatures } from './sockets/features.js';
import { SocketManager } from './sockets/socket-manager.js';
import { slimHandshake } from './sockets/slim-handshake.js';
import { compactConnection } from './sockets/slim-connection.js';
import { dropIdleUpgradeStubs } from './sockets/upgrade-stub.js';
import { coalesceWebSocketWrites } from './sockets/write-coalescing.js';
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
    // CORS_ORIGINS allowlist, checked at the handshake for every transport (src/http/security.ts).
    ...socketCorsOptions(config.corsOrigins),
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  // One writev per socket per tick instead of one per frame (src/sockets/write-coalescing.ts).
  coalesceWebSocketWrites(httpServer);
  // engine.io's per-upgrade response stub is released unless an engine middleware listens to it.
  dropIdleUpgradeStubs(httpServer, io.engine);
  // Cluster mode (REDIS_URL): rooms and broadcasts span every node (docs/cluster.md).
  const clusterAdapter = createClusterAdapter(config, logger);
  if (clusterAdapter) io.adapter(clusterAdapter.factory);
  const manager = new SocketManager(io, httpServer, services);
  // Prometheus /metrics and the abuse limits (rate limits, login throttle, per-IP cap).
  const metrics = createMetrics({ services, io, localUserCount: () => manager.getLocalUserIds().length });
  services.hooks.observers.push(metrics.observeEvent);
  const limits = installLimits(services, metrics);
  services.auth.onTokensRevoked((userId, validAfter) => {
    disconnectRevokedSockets(io, userId, validAfter, logger).catch((err: unknown) =>
      logger.error({ err, userId }, 'could not close revoked sockets'),
    );
  });
  const liveness = config.redisUrl ? new NodeLiveness(services, manager, io) : undefined;
  liveness?.start();
  // A dead node's sockets in calls get the reconnect grace, as if they had dropped.
  liveness?.onDeadSocket((userId, socketId) => services.calls.timers.onSocketDisconnect(userId, socketId));
  const drain = new Drainer({
    io,
    httpServer,
    hooks: services.hooks,
    logger,
    timeoutMs: config.drainTimeoutMs,
    beforeDrain: async () => liveness?.drain(Math.min(config.presenceTtlMs, 5_000)),
  });
  const typing = new TypingService(services.state, config.timeouts.typingMs, (chatId, userId) =>
    manager.sendToChat(chatId, 'typing:stopped', { chatId, userId }),
  );

  io.use((socket, next) => {
    // A draining node turns new sockets away at the transport, so clients retry elsewhere.
    if (drain.draining) {
      next(new Error('Server draining'));
      setImmediate(() => socket.conn.close());
      return;
    }
    ready.then(() => next(), (err: unknown) => next(err instanceof Error ? err : new Error('Not ready')));
  });
  io.use(limits.connections.middleware());
  io.use(verifySocketAuth(services, (userId) => manager.localSocketCount(userId)));
  // Rooms are joined before 'connection' fires, so nothing sent right after connect is missed.
  io.use(async (socket, next) => {
    try {
      const chatIds = await services.chat.chatIdsOfUser(socket.data.userId);
      const names = [rooms.user(socket.data.userId), ...chatIds.map(rooms.chat)];
      socket.join(names.map((name) => manager.roomNames.canonical(name)));
      next();
    } catch (err) {
      logger.error({ err }, 'could not load chats at connect');
      next(new Error('Service unavailable'));
    }
  });

  // Calls, video and screen sharing: reconnect grace, ring timers and the sweep, and their features.
  const callFeatures = attachCalls(manager, services);
  // Every feature's handlers are attached to a socket on its first event of that feature.
  const attachFeatures = lazyFeatures(
    [authFeature(services), chatFeature(services, manager, typing), syncFeature(services), ...callFeatures],
    { logger, hooks: services.hooks },
  );
  const stopTokenExpiry = startTokenExpiry(io, logger);
  manager.onConnection((socket) => {
    // Every middleware has run: what only the handshake needed is released (about 1 KB a socket).
    slimHandshake(socket);
    attachFeatures(socket);
    registerPresence(socket, services);
    // Last: the listener tables are final now (src/sockets/slim-connection.ts).
    compactConnection(socket);
  });
  // A draining cluster node leaves its sockets' presence to its peers (NodeLiveness), so users
  // who reconnect elsewhere within the grace never appear offline.
  manager.onDisconnect((socket) => (drain.draining && liveness ? undefined : presenceOnDisconnect(socket, services, manager)));

  const api = express.Router();
  api.use(securityHeaders());
  api.use(corsMiddleware(config.corsOrigins));
  api.use((_req, _res, next) => {
    ready.then(() => next(), next);
  });
  api.use(express.json({ limit: '256kb' }));
  api.get('/health', (_req, res) => {
    if (drain.draining) return void res.status(503).json({ status: 'draining' });
    res.json({ status: 'ok' });
  });
  api.post('/auth/login', limits.loginThrottle.middleware());
  api.post('/auth/register', limits.registerThrottle.middleware());
  api.use(authRoutes(services));
  api.use(usersRoutes(services));
  api.use(chatRoutes(services, manager));
  api.use(callRoutes(services));
  api.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });
  api.use(errorHandler(services));
  app.use(metrics.httpMiddleware);
  app.get('/metrics', metrics.handler);
  app.use('/api', api);

  setSocketManager(manager);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down');
      await drain.run();
      liveness?.stop();
      typing.close();
      stopTokenExpiry();
      await new Promise<void>((resolve) => {
        // io.close() closes every socket and then the HTTP server.
        io.close(() => resolve());
      });
      services.calls.close();
      await clusterAdapter?.close();
      await limits.close();
      await services.state.close().catch(() => {});
      await database.close().catch(() => {});
      setSocketManager(undefined);
    })());

  return { httpServer, io, manager, services, close };
}
