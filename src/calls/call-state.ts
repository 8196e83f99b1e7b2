import { AppError } from '../errors.js';
import { getJson, updateKey, type SharedState } from '../state/shared-state.js';
import type { Annotation, EndReason, MediaState } from './calls.schema.js';

/**
 * The live state of calls, kept in SharedState so every node sees the same thing (REDIS_URL).
 * Every change goes through `mutate`, an atomic compare-and-set on one call document: of two
 * racing transitions (accept vs timeout, accept on two devices) exactly one applies, the other
 * re-reads the winner's document and fails its precondition. Node-local: timers, sockets.
 */
export interface ParticipantDoc {
  userId: string;
  username: string;
  role: 'initiator' | 'invitee';
  state: 'invited' | 'joined' | 'left' | 'declined' | 'missed';
  /** The one device (socket) that takes part: signals and media events go to it only. */
  socketId: string | null;
  joinedAt: number | null;
  leftAt: number | null;
  /** Set while the socket is gone: the participant leaves when it passes. */
  graceUntil: number | null;
  media: MediaState;
}

export interface ScreenDoc {
  /** New per share, so annotations of an old share can never leak into the next one. */
  shareId: string;
  sharerId: string;
  hasAudio: boolean;
  quality: 'low' | 'medium' | 'high';
  startedAt: number;
  controllers: string[];
  requests: string[];
}

export interface CallDoc {
  id: string;
  /** Bumped by every mutation; storage writes only move forward (calls.revision). */
  rev: number;
  kind: 'direct' | 'conference';
  callType: 'audio' | 'video';
  chatId: string | null;
  initiatorId: string;
  state: 'ringing' | 'active' | 'ended';
  endReason: EndReason | null;
  createdAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** Invitees still ringing at this instant are missed. */
  ringUntil: number;
  /** CALL_MAX_DURATION_MS: nothing stays active past it. */
  endBy: number;
  participants: Record<string, ParticipantDoc>;
  screen: ScreenDoc | null;
}

/** Thrown inside a mutation to leave the document as it is and report a failure. */
export const notFound = () => new AppError('NOT_FOUND', 'Call not found');

export function defaultMedia(callType: 'audio' | 'video'): MediaState {
  return {
    hasVideo: callType === 'video',
    hasAudio: true,
    streaming: false,
    videoEnabled: true,
    audioEnabled: true,
    quality: 'auto',
    inVideo: callType === 'video',
  };
}

/** An outsider learns nothing: a call they are not part of is "not found", like a missing one. */
export function requireParticipant(doc: CallDoc | null, userId: string): { doc: CallDoc; me: ParticipantDoc } {
  const me = doc?.participants[userId];
  if (!doc || !me) throw notFound();
  return { doc, me };
}

/** The caller must take part in the live call from this very socket. */
export function requireInCall(doc: CallDoc | null, userId: string, socketId: string): { doc: CallDoc; me: ParticipantDoc } {
  const found = requireParticipant(doc, userId);
  if (found.doc.state === 'ended') throw new AppError('CONFLICT', 'Call has ended');
  if (found.me.state !== 'joined') throw new AppError('FORBIDDEN', 'Join the call first');
  if (found.me.socketId !== socketId) throw new AppError('FORBIDDEN', 'This device is not in the call');
  return found;
}

const docKey = (callId: string) => `calls:doc:${callId}`;
const userKey = (userId: string) => `calls:user:${userId}`;
const pairKey = (a: string, b: string) => `calls:pair:${[a, b].sort().join(':')}`;
const annKey = (shareId: string) => `calls:ann:${shareId}`;
const annCountKey = (shareId: string) => `calls:ann:${shareId}:n`;
const annSeqKey = (shareId: string) => `calls:ann:${shareId}:seq`;
const seqOf = (a: Annotation) => Number(a.id.slice(a.id.lastIndexOf('-') + 1));
const LIVE = 'calls:live';
/** Ended documents linger briefly so late requests get "ended" (CONFLICT) rather than NOT_FOUND. */
const ENDED_TTL_MS = 60_000;

export class CallStore {
  constructor(
    readonly state: SharedState,
    private readonly maxDurationMs: number,
  ) {}

  private liveTtl(): number {
    return this.maxDurationMs + 3_600_000;
  }

  get(callId: string): Promise<CallDoc | null> {
    return getJson<CallDoc>(this.state, docKey(callId));
  }

  async create(doc: CallDoc): Promise<void> {
    const ok = await this.state.setIfAbsent(docKey(doc.id), JSON.stringify(doc), doc.state === 'ended' ? ENDED_TTL_MS : this.liveTtl());
    if (!ok) throw new AppError('CONFLICT', 'Call exists');
    if (doc.state !== 'ended') await this.state.sadd(LIVE, doc.id);
  }

  /**
   * Atomic transition. `fn` gets a private copy; it returns the result and whether the copy is
   * to be written (`changed`), or throws an AppError (nothing written). It may run more than
   * once under contention, so it must be pure apart from its copy.
   */
  async mutate<R>(callId: string, fn: (doc: CallDoc) => { changed: boolean; result: R }): Promise<{ doc: CallDoc; result: R }> {
    let out: { doc: CallDoc; result: R } | undefined;
    await updateKey<CallDoc>(
      this.state,
      docKey(callId),
      (current) => {
        if (!current) throw notFound();
        const copy = structuredClone(current);
        const { changed, result } = fn(copy);
        if (changed) copy.rev = current.rev + 1;
        out = { doc: changed ? copy : current, result };
        return changed ? copy : undefined;
      },
      // updateKey passes one TTL for every write; an ended doc is shortened by `settle`.
      undefined,
    );
    return out!;
  }

  /** After a call ended: short TTL on the document, out of the live set. */
  async settle(callId: string): Promise<void> {
    const raw = await this.state.get(docKey(callId));
    if (raw !== null) await this.state.compareAndSet(docKey(callId), raw, raw, ENDED_TTL_MS);
    await this.state.srem(LIVE, callId);
  }

  liveIds(): Promise<string[]> {
    return this.state.smembers(LIVE);
  }

  forgetLive(callId: string): Promise<void> {
    return this.state.srem(LIVE, callId);
  }

  // ---- per-user index: the calls a user is engaged in (ringing or joined) ----

  async userCalls(userId: string): Promise<string[]> {
    return (await getJson<string[]>(this.state, userKey(userId))) ?? [];
  }

  /** The live documents of a user's calls in which they ring or take part; prunes the rest. */
  async engagedCalls(userId: string): Promise<CallDoc[]> {
    const ids = await this.userCalls(userId);
    const docs = await Promise.all(ids.map((id) => this.get(id)));
    const live: CallDoc[] = [];
    const stale = new Set<string>();
    ids.forEach((id, i) => {
      const doc = docs[i];
      const p = doc?.participants[userId];
      if (doc && doc.state !== 'ended' && p && (p.state === 'invited' || p.state === 'joined')) live.push(doc);
      else stale.add(id);
    });
    if (stale.size > 0) {
      await updateKey<string[]>(this.state, userKey(userId), (list) => {
        const next = (list ?? []).filter((id) => !stale.has(id));
        return next.length === 0 ? null : next;
      });
    }
    return live;
  }

  /** Adds a call to a user's index, refusing beyond `limit` (MAX_CONCURRENT_CALLS). */
  async reserve(userId: string, callId: string, limit: number): Promise<void> {
    await this.engagedCalls(userId);
    await updateKey<string[]>(
      this.state,
      userKey(userId),
      (list) => {
        const current = list ?? [];
        if (current.includes(callId)) return undefined;
        if (current.length >= limit) throw new AppError('LIMIT_EXCEEDED', `At most ${limit} concurrent calls`);
        return [...current, callId];
      },
      this.liveTtl(),
    );
  }

  async release(userId: string, callId: string): Promise<void> {
    await updateKey<string[]>(this.state, userKey(userId), (list) => {
      if (!list?.includes(callId)) return undefined;
      const next = list.filter((id) => id !== callId);
      return next.length === 0 ? null : next;
    });
  }

  // ---- the pair lock: at most one live direct call per pair of users (glare) ----

  /** Claims the pair for callId; returns the call id holding it when taken. */
  async claimPair(a: string, b: string, callId: string): Promise<string | null> {
    if (await this.state.setIfAbsent(pairKey(a, b), callId, this.liveTtl())) return null;
    return this.state.get(pairKey(a, b));
  }

  pairHolder(a: string, b: string): Promise<string | null> {
    return this.state.get(pairKey(a, b));
  }

  /** Takes over a pair whose call is gone; false if someone else changed it meanwhile. */
  replacePair(a: string, b: string, staleCallId: string | null, callId: string): Promise<boolean> {
    return this.state.compareAndSet(pairKey(a, b), staleCallId, callId, this.liveTtl());
  }

  async releasePair(a: string, b: string, callId: string): Promise<void> {
    await this.state.compareAndSet(pairKey(a, b), callId, null);
  }

  // ---- annotations of the current share: a hash per share, plus a count for the cap ----

  /** Ids carry a per-share sequence, so annotations replay in the order they were made. */
  async nextAnnotationId(shareId: string): Promise<string> {
    return `${shareId.slice(0, 8)}-${await this.state.incr(annSeqKey(shareId), 1, this.liveTtl())}`;
  }

  async addAnnotation(shareId: string, annotation: Annotation, limit: number): Promise<void> {
    // A pointer replaces the same user's previous pointer, so it never counts towards the cap.
    const field = annotation.type === 'pointer' ? `pointer:${annotation.userId}` : annotation.id;
    if (annotation.type !== 'pointer') {
      const n = await this.state.incr(annCountKey(shareId), 1, this.liveTtl());
      if (n > limit) {
        await this.state.incr(annCountKey(shareId), -1);
        throw new AppError('LIMIT_EXCEEDED', `At most ${limit} annotations per share`);
      }
    }
    await this.state.hset(annKey(shareId), field, JSON.stringify(annotation));
  }

  async annotations(shareId: string | undefined): Promise<Annotation[]> {
    if (!shareId) return [];
    const all = Object.values(await this.state.hgetall(annKey(shareId))).map((v) => JSON.parse(v) as Annotation);
    return all.sort((x, y) => seqOf(x) - seqOf(y));
  }

  async clearAnnotations(shareId: string): Promise<void> {
    await this.state.del(annKey(shareId));
    await this.state.del(annCountKey(shareId));
  }

  /** The share is over: its annotations and counters go. */
  async dropShare(shareId: string): Promise<void> {
    await this.clearAnnotations(shareId);
    await this.state.del(annSeqKey(shareId));
  }
}
