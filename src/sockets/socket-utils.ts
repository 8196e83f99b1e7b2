import type { Message } from '../shared/models.js';
import type { SocketManager } from './socket-manager.js';
import { getSocketManager } from './registry.js';

/** The seed's SocketUtils: helpers for controllers that store data and then tell sockets. */
export const SocketUtils = {
  /** Tells the chat room of a stored message (`message:receive {chatId, message}`). */
  async sendChatMessage(chatId: string, message: Message, manager: SocketManager = getSocketManager()): Promise<void> {
    manager.sendToChat(chatId, 'message:receive', { chatId, message });
  },
  /** Tells one user on all devices. */
  async notifyUser(userId: string, type: string, data?: unknown, manager: SocketManager = getSocketManager()): Promise<void> {
    manager.sendToUser(userId, 'notification', { type, data, at: new Date().toISOString() });
  },
};
