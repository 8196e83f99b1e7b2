import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Message } from '../../src/shared/models.js';
import { api, connect, emitAck, Recorder, registerUser, sleep, waitFor, type TestSocket } from '../support/client.js';
import { createTestStorage, startServer, TEST_JWT_SECRET, type TestServer, type TestStorage } from '../support/server.js';
import { REDIS_URL } from '../support/services.js';
import { clusterEnv, clusterSkipReason, dropRedisPrefix, query, spawnNode, uniquePrefix, until, type ChildNode } from './support.js';

const skip = await clusterSkipReason();

/**
 * kill -9 of a node under load. Node A is a real process, killed with SIGKILL while a client
 * sends to it; node B is in-process. Every message acknowledged before the crash must be stored
 * exactly once, the client's retries (same clientMessageId, now on B) must not double anything,
 * seqs stay gapless, and a receiver that was on A gets everything after reconnecting (chat:sync).
 * Presence: a user only on A goes offline after PRESENCE_TTL_MS; one who moved to B never does.
 */
describe.skipIf(skip !== null)('kill -9 of a node under load', () => {
  let storage: TestStorage;
  let A: ChildNode | undefined;
  let B: TestServer;
  const prefix = uniquePrefix('crash');
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    storage = await createTestStorage();
    // The load below plus the resends exceed the default per-user message budget (100 per 5 s);
    // rate limits are not what this test is about.
    const unlimited = { RATE_MESSAGES_PER_USER: 'off', RATE_MESSAGES_PER_SOCKET: 'off' };
    B = await startServer({ storage, env: { ...clusterEnv('crash-b', { prefix, presenceTtlMs: 1500 }), ...unlimited } });
    A = await spawnNode({
      DATABASE_URL: storage.databaseUrl!,
      DATA_DIR: storage.dataDir,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      NODE_ID: 'crash-a',
      PRESENCE_TTL_MS: '1500',
      CALL_RECONNECT_GRACE_MS: '1000',
      LOG_LEVEL: 'warn',
      ...unlimited,
    });
  }, 40_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await A?.kill('SIGKILL');
    await B?.close({ keepStorage: true });
    await storage?.drop();
    await dropRedisPrefix(prefix);
  });

  test('every acknowledged message is stored once and delivered after reconnect', async () => {
    const a = A!;
    const alice = await registerUser(B.url);
    const bob = await registerUser(B.url);
    const carol = await registerUser(B.url);
    const dave = await registerUser(B.url);
    const chat = await api(B.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'direct', memberIds: [bob.user.id] } });
    const chatId = chat.body.chat.id as string;
    await api(B.url, 'POST', '/api/chats', {
      token: dave.token,
      body: { type: 'group', title: 'watch', memberIds: [alice.user.id, carol.user.id] },
    });

    const aliceOnA = await connect(a.url, alice.token);
    const bobOnA = await connect(a.url, bob.token);
    const carolOnA = await connect(a.url, carol.token);
    const daveOnB = await connect(B.url, dave.token);
    sockets.push(aliceOnA, bobOnA, carolOnA, daveOnB);
    const watch = new Recorder(daveOnB);
    // Carol (on A) calls dave (on B); the call is live when A dies.
    const incoming = waitFor(daveOnB, 'call:incoming');
    const call = await emitAck(carolOnA, 'call:initiate', { receiverId: dave.user.id, callType: 'audio' });
    expect(call.ok).toBe(true);
    await incoming;
    expect((await emitAck(daveOnB, 'call:response', { callId: call.call.id, action: 'accept' })).ok).toBe(true);
    const live = new Map<string, Message>();
    bobOnA.on('message:receive', (p) => live.set(p.message.id, p.message));

    // Load: 4 senders in parallel, each message with its clientMessageId.
    const issued: string[] = [];
    const acked = new Map<string, string>(); // clientMessageId → message id
    let crashed = false;
    let n = 0;
    const worker = async () => {
      while (!crashed) {
        const cid = `load-${n++}`;
        issued.push(cid);
        const r = await emitAck(aliceOnA, 'message:send', { chatId, content: cid, clientMessageId: cid }, 2000).catch(() => null);
        if (r?.ok) acked.set(cid, r.message.id);
      }
    };
    const workers = Promise.all([worker(), worker(), worker(), worker()]);
    await until(() => acked.size >= 40, 10_000, 'some acknowledged messages');
    crashed = true;
    await a.kill('SIGKILL');
    // Alice reconnects to B at once (as socket.io-client would, through a balancer) ...
    const aliceOnB = await connect(B.url, alice.token);
    sockets.push(aliceOnB);
    // ... her sends in flight on A are never acknowledged ...
    await workers;
    const ackedBefore = new Map(acked);
    expect(ackedBefore.size).toBeGreaterThanOrEqual(40);
    // ... and she resends everything not acknowledged, with the same ids.
    for (const cid of issued) {
      const r = await emitAck(aliceOnB, 'message:send', { chatId, content: cid, clientMessageId: cid });
      expect(r.ok).toBe(true);
      if (ackedBefore.has(cid)) expect(r.message.id).toBe(ackedBefore.get(cid));
    }

    // Stored: each clientMessageId exactly once, every acked message among them, seqs gapless.
    const rows = await query(storage, 'SELECT id, seq, client_message_id FROM messages WHERE chat_id = $1 ORDER BY seq', [chatId]);
    expect(rows).toHaveLength(issued.length);
    expect(new Set(rows.map((r) => r.client_message_id)).size).toBe(issued.length);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: issued.length }, (_, i) => i + 1));
    const storedIds = new Set(rows.map((r) => r.id as string));
    for (const id of ackedBefore.values()) expect(storedIds.has(id)).toBe(true);

    // Bob, who was on A, reconnects to B and catches up from his cursor (0: he kept none).
    const bobOnB = io(B.url, { auth: { token: bob.token }, transports: ['websocket'], forceNew: true, reconnection: false }) as TestSocket;
    sockets.push(bobOnB);
    bobOnB.on('message:receive', (p) => live.set(p.message.id, p.message));
    await new Promise<void>((resolve) => bobOnB.once('connect', () => resolve()));
    let cursor = 0;
    for (;;) {
      const s = await emitAck(bobOnB, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: cursor }], limit: 100 });
      for (const m of s.chats[0].messages as Message[]) live.set(m.id, m);
      cursor = s.chats[0].changeSeq;
      if (!s.chats[0].hasMore) break;
    }
    expect([...live.values()].map((m) => m.seq).sort((x, y) => x - y)).toEqual(rows.map((r) => Number(r.seq)));

    // Presence: carol (only on A) goes offline for dave after the TTL; alice (moved to B) never does.
    await until(() => watch.of('user:offline').some((p) => p.userId === carol.user.id), 6000, 'carol offline after the node died');
    await sleep(300);
    expect(watch.of('user:offline').filter((p) => p.userId === alice.user.id)).toHaveLength(0);
    // Carol's call socket died with A: after the reconnect grace the call ends for dave.
    await until(() => watch.of('call:ended').some((p) => p.callId === call.call.id), 5000, 'the stranded call to end');
    const listed = await api(B.url, 'GET', '/api/chats', { token: dave.token });
    const group = listed.body.chats.find((c: any) => c.type === 'group');
    const online = Object.fromEntries(group.members.map((m: any) => [m.id, m.online]));
    expect(online[alice.user.id]).toBe(true);
    expect(online[carol.user.id]).toBe(false);
  }, 40_000);
});
