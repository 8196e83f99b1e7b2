import { stopRing, startRing } from '../call/ring';
import type { WireSignal } from '../call/peer';
import { emitAck, onReconnect, onSocket } from '../lib/socket';
import { call, incoming, patchCall, patchPeer } from './call-state';
import { callLog, loadCallLog } from './call-log';
import { resumeCall } from './call-resume';
import { addPeerTile, deliverSignal, early, hangUp, knownNames, mediaReady, REASONS, removePeer, teardown, usernameOf } from './calls';
import { me, onLogout } from './session';
import { toast } from './toast';

/** The server's call notifications, applied to the current call and the ringing screen. */
const isMine = (callId: string) => call.get().callId === callId;

function stopRinging() {
  stopRing();
  incoming.set(null);
}

/** A call ringing for us right now, from the call log: the server rang before this socket existed. */
async function restoreIncoming() {
  // This load is also the one that counts missed calls for the sidebar's badge.
  await loadCallLog();
  const myId = me()?.id;
  if (!myId || incoming.get() || call.get().phase !== 'idle') return;
  const ringing = callLog.get().calls.find((c) => c.state === 'ringing' && c.participants.some((p) => p.userId === myId && p.state === 'invited'));
  if (!ringing) return;
  const caller = ringing.participants.find((p) => p.userId === ringing.initiatorId);
  for (const p of ringing.participants) knownNames.set(p.userId, p.username);
  incoming.set({
    callId: ringing.id, kind: ringing.kind, callType: ringing.callType, chatId: ringing.chatId,
    caller: { id: ringing.initiatorId, username: caller?.username ?? 'Someone' },
    participantIds: ringing.participants.map((p) => p.userId),
    iceServers: [], // asked for on answering
  });
  startRing('incoming');
}

onSocket((sock) => {
  // The first connect of this page takes back a call the page had before a reload, or shows a
  // call that started ringing for us before this page's socket existed.
  sock.once('connect', () => void resumeCall().then(restoreIncoming));
  sock.on('call:incoming', (p) => {
    if (isMine(p.callId) || incoming.get()?.callId === p.callId) return;
    knownNames.set(p.caller.id, p.caller.username);
    incoming.set(p);
    startRing('incoming');
  });
  // Whoever joins makes the offers to those already in; we wait for theirs. Both sides offering
  // at once is legal (perfect negotiation), but the rollback it forces can lose ICE candidates.
  const joined = ({ callId, userId }: { callId: string; userId: string }) => {
    if (!isMine(callId) || userId === me()?.id) return;
    stopRing();
    if (call.get().phase === 'ringing') patchCall({ phase: 'connecting' });
    if (call.get().local) addPeerTile(userId);
  };
  sock.on('call:accepted', joined);
  sock.on('call:participant:joined', (p) => {
    knownNames.set(p.userId, p.username);
    joined(p);
  });
  sock.on('call:declined', ({ callId, userId }) => {
    if (!isMine(callId) || userId === me()?.id) return;
    if (call.get().conference) {
      toast(`${usernameOf(userId)} declined`);
      removePeer(userId);
    } else teardown('Declined');
  });
  sock.on('call:ended', ({ callId, reason }) => {
    // Also how ringing stops here when another of my devices answered or declined.
    if (incoming.get()?.callId === callId) stopRinging();
    if (isMine(callId)) teardown(REASONS[reason] ?? 'Call ended');
  });
  sock.on('call:participant:left', ({ callId, userId }) => {
    if (!isMine(callId)) return;
    toast(`${usernameOf(userId)} left the call`);
    removePeer(userId);
  });
  sock.on('call:participant:disconnected', ({ callId, userId }) => {
    if (isMine(callId)) patchPeer(userId, { connection: 'disconnected' });
  });
  sock.on('webrtc:signal', ({ callId, fromUserId, signal }) => {
    if (!isMine(callId)) return;
    if (!mediaReady(call.get())) early.push({ fromUserId, signal: signal as WireSignal });
    else deliverSignal(fromUserId, signal as WireSignal);
  });
  sock.on('video:control:toggled', ({ callId, userId, action }) => {
    if (!isMine(callId)) return;
    // The action names the new state (mute_* = off); `enabled` is only an echo.
    const on = action.startsWith('unmute');
    patchPeer(userId, action.endsWith('audio') ? { micOn: on } : { camOn: on });
  });
  sock.on('video:stream:stopped', ({ callId, userId, hasVideo }) => {
    if (isMine(callId)) patchPeer(userId, { camOn: hasVideo });
  });
});

/** After a socket drop the call continues (WebRTC does not need the socket), but the server
 *  must learn our new socket within CALL_RECONNECT_GRACE_MS, or it drops us from the call. */
onReconnect(() => {
  const { callId, phase } = call.get();
  if (!callId || phase === 'idle' || phase === 'ended' || phase === 'starting') return;
  emitAck('call:rejoin', { callId }).catch(() => teardown('Connection lost'));
});

onLogout(() => {
  if (call.get().callId) hangUp();
  stopRinging();
});
