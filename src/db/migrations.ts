import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * Versioned migrations, applied in name order at start (kysely's Migrator keeps the ledger in
 * kysely_migration). Never edit a released migration: add the next one.
 * The schema builder output is portable between SQLite and PostgreSQL; `bigint` is used for
 * epoch-millisecond timestamps and counters.
 */
const migrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('username_key', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint')
        .addColumn('tokens_valid_after', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('chats')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('title', 'varchar(200)')
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('direct_key', 'varchar(140)', (c) => c.unique())
        .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('chat_members')
        .addColumn('chat_id', 'varchar(64)', (c) => c.notNull().references('chats.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('last_read_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_read_message_id', 'varchar(64)')
        .addColumn('last_read_at', 'bigint')
        .addColumn('read_change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('chat_members_pk', ['chat_id', 'user_id'])
        .execute();
      await db.schema.createIndex('chat_members_user_idx').on('chat_members').column('user_id').execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('chat_id', 'varchar(64)', (c) => c.notNull().references('chats.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('sender_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('reply_to', 'varchar(64)')
        .addColumn('attachments', 'text')
        .addColumn('client_message_id', 'varchar(128)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('edited_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .addColumn('change_seq', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('messages_chat_seq_idx').on('messages').columns(['chat_id', 'seq']).unique().execute();
      await db.schema.createIndex('messages_chat_change_idx').on('messages').columns(['chat_id', 'change_seq']).execute();
      await db.schema
        .createIndex('messages_client_id_idx')
        .on('messages')
        .columns(['sender_id', 'client_message_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('calls')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('call_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('chat_id', 'varchar(64)')
        .addColumn('initiator_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('end_reason', 'varchar(32)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('answered_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .execute();
      await db.schema.createIndex('calls_chat_idx').on('calls').columns(['chat_id', 'created_at']).execute();
      await db.schema.createIndex('calls_state_idx').on('calls').column('state').execute();

      await db.schema
        .createTable('call_participants')
        .addColumn('call_id', 'varchar(64)', (c) => c.notNull().references('calls.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('joined_at', 'bigint')
        .addColumn('left_at', 'bigint')
        .addPrimaryKeyConstraint('call_participants_pk', ['call_id', 'user_id'])
        .execute();
      await db.schema.createIndex('call_participants_user_idx').on('call_participants').column('user_id').execute();
    },
  },
  '0002_call_revision': {
    // Call state lives in SharedState; storage mirrors it. Each write carries the state's
    // revision and only moves forward, so writes of racing transitions cannot land backwards.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('calls').addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
