import type { EndReason } from './calls.schema.js';
import { defaultMedia, type CallDoc, type ParticipantDoc, type ScreenDoc } from './call-state.js';

/**
 * Pure transitions of one call document (the state machine of docs/calls.md). They run inside
 * CallStore.mutate on a private copy, so they may be retried; the effects (storage, sockets)
 * follow from what they return.
 *
 *   ringing ──accept──▶ active ──last one out / hang up / grace over──▶ ended
 *      └──decline / cancel / timeout / caller gone──────────────────────▶ ended
 */
export interface EndOutcome {
  reason: EndReason;
  /** Invitees who were still ringing: their devices must stop. */
  ringing: string[];
  /** The screen share that ended with the call, if any. */
  share: ScreenDoc | null;
}

export function endDoc(d: CallDoc, reason: EndReason, now: number): EndOutcome {
  const ringing: string[] = [];
  for (const p of Object.values(d.participants)) {
    if (p.state === 'joined') {
      p.state = 'left';
      p.leftAt = now;
    } else if (p.state === 'invited') {
      p.state = 'missed';
      ringing.push(p.userId);
    }
    p.socketId = null;
    p.graceUntil = null;
  }
  const share = d.screen;
  d.screen = null;
  d.state = 'ended';
  d.endReason = reason;
  d.endedAt = now;
  return { reason, ringing, share };
}

/** A participant enters the call with this socket; the first answer makes the call active. */
export function joinDoc(d: CallDoc, p: ParticipantDoc, socketId: string, now: number): void {
  p.state = 'joined';
  p.socketId = socketId;
  p.joinedAt ??= now;
  p.leftAt = null;
  p.graceUntil = null;
  p.media = defaultMedia(d.callType);
  if (d.state === 'ringing') {
    d.state = 'active';
    d.answeredAt = now;
  }
}

export interface LeaveOutcome {
  /** The socket that took part, to be taken out of the call's rooms. */
  socketId: string | null;
  /** The leaver's share, stopped by leaving. */
  share: ScreenDoc | null;
  ended: EndOutcome | null;
}

const joinedCount = (d: CallDoc) => Object.values(d.participants).filter((p) => p.state === 'joined').length;

/**
 * A participant leaves. A 1:1 call ends with them (hangup, or disconnected after the grace);
 * a conference ends when the last one is out.
 */
export function leaveDoc(d: CallDoc, p: ParticipantDoc, now: number, why: 'left' | 'disconnected'): LeaveOutcome {
  const socketId = p.socketId;
  p.state = 'left';
  p.leftAt = now;
  p.socketId = null;
  p.graceUntil = null;
  p.media = { ...p.media, streaming: false };
  let share: ScreenDoc | null = null;
  if (d.screen?.sharerId === p.userId) {
    share = d.screen;
    d.screen = null;
  } else if (d.screen) {
    d.screen.controllers = d.screen.controllers.filter((id) => id !== p.userId);
    d.screen.requests = d.screen.requests.filter((id) => id !== p.userId);
  }
  let ended: EndOutcome | null = null;
  if (d.kind === 'direct') {
    ended = endDoc(d, why === 'disconnected' ? 'disconnected' : d.state === 'ringing' ? 'cancelled' : 'hangup', now);
  } else if (joinedCount(d) === 0) {
    ended = endDoc(d, d.state === 'ringing' ? 'cancelled' : 'hangup', now);
  }
  return { socketId, share, ended };
}

/**
 * A conference nobody has answered yet, in which nobody rings any more, is over: declined when
 * every invitee declined, else timed out.
 */
export function settleUnanswered(d: CallDoc, now: number): EndOutcome | null {
  if (d.kind !== 'conference' || d.state !== 'ringing') return null;
  const invitees = Object.values(d.participants).filter((p) => p.role === 'invitee');
  if (invitees.some((p) => p.state === 'invited')) return null;
  return endDoc(d, invitees.every((p) => p.state === 'declined') ? 'declined' : 'timeout', now);
}

export interface TimeoutOutcome {
  /** Invitees who rang out without ending the call (a conference goes on). */
  missed: string[];
  ended: EndOutcome | null;
}

/** The ring deadline passed: whoever still rings missed it; an unanswered call times out. */
export function ringTimeoutDoc(d: CallDoc, now: number): TimeoutOutcome | null {
  if (d.state === 'ended' || now < d.ringUntil) return null;
  const ringing = Object.values(d.participants).filter((p) => p.state === 'invited');
  if (d.state === 'ringing') return { missed: [], ended: endDoc(d, 'timeout', now) };
  if (ringing.length === 0) return null;
  for (const p of ringing) p.state = 'missed';
  return { missed: ringing.map((p) => p.userId), ended: null };
}
