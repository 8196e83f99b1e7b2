import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, emitAck, registerUser, sleep, type TestSocket } from '../support/client.js';
import { createDirect } from '../support/fixtures.js';
import { startServer, TEST_DB, type TestServer } from '../support/server.js';
import { reachable } from '../support/services.js';

/**
 * Redis down in cluster mode: shared-state events answer UNAVAILABLE (a clear, catalogued
 * error), nothing crashes, storage-only work goes on, and everything resumes by itself when
 * Redis is back. Runs against a private redis-server on a free port that the test kills and
 * restarts (cluster mode is a PostgreSQL setup, so the postgres project runs it).
 */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: 'ignore',
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

const hasRedisServer = await new Promise<boolean>((resolve) => {
  const p = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  p.once('error', () => resolve(false));
  p.once('exit', (code) => resolve(code === 0));
});

describe.runIf(TEST_DB === 'postgres' && hasRedisServer)('Redis outage in cluster mode', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let server: TestServer;

  beforeAll(async () => {
    port = await freePort();
    redis = startRedis(port);
    expect(await waitUntil(() => reachable(`redis://127.0.0.1:${port}`), 5000)).toBe(true);
    server = await startServer({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: `t:fault:${process.pid}:`, PRESENCE_TTL_MS: '3000' },
    });
  });
  afterAll(async () => {
    await server?.close();
    if (redis && redis.exitCode === null) {
      redis.kill('SIGKILL');
      await once(redis, 'exit');
    }
  });

  test('clear UNAVAILABLE errors while Redis is down, storage work goes on, and it resumes by itself', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a: TestSocket = await connect(server.url, alice.token);
    const b: TestSocket = await connect(server.url, bob.token);
    try {
      expect((await emitAck(a, 'typing:start', { chatId })).ok).toBe(true);

      redis!.kill('SIGKILL');
      await once(redis!, 'exit');

      // Shared state (typing) is refused with a catalogued, retryable code.
      const typing = await emitAck(a, 'typing:start', { chatId }, 10_000);
      expect(typing).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: 'Service temporarily unavailable' } });
      // Messages live in storage: they are still stored and acked (rate limits count locally).
      const sent = await emitAck(a, 'message:send', { chatId, content: 'while redis is down' }, 10_000);
      expect(sent.ok).toBe(true);
      expect(a.connected && b.connected).toBe(true);
      const metrics = await (await fetch(server.url + '/metrics')).text();
      expect(metrics).toMatch(/messenger_shared_state_up\{[^}]*kind="redis"[^}]*\} 0/);
      expect((await fetch(server.url + '/api/health')).status).toBeLessThan(600); // the process is up

      // Redis returns (empty): the same server recovers without a restart.
      redis = startRedis(port);
      const recovered = await waitUntil(async () => (await emitAck(a, 'typing:start', { chatId }, 10_000)).ok, 15_000);
      expect(recovered).toBe(true);
      const after = await (await fetch(server.url + '/metrics')).text();
      expect(after).toMatch(/messenger_shared_state_up\{[^}]*kind="redis"[^}]*\} 1/);
      // New sockets connect and messages flow end to end again.
      const a2 = await connect(server.url, alice.token);
      const told = new Promise((resolve) => b.once('message:receive', resolve));
      expect((await emitAck(a2, 'message:send', { chatId, content: 'redis is back' })).ok).toBe(true);
      expect(await told).toMatchObject({ chatId });
      a2.close();
    } finally {
      a.close();
      b.close();
    }
  }, 45_000);
});
