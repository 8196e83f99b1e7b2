import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface ClusterAdapter {
  /** Pass to io.adapter(). */
  factory: ReturnType<typeof createAdapter>;
  /** Closes the adapter's own Redis connection (after io.close()). */
  close(): Promise<void>;
}

/**
 * The Socket.io adapter of cluster mode: Redis Streams (docs/cluster.md says why). Every node
 * appends broadcasts to one stream and reads it from its own offset, so a node whose Redis
 * connection blips catches up on what it missed instead of losing it (pub/sub would drop it);
 * room membership changes and fetchSockets reach every node the same way.
 *
 * Names are under REDIS_PREFIX so several clusters (or test runs) can share one Redis.
 */
export function createClusterAdapter(config: Config, logger: Logger): ClusterAdapter | undefined {
  if (!config.redisUrl) return undefined;
  // Broadcasts while Redis is down fail fast (they are best effort: the store is the source of
  // truth and clients catch up with chat:sync); the client reconnects by itself.
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  let warned = false;
  client.on('error', (err: Error) => {
    if (!warned) logger.warn({ err: err.message }, 'socket.io adapter: Redis unreachable');
    warned = true;
  });
  client.on('ready', () => {
    if (warned) logger.info('socket.io adapter: Redis reachable again');
    warned = false;
  });
  const prefix = config.redisPrefix;
  const factory = createAdapter(client, {
    streamName: `${prefix}socket.io`,
    channelPrefix: `${prefix}socket.io`,
    sessionKeyPrefix: `${prefix}sio:session:`,
    maxLen: 10_000,
    // A shorter block lets a closed adapter release its reading connection soon.
    blockTimeInMs: 2_000,
    // Nodes announce themselves this often; a node silent for heartbeatTimeout is dropped from
    // fetchSockets/serverSideEmit expectations.
    heartbeatInterval: 5_000,
    heartbeatTimeout: 10_000,
  });
  return {
    factory,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
