import { api } from '../lib/api';
import { applyQuality, getLocalMedia, mediaErrorText, stopStream } from '../call/media';
import { PeerLink, type WireSignal } from '../call/peer';
import { startRing, stopRing } from '../call/ring';
import { emitAck } from '../lib/socket';
import type { AnnotationData, CallInfo, CallSnapshot, CallType, Quality } from '../lib/types';
import { call, idleCall, incoming, patchCall, patchPeer, type CallState } from './call-state';
import { chats, chatTitle, peerOf } from './chats';
import { me } from './session';
import { toast } from './toast';

/** Peer connections of the current call, by remote user id (a mesh in group calls). */
export const links = new Map<string, PeerLink>();
let iceServers: RTCIceServer[] = [];
/** Signals that arrive while our camera is still starting; replayed once it is ready. */
export let early: { fromUserId: string; signal: WireSignal }[] = [];

export const REASONS: Record<string, string> = {
  timeout: 'No answer', declined: 'Declined', hangup: 'Call ended', cancelled: 'Cancelled',
  busy: 'Busy: they are in another call', unavailable: 'Unavailable right now', disconnected: 'Connection lost',
  answered_elsewhere: 'Answered on another device', max_duration: 'Call time limit reached', interrupted: 'Call interrupted',
};
/** Usernames of call participants we learned from the server (snapshot, joined events). */
export const knownNames = new Map<string, string>();

/** Takes the ICE servers for the next peer connections (the server's, or asked for). */
export async function takeIceServers(fromServer?: RTCIceServer[]) {
  iceServers = await resolveIce(fromServer);
}

/** Drops queued signals (they were meant for connections of a page before a reload). */
export function dropEarlySignals() {
  early = [];
}

async function resolveIce(fromServer?: RTCIceServer[]) {
  if (fromServer?.length) return fromServer;
  return api.iceServers().then((r) => r.iceServers).catch(() => [] as RTCIceServer[]);
}

export function usernameOf(userId: string): string {
  const known = knownNames.get(userId);
  if (known) return known;
  for (const c of Object.values(chats.get().byId)) {
    const m = c.members.find((x) => x.id === userId);
    if (m) return m.username;
  }
  return incoming.get()?.caller.id === userId ? incoming.get()!.caller.username : 'Participant';
}

export const mediaReady = (s: CallState) => s.local !== null && (s.phase === 'ringing' || s.phase === 'connecting' || s.phase === 'active');

export function ensurePeer(userId: string): PeerLink | null {
  const s = call.get();
  const myId = me()?.id;
  if (!s.callId || !myId || userId === myId || !s.local) return null;
  const existing = links.get(userId);
  if (existing) return existing;
  const callId = s.callId;
  const link = new PeerLink(userId, myId > userId, iceServers, (signal) => {
    emitAck('webrtc:signal', { callId, targetUserId: userId, signal }).catch((e: Error) => console.warn('signal', e.message));
  }, {
    onStream: (stream, kind) => {
      patchPeer(userId, kind === 'main' ? { stream } : { screen: stream });
      // A late joiner may see the screen before hearing who shares it.
      if (kind === 'screen' && stream && !call.get().sharerId) patchCall({ sharerId: userId });
    },
    onState: (state) => {
      patchPeer(userId, { connection: state });
      if (state === 'connected' && call.get().phase !== 'active') {
        stopRing();
        patchCall({ phase: 'active', startedAt: Date.now() });
      }
    },
  });
  links.set(userId, link);
  addPeerTile(userId);
  link.addLocal(s.local);
  if (s.localScreen) link.addScreen(s.localScreen);
  return link;
}

/**
 * Applies a signal from a participant. One naming another connection than the one we talk to
 * comes from a peer that reloaded the page mid-call (and rejoined): our connection to them is
 * dead, so it is replaced, and the signal (their new offer) goes to the new one.
 */
export function deliverSignal(fromUserId: string, signal: WireSignal) {
  const link = links.get(fromUserId);
  if (link && signal.session && link.remoteSession && signal.session !== link.remoteSession) {
    link.close();
    links.delete(fromUserId);
    patchPeer(fromUserId, { stream: null, screen: null, connection: 'connecting' });
  }
  void ensurePeer(fromUserId)?.handle(signal);
}

/** Shows a participant (connecting…) before their connection exists. */
export function addPeerTile(userId: string) {
  call.set((st) =>
    st.peers[userId]
      ? st
      : { ...st, peers: { ...st.peers, [userId]: { userId, username: usernameOf(userId), stream: null, screen: null, version: 0, connection: 'waiting', micOn: true, camOn: st.callType === 'video' } } },
  );
}

export function removePeer(userId: string) {
  links.get(userId)?.close();
  links.delete(userId);
  call.set((s) => ({ ...s, peers: Object.fromEntries(Object.entries(s.peers).filter(([id]) => id !== userId)) }));
}

/** Ends the call locally; the ended screen shows the reason for a moment. */
export function teardown(reason: string | null, error: string | null = null) {
  stopRing();
  for (const l of links.values()) l.close();
  links.clear();
  early = [];
  const s = call.get();
  stopStream(s.local);
  stopStream(s.localScreen);
  call.set({ ...idleCall(), phase: 'ended', title: s.title, endReason: reason, error, quality: s.quality });
  setTimeout(() => {
    if (call.get().phase === 'ended') call.set({ ...idleCall(), quality: call.get().quality });
  }, error ? 5000 : 2500);
}

export async function startMedia(callType: CallType): Promise<boolean> {
  try {
    const local = await getLocalMedia(callType, call.get().quality);
    patchCall({ local, camOn: local.getVideoTracks().length > 0, micOn: true });
    return true;
  } catch (e) {
    teardown(null, mediaErrorText(e, callType === 'video' ? 'camera or microphone' : 'microphone'));
    return false;
  }
}

export function announceMedia(callId: string, conference: boolean) {
  const local = call.get().local;
  const quiet = () => {};
  emitAck('video:stream:start', { callId, hasVideo: !!local?.getVideoTracks().length, hasAudio: true }).catch(quiet);
  if (conference) emitAck('conference:video:join', { callId }).catch(quiet);
}

export async function startCall(chatId: string, callType: CallType) {
  if (call.get().phase !== 'idle' && call.get().phase !== 'ended') return toast('You are already in a call', 'error');
  const chat = chats.get().byId[chatId];
  const myId = me()?.id;
  if (!chat || !myId) return;
  const conference = chat.type === 'group';
  call.set({ ...idleCall(), quality: call.get().quality, phase: 'starting', callType, chatId, conference, title: chatTitle(chat) });
  if (!(await startMedia(callType))) return;
  try {
    const others = chat.members.filter((m) => m.id !== myId).map((m) => m.id);
    const res = conference
      ? await emitAck<{ call: CallInfo; iceServers?: RTCIceServer[] }>('conference:create', { participantIds: others, callType, chatId })
      : await emitAck<{ call: CallInfo; iceServers?: RTCIceServer[] }>('call:initiate', { receiverId: peerOf(chat)?.id ?? others[0], callType, chatId });
    iceServers = await resolveIce(res.iceServers);
    if (call.get().phase !== 'starting') return; // hung up meanwhile
    const info = res.call;
    // Busy or unavailable: the ack already carries the ended call.
    if (info.state === 'ended') return teardown(REASONS[info.endReason ?? ''] ?? 'Call ended');
    for (const p of info.participants) knownNames.set(p.userId, p.username);
    patchCall({ callId: info.id, phase: info.state === 'active' ? 'connecting' : 'ringing' });
    announceMedia(info.id, conference);
    if (info.state === 'active') {
      // Glare: they were calling us at the same moment; the server joined us to their call.
      if (incoming.get()?.callId === info.id) incoming.set(null);
      for (const id of joinedIds(info)) ensurePeer(id);
    } else startRing('outgoing');
  } catch (e) {
    teardown(null, (e as Error).message);
  }
}

export async function acceptIncoming() {
  const inc = incoming.get();
  if (!inc) return;
  stopRing();
  incoming.set(null);
  if (call.get().callId) hangUp();
  const chat = inc.chatId ? chats.get().byId[inc.chatId] : undefined;
  const conference = inc.kind === 'conference';
  knownNames.set(inc.caller.id, inc.caller.username);
  call.set({
    ...idleCall(), quality: call.get().quality, phase: 'starting', callId: inc.callId, callType: inc.callType,
    chatId: inc.chatId, conference, title: conference && chat ? chatTitle(chat) : inc.caller.username,
  });
  if (!(await startMedia(inc.callType))) {
    emitAck('call:response', { callId: inc.callId, action: 'decline' }).catch(() => {});
    return;
  }
  try {
    iceServers = await resolveIce(inc.iceServers);
    const snap = await emitAck<Partial<CallSnapshot> & { call: CallInfo }>('call:response', { callId: inc.callId, action: 'accept' });
    patchCall({ phase: 'connecting' });
    announceMedia(inc.callId, conference);
    applySnapshot(snap);
    for (const e of early) deliverSignal(e.fromUserId, e.signal);
    early = [];
  } catch (e) {
    teardown(null, (e as Error).message);
  }
}

const joinedIds = (info: CallInfo) => info.participants.filter((p) => p.state === 'joined').map((p) => p.userId);

/** What the accept ack tells a joiner: who is in (connect to each), their media, the share. */
export function applySnapshot(snap: Partial<CallSnapshot> & { call: CallInfo }) {
  for (const p of snap.call.participants) knownNames.set(p.userId, p.username);
  const myId = me()?.id;
  for (const id of joinedIds(snap.call)) ensurePeer(id);
  for (const p of snap.participants ?? []) {
    if (p.userId === myId || p.state !== 'joined') continue;
    patchPeer(p.userId, { micOn: p.media.audioEnabled, camOn: p.media.videoEnabled, ...(p.connected ? {} : { connection: 'disconnected' }) });
  }
  if (snap.screen) {
    const annotations = (snap.annotations ?? []).map((a) => ({ ...a, data: (a.data ?? {}) as AnnotationData }));
    patchCall({ sharerId: snap.screen.sharerId, annotations });
  }
}

export function declineIncoming() {
  const inc = incoming.get();
  stopRing();
  incoming.set(null);
  if (inc) emitAck('call:response', { callId: inc.callId, action: 'decline' }).catch(() => {});
}

export function hangUp() {
  const { callId, conference } = call.get();
  // In a group call hanging up means leaving; the others carry on (the last one out ends it).
  if (callId) emitAck(conference ? 'conference:leave' : 'call:end', { callId }).catch(() => {});
  teardown('Call ended');
}

export function toggleMic() {
  const s = call.get();
  const on = !s.micOn;
  s.local?.getAudioTracks().forEach((t) => (t.enabled = on));
  patchCall({ micOn: on });
  if (s.callId) emitAck('video:control:toggle', { callId: s.callId, action: on ? 'unmute_audio' : 'mute_audio', enabled: on }).catch(() => {});
}

export function toggleCam() {
  const s = call.get();
  const on = !s.camOn;
  s.local?.getVideoTracks().forEach((t) => (t.enabled = on));
  patchCall({ camOn: on });
  if (s.callId) emitAck('video:control:toggle', { callId: s.callId, action: on ? 'unmute_video' : 'mute_video', enabled: on }).catch(() => {});
}

export async function setQuality(quality: Quality) {
  const s = call.get();
  patchCall({ quality });
  const senders = [...links.values()].flatMap((l) => l.videoSenders());
  await applyQuality(s.local?.getVideoTracks()[0], senders, quality);
  if (s.callId) emitAck('video:quality:change', { callId: s.callId, quality }).catch(() => {});
}

/** Debug handle for the browser tests and for support ("what is my call doing?"). */
export const callDebug = {
  state: () => call.get(),
  async stats() {
    const out: Record<string, Awaited<ReturnType<PeerLink['inboundStats']>>> = {};
    for (const [id, link] of links) out[id] = await link.inboundStats();
    return out;
  },
};
