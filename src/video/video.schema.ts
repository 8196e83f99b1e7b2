import { z } from 'zod';
import { LiveParticipantSchema, MediaStateSchema, VideoQuality } from '../calls/calls.schema.js';
import { defineClientEvent } from '../shared/event-def.js';
import { Id } from '../shared/models.js';

/**
 * Video: per-participant media state of a call (kept in the call's shared state, so a late
 * joiner gets it with its join ack). Only the device that takes part in the call may change it.
 */
export const VideoControlAction = z.enum(['mute_video', 'unmute_video', 'mute_audio', 'unmute_audio']);

const MediaAck = z.object({ media: MediaStateSchema });

export const videoClientEvents = {
  'video:stream:start': defineClientEvent({
    payload: z.object({ callId: Id, hasVideo: z.boolean(), hasAudio: z.boolean() }),
    ack: MediaAck,
    channel: 'video:error',
    description: 'Announce the tracks this participant now sends; video:{callId} gets video:stream:started.',
  }),
  'video:stream:stop': defineClientEvent({
    payload: z.object({ callId: Id, hasVideo: z.boolean().default(false), hasAudio: z.boolean().default(false) }),
    ack: MediaAck,
    channel: 'video:error',
    description: 'Stop sending; video:{callId} gets video:stream:stopped.',
  }),
  'video:control:toggle': defineClientEvent({
    payload: z.object({ callId: Id, action: VideoControlAction, enabled: z.boolean() }),
    ack: MediaAck,
    channel: 'video:error',
    description: 'Mute/unmute camera or microphone (the action decides the new state; enabled is echoed).',
  }),
  'video:quality:change': defineClientEvent({
    payload: z.object({ callId: Id, quality: VideoQuality }),
    ack: MediaAck,
    channel: 'video:error',
    description: 'The quality this participant sends; video:{callId} gets video:quality:changed.',
  }),
  'conference:video:join': defineClientEvent({
    payload: z.object({ callId: Id }),
    ack: z.object({ participants: z.array(LiveParticipantSchema) }),
    channel: 'video:error',
    description: 'Enter the video part of a call: join video:{callId}; the ack lists everyone with their media state.',
  }),
  'conference:video:leave': defineClientEvent({
    payload: z.object({ callId: Id }),
    ack: z.object({}),
    channel: 'video:error',
    description: 'Leave the video part (stops this participant stream, leaves video:{callId}); audio stays.',
  }),
};

export const videoServerEvents = {
  'video:stream:started': z.object({ callId: z.string(), userId: z.string(), hasVideo: z.boolean(), hasAudio: z.boolean() }),
  'video:stream:stopped': z.object({ callId: z.string(), userId: z.string(), hasVideo: z.boolean(), hasAudio: z.boolean() }),
  'video:control:toggled': z.object({ callId: z.string(), userId: z.string(), action: VideoControlAction, enabled: z.boolean() }),
  'video:quality:changed': z.object({ callId: z.string(), userId: z.string(), quality: VideoQuality }),
  'conference:video:joined': z.object({ callId: z.string(), userId: z.string(), media: MediaStateSchema }),
  'conference:video:left': z.object({ callId: z.string(), userId: z.string() }),
};
