import { z } from 'zod';
import { defineClientEvent } from '../shared/event-def.js';
import { Id, IsoTime } from '../shared/models.js';

/**
 * Calls: the one call model (1:1 and conference), WebRTC signaling relay and the call log.
 * Browser-safe (zod only). docs/calls.md describes the state machine behind these events.
 */
export const CallType = z.enum(['audio', 'video']);
export const CallKind = z.enum(['direct', 'conference']);
export const CallStateName = z.enum(['ringing', 'active', 'ended']);
export const ParticipantState = z.enum(['invited', 'joined', 'left', 'declined', 'missed']);
/**
 * Why a call (or, for answered_elsewhere / declined sent to one user's other devices, the
 * ringing on those devices) ended.
 */
export const EndReason = z.enum([
  'hangup',
  'cancelled',
  'declined',
  'timeout',
  'busy',
  'unavailable',
  'disconnected',
  'answered_elsewhere',
  'max_duration',
  'interrupted',
]);
export type EndReason = z.infer<typeof EndReason>;

/** Hard cap on one serialized WebRTC signal (SDP with many candidates stays far below it). */
export const MAX_SIGNAL_BYTES = 64 * 1024;

export const IceServerSchema = z.object({
  urls: z.array(z.string()),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServerSchema>;

export const CallParticipantSchema = z.object({
  userId: z.string(),
  username: z.string(),
  role: z.enum(['initiator', 'invitee']),
  state: ParticipantState,
  joinedAt: IsoTime.nullable(),
  leftAt: IsoTime.nullable(),
});

export const CallSchema = z.object({
  id: z.string(),
  kind: CallKind,
  callType: CallType,
  chatId: z.string().nullable(),
  initiatorId: z.string(),
  state: CallStateName,
  endReason: z.string().nullable(),
  createdAt: IsoTime,
  answeredAt: IsoTime.nullable(),
  endedAt: IsoTime.nullable(),
  participants: z.array(CallParticipantSchema),
  /** Call log only: true for the viewer when they were invited and never joined. */
  missed: z.boolean().optional(),
});
export type Call = z.infer<typeof CallSchema>;

export const VideoQuality = z.enum(['auto', 'low', 'medium', 'high']);
export const MediaStateSchema = z.object({
  /** Whether the participant sends these tracks at all (video:stream:start/stop). */
  hasVideo: z.boolean(),
  hasAudio: z.boolean(),
  streaming: z.boolean(),
  /** Mute state (video:control:toggle): false = muted. */
  videoEnabled: z.boolean(),
  audioEnabled: z.boolean(),
  quality: VideoQuality,
  /** In the video part of a conference (conference:video:join/leave). */
  inVideo: z.boolean(),
});
export type MediaState = z.infer<typeof MediaStateSchema>;

export const LiveParticipantSchema = z.object({
  userId: z.string(),
  username: z.string(),
  state: ParticipantState,
  /** False while the participant's socket is gone and the reconnect grace runs. */
  connected: z.boolean(),
  media: MediaStateSchema,
});

export const ScreenQuality = z.enum(['low', 'medium', 'high']);
export const ScreenShareSchema = z.object({
  sharerId: z.string(),
  hasAudio: z.boolean(),
  quality: ScreenQuality,
  startedAt: IsoTime,
  /** Users the sharer granted remote control. */
  controllers: z.array(z.string()),
});
export type ScreenShare = z.infer<typeof ScreenShareSchema>;

export const AnnotationType = z.enum(['draw', 'pointer', 'text', 'clear']);
export const AnnotationSchema = z.object({
  id: z.string(),
  type: AnnotationType,
  data: z.unknown(),
  userId: z.string(),
  createdAt: IsoTime,
});
export type Annotation = z.infer<typeof AnnotationSchema>;

/** Everything a (re)joining device needs: the call, who is there with what media, the share. */
export const CallSnapshotSchema = z.object({
  call: CallSchema,
  participants: z.array(LiveParticipantSchema),
  screen: ScreenShareSchema.nullable(),
  annotations: z.array(AnnotationSchema),
  iceServers: z.array(IceServerSchema),
});
export type CallSnapshot = z.infer<typeof CallSnapshotSchema>;

const CallRef = z.object({ callId: Id });
const Signal = z
  .unknown()
  .refine((s) => s !== undefined && s !== null, 'signal required')
  .refine((s) => {
    try {
      return new TextEncoder().encode(JSON.stringify(s) ?? '').length <= MAX_SIGNAL_BYTES;
    } catch {
      return false;
    }
  }, `signal larger than ${MAX_SIGNAL_BYTES} bytes`);

export const callClientEvents = {
  'call:initiate': defineClientEvent({
    payload: z.object({ receiverId: Id, callType: CallType, chatId: Id.optional() }),
    ack: z.object({ call: CallSchema, iceServers: z.array(IceServerSchema) }),
    channel: 'call:error',
    description:
      'Ring every device of the receiver (call:incoming). The ack call may already be ended (reason busy or unavailable); if the receiver was calling the caller at that moment, the ack is their call, accepted.',
  }),
  'call:response': defineClientEvent({
    payload: z.object({ callId: Id, action: z.enum(['accept', 'decline']) }),
    ack: CallSnapshotSchema.partial().extend({ call: CallSchema }),
    channel: 'call:error',
    description:
      'Accept (the first device wins; the others get call:ended answered_elsewhere) or decline. Accept acks a full snapshot; a later device gets CONFLICT.',
  }),
  'call:end': defineClientEvent({
    payload: CallRef,
    ack: z.object({ call: CallSchema }),
    channel: 'call:error',
    description:
      'Hang up (1:1: ends for both; ringing: cancelled; a ringing invitee: decline). In a conference the initiator ends it for all, anyone else leaves.',
  }),
  'call:rejoin': defineClientEvent({
    payload: CallRef,
    ack: CallSnapshotSchema,
    channel: 'call:error',
    description:
      'Resume a call from this socket (after a drop, within CALL_RECONNECT_GRACE_MS, or to move it to this device).',
  }),
  'webrtc:signal': defineClientEvent({
    payload: z.object({ callId: Id, targetUserId: Id, signal: Signal }),
    ack: z.object({}),
    channel: 'call:error',
    description: 'Relayed untouched to the device with which the target takes part in the call.',
  }),
  'conference:create': defineClientEvent({
    payload: z.object({
      participantIds: z.array(Id).min(1).max(1000),
      callType: CallType,
      chatId: Id.optional(),
    }),
    ack: z.object({ call: CallSchema, iceServers: z.array(IceServerSchema) }),
    channel: 'call:error',
    description: 'Start a conference; every invitee rings (call:incoming).',
  }),
  'conference:join': defineClientEvent({
    payload: CallRef,
    ack: CallSnapshotSchema,
    channel: 'call:error',
    description: 'Join (or re-join) a conference one was invited to; the others get call:participant:joined.',
  }),
  'conference:leave': defineClientEvent({
    payload: CallRef,
    ack: z.object({ call: CallSchema }),
    channel: 'call:error',
    description: 'Leave a conference; the last one out ends it.',
  }),
};

export const callServerEvents = {
  'call:incoming': z.object({
    callId: z.string(),
    kind: CallKind,
    callType: CallType,
    chatId: z.string().nullable(),
    caller: z.object({ id: z.string(), username: z.string() }),
    participantIds: z.array(z.string()),
    iceServers: z.array(IceServerSchema),
  }),
  'call:accepted': z.object({ callId: z.string(), userId: z.string() }),
  'call:declined': z.object({ callId: z.string(), userId: z.string() }),
  'call:ended': z.object({ callId: z.string(), reason: EndReason }),
  'call:participant:joined': z.object({ callId: z.string(), userId: z.string(), username: z.string() }),
  'call:participant:left': z.object({ callId: z.string(), userId: z.string(), reason: z.enum(['left', 'disconnected']) }),
  'call:participant:disconnected': z.object({ callId: z.string(), userId: z.string(), graceMs: z.number() }),
  'call:participant:reconnected': z.object({ callId: z.string(), userId: z.string() }),
  'webrtc:signal': z.object({ callId: z.string(), fromUserId: z.string(), signal: z.unknown() }),
};

// ---- REST ----
export const CallLogQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** A call id: the page holds calls created before it (newest first). */
  before: Id.optional(),
});
