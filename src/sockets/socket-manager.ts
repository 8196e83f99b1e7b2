import type { Server as HttpServer } from 'node:http';
import type { Services } from '../context.js';
import type { ServerEventName, ServerEventPayload } from '../shared/events.js';
import { RoomNames } from './room-names.js';
import { rooms, type AppServer, type AppSocket } from './types.js';

type Emit = (event: string, payload: unknown) => boolean;
const USER_ROOM = rooms.user('');

export interface SocketStats {
  totalConnections: number;
  /** Users online on any node. */
  onlineUsers: number;
  /** Users with a socket on this node. */
  localUsers: number;
  nodeId: string;
  rooms: number;
  uptimeSeconds: number;
  eventsHandled: number;
  errors: number;
  storage: { dialect: string; pool: { total: number; idle: number; waiting: number } };
  sharedState: 'memory' | 'redis';
}

export type ConnectionHandler = (socket: AppSocket) => void;
export type DisconnectHandler = (socket: AppSocket, reason: string) => Promise<void> | void;

/**
 * The seed's SocketManager: owns the Socket.io server, tracks who is connected, and is the one
 * place that sends to chats, users and everyone. Features plug in their per-socket handlers
 * (`onConnection`) and clean-ups (`onDisconnect`); they never reach into each other.
 */
export class SocketManager {
  private readonly connectionHandlers: ConnectionHandler[] = [];
  private readonly disconnectHandlers: DisconnectHandler[] = [];
  private readonly startedAt = Date.now();
  private eventsHandled = 0;
  private errors = 0;
  /**
   * One listener shared by every socket (the socket is `this`), not a closure per socket: it
   * is held for the life of each idle connection.
   */
  private readonly disconnectListener: (this: AppSocket, reason: string) => void;
  /** The user and chat rooms with a socket on this node, one string each (joins use these). */
  readonly roomNames: RoomNames;

  constructor(
    readonly io: AppServer,
    private readonly httpServer: HttpServer,
    private readonly services: Services,
  ) {
    services.hooks.observers.push((_event, outcome) => {
      this.eventsHandled++;
      if (outcome.code !== null) this.errors++;
    });
    io.on('connection', (socket) => this.onConnection(socket));
    // Built after the adapter is chosen (attachMessenger sets it first): it mirrors its rooms.
    this.roomNames = new RoomNames(io.of('/').adapter);
    const manager = this;
    this.disconnectListener = function (this: AppSocket, reason: string) {
      manager.socketGone(this, reason);
    };
  }

  private socketGone(socket: AppSocket, reason: string): void {
    const { userId } = socket.data;
    for (const handler of this.disconnectHandlers) {
      void Promise.resolve()
        .then(() => handler(socket, reason))
        .catch((err: unknown) => this.services.logger.error({ err, userId, socketId: socket.id }, 'disconnect handler failed'));
    }
  }

  /** Adds per-socket handler registration; called for every new socket, in order. */
  onConnection(handler: ConnectionHandler): void;
  onConnection(socket: AppSocket): void;
  onConnection(arg: ConnectionHandler | AppSocket): void {
    if (typeof arg === 'function') {
      this.connectionHandlers.push(arg);
      return;
    }
    const socket = arg;
    // Before the connection handlers: the last of them compacts the socket's listener table
    // (src/sockets/slim-connection.ts), and a listener added after that costs a hidden class.
    socket.on('disconnect', this.disconnectListener);
    for (const handler of this.connectionHandlers) handler(socket);
  }

  onDisconnect(handler: DisconnectHandler): void {
    this.disconnectHandlers.push(handler);
  }

  sendToChat<E extends ServerEventName>(chatId: string, event: E, payload: ServerEventPayload<E>): void {
    (this.io.to(rooms.chat(chatId)).emit as Emit)(event, payload);
  }

  sendToUser<E extends ServerEventName>(userId: string, event: E, payload: ServerEventPayload<E>): void {
    (this.io.to(rooms.user(userId)).emit as Emit)(event, payload);
  }

  sendToUsers<E extends ServerEventName>(userIds: readonly string[], event: E, payload: ServerEventPayload<E>): void {
    if (userIds.length === 0) return;
    (this.io.to(userIds.map(rooms.user)).emit as Emit)(event, payload);
  }

  sendToRoom<E extends ServerEventName>(room: string | string[], event: E, payload: ServerEventPayload<E>): void {
    (this.io.to(room).emit as Emit)(event, payload);
  }

  /** The seed's global notification: every connected socket, on every node. */
  broadcast(type: string, data?: unknown): void {
    this.io.emit('notification', { type, data, at: new Date().toISOString() });
  }

  /** Puts every live socket of the user (any node) into the chat room. */
  joinUserToChat(userId: string, chatId: string): void {
    this.io.in(rooms.user(userId)).socketsJoin(this.roomNames.canonical(rooms.chat(chatId)));
  }

  /** Takes every live socket of the user (any node) out of the chat room, at once. */
  removeUserFromChat(userId: string, chatId: string): void {
    this.io.in(rooms.user(userId)).socketsLeave(rooms.chat(chatId));
  }

  isUserOnline(userId: string): Promise<boolean> {
    return this.services.presence.isOnline(userId);
  }

  getOnlineUsers(): Promise<string[]> {
    return this.services.presence.onlineUserIds();
  }

  /**
   * Users with at least one socket on this node. Every socket is in its user's room from the
   * handshake until it disconnects, so the adapter's local user rooms (mirrored by roomNames)
   * are the one record of who is connected here.
   */
  getLocalUserIds(): string[] {
    return [...this.roomNames.idsWithPrefix(USER_ROOM)];
  }

  /** Sockets of a user on this node. */
  localSocketCount(userId: string): number {
    return this.io.of('/').adapter.rooms.get(rooms.user(userId))?.size ?? 0;
  }

  async getSocketStats(): Promise<SocketStats> {
    const online = await this.services.presence.onlineUserIds().catch(() => [] as string[]);
    return {
      totalConnections: this.io.engine.clientsCount,
      onlineUsers: online.length,
      localUsers: this.getLocalUserIds().length,
      nodeId: this.services.config.nodeId,
      rooms: this.io.of('/').adapter.rooms.size,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      eventsHandled: this.eventsHandled,
      errors: this.errors,
      storage: { dialect: this.services.database.dialect, pool: this.services.database.poolStats() },
      sharedState: this.services.state.kind,
    };
  }

  getHttpServer(): HttpServer {
    return this.httpServer;
  }

  getIO(): AppServer {
    return this.io;
  }
}
