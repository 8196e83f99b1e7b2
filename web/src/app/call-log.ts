import { api } from '../lib/api';
import { createStore } from '../lib/store';
import type { CallInfo } from '../lib/types';
import { call } from './call-state';
import { onLogout } from './session';

/** The call log (GET /api/calls): loaded when shown, and again whenever a call of ours ends. */
export interface CallLogState {
  calls: CallInfo[];
  loaded: boolean;
  error?: string;
}
export const callLog = createStore<CallLogState>({ calls: [], loaded: false });
onLogout(() => callLog.set({ calls: [], loaded: false }));

export async function loadCallLog(): Promise<void> {
  try {
    const { calls } = await api.callLog();
    callLog.set({ calls, loaded: true });
  } catch (e) {
    callLog.set((s) => ({ ...s, loaded: true, error: (e as Error).message }));
  }
}

let lastPhase = call.get().phase;
call.subscribe((s) => {
  // A call just ended: the log has a new entry (the server writes it as the call ends).
  if (s.phase === 'ended' && lastPhase !== 'ended' && callLog.get().loaded) setTimeout(() => void loadCallLog(), 300);
  lastPhase = s.phase;
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
