import { emitAck } from '../lib/socket';
import type { CallSnapshot } from '../lib/types';
import { call, idleCall, patchCall, type CallState } from './call-state';
import { announceMedia, applySnapshot, dropEarlySignals, knownNames, startMedia, teardown, takeIceServers } from './calls';

/**
 * A page reload mid-call: the tab remembers its call (sessionStorage, this tab only), and on
 * the first connect after the reload takes it back with call:rejoin — within the server's
 * reconnect grace the call is still ours. We then offer to everyone in it, as a joiner does;
 * their side replaces its dead connection to us when our new one's first signal arrives.
 */
const RESUME_KEY = 'messenger.call';
type Resumable = Pick<CallState, 'callId' | 'callType' | 'chatId' | 'conference' | 'title'>;
let resumable: Resumable | null = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? 'null') as Resumable | null;
  } catch {
    return null;
  }
})();
call.subscribe((s) => {
  if (s.callId && (s.phase === 'ringing' || s.phase === 'connecting' || s.phase === 'active')) {
    const { callId, callType, chatId, conference, title } = s;
    sessionStorage.setItem(RESUME_KEY, JSON.stringify({ callId, callType, chatId, conference, title }));
  } else if (s.phase === 'ended' || (s.phase === 'idle' && !resumable)) sessionStorage.removeItem(RESUME_KEY);
});

export async function resumeCall() {
  const saved = resumable;
  resumable = null;
  if (!saved?.callId || call.get().phase !== 'idle') return;
  call.set({ ...idleCall(), quality: call.get().quality, phase: 'starting', ...saved });
  if (!(await startMedia(saved.callType))) {
    emitAck(saved.conference ? 'conference:leave' : 'call:end', { callId: saved.callId }).catch(() => {});
    return;
  }
  try {
    const snap = await emitAck<CallSnapshot>('call:rejoin', { callId: saved.callId });
    await takeIceServers(snap.iceServers);
    if (call.get().phase !== 'starting') return; // hung up meanwhile
    // Whatever arrived meanwhile was meant for the connections of the page before the reload.
    dropEarlySignals();
    for (const p of snap.call.participants) knownNames.set(p.userId, p.username);
    patchCall({ phase: snap.call.state === 'active' ? 'connecting' : 'ringing' });
    announceMedia(saved.callId, saved.conference);
    applySnapshot(snap);
  } catch {
    // Ended meanwhile, or the grace ran out: nothing to take back.
    teardown('Call ended');
  }
}
