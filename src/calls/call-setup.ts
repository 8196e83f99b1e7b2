import { newId } from '../db/ids.js';
import { AppError } from '../errors.js';
import { endDoc } from './call-lifecycle.js';
import { defaultMedia, type CallDoc, type ParticipantDoc } from './call-state.js';
import { toCall } from './calls.mappers.js';
import { callRooms } from './calls.notifier.js';
import type { Actor, CallService } from './calls.service.js';

/**
 * Starting calls: call:initiate (busy, unavailable, the concurrency limit, and glare, where
 * two users calling each other end up in one call) and conference:create. Split from
 * CallService, whose transitions and effects it uses.
 */
export class CallSetup {
  constructor(private readonly calls: CallService) {}

  newDoc(me: Actor, kind: CallDoc['kind'], callType: CallDoc['callType'], chatId: string | null, now: number): CallDoc {
    const initiator: ParticipantDoc = {
      userId: me.id, username: me.username, role: 'initiator', state: 'joined', socketId: null,
      joinedAt: now, leftAt: null, graceUntil: null, media: defaultMedia(callType),
    };
    return {
      id: newId(), rev: 0, kind, callType, chatId, initiatorId: me.id, state: 'ringing', endReason: null,
      createdAt: now, answeredAt: null, endedAt: null, ringUntil: now + this.calls.deps.config.timeouts.callMs,
      endBy: now + this.calls.deps.config.timeouts.callMaxDurationMs, participants: { [me.id]: initiator }, screen: null,
    };
  }

  invitee(userId: string, username: string, callType: CallDoc['callType']): ParticipantDoc {
    return { userId, username, role: 'invitee', state: 'invited', socketId: null, joinedAt: null, leftAt: null, graceUntil: null, media: defaultMedia(callType) };
  }

  /** A user who takes part in a call, or rings in a 1:1 call, or is at the limit, is busy. */
  private async isBusy(userId: string): Promise<boolean> {
    const docs = await this.calls.store.engagedCalls(userId);
    if (docs.length >= this.calls.deps.config.limits.maxConcurrentCalls) return true;
    return docs.some((d) => d.participants[userId]?.state === 'joined' || d.kind === 'direct');
  }

  /** Already in MAX_CONCURRENT_CALLS calls (ringing or active): not rung for one more. */
  private async atCallLimit(userId: string): Promise<boolean> {
    const docs = await this.calls.store.engagedCalls(userId);
    return docs.length >= this.calls.deps.config.limits.maxConcurrentCalls;
  }

  /** The receiver's own ringing call to the caller, if they are calling each other (glare). */
  private async glareCall(callerId: string, receiverId: string, holder: string | null): Promise<CallDoc | null> {
    if (!holder) return null;
    const doc = await this.calls.store.get(holder);
    if (!doc || doc.state === 'ended') return null;
    if (doc.state === 'ringing' && doc.initiatorId === receiverId && doc.participants[callerId]?.state === 'invited') return doc;
    throw new AppError('CONFLICT', 'You are already in a call with this user');
  }

  async initiate(me: Actor, socketId: string, input: { receiverId: string; callType: CallDoc['callType']; chatId?: string | undefined }) {
    const { receiverId } = input;
    if (receiverId === me.id) throw new AppError('VALIDATION', 'You cannot call yourself');
    const receiver = await this.calls.deps.users.findById(receiverId);
    if (!receiver) throw new AppError('NOT_FOUND', 'User not found');
    if (input.chatId) {
      await this.calls.deps.chat.requireMember(input.chatId, me.id);
      if (!(await this.calls.deps.chatRepo.findMembership(input.chatId, receiverId))) throw new AppError('NOT_FOUND', 'User not found');
    }
    // Glare: they are ringing me right now, so calling them back answers their call.
    const pending = await this.glareCall(me.id, receiverId, await this.calls.store.pairHolder(me.id, receiverId));
    if (pending) return this.answerGlare(me, socketId, pending.id);

    const now = Date.now();
    const doc = this.newDoc(me, 'direct', input.callType, input.chatId ?? null, now);
    doc.participants[receiverId] = this.invitee(receiverId, receiver.username, input.callType);
    await this.calls.store.reserve(me.id, doc.id, this.calls.deps.config.limits.maxConcurrentCalls);
    try {
      const online = await this.calls.deps.presence.isOnline(receiverId);
      const refusal = !online ? 'unavailable' : (await this.isBusy(receiverId)) ? 'busy' : null;
      if (refusal) return await this.refuse(doc, refusal, now, socketId);

      doc.participants[me.id]!.socketId = socketId;
      await this.calls.store.create(doc);
      this.calls.notify.join(socketId, callRooms(doc.id));
      // The atomic claim of the pair decides between two users calling each other at once.
      let holder: CallDoc | null;
      try {
        holder = await this.claimPair(me.id, receiverId, doc.id);
      } catch (err) {
        await this.discard(doc, socketId);
        throw err;
      }
      if (holder) {
        await this.discard(doc, socketId);
        return this.answerGlare(me, socketId, holder.id);
      }
      await this.calls.store.reserve(receiverId, doc.id, Number.MAX_SAFE_INTEGER);
      await this.calls.deps.repo.insert(doc);
      // A glare-answer may have landed between create and insert: store the newest state.
      const latest = (await this.calls.store.get(doc.id)) ?? doc;
      if (latest.rev > doc.rev) await this.calls.deps.repo.write(latest);
      if (latest.state === 'ringing') {
        this.calls.timers.armRing(doc.id, doc.ringUntil - now);
        this.ring(latest, [receiverId], me);
      }
      return { call: toCall(latest), iceServers: this.calls.ice(me.id) };
    } catch (err) {
      await this.calls.store.release(me.id, doc.id).catch(() => {});
      throw err;
    }
  }

  private async claimPair(a: string, b: string, callId: string): Promise<CallDoc | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const holder = await this.calls.store.claimPair(a, b, callId);
      if (holder === null || holder === callId) return null;
      const glare = await this.glareCall(a, b, holder);
      if (glare) return glare;
      if (await this.calls.store.replacePair(a, b, holder, callId)) return null;
    }
    throw new AppError('CONFLICT', 'Call setup raced; try again');
  }

  /** Drops a call that lost the pair claim before anyone heard of it (never logged). */
  private async discard(doc: CallDoc, socketId: string): Promise<void> {
    await this.calls.store.mutate(doc.id, (d) => ({ changed: true, result: endDoc(d, 'cancelled', Date.now()) }));
    await this.calls.store.settle(doc.id);
    this.calls.notify.leave(socketId, callRooms(doc.id));
    await this.calls.store.release(doc.initiatorId, doc.id);
  }

  private async answerGlare(me: Actor, socketId: string, callId: string) {
    const snap = await this.calls.respond(me, socketId, callId, 'accept');
    return { call: snap.call, iceServers: this.calls.ice(me.id) };
  }

  /** Busy or unavailable: the call is logged as ended at once (missed by the receiver). */
  private async refuse(doc: CallDoc, reason: 'busy' | 'unavailable', now: number, socketId: string) {
    endDoc(doc, reason, now);
    await this.calls.store.create(doc);
    await this.calls.deps.repo.insert(doc);
    await this.calls.store.release(doc.initiatorId, doc.id);
    // After the ack (which already carries the ended call), so clients learn the id first.
    setImmediate(() => this.calls.notify.toSocket(socketId, 'call:ended', { callId: doc.id, reason }));
    return { call: toCall(doc), iceServers: this.calls.ice(doc.initiatorId) };
  }

  private ring(doc: CallDoc, userIds: string[], caller: Actor): void {
    const participantIds = Object.keys(doc.participants);
    for (const userId of userIds) {
      this.calls.notify.toUser(userId, 'call:incoming', {
        callId: doc.id, kind: doc.kind, callType: doc.callType, chatId: doc.chatId,
        caller: { id: caller.id, username: caller.username }, participantIds, iceServers: this.calls.ice(userId),
      });
    }
  }

  async createConference(me: Actor, socketId: string, input: { participantIds: string[]; callType: CallDoc['callType']; chatId?: string | undefined }) {
    const ids = [...new Set(input.participantIds)].filter((id) => id !== me.id);
    if (ids.length === 0) throw new AppError('VALIDATION', 'Invite at least one other user');
    const max = this.calls.deps.config.limits.maxConferenceParticipants;
    if (ids.length + 1 > max) throw new AppError('LIMIT_EXCEEDED', `At most ${max} conference participants`);
    const found = await this.calls.deps.users.findByIds(ids);
    if (found.length !== ids.length) throw new AppError('NOT_FOUND', 'User not found');
    if (input.chatId) {
      await this.calls.deps.chat.requireMember(input.chatId, me.id);
      const members = new Set(await this.calls.deps.chatRepo.memberIds(input.chatId));
      if (ids.some((id) => !members.has(id))) throw new AppError('NOT_FOUND', 'User not found');
    }
    const now = Date.now();
    const doc = this.newDoc(me, 'conference', input.callType, input.chatId ?? null, now);
    // An invitee already at MAX_CONCURRENT_CALLS is not rung: the call is in their log as missed,
    // as a direct call to them would be refused as busy. Nobody left to ring: it ends as busy.
    const atLimit = await Promise.all(found.map((u) => this.atCallLimit(u.id)));
    const ringIds: string[] = [];
    found.forEach((u, i) => {
      const invitee = this.invitee(u.id, u.username, input.callType);
      if (atLimit[i]) invitee.state = 'missed';
      else ringIds.push(u.id);
      doc.participants[u.id] = invitee;
    });
    doc.participants[me.id]!.socketId = socketId;
    await this.calls.store.reserve(me.id, doc.id, this.calls.deps.config.limits.maxConcurrentCalls);
    if (ringIds.length === 0) return this.refuse(doc, 'busy', now, socketId);
    try {
      await this.calls.deps.repo.insert(doc);
      await this.calls.store.create(doc);
    } catch (err) {
      await this.calls.store.release(me.id, doc.id);
      throw err;
    }
    this.calls.notify.join(socketId, callRooms(doc.id));
    await Promise.all(ringIds.map((id) => this.calls.store.reserve(id, doc.id, Number.MAX_SAFE_INTEGER)));
    this.calls.timers.armRing(doc.id, doc.ringUntil - now);
    this.ring(doc, ringIds, me);
    return { call: toCall(doc), iceServers: this.calls.ice(me.id) };
  }
}
