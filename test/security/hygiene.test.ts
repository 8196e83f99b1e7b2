import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { api, connect, emitAck, registerUser } from '../support/client.js';
import { createDirect } from '../support/fixtures.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectWith, request } from './helpers.js';

const GOOD = 'https://chat.example.com';
const EVIL = 'https://evil.example.net';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { CORS_ORIGINS: `${GOOD},http://localhost:5173` } });
});
afterAll(async () => {
  await server?.close();
});

describe('security headers', () => {
  test('API answers carry helmet\u2019s headers and no X-Powered-By', async () => {
    for (const path of ['/api/health', '/api/no-such-route', '/api/me']) {
      const res = await request(server.url, 'GET', path);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });
});

describe('CORS from the CORS_ORIGINS allowlist, never *', () => {
  test('config refuses * and anything that is not an origin', () => {
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });

  test('REST: a listed origin is echoed and its preflight answered; others get no CORS headers', async () => {
    const pre = await request(server.url, 'OPTIONS', '/api/chats', {
      headers: { origin: GOOD, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(GOOD);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const get = await request(server.url, 'GET', '/api/health', { headers: { origin: GOOD } });
    expect(get.headers.get('access-control-allow-origin')).toBe(GOOD);
    expect(get.headers.get('vary')).toMatch(/Origin/i);

    const evilPre = await request(server.url, 'OPTIONS', '/api/chats', {
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(evilPre.status).toBe(403);
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();
    const evilGet = await request(server.url, 'GET', '/api/health', { headers: { origin: EVIL } });
    expect(evilGet.headers.get('access-control-allow-origin')).toBeNull();
    for (const res of [pre, get, evilPre, evilGet]) expect(res.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  test('Socket.io: the handshake checks Origin on every transport', async () => {
    const u = await registerUser(server.url);
    // Not a browser (no Origin), a listed origin, and the server's own origin are let in.
    for (const headers of [{}, { origin: GOOD }, { origin: server.url }] as Array<Record<string, string>>) {
      const s = await connectWith(server.url, u.token, headers);
      s.close();
    }
    // Anyone else is refused before the token matters.
    await expect(connectWith(server.url, u.token, { origin: EVIL })).rejects.toThrow();
    // Polling handshake: refused with 403 and no CORS headers for an unlisted origin.
    const polling = await request(server.url, 'GET', '/socket.io/?EIO=4&transport=polling', { headers: { origin: EVIL } });
    expect(polling.status).toBe(403);
    expect(polling.headers.get('access-control-allow-origin')).toBeNull();
    const ok = await request(server.url, 'GET', '/socket.io/?EIO=4&transport=polling', { headers: { origin: GOOD } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(GOOD);
  });
});

describe('no stack traces or internals in answers', () => {
  test('malformed JSON and unknown routes: catalogued JSON errors only', async () => {
    const bad = await request(server.url, 'POST', '/api/auth/login', { headers: { 'content-type': 'application/json' }, rawBody: '{"username":' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: { code: 'VALIDATION', message: 'Malformed JSON' } });
    const missing = await request(server.url, 'GET', '/api/does/not/exist');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  test('an unexpected failure is INTERNAL with the catalog message, on sockets and REST', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const chat = server.app.services.chat;
    const original = chat.sendMessage;
    chat.sendMessage = async () => {
      throw new Error('relation "secret_table" does not exist at /srv/app/src/chat.ts:42');
    };
    const a = await connect(server.url, alice.token);
    try {
      const ack = await emitAck(a, 'message:send', { chatId, content: 'hi' });
      expect(ack).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Internal error' } });
      const rest = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token: alice.token, body: { content: 'hi' } });
      expect(rest.status).toBe(500);
      expect(rest.body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
      expect(a.connected).toBe(true);
    } finally {
      chat.sendMessage = original;
      a.close();
    }
  });

  test('outside /api, Express\u2019s last-resort error page shows no stack', async () => {
    // POST: the web client's fallback route only answers GET.
    server.app.app.post('/__boom', () => {
      throw new Error('secret internals at /srv/app/src/x.ts:1');
    });
    const res = await request(server.url, 'POST', '/__boom');
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/secret|\/srv\/|\.ts:|at /);
  });
});

test('docs/configuration.md documents every environment variable of src/config.ts', () => {
  const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
  const block = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1] ?? '';
  const names = [...block.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThan(30);
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  expect(names.filter((n) => !doc.includes('`' + n + '`'))).toEqual([]);
});

describe('handshake after connect', () => {
  test('the token and the upgrade request are released; the socket still works', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const before = server.app.io.sockets.sockets.size;
    const s = await connect(server.url, alice.token);
    const serverSide = [...server.app.io.sockets.sockets.values()].find((x) => x.data.userId === alice.user.id);
    expect(serverSide).toBeDefined();
    expect(server.app.io.sockets.sockets.size).toBe(before + 1);
    const handshake = serverSide!.handshake;
    expect(JSON.stringify(handshake)).not.toContain(alice.token);
    expect(Object.keys(handshake.headers).every((h) => ['user-agent', 'origin', 'x-forwarded-for'].includes(h))).toBe(true);
    expect(serverSide!.request).toBeNull();
    expect(handshake.query).toEqual({}); // engine.io's EIO and transport were only for the handshake
    expect(handshake.url).toBe('/socket.io/');
    expect(Date.now() - Date.parse(handshake.time)).toBeLessThan(60_000);
    // What the handshake was for still holds: the socket sends, and the IP is still known.
    expect(handshake.address).toMatch(/127\.0\.0\.1/);
    expect((await emitAck(s, 'message:send', { chatId, content: 'after slimming' })).ok).toBe(true);
    s.close();
  });
});
