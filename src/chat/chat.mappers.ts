import type { ChatRow, MessageRow } from '../db/tables.js';
import type { Attachment, Chat, ChatMember, Message } from '../shared/models.js';
import type { MemberWithUser } from './chat.repository.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toMessage(row: MessageRow): Message {
  const deleted = row.deleted_at !== null;
  return {
    id: row.id,
    chatId: row.chat_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    type: row.type,
    // A deleted message keeps its place (seq) but not its content.
    content: deleted ? '' : row.content,
    replyTo: row.reply_to,
    attachments: deleted || !row.attachments ? [] : (JSON.parse(row.attachments) as Attachment[]),
    clientMessageId: row.client_message_id,
    createdAt: new Date(row.created_at).toISOString(),
    editedAt: iso(row.edited_at),
    deleted,
    changeSeq: Number(row.change_seq),
  };
}

export function toChat(
  row: ChatRow,
  members: MemberWithUser[],
  online: Set<string>,
  extra: { lastMessage: MessageRow | undefined; unreadCount: number },
): Chat {
  const chatMembers: ChatMember[] = members.map((m) => ({
    id: m.user_id,
    username: m.username,
    role: m.role,
    online: online.has(m.user_id),
    lastSeen: iso(m.last_seen_at),
    lastReadSeq: Number(m.last_read_seq),
  }));
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    memberIds: chatMembers.map((m) => m.id),
    members: chatMembers,
    lastMessage: extra.lastMessage ? toMessage(extra.lastMessage) : null,
    unreadCount: extra.unreadCount,
    lastSeq: Number(row.last_seq),
    changeSeq: Number(row.change_seq),
  };
}
