import express from 'express';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  SocketConfig,
  SocketUtils,
  attachSocketManager,
  getSocketManager,
  initializeSocketIO,
  shutdownSocketIO,
  type SocketManager,
} from '../src/index.js';
import { loadConfig, toSocketConfig } from '../src/config.js';
import { api, connect, registerUser, waitFor } from './support/client.js';
import { createDirect } from './support/fixtures.js';
import { createTestStorage, TEST_JWT_SECRET, type TestStorage } from './support/server.js';

let storage: TestStorage;
let manager: SocketManager;
let url: string;

beforeAll(async () => {
  storage = await createTestStorage();
  // The seed's app.ts, as someone embedding the messenger in their own Express app writes it.
  const app = express();
  const config = loadConfig(
    { DATA_DIR: storage.dataDir, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...(storage.databaseUrl ? { DATABASE_URL: storage.databaseUrl } : {}) },
    { port: 0, host: '127.0.0.1' },
  );
  manager = initializeSocketIO(app, { config });
  app.use(attachSocketManager);
  app.use(express.json());
  // A host controller in the seed's MessageController style.
  app.post('/host/announce', async (req, res) => {
    const m = (req as express.Request & { socketManager: SocketManager }).socketManager;
    m.broadcast('announcement', { text: req.body.text });
    res.json({ ok: true });
  });
  const server = manager.getHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await shutdownSocketIO(manager);
  await storage.drop();
});

test('initializeSocketIO(app) serves the API and sockets on the host app; getSocketManager() returns it', async () => {
  expect(getSocketManager()).toBe(manager);
  const health = await api(url, 'GET', '/api/health');
  expect(health.body).toEqual({ status: 'ok' });
  const alice = await registerUser(url);
  const socket = await connect(url, alice.token);
  const note = waitFor(socket, 'notification');
  await api(url, 'POST', '/host/announce', { body: { text: 'maintenance at noon' } });
  expect(await note).toMatchObject({ type: 'announcement', data: { text: 'maintenance at noon' } });
  socket.close();
});

test('SocketUtils.sendChatMessage and sendToChat/sendToUser reach the right sockets only', async () => {
  const alice = await registerUser(url);
  const bob = await registerUser(url);
  const eve = await registerUser(url);
  const chatId = await createDirect(url, alice, bob);
  const b = await connect(url, bob.token);
  const e = await connect(url, eve.token);
  const eveEvents: string[] = [];
  e.onAny((name: string) => eveEvents.push(name));
  const got = waitFor(b, 'message:receive');
  const message = {
    id: 'm1', chatId, seq: 1, senderId: alice.user.id, type: 'text' as const, content: 'from a controller',
    replyTo: null, attachments: [], clientMessageId: null, createdAt: new Date().toISOString(), editedAt: null, deleted: false, changeSeq: 1,
  };
  await SocketUtils.sendChatMessage(chatId, message);
  expect((await got).message.content).toBe('from a controller');
  const direct = waitFor(b, 'notification');
  manager.sendToUser(bob.user.id, 'notification', { type: 'ping', at: new Date().toISOString() });
  expect((await direct).type).toBe('ping');
  await new Promise((r) => setTimeout(r, 100));
  expect(eveEvents).toEqual([]);
  const stats = await manager.getSocketStats();
  expect(stats).toMatchObject({ totalConnections: 2, onlineUsers: 2, storage: { dialect: expect.any(String) } });
  b.close();
  e.close();
});

test('SocketConfig has the seed\u2019s shape; every value can come from the environment', () => {
  expect(Object.keys(SocketConfig.TIMEOUTS)).toEqual(['CALL_TIMEOUT', 'TYPING_TIMEOUT']);
  expect(Object.keys(SocketConfig.LIMITS)).toEqual(['MAX_MESSAGE_LENGTH', 'MAX_CONCURRENT_CALLS', 'MAX_CONFERENCE_PARTICIPANTS']);
  expect(toSocketConfig(loadConfig({}))).toEqual({
    TIMEOUTS: { CALL_TIMEOUT: 60_000, TYPING_TIMEOUT: 3_000 },
    LIMITS: { MAX_MESSAGE_LENGTH: 4096, MAX_CONCURRENT_CALLS: 5, MAX_CONFERENCE_PARTICIPANTS: 50 },
  });
  expect(
    toSocketConfig(
      loadConfig({ CALL_TIMEOUT_MS: '1000', TYPING_TIMEOUT_MS: '500', MAX_MESSAGE_LENGTH: '10', MAX_CONCURRENT_CALLS: '2', MAX_CONFERENCE_PARTICIPANTS: '8' }),
    ),
  ).toEqual({
    TIMEOUTS: { CALL_TIMEOUT: 1000, TYPING_TIMEOUT: 500 },
    LIMITS: { MAX_MESSAGE_LENGTH: 10, MAX_CONCURRENT_CALLS: 2, MAX_CONFERENCE_PARTICIPANTS: 8 },
  });
  expect(() => loadConfig({ MAX_MESSAGE_LENGTH: 'lots' })).toThrow(/MAX_MESSAGE_LENGTH/);
});
