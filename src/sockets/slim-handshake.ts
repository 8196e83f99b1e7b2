import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AppSocket } from './types.js';

/** Headers a handler may still want after connect; the rest were only for the handshake. */
const KEPT_HEADERS = ['user-agent', 'origin', 'x-forwarded-for'] as const;
/** Query parameters engine.io adds for itself (protocol, transport, cache-buster, session). */
const ENGINE_QUERY = new Set(['EIO', 'transport', 't', 'sid', 'b64', 'j']);
/** Shared by every handshake that has nothing left in headers, query or auth (read-only). */
const EMPTY = Object.freeze({}) as Record<string, never>;
/**
 * Strings that many sockets repeat (the Socket.io path, browsers' user agents): one instance
 * each. Only values of a plausible length, and at most 1,000 of them, so a client sending
 * made-up values only stops the sharing, never grows it.
 */
const shared = new Map<string, string>();
function sharedString(value: string): string {
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size < 1_000 && value.length <= 256) shared.set(value, value);
  return value;
}
/**
 * Once a socket is connected (every middleware has run), releases what only the handshake
 * needed — Socket.io's own memory advice ("discard the initial HTTP request"), here per socket:
 *  - `socket.request`, the upgrade request with its raw headers and response stub;
 *  - every header but user-agent, origin and x-forwarded-for from `socket.handshake.headers`
 *    (a user agent is one string shared by every socket that sends it);
 *  - engine.io's own query parameters from `socket.handshake.query` and `.url` (an app's are
 *    kept; without any, the URL is the Socket.io path, one string shared by every socket);
 *  - the token from `socket.handshake.auth`: a bearer secret should not stay in memory for the
 *    life of the connection (auth has read it; expiry is kept in socket.data).
 * What is left empty is one shared read-only (frozen) object: code that adds to
 * `handshake.headers`, `.query` or `.auth` after connect must replace the object. About 1 KB per idle connection with the
 * stub release (docs/performance.md); documented in docs/architecture.md for apps that embed
 * the messenger.
 */
export function slimHandshake(socket: AppSocket): void {
  const handshake = socket.handshake;
  const headers: Record<string, string | string[]> = {};
  let kept = 0;
  for (const name of KEPT_HEADERS) {
    const value = handshake.headers[name];
    if (value === undefined) continue;
    // user agents repeat across users; origin and x-forwarded-for are kept as they came
    headers[name] = name === 'user-agent' && typeof value === 'string' ? sharedString(value) : value;
    kept++;
  }
  handshake.headers = (kept === 0 ? EMPTY : headers) as IncomingHttpHeaders;
  const query = handshake.query as Record<string, string | string[] | undefined>;
  const appQuery = Object.keys(query).filter((name) => !ENGINE_QUERY.has(name));
  handshake.query = appQuery.length === 0 ? EMPTY : Object.fromEntries(appQuery.map((name) => [name, query[name]]));
  // The URL without engine.io's parameters is the Socket.io path: one shared string for all.
  if (appQuery.length === 0) handshake.url = sharedString(handshake.url.split('?', 1)[0] ?? '');
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (auth && 'token' in auth) {
    const { token: _token, ...rest } = auth;
    handshake.auth = Object.keys(rest).length === 0 ? EMPTY : rest;
  }
  // The request is garbage now (src/sockets/upgrade-stub.ts drops engine.io's response stub),
  // unless an engine middleware keeps that stub: then emptying its headers frees most of it.
  const conn = socket.conn as unknown as { request: IncomingMessage | null };
  const request = conn.request;
  if (request) {
    request.headers = {};
    request.rawHeaders = [];
  }
  conn.request = null;
}
