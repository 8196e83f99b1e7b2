import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { api, connect, emitAck, settle, waitFor, Recorder } from './support/client.js';
import { closeAll, connectedUsers, createDirect, type Member } from './support/fixtures.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let alice: Member, bob: Member, mallory: Member;
let chatId: string;

beforeAll(async () => {
  server = await startServer({ env: { MAX_MESSAGE_LENGTH: '100', TYPING_TIMEOUT_MS: '250' } });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  [alice, bob, mallory] = (await connectedUsers(server.url, 3)) as [Member, Member, Member];
  chatId = await createDirect(server.url, alice, bob);
  await settle();
  for (const m of [alice, bob, mallory]) m.seen.clear();
});
afterEach(() => closeAll([alice, bob, mallory]));

const send = (m: Member, payload: Record<string, unknown>) => emitAck(m.socket, 'message:send', { chatId, ...payload });

describe('message:send', () => {
  test('is stored, acked with the message and told to the chat only', async () => {
    const received = waitFor(bob.socket, 'message:receive');
    const ack = await send(alice, { content: 'hello', type: 'text' });
    expect(ack).toMatchObject({ ok: true, message: { chatId, content: 'hello', senderId: alice.user.id, seq: 1, type: 'text' } });
    const got = await received;
    expect(got).toEqual({ chatId, message: ack.ok ? ack.message : null });
    await settle();
    expect(mallory.seen.of('message:receive')).toEqual([]);
    // The sender's socket has the ack; it does not also get the broadcast.
    expect(alice.seen.of('message:receive')).toEqual([]);
  });

  test('a retry with the same clientMessageId returns the first message, stores one row and is told once', async () => {
    const first = await send(alice, { content: 'once', clientMessageId: 'c-1' });
    const retry = await send(alice, { content: 'once', clientMessageId: 'c-1' });
    expect(first.ok && retry.ok).toBe(true);
    if (!first.ok || !retry.ok) return;
    expect(retry.message.id).toBe(first.message.id);
    await settle();
    expect(bob.seen.of('message:receive')).toHaveLength(1);
    const reconnect = await connect(server.url, alice.token);
    const concurrent = await Promise.all([1, 2, 3].map(() => emitAck(reconnect, 'message:send', { chatId, content: 'x', clientMessageId: 'c-2' })));
    const ids = new Set(concurrent.map((a) => (a.ok ? a.message.id : 'failed')));
    expect(ids.size).toBe(1);
    expect(ids.has('failed')).toBe(false);
    reconnect.close();
  });

  test('replyTo must name a message of the same chat', async () => {
    const first = await send(alice, { content: 'question' });
    if (!first.ok) throw new Error('send failed');
    const reply = await send(bob, { content: 'answer', replyTo: first.message.id });
    expect(reply).toMatchObject({ ok: true, message: { replyTo: first.message.id } });
    const bad = await send(bob, { content: 'answer', replyTo: 'no-such-message' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  test('attachments and media types are kept', async () => {
    const attachments = [{ type: 'image/png', url: 'https://files.example/p.png', name: 'p.png', size: 1234 }];
    const ack = await send(alice, { content: '', type: 'image', attachments });
    expect(ack).toMatchObject({ ok: true, message: { type: 'image', attachments } });
  });

  test.each([
    ['no chatId', { chatId: undefined, content: 'x' }],
    ['empty content', { content: '   ' }],
    ['a wrong type', { content: 'x', type: 'sticker' }],
    ['content not a string', { content: { $gt: '' } }],
    ['too many attachments', { content: 'x', attachments: Array.from({ length: 11 }, () => ({ type: 't', url: 'u', name: 'n', size: 1 })) }],
  ])('bad payload (%s) → VALIDATION in the ack and on error, nothing stored or told', async (_label, payload) => {
    const errorEvent = waitFor(alice.socket, 'error');
    const ack = await send(alice, payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.any(String) } });
    expect(await errorEvent).toMatchObject({ event: 'message:send', code: 'VALIDATION' });
    await settle();
    expect(bob.seen.of('message:receive')).toEqual([]);
    expect(alice.socket.connected).toBe(true);
    const history = (await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: alice.token })).body;
    expect(history.messages).toEqual([]);
  });

  test('a non-array payload or none at all is VALIDATION, never a crash', async () => {
    for (const payload of [null, 'string', 42, [], undefined]) {
      expect(await emitAck(alice.socket, 'message:send', payload)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    }
    // Without an ack callback the error still arrives on the error channel.
    const errorEvent = waitFor(alice.socket, 'error');
    alice.socket.emit('message:send', { nonsense: true } as never);
    expect(await errorEvent).toMatchObject({ event: 'message:send', code: 'VALIDATION' });
  });

  test('over MAX_MESSAGE_LENGTH → LIMIT_EXCEEDED, nothing stored', async () => {
    const ack = await send(alice, { content: 'x'.repeat(101) });
    expect(ack).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(await send(alice, { content: 'x'.repeat(100) })).toMatchObject({ ok: true, message: { seq: 1 } });
  });

  test('a stranger gets NOT_FOUND, the same as for a chat that does not exist, and the chat hears nothing', async () => {
    const stranger = await send(mallory, { content: 'let me in' });
    const missing = await emitAck(mallory.socket, 'message:send', { chatId: 'no-such-chat', content: 'x' });
    expect(stranger).toEqual(missing);
    expect(stranger).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await settle();
    expect(alice.seen.of('message:receive')).toEqual([]);
    expect(bob.seen.of('message:receive')).toEqual([]);
  });
});

describe('message:read', () => {
  test('is stored and told to the chat; only forward moves are told', async () => {
    const m1 = await send(alice, { content: 'one' });
    const m2 = await send(alice, { content: 'two' });
    if (!m1.ok || !m2.ok) throw new Error('send failed');
    const told = waitFor(alice.socket, 'message:read');
    const ack = await emitAck(bob.socket, 'message:read', { chatId, messageId: m2.message.id });
    expect(ack).toMatchObject({ ok: true, seq: 2 });
    expect(await told).toMatchObject({ chatId, messageId: m2.message.id, userId: bob.user.id, readAt: expect.any(String) });
    alice.seen.clear();
    expect(await emitAck(bob.socket, 'message:read', { chatId, messageId: m1.message.id })).toMatchObject({ ok: true });
    await settle();
    expect(alice.seen.of('message:read')).toEqual([]);
    const chats = (await api(server.url, 'GET', `/api/chats`, { token: bob.token })).body;
    expect(chats.chats[0]).toMatchObject({ id: chatId, unreadCount: 0 });
  });

  test('failures: stranger, unknown message, message of another chat, bad payload', async () => {
    const m = await send(alice, { content: 'one' });
    if (!m.ok) throw new Error('send failed');
    expect(await emitAck(mallory.socket, 'message:read', { chatId, messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(bob.socket, 'message:read', { chatId, messageId: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const other = await createDirect(server.url, bob, mallory);
    expect(await emitAck(bob.socket, 'message:read', { chatId: other, messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(bob.socket, 'message:read', { chatId })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    await settle();
    expect(alice.seen.of('message:read')).toEqual([]);
  });
});

describe('message:edit and message:delete', () => {
  test('the author edits: stored, acked, told', async () => {
    const m = await send(alice, { content: 'draft' });
    if (!m.ok) throw new Error('send failed');
    const told = waitFor(bob.socket, 'message:edited');
    const ack = await emitAck(alice.socket, 'message:edit', { messageId: m.message.id, content: 'final' });
    expect(ack).toMatchObject({ ok: true, message: { id: m.message.id, content: 'final', editedAt: expect.any(String) } });
    expect(await told).toMatchObject({ chatId, message: { content: 'final' } });
  });

  test('others cannot edit or delete: FORBIDDEN for a member, NOT_FOUND for a stranger; nothing changes', async () => {
    const m = await send(alice, { content: 'mine' });
    if (!m.ok) throw new Error('send failed');
    expect(await emitAck(bob.socket, 'message:edit', { messageId: m.message.id, content: 'hacked' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(bob.socket, 'message:delete', { messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(mallory.socket, 'message:edit', { messageId: m.message.id, content: 'hacked' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(mallory.socket, 'message:delete', { messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(alice.socket, 'message:edit', { messageId: m.message.id, content: 'x'.repeat(101) })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(await emitAck(alice.socket, 'message:edit', { messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    await settle();
    expect(alice.seen.of('message:edited')).toEqual([]);
    expect(bob.seen.of('message:deleted')).toEqual([]);
    const history = (await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token })).body;
    expect(history.messages.map((x: any) => x.content)).toEqual(['mine']);
  });

  test('the author deletes: told, left out of history, then unknown', async () => {
    const m = await send(alice, { content: 'oops' });
    if (!m.ok) throw new Error('send failed');
    const told = waitFor(bob.socket, 'message:deleted');
    expect(await emitAck(alice.socket, 'message:delete', { messageId: m.message.id })).toMatchObject({ ok: true });
    expect(await told).toMatchObject({ chatId, messageId: m.message.id });
    const history = (await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token })).body;
    expect(history.messages).toEqual([]);
    expect(await emitAck(alice.socket, 'message:delete', { messageId: m.message.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(alice.socket, 'message:edit', { messageId: m.message.id, content: 'back' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('typing', () => {
  test('start and stop are told to the chat only', async () => {
    const started = waitFor(bob.socket, 'typing:started');
    expect(await emitAck(alice.socket, 'typing:start', { chatId, isTyping: true })).toMatchObject({ ok: true });
    expect(await started).toEqual({ chatId, userId: alice.user.id });
    const stopped = waitFor(bob.socket, 'typing:stopped');
    expect(await emitAck(alice.socket, 'typing:stop', { chatId })).toMatchObject({ ok: true });
    expect(await stopped).toEqual({ chatId, userId: alice.user.id });
    await settle();
    expect(mallory.seen.events).toEqual([]);
  });

  test('stops by itself after TYPING_TIMEOUT_MS of silence, once; a repeated start is not told again', async () => {
    await emitAck(alice.socket, 'typing:start', { chatId });
    await emitAck(alice.socket, 'typing:start', { chatId });
    await waitFor(bob.socket, 'typing:stopped', undefined, 2000);
    await settle();
    expect(bob.seen.of('typing:started')).toHaveLength(1);
    expect(bob.seen.of('typing:stopped')).toHaveLength(1);
  });

  test('a stranger cannot type into a chat; bad payload is VALIDATION', async () => {
    expect(await emitAck(mallory.socket, 'typing:start', { chatId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(mallory.socket, 'typing:stop', { chatId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitAck(alice.socket, 'typing:start', {})).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    await settle();
    expect(bob.seen.of('typing:started')).toEqual([]);
  });
});

test('a frame over maxHttpBufferSize closes only that connection; the server and others go on', async () => {
  const own = await startServer({ env: { MAX_HTTP_BUFFER_SIZE: '2048' } });
  try {
    const [a, b] = (await connectedUsers(own.url, 2)) as [Member, Member];
    const chat = await createDirect(own.url, a, b);
    const closed = new Promise<void>((resolve) => a.socket.once('disconnect', () => resolve()));
    a.socket.emit('message:send', { chatId: chat, content: 'x'.repeat(5000) });
    await closed;
    const ok = await emitAck(b.socket, 'message:send', { chatId: chat, content: 'still here' });
    expect(ok).toMatchObject({ ok: true });
    const again = await connect(own.url, a.token);
    expect(again.connected).toBe(true);
    again.close();
    closeAll([a, b]);
  } finally {
    await own.close();
  }
});

test('Recorder sanity: a socket that is sent something records it (so empty recordings mean something)', async () => {
  const r = new Recorder(bob.socket);
  await send(alice, { content: 'ping' });
  await settle();
  expect(r.of('message:receive')).toHaveLength(1);
});
