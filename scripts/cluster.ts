/**
 * `npm run cluster`: N messenger nodes on one machine behind the small load balancer
 * (docs/cluster.md). Nodes listen on BASE_PORT.. (3101, 3102, …), the balancer on LB_PORT (3001).
 *
 *   NODES=3 npm run cluster
 *   kill -USR2 <pid>   rolling restart: each node in turn is drained (SIGTERM), restarted and
 *                      waited for (healthy) before the next one
 *   Ctrl-C             drains every node and stops
 *
 * Environment (defaults for this machine): DATABASE_URL (postgres://postgres@127.0.0.1:5432/
 * messenger_cluster, created if missing), REDIS_URL (redis://127.0.0.1:6379), JWT_SECRET
 * (generated once and kept in data/cluster-jwt-secret: every node must share it), NODES (2),
 * BASE_PORT (3101), LB_PORT (3001), LOG_LEVEL (info). `--built` runs dist/server/main.js
 * (npm run build first) instead of the TypeScript sources through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startLoadBalancer, type LoadBalancer } from '../src/cluster/load-balancer.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const NODES = Math.max(1, Number(env.NODES ?? 2));
const BASE_PORT = Number(env.BASE_PORT ?? 3101);
const LB_PORT = Number(env.LB_PORT ?? 3001);
const DATABASE_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/messenger_cluster';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const built = process.argv.includes('--built');

function jwtSecret(): string {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  const dir = path.join(root, 'data');
  const file = path.join(dir, 'cluster-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Creates the cluster's database on first use (the nodes migrate it). */
async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) return;
  const admin = new URL(DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${name}`);
      console.log(`[cluster] created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

interface Node {
  index: number;
  port: number;
  id: string;
  proc?: ChildProcess;
}

const secret = jwtSecret();
const nodes: Node[] = Array.from({ length: NODES }, (_, i) => ({ index: i, port: BASE_PORT + i, id: `node-${i + 1}` }));
let stopping = false;

async function waitHealthy(node: Node, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${node.port}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (node.proc?.exitCode !== null && node.proc?.exitCode !== undefined) throw new Error(`${node.id} exited (${node.proc.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${node.id} did not become healthy`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startNode(node: Node): void {
  const args = built ? [path.join(root, 'dist/server/main.js')] : ['--import', 'tsx', path.join(root, 'src/main.ts')];
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...env,
      PORT: String(node.port),
      HOST: env.HOST ?? '127.0.0.1',
      NODE_ID: node.id,
      DATABASE_URL,
      REDIS_URL,
      JWT_SECRET: secret,
      DATA_DIR: path.join(root, 'data', node.id),
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [proc.stdout!, proc.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${node.id}] ${line}`));
  }
  proc.on('exit', (code, signal) => {
    console.log(`[cluster] ${node.id} exited (${signal ?? code})`);
    if (node.proc === proc) node.proc = undefined;
  });
  node.proc = proc;
}

async function stopNode(node: Node): Promise<void> {
  const proc = node.proc;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
}

async function rollingRestart(lb: LoadBalancer): Promise<void> {
  console.log('[cluster] rolling restart');
  for (const node of nodes) {
    if (stopping) return;
    await stopNode(node);
    startNode(node);
    await waitHealthy(node);
    // The balancer must see it healthy before the next node goes away.
    await lb.checkHealth();
    console.log(`[cluster] ${node.id} back`);
  }
  console.log('[cluster] rolling restart done');
}

async function main(): Promise<void> {
  await ensureDatabase();
  // The first node migrates the database; the others start once it is up.
  startNode(nodes[0]!);
  await waitHealthy(nodes[0]!);
  for (const node of nodes.slice(1)) startNode(node);
  await Promise.all(nodes.slice(1).map((n) => waitHealthy(n)));
  const lb = await startLoadBalancer({
    port: LB_PORT,
    host: env.LB_HOST ?? '0.0.0.0',
    backends: nodes.map((n) => `http://127.0.0.1:${n.port}`),
    log: (msg) => console.log(`[lb] ${msg}`),
  });
  console.log(`[cluster] ${NODES} nodes (${nodes.map((n) => n.port).join(', ')}) behind http://localhost:${lb.port}; kill -USR2 ${process.pid} for a rolling restart`);

  let restarting: Promise<void> | undefined;
  process.on('SIGUSR2', () => {
    restarting ??= rollingRestart(lb)
      .catch((err: unknown) => console.error('[cluster] rolling restart failed:', err))
      .finally(() => (restarting = undefined));
  });
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('[cluster] stopping');
    await lb.close();
    await Promise.all(nodes.map(stopNode));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch(async (err: unknown) => {
  console.error('[cluster]', err instanceof Error ? err.message : err);
  await Promise.all(nodes.map(stopNode));
  process.exit(1);
});
