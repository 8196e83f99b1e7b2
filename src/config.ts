import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The one typed configuration, read once at start from the environment.
 * Every name here is documented in docs/configuration.md and protocol.md.
 */
const intFromEnv = (fallback: number, min = 0) =>
  z.coerce.number().int().min(min).default(fallback);

const listFromEnv = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    );

/**
 * A rate: "count/window", the window in ms or with a unit (ms, s, m, h): "100/5s" = at most 100
 * per 5-second window. "off" disables that limit.
 */
export interface RateSpec {
  limit: number;
  windowMs: number;
}
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export function parseRate(value: string): RateSpec | null {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === '0') return null;
  const m = /^(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)?$/.exec(v);
  if (!m) throw new Error(`not a rate: "${value}" (expected e.g. "100/5s" or "off")`);
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * UNIT_MS[m[3] ?? 'ms']!;
  if (limit < 1 || windowMs < 1) throw new Error(`not a rate: "${value}" (count and window must be positive)`);
  return { limit, windowMs };
}
const rateFromEnv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseRate(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/** CORS allowlist: exact origins (scheme://host[:port]); `*` is refused. */
const originsFromEnv = listFromEnv([]).superRefine((origins, ctx) => {
  for (const origin of origins) {
    let ok = false;
    try {
      ok = origin !== '*' && new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://chat.example.com ('*' is not allowed)` });
  }
});

const EnvSchema = z.object({
  PORT: intFromEnv(3001),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  JWT_SECRET: z.string().min(16).optional(),
  JWT_TTL_SECONDS: intFromEnv(7 * 24 * 3600, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ID: z.string().default(() => randomUUID().slice(0, 8)),
  CORS_ORIGINS: originsFromEnv,
  // SocketConfig (the seed's names)
  CALL_TIMEOUT_MS: intFromEnv(60_000, 1),
  TYPING_TIMEOUT_MS: intFromEnv(3_000, 1),
  MAX_MESSAGE_LENGTH: intFromEnv(4096, 1),
  MAX_CONCURRENT_CALLS: intFromEnv(5, 1),
  MAX_CONFERENCE_PARTICIPANTS: intFromEnv(50, 2),
  // Transport and abuse limits
  MAX_HTTP_BUFFER_SIZE: intFromEnv(1_000_000, 1024),
  MAX_CONNECTIONS_PER_USER: intFromEnv(20, 1),
  MAX_CONNECTIONS_PER_IP: intFromEnv(10_000, 1),
  // Rate limits per event class (src/limits): per user (all sockets, all nodes) and per socket.
  RATE_MESSAGES_PER_USER: rateFromEnv('100/5s'),
  RATE_MESSAGES_PER_SOCKET: rateFromEnv('60/5s'),
  RATE_TYPING_PER_USER: rateFromEnv('30/5s'),
  RATE_TYPING_PER_SOCKET: rateFromEnv('20/5s'),
  RATE_SIGNALS_PER_USER: rateFromEnv('600/5s'),
  RATE_SIGNALS_PER_SOCKET: rateFromEnv('400/5s'),
  RATE_CALL_STARTS_PER_USER: rateFromEnv('10/1m'),
  RATE_CALL_STARTS_PER_SOCKET: rateFromEnv('10/1m'),
  RATE_ANNOTATIONS_PER_USER: rateFromEnv('250/5s'),
  RATE_ANNOTATIONS_PER_SOCKET: rateFromEnv('150/5s'),
  RATE_OTHER_PER_USER: rateFromEnv('300/5s'),
  RATE_OTHER_PER_SOCKET: rateFromEnv('200/5s'),
  // Login throttle against password guessing: attempts per username+IP, and per IP, per window.
  LOGIN_MAX_ATTEMPTS: intFromEnv(10, 1),
  LOGIN_MAX_ATTEMPTS_PER_IP: intFromEnv(100, 1),
  LOGIN_WINDOW_MS: intFromEnv(15 * 60_000, 1000),
  // Registration throttle against mass sign-ups: attempts per client IP per window.
  REGISTER_MAX_PER_IP: intFromEnv(20, 1),
  REGISTER_WINDOW_MS: intFromEnv(15 * 60_000, 1000),
  // Storage
  SQLITE_BUSY_TIMEOUT_MS: intFromEnv(5000, 0),
  DB_POOL_MAX: intFromEnv(20, 1),
  // Observability: when set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
  METRICS_TOKEN: z.string().min(1).optional(),
  // Calls
  CALL_RECONNECT_GRACE_MS: intFromEnv(15_000, 0),
  CALL_SWEEP_INTERVAL_MS: intFromEnv(30_000, 100),
  CALL_MAX_DURATION_MS: intFromEnv(12 * 3600_000, 1000),
  STUN_URLS: listFromEnv(['stun:stun.l.google.com:19302']),
  TURN_URLS: listFromEnv([]),
  TURN_SECRET: z.string().optional(),
  TURN_TTL_SECONDS: intFromEnv(24 * 3600, 60),
  // Presence: how long a user stays "online" after the last socket of a node that died.
  PRESENCE_TTL_MS: intFromEnv(30_000, 1000),
  // Cluster (docs/cluster.md): key prefix in Redis, and how long SIGTERM waits for in-flight work.
  REDIS_PREFIX: z.string().min(1).max(64).default('msgr:'),
  DRAIN_TIMEOUT_MS: intFromEnv(10_000, 0),
});

export type Env = z.infer<typeof EnvSchema>;

/** Event classes with their own rate limits (src/limits/rate-limit.service.ts maps events to them). */
export const RATE_CLASSES = ['messages', 'typing', 'signals', 'callStarts', 'annotations', 'other'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  jwtSecret: string | undefined;
  jwtTtlSeconds: number;
  logLevel: Env['LOG_LEVEL'];
  nodeId: string;
  corsOrigins: string[];
  timeouts: { callMs: number; typingMs: number; callReconnectGraceMs: number; callSweepMs: number; callMaxDurationMs: number };
  limits: {
    maxMessageLength: number;
    maxConcurrentCalls: number;
    maxConferenceParticipants: number;
    maxHttpBufferSize: number;
    maxConnectionsPerUser: number;
    maxConnectionsPerIp: number;
  };
  /** Per event class: per-user and per-socket fixed windows; null = off. */
  rateLimits: Record<RateClass, { perUser: RateSpec | null; perSocket: RateSpec | null }>;
  login: { maxAttempts: number; maxAttemptsPerIp: number; windowMs: number };
  register: { maxPerIp: number; windowMs: number };
  storage: { sqliteBusyTimeoutMs: number; poolMax: number };
  metricsToken: string | undefined;
  ice: { stunUrls: string[]; turnUrls: string[]; turnSecret: string | undefined; turnTtlSeconds: number };
  presenceTtlMs: number;
  redisPrefix: string;
  drainTimeoutMs: number;
}

/** Reads and validates the environment; throws a readable error on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  // An empty variable means "not set", as shells and compose files commonly pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL || undefined,
    redisUrl: e.REDIS_URL || undefined,
    jwtSecret: e.JWT_SECRET,
    jwtTtlSeconds: e.JWT_TTL_SECONDS,
    logLevel: e.LOG_LEVEL,
    nodeId: e.NODE_ID,
    corsOrigins: e.CORS_ORIGINS,
    timeouts: {
      callMs: e.CALL_TIMEOUT_MS,
      typingMs: e.TYPING_TIMEOUT_MS,
      callReconnectGraceMs: e.CALL_RECONNECT_GRACE_MS,
      callSweepMs: e.CALL_SWEEP_INTERVAL_MS,
      callMaxDurationMs: e.CALL_MAX_DURATION_MS,
    },
    limits: {
      maxMessageLength: e.MAX_MESSAGE_LENGTH,
      maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
      maxConferenceParticipants: e.MAX_CONFERENCE_PARTICIPANTS,
      maxHttpBufferSize: e.MAX_HTTP_BUFFER_SIZE,
      maxConnectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
      maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    },
    rateLimits: {
      messages: { perUser: e.RATE_MESSAGES_PER_USER, perSocket: e.RATE_MESSAGES_PER_SOCKET },
      typing: { perUser: e.RATE_TYPING_PER_USER, perSocket: e.RATE_TYPING_PER_SOCKET },
      signals: { perUser: e.RATE_SIGNALS_PER_USER, perSocket: e.RATE_SIGNALS_PER_SOCKET },
      callStarts: { perUser: e.RATE_CALL_STARTS_PER_USER, perSocket: e.RATE_CALL_STARTS_PER_SOCKET },
      annotations: { perUser: e.RATE_ANNOTATIONS_PER_USER, perSocket: e.RATE_ANNOTATIONS_PER_SOCKET },
      other: { perUser: e.RATE_OTHER_PER_USER, perSocket: e.RATE_OTHER_PER_SOCKET },
    },
    login: { maxAttempts: e.LOGIN_MAX_ATTEMPTS, maxAttemptsPerIp: e.LOGIN_MAX_ATTEMPTS_PER_IP, windowMs: e.LOGIN_WINDOW_MS },
    register: { maxPerIp: e.REGISTER_MAX_PER_IP, windowMs: e.REGISTER_WINDOW_MS },
    storage: { sqliteBusyTimeoutMs: e.SQLITE_BUSY_TIMEOUT_MS, poolMax: e.DB_POOL_MAX },
    metricsToken: e.METRICS_TOKEN,
    ice: {
      stunUrls: e.STUN_URLS,
      turnUrls: e.TURN_URLS,
      turnSecret: e.TURN_SECRET,
      turnTtlSeconds: e.TURN_TTL_SECONDS,
    },
    presenceTtlMs: e.PRESENCE_TTL_MS,
    redisPrefix: e.REDIS_PREFIX,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    ...overrides,
  };
}

/** The seed's SocketConfig shape, derived from a Config. */
export function toSocketConfig(config: Config) {
  return {
    TIMEOUTS: { CALL_TIMEOUT: config.timeouts.callMs, TYPING_TIMEOUT: config.timeouts.typingMs },
    LIMITS: {
      MAX_MESSAGE_LENGTH: config.limits.maxMessageLength,
      MAX_CONCURRENT_CALLS: config.limits.maxConcurrentCalls,
      MAX_CONFERENCE_PARTICIPANTS: config.limits.maxConferenceParticipants,
    },
  } as const;
}
export type SocketConfigShape = ReturnType<typeof toSocketConfig>;

/**
 * Cluster mode (REDIS_URL set) needs storage and a token secret that every node shares:
 * PostgreSQL (not a per-node SQLite file) and an explicit JWT_SECRET (not one generated per
 * DATA_DIR). Throws a readable error otherwise; called at start (main.ts, initializeSocketIO).
 */
export function assertClusterConfig(config: Config): void {
  if (!config.redisUrl) return;
  const problems: string[] = [];
  if (!config.databaseUrl?.startsWith('postgres')) {
    problems.push(
      '  DATABASE_URL: cluster mode (REDIS_URL set) requires PostgreSQL (postgres://…); SQLite is one file per node and cannot be shared',
    );
  }
  if (!config.jwtSecret) {
    problems.push('  JWT_SECRET: cluster mode (REDIS_URL set) requires JWT_SECRET (at least 16 characters), the same on every node');
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
}
