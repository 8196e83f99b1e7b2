import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, uniqueName } from './support/client.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('REST auth', () => {
  test('register answers 201 with a token and the user; the name is then taken (any case)', async () => {
    const username = uniqueName('Reg');
    const res = await api(server.url, 'POST', '/api/auth/register', { body: { username, password: 'long-enough-pw' } });
    expect(res.status).toBe(201);
    expect(typeof res.body.token).toBe('string');
    expect(res.body.user).toMatchObject({ id: expect.any(String), username });
    expect(res.body.user.password_hash).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('argon2');

    const again = await api(server.url, 'POST', '/api/auth/register', { body: { username: username.toLowerCase(), password: 'long-enough-pw' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  test.each([
    [{}],
    [{ username: 'ab', password: 'long-enough-pw' }],
    [{ username: 'has space', password: 'long-enough-pw' }],
    [{ username: 'fine_name', password: 'short' }],
    [{ username: 'x'.repeat(100), password: 'long-enough-pw' }],
    [{ username: 42, password: 'long-enough-pw' }],
  ])('register rejects bad input %j with 400 VALIDATION', async (body) => {
    const res = await api(server.url, 'POST', '/api/auth/register', { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
  });

  test('malformed JSON is a 400, not a crash', async () => {
    const res = await api(server.url, 'POST', '/api/auth/register', { rawBody: '{"username":' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION' });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|stack/);
  });

  test('login answers 200 with a token; a wrong password or unknown user 401', async () => {
    const { user, password } = await registerUser(server.url);
    const ok = await api(server.url, 'POST', '/api/auth/login', { body: { username: user.username, password } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    const wrong = await api(server.url, 'POST', '/api/auth/login', { body: { username: user.username, password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    const unknown = await api(server.url, 'POST', '/api/auth/login', { body: { username: uniqueName(), password: 'whatever-pw' } });
    expect(unknown.status).toBe(401);
  });

  test('GET /api/me needs a valid token', async () => {
    const { token, user } = await registerUser(server.url);
    const me = await api(server.url, 'GET', '/api/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: user.id, username: user.username });
    expect((await api(server.url, 'GET', '/api/me')).status).toBe(401);
    expect((await api(server.url, 'GET', '/api/me', { token: 'garbage' })).status).toBe(401);
    expect((await api(server.url, 'GET', '/api/me', { token: token.slice(0, -2) + 'xx' })).status).toBe(401);
  });

  test('health answers ok', async () => {
    const res = await api(server.url, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('socket handshake', () => {
  test.each([
    ['no token', undefined],
    ['a garbage token', 'not-a-jwt'],
    ['a token signed with another secret', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl'],
  ])('%s → connect_error "Authentication failed"', async (_label, token) => {
    await expect(connect(server.url, token)).rejects.toThrow('Authentication failed');
  });

  test('a valid token connects; user:authenticate renews in place', async () => {
    const alice = await registerUser(server.url);
    const socket = await connect(server.url, alice.token);
    const login = await api(server.url, 'POST', '/api/auth/login', { body: { username: alice.user.username, password: alice.password } });
    const ack = await emitAck(socket, 'user:authenticate', { token: login.body.token });
    expect(ack).toMatchObject({ ok: true, user: { id: alice.user.id }, expiresAt: expect.any(String) });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  test('user:authenticate refuses a bad token, another user\u2019s token and bad payloads without dropping the socket', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const socket = await connect(server.url, alice.token);
    const errors: any[] = [];
    socket.on('error', (e) => errors.push(e));
    expect(await emitAck(socket, 'user:authenticate', { token: 'junk' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(socket, 'user:authenticate', { token: bob.token })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await emitAck(socket, 'user:authenticate', { nope: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await emitAck(socket, 'user:authenticate', null)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(errors.map((e) => e.event)).toEqual(['user:authenticate', 'user:authenticate', 'user:authenticate', 'user:authenticate']);
    expect(socket.connected).toBe(true);
    socket.close();
  });
});

test('without JWT_SECRET a secret is generated once and kept in DATA_DIR', async () => {
  const own = await startServer({ env: { JWT_SECRET: '' } });
  try {
    const file = path.join(own.config.dataDir, 'jwt-secret');
    expect(existsSync(file)).toBe(true);
    const secret = readFileSync(file, 'utf8');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const { token } = await registerUser(own.url);
    expect((await api(own.url, 'GET', '/api/me', { token })).status).toBe(200);
  } finally {
    await own.close();
  }
});
