/**
 * The small key/value interface behind every piece of state that nodes must share (presence,
 * typing, call state, rate counters). One implementation lives in process memory (one node), one
 * in Redis (many nodes); config picks. Domain stores build on these few primitives only, so both
 * implementations stay small and are tested by the same contract suite.
 */
export interface SharedState {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | null>;
  /** Sets a value; ttlMs makes it expire. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only if absent; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  del(key: string): Promise<void>;
  /**
   * Atomic compare-and-set: writes `next` (or deletes when null) only if the current value is
   * `expected` (null = absent). The building block of `update`.
   */
  compareAndSet(key: string, expected: string | null, next: string | null, ttlMs?: number): Promise<boolean>;
  /** Adds to a counter, creating it at 0; ttlMs is set when the counter is created. */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** Remaining time to live in ms, or -1 if none / absent. */
  ttl(key: string): Promise<number>;
  hset(key: string, field: string, value: string): Promise<void>;
  hdel(key: string, field: string): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  sadd(key: string, member: string): Promise<void>;
  srem(key: string, member: string): Promise<void>;
  smembers(key: string): Promise<string[]>;
  sismember(key: string, member: string): Promise<boolean>;
  /** Liveness for /api/health and fault tests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Read-modify-write on one key with optimistic retries. `fn` gets the current value and returns
 * the new one (null deletes; `undefined` means "no change" and returns the current value).
 */
export async function updateKey<T>(
  state: SharedState,
  key: string,
  fn: (current: T | null) => T | null | undefined,
  ttlMs?: number,
): Promise<T | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const raw = await state.get(key);
    const current = raw === null ? null : (JSON.parse(raw) as T);
    const next = fn(current);
    if (next === undefined) return current;
    const nextRaw = next === null ? null : JSON.stringify(next);
    if (await state.compareAndSet(key, raw, nextRaw, ttlMs)) return next;
  }
  throw new Error(`updateKey: too much contention on ${key}`);
}

export async function getJson<T>(state: SharedState, key: string): Promise<T | null> {
  const raw = await state.get(key);
  return raw === null ? null : (JSON.parse(raw) as T);
}
