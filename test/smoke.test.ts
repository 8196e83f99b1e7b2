import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, waitFor } from './support/client.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

test('register, create a chat, send and receive', async () => {
  const alice = await registerUser(server.url);
  const bob = await registerUser(server.url);
  const created = await api(server.url, 'POST', '/api/chats', { token: alice.token, body: { type: 'direct', memberIds: [bob.user.id] } });
  expect(created.status).toBe(201);
  const chatId = created.body.chat.id;
  const a = await connect(server.url, alice.token);
  const b = await connect(server.url, bob.token);
  const received = waitFor(b, 'message:receive');
  const ack = await emitAck(a, 'message:send', { chatId, content: 'hi' });
  expect(ack.ok).toBe(true);
  const got = await received;
  expect(got.message.content).toBe('hi');
  a.close();
  b.close();
});
