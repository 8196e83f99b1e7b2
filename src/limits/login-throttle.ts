import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';

/**
 * Against password guessing: POST /api/auth/login is counted per username+IP and per IP in the
 * SharedState (so every node of a cluster counts together). Every attempt counts before the
 * password is checked, so parallel guesses cannot race past the limit; a successful login clears
 * its username+IP counter and gives its IP attempt back. Over the limit the answer is
 * 429 RATE_LIMITED with Retry-After, before any password hashing is spent.
 */
export class LoginThrottle {
  private readonly local = new MemoryState(30_000);

  constructor(
    private readonly state: SharedState,
    private readonly options: Config['login'],
    private readonly logger: Logger,
    private readonly onThrottled: () => void = () => {},
  ) {}

  private async incr(key: string, by: number): Promise<{ count: number; store: SharedState }> {
    try {
      return { count: await this.state.incr(key, by, this.options.windowMs), store: this.state };
    } catch (err) {
      this.logger.warn({ err }, 'login throttle: shared state unavailable, counting on this node only');
      return { count: await this.local.incr(key, by, this.options.windowMs), store: this.local };
    }
  }

  private async retryAfter(store: SharedState, key: string): Promise<number> {
    const ms = await store.ttl(key).catch(() => this.options.windowMs);
    return Math.max(1, Math.ceil((ms < 0 ? this.options.windowMs : ms) / 1000));
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
      const [user, perIp] = await Promise.all([this.incr(userKey, 1), this.incr(ipKey, 1)]);
      const over =
        user.count > this.options.maxAttempts ? { store: user.store, key: userKey } : perIp.count > this.options.maxAttemptsPerIp ? { store: perIp.store, key: ipKey } : null;
      if (over) {
        this.onThrottled();
        const retryAfter = await this.retryAfter(over.store, over.key);
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
    return this.local.close();
  }
}
