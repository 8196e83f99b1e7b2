import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/events.js';

/** Per-socket data set by the auth middleware (the seed's AuthSocket.userId/user). */
export interface SocketData {
  userId: string;
  username: string;
  /** Expiry of the token this socket runs on (epoch ms); renewed by user:authenticate. */
  tokenExpiresAt: number;
  /** Issue time of that token (epoch ms): a password change closes sockets on older tokens. */
  tokenIssuedAt: number;
}

/** Messages between nodes (serverSideEmit); none yet beyond the adapter's own. */
export type InterServerEvents = Record<string, never>;

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const rooms = {
  user: (userId: string) => `user:${userId}`,
  chat: (chatId: string) => `chat:${chatId}`,
  call: (callId: string) => `call:${callId}`,
  video: (callId: string) => `video:${callId}`,
  screen: (callId: string) => `screen:${callId}`,
} as const;
