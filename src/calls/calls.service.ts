import type { Logger } from 'pino';
import type { UsersRepository } from '../auth/users.repository.js';
import type { ChatRepository } from '../chat/chat.repository.js';
import type { ChatService } from '../chat/chat.service.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { PresenceService } from '../presence/presence.service.js';
import { rooms } from '../sockets/types.js';
import { announceShareStopped } from '../screen/screen.service.js';
import { endDoc, joinDoc, leaveDoc, ringTimeoutDoc, settleUnanswered, type EndOutcome, type LeaveOutcome } from './call-lifecycle.js';
import { CallStore, requireInCall, requireParticipant, type CallDoc, type ParticipantDoc } from './call-state.js';
import type { Call, CallSnapshot, IceServer } from './calls.schema.js';
import { toCall, toSnapshot } from './calls.mappers.js';
import { callRooms, silentNotifier, type CallNotifier } from './calls.notifier.js';
import type { CallsRepository } from './calls.repository.js';
import { CallSetup } from './call-setup.js';
import { CallTimers } from './call-timers.js';
import { iceServersFor } from './ice.js';

export interface Actor {
  id: string;
  username: string;
}

export interface CallServiceDeps {
  config: Config;
  logger: Logger;
  store: CallStore;
  repo: CallsRepository;
  users: UsersRepository;
  chat: ChatService;
  chatRepo: ChatRepository;
  presence: PresenceService;
}

const ended = () => new AppError('CONFLICT', 'Call has ended');

/**
 * The one call model behind call:*, conference:* (and the checks of video:* and screen:*):
 * rules and transitions, no Socket.io. Each operation is one atomic transition of the shared
 * document (CallStore.mutate), then its effects: storage (the call log), per-user indexes,
 * notifications through the CallNotifier port.
 */
export class CallService {
  notify: CallNotifier = silentNotifier;
  readonly timers: CallTimers;
  private readonly setup = new CallSetup(this);

  constructor(readonly deps: CallServiceDeps) {
    this.timers = new CallTimers(this, deps);
  }

  get store(): CallStore {
    return this.deps.store;
  }

  ice(userId: string): IceServer[] {
    return iceServersFor(this.deps.config.ice, userId);
  }

  initiate(me: Actor, socketId: string, input: { receiverId: string; callType: CallDoc['callType']; chatId?: string | undefined }) {
    return this.setup.initiate(me, socketId, input);
  }

  createConference(me: Actor, socketId: string, input: { participantIds: string[]; callType: CallDoc['callType']; chatId?: string | undefined }) {
    return this.setup.createConference(me, socketId, input);
  }

  async snapshot(doc: CallDoc, userId: string): Promise<CallSnapshot> {
    return toSnapshot(doc, await this.store.annotations(doc.screen?.shareId), this.ice(userId));
  }

  async respond(me: Actor, socketId: string, callId: string, action: 'accept' | 'decline'): Promise<CallSnapshot | { call: Call }> {
    requireParticipant(await this.store.get(callId), me.id);
    if (action === 'decline') return this.decline(me.id, socketId, callId);
    const now = Date.now();
    let late = false;
    const { doc } = await this.store.mutate(callId, (d) => {
      const p = d.participants[me.id]!;
      if (d.state === 'ended') throw ended();
      if (p.role === 'initiator' && d.kind === 'direct') throw new AppError('CONFLICT', 'You started this call');
      if (p.state === 'joined') throw new AppError('CONFLICT', p.socketId === socketId ? 'Already in the call' : 'Call was answered on another device');
      if (p.state !== 'invited') throw new AppError('CONFLICT', 'Call is no longer ringing for you');
      if (now >= d.ringUntil) {
        late = true;
        return { changed: false, result: null };
      }
      joinDoc(d, p, socketId, now);
      return { changed: true, result: null };
    });
    if (late) {
      // Accept lost against the deadline: settle the timeout now rather than at the next sweep.
      await this.ringTimeout(callId);
      throw new AppError('CONFLICT', 'Call has timed out');
    }
    await this.afterJoined(doc, me, socketId, { ringing: true, accepted: true });
    return this.snapshot(doc, me.id);
  }

  private async afterJoined(doc: CallDoc, me: Actor, socketId: string, how: { ringing: boolean; accepted: boolean }) {
    await this.deps.repo.write(doc);
    this.notify.join(socketId, callRooms(doc.id));
    if (how.accepted) this.notify.toRoom(rooms.call(doc.id), 'call:accepted', { callId: doc.id, userId: me.id }, socketId);
    if (doc.kind === 'conference') {
      this.notify.toRoom(rooms.call(doc.id), 'call:participant:joined', { callId: doc.id, userId: me.id, username: me.username }, socketId);
    }
    if (how.ringing) this.notify.toUser(me.id, 'call:ended', { callId: doc.id, reason: 'answered_elsewhere' }, socketId);
    if (!Object.values(doc.participants).some((p) => p.state === 'invited')) this.timers.clearRing(doc.id);
  }

  private async decline(userId: string, socketId: string, callId: string): Promise<{ call: Call }> {
    const now = Date.now();
    const { doc, result } = await this.store.mutate(callId, (d) => {
      const p = d.participants[userId]!;
      if (d.state === 'ended') throw ended();
      if (p.state !== 'invited') throw new AppError('CONFLICT', 'Call is no longer ringing for you');
      p.state = 'declined';
      return { changed: true, result: d.kind === 'direct' ? endDoc(d, 'declined', now) : settleUnanswered(d, now) };
    });
    this.notify.toRoom(rooms.call(callId), 'call:declined', { callId, userId });
    // The decliner's other devices stop ringing.
    this.notify.toUser(userId, 'call:ended', { callId, reason: 'declined' }, socketId);
    if (result) await this.afterEnded(doc, result);
    else {
      await this.deps.repo.write(doc);
      await this.store.release(userId, callId);
    }
    return { call: toCall(doc) };
  }

  async end(me: Actor, socketId: string, callId: string): Promise<{ call: Call }> {
    const { doc: current, me: p } = requireParticipant(await this.store.get(callId), me.id);
    if (current.state === 'ended') throw ended();
    if (p.state === 'invited') return this.decline(me.id, socketId, callId);
    if (current.kind === 'conference' && current.initiatorId !== me.id) return this.leave(me.id, callId, 'left');
    const now = Date.now();
    const { doc, result } = await this.store.mutate(callId, (d) => {
      if (d.state === 'ended') throw ended();
      if (d.participants[me.id]!.state !== 'joined') throw new AppError('CONFLICT', 'Not in the call');
      return { changed: true, result: endDoc(d, d.state === 'ringing' ? 'cancelled' : 'hangup', now) };
    });
    await this.afterEnded(doc, result);
    return { call: toCall(doc) };
  }

  /** Leaves a call; `onlyIf` makes it conditional (the grace expiry must not beat a rejoin). */
  async leave(userId: string, callId: string, why: 'left' | 'disconnected', onlyIf?: (p: ParticipantDoc) => boolean): Promise<{ call: Call }> {
    requireParticipant(await this.store.get(callId), userId);
    const now = Date.now();
    const { doc, result } = await this.store.mutate<LeaveOutcome | null>(callId, (d) => {
      const p = d.participants[userId]!;
      if (d.state === 'ended') throw ended();
      if (p.state !== 'joined') throw new AppError('CONFLICT', 'Not in the call');
      if (onlyIf && !onlyIf(p)) return { changed: false, result: null };
      return { changed: true, result: leaveDoc(d, p, now, why) };
    });
    if (!result) return { call: toCall(doc) };
    this.timers.clearGrace(callId, userId);
    if (result.socketId) this.notify.leave(result.socketId, callRooms(callId));
    if (result.share) await announceShareStopped(this.store, this.notify, doc, result.share, 'left');
    if (result.ended) await this.afterEnded(doc, result.ended);
    else {
      await this.deps.repo.write(doc);
      await this.store.release(userId, callId);
      this.notify.toRoom(rooms.call(callId), 'call:participant:left', { callId, userId, reason: why });
    }
    return { call: toCall(doc) };
  }

  async leaveConference(userId: string, callId: string): Promise<{ call: Call }> {
    const { doc } = requireParticipant(await this.store.get(callId), userId);
    if (doc.kind !== 'conference') throw new AppError('VALIDATION', 'Not a conference');
    return this.leave(userId, callId, 'left');
  }

  async joinConference(me: Actor, socketId: string, callId: string): Promise<CallSnapshot> {
    const { doc: current, me: p } = requireParticipant(await this.store.get(callId), me.id);
    if (current.kind !== 'conference') throw new AppError('VALIDATION', 'Not a conference');
    if (current.state === 'ended') throw ended();
    if (p.state === 'invited') return (await this.respond(me, socketId, callId, 'accept')) as CallSnapshot;
    if (p.state === 'joined') return this.rejoin(me, socketId, callId);
    await this.store.reserve(me.id, callId, this.deps.config.limits.maxConcurrentCalls);
    try {
      const now = Date.now();
      const { doc } = await this.store.mutate(callId, (d) => {
        const mine = d.participants[me.id]!;
        if (d.state === 'ended') throw ended();
        if (mine.state === 'joined' || mine.state === 'invited') throw new AppError('CONFLICT', 'Try again');
        joinDoc(d, mine, socketId, now);
        return { changed: true, result: null };
      });
      await this.afterJoined(doc, me, socketId, { ringing: false, accepted: false });
      return await this.snapshot(doc, me.id);
    } catch (err) {
      await this.store.release(me.id, callId).catch(() => {});
      throw err;
    }
  }

  /** Resumes the call on this socket: after a drop (within the grace) or moving devices. */
  async rejoin(me: Actor, socketId: string, callId: string): Promise<CallSnapshot> {
    requireParticipant(await this.store.get(callId), me.id);
    const { doc, result: old } = await this.store.mutate(callId, (d) => {
      const p = d.participants[me.id]!;
      if (d.state === 'ended') throw ended();
      if (p.state !== 'joined') throw new AppError('CONFLICT', 'Not in the call');
      const previous = p.socketId;
      p.socketId = socketId;
      p.graceUntil = null;
      return { changed: true, result: previous };
    });
    this.timers.clearGrace(callId, me.id);
    if (old && old !== socketId) {
      this.notify.leave(old, callRooms(callId));
      this.notify.toSocket(old, 'call:ended', { callId, reason: 'answered_elsewhere' });
    }
    const mine = doc.participants[me.id]!;
    this.notify.join(socketId, mine.media.inVideo ? callRooms(callId) : [rooms.call(callId), rooms.screen(callId)]);
    this.notify.toRoom(rooms.call(callId), 'call:participant:reconnected', { callId, userId: me.id }, socketId);
    return this.snapshot(doc, me.id);
  }

  /** Where a signal goes: the device with which the target takes part. */
  async signalTarget(userId: string, socketId: string, callId: string, targetUserId: string): Promise<string> {
    const { doc } = requireInCall(await this.store.get(callId), userId, socketId);
    const target = doc.participants[targetUserId];
    if (!target || targetUserId === userId || target.state !== 'joined') throw new AppError('NOT_FOUND', 'Participant not in the call');
    if (!target.socketId) throw new AppError('UNAVAILABLE', 'Participant is reconnecting');
    return target.socketId;
  }

  async ringTimeout(callId: string): Promise<void> {
    const now = Date.now();
    const { doc, result } = await this.store.mutate(callId, (d) => {
      const out = ringTimeoutDoc(d, now);
      return { changed: out !== null, result: out };
    });
    if (!result) return;
    if (result.ended) return this.afterEnded(doc, result.ended);
    await this.deps.repo.write(doc);
    for (const userId of result.missed) {
      await this.store.release(userId, callId);
      this.notify.toUser(userId, 'call:ended', { callId, reason: 'timeout' });
    }
  }

  async endFor(callId: string, reason: 'max_duration' | 'disconnected'): Promise<void> {
    const now = Date.now();
    const { doc, result } = await this.store.mutate<EndOutcome | null>(callId, (d) =>
      d.state === 'ended' ? { changed: false, result: null } : { changed: true, result: endDoc(d, reason, now) },
    );
    if (result) await this.afterEnded(doc, result);
  }

  /** The effects of an ended call: the log first (so REST agrees), then indexes, then sockets. */
  async afterEnded(doc: CallDoc, out: EndOutcome): Promise<void> {
    this.timers.clearCall(doc.id);
    await this.deps.repo.write(doc);
    const ids = Object.keys(doc.participants);
    await Promise.all(ids.map((id) => this.store.release(id, doc.id)));
    if (doc.kind === 'direct' && ids.length === 2) await this.store.releasePair(ids[0]!, ids[1]!, doc.id);
    if (out.share) await this.store.dropShare(out.share.shareId);
    await this.store.settle(doc.id);
    const payload = { callId: doc.id, reason: out.reason };
    this.notify.toRoom(rooms.call(doc.id), 'call:ended', payload);
    for (const userId of out.ringing) this.notify.toUser(userId, 'call:ended', payload);
    this.notify.dissolve(doc.id);
  }

  start(): void {
    this.timers.start();
  }

  close(): void {
    this.timers.close();
  }
}
