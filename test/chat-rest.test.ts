import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { api, emitAck, settle, waitFor } from './support/client.js';
import { closeAll, connectedUsers, createDirect, createGroup, type Member } from './support/fixtures.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let people: Member[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => closeAll(people));

async function users(n: number): Promise<Member[]> {
  people = await connectedUsers(server.url, n);
  return people;
}

describe('POST /api/chats', () => {
  test('a direct chat includes the creator, is told to both, and is returned (not doubled) when it exists', async () => {
    const [a, b] = (await users(2)) as [Member, Member];
    const told = waitFor(b.socket, 'chat:created');
    const res = await api(server.url, 'POST', '/api/chats', { token: a.token, body: { type: 'direct', memberIds: [b.user.id] } });
    expect(res.status).toBe(201);
    expect(res.body.chat).toMatchObject({ type: 'direct', title: null });
    expect([...res.body.chat.memberIds].sort()).toEqual([a.user.id, b.user.id].sort());
    expect((await told).chat.id).toBe(res.body.chat.id);
    const again = await api(server.url, 'POST', '/api/chats', { token: b.token, body: { type: 'direct', memberIds: [a.user.id] } });
    expect(again.status).toBe(200);
    expect(again.body.chat.id).toBe(res.body.chat.id);
  });

  test('a new chat puts the members\u2019 live sockets into its room at once', async () => {
    const [a, b, c] = (await users(3)) as [Member, Member, Member];
    const chatId = await createGroup(server.url, a, [b], 'team');
    const got = waitFor(b.socket, 'message:receive');
    expect(await emitAck(a.socket, 'message:send', { chatId, content: 'welcome' })).toMatchObject({ ok: true });
    expect((await got).message.content).toBe('welcome');
    await settle();
    expect(c.seen.of('message:receive')).toEqual([]);
    expect(c.seen.of('chat:created')).toEqual([]);
  });

  test.each([
    [{ type: 'direct', memberIds: [] }, 400],
    [{ type: 'direct', memberIds: ['a', 'b'] }, 400],
    [{ type: 'group', memberIds: [] }, 400],
    [{ type: 'channel', memberIds: [] }, 400],
    [{ type: 'direct', memberIds: ['no-such-user'] }, 404],
  ])('bad body %j → %i', async (body, status) => {
    const [a] = (await users(1)) as [Member];
    const res = await api(server.url, 'POST', '/api/chats', { token: a.token, body });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 400 ? 'VALIDATION' : 'NOT_FOUND');
  });

  test('a direct chat with oneself is refused', async () => {
    const [a] = (await users(1)) as [Member];
    const res = await api(server.url, 'POST', '/api/chats', { token: a.token, body: { type: 'direct', memberIds: [a.user.id] } });
    expect(res.status).toBe(400);
  });

  test('needs a token', async () => {
    expect((await api(server.url, 'POST', '/api/chats', { body: { type: 'group', title: 't' } })).status).toBe(401);
    expect((await api(server.url, 'GET', '/api/chats')).status).toBe(401);
  });
});

describe('GET /api/chats and /api/chats/:id', () => {
  test('lists only the caller\u2019s chats, newest activity first, with last message, unread count and presence', async () => {
    const [a, b, c] = (await users(3)) as [Member, Member, Member];
    const direct = await createDirect(server.url, a, b);
    const group = await createGroup(server.url, a, [b, c], 'g');
    await emitAck(b.socket, 'message:send', { chatId: direct, content: 'one' });
    await emitAck(b.socket, 'message:send', { chatId: direct, content: 'two' });
    await emitAck(c.socket, 'message:send', { chatId: group, content: 'latest' });
    const res = await api(server.url, 'GET', '/api/chats', { token: a.token });
    expect(res.status).toBe(200);
    expect(res.body.chats.map((x: any) => x.id)).toEqual([group, direct]);
    expect(res.body.chats[1]).toMatchObject({ unreadCount: 2, lastMessage: { content: 'two' } });
    expect(res.body.chats[0].members.find((m: any) => m.id === c.user.id)).toMatchObject({ online: true, username: c.user.username });
    const cList = await api(server.url, 'GET', '/api/chats', { token: c.token });
    expect(cList.body.chats.map((x: any) => x.id)).toEqual([group]);
  });

  test('a non-member gets what a missing chat gets', async () => {
    const [a, b, m] = (await users(3)) as [Member, Member, Member];
    const chatId = await createDirect(server.url, a, b);
    const stranger = await api(server.url, 'GET', `/api/chats/${chatId}`, { token: m.token });
    const missing = await api(server.url, 'GET', `/api/chats/does-not-exist`, { token: m.token });
    expect(stranger.status).toBe(404);
    expect(stranger.body).toEqual(missing.body);
    const member = await api(server.url, 'GET', `/api/chats/${chatId}`, { token: b.token });
    expect(member.status).toBe(200);
  });
});

describe('group members', () => {
  test('an owner adds a member: their sockets join and learn; a removed member leaves the room at once', async () => {
    const [owner, b, newcomer] = (await users(3)) as [Member, Member, Member];
    const chatId = await createGroup(server.url, owner, [b]);
    const added = waitFor(newcomer.socket, 'chat:member:added');
    const res = await api(server.url, 'POST', `/api/chats/${chatId}/members`, { token: owner.token, body: { memberIds: [newcomer.user.id] } });
    expect(res.status).toBe(200);
    expect(res.body.chat.memberIds).toContain(newcomer.user.id);
    expect((await added).chatId).toBe(chatId);
    const got = waitFor(newcomer.socket, 'message:receive');
    await emitAck(b.socket, 'message:send', { chatId, content: 'hi newcomer' });
    expect((await got).message.content).toBe('hi newcomer');

    const removed = waitFor(newcomer.socket, 'chat:member:removed');
    const del = await api(server.url, 'DELETE', `/api/chats/${chatId}/members/${newcomer.user.id}`, { token: owner.token });
    expect(del.status).toBe(204);
    await removed;
    newcomer.seen.clear();
    await emitAck(b.socket, 'message:send', { chatId, content: 'secret' });
    await settle();
    expect(newcomer.seen.of('message:receive')).toEqual([]);
    expect(await emitAck(newcomer.socket, 'message:send', { chatId, content: 'still here?' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: newcomer.token })).status).toBe(404);
  });

  test('members cannot add or remove others; strangers get NOT_FOUND; direct chats cannot change', async () => {
    const [owner, b, m] = (await users(3)) as [Member, Member, Member];
    const chatId = await createGroup(server.url, owner, [b]);
    expect((await api(server.url, 'POST', `/api/chats/${chatId}/members`, { token: b.token, body: { memberIds: [m.user.id] } })).status).toBe(403);
    expect((await api(server.url, 'DELETE', `/api/chats/${chatId}/members/${owner.user.id}`, { token: b.token })).status).toBe(403);
    expect((await api(server.url, 'POST', `/api/chats/${chatId}/members`, { token: m.token, body: { memberIds: [m.user.id] } })).status).toBe(404);
    expect((await api(server.url, 'POST', `/api/chats/${chatId}/members`, { token: owner.token, body: { memberIds: [] } })).status).toBe(400);
    const direct = await createDirect(server.url, owner, b);
    expect((await api(server.url, 'POST', `/api/chats/${direct}/members`, { token: owner.token, body: { memberIds: [m.user.id] } })).status).toBe(409);
    // Leaving is always allowed.
    expect((await api(server.url, 'DELETE', `/api/chats/${chatId}/members/${b.user.id}`, { token: b.token })).status).toBe(204);
    await settle();
    expect(m.seen.events).toEqual([]);
  });
});

describe('history and REST send', () => {
  test('pages back with before (seq or message id), oldest first, deleted left out', async () => {
    const [a, b] = (await users(2)) as [Member, Member];
    const chatId = await createDirect(server.url, a, b);
    const ids: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const ack = await emitAck(a.socket, 'message:send', { chatId, content: `m${i}` });
      if (ack.ok) ids.push(ack.message.id);
    }
    await emitAck(a.socket, 'message:delete', { messageId: ids[5] });
    const page1 = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=3`, { token: b.token });
    expect(page1.body.messages.map((m: any) => m.content)).toEqual(['m4', 'm5', 'm7']);
    const page2 = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=3&before=${page1.body.messages[0].id}`, { token: b.token });
    expect(page2.body.messages.map((m: any) => m.content)).toEqual(['m1', 'm2', 'm3']);
    const bySeq = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=2&before=3`, { token: b.token });
    expect(bySeq.body.messages.map((m: any) => m.seq)).toEqual([1, 2]);
    expect((await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=0`, { token: b.token })).status).toBe(400);
    expect((await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=abc`, { token: b.token })).status).toBe(400);
  });

  test('POST messages stores, answers 201 and tells the room as if sent by socket', async () => {
    const [a, b, m] = (await users(3)) as [Member, Member, Member];
    const chatId = await createDirect(server.url, a, b);
    const got = waitFor(b.socket, 'message:receive');
    const mine = waitFor(a.socket, 'message:receive');
    const res = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token: a.token, body: { content: 'via rest', type: 'text' } });
    expect(res.status).toBe(201);
    expect(res.body.message).toMatchObject({ content: 'via rest', senderId: a.user.id, chatId });
    expect(await got).toEqual({ chatId, message: res.body.message });
    // A REST sender has no socket that acked: their devices are told too.
    expect((await mine).message.id).toBe(res.body.message.id);
    const stranger = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token: m.token, body: { content: 'x' } });
    expect(stranger.status).toBe(404);
    expect((await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token: a.token, body: { content: '' } })).status).toBe(400);
    await settle();
    expect(m.seen.of('message:receive')).toEqual([]);
    expect(b.seen.of('message:receive')).toHaveLength(1);
  });
});

test('users can be found by username prefix', async () => {
  const [a, b] = (await users(2)) as [Member, Member];
  const res = await api(server.url, 'GET', `/api/users?search=${encodeURIComponent(b.user.username.slice(0, 12))}`, { token: a.token });
  expect(res.status).toBe(200);
  expect(res.body.users.map((u: any) => u.id)).toContain(b.user.id);
  expect(JSON.stringify(res.body)).not.toContain('password');
  expect((await api(server.url, 'GET', `/api/users?search=`, { token: a.token })).status).toBe(400);
  expect((await api(server.url, 'GET', `/api/users/${b.user.id}`, { token: a.token })).body.user).toMatchObject({ id: b.user.id, online: true });
});
