import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, sleep, waitFor, type TestSocket } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { clusterSkipReason, freePort, startNodes, uniquePrefix, until } from './support.js';

const skip = await clusterSkipReason();

/** A private redis-server, so the test can kill and restart it (no persistence: all state is lost). */
async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await until(
    () => fetch(`http://127.0.0.1:${port}`).then(() => true, (err: { cause?: { code?: string } }) => err.cause?.code !== 'ECONNREFUSED'),
    5000,
    'redis-server up',
  );
  return proc;
}

async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGKILL');
  await exited;
}

describe.skipIf(skip !== null)('Redis restart', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let cluster: Awaited<ReturnType<typeof startNodes>>;
  let A: TestServer;
  let B: TestServer;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    cluster = await startNodes(2, { prefix: uniquePrefix('redis'), redisUrl: `redis://127.0.0.1:${port}`, presenceTtlMs: 1500 });
    [A, B] = cluster.nodes as [TestServer, TestServer];
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster?.close();
    await stop(redis);
  });

  test('service resumes without restarting the nodes', async () => {
    const alice = await registerUser(A.url);
    const bob = await registerUser(B.url);
    const created = await api(A.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'direct', memberIds: [bob.user.id] } });
    const chatId = created.body.chat.id as string;
    const a = await connect(A.url, alice.token);
    const b = await connect(B.url, bob.token);
    sockets.push(a, b);
    const first = waitFor(b, 'message:receive');
    expect((await emitAck(a, 'message:send', { chatId, content: 'before' })).ok).toBe(true);
    await first;

    // Redis dies and comes back empty on the same port.
    await stop(redis);
    // Storage is not Redis: a send while Redis is down is still stored and acknowledged.
    const during = await emitAck(a, 'message:send', { chatId, content: 'during', clientMessageId: 'during' }, 10_000);
    expect(during.ok).toBe(true);
    // Long enough for every client (state, adapter, stream reader, subscriber) to be in its retry loop.
    await sleep(1500);
    redis = await startRedis(port);

    // The same sockets (never reconnected) talk across nodes again.
    let n = 0;
    await until(
      async () => {
        const got = waitFor(b, 'message:receive', (p) => p.message.content === `after ${n}`, 500).then(() => true, () => false);
        await emitAck(a, 'message:send', { chatId, content: `after ${n}` }, 3000).catch(() => null);
        const ok = await got;
        n++;
        return ok;
      },
      15_000,
      'cross-node delivery after the Redis restart',
    );
    expect(a.connected && b.connected).toBe(true);

    // Presence was lost with Redis; each node writes back its live sockets from its heartbeat.
    await until(
      async () => {
        const listed = await api(B.url, 'GET', '/api/chats', { token: bob.token });
        const members = listed.body.chats?.[0]?.members ?? [];
        return members.length === 2 && members.every((m: any) => m.online);
      },
      5000,
      'presence restored',
    );

    // New connections and presence events across nodes work too.
    const online = waitFor(b, 'user:online', (p) => p.userId === alice.user.id);
    a.close();
    const a2 = await connect(A.url, alice.token);
    sockets.push(a2);
    await online;

    // Nothing was lost: the message sent during the outage is in bob's catch-up.
    const s = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: 0 }] });
    expect(s.chats[0].messages.map((m: any) => m.content)).toContain('during');
  }, 40_000);
});
