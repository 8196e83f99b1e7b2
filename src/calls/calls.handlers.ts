import type { Services } from '../context.js';
import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import type { SocketManager } from '../sockets/socket-manager.js';
import { registerScreenHandlers } from '../screen/screen.handlers.js';
import { ScreenService } from '../screen/screen.service.js';
import { registerVideoHandlers } from '../video/video.handlers.js';
import { VideoService } from '../video/video.service.js';
import { socketNotifier } from './calls.notifier.js';
import { callClientEvents } from './calls.schema.js';
import { videoClientEvents } from '../video/video.schema.js';
import { screenClientEvents } from '../screen/screen.schema.js';
import type { ClientEventName } from '../shared/events.js';
import type { SocketFeature } from '../sockets/features.js';

/**
 * The seed's CallSocketHandler: call:initiate/response/end/rejoin, webrtc:signal and
 * conference:create/join/leave. Rules live in CallService; this file only maps socket events
 * to it. The socket that initiates, accepts or joins is the device that takes part.
 */
export function registerCallHandlers(ctx: HandlerContext, services: Services): void {
  const { socket } = ctx;
  const me = () => ({ id: socket.data.userId, username: socket.data.username });
  const calls = services.calls;

  registerEvent(ctx, 'call:initiate', (input) => calls.initiate(me(), socket.id, input));
  registerEvent(ctx, 'call:response', ({ callId, action }) => calls.respond(me(), socket.id, callId, action));
  registerEvent(ctx, 'call:end', ({ callId }) => calls.end(me(), socket.id, callId));
  registerEvent(ctx, 'call:rejoin', ({ callId }) => calls.rejoin(me(), socket.id, callId));

  registerEvent(ctx, 'webrtc:signal', async ({ callId, targetUserId, signal }) => {
    const target = await calls.signalTarget(me().id, socket.id, callId, targetUserId);
    // Untouched: offers, answers, candidates and renegotiation are the peers' business.
    socket.to(target).emit('webrtc:signal', { callId, fromUserId: me().id, signal });
    return {};
  });

  registerEvent(ctx, 'conference:create', (input) => calls.createConference(me(), socket.id, input));
  registerEvent(ctx, 'conference:join', ({ callId }) => calls.joinConference(me(), socket.id, callId));
  registerEvent(ctx, 'conference:leave', ({ callId }) => calls.leaveConference(me().id, callId));
}

/**
 * Plugs calls, video and screen into the messenger: the notifier over Socket.io, the
 * disconnect grace and the sweep; returns the three socket features (attached on first use).
 */
export function attachCalls(manager: SocketManager, services: Services): SocketFeature[] {
  services.calls.notify = socketNotifier(manager.getIO());
  const video = new VideoService(services.calls);
  const screen = new ScreenService(services.calls);
  manager.onDisconnect((socket) => services.calls.timers.onSocketDisconnect(socket.data.userId, socket.id));
  services.calls.start();
  const eventsOf = (table: object) => Object.keys(table) as ClientEventName[];
  return [
    { name: 'calls', events: eventsOf(callClientEvents), attach: (ctx) => registerCallHandlers(ctx, services) },
    { name: 'video', events: eventsOf(videoClientEvents), attach: (ctx) => registerVideoHandlers(ctx, video) },
    { name: 'screen', events: eventsOf(screenClientEvents), attach: (ctx) => registerScreenHandlers(ctx, screen) },
  ];
}
