import { randomBytes } from 'node:crypto';
import type { SharedState } from '../state/shared-state.js';

const key = (chatId: string, userId: string) => `typing:${chatId}:${userId}`;

/**
 * Who is typing where, shared by nodes. Each start writes a fresh token; the auto-stop timer of
 * that start clears the entry only if no later start replaced the token (compare-and-set), so
 * exactly one typing:stopped follows the last start by TYPING_TIMEOUT_MS, on whichever node.
 */
export class TypingService {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly state: SharedState,
    private readonly timeoutMs: number,
    private readonly onAutoStop: (chatId: string, userId: string) => void,
  ) {}

  /** Returns true when the user was not typing in this chat before (tell the chat). */
  async start(chatId: string, userId: string): Promise<boolean> {
    const k = key(chatId, userId);
    const token = randomBytes(6).toString('hex');
    const previous = await this.state.get(k);
    // Kept thrice the timeout as a safety net: the timer, not the TTL, ends typing.
    await this.state.set(k, token, this.timeoutMs * 3);
    clearTimeout(this.timers.get(k));
    const timer = setTimeout(() => {
      this.timers.delete(k);
      void this.state
        .compareAndSet(k, token, null)
        .then((cleared) => cleared && this.onAutoStop(chatId, userId))
        .catch(() => {});
    }, this.timeoutMs);
    timer.unref();
    this.timers.set(k, timer);
    return previous === null;
  }

  /** Returns true when the user was typing (tell the chat). */
  async stop(chatId: string, userId: string): Promise<boolean> {
    const k = key(chatId, userId);
    clearTimeout(this.timers.get(k));
    this.timers.delete(k);
    const previous = await this.state.get(k);
    if (previous === null) return false;
    return this.state.compareAndSet(k, previous, null);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
