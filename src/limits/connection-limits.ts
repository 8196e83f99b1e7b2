import { isIP } from 'node:net';
import type { AppSocket } from '../sockets/types.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * The client address of a handshake. Like Express's `trust proxy: loopback` (src/app.ts): when the
 * peer is a proxy on this host, the right-most non-loopback X-Forwarded-For entry is the client.
 */
export function clientIp(socket: AppSocket): string {
  const remote = socket.handshake.address;
  if (!LOOPBACK.test(remote)) return remote;
  const xff = socket.handshake.headers['x-forwarded-for'];
  const header = Array.isArray(xff) ? xff.join(',') : xff;
  if (!header) return remote;
  const hops = header.split(',').map((h) => h.trim()).filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!LOOPBACK.test(hops[i]!)) return hops[i]!;
  return remote;
}

type Conn = AppSocket['conn'];

/**
 * Connections per client IP on this node (MAX_CONNECTIONS_PER_IP), checked before the token is
 * even verified. Counted per transport connection, from the handshake until that connection
 * closes, so a handshake refused later (bad token) is released too. The per-user cap
 * (MAX_CONNECTIONS_PER_USER) is checked in verifySocketAuth.
 */
export class ConnectionLimits {
  private readonly perIp = new Map<string, number>();
  /** The address each counted connection was counted under. */
  private readonly counted = new WeakMap<Conn, string>();
  /**
   * One 'close' listener shared by every connection (the connection is `this`), rather than a
   * closure and a once() wrapper per connection: it is held for the life of each idle one.
   */
  private readonly release: (this: Conn) => void;

  constructor(private readonly maxPerIp: number) {
    const limits = this;
    this.release = function (this: Conn) {
      const ip = limits.counted.get(this);
      if (ip === undefined) return;
      limits.counted.delete(this);
      const left = limits.count(ip) - 1;
      if (left > 0) limits.perIp.set(ip, left);
      else limits.perIp.delete(ip);
    };
  }

  count(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  middleware() {
    return (socket: AppSocket, next: (err?: Error) => void) => {
      const conn = socket.conn;
      if (this.counted.has(conn)) return next();
      // Closed while an earlier middleware waited (start-up): its 'close' has fired already, so
      // counting it now would hold the IP's place for good.
      if (conn.readyState === 'closed') return next(new Error('Connection closed'));
      const ip = clientIp(socket);
      const n = this.count(ip);
      if (n >= this.maxPerIp) return next(new Error('Too many connections'));
      this.perIp.set(ip, n + 1);
      this.counted.set(conn, ip);
      conn.on('close', this.release);
      next();
    };
  }
}
