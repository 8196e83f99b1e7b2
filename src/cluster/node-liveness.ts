import type { Services } from '../context.js';
import type { SocketManager } from '../sockets/socket-manager.js';
import { rooms, type AppServer } from '../sockets/types.js';

const NODES = 'cluster:nodes';
const aliveKey = (nodeId: string) => `cluster:node:${nodeId}`;
const usersKey = (nodeId: string) => `cluster:node-users:${nodeId}`;
const reapKey = (nodeId: string) => `cluster:reap:${nodeId}`;

/** Every this many heartbeats the node re-writes its whole user index (repairs any race). */
const FULL_REFRESH_EVERY = 6;

/**
 * Node liveness in cluster mode (docs/cluster.md).
 *
 * Each node keeps a heartbeat key with a TTL of PRESENCE_TTL_MS, refreshed every third of it,
 * and an index of the users it holds sockets for. Every node also looks, as often, for nodes in
 * the registry whose heartbeat expired: one of them (a short lock) drops the dead node's sockets
 * from presence (PresenceService.forgetNode) and tells the contacts of the users that thereby
 * went offline. A user who reconnected to another node meanwhile keeps a live socket in their
 * presence document, so they never appear offline. A node that finds its own heartbeat gone
 * (Redis restarted and lost everything, or the node stalled and was reaped) writes its presence
 * back from its live sockets.
 */
export class NodeLiveness {
  private readonly nodeId: string;
  private readonly ttlMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private beats = 0;
  private readonly deadSocketListeners: Array<(userId: string, socketId: string) => Promise<void> | void> = [];
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly services: Services,
    private readonly manager: SocketManager,
    private readonly io: AppServer,
  ) {
    this.nodeId = services.config.nodeId;
    this.ttlMs = services.config.presenceTtlMs;
    manager.onConnection((socket) => {
      void this.services.state.sadd(usersKey(this.nodeId), socket.data.userId).catch(() => {});
    });
    manager.onDisconnect(async (socket) => {
      const { userId } = socket.data;
      // While draining, the index must stay whole: peers forget these users from it later.
      if (this.stopped || this.manager.localSocketCount(userId) > 0) return;
      await this.services.state.srem(usersKey(this.nodeId), userId);
      // A socket of the user that connected meanwhile must stay indexed.
      if (this.manager.localSocketCount(userId) > 0) await this.services.state.sadd(usersKey(this.nodeId), userId);
    });
  }

  /** Called for each socket of a dead node (as its own disconnect would have been). */
  onDeadSocket(listener: (userId: string, socketId: string) => Promise<void> | void): void {
    this.deadSocketListeners.push(listener);
  }

  get intervalMs(): number {
    return Math.max(200, Math.floor(this.ttlMs / 3));
  }

  start(): void {
    const serial = (fn: () => Promise<void>) => () => {
      if (this.stopped) return;
      this.running = this.running.then(fn).catch((err: unknown) => {
        this.services.logger.warn({ err: err instanceof Error ? err.message : err }, 'node liveness step failed');
      });
    };
    serial(() => this.heartbeat())();
    const beat = setInterval(serial(() => this.heartbeat()), this.intervalMs);
    // Reapers of different nodes start at different phases.
    const reap = setInterval(serial(() => this.reap()), this.intervalMs + Math.floor(Math.random() * 100));
    beat.unref();
    reap.unref();
    this.timers.push(beat, reap);
  }

  /** One heartbeat: refresh the key; if it had vanished, write this node's presence back. */
  async heartbeat(): Promise<void> {
    const { state } = this.services;
    const first = this.beats === 0;
    this.beats++;
    const had = await state.get(aliveKey(this.nodeId));
    await state.set(aliveKey(this.nodeId), String(Date.now()), this.ttlMs);
    await state.sadd(NODES, this.nodeId);
    if ((had === null && !first) || this.beats % FULL_REFRESH_EVERY === 0) await this.restoreLocalState(had === null && !first);
  }

  /** Re-writes the user index and (after a loss) the presence of every live local socket. */
  private async restoreLocalState(presenceLost: boolean): Promise<void> {
    const sockets = [...this.io.of('/').sockets.values()];
    for (const userId of new Set(sockets.map((s) => s.data.userId))) await this.services.state.sadd(usersKey(this.nodeId), userId);
    if (!presenceLost) return;
    this.services.logger.warn({ sockets: sockets.length }, 'node heartbeat was gone (Redis restarted or node stalled): restoring presence');
    for (const socket of sockets) {
      if (!socket.connected) continue;
      const { cameOnline } = await this.services.presence.connect(socket.data.userId, socket.id);
      if (!cameOnline) continue;
      const chatRooms = [...socket.rooms].filter((r) => r.startsWith('chat:'));
      if (chatRooms.length > 0) this.manager.sendToRoom(chatRooms, 'user:online', { userId: socket.data.userId });
    }
  }

  /** Finds nodes whose heartbeat expired and forgets their sockets. */
  async reap(): Promise<void> {
    const { state } = this.services;
    const nodes = await state.smembers(NODES);
    for (const nodeId of nodes) {
      if (nodeId === this.nodeId || this.stopped) continue;
      if ((await state.get(aliveKey(nodeId))) !== null) continue;
      if (!(await state.setIfAbsent(reapKey(nodeId), this.nodeId, this.ttlMs))) continue;
      await this.forgetNode(nodeId);
    }
  }

  private async forgetNode(nodeId: string): Promise<void> {
    const { state, presence, chat, logger } = this.services;
    const userIds = await state.smembers(usersKey(nodeId));
    const dropped: Array<[string, string]> = [];
    const offline = await presence.forgetNode(nodeId, userIds, (userId, socketIds) => {
      for (const socketId of socketIds) dropped.push([userId, socketId]);
    });
    for (const [userId, socketId] of dropped) {
      for (const listener of this.deadSocketListeners) {
        await Promise.resolve()
          .then(() => listener(userId, socketId))
          .catch((err: unknown) => logger.warn({ err, userId, socketId }, 'dead socket clean-up failed'));
      }
    }
    const lastSeen = new Date().toISOString();
    for (const userId of offline) {
      const chatIds = await chat.chatIdsOfUser(userId);
      if (chatIds.length > 0) this.manager.sendToRoom(chatIds.map(rooms.chat), 'user:offline', { userId, lastSeen });
    }
    await state.del(usersKey(nodeId));
    await state.srem(NODES, nodeId);
    logger.info({ deadNode: nodeId, users: userIds.length, wentOffline: offline.length }, 'forgot a dead node');
  }

  /**
   * Graceful leave: stop beating and let the heartbeat expire after `graceMs`, so peers forget
   * this node's sockets then; clients that reconnect elsewhere before never appear offline.
   */
  async drain(graceMs: number): Promise<void> {
    this.stop();
    await this.running;
    await this.services.state.set(aliveKey(this.nodeId), String(Date.now()), Math.max(1, graceMs)).catch(() => {});
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
  }
}
