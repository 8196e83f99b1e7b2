import type { Logger } from 'pino';
import type { ClientEventName } from '../shared/events.js';
import type { EventHooks, HandlerContext } from './register-event.js';
import type { AppSocket } from './types.js';

/** A group of client events whose handlers are registered together on a socket. */
export interface SocketFeature {
  name: string;
  /** The client events this feature handles (its schema table's keys). */
  events: readonly ClientEventName[];
  /** Registers the feature's handlers (closures over ctx.socket) on one socket. */
  attach(ctx: HandlerContext): void;
}

/**
 * Attaches features to a socket lazily: the first packet naming one of a feature's events
 * registers that feature's handlers, just before Socket.io dispatches the packet to them.
 * An idle socket (most of them, in a messenger) therefore holds one middleware and no handler
 * closures or child logger — about half the heap of attaching ~35 handlers at connect.
 */
export function lazyFeatures(
  features: readonly SocketFeature[],
  deps: { logger: Logger; hooks: EventHooks },
): (socket: AppSocket) => void {
  if (features.length > 30) throw new Error('lazyFeatures keeps a bitmask: at most 30 features');
  const featureOf = new Map<string, number>();
  features.forEach((f, index) => {
    for (const event of f.events) {
      if (featureOf.has(event)) throw new Error(`event ${event} belongs to two features`);
      featureOf.set(event, index);
    }
  });

  // What a socket has attached so far; an idle socket has no entry at all.
  const attachedTo = new WeakMap<AppSocket, { attached: number; ctx: HandlerContext }>();
  // One function for every socket, bound to it: cheaper to hold per idle socket than a closure.
  function attachOnFirstEvent(this: AppSocket, packet: unknown[], next: (err?: Error) => void): void {
    const index = featureOf.get(packet[0] as string);
    if (index !== undefined) {
      let state = attachedTo.get(this);
      if (!state) {
        const ctx: HandlerContext = {
          socket: this,
          log: deps.logger.child({ userId: this.data.userId, socketId: this.id }),
          hooks: deps.hooks,
        };
        attachedTo.set(this, (state = { attached: 0, ctx }));
      }
      if ((state.attached & (1 << index)) === 0) {
        state.attached |= 1 << index;
        features[index]!.attach(state.ctx);
      }
    }
    next();
  }

  return (socket) => {
    socket.use(attachOnFirstEvent.bind(socket));
  };
}
