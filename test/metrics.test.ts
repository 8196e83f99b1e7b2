import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, sleep } from './support/client.js';
import { createDirect } from './support/fixtures.js';
import { startServer, TEST_DB, type TestServer } from './support/server.js';

/** Value of one sample line `name{labels} value`; labels given must all match. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url + '/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /metrics (Prometheus)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { RATE_TYPING_PER_SOCKET: '2/10s' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('connections, online users, events per name, errors per code, latency histograms, storage pool, HTTP', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const before = await scrape(server.url);
    expect(sample(before, 'messenger_socket_connections')).toBe(0);

    const a = await connect(server.url, alice.token);
    const a2 = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    await sleep(100); // presence is recorded just after connect
    expect((await emitAck(a, 'message:send', { chatId, content: 'one' })).ok).toBe(true);
    expect((await emitAck(a, 'message:send', { chatId, content: 'two' })).ok).toBe(true);
    expect((await emitAck(b, 'message:send', { chatId: 'no-such-chat', content: 'x' })).ok).toBe(false);
    expect((await emitAck(b, 'message:send', { chatId: 42 })).ok).toBe(false);
    for (let i = 0; i < 3; i++) await emitAck(a, 'typing:start', { chatId });
    await api(server.url, 'GET', `/api/chats/${chatId}/messages`, { token: alice.token });
    await api(server.url, 'GET', '/api/me');

    const text = await scrape(server.url);
    expect(sample(text, 'messenger_socket_connections')).toBe(3);
    expect(sample(text, 'messenger_local_users')).toBe(2);
    expect(sample(text, 'messenger_online_users')).toBe(2);
    // Events per name and outcome, errors per code.
    expect(sample(text, 'messenger_socket_events_total', { event: 'message:send', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'messenger_socket_events_total', { event: 'message:send', outcome: 'NOT_FOUND' })).toBe(1);
    expect(sample(text, 'messenger_socket_events_total', { event: 'message:send', outcome: 'VALIDATION' })).toBe(1);
    expect(sample(text, 'messenger_socket_events_total', { event: 'typing:start', outcome: 'RATE_LIMITED' })).toBe(1);
    expect(sample(text, 'messenger_socket_errors_total', { code: 'NOT_FOUND' })).toBe(1);
    expect(sample(text, 'messenger_socket_errors_total', { code: 'RATE_LIMITED' })).toBe(1);
    expect(sample(text, 'messenger_rate_limited_total', { class: 'typing', scope: 'socket' })).toBe(1);
    // Handler latency histogram per event.
    expect(sample(text, 'messenger_socket_event_duration_seconds_count', { event: 'message:send' })).toBe(4);
    expect(sample(text, 'messenger_socket_event_duration_seconds_bucket', { event: 'message:send', le: '+Inf' })).toBe(4);
    expect(sample(text, 'messenger_socket_event_duration_seconds_sum', { event: 'message:send' })).toBeGreaterThan(0);
    // Storage pool and shared state.
    expect(sample(text, 'messenger_storage_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'messenger_storage_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'messenger_shared_state_up', { kind: 'memory' })).toBe(1);
    // HTTP requests by route pattern (never the raw path with ids) and status.
    expect(sample(text, 'messenger_http_requests_total', { method: 'GET', route: '/api/chats/:chatId/messages', status: '200' })).toBe(1);
    expect(sample(text, 'messenger_http_requests_total', { method: 'GET', route: '/api/me', status: '401' })).toBe(1);
    expect(sample(text, 'messenger_http_requests_total', { method: 'POST', route: '/api/auth/register', status: '201' })).toBe(2);
    expect(text).not.toContain(chatId);
    expect(sample(text, 'messenger_http_request_duration_seconds_count', { method: 'POST', route: '/api/chats' })).toBe(1);
    // Process metrics come along.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain(`node="${server.config.nodeId}"`);

    for (const s of [a, a2, b]) s.close();
    await sleep(150);
    const after = await scrape(server.url);
    expect(sample(after, 'messenger_socket_connections')).toBe(0);
    expect(sample(after, 'messenger_online_users')).toBe(0);
  });

  test(`storage pool gauges follow the ${TEST_DB} pool`, async () => {
    const text = await scrape(server.url);
    const total = sample(text, 'messenger_storage_pool_connections', { state: 'total' })!;
    const idle = sample(text, 'messenger_storage_pool_connections', { state: 'idle' })!;
    expect(idle).toBeLessThanOrEqual(total);
    if (TEST_DB === 'sqlite') expect(total).toBe(1);
  });
});

describe('METRICS_TOKEN', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { METRICS_TOKEN: 'scrape-secret' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('when set, /metrics needs it as a bearer token', async () => {
    expect((await fetch(server.url + '/metrics')).status).toBe(401);
    expect((await fetch(server.url + '/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(await scrape(server.url, 'scrape-secret')).toContain('messenger_socket_connections');
  });
});
