import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, Recorder, sleep, waitFor, type TestSocket } from '../support/client.js';
import { clusterEnv, clusterSkipReason, dropRedisPrefix, uniquePrefix } from '../cluster/support.js';
import { createTestStorage, startServer, type TestServer } from '../support/server.js';

const disconnected = (s: TestSocket) => new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));

describe('expiry and renewal (short JWT_TTL_SECONDS)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { JWT_TTL_SECONDS: '2' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('an expired token ends the socket at expiry: auth:expired {reason:token_expired}, then disconnect', async () => {
    const u = await registerUser(server.url);
    const t0 = Date.now();
    const s = await connect(server.url, u.token);
    const expired = waitFor(s, 'auth:expired', () => true, 4000);
    const gone = disconnected(s);
    expect(await expired).toEqual({ reason: 'token_expired' });
    expect(await gone).toBe('io server disconnect');
    const after = Date.now() - t0;
    expect(after).toBeLessThanOrEqual(3500);
    // The token is no good any more, for a socket or REST.
    await expect(connect(server.url, u.token)).rejects.toThrow('Authentication failed');
    expect((await api(server.url, 'GET', '/api/me', { token: u.token })).status).toBe(401);
  });

  test('user:authenticate renews in place: the socket lives on past the old expiry, then ends at the new one', async () => {
    const u = await registerUser(server.url);
    const s = await connect(server.url, u.token);
    const seen = new Recorder(s);
    const oldExp = JSON.parse(Buffer.from(u.token.split('.')[1]!, 'base64url').toString()).exp * 1000;
    // A token issued a second later expires a second later.
    await sleep(1100);
    const login = await api(server.url, 'POST', '/api/auth/login', { body: { username: u.user.username, password: u.password } });
    expect(login.status).toBe(200);
    const renewed = await emitAck(s, 'user:authenticate', { token: login.body.token });
    expect(renewed.ok).toBe(true);
    if (!renewed.ok) return;
    const newExp = Date.parse(renewed.expiresAt);
    expect(newExp).toBeGreaterThan(oldExp);
    expect(renewed.user.id).toBe(u.user.id);
    // Past the old expiry: still connected, nothing said.
    await sleep(Math.max(0, oldExp - Date.now()) + 250);
    expect(s.connected).toBe(true);
    expect(seen.of('auth:expired')).toEqual([]);
    expect((await emitAck(s, 'typing:stop', { chatId: 'none' })).ok).toBe(false); // still answering
    // At the new expiry it ends.
    const gone = disconnected(s);
    await waitFor(s, 'auth:expired', () => true, 3000);
    await gone;
  });

  test('user:authenticate refuses another user\u2019s or a bad token with FORBIDDEN and keeps the socket', async () => {
    const u = await registerUser(server.url);
    const other = await registerUser(server.url);
    const s = await connect(server.url, u.token);
    for (const token of [other.token, 'not.a.token', u.token + 'x']) {
      const r = await emitAck(s, 'user:authenticate', { token });
      expect(r.ok ? 'ok' : r.error.code).toBe('FORBIDDEN');
      expect(r).not.toHaveProperty('user');
    }
    expect(s.connected).toBe(true);
    s.close();
  });
});

describe('password change revokes older tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  test('live sockets on older tokens get auth:expired {reason:token_revoked} and are closed; others stay', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const a1 = await connect(server.url, alice.token);
    const a2 = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    const told = [a1, a2].map((s) => waitFor(s, 'auth:expired', () => true, 5000));
    const gone = [a1, a2].map(disconnected);

    // A wrong current password changes nothing and closes nothing.
    const wrong = await api(server.url, 'POST', '/api/auth/password', {
      token: alice.token,
      body: { currentPassword: 'not-the-password', newPassword: 'a-new-password-123' },
    });
    expect(wrong.status).toBe(401);
    expect(a1.connected && a2.connected).toBe(true);

    const changed = await api(server.url, 'POST', '/api/auth/password', {
      token: alice.token,
      body: { currentPassword: alice.password, newPassword: 'a-new-password-123' },
    });
    expect(changed.status).toBe(200);
    expect(await Promise.all(told)).toEqual([{ reason: 'token_revoked' }, { reason: 'token_revoked' }]);
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(b.connected).toBe(true);

    // The old token is refused everywhere; the new one works, and its socket is not closed.
    expect((await api(server.url, 'GET', '/api/me', { token: alice.token })).status).toBe(401);
    await expect(connect(server.url, alice.token)).rejects.toThrow('Authentication failed');
    const fresh = await connect(server.url, changed.body.token);
    expect((await api(server.url, 'GET', '/api/me', { token: changed.body.token })).status).toBe(200);
    expect((await emitAck(fresh, 'user:authenticate', { token: alice.token })).ok).toBe(false);
    await sleep(200);
    expect(fresh.connected).toBe(true);
    // The old password no longer logs in; the new one does.
    expect((await api(server.url, 'POST', '/api/auth/login', { body: { username: alice.user.username, password: alice.password } })).status).toBe(401);
    expect(
      (await api(server.url, 'POST', '/api/auth/login', { body: { username: alice.user.username, password: 'a-new-password-123' } })).status,
    ).toBe(200);
    fresh.close();
    b.close();
  });
});

const clusterSkip = await clusterSkipReason();
describe.skipIf(clusterSkip !== null)('password change in cluster mode', () => {
  test('sockets on older tokens are closed on every node', async () => {
    const prefix = uniquePrefix('revoke');
    const storage = await createTestStorage();
    const n1 = await startServer({ storage, env: clusterEnv('rv-a', { prefix }) });
    const n2 = await startServer({ storage, env: clusterEnv('rv-b', { prefix }) });
    try {
      const alice = await registerUser(n1.url);
      const s1 = await connect(n1.url, alice.token);
      const s2 = await connect(n2.url, alice.token);
      const told = [s1, s2].map((s) => waitFor(s, 'auth:expired', () => true, 8000));
      const gone = [s1, s2].map(disconnected);
      const changed = await api(n1.url, 'POST', '/api/auth/password', {
        token: alice.token,
        body: { currentPassword: alice.password, newPassword: 'cluster-new-password' },
      });
      expect(changed.status).toBe(200);
      expect(await Promise.all(told)).toEqual([{ reason: 'token_revoked' }, { reason: 'token_revoked' }]);
      await Promise.all(gone);
      const fresh = await connect(n2.url, changed.body.token);
      fresh.close();
    } finally {
      await n1.close({ keepStorage: true });
      await n2.close({ keepStorage: true });
      await storage.drop();
      await dropRedisPrefix(prefix);
    }
  });
});
