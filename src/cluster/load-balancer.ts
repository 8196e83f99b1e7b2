import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A small local load balancer for trying the cluster on one machine (npm run cluster) and for
 * docker-compose: HTTP and WebSocket upgrades proxied to healthy nodes, round robin.
 *
 * Written on node:http + node:net (about 200 lines) instead of the http-proxy package: nothing
 * new to install or audit, and it needs two things http-proxy leaves to the caller anyway —
 * active health checks (GET /api/health, so a draining node, answering 503, gets no new
 * clients) and Socket.io stickiness. Socket.io's HTTP long-polling transport must reach the
 * node that holds its session: the balancer reads the session id from each polling handshake
 * answer and sends every later request carrying that `sid` to the same node. WebSocket-only
 * clients need no stickiness (one connection).
 */
export interface LoadBalancerOptions {
  port: number;
  host?: string;
  /** Node base URLs, e.g. http://127.0.0.1:3101. */
  backends: string[];
  healthIntervalMs?: number;
  log?: (msg: string) => void;
}

export interface Backend {
  url: string;
  host: string;
  port: number;
  healthy: boolean;
}

export interface LoadBalancer {
  port: number;
  backends: Backend[];
  close(): Promise<void>;
  /** Runs one round of health checks now. */
  checkHealth(): Promise<void>;
}

const SESSION_TTL_MS = 10 * 60_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const log = options.log ?? (() => {});
  const backends: Backend[] = options.backends.map((u) => {
    const url = new URL(u);
    return { url: u, host: url.hostname, port: Number(url.port || 80), healthy: true };
  });
  const sessions = new Map<string, { backend: Backend; usedAt: number }>();
  let next = 0;

  const pick = (sid: string | null, exclude: Set<Backend>): Backend | undefined => {
    if (sid) {
      const s = sessions.get(sid);
      if (s && !exclude.has(s.backend)) {
        s.usedAt = Date.now();
        return s.backend;
      }
    }
    const candidates = backends.filter((b) => b.healthy && !exclude.has(b));
    const pool = candidates.length > 0 ? candidates : backends.filter((b) => !exclude.has(b));
    if (pool.length === 0) return undefined;
    next = (next + 1) % pool.length;
    return pool[next];
  };

  const sidOf = (req: IncomingMessage): string | null => {
    if (!req.url?.startsWith('/socket.io')) return null;
    return new URL(req.url, 'http://lb').searchParams.get('sid');
  };

  const markDown = (b: Backend, why: string) => {
    if (b.healthy) log(`backend ${b.url} down (${why})`);
    b.healthy = false;
  };

  const checkHealth = async () => {
    await Promise.all(
      backends.map(async (b) => {
        const ok = await fetch(`${b.url}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok && !b.healthy) log(`backend ${b.url} up`);
        if (!ok) markDown(b, 'health check');
        b.healthy = ok;
      }),
    );
  };

  const forwardedHeaders = (req: IncomingMessage) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const remote = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${remote}` : remote;
    headers['x-forwarded-proto'] = 'http';
    return headers;
  };

  const proxyHttp = (req: IncomingMessage, res: ServerResponse, tried = new Set<Backend>()) => {
    const sid = sidOf(req);
    const backend = pick(sid, tried);
    if (!backend) {
      res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"code":"UNAVAILABLE","message":"No node available"}}');
      return;
    }
    const isHandshake = !sid && req.method === 'GET' && !!req.url?.startsWith('/socket.io') && req.url.includes('transport=polling');
    const upstream = http.request(
      { host: backend.host, port: backend.port, method: req.method, path: req.url, headers: forwardedHeaders(req) },
      (up) => {
        const headers = { ...up.headers };
        for (const h of HOP_BY_HOP) delete headers[h];
        if (isHandshake) {
          // Learn the session id of a polling handshake to keep its later requests here.
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const body = Buffer.concat(chunks);
            const m = /"sid":"([^"]+)"/.exec(body.toString('utf8'));
            if (m?.[1]) sessions.set(m[1], { backend, usedAt: Date.now() });
            delete headers['content-length'];
            res.writeHead(up.statusCode ?? 502, { ...headers, 'content-length': String(body.length) }).end(body);
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      // A bodiless request the node refused never reached it: try another. Otherwise the client retries.
      const bodiless = req.method === 'GET' || req.method === 'HEAD';
      if (err.code === 'ECONNREFUSED' && bodiless && !res.headersSent && tried.size < backends.length) {
        markDown(backend, err.code);
        tried.add(backend);
        return proxyHttp(req, res, tried);
      }
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"UNAVAILABLE","message":"Node unavailable"}}');
    });
    req.pipe(upstream);
  };

  const tunnels = new Set<Duplex>();
  const proxyUpgrade = (req: IncomingMessage, client: Duplex, head: Buffer, tried = new Set<Backend>()) => {
    const backend = pick(sidOf(req), tried);
    if (!backend) return client.destroy();
    const upstream = net.connect(backend.port, backend.host);
    tunnels.add(upstream);
    upstream.on('close', () => tunnels.delete(upstream));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      lines.push(`X-Forwarded-For: ${req.socket.remoteAddress ?? ''}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && tried.size < backends.length) {
        markDown(backend, err.code ?? 'error');
        tried.add(backend);
        upstream.destroy();
        return proxyUpgrade(req, client, head, tried);
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  const server = http.createServer((req, res) => proxyHttp(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxyUpgrade(req, socket, head));
  server.on('clientError', (_err, socket) => socket.destroy());

  await checkHealth();
  const health = setInterval(() => void checkHealth(), options.healthIntervalMs ?? 1000);
  const sweep = setInterval(() => {
    const old = Date.now() - SESSION_TTL_MS;
    for (const [sid, s] of sessions) if (s.usedAt < old) sessions.delete(sid);
  }, 60_000);
  health.unref();
  sweep.unref();

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : options.port);
    });
  });

  return {
    port,
    backends,
    checkHealth,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(health);
        clearInterval(sweep);
        server.close(() => resolve());
        server.closeAllConnections();
        for (const t of tunnels) t.destroy();
      }),
  };
}
