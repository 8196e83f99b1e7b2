import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers (helmet): nosniff, frame-ancestors none, HSTS, no referrer leaks, and a CSP
 * that lets the web client load only its own scripts and talk only to this origin (WebSocket
 * included). Applied to the whole standalone app (src/app.ts) and to /api when embedded.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** True when the Origin header names the host the request was sent to (same origin). */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The one origin policy for REST and Socket.io: no Origin header (not a browser) or the same
 * origin is always fine; another origin only when listed in CORS_ORIGINS. Never `*`.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowlist: readonly string[]): boolean {
  if (origin === undefined) return true;
  return isSameOrigin(origin, host) || allowlist.includes(origin);
}

/**
 * CORS for /api: a listed origin gets its own origin echoed (with Vary: Origin) and preflights
 * answered; any other cross-origin request gets no CORS headers, so browsers block its answer.
 * Auth is by bearer token (never a cookie), so this guards reads, not ambient authority.
 */
export function corsMiddleware(allowlist: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin !== undefined && allowlist.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,PATCH,DELETE');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization,Content-Type');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    } else if (req.method === 'OPTIONS' && origin !== undefined && !isSameOrigin(origin, req.headers.host)) {
      // A preflight from an unlisted origin: refused, with nothing that would let it through.
      res.status(403).end();
      return;
    }
    next();
  };
}

/**
 * Socket.io: `cors` covers only the polling transport, and browsers apply no CORS to WebSockets,
 * so the handshake itself checks the Origin (allowRequest) for every transport.
 */
export function socketCorsOptions(allowlist: readonly string[]) {
  return {
    cors: {
      origin: (origin: string | undefined, cb: (err: Error | null, allow?: boolean) => void) =>
        cb(null, origin !== undefined && allowlist.includes(origin)),
      credentials: true,
    },
    allowRequest: (req: IncomingMessage, cb: (err: string | null | undefined, success: boolean) => void) => {
      const ok = originAllowed(req.headers.origin, req.headers.host, allowlist);
      cb(ok ? null : 'Origin not allowed', ok);
    },
  };
}
