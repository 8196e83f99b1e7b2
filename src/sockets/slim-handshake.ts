import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AppSocket } from './types.js';

/** Headers a handler may still want after connect; the rest were only for the handshake. */
const KEPT_HEADERS = ['user-agent', 'origin', 'x-forwarded-for'] as const;
/** Query parameters engine.io adds for itself (protocol, transport, cache-buster, session). */
const ENGINE_QUERY = new Set(['EIO', 'transport', 't', 'sid', 'b64', 'j']);
const NO_QUERY: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** One accessor shared by every handshake: `this` is the handshake. */
const TIME_FROM_ISSUED: PropertyDescriptor = {
  get(this: { issued: number }) {
    return new Date(this.issued).toString();
  },
  enumerable: true,
  configurable: true,
};
/** The Socket.io path(s) in use: a server has one, so this stays tiny (and is capped anyway). */
const paths = new Map<string, string>();
function sharedPath(path: string): string {
  const known = paths.get(path);
  if (known !== undefined) return known;
  if (paths.size < 8) paths.set(path, path);
  return path;
}

/**
 * Once a socket is connected (every middleware has run), releases what only the handshake
 * needed — Socket.io's own memory advice ("discard the initial HTTP request"), here per socket:
 *  - `socket.request`, the upgrade request with its raw headers and response stub;
 *  - every header but user-agent, origin and x-forwarded-for from `socket.handshake.headers`;
 *  - engine.io's own query parameters from `socket.handshake.query` and `.url` (an app's are
 *    kept; without any, the URL is the Socket.io path, one string shared by every socket);
 *  - the `time` string, rebuilt from `issued` when read;
 *  - the token from `socket.handshake.auth`: a bearer secret should not stay in memory for the
 *    life of the connection (auth has read it; expiry is kept in socket.data).
 * About 1 KB per idle connection with the stub release (docs/performance.md); documented in docs/architecture.md for
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
  const query = handshake.query as Record<string, string | string[] | undefined>;
  const appQuery = Object.keys(query).filter((name) => !ENGINE_QUERY.has(name));
  handshake.query = appQuery.length === 0 ? NO_QUERY : Object.fromEntries(appQuery.map((name) => [name, query[name]]));
  // The URL without engine.io's parameters is the Socket.io path: one shared string for all.
  if (appQuery.length === 0) handshake.url = sharedPath(handshake.url.split('?', 1)[0] ?? '');
  // `time` is `issued` as a date string (Socket.io sets both at once): made when asked for.
  Object.defineProperty(handshake, 'time', TIME_FROM_ISSUED);
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (auth && 'token' in auth) {
    const { token: _token, ...rest } = auth;
    handshake.auth = rest;
  }
  // The request is garbage now (src/sockets/slim-connection.ts drops engine.io's response stub),
  // unless an engine middleware keeps that stub: then emptying its headers frees most of it.
  const conn = socket.conn as unknown as { request: IncomingMessage | null };
  const request = conn.request;
  if (request) {
    request.headers = {};
    request.rawHeaders = [];
  }
  conn.request = null;
}
