import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';
import { WindowCounter } from './window-counter.js';

/**
 * Against mass sign-ups (and the password hashing each one costs): POST /api/auth/register is
 * counted per client IP per window, every attempt, before the body is even validated. Over
 * REGISTER_MAX_PER_IP the answer is 429 RATE_LIMITED with Retry-After and no hashing is spent.
 */
export class RegisterThrottle {
  private readonly counter: WindowCounter;

  constructor(
    state: SharedState,
    private readonly options: Config['register'],
    private readonly logger: Logger,
    private readonly onThrottled: () => void = () => {},
  ) {
    this.counter = new WindowCounter(state, options.windowMs, logger, 'registration throttle');
  }

  middleware(): RequestHandler {
    return async (req, _res, next) => {
      const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const key = `register:ip:${ip}`;
      const { count, store } = await this.counter.incr(key);
      if (count > this.options.maxPerIp) {
        this.onThrottled();
        const retryAfter = await this.counter.retryAfterSeconds(store, key);
        this.logger.warn({ ip }, 'registration throttled');
        throw new AppError('RATE_LIMITED', `Too many sign-ups from this address: retry in ${retryAfter} s`, { retryAfter });
      }
      next();
    };
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}
