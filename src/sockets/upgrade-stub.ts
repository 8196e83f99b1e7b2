import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';

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
 * and takes the one engine.io added, if it added exactly one (creating the stub is all that
 * engine.io's upgrade handler does synchronously on the socket; test/idle-footprint.test.ts
 * checks that the request is released).
 */
export function dropIdleUpgradeStubs(httpServer: HttpServer, engine: EngineServer): void {
  httpServer.prependListener('upgrade', (_req, socket: Duplex) => {
    closeListenersBeforeEngine = socket.listenerCount('close');
  });
  httpServer.on('upgrade', (_req, socket: Duplex) => {
    const index = closeListenersBeforeEngine;
    closeListenersBeforeEngine = -1;
    // engine.io's handler added exactly one: the stub's (its middlewares, ours included, run
    // later, so nothing else has listened yet). Anything else and the stub is left alone.
    if (index < 0 || socket.listenerCount('close') !== index + 1) return;
    const stubListener = socket.rawListeners('close')[index] as Listener & { listener?: unknown };
    // engine.io adds it with once(): Node's wrapper, which carries the original as .listener
    if (typeof stubListener.listener === 'function') stubCloseListeners.set(socket, stubListener);
  });
  engine.use((_req, res, next) => {
    const stub = res as UpgradeResponseStub;
    if (stub.socket && stubCloseListeners.has(stub.socket)) {
      // Wrapped, not replaced: a middleware may wrap writeHead too (on-headers does).
      const writeHead = stub.writeHead;
      stub.writeHead = function (this: UpgradeResponseStub, ...args: unknown[]) {
        releaseUnheardStub(this);
        return (writeHead as (...a: unknown[]) => void).apply(this, args);
      };
    }
    next();
  });
}

function releaseUnheardStub(stub: UpgradeResponseStub): void {
  const listener = stubCloseListeners.get(stub.socket);
  stubCloseListeners.delete(stub.socket);
  if (listener && stub.listenerCount('close') === 0 && stub.listenerCount('finish') === 0) {
    stub.socket.removeListener('close', listener);
  }
}
