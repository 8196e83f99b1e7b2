import type { Logger } from 'pino';
import type { z } from 'zod';
import { AppError, toAppError, toSocketCode } from '../errors.js';
import { clientEvents, type ClientEventName, type ClientEvents } from '../shared/events.js';
import type { AckResponse } from '../shared/models.js';
import type { AppSocket } from './types.js';

export type EventPayload<E extends ClientEventName> = z.infer<ClientEvents[E]['payload']>;
export type EventAckData<E extends ClientEventName> = z.infer<ClientEvents[E]['ack']>;

/** Runs before every handler (rate limits, metrics); may throw an AppError to refuse. */
export type EventGuard = (socket: AppSocket, event: ClientEventName) => Promise<void> | void;
/** Observes every handled event (metrics). */
export type EventObserver = (event: ClientEventName, outcome: { code: string | null; durationMs: number }) => void;

export interface EventHooks {
  guards: EventGuard[];
  observers: EventObserver[];
  /** Handlers running now, on this node (graceful drain waits for 0). */
  inFlight?: { count: number };
}

export interface HandlerContext {
  socket: AppSocket;
  log: Logger;
  hooks: EventHooks;
}

/**
 * Registers one client event: validate → (guards) → run → ack → on failure the error channel.
 * The handler returns the ack data and does its own broadcasting after the service call.
 * Nothing thrown here ever reaches Socket.io (which would drop nothing but log noise) and no
 * failure disconnects the socket.
 */
export function registerEvent<E extends ClientEventName>(
  ctx: HandlerContext,
  event: E,
  run: (payload: EventPayload<E>) => Promise<EventAckData<E>>,
): void {
  const def = clientEvents[event];
  const flight = (ctx.hooks.inFlight ??= { count: 0 });
  const listener = async (...args: unknown[]) => {
    flight.count++;
    const started = performance.now();
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (r: AckResponse) => void) : undefined;
    let code: string | null = null;
    try {
      for (const guard of ctx.hooks.guards) await guard(ctx.socket, event);
      const parsed = def.payload.safeParse(args[0]);
      if (!parsed.success) {
        throw new AppError('VALIDATION', 'Invalid payload', {
          details: parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      const data = await run(parsed.data as EventPayload<E>);
      ack?.({ ok: true, ...(data as object) });
    } catch (err) {
      const appError = toAppError(err);
      code = toSocketCode(appError.code);
      // A bug is an error; an outage or a draining node is expected weather: a warning.
      if (appError.code === 'INTERNAL') ctx.log.error({ err, event }, 'handler failed');
      else if (appError.code === 'UNAVAILABLE') ctx.log.warn({ err, event }, 'handler refused: unavailable');
      const error = { ...appError.toBody(), code };
      ack?.({ ok: false, error });
      const report = { event, code, message: appError.message, ...(appError.retryAfter !== undefined ? { retryAfter: appError.retryAfter } : {}) };
      (ctx.socket.emit as (e: string, p: unknown) => boolean)(def.channel, report);
    } finally {
      flight.count--;
      const durationMs = performance.now() - started;
      for (const observe of ctx.hooks.observers) observe(event, { code, durationMs });
    }
  };
  (ctx.socket.on as (e: string, l: (...args: unknown[]) => void) => void)(event, listener);
}
