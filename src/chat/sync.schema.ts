import { z } from 'zod';
import { defineClientEvent } from '../shared/event-def.js';
import { Id, MessageSchema } from '../shared/models.js';

/**
 * Gapless catch-up (docs/sync.md). A client keeps, per chat, the `changeSeq` up to which it has
 * everything (its cursor) and asks for what changed after it. The answer holds, per chat, every
 * message created, edited or deleted in (cursor, changeSeq] in its latest state, and every read
 * mark that moved in that range; the new cursor is the answer's `changeSeq`.
 */
export const MAX_SYNC_CHATS = 200;
export const DEFAULT_SYNC_LIMIT = 200;
export const MAX_SYNC_LIMIT = 500;

export const ChatSyncPayload = z.object({
  chats: z
    .array(z.object({ chatId: Id, sinceChangeSeq: z.number().int().min(0) }))
    .max(MAX_SYNC_CHATS)
    .default([]),
  /** Most messages per chat in one answer; `hasMore` says to ask again from the new cursor. */
  limit: z.number().int().min(1).max(MAX_SYNC_LIMIT).default(DEFAULT_SYNC_LIMIT),
});
export type ChatSyncInput = z.infer<typeof ChatSyncPayload>;

export const ReadMarkSchema = z.object({
  userId: z.string(),
  /** Highest message seq the member has read, and that message's id. */
  seq: z.number(),
  messageId: z.string().nullable(),
  readAt: z.string().nullable(),
  /** The chat's change_seq when this read mark moved. */
  changeSeq: z.number(),
});
export type ReadMark = z.infer<typeof ReadMarkSchema>;

export const ChatSyncResultSchema = z.object({
  chatId: z.string(),
  /** The asked-for cursor, echoed. */
  sinceChangeSeq: z.number(),
  /** The new cursor: everything in (sinceChangeSeq, changeSeq] is in this answer. */
  changeSeq: z.number(),
  /** The chat's newest message seq at the time of the answer. */
  lastSeq: z.number(),
  /** Messages changed in the range (new, edited, deleted: `deleted: true`), in changeSeq order. */
  messages: z.array(MessageSchema),
  /** Read marks that moved in the range (latest position per member). */
  reads: z.array(ReadMarkSchema),
  /** More changes exist after `changeSeq`: ask again with sinceChangeSeq = changeSeq. */
  hasMore: z.boolean(),
});
export type ChatSyncResult = z.infer<typeof ChatSyncResultSchema>;

export const syncClientEvents = {
  'chat:sync': defineClientEvent({
    payload: ChatSyncPayload,
    ack: z.object({
      chats: z.array(ChatSyncResultSchema),
      /** Asked-for chats the user is not (or no longer) a member of, or that do not exist. */
      notFound: z.array(z.string()),
      /** Every chat the user is a member of now: ids missing locally are new (GET /api/chats). */
      chatIds: z.array(z.string()),
    }),
    channel: 'error',
    description:
      'Catch up after a reconnect: everything changed in each chat after the given changeSeq (messages new/edited/deleted, read marks), gapless, from the store (docs/sync.md).',
  }),
};
