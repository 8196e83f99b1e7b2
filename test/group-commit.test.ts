import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, emitAck } from './support/client.js';
import { closeAll, connectedUsers, createGroup, type Member } from './support/fixtures.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

test('concurrent sends into one chat are stored with gapless seqs, each acked with its own row', async () => {
  const members = (await connectedUsers(server.url, 5)) as Member[];
  const [owner, ...others] = members as [Member, ...Member[]];
  const chatId = await createGroup(server.url, owner, others);
  const acks = await Promise.all(
    members.flatMap((m, u) => Array.from({ length: 10 }, (_, i) => emitAck(m.socket, 'message:send', { chatId, content: `u${u}-m${i}` }))),
  );
  expect(acks.every((a) => a.ok)).toBe(true);
  const seqs = acks.map((a) => (a.ok ? a.message.seq : -1)).sort((a, b) => a - b);
  expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=100`, { token: owner.token });
  for (const a of acks) {
    if (!a.ok) continue;
    expect(history.body.messages.find((m: any) => m.id === a.message.id)).toMatchObject({ seq: a.message.seq, content: a.message.content });
  }
  closeAll(members);
});

test('a duplicate clientMessageId in a batch fails only itself: the others are stored once each', async () => {
  const members = (await connectedUsers(server.url, 3)) as Member[];
  const [owner, ...others] = members as [Member, ...Member[]];
  const chatId = await createGroup(server.url, owner, others);
  const first = await emitAck(owner.socket, 'message:send', { chatId, content: 'original', clientMessageId: 'dup' });
  expect(first.ok).toBe(true);
  // In one tick: a retry of 'dup' among fresh sends from several sockets.
  const acks = await Promise.all([
    emitAck(others[0]!.socket, 'message:send', { chatId, content: 'a' }),
    emitAck(owner.socket, 'message:send', { chatId, content: 'original', clientMessageId: 'dup' }),
    emitAck(others[1]!.socket, 'message:send', { chatId, content: 'b', clientMessageId: 'fresh' }),
    emitAck(owner.socket, 'message:send', { chatId, content: 'c' }),
  ]);
  expect(acks.every((a) => a.ok)).toBe(true);
  expect(acks[1]!.ok && first.ok && acks[1]!.message.id).toBe(first.ok && first.message.id);
  const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=100`, { token: owner.token });
  expect(history.body.messages.map((m: any) => m.seq)).toEqual([1, 2, 3, 4]);
  expect(history.body.messages.map((m: any) => m.content).sort()).toEqual(['a', 'b', 'c', 'original']);
  closeAll(members);
});
