import type { Server as HttpServer } from 'node:http';
import { Writable, type Duplex } from 'node:stream';

/**
 * Coalesces a WebSocket connection's writes per tick: the first write in a tick corks the TCP
 * socket and the uncork is deferred with process.nextTick (the pattern Node's docs give for
 * writable.cork()), so every frame queued in the same tick leaves in one writev.
 *
 * Why: a group commit resolves a whole batch of sends in one go, and each one broadcasts to its
 * chat; without this, every frame to every recipient was its own syscall (and its own TCP
 * segment for the receiver to wake up for) — the largest single cost of a delivery under load.
 * Nothing waits longer than the current tick, so latency does not grow.
 *
 * Shared functions and one flag per socket, no closures: this runs for every idle connection
 * too, where each allocation is multiplied by tens of thousands.
 */
const corked = Symbol('messenger.corked');
type CoalescingSocket = Duplex & { [corked]: boolean };

const plainWrite = Writable.prototype.write;

function uncorkNow(socket: CoalescingSocket): void {
  socket[corked] = false;
  socket.uncork();
}

function coalescingWrite(this: CoalescingSocket, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  if (!this[corked] && !this.destroyed) {
    this[corked] = true;
    this.cork();
    process.nextTick(uncorkNow, this);
  }
  return (plainWrite as (this: Duplex, c: unknown, e?: unknown, cb?: unknown) => boolean).call(this, chunk, encoding, callback);
}

export function coalesceWrites(socket: Duplex): void {
  // Only a plain stream write is wrapped (net and TLS sockets); anything custom is left alone.
  if (socket.write !== plainWrite) return;
  (socket as CoalescingSocket)[corked] = false;
  socket.write = coalescingWrite as Duplex['write'];
}

/** Applies coalesceWrites to every connection upgraded to WebSocket on this HTTP server. */
export function coalesceWebSocketWrites(httpServer: HttpServer): void {
  // Ahead of engine.io's own 'upgrade' listener, so the socket is wrapped before its first frame.
  httpServer.prependListener('upgrade', (_req, socket: Duplex) => coalesceWrites(socket));
}
