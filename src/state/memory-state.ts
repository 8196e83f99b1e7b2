import type { SharedState } from './shared-state.js';

type Entry =
  | { type: 'string'; value: string; expiresAt: number | null }
  | { type: 'hash'; value: Map<string, string>; expiresAt: number | null }
  | { type: 'set'; value: Set<string>; expiresAt: number | null };

/** In-process SharedState for a single node. Operations are synchronous underneath, so atomic. */
export class MemoryState implements SharedState {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt !== null && e.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt !== null && e.expiresAt <= now) this.entries.delete(k);
  }

  private expiry(ttlMs?: number): number | null {
    return ttlMs === undefined ? null : Date.now() + ttlMs;
  }

  async get(key: string) {
    const e = this.live(key);
    return e?.type === 'string' ? e.value : null;
  }
  async set(key: string, value: string, ttlMs?: number) {
    this.entries.set(key, { type: 'string', value, expiresAt: this.expiry(ttlMs) });
  }
  async setIfAbsent(key: string, value: string, ttlMs?: number) {
    if (this.live(key)) return false;
    this.entries.set(key, { type: 'string', value, expiresAt: this.expiry(ttlMs) });
    return true;
  }
  async del(key: string) {
    this.entries.delete(key);
  }
  async compareAndSet(key: string, expected: string | null, next: string | null, ttlMs?: number) {
    const e = this.live(key);
    const current = e?.type === 'string' ? e.value : null;
    if (current !== expected) return false;
    if (next === null) this.entries.delete(key);
    else this.entries.set(key, { type: 'string', value: next, expiresAt: ttlMs === undefined ? (e?.expiresAt ?? null) : this.expiry(ttlMs) });
    return true;
  }
  async incr(key: string, by = 1, ttlMs?: number) {
    const e = this.live(key);
    if (e?.type === 'string') {
      const n = Number(e.value) + by;
      e.value = String(n);
      return n;
    }
    this.entries.set(key, { type: 'string', value: String(by), expiresAt: this.expiry(ttlMs) });
    return by;
  }
  async ttl(key: string) {
    const e = this.live(key);
    if (!e || e.expiresAt === null) return -1;
    return Math.max(0, e.expiresAt - Date.now());
  }
  async hset(key: string, field: string, value: string) {
    const e = this.live(key);
    if (e?.type === 'hash') e.value.set(field, value);
    else this.entries.set(key, { type: 'hash', value: new Map([[field, value]]), expiresAt: null });
  }
  async hdel(key: string, field: string) {
    const e = this.live(key);
    if (e?.type !== 'hash') return;
    e.value.delete(field);
    if (e.value.size === 0) this.entries.delete(key);
  }
  async hgetall(key: string) {
    const e = this.live(key);
    return e?.type === 'hash' ? Object.fromEntries(e.value) : {};
  }
  async sadd(key: string, member: string) {
    const e = this.live(key);
    if (e?.type === 'set') e.value.add(member);
    else this.entries.set(key, { type: 'set', value: new Set([member]), expiresAt: null });
  }
  async srem(key: string, member: string) {
    const e = this.live(key);
    if (e?.type !== 'set') return;
    e.value.delete(member);
    if (e.value.size === 0) this.entries.delete(key);
  }
  async smembers(key: string) {
    const e = this.live(key);
    return e?.type === 'set' ? [...e.value] : [];
  }
  async sismember(key: string, member: string) {
    const e = this.live(key);
    return e?.type === 'set' && e.value.has(member);
  }
  async ping() {}
  async close() {
    clearInterval(this.sweeper);
    this.entries.clear();
  }
}
