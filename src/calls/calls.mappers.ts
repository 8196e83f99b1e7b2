import type { CallRow } from '../db/tables.js';
import type { Annotation, Call, CallSnapshot, IceServer } from './calls.schema.js';
import type { CallDoc } from './call-state.js';
import type { ParticipantWithName } from './calls.repository.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** The live document as clients see it. */
export function toCall(doc: CallDoc): Call {
  return {
    id: doc.id,
    kind: doc.kind,
    callType: doc.callType,
    chatId: doc.chatId,
    initiatorId: doc.initiatorId,
    state: doc.state,
    endReason: doc.endReason,
    createdAt: new Date(doc.createdAt).toISOString(),
    answeredAt: iso(doc.answeredAt),
    endedAt: iso(doc.endedAt),
    participants: Object.values(doc.participants).map((p) => ({
      userId: p.userId,
      username: p.username,
      role: p.role,
      state: p.state,
      joinedAt: iso(p.joinedAt),
      leftAt: iso(p.leftAt),
    })),
  };
}

/** A stored call as the call log shows it to `viewerId` (missed: invited and never joined). */
export function toLoggedCall(row: CallRow, participants: ParticipantWithName[], viewerId: string): Call {
  const mine = participants.find((p) => p.user_id === viewerId);
  return {
    id: row.id,
    kind: row.kind,
    callType: row.call_type,
    chatId: row.chat_id,
    initiatorId: row.initiator_id,
    state: row.state,
    endReason: row.end_reason,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    answeredAt: iso(row.answered_at),
    endedAt: iso(row.ended_at),
    participants: participants.map((p) => ({
      userId: p.user_id,
      username: p.username,
      role: p.role,
      state: p.state,
      joinedAt: iso(p.joined_at),
      leftAt: iso(p.left_at),
    })),
    missed: mine !== undefined && mine.role === 'invitee' && mine.state === 'missed',
  };
}

export function toSnapshot(doc: CallDoc, annotations: Annotation[], iceServers: IceServer[]): CallSnapshot {
  return {
    call: toCall(doc),
    participants: liveParticipants(doc),
    screen: doc.screen
      ? {
          sharerId: doc.screen.sharerId,
          hasAudio: doc.screen.hasAudio,
          quality: doc.screen.quality,
          startedAt: new Date(doc.screen.startedAt).toISOString(),
          controllers: doc.screen.controllers,
        }
      : null,
    annotations,
    iceServers,
  };
}

export function liveParticipants(doc: CallDoc): CallSnapshot['participants'] {
  return Object.values(doc.participants).map((p) => ({
    userId: p.userId,
    username: p.username,
    state: p.state,
    connected: p.state === 'joined' && p.socketId !== null,
    media: p.media,
  }));
}
