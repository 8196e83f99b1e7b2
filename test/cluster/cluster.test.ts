import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Message } from '../../src/shared/models.js';
import { startLoadBalancer, type LoadBalancer } from '../../src/cluster/load-balancer.js';
import { api, connect, emitAck, Recorder, registerUser, settle, sleep, waitFor, type TestSocket } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { clusterSkipReason, query, startNodes, uniquePrefix, until } from './support.js';

const skip = await clusterSkipReason();

describe.skipIf(skip !== null)('two nodes over one PostgreSQL and one Redis', () => {
  let cluster: Awaited<ReturnType<typeof startNodes>>;
  let A: TestServer;
  let B: TestServer;
  const sockets: TestSocket[] = [];
  const open = async (node: TestServer, token: string) => {
    const s = await connect(node.url, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    cluster = await startNodes(2, { prefix: uniquePrefix('cluster'), presenceTtlMs: 1500 });
    [A, B] = cluster.nodes as [TestServer, TestServer];
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster?.close();
  });

  async function pair() {
    const alice = await registerUser(A.url);
    const bob = await registerUser(B.url);
    const created = await api(A.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'direct', memberIds: [bob.user.id] } });
    expect(created.status).toBe(201);
    return { alice, bob, chatId: created.body.chat.id as string };
  }

  test('tokens from one node work on the other (shared JWT_SECRET)', async () => {
    const alice = await registerUser(A.url);
    const me = await api(B.url, 'GET', '/api/me', { token: alice.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(alice.user.id);
  });

  test('chat across nodes: chat:created, send, edit, read, delete', async () => {
    const alice = await registerUser(A.url);
    const bob = await registerUser(B.url);
    const a = await open(A, alice.token);
    const b = await open(B, bob.token);
    // The chat is created on node A; bob's socket on node B joins its room and hears of it.
    const createdEvt = waitFor(b, 'chat:created');
    const created = await api(A.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'direct', memberIds: [bob.user.id] } });
    const chatId = created.body.chat.id as string;
    expect((await createdEvt).chat.id).toBe(chatId);

    const received = waitFor(b, 'message:receive');
    const sent = await emitAck(a, 'message:send', { chatId, content: 'hello from A' });
    expect(sent.ok).toBe(true);
    const got = await received;
    expect(got.message).toMatchObject({ id: sent.message.id, seq: 1, content: 'hello from A' });

    const back = waitFor(a, 'message:receive');
    expect((await emitAck(b, 'message:send', { chatId, content: 'hi from B' })).ok).toBe(true);
    expect((await back).message.seq).toBe(2);

    const edited = waitFor(b, 'message:edited');
    expect((await emitAck(a, 'message:edit', { messageId: sent.message.id, content: 'edited' })).ok).toBe(true);
    expect((await edited).message.content).toBe('edited');

    const read = waitFor(a, 'message:read');
    expect((await emitAck(b, 'message:read', { chatId, messageId: sent.message.id })).ok).toBe(true);
    expect(await read).toMatchObject({ chatId, userId: bob.user.id, seq: 1 });

    const deleted = waitFor(b, 'message:deleted');
    expect((await emitAck(a, 'message:delete', { messageId: sent.message.id })).ok).toBe(true);
    expect(await deleted).toMatchObject({ chatId, messageId: sent.message.id });
  });

  test('presence across nodes: online and offline reach the other node', async () => {
    const { alice, bob } = await pair();
    const b = await open(B, bob.token);
    const online = waitFor(b, 'user:online', (p) => p.userId === alice.user.id);
    const a = await open(A, alice.token);
    await online;
    const listed = await api(B.url, 'GET', '/api/chats', { token: bob.token });
    expect(listed.body.chats[0].members.find((m: any) => m.id === alice.user.id).online).toBe(true);
    const offline = waitFor(b, 'user:offline', (p) => p.userId === alice.user.id);
    a.close();
    expect((await offline).lastSeen).toBeTruthy();
  });

  test('a user with sockets on both nodes stays online until the last one leaves', async () => {
    const { alice, bob } = await pair();
    const b = await open(B, bob.token);
    const rec = new Recorder(b);
    const a1 = await open(A, alice.token);
    const a2 = await open(B, alice.token);
    await until(() => rec.of('user:online').length === 1, 3000, 'user:online');
    a1.close();
    await sleep(300);
    expect(rec.of('user:offline')).toHaveLength(0);
    const offline = waitFor(b, 'user:offline', (p) => p.userId === alice.user.id);
    a2.close();
    await offline;
  });

  test('a call across nodes: initiate, incoming, accept, signals both ways, end', async () => {
    const { alice, bob } = await pair();
    const a = await open(A, alice.token);
    const b = await open(B, bob.token);
    const incoming = waitFor(b, 'call:incoming');
    const started = await emitAck(a, 'call:initiate', { receiverId: bob.user.id, callType: 'video' });
    expect(started.ok).toBe(true);
    const callId = started.call.id as string;
    expect(await incoming).toMatchObject({ callId, callType: 'video', caller: { id: alice.user.id } });

    const accepted = waitFor(a, 'call:accepted', (p) => p.callId === callId);
    expect((await emitAck(b, 'call:response', { callId, action: 'accept' })).ok).toBe(true);
    expect(await accepted).toMatchObject({ callId, userId: bob.user.id });

    const offer = waitFor(b, 'webrtc:signal', (p) => p.callId === callId);
    expect((await emitAck(a, 'webrtc:signal', { callId, targetUserId: bob.user.id, signal: { type: 'offer', sdp: 'v=0 A' } })).ok).toBe(true);
    expect(await offer).toMatchObject({ fromUserId: alice.user.id, signal: { type: 'offer', sdp: 'v=0 A' } });
    const answer = waitFor(a, 'webrtc:signal', (p) => p.callId === callId);
    expect((await emitAck(b, 'webrtc:signal', { callId, targetUserId: alice.user.id, signal: { type: 'answer', sdp: 'v=0 B' } })).ok).toBe(true);
    expect(await answer).toMatchObject({ fromUserId: bob.user.id, signal: { type: 'answer' } });

    const ended = waitFor(b, 'call:ended', (p) => p.callId === callId);
    expect((await emitAck(a, 'call:end', { callId })).ok).toBe(true);
    expect((await ended).reason).toBeTruthy();
  });

  test('idempotent send: one clientMessageId to node A and node B at once gives one row and one message', async () => {
    const { alice, bob, chatId } = await pair();
    const a = await open(A, alice.token);
    const a2 = await open(B, alice.token);
    const b = await open(B, bob.token);
    const rec = new Recorder(b);
    for (let round = 0; round < 5; round++) {
      const clientMessageId = `cm-${round}-${Math.random().toString(36).slice(2)}`;
      const [r1, r2] = await Promise.all([
        emitAck(a, 'message:send', { chatId, content: `once ${round}`, clientMessageId }),
        emitAck(a2, 'message:send', { chatId, content: `once ${round}`, clientMessageId }),
      ]);
      expect(r1.ok && r2.ok).toBe(true);
      expect(r1.message.id).toBe(r2.message.id);
      expect(r1.message.seq).toBe(r2.message.seq);
      const rows = await query(cluster.storage, 'SELECT id FROM messages WHERE sender_id = $1 AND client_message_id = $2', [
        alice.user.id,
        clientMessageId,
      ]);
      expect(rows).toHaveLength(1);
    }
    await settle();
    // Bob was told of each message once, with gapless seqs.
    expect(rec.of('message:receive').map((p) => p.message.seq)).toEqual([1, 2, 3, 4, 5]);
    const seqs = await query(cluster.storage, 'SELECT seq FROM messages WHERE chat_id = $1 ORDER BY seq', [chatId]);
    expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
  });

  test('chat:sync returns everything missed (new, edited, deleted, read) from any node', async () => {
    const { alice, bob, chatId } = await pair();
    const a = await open(A, alice.token);
    const first = await emitAck(a, 'message:send', { chatId, content: 'm1' });
    // Bob syncs once on node A and keeps the cursor.
    const b0 = await open(A, bob.token);
    const s0 = await emitAck(b0, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: 0 }] });
    expect(s0.ok).toBe(true);
    expect(s0.chats[0].messages.map((m: Message) => m.content)).toEqual(['m1']);
    const cursor = s0.chats[0].changeSeq as number;
    b0.close();

    // While bob is away: two new messages, an edit of m1, a delete, a read mark by alice.
    const m2 = await emitAck(a, 'message:send', { chatId, content: 'm2' });
    const m3 = await emitAck(a, 'message:send', { chatId, content: 'm3' });
    await emitAck(a, 'message:edit', { messageId: first.message.id, content: 'm1 edited' });
    await emitAck(a, 'message:delete', { messageId: m2.message.id });
    const bobMsg = await api(B.url, 'POST', `/api/chats/${chatId}/messages`, { token: bob.token, body: { content: 'from bob (REST)' } });
    await emitAck(a, 'message:read', { chatId, messageId: bobMsg.body.message.id });

    // Bob comes back on node B.
    const b = await open(B, bob.token);
    const s1 = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: cursor }, { chatId: 'no-such-chat', sinceChangeSeq: 0 }] });
    expect(s1.ok).toBe(true);
    expect(s1.notFound).toEqual(['no-such-chat']);
    expect(s1.chatIds).toContain(chatId);
    const r = s1.chats[0];
    expect(r.hasMore).toBe(false);
    const byId = new Map<string, Message>(r.messages.map((m: Message) => [m.id, m]));
    expect(byId.size).toBe(r.messages.length); // no duplicate
    expect(byId.get(first.message.id)).toMatchObject({ content: 'm1 edited', seq: 1 });
    expect(byId.get(m2.message.id)).toMatchObject({ deleted: true, seq: 2 });
    expect(byId.get(m3.message.id)).toMatchObject({ content: 'm3', seq: 3 });
    expect(byId.get(bobMsg.body.message.id)).toMatchObject({ seq: 4 });
    expect(r.reads).toEqual([expect.objectContaining({ userId: alice.user.id, seq: 4, messageId: bobMsg.body.message.id })]);
    // changeSeq order, every one above the cursor, the new cursor the last change.
    const changes = [...r.messages.map((m: Message) => m.changeSeq), ...r.reads.map((x: any) => x.changeSeq)].sort((x, y) => x - y);
    expect(changes[0]).toBeGreaterThan(cursor);
    expect(r.changeSeq).toBe(changes[changes.length - 1]);

    // Nothing new: an empty answer with the same cursor.
    const s2 = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: r.changeSeq }] });
    expect(s2.chats[0]).toMatchObject({ changeSeq: r.changeSeq, messages: [], reads: [], hasMore: false });
  });

  test('chat:sync pages with limit and hasMore, without gap or duplicate', async () => {
    const { alice, bob, chatId } = await pair();
    const a = await open(A, alice.token);
    for (let i = 1; i <= 7; i++) await emitAck(a, 'message:send', { chatId, content: `p${i}` });
    const b = await open(B, bob.token);
    let cursor = 0;
    const seen: number[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const s = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: cursor }], limit: 3 });
      const r = s.chats[0];
      seen.push(...r.messages.map((m: Message) => m.seq));
      cursor = r.changeSeq;
      if (!r.hasMore) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test('reconnect under live traffic: sync + live events give every seq exactly once', async () => {
    const { alice, bob, chatId } = await pair();
    const a = await open(A, alice.token);
    let b = await open(B, bob.token);
    const s0 = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: 0 }] });
    let cursor = s0.chats[0].changeSeq as number;
    b.close();

    // Alice keeps sending on node A while bob reconnects on node B and syncs (client rule of docs/sync.md).
    let sending = true;
    let sent = 0;
    const sender = (async () => {
      while (sending) {
        const r = await emitAck(a, 'message:send', { chatId, content: `live ${sent}`, clientMessageId: `live-${sent}` });
        if (r.ok) sent++;
      }
    })();
    await sleep(100);
    const store = new Map<string, Message>();
    const apply = (m: Message) => {
      const have = store.get(m.id);
      if (!have || have.changeSeq < m.changeSeq) store.set(m.id, m);
    };
    b = io(B.url, { auth: { token: bob.token }, transports: ['websocket'], forceNew: true, reconnection: false }) as TestSocket;
    sockets.push(b);
    // Live events are applied as they come (idempotently); the sync answer is applied when it comes.
    b.on('message:receive', (p) => apply(p.message));
    await new Promise<void>((resolve) => b.once('connect', () => resolve()));
    const s1 = await emitAck(b, 'chat:sync', { chats: [{ chatId, sinceChangeSeq: cursor }] });
    for (const m of s1.chats[0].messages as Message[]) apply(m);
    cursor = s1.chats[0].changeSeq;
    await sleep(150);
    sending = false;
    await sender;
    await settle();
    const seqs = [...store.values()].map((m) => m.seq).sort((x, y) => x - y);
    expect(sent).toBeGreaterThan(3);
    expect(seqs).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  });

  test('graceful drain: health 503, in-flight acks delivered, clients move to the other node via the balancer', async () => {
    // A third node that will be drained, behind a balancer with node B.
    const { startServer } = await import('../support/server.js');
    const { clusterEnv } = await import('./support.js');
    const prefixEnv = clusterEnv('drain-c', { prefix: (A.config.redisPrefix), presenceTtlMs: 1500 });
    const C = await startServer({ storage: cluster.storage, env: prefixEnv });
    // Sends are fast (group commit): hold each one briefly so some are surely in flight when
    // the drain starts, instead of racing the poll below.
    C.app.services.hooks.guards.push(async () => {
      await sleep(60);
    });
    let lb: LoadBalancer | undefined;
    try {
      const { alice, bob, chatId } = await pair();
      const watcher = await open(B, bob.token);
      const rec = new Recorder(watcher);
      lb = await startLoadBalancer({ port: 0, host: '127.0.0.1', backends: [C.url], healthIntervalMs: 100 });
      const lbUrl = `http://127.0.0.1:${lb.port}`;
      const a = io(lbUrl, { auth: { token: alice.token }, transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200 }) as TestSocket;
      sockets.push(a);
      await new Promise<void>((resolve) => a.once('connect', () => resolve()));
      await until(() => rec.of('user:online').some((p) => p.userId === alice.user.id), 3000, 'alice online');
      lb.backends.push({ url: B.url, host: '127.0.0.1', port: B.port, healthy: true });

      // Messages in flight while the drain starts: every ok ack is a stored message.
      const acks = Promise.all(
        Array.from({ length: 20 }, (_, i) => emitAck(a, 'message:send', { chatId, content: `d${i}`, clientMessageId: `d${i}` }, 8000).catch(() => null)),
      );
      // Drain once the first of them are being handled.
      const inFlight = () => C.app.services.hooks.inFlight?.count ?? 0;
      await until(() => inFlight() > 0, 3000, 'messages in flight');
      const closing = C.close({ keepStorage: true });
      expect((await fetch(C.url + '/api/health').then((r) => r.status, () => 503))).toBe(503);
      const results = await acks;
      // Some were acked (they were in flight), the rest refused as UNAVAILABLE (retry elsewhere).
      expect(results.some((r) => r?.ok)).toBe(true);
      for (const r of results) if (r && !r.ok) expect(r.error.code).toBe('UNAVAILABLE');
      await closing;
      const okIds = results.filter((r) => r?.ok).map((r) => r!.message.id as string);
      const stored = await query(cluster.storage, 'SELECT id FROM messages WHERE chat_id = $1', [chatId]);
      const storedIds = new Set(stored.map((r) => r.id as string));
      for (const id of okIds) expect(storedIds.has(id)).toBe(true);

      // The client reconnects by itself, through the balancer, to node B, and can send.
      await until(() => a.connected, 5000, 'reconnect via the balancer');
      const after = await emitAck(a, 'message:send', { chatId, content: 'after drain' });
      expect(after.ok).toBe(true);
      // The refused ones are resent there with their clientMessageIds: each stored exactly once.
      for (let i = 0; i < 20; i++) {
        const r = await emitAck(a, 'message:send', { chatId, content: `d${i}`, clientMessageId: `d${i}` });
        expect(r.ok).toBe(true);
        if (results[i]?.ok) expect(r.message.id).toBe(results[i]!.message.id);
      }
      const rows = await query(cluster.storage, 'SELECT client_message_id, seq FROM messages WHERE chat_id = $1 ORDER BY seq', [chatId]);
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.client_message_id)).size).toBe(21);
      // Alice reconnected within the grace: bob never saw her go offline.
      await sleep(2500);
      expect(rec.of('user:offline').filter((p) => p.userId === alice.user.id)).toHaveLength(0);
    } finally {
      await lb?.close();
      await C.close({ keepStorage: true }).catch(() => {});
    }
  });
});
