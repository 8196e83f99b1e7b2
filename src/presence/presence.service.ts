import type { UsersRepository } from '../auth/users.repository.js';
import { getJson, updateKey, type SharedState } from '../state/shared-state.js';

interface PresenceDoc {
  /** socketId → nodeId: a user is online while any of their sockets is live on a live node. */
  sockets: Record<string, string>;
}

const ONLINE_SET = 'presence:online';
const docKey = (userId: string) => `presence:user:${userId}`;

/**
 * Online status per user, not per socket: the first socket makes a user online, the last one
 * leaving makes them offline and stamps lastSeen in storage. Kept in SharedState so every node
 * agrees; each change is an atomic update of one small document per user.
 */
export class PresenceService {
  constructor(
    private readonly state: SharedState,
    private readonly users: UsersRepository,
    private readonly nodeId: string,
  ) {}

  async connect(userId: string, socketId: string): Promise<{ cameOnline: boolean }> {
    let cameOnline = false;
    await updateKey<PresenceDoc>(this.state, docKey(userId), (doc) => {
      const sockets = { ...(doc?.sockets ?? {}) };
      cameOnline = Object.keys(sockets).length === 0;
      sockets[socketId] = this.nodeId;
      return { sockets };
    });
    if (cameOnline) await this.state.sadd(ONLINE_SET, userId);
    return { cameOnline };
  }

  async disconnect(userId: string, socketId: string): Promise<{ wentOffline: boolean; lastSeen: number }> {
    let wentOffline = false;
    await updateKey<PresenceDoc>(this.state, docKey(userId), (doc) => {
      if (!doc || !(socketId in doc.sockets)) return undefined;
      const sockets = { ...doc.sockets };
      delete sockets[socketId];
      wentOffline = Object.keys(sockets).length === 0;
      return wentOffline ? null : { sockets };
    });
    const lastSeen = Date.now();
    if (wentOffline) {
      await this.state.srem(ONLINE_SET, userId);
      await this.users.setLastSeen(userId, lastSeen);
    }
    return { wentOffline, lastSeen };
  }

  /**
   * Drops every socket a node held (that node died or is shutting down). Returns the users who
   * thereby went offline, so the caller can tell their contacts; `onDropped` learns each user's
   * dropped socket ids (their calls then get the reconnect grace).
   */
  async forgetNode(
    nodeId: string,
    userIds: Iterable<string>,
    onDropped?: (userId: string, socketIds: string[]) => void,
  ): Promise<string[]> {
    const offline: string[] = [];
    for (const userId of userIds) {
      let wentOffline = false;
      let dropped: string[] = [];
      await updateKey<PresenceDoc>(this.state, docKey(userId), (doc) => {
        dropped = [];
        if (!doc) return undefined;
        dropped = Object.entries(doc.sockets).filter(([, node]) => node === nodeId).map(([socketId]) => socketId);
        const sockets = Object.fromEntries(Object.entries(doc.sockets).filter(([, node]) => node !== nodeId));
        if (Object.keys(sockets).length === Object.keys(doc.sockets).length) return undefined;
        wentOffline = Object.keys(sockets).length === 0;
        return wentOffline ? null : { sockets };
      });
      if (dropped.length > 0) onDropped?.(userId, dropped);
      if (wentOffline) {
        await this.state.srem(ONLINE_SET, userId);
        await this.users.setLastSeen(userId, Date.now());
        offline.push(userId);
      }
    }
    return offline;
  }

  async isOnline(userId: string): Promise<boolean> {
    const doc = await getJson<PresenceDoc>(this.state, docKey(userId));
    return !!doc && Object.keys(doc.sockets).length > 0;
  }

  async onlineUserIds(): Promise<string[]> {
    return this.state.smembers(ONLINE_SET);
  }

  /** The subset of userIds that is online (asks about these users only, not the whole set). */
  async onlineAmong(userIds: Iterable<string>): Promise<Set<string>> {
    const ids = [...new Set(userIds)];
    const flags = await Promise.all(ids.map((id) => this.state.sismember(ONLINE_SET, id)));
    return new Set(ids.filter((_, i) => flags[i]));
  }
}
