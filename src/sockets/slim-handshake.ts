import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AppSocket } from './types.js';

/** Headers a handler may still want after connect; the rest were only for the handshake. */
const KEPT_HEADERS = ['user-agent', 'origin', 'x-forwarded-for'] as const;

/**
 * Once a socket is connected (every middleware has run), releases what only the handshake
 * needed — Socket.io's own memory advice ("discard the initial HTTP request"), here per socket:
 *  - `socket.request`, the upgrade request with its raw headers and response stub;
 *  - every header but user-agent, origin and x-forwarded-for from `socket.handshake.headers`;
 *  - the token from `socket.handshake.auth`: a bearer secret should not stay in memory for the
 *    life of the connection (auth has read it; expiry is kept in socket.data).
 * About 1 KB per idle connection (docs/performance.md); documented in docs/architecture.md for
 * apps that embed the messenger.
 */
export function slimHandshake(socket: AppSocket): void {
  const handshake = socket.handshake;
  const headers: Record<string, string | string[]> = {};
  for (const name of KEPT_HEADERS) {
    const value = handshake.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  handshake.headers = headers as IncomingHttpHeaders;
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (auth && 'token' in auth) {
    const { token: _token, ...rest } = auth;
    handshake.auth = rest;
  }
  // engine.io itself keeps the upgrade request referenced until the connection closes (its
  // response stub listens for 'close'); emptying its header fields frees most of what it holds.
  const conn = socket.conn as unknown as { request: IncomingMessage | null };
  const request = conn.request;
  if (request) {
    request.headers = {};
    request.rawHeaders = [];
  }
  conn.request = null;
}
