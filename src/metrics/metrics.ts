import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from '../context.js';
import type { EventObserver } from '../sockets/register-event.js';
import type { AppServer } from '../sockets/types.js';

/** Seconds-scale buckets from 0.5 ms to 5 s: socket handlers and HTTP requests alike. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface Metrics {
  registry: Registry;
  /** For services.hooks.observers: events per name and outcome, errors per code, latency. */
  observeEvent: EventObserver;
  /** Counts HTTP requests by method, route pattern (never the raw path) and status. */
  httpMiddleware: RequestHandler;
  /** GET /metrics (Prometheus text format); METRICS_TOKEN, when set, is required as a Bearer token. */
  handler: RequestHandler;
  rateLimited: Counter<'class' | 'scope'>;
  loginThrottled: Counter;
  registerThrottled: Counter;
}

/** A ping that gives up after `ms` (a down Redis must not hold a scrape). */
async function pingWithin(ping: () => Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Prometheus metrics of one app, in their own registry (several apps may share a process, as
 * in the tests). Gauges are read at scrape time; counters and histograms are fed by the
 * registerEvent observer hook and the HTTP middleware.
 */
export function createMetrics(deps: { services: Services; io: AppServer; localUserCount: () => number }): Metrics {
  const { services, io } = deps;
  const registry = new Registry();
  registry.setDefaultLabels({ node: services.config.nodeId });
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'messenger_socket_connections',
    help: 'Socket.io connections open on this node',
    registers: [registry],
    collect() {
      this.set(io.engine.clientsCount);
    },
  });
  new Gauge({
    name: 'messenger_local_users',
    help: 'Users with at least one socket on this node',
    registers: [registry],
    collect() {
      this.set(deps.localUserCount());
    },
  });
  new Gauge({
    name: 'messenger_online_users',
    help: 'Users online on any node (shared presence)',
    registers: [registry],
    async collect() {
      // Presence lives in the SharedState; when that is down the last value stays.
      const ids = await services.presence.onlineUserIds().catch(() => null);
      if (ids) this.set(ids.length);
    },
  });
  new Gauge({
    name: 'messenger_storage_pool_connections',
    help: 'Storage connections by state (PostgreSQL pool; SQLite reports its one connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = services.database.poolStats();
      this.set({ state: 'total' }, pool.total);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });
  new Gauge({
    name: 'messenger_shared_state_up',
    help: '1 when the shared state (memory or Redis) answers a ping within 500 ms',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.set({ kind: services.state.kind }, (await pingWithin(() => services.state.ping(), 500)) ? 1 : 0);
    },
  });

  const events = new Counter({
    name: 'messenger_socket_events_total',
    help: 'Client events handled, by event name and outcome (ok or the error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'messenger_socket_errors_total',
    help: 'Client events answered with an error, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'messenger_socket_event_duration_seconds',
    help: 'Handler latency of client events (guards, validation, handler, ack), by event name',
    labelNames: ['event'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'messenger_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpLatency = new Histogram({
    name: 'messenger_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'messenger_rate_limited_total',
    help: 'Client events refused with RATE_LIMITED, by event class and scope (user or socket)',
    labelNames: ['class', 'scope'] as const,
    registers: [registry],
  });
  const loginThrottled = new Counter({
    name: 'messenger_login_throttled_total',
    help: 'Login attempts refused with 429 (password-guessing throttle)',
    registers: [registry],
  });
  const registerThrottled = new Counter({
    name: 'messenger_register_throttled_total',
    help: 'Sign-ups refused with 429 (per-IP registration throttle)',
    registers: [registry],
  });

  const observeEvent: EventObserver = (event, { code, durationMs }) => {
    events.inc({ event, outcome: code ?? 'ok' });
    if (code !== null) errors.inc({ code });
    latency.observe({ event }, durationMs / 1000);
  };

  const httpMiddleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The matched route's pattern keeps label cardinality bounded; anything else is one label.
      const route = req.route?.path !== undefined ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      httpLatency.observe({ method: req.method, route }, seconds);
    });
    next();
  };

  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = services.config.metricsToken === undefined ? undefined : digest(`Bearer ${services.config.metricsToken}`);
  const handler: RequestHandler = async (req, res) => {
    if (expected !== undefined && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'Metrics token required' } });
      return;
    }
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await registry.metrics());
  };

  return { registry, observeEvent, httpMiddleware, handler, rateLimited, loginThrottled, registerThrottled };
}
