import type { Logger } from 'pino';
import { AuthService } from './auth/auth.service.js';
import { CallStore } from './calls/call-state.js';
import { CallsRepository } from './calls/calls.repository.js';
import { CallService } from './calls/calls.service.js';
import { TokenService, resolveJwtSecret } from './auth/token.service.js';
import { UsersRepository } from './auth/users.repository.js';
import { ChatRepository } from './chat/chat.repository.js';
import { ChatService } from './chat/chat.service.js';
import { messageBatchStore } from './chat/message-batch.js';
import { MessageWriter } from './chat/message-writer.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { PresenceService } from './presence/presence.service.js';
import type { EventHooks } from './sockets/register-event.js';
import { MemoryState } from './state/memory-state.js';
import { RedisState } from './state/redis-state.js';
import type { SharedState } from './state/shared-state.js';

/**
 * Everything the handlers and routes need, built once per app. Services know nothing of
 * Socket.io; the SocketManager is added by the app factory after it exists.
 */
export interface Services {
  config: Config;
  logger: Logger;
  database: Database;
  state: SharedState;
  tokens: TokenService;
  users: UsersRepository;
  auth: AuthService;
  chatRepo: ChatRepository;
  chat: ChatService;
  presence: PresenceService;
  calls: CallService;
  hooks: EventHooks;
}

export function createSharedState(config: Config): SharedState {
  return config.redisUrl ? new RedisState(config.redisUrl, config.redisPrefix) : new MemoryState();
}

export function createServices(deps: { config: Config; logger: Logger; database: Database; state?: SharedState }): Services {
  const { config, logger, database } = deps;
  const state = deps.state ?? createSharedState(config);
  const tokens = new TokenService(resolveJwtSecret(config.jwtSecret, config.dataDir, logger), config.jwtTtlSeconds);
  const users = new UsersRepository(database.db);
  const chatRepo = new ChatRepository(database.db, new MessageWriter(messageBatchStore(database)));
  const presence = new PresenceService(state, users, config.nodeId);
  const chat = new ChatService(chatRepo, users, presence, { maxMessageLength: config.limits.maxMessageLength });
  const calls = new CallService({
    config,
    logger,
    store: new CallStore(state, config.timeouts.callMaxDurationMs),
    repo: new CallsRepository(database.db),
    users,
    chat,
    chatRepo,
    presence,
  });
  return {
    config,
    logger,
    database,
    state,
    tokens,
    users,
    auth: new AuthService(users, tokens),
    chatRepo,
    chat,
    presence,
    calls,
    hooks: { guards: [], observers: [] },
  };
}
