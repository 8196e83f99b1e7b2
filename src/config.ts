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
  CORS_ORIGINS: listFromEnv([]),
  // SocketConfig (the seed's names)
  CALL_TIMEOUT_MS: intFromEnv(60_000, 1),
  TYPING_TIMEOUT_MS: intFromEnv(3_000, 1),
  MAX_MESSAGE_LENGTH: intFromEnv(4096, 1),
  MAX_CONCURRENT_CALLS: intFromEnv(5, 1),
  MAX_CONFERENCE_PARTICIPANTS: intFromEnv(50, 2),
  // Transport and abuse limits
  MAX_HTTP_BUFFER_SIZE: intFromEnv(1_000_000, 1024),
  MAX_CONNECTIONS_PER_USER: intFromEnv(20, 1),
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
});

export type Env = z.infer<typeof EnvSchema>;

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
  };
  ice: { stunUrls: string[]; turnUrls: string[]; turnSecret: string | undefined; turnTtlSeconds: number };
  presenceTtlMs: number;
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
    },
    ice: {
      stunUrls: e.STUN_URLS,
      turnUrls: e.TURN_URLS,
      turnSecret: e.TURN_SECRET,
      turnTtlSeconds: e.TURN_TTL_SECONDS,
    },
    presenceTtlMs: e.PRESENCE_TTL_MS,
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
