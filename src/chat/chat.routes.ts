import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../context.js';
import { currentUser, parse, requireAuth } from '../http/middleware.js';
import { Id } from '../shared/models.js';
import type { SocketManager } from '../sockets/socket-manager.js';
import { SocketUtils } from '../sockets/socket-utils.js';
import { AddMembersBody, CreateChatBody, HistoryQuery, RestSendBody } from './chat.schema.js';

const ChatParams = z.object({ chatId: Id });
const MemberParams = z.object({ chatId: Id, userId: Id });

/** REST of chats (protocol.md): create, list, get, members, history, send. */
export function chatRoutes(services: Services, manager: SocketManager): Router {
  const router = Router();
  router.use('/chats', requireAuth(services));

  router.post('/chats', async (req, res) => {
    const me = currentUser(req);
    const body = parse(CreateChatBody, req.body);
    const { chat, created } = await services.chat.createChat(me.id, body);
    if (created) {
      // Every member's live sockets join the room at once and learn of the chat.
      for (const memberId of chat.memberIds) manager.joinUserToChat(memberId, chat.id);
      manager.sendToUsers(chat.memberIds, 'chat:created', { chat });
    }
    res.status(created ? 201 : 200).json({ chat });
  });

  router.get('/chats', async (req, res) => {
    res.json({ chats: await services.chat.listChats(currentUser(req).id) });
  });

  router.get('/chats/:chatId', async (req, res) => {
    const { chatId } = parse(ChatParams, req.params);
    res.json({ chat: await services.chat.getChat(chatId, currentUser(req).id) });
  });

  router.post('/chats/:chatId/members', async (req, res) => {
    const { chatId } = parse(ChatParams, req.params);
    const { memberIds } = parse(AddMembersBody, req.body);
    const { chat, added } = await services.chat.addMembers(currentUser(req).id, chatId, memberIds);
    for (const userId of added) {
      manager.joinUserToChat(userId, chatId);
      manager.sendToChat(chatId, 'chat:member:added', { chatId, userId, chat });
    }
    res.json({ chat });
  });

  router.delete('/chats/:chatId/members/:userId', async (req, res) => {
    const { chatId, userId } = parse(MemberParams, req.params);
    await services.chat.removeMember(currentUser(req).id, chatId, userId);
    // Out of the room first, so the removed member hears nothing more of the chat.
    manager.removeUserFromChat(userId, chatId);
    manager.sendToChat(chatId, 'chat:member:removed', { chatId, userId });
    manager.sendToUser(userId, 'chat:member:removed', { chatId, userId });
    res.status(204).end();
  });

  router.get('/chats/:chatId/messages', async (req, res) => {
    const { chatId } = parse(ChatParams, req.params);
    const query = parse(HistoryQuery, req.query);
    res.json({ messages: await services.chat.history(currentUser(req).id, chatId, query) });
  });

  // The seed's MessageController path: store, then SocketUtils.sendChatMessage to the room.
  router.post('/chats/:chatId/messages', async (req, res) => {
    const { chatId } = parse(ChatParams, req.params);
    const body = parse(RestSendBody, req.body);
    const { message, duplicate } = await services.chat.sendMessage(currentUser(req).id, { ...body, chatId });
    if (!duplicate) await SocketUtils.sendChatMessage(chatId, message, manager);
    res.status(duplicate ? 200 : 201).json({ message });
  });

  return router;
}
