import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import { rooms } from '../sockets/types.js';
import type { VideoService } from './video.service.js';

/**
 * The seed's VideoSocketHandler: media state changes of the device in the call, told to the
 * others in video:{callId}; conference:video:join/leave move the device in and out of that room.
 */
export function registerVideoHandlers(ctx: HandlerContext, video: VideoService): void {
  const { socket } = ctx;
  const userId = socket.data.userId;

  registerEvent(ctx, 'video:stream:start', async ({ callId, hasVideo, hasAudio }) => {
    const { media } = await video.update(userId, socket.id, callId, (m) => Object.assign(m, { streaming: true, hasVideo, hasAudio }));
    socket.to(rooms.video(callId)).emit('video:stream:started', { callId, userId, hasVideo, hasAudio });
    return { media };
  });

  registerEvent(ctx, 'video:stream:stop', async ({ callId, hasVideo, hasAudio }) => {
    const { media } = await video.update(userId, socket.id, callId, (m) => Object.assign(m, { streaming: false, hasVideo, hasAudio }));
    socket.to(rooms.video(callId)).emit('video:stream:stopped', { callId, userId, hasVideo, hasAudio });
    return { media };
  });

  registerEvent(ctx, 'video:control:toggle', async ({ callId, action, enabled }) => {
    // The action decides the track state; `enabled` (the seed's flag) is echoed as sent.
    const { media } = await video.update(userId, socket.id, callId, (m) => {
      if (action === 'mute_video' || action === 'unmute_video') m.videoEnabled = action === 'unmute_video';
      else m.audioEnabled = action === 'unmute_audio';
    });
    socket.to(rooms.video(callId)).emit('video:control:toggled', { callId, userId, action, enabled });
    return { media };
  });

  registerEvent(ctx, 'video:quality:change', async ({ callId, quality }) => {
    const { media } = await video.update(userId, socket.id, callId, (m) => {
      m.quality = quality;
    });
    socket.to(rooms.video(callId)).emit('video:quality:changed', { callId, userId, quality });
    return { media };
  });

  registerEvent(ctx, 'conference:video:join', async ({ callId }) => {
    const { doc, media } = await video.update(userId, socket.id, callId, (m) => {
      m.inVideo = true;
    });
    await socket.join(rooms.video(callId));
    socket.to(rooms.call(callId)).emit('conference:video:joined', { callId, userId, media });
    return { participants: video.participants(doc) };
  });

  registerEvent(ctx, 'conference:video:leave', async ({ callId }) => {
    await video.update(userId, socket.id, callId, (m) => Object.assign(m, { inVideo: false, streaming: false }));
    await socket.leave(rooms.video(callId));
    socket.to(rooms.call(callId)).emit('conference:video:left', { callId, userId });
    return {};
  });
}
