import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Coalesces a WebSocket connection's writes per tick: the first write in a tick corks the TCP
 * socket and the uncork is deferred with process.nextTick (the pattern Node's docs give for
 * writable.cork()), so every frame queued in the same tick leaves in one writev.
 *
 * Why: a group commit resolves a whole batch of sends in one go, and each one broadcasts to its
 * chat; without this, every frame to every recipient was its own syscall (and its own TCP
 * segment for the receiver to wake up for) — the largest single cost of a delivery under load.
 * Nothing waits longer than the current tick, so latency does not grow.
 */
export function coalesceWrites(socket: Duplex): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write;
  socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}

/** Applies coalesceWrites to every connection upgraded to WebSocket on this HTTP server. */
export function coalesceWebSocketWrites(httpServer: HttpServer): void {
  // Ahead of engine.io's own 'upgrade' listener, so the socket is wrapped before its first frame.
  httpServer.prependListener('upgrade', (_req, socket: Duplex) => coalesceWrites(socket));
}
