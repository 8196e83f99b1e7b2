import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import { rooms } from '../sockets/types.js';
import type { ScreenService } from './screen.service.js';

/**
 * The seed's ScreenSocketHandler: share start/stop, remote control by consent, annotations,
 * quality. Broadcasts go to screen:{callId} (every device in the call) but the sender.
 */
export function registerScreenHandlers(ctx: HandlerContext, screen: ScreenService): void {
  const { socket } = ctx;
  const userId = socket.data.userId;

  registerEvent(ctx, 'screen:share:start', async (input) => {
    const share = await screen.start(userId, socket.id, input);
    socket.to(rooms.screen(input.callId)).emit('screen:share:started', {
      callId: input.callId,
      userId,
      hasAudio: share.hasAudio,
      quality: share.quality,
      startedAt: share.startedAt,
    });
    return { share };
  });

  registerEvent(ctx, 'screen:share:stop', async ({ callId }) => {
    await screen.stop(userId, socket.id, callId);
    return {};
  });

  registerEvent(ctx, 'screen:remote:request', async ({ callId }) => {
    const sharerSocket = await screen.requestControl(userId, socket.id, callId);
    socket.to(sharerSocket).emit('screen:remote:request', { callId, fromUserId: userId });
    return {};
  });

  registerEvent(ctx, 'screen:remote:response', async (input) => {
    const requesterSocket = await screen.respondControl(userId, socket.id, input);
    if (requesterSocket) socket.to(requesterSocket).emit('screen:remote:response', { callId: input.callId, granted: input.granted, sharerId: userId });
    return {};
  });

  registerEvent(ctx, 'screen:remote:revoke', async ({ callId, userId: target }) => ({
    revoked: await screen.revokeControl(userId, socket.id, callId, target),
  }));

  registerEvent(ctx, 'screen:annotation:add', async (input) => {
    const annotation = await screen.annotate(userId, socket.id, input);
    socket.to(rooms.screen(input.callId)).emit('screen:annotation:added', { callId: input.callId, userId, annotation });
    return { annotation };
  });

  registerEvent(ctx, 'screen:quality:change', async ({ callId, quality }) => {
    await screen.changeQuality(userId, socket.id, callId, quality);
    socket.to(rooms.screen(callId)).emit('screen:quality:changed', { callId, userId, quality });
    return {};
  });
}
