import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, emitAck, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { closeAll, person, startCallServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer({
    STUN_URLS: 'stun:stun.example.org:3478',
    TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
    TURN_SECRET: 'coturn-shared-secret',
    TURN_TTL_SECONDS: '3600',
  });
});
afterAll(async () => {
  await server?.close();
});

test('GET /api/calls/ice-servers: STUN, and TURN with coturn REST credentials', async () => {
  const a = await person(server);
  const res = await api(server.url, 'GET', '/api/calls/ice-servers', { token: a.user.token });
  expect(res.status).toBe(200);
  const [stun, turn] = res.body.iceServers;
  expect(stun).toEqual({ urls: ['stun:stun.example.org:3478'] });
  expect(turn.urls).toEqual(['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349']);
  const [expiry, userId] = turn.username.split(':');
  expect(userId).toBe(a.id);
  const now = Math.floor(Date.now() / 1000);
  expect(Number(expiry)).toBeGreaterThanOrEqual(now + 3590);
  expect(Number(expiry)).toBeLessThanOrEqual(now + 3610);
  expect(turn.credential).toBe(createHmac('sha1', 'coturn-shared-secret').update(turn.username).digest('base64'));
  expect((await api(server.url, 'GET', '/api/calls/ice-servers')).status).toBe(401);
  closeAll(a);
});

test('the same servers come with call:incoming (for the receiver) and the initiate ack (for the caller)', async () => {
  const a = await person(server);
  const b = await person(server);
  const incoming = waitFor(b.socket, 'call:incoming');
  const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
  expect(ack.iceServers[1].username.endsWith(`:${a.id}`)).toBe(true);
  const inc = await incoming;
  expect(inc.iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] });
  expect(inc.iceServers[1]?.username?.endsWith(`:${b.id}`)).toBe(true);
  await emitAck(a.socket, 'call:end', { callId: ack.call.id });
  closeAll(a, b);
});

test('GET /api/chats/:chatId/calls: members only, a non-member gets what a missing chat gets', async () => {
  const a = await person(server);
  const b = await person(server);
  const x = await person(server);
  const chat = await api(server.url, 'POST', '/api/chats', { token: a.user.token, body: { type: 'direct', memberIds: [b.id] } });
  const chatId = chat.body.chat.id;
  const incoming = waitFor(b.socket, 'call:incoming');
  const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio', chatId });
  await incoming;
  await emitAck(b.socket, 'call:response', { callId: ack.call.id, action: 'decline' });
  const mine = await api(server.url, 'GET', `/api/chats/${chatId}/calls`, { token: b.user.token });
  expect(mine.status).toBe(200);
  expect(mine.body.calls).toMatchObject([{ id: ack.call.id, endReason: 'declined', chatId }]);
  const outsider = await api(server.url, 'GET', `/api/chats/${chatId}/calls`, { token: x.user.token });
  const missing = await api(server.url, 'GET', '/api/chats/no-such-chat/calls', { token: x.user.token });
  expect(outsider.status).toBe(404);
  expect(outsider.body).toEqual(missing.body);
  closeAll(a, b, x);
});
