import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, connect, registerUser, settle, waitFor, Recorder } from './support/client.js';
import { createDirect } from './support/fixtures.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

test('online and offline per user, not per socket: two devices, one online, one offline with lastSeen', async () => {
  const alice = await registerUser(server.url);
  const bob = await registerUser(server.url);
  const stranger = await registerUser(server.url);
  await createDirect(server.url, alice, bob);
  const bobSocket = await connect(server.url, bob.token);
  const strangerSocket = await connect(server.url, stranger.token);
  const bobSeen = new Recorder(bobSocket);
  const strangerSeen = new Recorder(strangerSocket);

  const online = waitFor(bobSocket, 'user:online');
  const phone = await connect(server.url, alice.token);
  expect(await online).toEqual({ userId: alice.user.id });
  const laptop = await connect(server.url, alice.token);
  await settle();
  expect(bobSeen.of('user:online')).toHaveLength(1);
  expect((await api(server.url, 'GET', `/api/users/${alice.user.id}`, { token: bob.token })).body.user.online).toBe(true);

  phone.close();
  await settle();
  expect(bobSeen.of('user:offline')).toEqual([]);

  const offline = waitFor(bobSocket, 'user:offline');
  const before = Date.now();
  laptop.close();
  const told = await offline;
  expect(told.userId).toBe(alice.user.id);
  expect(Date.parse(told.lastSeen)).toBeGreaterThanOrEqual(before - 1000);

  // Stored and served: the REST profile and the chat list carry lastSeen.
  const profile = await api(server.url, 'GET', `/api/users/${alice.user.id}`, { token: bob.token });
  expect(profile.body.user).toMatchObject({ online: false, lastSeen: told.lastSeen });
  const chats = await api(server.url, 'GET', '/api/chats', { token: bob.token });
  expect(chats.body.chats[0].members.find((m: any) => m.id === alice.user.id)).toMatchObject({ online: false, lastSeen: told.lastSeen });

  // Someone who shares no chat with alice hears nothing of her.
  expect(strangerSeen.of('user:online')).toEqual([]);
  expect(strangerSeen.of('user:offline')).toEqual([]);
  bobSocket.close();
  strangerSocket.close();
});

test('the socket manager tracks online users and connections', async () => {
  const carol = await registerUser(server.url);
  const s1 = await connect(server.url, carol.token);
  const s2 = await connect(server.url, carol.token);
  await settle();
  const stats = await server.app.manager.getSocketStats();
  expect(stats.totalConnections).toBeGreaterThanOrEqual(2);
  expect(await server.app.manager.isUserOnline(carol.user.id)).toBe(true);
  expect(await server.app.manager.getOnlineUsers()).toContain(carol.user.id);
  s1.close();
  s2.close();
  await settle();
  expect(await server.app.manager.isUserOnline(carol.user.id)).toBe(false);
});
