import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientEvents, type ClientEventName } from '../../src/shared/events.js';
import { api, connect, emitAck, registerUser, Recorder, settle, type TestSocket, type TestUser } from '../support/client.js';
import { createDirect, createGroup } from '../support/fixtures.js';
import { startServer, type TestServer } from '../support/server.js';
import { snapshotRows } from './helpers.js';

/**
 * The authorization sweep: mallory, who belongs to none of alice and bob's chats, messages and
 * calls, tries every id-carrying event and route with their ids. Each answer must be FORBIDDEN or
 * NOT_FOUND, carry no data, be the very answer a made-up id gets (ids reveal nothing), store
 * nothing, and tell the members nothing.
 *
 * Table-driven: a client event or route that carries a chat, message or call id and has no row
 * below fails the coverage test, so new events slot in here.
 */

interface Ids {
  chatId: string;
  groupId: string;
  messageId: string;
  groupMessageId: string;
  callId: string;
  confId: string;
  aliceId: string;
  bobId: string;
  malloryChatId: string;
  malloryMessageId: string;
}
/** The ids mallory must not reach; the fake run replaces exactly these with made-up ones. */
const FOREIGN: Array<keyof Ids> = ['chatId', 'groupId', 'messageId', 'groupMessageId', 'callId', 'confId'];

interface SocketCase {
  event: ClientEventName;
  payload: (x: Ids) => Record<string, unknown>;
  /** Batch reads answer ok and list what they could not see instead of failing. */
  check?: (ack: any, x: Ids) => void;
}

const signal = { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' };

const SOCKET_CASES: SocketCase[] = [
  { event: 'message:send', payload: (x) => ({ chatId: x.chatId, content: 'let me in' }) },
  { event: 'message:send', payload: (x) => ({ chatId: x.groupId, content: 'let me in', clientMessageId: 'sweep-1' }) },
  { event: 'message:send', payload: (x) => ({ chatId: x.malloryChatId, content: 'reply across chats', replyTo: x.messageId }) },
  { event: 'message:read', payload: (x) => ({ chatId: x.chatId, messageId: x.messageId }) },
  { event: 'message:read', payload: (x) => ({ chatId: x.malloryChatId, messageId: x.messageId }) },
  { event: 'message:edit', payload: (x) => ({ messageId: x.messageId, content: 'defaced' }) },
  { event: 'message:edit', payload: (x) => ({ messageId: x.groupMessageId, content: 'defaced' }) },
  { event: 'message:delete', payload: (x) => ({ messageId: x.messageId }) },
  { event: 'typing:start', payload: (x) => ({ chatId: x.chatId }) },
  { event: 'typing:stop', payload: (x) => ({ chatId: x.groupId }) },
  {
    event: 'chat:sync',
    payload: (x) => ({ chats: [{ chatId: x.chatId, sinceChangeSeq: 0 }, { chatId: x.groupId, sinceChangeSeq: 0 }] }),
    check: (ack, x) => {
      expect(ack.ok).toBe(true);
      expect(ack.chats).toEqual([]);
      expect(ack.notFound.sort()).toEqual([x.chatId, x.groupId].sort());
      expect(ack.chatIds).toEqual([x.malloryChatId]);
    },
  },
  { event: 'call:initiate', payload: (x) => ({ receiverId: x.aliceId, callType: 'audio', chatId: x.chatId }) },
  { event: 'call:response', payload: (x) => ({ callId: x.callId, action: 'accept' }) },
  { event: 'call:response', payload: (x) => ({ callId: x.confId, action: 'accept' }) },
  { event: 'call:end', payload: (x) => ({ callId: x.callId }) },
  { event: 'call:rejoin', payload: (x) => ({ callId: x.callId }) },
  { event: 'webrtc:signal', payload: (x) => ({ callId: x.callId, targetUserId: x.aliceId, signal }) },
  { event: 'conference:create', payload: (x) => ({ participantIds: [x.aliceId], callType: 'audio', chatId: x.groupId }) },
  { event: 'conference:join', payload: (x) => ({ callId: x.confId }) },
  { event: 'conference:leave', payload: (x) => ({ callId: x.confId }) },
  { event: 'video:stream:start', payload: (x) => ({ callId: x.callId, hasVideo: true, hasAudio: true }) },
  { event: 'video:stream:stop', payload: (x) => ({ callId: x.callId, hasVideo: false, hasAudio: false }) },
  { event: 'video:control:toggle', payload: (x) => ({ callId: x.callId, action: 'mute_audio', enabled: false }) },
  { event: 'video:quality:change', payload: (x) => ({ callId: x.callId, quality: 'low' }) },
  { event: 'conference:video:join', payload: (x) => ({ callId: x.confId }) },
  { event: 'conference:video:leave', payload: (x) => ({ callId: x.confId }) },
  { event: 'screen:share:start', payload: (x) => ({ callId: x.callId, hasAudio: false, quality: 'high' }) },
  { event: 'screen:share:stop', payload: (x) => ({ callId: x.callId }) },
  { event: 'screen:remote:request', payload: (x) => ({ callId: x.callId }) },
  { event: 'screen:remote:response', payload: (x) => ({ callId: x.callId, requesterId: x.bobId, granted: true }) },
  { event: 'screen:remote:revoke', payload: (x) => ({ callId: x.callId, userId: x.bobId }) },
  { event: 'screen:annotation:add', payload: (x) => ({ callId: x.callId, type: 'draw', data: { points: [[0, 0], [1, 1]] } }) },
  { event: 'screen:quality:change', payload: (x) => ({ callId: x.callId, quality: 'low' }) },
];

interface RestCase {
  method: string;
  /** The route pattern this row covers (checked against the app's routes). */
  route: string;
  path: (x: Ids) => string;
  body?: (x: Ids) => unknown;
}

const REST_CASES: RestCase[] = [
  { method: 'GET', route: '/api/chats/:chatId', path: (x) => `/api/chats/${x.chatId}` },
  { method: 'GET', route: '/api/chats/:chatId/messages', path: (x) => `/api/chats/${x.groupId}/messages` },
  { method: 'GET', route: '/api/chats/:chatId/messages', path: (x) => `/api/chats/${x.malloryChatId}/messages?before=${x.messageId}` },
  { method: 'POST', route: '/api/chats/:chatId/messages', path: (x) => `/api/chats/${x.chatId}/messages`, body: () => ({ content: 'let me in' }) },
  { method: 'POST', route: '/api/chats/:chatId/members', path: (x) => `/api/chats/${x.groupId}/members`, body: (x) => ({ memberIds: [x.aliceId] }) },
  { method: 'DELETE', route: '/api/chats/:chatId/members/:userId', path: (x) => `/api/chats/${x.groupId}/members/${x.bobId}` },
  { method: 'GET', route: '/api/chats/:chatId/calls', path: (x) => `/api/chats/${x.chatId}/calls` },
];

const ID_KEYS = ['chatId', 'messageId', 'callId'];

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let mallory: TestUser;
let carol: TestUser;
let a: TestSocket;
let b: TestSocket;
let m: TestSocket;
let aliceSeen: Recorder;
let bobSeen: Recorder;
let ids: Ids & { carolId?: string };

function fakeIds(): Ids {
  const fake = { ...ids };
  for (const k of FOREIGN) fake[k] = randomUUID();
  return fake;
}

beforeAll(async () => {
  server = await startServer();
  [alice, bob, mallory, carol] = await Promise.all([1, 2, 3, 4].map(() => registerUser(server.url))) as [TestUser, TestUser, TestUser, TestUser];
  const chatId = await createDirect(server.url, alice, bob);
  const groupId = await createGroup(server.url, alice, [bob], 'private group');
  const malloryChatId = await createDirect(server.url, mallory, carol);
  a = await connect(server.url, alice.token);
  b = await connect(server.url, bob.token);
  m = await connect(server.url, mallory.token);
  const sent = async (s: TestSocket, chat: string, content: string) => {
    const r = await emitAck(s, 'message:send', { chatId: chat, content });
    if (!r.ok) throw new Error(`send: ${JSON.stringify(r)}`);
    return r.message.id as string;
  };
  const messageId = await sent(a, chatId, 'secret direct');
  const groupMessageId = await sent(a, groupId, 'secret group');
  const malloryMessageId = await sent(m, malloryChatId, 'mallory here');
  // A live 1:1 call with a screen share, and a ringing conference.
  const call = await emitAck(a, 'call:initiate', { receiverId: bob.user.id, callType: 'video', chatId });
  if (!call.ok) throw new Error(`call: ${JSON.stringify(call)}`);
  const accepted = await emitAck(b, 'call:response', { callId: call.call.id, action: 'accept' });
  if (!accepted.ok) throw new Error(`accept: ${JSON.stringify(accepted)}`);
  const share = await emitAck(a, 'screen:share:start', { callId: call.call.id, hasAudio: false, quality: 'medium' });
  if (!share.ok) throw new Error(`share: ${JSON.stringify(share)}`);
  const conf = await emitAck(a, 'conference:create', { participantIds: [bob.user.id], callType: 'audio', chatId: groupId });
  if (!conf.ok) throw new Error(`conference: ${JSON.stringify(conf)}`);
  ids = {
    chatId,
    groupId,
    messageId,
    groupMessageId,
    callId: call.call.id,
    confId: conf.call.id,
    aliceId: alice.user.id,
    bobId: bob.user.id,
    malloryChatId,
    malloryMessageId,
    carolId: carol.user.id,
  };
  aliceSeen = new Recorder(a);
  bobSeen = new Recorder(b);
  await settle();
});

afterAll(async () => {
  for (const s of [a, b, m]) s?.close();
  await server?.close();
});

/** The id-bearing keys of an event's payload schema (through refine/pipe wrappers). */
function idKeysOf(event: ClientEventName): string[] {
  let s = clientEvents[event].payload as any;
  for (let i = 0; i < 5 && s && !s.shape; i++) s = s._zod?.def?.in ?? s._zod?.def?.innerType;
  return s?.shape ? Object.keys(s.shape).filter((k) => ID_KEYS.includes(k)) : [];
}

function expectRefusal(ack: any, where: string) {
  expect(ack.ok, where).toBe(false);
  expect(Object.keys(ack).sort(), where).toEqual(['error', 'ok']);
  expect(['FORBIDDEN', 'NOT_FOUND'], `${where}: ${JSON.stringify(ack)}`).toContain(ack.error.code);
  expect(Object.keys(ack.error).sort(), where).toEqual(['code', 'message']);
  // Nothing of theirs in the answer.
  const text = JSON.stringify(ack);
  for (const secret of ['secret direct', 'secret group', alice.user.username, bob.user.username]) expect(text, where).not.toContain(secret);
}

describe('socket events', () => {
  test('every client event that carries a chat, message or call id has a sweep row', () => {
    const covered = new Set(SOCKET_CASES.map((c) => c.event));
    const missing = (Object.keys(clientEvents) as ClientEventName[]).filter((e) => idKeysOf(e).length > 0 && !covered.has(e));
    expect(missing).toEqual([]);
  });

  test('mallory gets FORBIDDEN/NOT_FOUND for their ids, exactly as for made-up ids; nothing stored, nobody told', async () => {
    aliceSeen.clear();
    bobSeen.clear();
    const before = await snapshotRows(server);
    for (const c of SOCKET_CASES) {
      const real = c.payload(ids);
      const where = `${c.event} ${JSON.stringify(real)}`;
      const ack = await emitAck(m, c.event, real);
      if (c.check) {
        c.check(ack, ids);
        continue;
      }
      expectRefusal(ack, where);
      // Same answer as for ids that do not exist: existence is not revealed.
      const fake = await emitAck(m, c.event, c.payload(fakeIds()));
      expect(fake, `${where} (made-up ids)`).toEqual(ack);
    }
    expect(m.connected).toBe(true);
    await settle();
    expect(aliceSeen.events, 'alice was told something').toEqual([]);
    expect(bobSeen.events, 'bob was told something').toEqual([]);
    expect(await snapshotRows(server)).toEqual(before);
  });

  test('members are limited too: only the author edits/deletes, only the sharer stops a share', async () => {
    const before = await snapshotRows(server);
    const cases: Array<[ClientEventName, Record<string, unknown>]> = [
      ['message:edit', { messageId: ids.messageId, content: 'not mine' }],
      ['message:delete', { messageId: ids.messageId }],
      ['message:delete', { messageId: ids.groupMessageId }],
      ['screen:share:stop', { callId: ids.callId }],
    ];
    for (const [event, payload] of cases) {
      const ack = await emitAck(b, event, payload);
      expect(ack.ok ? 'ok' : ack.error.code, `${event} ${JSON.stringify(payload)}`).toBe('FORBIDDEN');
    }
    await settle();
    expect(aliceSeen.of('message:edited').concat(aliceSeen.of('message:deleted'), aliceSeen.of('screen:share:stopped'))).toEqual([]);
    expect(await snapshotRows(server)).toEqual(before);
  });
});

describe('REST routes', () => {
  test('every route with a chat, message or call id in its path has a sweep row', () => {
    const routes: string[] = [];
    const walk = (stack: any[], prefix: string) => {
      for (const layer of stack) {
        if (layer.route && typeof layer.route.path === 'string') {
          for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
        } else if (layer.handle?.stack) walk(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    };
    walk((server.app.app as any).router.stack, '');
    const covered = new Set(REST_CASES.map((c) => `${c.method} ${c.route}`));
    for (const c of covered) expect(routes).toContain(c);
    const missing = routes.filter((r) => /:(chatId|messageId|callId)\b/.test(r) && !covered.has(r));
    expect(missing).toEqual([]);
  });

  test('mallory gets 404/403 with no data, exactly as for made-up ids; nothing stored, nobody told', async () => {
    aliceSeen.clear();
    bobSeen.clear();
    const before = await snapshotRows(server);
    for (const c of REST_CASES) {
      const call = (x: Ids) =>
        api(server.url, c.method, c.path(x), { token: mallory.token, ...(c.body ? { body: c.body(x) } : {}) });
      const res = await call(ids);
      const where = `${c.method} ${c.path(ids)} -> ${res.status} ${JSON.stringify(res.body)}`;
      expect([403, 404], where).toContain(res.status);
      expect(Object.keys(res.body), where).toEqual(['error']);
      expect(['FORBIDDEN', 'NOT_FOUND'], where).toContain(res.body.error.code);
      expect(JSON.stringify(res.body), where).not.toMatch(/secret|private group/);
      const fake = await call(fakeIds());
      expect({ status: fake.status, body: fake.body }, `${where} (made-up ids)`).toEqual({ status: res.status, body: res.body });
    }
    // Lists show mallory only mallory's own things.
    const chats = await api(server.url, 'GET', '/api/chats', { token: mallory.token });
    expect(chats.body.chats.map((c: { id: string }) => c.id)).toEqual([ids.malloryChatId]);
    const calls = await api(server.url, 'GET', '/api/calls', { token: mallory.token });
    expect(calls.status).toBe(200);
    expect(JSON.stringify(calls.body)).not.toContain(ids.callId);
    expect(JSON.stringify(calls.body)).not.toContain(ids.confId);
    await settle();
    expect(aliceSeen.events).toEqual([]);
    expect(bobSeen.events).toEqual([]);
    expect(await snapshotRows(server)).toEqual(before);
  });
});
