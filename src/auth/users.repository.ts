import { sql, type Kysely } from 'kysely';
import type { DB, UserRow } from '../db/tables.js';

export class UsersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByIds(ids: readonly string[]): Promise<UserRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('users').selectAll().where('id', 'in', [...ids]).execute();
  }

  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username_key', '=', username.toLowerCase()).executeTakeFirst();
  }

  searchByPrefix(prefix: string, limit: number): Promise<UserRow[]> {
    const escaped = prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    return this.db
      .selectFrom('users')
      .selectAll()
      // ESCAPE spelled out: SQLite has no default LIKE escape character, PostgreSQL uses '\\'.
      .where(sql<boolean>`username_key like ${`${escaped}%`} escape '\\'`)
      .orderBy('username_key')
      .limit(limit)
      .execute();
  }

  /** Inserts; returns false when the username is taken (unique violation). */
  async insert(row: UserRow): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('username_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setLastSeen(id: string, at: number): Promise<void> {
    await this.db.updateTable('users').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  async setPassword(id: string, hash: string, tokensValidAfter: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: hash, tokens_valid_after: tokensValidAfter })
      .where('id', '=', id)
      .execute();
  }
}
