import { Redis } from 'ioredis';
import type { SharedState } from './shared-state.js';

// KEYS[1]; ARGV: expected ('' flag in ARGV[1]: '0' absent / '1' present), expected value, next flag, next value, ttl
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
else
  if (not cur) or cur ~= ARGV[2] then return 0 end
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4], 'KEEPTTL')
end
return 1`;

const INCR_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

/** SharedState in Redis, for several nodes. Keys are prefixed so one Redis can host many apps. */
export class RedisState implements SharedState {
  readonly kind = 'redis' as const;
  readonly client: Redis;

  constructor(url: string, private readonly prefix = 'msgr:') {
    // Commands issued while Redis is down fail fast (after 1 retry) so callers can answer UNAVAILABLE;
    // the client reconnects by itself when Redis returns.
    this.client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
    this.client.on('error', () => {});
    this.client.defineCommand('msgrCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
    this.client.defineCommand('msgrIncr', { numberOfKeys: 1, lua: INCR_SCRIPT });
  }

  private k(key: string) {
    return this.prefix + key;
  }

  async get(key: string) {
    return this.client.get(this.k(key));
  }
  async set(key: string, value: string, ttlMs?: number) {
    if (ttlMs === undefined) await this.client.set(this.k(key), value);
    else await this.client.set(this.k(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }
  async setIfAbsent(key: string, value: string, ttlMs?: number) {
    const r =
      ttlMs === undefined
        ? await this.client.set(this.k(key), value, 'NX')
        : await this.client.set(this.k(key), value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    return r === 'OK';
  }
  async del(key: string) {
    await this.client.del(this.k(key));
  }
  async compareAndSet(key: string, expected: string | null, next: string | null, ttlMs?: number) {
    const r = await (this.client as unknown as {
      msgrCas(k: string, ...args: string[]): Promise<number>;
    }).msgrCas(
      this.k(key),
      expected === null ? '0' : '1',
      expected ?? '',
      next === null ? '0' : '1',
      next ?? '',
      String(ttlMs === undefined ? 0 : Math.max(1, Math.round(ttlMs))),
    );
    return r === 1;
  }
  async incr(key: string, by = 1, ttlMs?: number) {
    return (this.client as unknown as { msgrIncr(k: string, ...a: string[]): Promise<number> }).msgrIncr(
      this.k(key),
      String(by),
      String(ttlMs === undefined ? 0 : Math.max(1, Math.round(ttlMs))),
    );
  }
  async ttl(key: string) {
    const t = await this.client.pttl(this.k(key));
    return t < 0 ? -1 : t;
  }
  async hset(key: string, field: string, value: string) {
    await this.client.hset(this.k(key), field, value);
  }
  async hdel(key: string, field: string) {
    await this.client.hdel(this.k(key), field);
  }
  async hgetall(key: string) {
    return this.client.hgetall(this.k(key));
  }
  async sadd(key: string, member: string) {
    await this.client.sadd(this.k(key), member);
  }
  async srem(key: string, member: string) {
    await this.client.srem(this.k(key), member);
  }
  async smembers(key: string) {
    return this.client.smembers(this.k(key));
  }
  async sismember(key: string, member: string) {
    return (await this.client.sismember(this.k(key), member)) === 1;
  }
  async ping() {
    await this.client.ping();
  }
  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
