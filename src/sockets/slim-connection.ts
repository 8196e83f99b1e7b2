import type { EventEmitter } from 'node:events';
import { compactListenerTable, trimArrayField } from './compaction.js';
import type { AppSocket } from './types.js';

/**
 * What an idle connection keeps, beyond the handshake (src/sockets/slim-handshake.ts) and the
 * upgrade request (src/sockets/upgrade-stub.ts). Most of a messenger's connections are idle, so
 * every object they hold is multiplied by tens of thousands; docs/performance.md measures it.
 * The fields read below belong to Socket.io, engine.io and ws; each step checks what it finds
 * and does nothing when a field is not what it expects (test/idle-footprint.test.ts checks that
 * every step still applies to the versions in package-lock.json).
 */

type Listener = (...args: unknown[]) => void;

interface WsSocket extends EventEmitter {
  _socket?: EventEmitter;
  _receiver?: EventEmitter & { _buffers?: unknown[] };
}

interface EngineConnection extends EventEmitter {
  transport?: EventEmitter & { socket?: WsSocket; name?: string };
}

/**
 * engine.io guards a new WebSocket with an 'error' listener until its transport takes over, and
 * leaves it on for a connection's first transport: a closure per connection that the transport's
 * own 'error' listener makes redundant. Found by its name, as engine.io defines it.
 */
function dropUpgradeErrorGuard(ws: EventEmitter): void {
  for (const listener of ws.listeners('error')) {
    if ((listener as { name?: string }).name === 'onUpgradeError' && ws.listenerCount('error') > 1) {
      ws.removeListener('error', listener as Listener);
    }
  }
}

/** The transport-side emitters: engine.io's socket and transport, ws's socket, receiver, TCP socket. */
function compactTransport(conn: EngineConnection): void {
  const transport = conn.transport;
  const ws = transport?.name === 'websocket' ? transport.socket : undefined;
  if (ws && typeof ws.listeners === 'function') {
    dropUpgradeErrorGuard(ws);
    compactListenerTable(ws);
    compactListenerTable(ws._socket);
    const receiver = ws._receiver;
    compactListenerTable(receiver);
    // ws queues incoming chunks here; between frames it is empty but keeps its grown capacity.
    if (receiver?._buffers?.length === 0) trimArrayField(receiver, '_buffers');
  }
  compactListenerTable(transport);
  compactListenerTable(conn);
}

function compactAfterUpgrade(this: EngineConnection): void {
  // engine.io removes the probe's listeners right after this event; compact once it is done.
  setImmediate(compactTransport, this);
}

/**
 * Called once per socket after every middleware and per-socket setup has run. A connection that
 * starts on long-polling is compacted again when it upgrades to WebSocket.
 */
export function compactConnection(socket: AppSocket): void {
  const conn = socket.conn as unknown as EngineConnection;
  compactTransport(conn);
  compactListenerTable(socket as unknown as EventEmitter);
  // Socket.io's per-socket middleware list (ours: the lazy feature attach) and its parser's
  // 'decoded' listener list, both grown by one push.
  trimArrayField(socket, 'fns');
  const decoder = (socket as unknown as { client?: { decoder?: { _callbacks?: object } } }).client?.decoder;
  trimArrayField(decoder?._callbacks, '$decoded');
  if (conn.transport?.name !== 'websocket') conn.once('upgrade', compactAfterUpgrade);
}
