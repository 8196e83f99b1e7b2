import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { rooms } from '../sockets/types.js';
import { requireInCall, type CallDoc, type CallStore, type ScreenDoc } from '../calls/call-state.js';
import type { Annotation, ScreenShare } from '../calls/calls.schema.js';
import type { CallNotifier } from '../calls/calls.notifier.js';
import type { CallService } from '../calls/calls.service.js';
import { MAX_ANNOTATIONS } from './screen.schema.js';

const noShare = () => new AppError('NOT_FOUND', 'No active screen share');

export function toShare(s: ScreenDoc): ScreenShare {
  return { sharerId: s.sharerId, hasAudio: s.hasAudio, quality: s.quality, startedAt: new Date(s.startedAt).toISOString(), controllers: s.controllers };
}

/**
 * A share ended (stopped, or its sharer left): the room hears it, remote control ends with it
 * (each controller is told), and its annotations are dropped.
 */
export async function announceShareStopped(
  store: CallStore,
  notify: CallNotifier,
  doc: CallDoc,
  share: ScreenDoc,
  reason: 'stopped' | 'left',
  exceptSocketId?: string,
): Promise<void> {
  await store.dropShare(share.shareId);
  notify.toRoom(rooms.screen(doc.id), 'screen:share:stopped', { callId: doc.id, userId: share.sharerId, reason }, exceptSocketId);
  for (const userId of share.controllers) {
    const socketId = doc.participants[userId]?.socketId;
    if (socketId) notify.toSocket(socketId, 'screen:remote:revoked', { callId: doc.id, sharerId: share.sharerId, userId, reason: 'share_stopped' });
  }
}

/**
 * Screen sharing on the shared call document: one sharer per call; remote control only by the
 * sharer's consent to a pending request; annotations kept per share in SharedState.
 */
export class ScreenService {
  constructor(private readonly calls: CallService) {}

  private get store() {
    return this.calls.store;
  }

  async start(userId: string, socketId: string, input: { callId: string; hasAudio: boolean; quality: ScreenDoc['quality'] }) {
    const now = Date.now();
    const { result } = await this.store.mutate(input.callId, (d) => {
      requireInCall(d, userId, socketId);
      if (d.screen) throw new AppError('CONFLICT', d.screen.sharerId === userId ? 'You are already sharing' : 'Someone else is sharing');
      d.screen = { shareId: randomUUID(), sharerId: userId, hasAudio: input.hasAudio, quality: input.quality, startedAt: now, controllers: [], requests: [] };
      return { changed: true, result: d.screen };
    });
    return toShare(result);
  }

  async stop(userId: string, socketId: string, callId: string): Promise<void> {
    const { doc, result: share } = await this.store.mutate(callId, (d) => {
      requireInCall(d, userId, socketId);
      if (!d.screen) throw noShare();
      if (d.screen.sharerId !== userId) throw new AppError('FORBIDDEN', 'Only the sharer can stop the share');
      const s = d.screen;
      d.screen = null;
      return { changed: true, result: s };
    });
    await announceShareStopped(this.store, this.calls.notify, doc, share, 'stopped', socketId);
  }

  /** Records the pending request; returns the sharer's socket, which is asked. */
  async requestControl(userId: string, socketId: string, callId: string): Promise<string> {
    const { doc } = await this.store.mutate(callId, (d) => {
      requireInCall(d, userId, socketId);
      if (!d.screen) throw noShare();
      if (d.screen.sharerId === userId) throw new AppError('VALIDATION', 'You are the sharer');
      if (d.screen.controllers.includes(userId)) throw new AppError('CONFLICT', 'You already have control');
      if (d.screen.requests.includes(userId)) return { changed: false, result: null };
      d.screen.requests.push(userId);
      return { changed: true, result: null };
    });
    const sharerSocket = doc.participants[doc.screen!.sharerId]?.socketId;
    if (!sharerSocket) throw new AppError('UNAVAILABLE', 'The sharer is reconnecting');
    return sharerSocket;
  }

  /** The sharer answers a pending request; returns the requester's socket. */
  async respondControl(userId: string, socketId: string, input: { callId: string; requesterId: string; granted: boolean }): Promise<string | null> {
    const { doc } = await this.store.mutate(input.callId, (d) => {
      requireInCall(d, userId, socketId);
      if (!d.screen) throw noShare();
      if (d.screen.sharerId !== userId) throw new AppError('FORBIDDEN', 'Only the sharer can answer');
      if (!d.screen.requests.includes(input.requesterId)) throw new AppError('NOT_FOUND', 'No such request');
      d.screen.requests = d.screen.requests.filter((id) => id !== input.requesterId);
      if (input.granted && d.participants[input.requesterId]?.state === 'joined') d.screen.controllers.push(input.requesterId);
      return { changed: true, result: null };
    });
    return doc.participants[input.requesterId]?.socketId ?? null;
  }

  /** The sharer revokes one controller or all; a controller may release its own control. */
  async revokeControl(userId: string, socketId: string, callId: string, target?: string) {
    const { doc, result } = await this.store.mutate(callId, (d) => {
      requireInCall(d, userId, socketId);
      if (!d.screen) throw noShare();
      const s = d.screen;
      let revoked: string[];
      let reason: 'revoked' | 'released';
      if (s.sharerId === userId) {
        if (target !== undefined && !s.controllers.includes(target)) throw new AppError('NOT_FOUND', 'That user has no control');
        revoked = target === undefined ? [...s.controllers] : [target];
        reason = 'revoked';
      } else if (s.controllers.includes(userId) && (target === undefined || target === userId)) {
        revoked = [userId];
        reason = 'released';
      } else throw new AppError('FORBIDDEN', 'Only the sharer can revoke control');
      s.controllers = s.controllers.filter((id) => !revoked.includes(id));
      return { changed: revoked.length > 0, result: { revoked, reason, sharerId: s.sharerId } };
    });
    for (const revokedId of result.revoked) {
      // Revoked: the controller is told; released: the sharer is told.
      const recipient = result.reason === 'revoked' ? revokedId : result.sharerId;
      const sock = doc.participants[recipient]?.socketId;
      if (sock) this.calls.notify.toSocket(sock, 'screen:remote:revoked', { callId, sharerId: result.sharerId, userId: revokedId, reason: result.reason });
    }
    return result.revoked;
  }

  async annotate(userId: string, socketId: string, input: { callId: string; type: Annotation['type']; data?: unknown }): Promise<Annotation> {
    const { doc } = requireInCall(await this.store.get(input.callId), userId, socketId);
    if (!doc.screen) throw noShare();
    const shareId = doc.screen.shareId;
    const annotation: Annotation = {
      id: await this.store.nextAnnotationId(shareId),
      type: input.type,
      data: input.data ?? null,
      userId,
      createdAt: new Date().toISOString(),
    };
    if (annotation.type === 'clear') await this.store.clearAnnotations(shareId);
    else await this.store.addAnnotation(shareId, annotation, MAX_ANNOTATIONS);
    // The share may have stopped meanwhile: then what was just written goes with it.
    const after = await this.store.get(input.callId);
    if (after?.screen?.shareId !== shareId) {
      await this.store.dropShare(shareId);
      throw noShare();
    }
    return annotation;
  }

  async changeQuality(userId: string, socketId: string, callId: string, quality: ScreenDoc['quality']): Promise<void> {
    await this.store.mutate(callId, (d) => {
      requireInCall(d, userId, socketId);
      if (!d.screen) throw noShare();
      if (d.screen.sharerId !== userId) throw new AppError('FORBIDDEN', 'Only the sharer can change the quality');
      d.screen.quality = quality;
      return { changed: true, result: null };
    });
  }
}
