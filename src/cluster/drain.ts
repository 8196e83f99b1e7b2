import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { EventHooks } from '../sockets/register-event.js';
import type { AppServer } from '../sockets/types.js';

export interface DrainDeps {
  io: AppServer;
  httpServer: HttpServer;
  hooks: EventHooks;
  logger: Logger;
  /** Longest wait for in-flight handlers and HTTP requests (DRAIN_TIMEOUT_MS). */
  timeoutMs: number;
  /** Called first (cluster mode: let the node's heartbeat lapse so peers take over presence). */
  beforeDrain?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Graceful shutdown, the rolling-restart way (docs/cluster.md):
 *  1. `draining`: /api/health answers 503 and new sockets are turned away, so a load balancer
 *     stops routing here; the HTTP listener is closed (no new connections);
 *  2. in-flight socket handlers finish (their acks go out: a message is acked only after its
 *     transaction committed, so an acked message is stored); events that arrive now are refused
 *     with UNAVAILABLE, to be retried on another node;
 *  3. every socket's transport is closed without a Socket.io disconnect packet, so clients
 *     reconnect by themselves, through the load balancer, to another node, and catch up there
 *     with chat:sync;
 *  4. in-flight HTTP requests finish (the listener's close waits for them).
 * The caller then closes Socket.io, shared state and storage.
 */
export class Drainer {
  draining = false;

  constructor(private readonly deps: DrainDeps) {
    // Once draining, new client events are refused (retryable) instead of started, so the
    // in-flight count reaches zero even under load; clients resend after reconnecting elsewhere
    // (message:send with its clientMessageId is idempotent).
    deps.hooks.guards.unshift(() => {
      if (this.draining) throw new AppError('UNAVAILABLE', 'Server is restarting: retry after reconnecting');
    });
  }

  private inFlight(): number {
    return this.deps.hooks.inFlight?.count ?? 0;
  }

  private async settle(deadline: number): Promise<boolean> {
    while (this.inFlight() > 0 && Date.now() < deadline) await sleep(10);
    return this.inFlight() === 0;
  }

  async run(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const { io, httpServer, logger, timeoutMs } = this.deps;
    const deadline = Date.now() + timeoutMs;
    const listenerClosed = new Promise<void>((resolve) => {
      if (!httpServer.listening) return resolve();
      httpServer.close(() => resolve());
    });
    await this.deps.beforeDrain?.().catch((err: unknown) => logger.warn({ err }, 'drain: leaving the cluster failed'));
    if (!(await this.settle(deadline))) logger.warn({ inFlight: this.inFlight() }, 'drain: in-flight handlers did not finish in time');
    // Synchronously after the wait: no new handler can start between the check and the close.
    const sockets = [...io.of('/').sockets.values()];
    for (const socket of sockets) socket.conn.close();
    logger.info({ sockets: sockets.length }, 'drain: sockets closed, clients reconnect elsewhere');
    // Disconnect handlers (presence, typing) run now; give them a moment and the clock left.
    await sleep(20);
    await this.settle(deadline);
    await Promise.race([listenerClosed, sleep(Math.max(0, deadline - Date.now()))]);
  }
}
