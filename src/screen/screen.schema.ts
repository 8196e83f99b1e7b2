import { z } from 'zod';
import { AnnotationSchema, AnnotationType, ScreenQuality, ScreenShareSchema } from '../calls/calls.schema.js';
import { defineClientEvent } from '../shared/event-def.js';
import { Id } from '../shared/models.js';

/**
 * Screen sharing: one sharer per call, remote control only by the sharer's consent, and
 * annotations kept while the share lasts. Limits below are hard caps against abuse.
 */
export const MAX_ANNOTATION_BYTES = 16 * 1024;
export const MAX_ANNOTATIONS = 500;

const CallRef = z.object({ callId: Id });
const AnnotationData = z.unknown().refine((d) => {
  try {
    return new TextEncoder().encode(JSON.stringify(d) ?? '').length <= MAX_ANNOTATION_BYTES;
  } catch {
    return false;
  }
}, `data larger than ${MAX_ANNOTATION_BYTES} bytes`);

export const screenClientEvents = {
  'screen:share:start': defineClientEvent({
    payload: z.object({ callId: Id, hasAudio: z.boolean().default(false), quality: ScreenQuality.default('medium') }),
    ack: z.object({ share: ScreenShareSchema }),
    channel: 'screen:error',
    description: 'Start sharing; a second sharer in the call gets CONFLICT. screen:{callId} gets screen:share:started.',
  }),
  'screen:share:stop': defineClientEvent({
    payload: CallRef,
    ack: z.object({}),
    channel: 'screen:error',
    description: 'Sharer only: stop; remote control and annotations end with it.',
  }),
  'screen:remote:request': defineClientEvent({
    payload: CallRef,
    ack: z.object({}),
    channel: 'screen:error',
    description: 'Ask the sharer for remote control; the sharer gets screen:remote:request.',
  }),
  'screen:remote:response': defineClientEvent({
    payload: z.object({ callId: Id, requesterId: Id, granted: z.boolean() }),
    ack: z.object({}),
    channel: 'screen:error',
    description: 'Sharer only, to a pending request: the requester gets screen:remote:response.',
  }),
  'screen:remote:revoke': defineClientEvent({
    payload: z.object({ callId: Id, userId: Id.optional() }),
    ack: z.object({ revoked: z.array(z.string()) }),
    channel: 'screen:error',
    description: 'The sharer revokes one controller (or all); a controller may release its own control.',
  }),
  'screen:annotation:add': defineClientEvent({
    payload: z.object({ callId: Id, type: AnnotationType, data: AnnotationData.optional() }),
    ack: z.object({ annotation: AnnotationSchema }),
    channel: 'screen:error',
    description: 'Annotate the active share (clear empties it); kept while the share lasts.',
  }),
  'screen:quality:change': defineClientEvent({
    payload: z.object({ callId: Id, quality: ScreenQuality }),
    ack: z.object({}),
    channel: 'screen:error',
    description: 'Sharer only: screen:{callId} gets screen:quality:changed.',
  }),
};

export const screenServerEvents = {
  'screen:share:started': z.object({
    callId: z.string(),
    userId: z.string(),
    hasAudio: z.boolean(),
    quality: ScreenQuality,
    startedAt: z.string(),
  }),
  'screen:share:stopped': z.object({ callId: z.string(), userId: z.string(), reason: z.enum(['stopped', 'left', 'ended']) }),
  'screen:remote:request': z.object({ callId: z.string(), fromUserId: z.string() }),
  'screen:remote:response': z.object({ callId: z.string(), granted: z.boolean(), sharerId: z.string() }),
  'screen:remote:revoked': z.object({
    callId: z.string(),
    sharerId: z.string(),
    userId: z.string(),
    reason: z.enum(['revoked', 'released', 'share_stopped']),
  }),
  'screen:annotation:added': z.object({ callId: z.string(), userId: z.string(), annotation: AnnotationSchema }),
  'screen:quality:changed': z.object({ callId: z.string(), userId: z.string(), quality: ScreenQuality }),
};
