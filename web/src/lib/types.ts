/**
 * Types the client shares with the server: type-only imports, so nothing from src/ is bundled.
 * The server's zod schemas (src/shared, src/calls, src/screen, src/video) are the one source.
 */
import type { ServerEventPayload } from '@shared/events';

export type { Chat, ChatMember, Message, User, ErrorShape, ServerToClientEvents } from '@shared/events';
export type { Call as CallInfo, CallSnapshot } from '../../../src/calls/calls.schema';

export type CallType = 'audio' | 'video';
export type Quality = 'low' | 'medium' | 'high';
export type AnnotationType = 'draw' | 'pointer' | 'text' | 'clear';
export type IncomingCall = ServerEventPayload<'call:incoming'>;

/** What the client puts in an annotation's free-form `data`. Coordinates are fractions of the
 *  shared video (0..1), so marks land in the same place on every screen size. */
export interface AnnotationData {
  points?: [number, number][];
  x?: number;
  y?: number;
  text?: string;
  color?: string;
}
export interface Annotation {
  id?: string;
  userId?: string;
  type: AnnotationType;
  data: AnnotationData;
  createdAt?: string;
}

/** An opaque signal relayed by the server (perfect negotiation: a description or a candidate). */
export interface Signal {
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit | null;
}
