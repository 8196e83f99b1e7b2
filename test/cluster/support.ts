import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestStorage, startServer, TEST_DB, TEST_JWT_SECRET, type TestServer, type TestStorage } from '../support/server.js';
import { PG_ADMIN_URL, REDIS_URL, loudSkip, reachable, servicesRequired } from '../support/services.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Cluster tests need the machine's PostgreSQL and Redis; they mean nothing on SQLite (cluster
 * mode refuses it), so the sqlite project skips them quietly and a missing service skips loudly
 * (or fails with REQUIRE_SERVICES=1).
 */
export async function clusterSkipReason(): Promise<string | null> {
  if (TEST_DB === 'sqlite') return 'cluster tests run in the postgres project only';
  const missing: string[] = [];
  if (!(await reachable(REDIS_URL))) missing.push(`Redis (${REDIS_URL})`);
  if (!(await reachable(PG_ADMIN_URL))) missing.push(`PostgreSQL (${PG_ADMIN_URL})`);
  if (missing.length === 0) return null;
  const what = `${missing.join(' and ')} for test/cluster`;
  if (servicesRequired) throw new Error(`${what} is required (REQUIRE_SERVICES=1) but not reachable`);
  loudSkip(what);
  return what;
}

/** A key prefix of its own per test, so runs and files never share Redis keys or streams. */
export function uniquePrefix(label: string): string {
  return `t:${label}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

export interface ClusterEnvOptions {
  redisUrl?: string;
  prefix: string;
  presenceTtlMs?: number;
}

export function clusterEnv(nodeId: string, o: ClusterEnvOptions): Record<string, string> {
  return {
    REDIS_URL: o.redisUrl ?? REDIS_URL,
    REDIS_PREFIX: o.prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    NODE_ID: nodeId,
    PRESENCE_TTL_MS: String(o.presenceTtlMs ?? 1500),
    DRAIN_TIMEOUT_MS: '3000',
    CALL_RECONNECT_GRACE_MS: '1000',
  };
}

/** Two (or more) in-process nodes over one PostgreSQL database and one Redis. */
export async function startNodes(count: number, o: ClusterEnvOptions & { storage?: TestStorage }) {
  const storage = o.storage ?? (await createTestStorage());
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await startServer({ storage, env: clusterEnv(`n${i}-${o.prefix.slice(-7, -1)}`, o) }));
  }
  return {
    storage,
    nodes,
    async close() {
      await Promise.allSettled(nodes.map((n) => n.close({ keepStorage: true })));
      await storage.drop();
      await dropRedisPrefix(o.prefix, o.redisUrl);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildNode {
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A node as a real process (`node --import tsx src/main.ts`), for kill -9 and SIGTERM. */
export async function spawnNode(env: Record<string, string>, timeoutMs = 20_000): Promise<ChildNode> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, REGISTER_MAX_PER_IP: '1000000', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`node exited early (${proc.exitCode}):\n${out}`);
    const ok = await fetch(url + '/api/health').then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`node did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    proc,
    output: () => out,
    kill: async (signal = 'SIGKILL') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const exited = once(proc, 'exit');
      proc.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Deletes every Redis key (state, adapter stream) under a test's prefix. */
export async function dropRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } catch {
    /* Redis gone: nothing to clean */
  } finally {
    client.disconnect();
  }
}

/** Direct SQL on a test database (assertions on what is stored). */
export async function query<T extends pg.QueryResultRow = any>(storage: TestStorage, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: storage.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
