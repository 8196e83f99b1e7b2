import type { Kysely } from 'kysely';
import type { CallParticipantRow, CallRow, DB } from '../db/tables.js';
import type { CallDoc } from './call-state.js';

export type ParticipantWithName = CallParticipantRow & { username: string };

/**
 * The call log in storage (same SQL on SQLite and PostgreSQL). It mirrors the SharedState
 * document: `write` stores a whole document, but only if its revision is newer than the stored
 * one, so two transitions whose writes race can never leave an older state behind.
 */
export class CallsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  private callRow(doc: CallDoc): CallRow {
    return {
      id: doc.id,
      kind: doc.kind,
      call_type: doc.callType,
      chat_id: doc.chatId,
      initiator_id: doc.initiatorId,
      state: doc.state,
      end_reason: doc.endReason,
      created_at: doc.createdAt,
      answered_at: doc.answeredAt,
      ended_at: doc.endedAt,
      revision: doc.rev,
    };
  }

  private participantRows(doc: CallDoc): CallParticipantRow[] {
    return Object.values(doc.participants).map((p) => ({
      call_id: doc.id,
      user_id: p.userId,
      role: p.role,
      state: p.state,
      joined_at: p.joinedAt,
      left_at: p.leftAt,
    }));
  }

  async insert(doc: CallDoc): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('calls').values(this.callRow(doc)).execute();
      await tx.insertInto('call_participants').values(this.participantRows(doc)).execute();
    });
  }

  async write(doc: CallDoc): Promise<void> {
    const row = this.callRow(doc);
    await this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('calls')
        .set({ state: row.state, end_reason: row.end_reason, answered_at: row.answered_at, ended_at: row.ended_at, revision: row.revision })
        .where('id', '=', doc.id)
        .where('revision', '<', doc.rev)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return;
      for (const p of this.participantRows(doc)) {
        await tx
          .updateTable('call_participants')
          .set({ state: p.state, joined_at: p.joined_at, left_at: p.left_at })
          .where('call_id', '=', p.call_id)
          .where('user_id', '=', p.user_id)
          .execute();
      }
    });
  }

  findCall(callId: string): Promise<CallRow | undefined> {
    return this.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
  }

  /** Calls the user took part in or was invited to, newest first. */
  listForUser(userId: string, limit: number, before?: CallRow): Promise<CallRow[]> {
    let q = this.db
      .selectFrom('calls as c')
      .innerJoin('call_participants as p', 'p.call_id', 'c.id')
      .selectAll('c')
      .where('p.user_id', '=', userId);
    if (before) {
      q = q.where((eb) =>
        eb.or([eb('c.created_at', '<', before.created_at), eb.and([eb('c.created_at', '=', before.created_at), eb('c.id', '<', before.id)])]),
      );
    }
    return q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
  }

  listForChat(chatId: string, limit: number, before?: CallRow): Promise<CallRow[]> {
    let q = this.db.selectFrom('calls as c').selectAll('c').where('c.chat_id', '=', chatId);
    if (before) {
      q = q.where((eb) =>
        eb.or([eb('c.created_at', '<', before.created_at), eb.and([eb('c.created_at', '=', before.created_at), eb('c.id', '<', before.id)])]),
      );
    }
    return q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
  }

  async participantsOf(callIds: string[]): Promise<ParticipantWithName[]> {
    if (callIds.length === 0) return [];
    return this.db
      .selectFrom('call_participants as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .selectAll('p')
      .select('u.username')
      .where('p.call_id', 'in', callIds)
      .execute();
  }

  /** Calls storage still holds open that were created before `createdBefore` (sweep). */
  async openCallIds(createdBefore: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('calls')
      .select('id')
      .where('state', '!=', 'ended')
      .where('created_at', '<', createdBefore)
      .limit(500)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Closes a call whose live state is gone (a node died, or memory state was lost in a restart). */
  async closeOrphan(callId: string, now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('calls')
        .set({ state: 'ended', end_reason: 'interrupted', ended_at: now })
        .where('id', '=', callId)
        .where('state', '!=', 'ended')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return;
      await tx.updateTable('call_participants').set({ state: 'left', left_at: now }).where('call_id', '=', callId).where('state', '=', 'joined').execute();
      await tx.updateTable('call_participants').set({ state: 'missed' }).where('call_id', '=', callId).where('state', '=', 'invited').execute();
    });
  }
}
