import type { Services } from '../context.js';
import { registerEvent, type HandlerContext } from '../sockets/register-event.js';
import type { SocketManager } from '../sockets/socket-manager.js';
import { rooms } from '../sockets/types.js';
import type { TypingService } from './typing.service.js';
import type { ClientEventName } from '../shared/events.js';
import type { SocketFeature } from '../sockets/features.js';
import { chatClientEvents } from './chat.schema.js';

/**
 * The seed's ChatSocketHandler: message:send/read/edit/delete and typing:start/stop.
 * Each handler: validate (registerEvent) → authorize + act (ChatService) → ack → broadcast.
 * Broadcasts go to the chat room but not to the sending socket, which has the ack.
 */
export function registerChatHandlers(
  ctx: HandlerContext,
  services: Services,
  manager: SocketManager,
  typing: TypingService,
): void {
  const { socket } = ctx;
  const userId = socket.data.userId;
  const typingIn = new Set<string>();

  registerEvent(ctx, 'message:send', async (input) => {
    // The socket is in a chat's room exactly while its user is a member (joined at connect and
    // on add, left on removal), so the room is a free membership check for the hot path.
    const memberKnown = socket.rooms.has(rooms.chat(input.chatId));
    const { message, duplicate } = await services.chat.sendMessage(userId, input, { memberKnown });
    // A retry of a stored message is not told again: the others already have it.
    if (!duplicate) socket.to(rooms.chat(input.chatId)).emit('message:receive', { chatId: input.chatId, message });
    // Sending ends typing, as in every messenger. Best effort: the message is stored, so a shared
    // state outage (Redis down) must not turn its ack into an error (the typing TTL ends it).
    if (typingIn.delete(input.chatId) && (await typing.stop(input.chatId, userId).catch(() => false))) {
      socket.to(rooms.chat(input.chatId)).emit('typing:stopped', { chatId: input.chatId, userId });
    }
    return duplicate ? { message, duplicate } : { message };
  });

  registerEvent(ctx, 'message:read', async ({ chatId, messageId }) => {
    const { readAt, seq, moved, changeSeq } = await services.chat.markRead(userId, chatId, messageId);
    if (moved && changeSeq !== null) {
      socket.to(rooms.chat(chatId)).emit('message:read', { chatId, messageId, userId, readAt, seq, changeSeq });
    }
    return { readAt, seq };
  });

  registerEvent(ctx, 'message:edit', async ({ messageId, content }) => {
    const message = await services.chat.editMessage(userId, messageId, content);
    socket.to(rooms.chat(message.chatId)).emit('message:edited', { chatId: message.chatId, message });
    return { message };
  });

  registerEvent(ctx, 'message:delete', async ({ messageId }) => {
    const message = await services.chat.deleteMessage(userId, messageId);
    socket
      .to(rooms.chat(message.chatId))
      .emit('message:deleted', { chatId: message.chatId, messageId, changeSeq: message.changeSeq });
    return { messageId };
  });

  registerEvent(ctx, 'typing:start', async ({ chatId, isTyping }) => {
    await services.chat.requireMember(chatId, userId);
    // The seed's payload carries isTyping; false means stop.
    if (isTyping === false) {
      typingIn.delete(chatId);
      if (await typing.stop(chatId, userId)) socket.to(rooms.chat(chatId)).emit('typing:stopped', { chatId, userId });
      return {};
    }
    typingIn.add(chatId);
    if (await typing.start(chatId, userId)) socket.to(rooms.chat(chatId)).emit('typing:started', { chatId, userId });
    return {};
  });

  registerEvent(ctx, 'typing:stop', async ({ chatId }) => {
    await services.chat.requireMember(chatId, userId);
    typingIn.delete(chatId);
    if (await typing.stop(chatId, userId)) socket.to(rooms.chat(chatId)).emit('typing:stopped', { chatId, userId });
    return {};
  });

  // A socket that goes away stops typing everywhere it was typing.
  socket.on('disconnect', () => {
    for (const chatId of typingIn) {
      void typing
        .stop(chatId, userId)
        .then((was) => was && manager.sendToChat(chatId, 'typing:stopped', { chatId, userId }))
        .catch(() => {});
    }
  });
}

export function chatFeature(services: Services, manager: SocketManager, typing: TypingService): SocketFeature {
  return {
    name: 'chat',
    events: Object.keys(chatClientEvents) as ClientEventName[],
    attach: (ctx) => registerChatHandlers(ctx, services, manager, typing),
  };
}
