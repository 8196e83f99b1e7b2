import { EventEmitter } from 'node:events';
import type { AppSocket } from '../../src/sockets/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, parseRate } from '../../src/config.js';
import { ConnectionLimits, rateClassOf } from '../../src/limits/index.js';
import { clientEvents } from '../../src/shared/events.js';
import { api, connect, emitAck, registerUser, sleep, waitFor, type TestSocket } from '../support/client.js';
import { createDirect } from '../support/fixtures.js';
import { createTestStorage, startServer, type TestServer } from '../support/server.js';
import { clusterEnv, clusterSkipReason, dropRedisPrefix, uniquePrefix, until } from '../cluster/support.js';
import { atWindowStart, connectWith, request } from './helpers.js';

test('rates parse as count/window, "off" disables, bad values are refused at start', () => {
  expect(parseRate('100/5s')).toEqual({ limit: 100, windowMs: 5000 });
  expect(parseRate('10/1m')).toEqual({ limit: 10, windowMs: 60_000 });
  expect(parseRate('7/250')).toEqual({ limit: 7, windowMs: 250 });
  expect(parseRate('off')).toBeNull();
  expect(() => loadConfig({ RATE_MESSAGES_PER_USER: 'lots' })).toThrow(/RATE_MESSAGES_PER_USER/);
  // The default per-user message budget stays far above the benchmark's 4 msg/s per user.
  const { perUser, perSocket } = loadConfig({}).rateLimits.messages;
  expect((perUser!.limit / perUser!.windowMs) * 1000).toBeGreaterThanOrEqual(20);
  expect((perSocket!.limit / perSocket!.windowMs) * 1000).toBeGreaterThanOrEqual(10);
});

test('every client event falls into a rate class', () => {
  expect(rateClassOf('message:send')).toBe('messages');
  expect(rateClassOf('message:edit')).toBe('messages');
  expect(rateClassOf('typing:start')).toBe('typing');
  expect(rateClassOf('webrtc:signal')).toBe('signals');
  expect(rateClassOf('call:initiate')).toBe('callStarts');
  expect(rateClassOf('conference:create')).toBe('callStarts');
  expect(rateClassOf('screen:annotation:add')).toBe('annotations');
  expect(rateClassOf('message:read')).toBe('other');
  for (const event of Object.keys(clientEvents)) expect(typeof rateClassOf(event)).toBe('string');
});

describe('per-user and per-socket event rate limits', () => {
  let server: TestServer;
  const WINDOW = 2000;
  beforeAll(async () => {
    server = await startServer({
      env: {
        RATE_MESSAGES_PER_USER: `5/${WINDOW}`,
        RATE_MESSAGES_PER_SOCKET: 'off',
        RATE_TYPING_PER_USER: `100/${WINDOW}`,
        RATE_TYPING_PER_SOCKET: `3/${WINDOW}`,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('over the per-user budget: RATE_LIMITED with retryAfter on ack and error channel; connected; others unaffected; resumes', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a1 = await connect(server.url, alice.token);
    const a2 = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    try {
      await atWindowStart(WINDOW, 1000);
      // Five over two sockets of one user use up the user's budget ...
      for (let i = 0; i < 5; i++) {
        const r = await emitAck(i % 2 ? a2 : a1, 'message:send', { chatId, content: `m${i}` });
        expect(r.ok).toBe(true);
      }
      // ... so the sixth is refused on either socket, with a retry-after, also on `error`.
      const reported = waitFor(a2, 'error', (e) => e.event === 'message:send');
      const refused = await emitAck(a2, 'message:send', { chatId, content: 'one too many' });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.error.code).toBe('RATE_LIMITED');
      expect(refused.error.retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.error.retryAfter).toBeLessThanOrEqual(WINDOW / 1000);
      const report = await reported;
      expect(report.code).toBe('RATE_LIMITED');
      expect((report as { retryAfter?: number }).retryAfter).toBe(refused.error.retryAfter);

      // Another user is not slowed: bob's sends go through at once.
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) expect((await emitAck(b, 'message:send', { chatId, content: `b${i}` })).ok).toBe(true);
      expect(Date.now() - t0).toBeLessThan(1000);
      // Other classes have their own budget.
      expect((await emitAck(a1, 'typing:start', { chatId })).ok).toBe(true);

      // Refused, not dropped: both sockets stay, and after retryAfter the user sends again.
      expect(a1.connected && a2.connected).toBe(true);
      await sleep(refused.error.retryAfter! * 1000 + 50);
      expect((await emitAck(a1, 'message:send', { chatId, content: 'again' })).ok).toBe(true);
      // Nothing refused was stored.
      const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages?limit=100`, { token: alice.token });
      expect(history.body.messages.map((m: { content: string }) => m.content)).not.toContain('one too many');
    } finally {
      for (const s of [a1, a2, b]) s.close();
    }
  });

  test('a flood from one user is refused cheaply while another user keeps sending', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    try {
      const flood = Array.from({ length: 300 }, (_, i) => emitAck(a, 'message:send', { chatId, content: `f${i}` }, 10_000));
      const bobTimes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t = Date.now();
        expect((await emitAck(b, 'message:send', { chatId, content: `b${i}` })).ok).toBe(true);
        bobTimes.push(Date.now() - t);
      }
      const results = await Promise.all(flood);
      const limited = results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
      expect(limited).toBeGreaterThanOrEqual(300 - 10);
      expect(Math.max(...bobTimes)).toBeLessThan(1000);
      expect(a.connected).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  test('per-socket budget: one socket is refused while the same user\u2019s other socket goes on', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a1 = await connect(server.url, alice.token);
    const a2 = await connect(server.url, alice.token);
    try {
      await atWindowStart(WINDOW, 1000);
      for (let i = 0; i < 3; i++) expect((await emitAck(a1, 'typing:start', { chatId })).ok).toBe(true);
      const refused = await emitAck(a1, 'typing:start', { chatId });
      expect(refused.ok ? null : refused.error.code).toBe('RATE_LIMITED');
      expect((await emitAck(a2, 'typing:start', { chatId })).ok).toBe(true);
      expect(a1.connected).toBe(true);
    } finally {
      a1.close();
      a2.close();
    }
  });
});


describe('connection caps', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { MAX_CONNECTIONS_PER_IP: '3', MAX_CONNECTIONS_PER_USER: '2' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('per user: the connection over MAX_CONNECTIONS_PER_USER is refused', async () => {
    const u = await registerUser(server.url);
    const ip = { 'x-forwarded-for': '198.51.100.1' };
    const s1 = await connectWith(server.url, u.token, ip);
    const s2 = await connectWith(server.url, u.token, ip);
    await expect(connectWith(server.url, u.token, ip)).rejects.toThrow(/Too many connections/);
    // The manager's view of this node's users is the adapter's user rooms: it follows connects and closes.
    const manager = server.app.manager;
    expect(manager.localSocketCount(u.user.id)).toBe(2);
    expect(manager.getLocalUserIds()).toContain(u.user.id);
    s1.close();
    await until(() => manager.localSocketCount(u.user.id) === 1);
    const s3 = await connectWith(server.url, u.token, ip); // the freed place is usable again
    s2.close();
    s3.close();
    await until(() => manager.localSocketCount(u.user.id) === 0);
    expect(manager.getLocalUserIds()).not.toContain(u.user.id);
    expect((await manager.getSocketStats()).localUsers).toBe(manager.getLocalUserIds().length);
  });

  test('per IP: the connection over MAX_CONNECTIONS_PER_IP is refused, before auth; freed on close', async () => {
    const users = await Promise.all([1, 2, 3, 4].map(() => registerUser(server.url)));
    const ip = { 'x-forwarded-for': '198.51.100.2' };
    const open: TestSocket[] = [];
    for (const u of users.slice(0, 3)) open.push(await connectWith(server.url, u.token, ip));
    await expect(connectWith(server.url, users[3]!.token, ip)).rejects.toThrow(/Too many connections/);
    // Refused before the token is looked at: even a bad token gets the same answer.
    await expect(connectWith(server.url, 'garbage', ip)).rejects.toThrow(/Too many connections/);
    // Another address is not affected.
    const other = await connectWith(server.url, users[3]!.token, { 'x-forwarded-for': '198.51.100.3' });
    other.close();
    // A closed connection frees its place.
    open.pop()!.close();
    await sleep(100);
    open.push(await connectWith(server.url, users[3]!.token, ip));
    for (const s of open) s.close();
  });

  test('a connection that closed while an earlier middleware waited is not counted', () => {
    const limits = new ConnectionLimits(3);
    const conn = Object.assign(new EventEmitter(), { readyState: 'closed' });
    const socket = { conn, handshake: { address: '198.51.100.9', headers: {} } } as unknown as AppSocket;
    let error: Error | undefined;
    limits.middleware()(socket, (err) => (error = err));
    expect(error?.message).toBe('Connection closed');
    expect(limits.count('198.51.100.9')).toBe(0);
  });

  test('refused handshakes (bad token) do not use up the IP\u2019s places', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.4' };
    for (let i = 0; i < 6; i++) await expect(connectWith(server.url, 'not-a-token', ip)).rejects.toThrow(/Authentication failed/);
    await sleep(100);
    const u = await registerUser(server.url);
    const s = await connectWith(server.url, u.token, ip);
    s.close();
  });
});

describe('login throttle', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { LOGIN_MAX_ATTEMPTS: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '8', LOGIN_WINDOW_MS: '60000' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const login = (ip: string, username: string, password: string) =>
    request(server.url, 'POST', '/api/auth/login', { headers: { 'x-forwarded-for': ip }, body: { username, password } });

  test('password guessing from one address: 429 RATE_LIMITED with Retry-After, even for the right password', async () => {
    const u = await registerUser(server.url);
    const name = u.user.username;
    for (let i = 0; i < 3; i++) expect((await login('192.0.2.1', name, `wrong-${i}-password`)).status).toBe(401);
    const throttled = await login('192.0.2.1', name, 'another-wrong-one');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(throttled.body.error.retryAfter).toBe(retryAfter);
    expect((await login('192.0.2.1', name, u.password)).status).toBe(429);
    // The same name from another address, and another name from this address, are not throttled.
    expect((await login('192.0.2.2', name, u.password)).status).toBe(200);
    const other = await registerUser(server.url);
    expect((await login('192.0.2.1', other.user.username, other.password)).status).toBe(200);
    // Case and spaces do not make a new name.
    expect((await login('192.0.2.1', ` ${name.toUpperCase()} `, 'x-wrong-password')).status).toBe(429);
  });

  test('a successful login clears the count', async () => {
    const u = await registerUser(server.url);
    const name = u.user.username;
    expect((await login('192.0.2.10', name, 'wrong-password-1')).status).toBe(401);
    expect((await login('192.0.2.10', name, 'wrong-password-2')).status).toBe(401);
    expect((await login('192.0.2.10', name, u.password)).status).toBe(200);
    await sleep(50);
    expect((await login('192.0.2.10', name, 'wrong-password-3')).status).toBe(401);
    expect((await login('192.0.2.10', name, 'wrong-password-4')).status).toBe(401);
    expect((await login('192.0.2.10', name, u.password)).status).toBe(200);
  });

  test('spraying many names from one address hits the per-IP limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await login('192.0.2.20', `nobody_${i}_${Date.now()}`, 'guess-password')).status);
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
  });
});

describe('registration throttle', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { REGISTER_MAX_PER_IP: '3', REGISTER_WINDOW_MS: '60000' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const register = (ip: string, username: string) =>
    request(server.url, 'POST', '/api/auth/register', { headers: { 'x-forwarded-for': ip }, body: { username, password: 'a-good-password-123' } });
  const name = (i: number) => `signup_${i}_${Math.random().toString(36).slice(2, 8)}`;

  test('mass sign-ups from one address: 429 RATE_LIMITED with Retry-After, no user created; other addresses go on', async () => {
    const statuses: number[] = [];
    // Bad bodies count too: each attempt is counted before validation (and before hashing).
    statuses.push((await register('203.0.113.5', '')).status);
    for (let i = 0; i < 2; i++) statuses.push((await register('203.0.113.5', name(i))).status);
    expect(statuses).toEqual([400, 201, 201]);
    const refusedName = name(9);
    const throttled = await register('203.0.113.5', refusedName);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Nothing was stored for the refused sign-up: the name is still free elsewhere.
    expect((await register('203.0.113.6', refusedName)).status).toBe(201);
  });
});

describe('transport caps', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { MAX_HTTP_BUFFER_SIZE: '4096', MAX_MESSAGE_LENGTH: '100' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('a frame over MAX_HTTP_BUFFER_SIZE closes only that connection; the server and other sockets go on', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const big = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    const closed = new Promise<string>((resolve) => big.once('disconnect', (reason) => resolve(reason)));
    big.emit('message:send', { chatId, content: 'x'.repeat(10_000) });
    expect(await closed).toMatch(/transport/);
    expect(b.connected).toBe(true);
    expect((await emitAck(b, 'message:send', { chatId, content: 'still here' })).ok).toBe(true);
    const history = await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token });
    expect(history.body.messages).toHaveLength(1);
    b.close();
  });

  test('schema caps answer VALIDATION / LIMIT_EXCEEDED and keep the socket', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a = await connect(server.url, alice.token);
    const attachment = { type: 'image/png', url: 'https://x.example/a.png', name: 'a.png', size: 1 };
    const code = async (payload: unknown) => {
      const r = await emitAck(a, 'message:send', payload);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(await code({ chatId, content: 'y'.repeat(101) })).toBe('LIMIT_EXCEEDED');
    expect(await code({ chatId, content: 'ok', attachments: Array(11).fill(attachment) })).toBe('VALIDATION');
    expect(await code({ chatId, content: 'ok', clientMessageId: 'c'.repeat(129) })).toBe('VALIDATION');
    expect(await code({ chatId: 'i'.repeat(65), content: 'ok' })).toBe('VALIDATION');
    expect(await code({ chatId, content: 'ok', attachments: [{ ...attachment, url: 'u'.repeat(2049) }] })).toBe('VALIDATION');
    expect(a.connected).toBe(true);
    a.close();
    // REST bodies over 256 kB: 413 PAYLOAD_TOO_LARGE, catalogued.
    const res = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, {
      token: alice.token,
      rawBody: JSON.stringify({ content: 'z'.repeat(300_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) } });
  });
});

// Cluster mode: the per-user budget is one budget across nodes (counters in Redis).
const clusterSkip = await clusterSkipReason();
describe.skipIf(clusterSkip !== null)('per-user limits across cluster nodes', () => {
  test('sends through two nodes count against one per-user budget', async () => {
    const prefix = uniquePrefix('rl');
    const storage = await createTestStorage();
    const env = (id: string) => ({ ...clusterEnv(id, { prefix }), RATE_MESSAGES_PER_USER: '4/3000', RATE_MESSAGES_PER_SOCKET: 'off' });
    const n1 = await startServer({ storage, env: env('rl-a') });
    const n2 = await startServer({ storage, env: env('rl-b') });
    try {
      const alice = await registerUser(n1.url);
      const bob = await registerUser(n1.url);
      const chatId = await createDirect(n1.url, alice, bob);
      const s1 = await connect(n1.url, alice.token);
      const s2 = await connect(n2.url, alice.token);
      await atWindowStart(3000, 1500);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await emitAck(i % 2 ? s2 : s1, 'message:send', { chatId, content: `x${i}` });
        codes.push(r.ok ? 'ok' : r.error.code);
      }
      expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
      s1.close();
      s2.close();
    } finally {
      await n1.close({ keepStorage: true });
      await n2.close({ keepStorage: true });
      await storage.drop();
      await dropRedisPrefix(prefix);
    }
  });
});
