import { type Kysely, type Transaction } from 'kysely';
import type { ChatMemberRow, ChatRow, DB, MessageRow } from '../db/tables.js';
import type { MessageWriter } from './message-writer.js';

export interface MemberWithUser {
  chat_id: string;
  user_id: string;
  role: ChatMemberRow['role'];
  last_read_seq: number;
  username: string;
  last_seen_at: number | null;
}

type Executor = Kysely<DB> | Transaction<DB>;

/** SQL of chats, members, messages and read state; the same queries run on SQLite and PostgreSQL. */
export class ChatRepository {
  /** `writer` stores new messages (group commit); a repository over a transaction has none. */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writer?: MessageWriter,
  ) {}

  async createChat(chat: ChatRow, members: ChatMemberRow[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('chats').values(chat).execute();
      await tx.insertInto('chat_members').values(members).execute();
    });
  }

  findChat(chatId: string): Promise<ChatRow | undefined> {
    return this.db.selectFrom('chats').selectAll().where('id', '=', chatId).executeTakeFirst();
  }

  findDirectChat(directKey: string): Promise<ChatRow | undefined> {
    return this.db.selectFrom('chats').selectAll().where('direct_key', '=', directKey).executeTakeFirst();
  }

  findMembership(chatId: string, userId: string): Promise<ChatMemberRow | undefined> {
    return this.db
      .selectFrom('chat_members')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async memberIds(chatId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('chat_members').select('user_id').where('chat_id', '=', chatId).execute();
    return rows.map((r) => r.user_id);
  }

  async chatIdsOfUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('chat_members').select('chat_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.chat_id);
  }

  /** Everyone who shares at least one chat with the user (presence audience), the user excluded. */
  async contactsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_members as mine')
      .innerJoin('chat_members as theirs', 'theirs.chat_id', 'mine.chat_id')
      .select('theirs.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('theirs.user_id', '!=', userId)
      .execute();
    return rows.map((r) => r.user_id);
  }

  chatsOfUser(userId: string): Promise<Array<ChatRow & { my_last_read_seq: number }>> {
    return this.db
      .selectFrom('chat_members as m')
      .innerJoin('chats as c', 'c.id', 'm.chat_id')
      .selectAll('c')
      .select('m.last_read_seq as my_last_read_seq')
      .where('m.user_id', '=', userId)
      .execute();
  }

  membersOfChats(chatIds: readonly string[]): Promise<MemberWithUser[]> {
    if (chatIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('chat_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.chat_id', 'm.user_id', 'm.role', 'm.last_read_seq', 'u.username', 'u.last_seen_at'])
      .where('m.chat_id', 'in', [...chatIds])
      .orderBy('m.joined_at')
      .execute();
  }

  /** The newest visible message of each chat. */
  lastMessages(chatIds: readonly string[]): Promise<MessageRow[]> {
    if (chatIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('messages as m')
      .selectAll('m')
      .where('m.chat_id', 'in', [...chatIds])
      .where('m.deleted_at', 'is', null)
      .where('m.seq', '=', (eb) =>
        eb
          .selectFrom('messages as l')
          .select((e) => e.fn.max('l.seq').as('s'))
          .whereRef('l.chat_id', '=', 'm.chat_id')
          .where('l.deleted_at', 'is', null),
      )
      .execute();
  }

  /** Visible messages from others after the user's read mark, per chat. */
  async unreadCounts(userId: string, chatIds?: readonly string[]): Promise<Map<string, number>> {
    if (chatIds?.length === 0) return new Map();
    let query = this.db
      .selectFrom('messages as msg')
      .innerJoin('chat_members as cm', (j) => j.onRef('cm.chat_id', '=', 'msg.chat_id').on('cm.user_id', '=', userId))
      .select(['msg.chat_id', (eb) => eb.fn.countAll<number>().as('n')])
      .whereRef('msg.seq', '>', 'cm.last_read_seq')
      .where('msg.sender_id', '!=', userId)
      .where('msg.deleted_at', 'is', null)
      .groupBy('msg.chat_id');
    if (chatIds) query = query.where('msg.chat_id', 'in', [...chatIds]);
    const rows = await query.execute();
    return new Map(rows.map((r) => [r.chat_id, Number(r.n)]));
  }

  async addMembers(members: ChatMemberRow[]): Promise<void> {
    if (members.length === 0) return;
    await this.db
      .insertInto('chat_members')
      .values(members)
      .onConflict((oc) => oc.columns(['chat_id', 'user_id']).doNothing())
      .execute();
  }

  async removeMember(chatId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('chat_members').where('chat_id', '=', chatId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  findMessage(messageId: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  }

  findByClientId(senderId: string, clientMessageId: string): Promise<MessageRow | undefined> {
    return this.db
      .selectFrom('messages')
      .selectAll()
      .where('sender_id', '=', senderId)
      .where('client_message_id', '=', clientMessageId)
      .executeTakeFirst();
  }

  /** Stores a message with the chat's next seq (group-committed with concurrent sends). */
  insertMessage(row: Omit<MessageRow, 'seq' | 'change_seq'>): Promise<MessageRow> {
    if (!this.writer) throw new Error('ChatRepository: no message writer (built over a transaction?)');
    return this.writer.write(row);
  }

  /** Applies an edit or delete and stamps it with the chat's next change_seq. */
  async changeMessage(
    message: MessageRow,
    patch: Partial<Pick<MessageRow, 'content' | 'edited_at' | 'deleted_at'>>,
  ): Promise<MessageRow> {
    return this.db.transaction().execute(async (tx) => {
      const counters = await bumpCounters(tx, message.chat_id, false);
      await tx
        .updateTable('messages')
        .set({ ...patch, change_seq: counters.change_seq })
        .where('id', '=', message.id)
        .execute();
      return { ...message, ...patch, change_seq: counters.change_seq };
    });
  }

  /**
   * Moves a member's read mark forward only; returns the change_seq it took, or null when it was
   * already at or past seq.
   */
  async markRead(chatId: string, userId: string, seq: number, messageId: string, at: number): Promise<number | null> {
    return this.db.transaction().execute(async (tx) => {
      const member = await tx
        .selectFrom('chat_members')
        .select('last_read_seq')
        .where('chat_id', '=', chatId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!member || member.last_read_seq >= seq) return null;
      const counters = await bumpCounters(tx, chatId, false);
      await tx
        .updateTable('chat_members')
        .set({ last_read_seq: seq, last_read_message_id: messageId, last_read_at: at, read_change_seq: counters.change_seq })
        .where('chat_id', '=', chatId)
        .where('user_id', '=', userId)
        .execute();
      return counters.change_seq;
    });
  }

  /** A page of visible messages, oldest first. */
  async history(chatId: string, limit: number, beforeSeq?: number, afterSeq?: number): Promise<MessageRow[]> {
    let q = this.db.selectFrom('messages').selectAll().where('chat_id', '=', chatId).where('deleted_at', 'is', null);
    if (afterSeq !== undefined) {
      return q.where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute();
    }
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.reverse();
  }

  /** Every message changed (created, edited, deleted) after a change_seq, in change order. */
  changesSince(chatId: string, sinceChangeSeq: number, limit: number): Promise<MessageRow[]> {
    return this.db
      .selectFrom('messages')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('change_seq', '>', sinceChangeSeq)
      .orderBy('change_seq', 'asc')
      .limit(limit)
      .execute();
  }

  readMarksSince(chatId: string, sinceChangeSeq: number): Promise<ChatMemberRow[]> {
    return this.db
      .selectFrom('chat_members')
      .selectAll()
      .where('chat_id', '=', chatId)
      .where('read_change_seq', '>', sinceChangeSeq)
      .execute();
  }
}

async function bumpCounters(tx: Executor, chatId: string, newMessage: boolean) {
  const counters = await tx
    .updateTable('chats')
    .set((eb) => ({
      change_seq: eb('change_seq', '+', 1),
      ...(newMessage ? { last_seq: eb('last_seq', '+', 1) } : {}),
    }))
    .where('id', '=', chatId)
    .returning(['last_seq', 'change_seq'])
    .executeTakeFirstOrThrow();
  return { last_seq: Number(counters.last_seq), change_seq: Number(counters.change_seq) };
}

