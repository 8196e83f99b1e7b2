import { api } from '../lib/api';
import { emitQuiet, onSocket } from '../lib/socket';
import { createStore } from '../lib/store';
import type { Chat, ChatMember, Message } from '../lib/types';
import { me, onLogout } from './session';
import { toastError } from './toast';

export interface ChatsState {
  byId: Record<string, Chat>;
  loaded: boolean;
  activeId: string | null;
  presence: Record<string, { online: boolean; lastSeen: string | null }>;
  typing: Record<string, Record<string, number>>; // chatId -> userId -> expiry (ms)
}
const empty = (): ChatsState => ({ byId: {}, loaded: false, activeId: null, presence: {}, typing: {} });
export const chats = createStore<ChatsState>(empty());
onLogout(() => chats.set(empty()));

const patch = (fn: (s: ChatsState) => Partial<ChatsState>) => chats.set((s) => ({ ...s, ...fn(s) }));
export const updateChat = (chatId: string, fn: (c: Chat) => Chat) =>
  patch((s) => {
    const c = s.byId[chatId];
    return c ? { byId: { ...s.byId, [chatId]: fn(c) } } : {};
  });

function mergePresence(list: Chat[], s: ChatsState) {
  const presence = { ...s.presence };
  for (const c of list) for (const m of c.members) presence[m.id] = { online: m.online, lastSeen: m.lastSeen };
  return presence;
}

function putChats(list: Chat[]) {
  patch((s) => {
    const byId = { ...s.byId };
    for (const c of list) byId[c.id] = c;
    return { byId, loaded: true, presence: mergePresence(list, s) };
  });
}

export async function loadChats() {
  try {
    const { chats: list } = await api.chats();
    putChats(list);
  } catch (e) {
    toastError(e);
  }
}

/** Newest activity first: last message time, else creation time. */
export const sortedChats = (s: ChatsState) =>
  Object.values(s.byId).sort((a, b) => activity(b).localeCompare(activity(a)));
const activity = (c: Chat) => c.lastMessage?.createdAt ?? c.createdAt;

/** The other person of a direct chat (the title of a group otherwise). */
export function peerOf(chat: Chat): ChatMember | undefined {
  const myId = me()?.id;
  return chat.type === 'direct' ? chat.members.find((m) => m.id !== myId) : undefined;
}
export const chatTitle = (chat: Chat) =>
  chat.type === 'group' ? (chat.title ?? 'Group') : (peerOf(chat)?.username ?? 'Saved messages');

export const memberName = (chat: Chat | undefined, userId: string) =>
  chat?.members.find((m) => m.id === userId)?.username ?? 'someone';

export function openChat(chatId: string | null) {
  patch(() => ({ activeId: chatId }));
  const url = chatId ? `/chat/${encodeURIComponent(chatId)}` : '/';
  if (location.pathname !== url) history.pushState(null, '', url);
}

export async function startDirectChat(userId: string) {
  const { chat } = await api.createDirect(userId);
  putChats([chat]);
  openChat(chat.id);
}

export async function createGroup(title: string, memberIds: string[]) {
  const { chat } = await api.createGroup(title, memberIds);
  putChats([chat]);
  openChat(chat.id);
}

/** Keeps the list's last message and unread count current as messages arrive. */
export function noteIncoming(chatId: string, message: Message, countUnread: boolean) {
  updateChat(chatId, (c) => ({
    ...c,
    lastMessage: !c.lastMessage || message.seq >= c.lastMessage.seq ? message : c.lastMessage,
    lastSeq: Math.max(c.lastSeq, message.seq),
    unreadCount: countUnread ? c.unreadCount + 1 : c.unreadCount,
  }));
  if (!chats.get().byId[chatId]) void loadChats(); // a chat we have not seen yet
}

export function setTyping(chatId: string, userId: string, on: boolean) {
  patch((s) => {
    const users = { ...(s.typing[chatId] ?? {}) };
    if (on) users[userId] = Date.now() + 6000;
    else delete users[userId];
    return { typing: { ...s.typing, [chatId]: users } };
  });
}
export const typingUsers = (s: ChatsState, chatId: string) =>
  Object.entries(s.typing[chatId] ?? {})
    .filter(([, until]) => until > Date.now())
    .map(([id]) => id);

let typingSentAt = 0;
/** Throttled typing hint: the server stops it by itself after TYPING_TIMEOUT_MS of silence. */
export function sendTyping(chatId: string, typing: boolean) {
  if (typing && Date.now() - typingSentAt < 2000) return;
  if (!typing && typingSentAt === 0) return; // nothing to stop
  typingSentAt = typing ? Date.now() : 0;
  emitQuiet(typing ? 'typing:start' : 'typing:stop', { chatId });
}

const setPresence = (userId: string, online: boolean, lastSeen: string | null) =>
  patch((s) => ({ presence: { ...s.presence, [userId]: { online, lastSeen: lastSeen ?? s.presence[userId]?.lastSeen ?? null } } }));

onSocket((s) => {
  s.on('connect', () => void loadChats());
  s.on('chat:created', ({ chat }) => putChats([chat]));
  s.on('chat:member:added', ({ chat }) => putChats([chat]));
  s.on('chat:member:removed', ({ chatId, userId }) => {
    if (userId === me()?.id) patch((st) => ({ byId: Object.fromEntries(Object.entries(st.byId).filter(([id]) => id !== chatId)) }));
    else void loadChats();
  });
  s.on('user:online', ({ userId }) => setPresence(userId, true, null));
  s.on('user:offline', ({ userId, lastSeen }) => setPresence(userId, false, lastSeen));
  s.on('typing:started', ({ chatId, userId }) => userId !== me()?.id && setTyping(chatId, userId, true));
  s.on('typing:stopped', ({ chatId, userId }) => setTyping(chatId, userId, false));
  s.on('message:read', ({ chatId, userId, seq }) => {
    updateChat(chatId, (c) => ({
      ...c,
      members: c.members.map((m) => (m.id === userId ? { ...m, lastReadSeq: Math.max(m.lastReadSeq, seq) } : m)),
      // Read on another of my devices: the unread badge follows.
      unreadCount: userId === me()?.id ? Math.max(0, c.lastSeq - seq) : c.unreadCount,
    }));
  });
});

// Typing hints expire on their own if typing:stopped never comes (lost connection).
setInterval(() => {
  const now = Date.now();
  const stale = Object.values(chats.get().typing).some((users) => Object.values(users).some((until) => until <= now));
  if (!stale) return;
  patch((s) => ({
    typing: Object.fromEntries(
      Object.entries(s.typing).map(([chatId, users]) => [chatId, Object.fromEntries(Object.entries(users).filter(([, until]) => until > now))]),
    ),
  }));
}, 1000);
