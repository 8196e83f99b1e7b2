import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppSocket } from './types.js';

/**
 * What an idle connection keeps, beyond the handshake (src/sockets/slim-handshake.ts). Most of
 * a messenger's connections are idle, so every object they hold is multiplied by tens of
 * thousands; docs/performance.md measures each step.
 */

type Listener = (...args: unknown[]) => void;

/** engine.io's stand-in response for a WebSocket upgrade, as its middlewares see it. */
interface UpgradeResponseStub extends EventEmitter {
  socket: Duplex;
  writeHead(): void;
}

/** The one engine.io call used here: io.engine.use(middleware). */
interface EngineServer {
  use(middleware: (req: unknown, res: unknown, next: () => void) => void): void;
}

/** Each upgrading TCP socket's listener that engine.io's response stub put on its 'close'. */
const stubCloseListeners = new WeakMap<Duplex, Listener>();
// Both 'upgrade' listeners run inside one synchronous emit, so one slot carries the count across.
let closeListenersBeforeEngine = -1;

/**
 * engine.io answers a WebSocket upgrade with a response stub for its middlewares (so that
 * pino-http and the like see a 'close' when the connection ends), and the stub listens for the
 * TCP socket's 'close' for the life of the connection: it keeps itself and the whole upgrade
 * request alive, about 1.4 KB per idle connection. When engine.io has run every middleware
 * (its writeHead() call, just before the WebSocket handshake) and none of them listens to the
 * stub, nothing ever will, so the stub's listener is removed and both become garbage. An
 * engine middleware that listens ('close' or 'finish') keeps the stub and gets its events.
 *
 * Call it after the Socket.io server is attached to httpServer: the first 'upgrade' listener
 * runs before engine.io's and counts the socket's 'close' listeners, the second runs after it
 * and takes the first one engine.io added (creating the stub is the first thing engine.io's
 * upgrade handler does that listens on the socket; test/idle-footprint.test.ts checks it).
 */
export function dropIdleUpgradeStubs(httpServer: HttpServer, engine: EngineServer): void {
  httpServer.prependListener('upgrade', (_req, socket: Duplex) => {
    closeListenersBeforeEngine = socket.listenerCount('close');
  });
  httpServer.on('upgrade', (_req, socket: Duplex) => {
    const index = closeListenersBeforeEngine;
    closeListenersBeforeEngine = -1;
    const stubListener = index < 0 ? undefined : (socket.rawListeners('close')[index] as Listener & { listener?: unknown });
    // engine.io adds it with once(): Node's wrapper, which carries the original as .listener
    if (stubListener && typeof stubListener.listener === 'function') stubCloseListeners.set(socket, stubListener);
  });
  engine.use((_req, res, next) => {
    const stub = res as UpgradeResponseStub;
    if (stub.socket && stubCloseListeners.has(stub.socket)) stub.writeHead = releaseUnheardStub;
    next();
  });
}

function releaseUnheardStub(this: UpgradeResponseStub): void {
  const listener = stubCloseListeners.get(this.socket);
  stubCloseListeners.delete(this.socket);
  if (listener && this.listenerCount('close') === 0 && this.listenerCount('finish') === 0) {
    this.socket.removeListener('close', listener);
  }
}

type WithListenerTable = EventEmitter & { _events?: object };

/**
 * Node keeps each EventEmitter's listener table in a null-prototype object, and V8 holds those
 * in dictionary mode: a hash table of about 250 bytes even for three listeners. Rebuilt once a
 * connection is set up, the same table is a fast-mode object sharing its hidden class with
 * every other connection's (a few dozen bytes). Node reads and writes `_events` directly, and
 * a later removal only turns the table back into a dictionary.
 */
function compactListenerTable(emitter: WithListenerTable | undefined): void {
  const table = emitter?._events;
  if (emitter && table) emitter._events = Object.setPrototypeOf({ ...table }, null) as object;
}

interface EngineConnection extends EventEmitter {
  transport?: EventEmitter & { socket?: unknown };
}

/**
 * engine.io guards a new WebSocket with an 'error' listener until its transport takes over, and
 * leaves it on for a connection's first transport: a closure per connection that the transport's
 * own 'error' listener makes redundant. Found by its name, as engine.io defines it.
 */
function dropUpgradeErrorGuard(ws: EventEmitter): void {
  for (const listener of ws.listeners('error')) {
    if ((listener as { name?: string }).name === 'onUpgradeError' && ws.listenerCount('error') > 1) ws.removeListener('error', listener as Listener);
  }
}

/** The connection's long-lived emitters: Socket.io's socket, engine.io's, its transport, ws's. */
function compactEmitters(conn: EngineConnection): void {
  const transport = conn.transport;
  const ws = transport?.socket;
  if (ws && typeof ws === 'object' && '_events' in ws) {
    dropUpgradeErrorGuard(ws as unknown as EventEmitter);
    compactListenerTable(ws as WithListenerTable);
  }
  compactListenerTable(transport);
  compactListenerTable(conn);
}

function compactAfterUpgrade(this: EngineConnection): void {
  // engine.io removes the probe's listeners right after this event; compact once it is done.
  setImmediate(compactEmitters, this);
}

/**
 * Called once per socket after every middleware and per-socket setup has run (later listener
 * additions keep the table fast; removals happen at close). A connection that starts on
 * long-polling is compacted again when it upgrades to WebSocket.
 */
export function compactConnection(socket: AppSocket): void {
  const conn = socket.conn as unknown as EngineConnection;
  compactEmitters(conn);
  compactListenerTable(socket as unknown as WithListenerTable);
  if (conn.transport && (conn.transport as { name?: string }).name !== 'websocket') conn.once('upgrade', compactAfterUpgrade);
}
