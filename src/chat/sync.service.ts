import type { Kysely } from 'kysely';
import type { DB } from '../db/tables.js';
import { ChatRepository } from './chat.repository.js';
import { toMessage } from './chat.mappers.js';
import type { ChatSyncInput, ChatSyncResult } from './sync.schema.js';

export interface SyncAnswer {
  chats: ChatSyncResult[];
  notFound: string[];
  chatIds: string[];
}

/**
 * Catch-up from the store, the source of truth (docs/sync.md).
 *
 * Why it has no gap: every change to a chat (message, edit, delete, read mark) takes the chat's
 * next change_seq by updating the chat row inside its own transaction, so writers to one chat
 * serialize on that row and commit in change_seq order. A snapshot therefore always sees a
 * prefix 1..C of a chat's changes. Each chat is read in one REPEATABLE READ transaction
 * (PostgreSQL; SQLite's single connection gives the same): C is read first, then the changes in
 * (since, C], so the answer covers exactly that range. A message or read mark that changed again
 * later carries a change_seq above C and comes with the next answer; nothing can fall between.
 *
 * Why it has no duplicate within the store: each message row holds only its latest change_seq, so
 * it appears once per answer, in its latest state.
 */
export class SyncService {
  constructor(private readonly db: Kysely<DB>) {}

  async sync(userId: string, input: ChatSyncInput): Promise<SyncAnswer> {
    const repo = new ChatRepository(this.db);
    const chatIds = await repo.chatIdsOfUser(userId);
    const member = new Set(chatIds);
    const chats: ChatSyncResult[] = [];
    const notFound: string[] = [];
    // One entry per chat: the lowest cursor wins if a client repeats a chat.
    const wanted = new Map<string, number>();
    for (const { chatId, sinceChangeSeq } of input.chats) {
      wanted.set(chatId, Math.min(sinceChangeSeq, wanted.get(chatId) ?? Number.POSITIVE_INFINITY));
    }
    for (const [chatId, since] of wanted) {
      if (!member.has(chatId)) {
        notFound.push(chatId);
        continue;
      }
      const result = await this.syncChat(userId, chatId, since, input.limit);
      if (result) chats.push(result);
      else notFound.push(chatId);
    }
    return { chats, notFound, chatIds };
  }

  private syncChat(userId: string, chatId: string, since: number, limit: number): Promise<ChatSyncResult | null> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const repo = new ChatRepository(tx);
        // Membership inside the snapshot: a member removed meanwhile gets nothing more.
        const membership = await repo.findMembership(chatId, userId);
        const chat = membership ? await repo.findChat(chatId) : undefined;
        if (!chat) return null;
        const current = Number(chat.change_seq);
        if (since >= current) {
          return { chatId, sinceChangeSeq: since, changeSeq: current, lastSeq: Number(chat.last_seq), messages: [], reads: [], hasMore: false };
        }
        const rows = await repo.changesSince(chatId, since, limit);
        const hasMore = rows.length === limit && Number(rows[rows.length - 1]!.change_seq) < current;
        const upTo = hasMore ? Number(rows[rows.length - 1]!.change_seq) : current;
        const marks = (await repo.readMarksSince(chatId, since)).filter((m) => Number(m.read_change_seq) <= upTo);
        return {
          chatId,
          sinceChangeSeq: since,
          changeSeq: upTo,
          lastSeq: Number(chat.last_seq),
          messages: rows.filter((r) => Number(r.change_seq) <= upTo).map(toMessage),
          reads: marks
            .sort((a, b) => Number(a.read_change_seq) - Number(b.read_change_seq))
            .map((m) => ({
              userId: m.user_id,
              seq: Number(m.last_read_seq),
              messageId: m.last_read_message_id,
              readAt: m.last_read_at === null ? null : new Date(Number(m.last_read_at)).toISOString(),
              changeSeq: Number(m.read_change_seq),
            })),
          hasMore,
        };
      });
  }
}
