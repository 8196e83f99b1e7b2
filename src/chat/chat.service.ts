import { newId } from '../db/ids.js';
import type { z } from 'zod';
import type { UsersRepository } from '../auth/users.repository.js';
import type { ChatMemberRow, ChatRow, MessageRow } from '../db/tables.js';
import { AppError } from '../errors.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { Chat, Message } from '../shared/models.js';
import type { ChatRepository } from './chat.repository.js';
import type { CreateChatBody, HistoryQuery, MessageSendInput } from './chat.schema.js';
import { toChat, toMessage } from './chat.mappers.js';

export interface ChatServiceOptions {
  maxMessageLength: number;
}

const NOT_FOUND_CHAT = () => new AppError('NOT_FOUND', 'Chat not found');
const NOT_FOUND_MESSAGE = () => new AppError('NOT_FOUND', 'Message not found');

/**
 * Chat rules, free of Socket.io: who may read and write where, message lifecycle, read state.
 * A non-member always gets the same NOT_FOUND as for a chat that does not exist.
 */
export class ChatService {
  constructor(
    private readonly chats: ChatRepository,
    private readonly users: UsersRepository,
    private readonly presence: PresenceService,
    private readonly options: ChatServiceOptions,
  ) {}

  /** Throws NOT_FOUND unless the user is a member; returns the membership. */
  async requireMember(chatId: string, userId: string): Promise<ChatMemberRow> {
    const membership = await this.chats.findMembership(chatId, userId);
    if (!membership) throw NOT_FOUND_CHAT();
    return membership;
  }

  async createChat(creatorId: string, body: z.infer<typeof CreateChatBody>): Promise<{ chat: Chat; created: boolean }> {
    const otherIds = [...new Set(body.memberIds)].filter((id) => id !== creatorId);
    if (body.type === 'direct' && otherIds.length !== 1) {
      throw new AppError('VALIDATION', 'A direct chat needs exactly one other member');
    }
    const found = await this.users.findByIds(otherIds);
    if (found.length !== otherIds.length) throw new AppError('NOT_FOUND', 'User not found');

    const now = Date.now();
    let directKey: string | null = null;
    if (body.type === 'direct') {
      directKey = [creatorId, otherIds[0]!].sort().join(':');
      const existing = await this.chats.findDirectChat(directKey);
      if (existing) return { chat: await this.getChat(existing.id, creatorId), created: false };
    }
    const chat: ChatRow = {
      id: newId(),
      type: body.type,
      title: body.type === 'group' ? body.title : null,
      created_by: creatorId,
      created_at: now,
      direct_key: directKey,
      last_seq: 0,
      change_seq: 0,
    };
    const member = (userId: string, role: ChatMemberRow['role']): ChatMemberRow => ({
      chat_id: chat.id,
      user_id: userId,
      role,
      joined_at: now,
      last_read_seq: 0,
      last_read_message_id: null,
      last_read_at: null,
      read_change_seq: 0,
    });
    const creatorRole = body.type === 'group' ? 'owner' : 'member';
    try {
      await this.chats.createChat(chat, [member(creatorId, creatorRole), ...otherIds.map((id) => member(id, 'member'))]);
    } catch (err) {
      // Two first messages racing to open the same direct chat: the unique key lets one win.
      if (directKey) {
        const existing = await this.chats.findDirectChat(directKey);
        if (existing) return { chat: await this.getChat(existing.id, creatorId), created: false };
      }
      throw err;
    }
    return { chat: await this.getChat(chat.id, creatorId), created: true };
  }

  async listChats(userId: string): Promise<Chat[]> {
    const rows = await this.chats.chatsOfUser(userId);
    const ids = rows.map((r) => r.id);
    const [members, lastMessages, unread] = await Promise.all([
      this.chats.membersOfChats(ids),
      this.chats.lastMessages(ids),
      this.chats.unreadCounts(userId),
    ]);
    const online = await this.presence.onlineAmong(members.map((m) => m.user_id));
    const lastByChat = new Map(lastMessages.map((m) => [m.chat_id, m]));
    const membersByChat = new Map<string, typeof members>();
    for (const m of members) {
      const list = membersByChat.get(m.chat_id);
      if (list) list.push(m);
      else membersByChat.set(m.chat_id, [m]);
    }
    const chats = rows.map((row) =>
      toChat(
        row,
        membersByChat.get(row.id) ?? [],
        online,
        { lastMessage: lastByChat.get(row.id), unreadCount: unread.get(row.id) ?? 0 },
      ),
    );
    // Most recent activity first, as every messenger lists them. Within one millisecond the ids
    // decide: they are UUIDv7, in creation order.
    const activity = (c: Chat) => c.lastMessage?.createdAt ?? c.createdAt;
    const newest = (c: Chat) => c.lastMessage?.id ?? c.id;
    const desc = (x: string, y: string) => (x < y ? 1 : x > y ? -1 : 0);
    return chats.sort((a, b) => desc(activity(a), activity(b)) || desc(newest(a), newest(b)));
  }

  async getChat(chatId: string, userId: string): Promise<Chat> {
    await this.requireMember(chatId, userId);
    const row = await this.chats.findChat(chatId);
    if (!row) throw NOT_FOUND_CHAT();
    const [members, last, unread] = await Promise.all([
      this.chats.membersOfChats([chatId]),
      this.chats.lastMessages([chatId]),
      this.chats.unreadCounts(userId, [chatId]),
    ]);
    const online = await this.presence.onlineAmong(members.map((m) => m.user_id));
    return toChat(row, members, online, { lastMessage: last[0], unreadCount: unread.get(chatId) ?? 0 });
  }

  /** Group owners and admins add members; returns the ids actually added. */
  async addMembers(actorId: string, chatId: string, memberIds: string[]): Promise<{ chat: Chat; added: string[] }> {
    const actor = await this.requireMember(chatId, actorId);
    const row = await this.chats.findChat(chatId);
    if (!row) throw NOT_FOUND_CHAT();
    if (row.type !== 'group') throw new AppError('CONFLICT', 'Members of a direct chat cannot change');
    if (actor.role === 'member') throw new AppError('FORBIDDEN', 'Only owners and admins add members');
    const current = new Set(await this.chats.memberIds(chatId));
    const wanted = [...new Set(memberIds)].filter((id) => !current.has(id));
    const found = await this.users.findByIds(wanted);
    if (found.length !== wanted.length) throw new AppError('NOT_FOUND', 'User not found');
    const now = Date.now();
    await this.chats.addMembers(
      wanted.map((userId) => ({
        chat_id: chatId,
        user_id: userId,
        role: 'member' as const,
        joined_at: now,
        last_read_seq: 0,
        last_read_message_id: null,
        last_read_at: null,
        read_change_seq: 0,
      })),
    );
    return { chat: await this.getChat(chatId, actorId), added: wanted };
  }

  /** Owners/admins remove others; anyone may remove themselves (leave). */
  async removeMember(actorId: string, chatId: string, userId: string): Promise<void> {
    const actor = await this.requireMember(chatId, actorId);
    const row = await this.chats.findChat(chatId);
    if (!row) throw NOT_FOUND_CHAT();
    if (row.type !== 'group') throw new AppError('CONFLICT', 'Members of a direct chat cannot change');
    if (userId !== actorId && actor.role === 'member') throw new AppError('FORBIDDEN', 'Only owners and admins remove members');
    const target = await this.chats.findMembership(chatId, userId);
    if (!target) throw new AppError('NOT_FOUND', 'Member not found');
    if (target.role === 'owner' && userId !== actorId) throw new AppError('FORBIDDEN', 'The owner cannot be removed');
    await this.chats.removeMember(chatId, userId);
  }

  /**
   * Stores a message. `memberKnown` lets a caller that has already proven membership (a socket
   * in the chat's room: rooms follow membership) skip the lookup on this hot path. A retried
   * clientMessageId is not looked up first: the unique index refuses the second row, and the
   * first one is returned then (the common case, a new message, costs no extra query).
   */
  async sendMessage(
    senderId: string,
    input: MessageSendInput,
    options: { memberKnown?: boolean } = {},
  ): Promise<{ message: Message; duplicate: boolean }> {
    if (input.content.length > this.options.maxMessageLength) {
      throw new AppError('LIMIT_EXCEEDED', `Message longer than MAX_MESSAGE_LENGTH (${this.options.maxMessageLength})`);
    }
    if (!options.memberKnown) await this.requireMember(input.chatId, senderId);
    if (input.replyTo) {
      const target = await this.chats.findMessage(input.replyTo);
      if (!target || target.chat_id !== input.chatId) throw new AppError('NOT_FOUND', 'Replied-to message not found');
    }
    const row: Omit<MessageRow, 'seq' | 'change_seq'> = {
      id: newId(),
      chat_id: input.chatId,
      sender_id: senderId,
      type: input.type,
      content: input.content,
      reply_to: input.replyTo ?? null,
      attachments: input.attachments?.length ? JSON.stringify(input.attachments) : null,
      client_message_id: input.clientMessageId ?? null,
      created_at: Date.now(),
      edited_at: null,
      deleted_at: null,
    };
    try {
      return { message: toMessage(await this.chats.insertMessage(row)), duplicate: false };
    } catch (err) {
      // A concurrent retry with the same clientMessageId won the unique index: return its row.
      if (input.clientMessageId) {
        const first = await this.chats.findByClientId(senderId, input.clientMessageId);
        if (first) return this.duplicateOf(first, input.chatId);
      }
      throw err;
    }
  }

  private duplicateOf(first: MessageRow, chatId: string): { message: Message; duplicate: boolean } {
    // The same clientMessageId reused for another chat is a client bug, not a retry.
    if (first.chat_id !== chatId) throw new AppError('CONFLICT', 'clientMessageId already used in another chat');
    return { message: toMessage(first), duplicate: true };
  }

  async markRead(
    userId: string,
    chatId: string,
    messageId: string,
  ): Promise<{ readAt: string; seq: number; moved: boolean; changeSeq: number | null }> {
    await this.requireMember(chatId, userId);
    const message = await this.chats.findMessage(messageId);
    if (!message || message.chat_id !== chatId) throw NOT_FOUND_MESSAGE();
    const at = Date.now();
    const changeSeq = await this.chats.markRead(chatId, userId, Number(message.seq), messageId, at);
    return { readAt: new Date(at).toISOString(), seq: Number(message.seq), moved: changeSeq !== null, changeSeq };
  }

  /** A message the user may see (member of its chat, not deleted), else NOT_FOUND. */
  private async visibleMessage(userId: string, messageId: string): Promise<MessageRow> {
    const message = await this.chats.findMessage(messageId);
    if (!message || message.deleted_at !== null) throw NOT_FOUND_MESSAGE();
    const membership = await this.chats.findMembership(message.chat_id, userId);
    if (!membership) throw NOT_FOUND_MESSAGE();
    return message;
  }

  async editMessage(userId: string, messageId: string, content: string): Promise<Message> {
    if (content.length > this.options.maxMessageLength) {
      throw new AppError('LIMIT_EXCEEDED', `Message longer than MAX_MESSAGE_LENGTH (${this.options.maxMessageLength})`);
    }
    const message = await this.visibleMessage(userId, messageId);
    if (message.sender_id !== userId) throw new AppError('FORBIDDEN', 'Only the author edits a message');
    return toMessage(await this.chats.changeMessage(message, { content, edited_at: Date.now() }));
  }

  async deleteMessage(userId: string, messageId: string): Promise<Message> {
    const message = await this.visibleMessage(userId, messageId);
    if (message.sender_id !== userId) throw new AppError('FORBIDDEN', 'Only the author deletes a message');
    return toMessage(await this.chats.changeMessage(message, { deleted_at: Date.now() }));
  }

  async history(userId: string, chatId: string, query: z.infer<typeof HistoryQuery>): Promise<Message[]> {
    await this.requireMember(chatId, userId);
    let beforeSeq: number | undefined;
    if (query.before !== undefined) {
      if (/^\d+$/.test(query.before)) beforeSeq = Number(query.before);
      else {
        const anchor = await this.chats.findMessage(query.before);
        if (!anchor || anchor.chat_id !== chatId) throw NOT_FOUND_MESSAGE();
        beforeSeq = Number(anchor.seq);
      }
    }
    const rows = await this.chats.history(chatId, query.limit, beforeSeq, query.after);
    return rows.map(toMessage);
  }

  chatIdsOfUser(userId: string): Promise<string[]> {
    return this.chats.chatIdsOfUser(userId);
  }

  memberIds(chatId: string): Promise<string[]> {
    return this.chats.memberIds(chatId);
  }
}
