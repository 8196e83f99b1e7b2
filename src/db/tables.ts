import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Row types of every table. Timestamps are epoch milliseconds (bigint in PostgreSQL, parsed back
 * to number; INTEGER in SQLite), so both engines hand the same values to the services.
 */
export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased username: the unique key, so "Alice" and "alice" cannot both exist. */
  username_key: string;
  password_hash: string;
  created_at: number;
  last_seen_at: number | null;
  /** Tokens issued before this instant are refused (password change revokes older tokens). */
  tokens_valid_after: number;
}

export interface ChatsTable {
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  created_by: string;
  created_at: number;
  /** "smallerId:largerId" for direct chats, so one pair has one chat (unique). */
  direct_key: string | null;
  /** Gapless per-chat message sequence: the seq of the newest message. */
  last_seq: ColumnType<number, number | undefined, number>;
  /** Per-chat change counter: bumped by every new message, edit, delete and read mark (sync). */
  change_seq: ColumnType<number, number | undefined, number>;
}

export interface ChatMembersTable {
  chat_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  joined_at: number;
  /** Highest message seq this member has read. */
  last_read_seq: ColumnType<number, number | undefined, number>;
  last_read_message_id: string | null;
  last_read_at: number | null;
  /** change_seq of the chat when this member's read mark last moved (sync). */
  read_change_seq: ColumnType<number, number | undefined, number>;
}

export interface MessagesTable {
  id: string;
  chat_id: string;
  seq: number;
  sender_id: string;
  type: 'text' | 'image' | 'file' | 'audio' | 'video';
  content: string;
  reply_to: string | null;
  /** JSON array of {type,url,name,size}. */
  attachments: string | null;
  client_message_id: string | null;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  /** The chat's change_seq at this message's last change (creation, edit or delete). */
  change_seq: number;
}

export interface CallsTable {
  id: string;
  kind: 'direct' | 'conference';
  call_type: 'audio' | 'video';
  chat_id: string | null;
  initiator_id: string;
  state: 'ringing' | 'active' | 'ended';
  end_reason: string | null;
  created_at: number;
  answered_at: number | null;
  ended_at: number | null;
  /** The SharedState revision last written (migration 0002). */
  revision: ColumnType<number, number | undefined, number>;
}

export interface CallParticipantsTable {
  call_id: string;
  user_id: string;
  role: 'initiator' | 'invitee';
  /** invited → joined → left; or invited → declined / missed. */
  state: 'invited' | 'joined' | 'left' | 'declined' | 'missed';
  joined_at: number | null;
  left_at: number | null;
}

export interface DB {
  users: UsersTable;
  chats: ChatsTable;
  chat_members: ChatMembersTable;
  messages: MessagesTable;
  calls: CallsTable;
  call_participants: CallParticipantsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ChatRow = Selectable<ChatsTable>;
export type ChatMemberRow = Selectable<ChatMembersTable>;
export type MessageRow = Selectable<MessagesTable>;
export type NewMessageRow = Insertable<MessagesTable>;
export type CallRow = Selectable<CallsTable>;
export type CallParticipantRow = Selectable<CallParticipantsTable>;
// Generated is re-exported for repositories that add auto columns later.
export type { Generated };
