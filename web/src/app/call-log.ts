import { api } from '../lib/api';
import { createStore } from '../lib/store';
import type { CallInfo } from '../lib/types';
import { call, incoming } from './call-state';
import { me, onLogout } from './session';

/**
 * The call log (GET /api/calls): loaded on the page's first connect (call-events.ts, which also
 * looks in it for a call ringing for us) and whenever a call of ours ends or stops ringing, so the sidebar can show how many calls were missed since the log was last looked at
 * (the moment is kept per user in localStorage, so it survives reloads and other tabs agree).
 */
export interface CallLogState {
  calls: CallInfo[];
  loaded: boolean;
  error?: string;
  /** Missed calls newer than the last look at the log. */
  unseenMissed: number;
}
export const callLog = createStore<CallLogState>({ calls: [], loaded: false, unseenMissed: 0 });
onLogout(() => callLog.set({ calls: [], loaded: false, unseenMissed: 0 }));

const seenKey = () => `messenger.callsSeenAt.${me()?.id ?? ''}`;
const countUnseen = (calls: CallInfo[]) => {
  const seenAt = Number(localStorage.getItem(seenKey()) ?? 0);
  return calls.filter((c) => c.missed && Date.parse(c.createdAt) > seenAt).length;
};

let inFlight: Promise<void> | null = null;
/** Loads the log; callers that ask while a load is under way share it (one request). */
export function loadCallLog(): Promise<void> {
  inFlight ??= api
    .callLog()
    .then(
      ({ calls }) => callLog.set({ calls, loaded: true, unseenMissed: countUnseen(calls) }),
      (e: unknown) => callLog.set((s) => ({ ...s, loaded: true, error: (e as Error).message })),
    )
    .finally(() => (inFlight = null));
  return inFlight;
}

/** The log is on screen: everything in it counts as seen (by the server's clock: its newest entry). */
export function markCallsSeen(): void {
  const newest = callLog.get().calls[0];
  if (newest) localStorage.setItem(seenKey(), String(Date.parse(newest.createdAt)));
  callLog.set((s) => ({ ...s, unseenMissed: 0 }));
}

// The server writes a call's log entry as it ends; give it a moment, then reload.
const reloadSoon = () => setTimeout(() => void loadCallLog(), 300);
let lastPhase = call.get().phase;
call.subscribe((s) => {
  if (s.phase === 'ended' && lastPhase !== 'ended') reloadSoon();
  lastPhase = s.phase;
});
let wasRinging = incoming.get() !== null;
incoming.subscribe((inc) => {
  // An incoming call stopped ringing: answered (then it ends later), declined or missed.
  if (wasRinging && inc === null && call.get().phase === 'idle') reloadSoon();
  wasRinging = inc !== null;
});

/** How an entry reads from the viewer's side. */
export type CallDirection = 'missed' | 'declined' | 'incoming' | 'outgoing';
export function describeCall(c: CallInfo, myId: string): { direction: CallDirection; others: string[] } {
  const others = c.participants.filter((p) => p.userId !== myId).map((p) => p.username);
  const mine = c.participants.find((p) => p.userId === myId);
  const direction: CallDirection = c.missed
    ? 'missed'
    : c.initiatorId === myId
      ? 'outgoing'
      : mine?.state === 'declined'
        ? 'declined'
        : 'incoming';
  return { direction, others };
}
