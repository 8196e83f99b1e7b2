import type { ExtendedError } from 'socket.io';
import type { Services } from '../context.js';
import type { Logger } from 'pino';
import { AppError, toAppError } from '../errors.js';
import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import { rooms, type AppServer, type AppSocket } from '../sockets/types.js';
import { toUser } from './auth.service.js';
import { authClientEvents } from './auth.schema.js';
import type { ClientEventName } from '../shared/events.js';
import type { SocketFeature } from '../sockets/features.js';

/** Socket.io's connect_error message for every auth failure (protocol.md). */
export const AUTH_FAILED = 'Authentication failed';

/**
 * The seed's verifySocketAuth: the handshake token is verified and its user looked up in
 * storage before the connection is accepted. Also caps sockets per user on this node.
 */
export function verifySocketAuth(services: Services, localSocketCount: (userId: string) => number) {
  return async (socket: AppSocket, next: (err?: ExtendedError) => void) => {
    try {
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      const header = socket.handshake.headers.authorization;
      const token = auth?.token ?? (typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined);
      const result = await services.auth.authenticate(token);
      if (!result) return next(new Error(AUTH_FAILED));
      if (localSocketCount(result.user.id) >= services.config.limits.maxConnectionsPerUser) {
        return next(new Error('Too many connections'));
      }
      socket.data.userId = result.user.id;
      socket.data.username = result.user.username;
      socket.data.tokenExpiresAt = result.expiresAt;
      socket.data.tokenIssuedAt = result.issuedAt;
      next();
    } catch (err) {
      // Storage down is not a bad token: the client should retry, not sign the user out.
      const unavailable = toAppError(err).code === 'UNAVAILABLE';
      services.logger.warn({ err }, 'socket auth failed');
      next(new Error(unavailable ? 'Service unavailable' : AUTH_FAILED));
    }
  };
}

/**
 * Closes sockets whose token has expired: `auth:expired {reason:'token_expired'}`, then
 * disconnect. One sweep over this node's sockets every second instead of a timer per socket
 * (idle sockets are most of them; a timer each costs heap). Renewal just moves
 * socket.data.tokenExpiresAt.
 */
export function startTokenExpiry(io: AppServer, logger: Logger, everyMs = 1000): () => void {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const socket of io.of('/').sockets.values()) {
      if (socket.data.tokenExpiresAt > now) continue;
      logger.info({ userId: socket.data.userId, socketId: socket.id }, 'token expired: closing socket');
      socket.emit('auth:expired', { reason: 'token_expired' });
      socket.disconnect(true);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** user:authenticate: renew a live socket's token in place (same user). */
export function authFeature(services: Services): SocketFeature {
  return {
    name: 'auth',
    events: Object.keys(authClientEvents) as ClientEventName[],
    attach(ctx: HandlerContext) {
      const { socket } = ctx;
      registerEvent(ctx, 'user:authenticate', async ({ token }) => {
        const result = await services.auth.authenticate(token);
        if (!result) throw new AppError('FORBIDDEN', 'Invalid or expired token');
        if (result.user.id !== socket.data.userId) throw new AppError('FORBIDDEN', 'Token belongs to another user');
        socket.data.tokenExpiresAt = result.expiresAt;
        socket.data.tokenIssuedAt = result.issuedAt;
        return { user: toUser(result.user, true), expiresAt: new Date(result.expiresAt).toISOString() };
      });
    },
  };
}

/**
 * After a password change: every live socket of the user (any node) whose token was issued
 * before `validAfter` is told `auth:expired {reason:'token_revoked'}` and closed. Sockets renewed
 * with a newer token (user:authenticate) stay.
 */
export async function disconnectRevokedSockets(io: AppServer, userId: string, validAfter: number, logger: Logger): Promise<number> {
  const sockets = await io.in(rooms.user(userId)).fetchSockets();
  let closed = 0;
  for (const s of sockets) {
    if (s.data.tokenIssuedAt >= validAfter) continue;
    s.emit('auth:expired', { reason: 'token_revoked' });
    s.disconnect(true);
    closed++;
  }
  if (closed > 0) logger.info({ userId, closed }, 'tokens revoked: closed sockets');
  return closed;
}
