import type { Services } from '../context.js';
import type { SocketManager } from '../sockets/socket-manager.js';
import { rooms, type AppSocket } from '../sockets/types.js';

/** Rooms of the chats a user is in: the audience of their presence changes. */
function chatRoomsOf(socket: AppSocket): string[] {
  return [...socket.rooms].filter((r) => r.startsWith('chat:'));
}

/**
 * user:online when a user's first socket connects, user:offline with lastSeen when the last
 * one leaves; sent to the rooms of the user's chats, i.e. to everyone who shares a chat.
 */
export function registerPresence(socket: AppSocket, services: Services): void {
  const { userId } = socket.data;
  void services.presence
    .connect(userId, socket.id)
    .then(({ cameOnline }) => {
      const audience = chatRoomsOf(socket);
      if (cameOnline && audience.length > 0) socket.to(audience).emit('user:online', { userId });
    })
    .catch((err: unknown) => services.logger.error({ err, userId }, 'presence connect failed'));
}

export async function presenceOnDisconnect(socket: AppSocket, services: Services, manager: SocketManager): Promise<void> {
  const { userId } = socket.data;
  const { wentOffline, lastSeen } = await services.presence.disconnect(userId, socket.id);
  if (!wentOffline) return;
  const chatIds = await services.chat.chatIdsOfUser(userId);
  if (chatIds.length > 0) {
    manager.sendToRoom(chatIds.map(rooms.chat), 'user:offline', { userId, lastSeen: new Date(lastSeen).toISOString() });
  }
}
