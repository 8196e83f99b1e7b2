import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';
import { WindowCounter } from './window-counter.js';

/**
 * Against password guessing: POST /api/auth/login is counted per username+IP and per IP in the
 * SharedState (so every node of a cluster counts together). Every attempt counts before the
 * password is checked, so parallel guesses cannot race past the limit; a successful login clears
 * its username+IP counter and gives its IP attempt back. Over the limit the answer is
 * 429 RATE_LIMITED with Retry-After, before any password hashing is spent.
 */
export class LoginThrottle {
  private readonly counter: WindowCounter;

  constructor(
    state: SharedState,
    private readonly options: Config['login'],
    private readonly logger: Logger,
    private readonly onThrottled: () => void = () => {},
  ) {
    this.counter = new WindowCounter(state, options.windowMs, logger, 'login throttle');
  }

  middleware(): RequestHandler {
    return async (req, res, next) => {
      const raw = (req.body as { username?: unknown } | undefined)?.username;
      // Malformed bodies fail validation without touching a password: nothing to throttle.
      if (typeof raw !== 'string') return next();
      const username = raw.trim().toLowerCase().slice(0, 64);
      const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const userKey = `login:u:${ip}:${username}`;
      const ipKey = `login:ip:${ip}`;
      const [user, perIp] = await Promise.all([this.counter.incr(userKey), this.counter.incr(ipKey)]);
      const over =
        user.count > this.options.maxAttempts ? { store: user.store, key: userKey } : perIp.count > this.options.maxAttemptsPerIp ? { store: perIp.store, key: ipKey } : null;
      if (over) {
        this.onThrottled();
        const retryAfter = await this.counter.retryAfterSeconds(over.store, over.key);
        this.logger.warn({ ip, username }, 'login throttled');
        throw new AppError('RATE_LIMITED', `Too many login attempts: retry in ${retryAfter} s`, { retryAfter });
      }
      res.on('finish', () => {
        if (res.statusCode !== 200) return;
        void Promise.all([user.store.del(userKey), perIp.store.incr(ipKey, -1, this.options.windowMs)]).catch(() => {});
      });
      next();
    };
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}
