import { z } from 'zod';

/**
 * Domain objects as clients see them: the one source of their TypeScript types and API docs.
 * Browser-safe (zod only), so the web client imports it too. Timestamps are ISO 8601 strings.
 */
/** An id: bounded, and free of control characters (PostgreSQL cannot even hold NUL in text). */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');
export const IsoTime = z.string();

export const UserSchema = z.object({
  id: z.string(),
  username: z.string(),
  createdAt: IsoTime,
  lastSeen: IsoTime.nullable(),
  online: z.boolean().optional(),
});
export type User = z.infer<typeof UserSchema>;

export const MessageType = z.enum(['text', 'image', 'file', 'audio', 'video']);
export type MessageType = z.infer<typeof MessageType>;

export const AttachmentSchema = z.object({
  type: z.string().min(1).max(100),
  url: z.string().min(1).max(2048),
  name: z.string().min(1).max(255),
  size: z.number().int().min(0).max(10 * 1024 ** 3),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const MessageSchema = z.object({
  id: z.string(),
  chatId: z.string(),
  /** Gapless per-chat order (1, 2, 3, …). */
  seq: z.number(),
  senderId: z.string(),
  type: MessageType,
  content: z.string(),
  replyTo: z.string().nullable(),
  attachments: z.array(AttachmentSchema),
  clientMessageId: z.string().nullable(),
  createdAt: IsoTime,
  editedAt: IsoTime.nullable(),
  deleted: z.boolean(),
  /** The chat's change counter at this message's last change (sync, docs/protocol.md). */
  changeSeq: z.number(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ChatMemberSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: z.enum(['owner', 'admin', 'member']),
  online: z.boolean(),
  lastSeen: IsoTime.nullable(),
  lastReadSeq: z.number(),
});
export type ChatMember = z.infer<typeof ChatMemberSchema>;

export const ChatSchema = z.object({
  id: z.string(),
  type: z.enum(['direct', 'group']),
  title: z.string().nullable(),
  createdBy: z.string(),
  createdAt: IsoTime,
  memberIds: z.array(z.string()),
  members: z.array(ChatMemberSchema),
  lastMessage: MessageSchema.nullable(),
  unreadCount: z.number(),
  lastSeq: z.number(),
  changeSeq: z.number(),
});
export type Chat = z.infer<typeof ChatSchema>;

export const ErrorShape = z.object({
  code: z.string(),
  message: z.string(),
  retryAfter: z.number().optional(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorShape = z.infer<typeof ErrorShape>;

/** What every acknowledgement carries: `{ok:true, …data}` or `{ok:false, error}`. */
export type AckResponse<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorShape };
export type AckFn<T extends object = object> = (response: AckResponse<T>) => void;

/** What the error channels (`error`, `call:error`, `video:error`, `screen:error`) carry. */
export const ErrorEventSchema = z.object({
  event: z.string(),
  code: z.string(),
  message: z.string(),
  retryAfter: z.number().optional(),
});
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
