import { applyScreenQuality, getScreen, mediaErrorText, stopStream } from '../call/media';
import { emitAck, onSocket } from '../lib/socket';
import type { Annotation, AnnotationData, AnnotationType, Quality } from '../lib/types';
import { call, patchCall, patchPeer } from './call-state';
import { links } from './calls';
import { me } from './session';
import { toast, toastError } from './toast';

const nameOf = (userId: string) => call.get().peers[userId]?.username ?? 'Someone';

export async function startShare() {
  const s = call.get();
  const myId = me()?.id;
  if (!s.callId || !myId) return;
  if (s.sharerId && s.sharerId !== myId) return toast(`${nameOf(s.sharerId)} is already sharing`, 'error');
  let stream: MediaStream;
  try {
    stream = await getScreen(s.quality);
  } catch (e) {
    return toast(mediaErrorText(e, 'screen'), 'error');
  }
  try {
    await emitAck('screen:share:start', { callId: s.callId, hasAudio: stream.getAudioTracks().length > 0, quality: s.quality });
  } catch (e) {
    stopStream(stream);
    return toastError(e);
  }
  if (call.get().callId !== s.callId) return stopStream(stream); // the call ended meanwhile
  patchCall({ localScreen: stream, sharerId: myId, annotations: [], screenQuality: s.quality });
  for (const link of links.values()) link.addScreen(stream);
  // The browser's own "Stop sharing" button ends the track.
  stream.getVideoTracks()[0]?.addEventListener('ended', () => void stopShare());
}

export async function stopShare() {
  const s = call.get();
  if (!s.localScreen) return;
  for (const link of links.values()) link.removeScreen();
  stopStream(s.localScreen);
  patchCall({ localScreen: null, sharerId: null, annotations: [], controlRequest: null, controllers: [] });
  if (s.callId) await emitAck('screen:share:stop', { callId: s.callId }).catch(() => {});
}

function addLocal(list: Annotation[], a: Annotation): Annotation[] {
  if (a.type === 'clear') return [];
  // Pointers are momentary: keep only each user's latest.
  if (a.type === 'pointer') return [...list.filter((x) => !(x.type === 'pointer' && x.userId === a.userId)), a];
  return [...list, a].slice(-500);
}

export async function annotate(type: AnnotationType, data: AnnotationData) {
  const { callId } = call.get();
  const myId = me()?.id;
  if (!callId || !myId) return;
  const local: Annotation = { type, data, userId: myId, createdAt: new Date().toISOString() };
  patchCall((s) => ({ annotations: addLocal(s.annotations, local) })); // shown at once, not after the round trip
  try {
    await emitAck('screen:annotation:add', { callId, type, data });
  } catch (e) {
    if (type !== 'pointer') toastError(e);
  }
}

export async function requestControl() {
  const { callId, sharerId } = call.get();
  if (!callId || !sharerId) return;
  try {
    await emitAck('screen:remote:request', { callId });
    toast(`Asked ${nameOf(sharerId)} for control…`);
  } catch (e) {
    toastError(e);
  }
}

export async function answerControl(granted: boolean) {
  const { callId, controlRequest } = call.get();
  patchCall({ controlRequest: null });
  if (!callId || !controlRequest) return;
  try {
    await emitAck('screen:remote:response', { callId, requesterId: controlRequest.fromUserId, granted });
  } catch (e) {
    return toastError(e);
  }
  if (!granted) return;
  patchCall((st) => ({ controllers: [...new Set([...st.controllers, controlRequest.fromUserId])] }));
  toast(`${controlRequest.username} can now point on your screen`);
}

/** As the sharer: takes control back from one viewer (or all, without `userId`). */
export async function revokeControl(userId?: string) {
  const { callId } = call.get();
  if (!callId) return;
  try {
    const { revoked } = await emitAck<{ revoked: string[] }>('screen:remote:revoke', { callId, ...(userId ? { userId } : {}) });
    patchCall((st) => ({ controllers: st.controllers.filter((id) => !revoked.includes(id)) }));
  } catch (e) {
    toastError(e);
  }
}

/** As the sharer: the shared picture's frame rate and bitrate, announced to the viewers. */
export async function setScreenQuality(quality: Quality) {
  const { callId, localScreen } = call.get();
  if (!callId || !localScreen) return;
  patchCall({ screenQuality: quality });
  await applyScreenQuality(localScreen.getVideoTracks()[0], [...links.values()].flatMap((l) => l.screenVideoSenders()), quality);
  await emitAck('screen:quality:change', { callId, quality }).catch(toastError);
}

/** As a viewer with control: gives it back. */
export async function releaseControl() {
  const { callId } = call.get();
  if (!callId) return;
  try {
    await emitAck('screen:remote:revoke', { callId });
    patchCall({ controlGranted: false });
  } catch (e) {
    toastError(e);
  }
}

const isMine = (callId: string) => call.get().callId === callId;

onSocket((s) => {
  s.on('screen:share:started', ({ callId, userId, quality }) => {
    if (isMine(callId)) patchCall({ sharerId: userId, annotations: [], controlGranted: false, controllers: [], screenQuality: quality });
  });
  s.on('screen:quality:changed', ({ callId, quality }) => {
    if (isMine(callId)) patchCall({ screenQuality: quality });
  });
  s.on('screen:share:stopped', ({ callId, userId }) => {
    if (!isMine(callId)) return;
    patchPeer(userId, { screen: null });
    if (call.get().sharerId === userId) patchCall({ sharerId: null, annotations: [], controlGranted: false });
  });
  s.on('screen:annotation:added', ({ callId, userId, annotation }) => {
    if (!isMine(callId)) return;
    // Local receipt time: pointers fade by our clock, not the sender's.
    patchCall((st) => ({ annotations: addLocal(st.annotations, { ...annotation, data: (annotation.data ?? {}) as AnnotationData, userId, createdAt: new Date().toISOString() }) }));
  });
  s.on('screen:remote:request', ({ callId, fromUserId }) => {
    if (isMine(callId)) patchCall({ controlRequest: { fromUserId, username: nameOf(fromUserId) } });
  });
  s.on('screen:remote:revoked', ({ callId, userId, reason }) => {
    if (!isMine(callId)) return;
    if (userId === me()?.id) {
      patchCall({ controlGranted: false });
      if (reason === 'revoked') toast('Control of the shared screen was taken back');
    } else if (reason === 'released') {
      // I share; a viewer gave control back.
      patchCall((st) => ({ controllers: st.controllers.filter((id) => id !== userId) }));
      toast(`${nameOf(userId)} gave control back`);
    }
  });
  s.on('screen:remote:response', ({ callId, granted, sharerId }) => {
    if (!isMine(callId)) return;
    patchCall({ controlGranted: granted });
    toast(granted ? `${nameOf(sharerId)} gave you control: your pointer shows on their screen` : `${nameOf(sharerId)} declined control`, granted ? 'info' : 'error');
  });
});
