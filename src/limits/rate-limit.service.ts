import type { Logger } from 'pino';
import type { Config, RateClass, RateSpec } from '../config.js';
import { AppError } from '../errors.js';
import type { ClientEventName } from '../shared/events.js';
import type { EventGuard } from '../sockets/register-event.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';

/**
 * Which limit an event counts against. Prefix rules, so events added later fall into the right
 * class without touching this file (a new `webrtc:*` event is a signal, and so on).
 */
export function rateClassOf(event: string): RateClass {
  if (event === 'message:send' || event === 'message:edit' || event === 'message:delete') return 'messages';
  if (event.startsWith('typing:')) return 'typing';
  if (event.startsWith('webrtc:')) return 'signals';
  if (event === 'call:initiate' || event === 'conference:create') return 'callStarts';
  if (event.startsWith('screen:annotation:')) return 'annotations';
  return 'other';
}

export type RateScope = 'user' | 'socket';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window that refused the event ends (≥ 1); 0 when allowed. */
  retryAfter: number;
  scope?: RateScope;
}

/**
 * Fixed-window counters: one counter per (class, subject, window index), created with the
 * window's length as TTL, so a counter costs one atomic INCR and cleans itself up.
 *
 * - Per-user counters live in the SharedState, so every node of a cluster counts against the
 *   same budget (one Redis round trip per event).
 * - Per-socket counters live in this node's memory (a MemoryState): a socket exists on one node
 *   only, so sharing its counter would buy nothing but a second round trip.
 * - When the SharedState fails (Redis down), per-user counting falls back to this node's memory,
 *   so limits keep holding and a Redis outage does not refuse every event.
 */
export class RateLimiter {
  private readonly local = new MemoryState(10_000);
  private lastFallbackLog = 0;

  constructor(
    private readonly state: SharedState,
    private readonly limits: Config['rateLimits'],
    private readonly logger: Logger,
    private readonly onLimited: (rateClass: RateClass, scope: RateScope) => void = () => {},
  ) {}

  /** Counts one event of `rateClass` for the user and the socket; refuses when either is over. */
  async hit(rateClass: RateClass, userId: string, socketId: string): Promise<RateDecision> {
    const spec = this.limits[rateClass];
    const now = Date.now();
    const [user, socket] = await Promise.all([
      spec.perUser ? this.count(this.state, `rl:${rateClass}:u:${userId}`, spec.perUser, now, true) : null,
      spec.perSocket ? this.count(this.local, `rl:${rateClass}:s:${socketId}`, spec.perSocket, now, false) : null,
    ]);
    for (const [scope, result] of [['user', user], ['socket', socket]] as const) {
      if (result && result.count > result.limit) {
        this.onLimited(rateClass, scope);
        return { allowed: false, retryAfter: result.retryAfter, scope };
      }
    }
    return { allowed: true, retryAfter: 0 };
  }

  private async count(
    store: SharedState,
    baseKey: string,
    spec: RateSpec,
    now: number,
    shared: boolean,
  ): Promise<{ count: number; limit: number; retryAfter: number }> {
    const window = Math.floor(now / spec.windowMs);
    const key = `${baseKey}:${window}`;
    const windowEnd = (window + 1) * spec.windowMs;
    let count: number;
    try {
      count = await store.incr(key, 1, windowEnd - now + 1000);
    } catch (err) {
      if (!shared) throw err;
      if (now - this.lastFallbackLog > 10_000) {
        this.lastFallbackLog = now;
        this.logger.warn({ err }, 'rate limits: shared state unavailable, counting on this node only');
      }
      count = await this.local.incr(key, 1, windowEnd - now + 1000);
    }
    return { count, limit: spec.limit, retryAfter: Math.max(1, Math.ceil((windowEnd - now) / 1000)) };
  }

  /** The guard for registerEvent: RATE_LIMITED with retryAfter; the socket stays connected. */
  guard(): EventGuard {
    return async (socket, event: ClientEventName) => {
      const decision = await this.hit(rateClassOf(event), socket.data.userId, socket.id);
      if (!decision.allowed) {
        throw new AppError('RATE_LIMITED', `Too many ${rateClassOf(event)} events: retry in ${decision.retryAfter} s`, {
          retryAfter: decision.retryAfter,
        });
      }
    };
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
