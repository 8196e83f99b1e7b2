import type { Logger } from 'pino';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';

/**
 * Counts per key per fixed window in the SharedState, so every node of a cluster counts
 * together. If the shared state is down it counts on this node alone: a limit that stops
 * counting during an outage would be no limit at all.
 */
export class WindowCounter {
  private readonly local = new MemoryState(30_000);

  constructor(
    private readonly state: SharedState,
    private readonly windowMs: number,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly what: string,
  ) {}

  async incr(key: string, by = 1): Promise<{ count: number; store: SharedState }> {
    try {
      return { count: await this.state.incr(key, by, this.windowMs), store: this.state };
    } catch (err) {
      this.logger.warn({ err }, `${this.what}: shared state unavailable, counting on this node only`);
      return { count: await this.local.incr(key, by, this.windowMs), store: this.local };
    }
  }

  /** Whole seconds until the key's window ends (for Retry-After). */
  async retryAfterSeconds(store: SharedState, key: string): Promise<number> {
    const ms = await store.ttl(key).catch(() => this.windowMs);
    return Math.max(1, Math.ceil((ms < 0 ? this.windowMs : ms) / 1000));
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
