import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { rooms } from '../sockets/types.js';
import type { CallsRepository } from './calls.repository.js';
import type { CallService } from './calls.service.js';
import type { CallStore } from './call-state.js';

/** Storage rows younger than this are left alone by the sweep (their call may be being set up). */
const ORPHAN_AGE_MS = 10_000;

/**
 * Node-local timekeeping of calls: the ring timer (armed by the node that started the call),
 * reconnect-grace timers (armed by the node that saw the socket drop), and the periodic sweep
 * that settles whatever a timer missed, e.g. because its node died. Every action re-checks the
 * shared document atomically, so a timer firing late, twice, or on two nodes is harmless.
 */
export class CallTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  constructor(
    private readonly calls: CallService,
    private readonly deps: { config: Config; logger: Logger; store: CallStore; repo: CallsRepository },
  ) {}

  private arm(key: string, ms: number, fn: () => Promise<void>): void {
    this.clear(key);
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      fn().catch((err: unknown) => this.deps.logger.error({ err, key }, 'call timer failed'));
    }, Math.max(0, ms));
    timer.unref();
    this.timers.set(key, timer);
  }

  private clear(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  armRing(callId: string, ms: number): void {
    this.arm(`ring:${callId}`, ms, () => this.calls.ringTimeout(callId));
  }

  clearRing(callId: string): void {
    this.clear(`ring:${callId}`);
  }

  clearGrace(callId: string, userId: string): void {
    this.clear(`grace:${callId}:${userId}`);
  }

  clearCall(callId: string): void {
    for (const key of [...this.timers.keys()]) if (key.includes(`:${callId}`)) this.clear(key);
  }

  /** The participant may come back (call:rejoin) until graceUntil; after that they leave. */
  private expireGrace(callId: string, userId: string): Promise<unknown> {
    return this.calls
      .leave(userId, callId, 'disconnected', (p) => p.socketId === null && p.graceUntil !== null && Date.now() >= p.graceUntil)
      .catch(() => undefined);
  }

  /** A socket went away: the calls it took part in keep a seat for it for the grace period. */
  async onSocketDisconnect(userId: string, socketId: string): Promise<void> {
    const graceMs = this.deps.config.timeouts.callReconnectGraceMs;
    for (const doc of await this.deps.store.engagedCalls(userId)) {
      const p = doc.participants[userId];
      if (!p || p.state !== 'joined' || p.socketId !== socketId) continue;
      // A caller who vanishes while it still rings is gone: nobody to answer to.
      if (doc.kind === 'direct' && doc.state === 'ringing') {
        await this.calls.leave(userId, doc.id, 'disconnected', (q) => q.socketId === socketId).catch(() => undefined);
        continue;
      }
      const graceUntil = Date.now() + graceMs;
      const { result: dropped } = await this.deps.store.mutate(doc.id, (d) => {
        const q = d.participants[userId];
        if (d.state === 'ended' || !q || q.socketId !== socketId) return { changed: false, result: false };
        q.socketId = null;
        q.graceUntil = graceUntil;
        return { changed: true, result: true };
      });
      if (!dropped) continue;
      // graceUntil is in the shared document too: if this node dies, another node's sweep expires it.
      this.calls.notify.toRoom(rooms.call(doc.id), 'call:participant:disconnected', { callId: doc.id, userId, graceMs });
      this.arm(`grace:${doc.id}:${userId}`, graceMs, () => this.expireGrace(doc.id, userId).then(() => undefined));
    }
  }

  /** Ends what is overdue: ringing past the deadline, grace passed, max duration, lost state. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { store, repo } = this.deps;
      const live = new Set(await store.liveIds());
      for (const callId of live) {
        const doc = await store.get(callId);
        if (!doc) {
          await store.forgetLive(callId);
          live.delete(callId);
          continue;
        }
        if (doc.state === 'ended') {
          await repo.write(doc);
          await store.settle(callId);
          continue;
        }
        if (now >= doc.endBy) {
          await this.calls.endFor(callId, 'max_duration');
          continue;
        }
        if (now >= doc.ringUntil && Object.values(doc.participants).some((p) => p.state === 'invited')) {
          await this.calls.ringTimeout(callId);
        }
        for (const p of Object.values(doc.participants)) {
          if (p.state === 'joined' && p.graceUntil !== null && now >= p.graceUntil) await this.expireGrace(callId, p.userId);
        }
      }
      // Storage rows whose live state is gone (memory state lost in a restart, TTL ran out).
      for (const callId of await repo.openCallIds(now - ORPHAN_AGE_MS)) {
        if (live.has(callId)) continue;
        const doc = await store.get(callId);
        if (doc?.state === 'ended') await repo.write(doc);
        else if (!doc) await repo.closeOrphan(callId, now);
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'call sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep(), this.deps.config.timeouts.callSweepMs);
    this.sweeper.unref();
    void this.sweep();
  }

  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
