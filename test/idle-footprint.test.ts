import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, emitAck, registerUser, type TestSocket } from './support/client.js';
import { createDirect } from './support/fixtures.js';
import { startServer, type TestServer } from './support/server.js';
import { until } from './cluster/support.js';
import { RoomNames } from '../src/sockets/room-names.js';

// What an idle connection keeps (src/sockets/slim-connection.ts): the upgrade request is
// released once connected, and the connection's listener tables are fast-mode objects. Both are
// checked on the heap itself (a full GC, V8's own property-mode test), and the connection must
// still do everything a connection does: deliver, answer pings, and notice a close either way.

setFlagsFromString('--expose-gc');
setFlagsFromString('--allow-natives-syntax');
const gc = runInNewContext('gc') as () => void;
// Compiled after the flag is set, so the natives syntax is accepted.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref(); i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return ref.deref() === undefined;
}

/** The upgrade request of the next WebSocket connection made to the server. */
function nextUpgradeRequest(server: TestServer): Promise<WeakRef<IncomingMessage>> {
  return new Promise((resolve) => server.app.httpServer.once('upgrade', (req: IncomingMessage) => resolve(new WeakRef(req))));
}

function serverSocketOf(server: TestServer, userId: string) {
  const s = [...server.app.io.sockets.sockets.values()].find((x) => x.data.userId === userId);
  if (!s) throw new Error('no server-side socket');
  return s;
}


let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('idle connection footprint', () => {
  test('the upgrade request is garbage once the socket is connected, and the socket still works both ways', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const upgrade = nextUpgradeRequest(server);
    const a = await connect(server.url, alice.token);
    expect(await collected(await upgrade)).toBe(true);

    const b = await connect(server.url, bob.token);
    const got = new Promise((r) => b.once('message:receive', r));
    expect((await emitAck(a, 'message:send', { chatId, content: 'still here' })).ok).toBe(true);
    await got;
    // The client closing is still seen by the server (the stub's 'close' listener is gone, not the socket's).
    const aliceSide = serverSocketOf(server, alice.user.id);
    a.close();
    await until(() => aliceSide.disconnected);
    // And a server-side close still reaches the client.
    const bobSide = serverSocketOf(server, bob.user.id);
    const bobGone = new Promise((r) => b.once('disconnect', r));
    bobSide.disconnect(true);
    expect(await bobGone).toBe('io server disconnect');
  });

  test('listener tables are fast-mode objects after connect, and stay usable', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const a = await connect(server.url, alice.token);
    const b = await connect(server.url, bob.token);
    const tables = (userId: string) => {
      const socket = serverSocketOf(server, userId) as unknown as { _events: object; conn: { _events: object; transport: { _events: object; socket: { _events: object } } } };
      const conn = socket.conn;
      return [conn._events, conn.transport._events, conn.transport.socket._events, socket._events];
    };
    const bobTables = tables(bob.user.id);
    // The slimmed handshake stays a fast-mode object too (replacing a field by an accessor would not).
    expect(hasFastProperties(serverSocketOf(server, alice.user.id).handshake)).toBe(true);
    tables(alice.user.id).forEach((table, i) => {
      expect(hasFastProperties(table)).toBe(true);
      // one hidden class for every connection's table, not one each (nothing is added after compaction)
      expect(haveSameMap(table, bobTables[i]!)).toBe(true);
    });
    // Handlers attached later (a feature's, on its first event) keep the tables sharing one class.
    const aliceSocket = serverSocketOf(server, alice.user.id) as unknown as { _events: object; on(e: string, f: () => void): void };
    const bobSocket = serverSocketOf(server, bob.user.id) as unknown as { _events: object; on(e: string, f: () => void): void };
    for (const s of [aliceSocket, bobSocket]) for (const e of ['later:one', 'later:two']) s.on(e, () => {});
    expect(hasFastProperties(aliceSocket._events)).toBe(true);
    expect(haveSameMap(aliceSocket._events, bobSocket._events)).toBe(true);
    b.close();
    const s = serverSocketOf(server, alice.user.id);
    // The library fields the compaction reads are still where it looks (else its steps are no-ops).
    const internals = s as unknown as {
      fns: unknown;
      client: { decoder: { _callbacks: { $decoded: unknown } } };
      conn: { transport: { socket: { _socket: object; _receiver: { _buffers: unknown }; listeners(e: string): Array<{ name: string }> } } };
    };
    expect(Array.isArray(internals.fns)).toBe(true);
    expect(Array.isArray(internals.client.decoder._callbacks.$decoded)).toBe(true);
    const ws = internals.conn.transport.socket;
    expect(Array.isArray(ws._receiver._buffers)).toBe(true);
    expect(ws._socket).toBeDefined();
    // engine.io's upgrade guard is gone; the transport's own 'error' listener remains
    expect(ws.listeners('error').map((l) => l.name)).not.toContain('onUpgradeError');
    expect(ws.listeners('error').length).toBe(1);
    // engine.io's heartbeat runs through these tables: a ping answered keeps the socket.
    const ponged = new Promise((r) => s.conn.once('heartbeat', r));
    (s.conn as unknown as { sendPacket(type: string): void }).sendPacket('ping');
    await ponged;
    expect(a.connected).toBe(true);
    a.close();
  });

  test('a connection that starts on long-polling and upgrades is compacted and works', async () => {
    const alice = await registerUser(server.url);
    const bob = await registerUser(server.url);
    const chatId = await createDirect(server.url, alice, bob);
    const a: TestSocket = ioClient(server.url, { auth: { token: alice.token }, transports: ['polling', 'websocket'], reconnection: false });
    await new Promise((r) => a.io.engine.once('upgrade', r));
    const s = serverSocketOf(server, alice.user.id);
    await until(() => (s.conn as unknown as { transport: { name: string } }).transport.name === 'websocket');
    await new Promise((r) => setTimeout(r, 20)); // the compaction waits for engine.io's upgrade cleanup
    const conn = s.conn as unknown as { _events: object; transport: { _events: object; socket: { _events: object } } };
    for (const table of [conn._events, conn.transport._events, conn.transport.socket._events]) expect(hasFastProperties(table)).toBe(true);
    const b = await connect(server.url, bob.token);
    const got = new Promise((r) => a.once('message:receive', r));
    expect((await emitAck(b, 'message:send', { chatId, content: 'over the upgraded transport' })).ok).toBe(true);
    await got;
    a.close();
    b.close();
  });

  test('an engine middleware that listens to the response stub keeps it, and gets its close', async () => {
    const other = await startServer();
    try {
      let closes = 0;
      other.app.io.engine.use((_req: unknown, res: { on(ev: string, fn: () => void): void }, next: () => void) => {
        res.on('close', () => closes++);
        next();
      });
      const alice = await registerUser(other.url);
      const upgrade = nextUpgradeRequest(other);
      const a = await connect(other.url, alice.token);
      const ref = await upgrade;
      gc();
      expect(ref.deref()).toBeDefined(); // the stub (and its request) are the middleware's
      a.close();
      await until(() => closes === 1);
    } finally {
      await other.close();
    }
  });
});

describe('room names', () => {
  test('mirror the adapter: user and chat rooms with a local member, gone with their last member', () => {
    const io = new Server();
    const adapter = io.of('/').adapter;
    const names = new RoomNames(adapter);
    adapter.addAll('s1', new Set(['s1', 'user:a', 'chat:1']));
    adapter.addAll('s2', new Set(['s2', 'user:b', `chat:${1}`]));
    expect(names.size).toBe(3); // user:a, user:b, chat:1; a socket's own room is not kept
    expect(names.canonical('chat:1')).toBe('chat:1');
    expect(names.canonical('chat:2')).toBe('chat:2'); // not here: the name as given
    expect([...names.idsWithPrefix('user:')].sort()).toEqual(['a', 'b']);
    adapter.delAll('s1');
    expect(names.size).toBe(2);
    expect([...names.idsWithPrefix('user:')]).toEqual(['b']);
    adapter.del('s2', 'chat:1');
    adapter.delAll('s2');
    expect(names.size).toBe(0);
    // (no io.close(): this server was never attached, and closing it rejects)
  });
});
