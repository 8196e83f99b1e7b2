import { z } from 'zod';
import { AttachmentSchema, ChatSchema, Id, MessageSchema, MessageType, UserSchema } from '../shared/models.js';
import { defineClientEvent } from '../shared/event-def.js';

/**
 * Payload and route schemas of the chat feature. Upper bounds here are hard caps against abuse;
 * the configurable MAX_MESSAGE_LENGTH is checked by the service (it may be lower).
 */
export const HARD_MAX_CONTENT = 65_536;
export const MAX_ATTACHMENTS = 10;
export const MAX_GROUP_MEMBERS = 1000;

// NUL is refused on both engines alike (PostgreSQL text cannot hold it).
const Content = z.string().max(HARD_MAX_CONTENT).refine((c) => !c.includes('\u0000'), 'no NUL characters');
const hasBody = (m: { content: string; attachments?: unknown[] | undefined }) =>
  m.content.trim().length > 0 || (m.attachments?.length ?? 0) > 0;
const BODY_REQUIRED = { message: 'content or attachments required', path: ['content'] };

export const MessageSendPayload = z
  .object({
    chatId: Id,
    content: Content.default(''),
    type: MessageType.default('text'),
    replyTo: Id.optional(),
    attachments: z.array(AttachmentSchema).max(MAX_ATTACHMENTS).optional(),
    clientMessageId: z.string().min(1).max(128).optional(),
  })
  .refine(hasBody, BODY_REQUIRED);
export type MessageSendInput = z.infer<typeof MessageSendPayload>;

export const MessageReadPayload = z.object({ chatId: Id, messageId: Id });
export const MessageEditPayload = z.object({
  messageId: Id,
  content: Content.refine((c) => c.trim().length > 0, 'content required'),
});
export const MessageDeletePayload = z.object({ messageId: Id });
export const TypingPayload = z.object({ chatId: Id, isTyping: z.boolean().optional() });

export const chatClientEvents = {
  'message:send': defineClientEvent({
    payload: MessageSendPayload,
    ack: z.object({ message: MessageSchema, duplicate: z.boolean().optional() }),
    channel: 'error',
    description: 'Store a message, then ack it and tell the chat (message:receive). A retry with the same clientMessageId returns the first message.',
  }),
  'message:read': defineClientEvent({
    payload: MessageReadPayload,
    ack: z.object({ readAt: z.string(), seq: z.number() }),
    channel: 'error',
    description: 'Mark a chat read up to a message; the chat gets message:read.',
  }),
  'message:edit': defineClientEvent({
    payload: MessageEditPayload,
    ack: z.object({ message: MessageSchema }),
    channel: 'error',
    description: 'Author only: change the content; the chat gets message:edited.',
  }),
  'message:delete': defineClientEvent({
    payload: MessageDeletePayload,
    ack: z.object({ messageId: z.string() }),
    channel: 'error',
    description: 'Author only: delete (soft); the chat gets message:deleted.',
  }),
  'typing:start': defineClientEvent({
    payload: TypingPayload,
    ack: z.object({}),
    channel: 'error',
    description: 'The chat gets typing:started; typing:stopped follows TYPING_TIMEOUT_MS after the last start.',
  }),
  'typing:stop': defineClientEvent({
    payload: TypingPayload,
    ack: z.object({}),
    channel: 'error',
    description: 'The chat gets typing:stopped.',
  }),
};

export const chatServerEvents = {
  'message:receive': z.object({ chatId: z.string(), message: MessageSchema }),
  // changeSeq (optional for older senders): the chat's change counter this change took (docs/sync.md).
  'message:read': z.object({
    chatId: z.string(),
    messageId: z.string(),
    userId: z.string(),
    readAt: z.string(),
    seq: z.number(),
    changeSeq: z.number().optional(),
  }),
  'message:edited': z.object({ chatId: z.string(), message: MessageSchema }),
  'message:deleted': z.object({ chatId: z.string(), messageId: z.string(), changeSeq: z.number().optional() }),
  'typing:started': z.object({ chatId: z.string(), userId: z.string() }),
  'typing:stopped': z.object({ chatId: z.string(), userId: z.string() }),
  'chat:created': z.object({ chat: ChatSchema }),
  'chat:member:added': z.object({ chatId: z.string(), userId: z.string(), chat: ChatSchema }),
  'chat:member:removed': z.object({ chatId: z.string(), userId: z.string() }),
};

// ---- REST bodies ----
export const CreateChatBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('direct'), memberIds: z.array(Id).length(1) }),
  z.object({
    type: z.literal('group'),
    title: z.string().trim().min(1).max(200),
    memberIds: z.array(Id).max(MAX_GROUP_MEMBERS).default([]),
  }),
]);
export const AddMembersBody = z.object({ memberIds: z.array(Id).min(1).max(MAX_GROUP_MEMBERS) });
export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** A message id or a seq: the page ends just before it. */
  before: z.string().min(1).max(64).optional(),
  /** A seq: the page starts just after it (catching up forwards). */
  after: z.coerce.number().int().min(0).optional(),
});
export const RestSendBody = z
  .object({
    content: Content.default(''),
    type: MessageType.default('text'),
    replyTo: Id.optional(),
    attachments: z.array(AttachmentSchema).max(MAX_ATTACHMENTS).optional(),
    clientMessageId: z.string().min(1).max(128).optional(),
  })
  .refine(hasBody, BODY_REQUIRED);
export const UserSearchQuery = z.object({ search: z.string().trim().min(1).max(64) });
export { UserSchema };
