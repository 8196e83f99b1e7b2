import { z } from 'zod';

export const presenceServerEvents = {
  'user:online': z.object({ userId: z.string() }),
  'user:offline': z.object({ userId: z.string(), lastSeen: z.string() }),
};

/** SocketManager.broadcast(): the seed's global notification to everyone connected. */
export const notificationServerEvents = {
  notification: z.object({ type: z.string(), data: z.unknown().optional(), at: z.string() }),
};
