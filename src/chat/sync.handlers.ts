import type { Services } from '../context.js';
import type { ClientEventName } from '../shared/events.js';
import type { SocketFeature } from '../sockets/features.js';
import { registerEvent } from '../sockets/register-event.js';
import { syncClientEvents } from './sync.schema.js';
import { SyncService } from './sync.service.js';

/** chat:sync: gapless catch-up from the store (docs/sync.md). Read-only, any node. */
export function syncFeature(services: Services): SocketFeature {
  const sync = new SyncService(services.database.db);
  return {
    name: 'sync',
    events: Object.keys(syncClientEvents) as ClientEventName[],
    attach(ctx) {
      const userId = ctx.socket.data.userId;
      registerEvent(ctx, 'chat:sync', (input) => sync.sync(userId, input));
    },
  };
}
