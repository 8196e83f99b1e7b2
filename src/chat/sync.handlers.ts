import type { Services } from '../context.js';
import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import { SyncService } from './sync.service.js';

/** chat:sync: gapless catch-up from the store (docs/sync.md). Read-only, any node. */
export function registerSyncHandlers(ctx: HandlerContext, services: Services): void {
  const sync = new SyncService(services.database.db);
  const userId = ctx.socket.data.userId;
  registerEvent(ctx, 'chat:sync', (input) => sync.sync(userId, input));
}
