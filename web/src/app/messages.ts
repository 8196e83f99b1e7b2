import { api } from '../lib/api';
import { emitAck, onReconnect, onSocket } from '../lib/socket';
import { createStore } from '../lib/store';
import type { Message } from '../lib/types';
import { chats, noteIncoming, setTyping, updateChat } from './chats';
import { me, onLogout } from './session';
import { toastError } from './toast';

const PAGE = 40;

/** A message on screen: stored ones, plus our own while they are on the way. */
export type UiMessage = Message & { status?: 'sending' | 'failed' };
export interface Thread {
  messages: UiMessage[]; // by seq; pending ones (seq = Infinity) last
  hasMore: boolean;
  loading: boolean;
  error?: string;
}
export const threads = createStore<Record<string, Thread>>({});
onLogout(() => threads.set({}));

const putThread = (chatId: string, fn: (t: Thread) => Thread) =>
  threads.set((all) => ({ ...all, [chatId]: fn(all[chatId] ?? { messages: [], hasMore: true, loading: false }) }));

// Pending messages carry seq = Infinity, so compare rather than subtract (Infinity - Infinity is NaN).
const bySeq = (a: UiMessage, b: UiMessage) => (a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1);
/** Inserts or replaces by id (and by clientMessageId for our pending copies). */
function merge(list: UiMessage[], incoming: Message[]): UiMessage[] {
  const out = [...list];
  for (const m of incoming) {
    const i = out.findIndex((x) => x.id === m.id || (m.clientMessageId && x.clientMessageId === m.clientMessageId));
    if (m.deleted) {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = m;
    else out.push(m);
  }
  return out.sort(bySeq);
}

const stored = (t: Thread | undefined) => (t?.messages ?? []).filter((m) => !m.status);

export async function loadOlder(chatId: string) {
  const t = threads.get()[chatId];
  if (t?.loading || (t && !t.hasMore)) return;
  const oldest = stored(t)[0];
  putThread(chatId, (x) => ({ ...x, loading: true, error: undefined }));
  try {
    const { messages } = await api.messages(chatId, { limit: PAGE, before: oldest?.id });
    putThread(chatId, (x) => ({ ...x, loading: false, hasMore: messages.length >= PAGE, messages: merge(x.messages, messages) }));
  } catch (e) {
    putThread(chatId, (x) => ({ ...x, loading: false, error: (e as Error).message }));
  }
}

/** After a reconnect: fetch everything after the newest seq we hold, then refresh the newest
 *  page so edits and deletions we missed show too (deleted ones are absent from the page). */
async function catchUp(chatId: string) {
  const t = threads.get()[chatId];
  const list = stored(t);
  const last = list[list.length - 1];
  if (!last) return loadOlder(chatId);
  try {
    let after = last.seq;
    for (;;) {
      const { messages } = await api.messages(chatId, { limit: 100, after });
      putThread(chatId, (x) => ({ ...x, messages: merge(x.messages, messages) }));
      const newest = messages[messages.length - 1];
      if (!newest || messages.length < 100) break;
      after = newest.seq;
    }
    const { messages: recent } = await api.messages(chatId, { limit: PAGE });
    const from = recent[0]?.seq ?? Infinity;
    const keep = new Set(recent.map((m) => m.id));
    putThread(chatId, (x) => ({
      ...x,
      messages: merge(x.messages.filter((m) => m.status || m.seq < from || keep.has(m.id)), recent),
    }));
  } catch (e) {
    toastError(e);
  }
}

let pendingCounter = 0;
export async function sendMessage(chatId: string, content: string, replyTo?: string) {
  const self = me();
  if (!self) return;
  const clientMessageId = `${self.id}-${Date.now()}-${pendingCounter++}`;
  const now = new Date().toISOString();
  const draft: UiMessage = {
    id: clientMessageId, chatId, seq: Infinity, senderId: self.id, type: 'text', content,
    replyTo: replyTo ?? null, attachments: [], clientMessageId, createdAt: now, editedAt: null,
    deleted: false, changeSeq: 0, status: 'sending',
  };
  putThread(chatId, (x) => ({ ...x, messages: [...x.messages, draft] }));
  await deliver(draft);
}

/** Sends (or resends) a pending message; the clientMessageId makes a retry safe. */
export async function deliver(draft: UiMessage) {
  const { chatId } = draft;
  putThread(chatId, (x) => ({ ...x, messages: x.messages.map((m) => (m.id === draft.id ? { ...m, status: 'sending' } : m)) }));
  try {
    const payload = { chatId, content: draft.content, clientMessageId: draft.clientMessageId ?? undefined, ...(draft.replyTo ? { replyTo: draft.replyTo } : {}) };
    const { message } = await emitAck<{ message: Message }>('message:send', payload);
    putThread(chatId, (x) => ({ ...x, messages: merge(x.messages, [message]) }));
    noteIncoming(chatId, message, false);
  } catch (e) {
    putThread(chatId, (x) => ({ ...x, messages: x.messages.map((m) => (m.id === draft.id ? { ...m, status: 'failed' } : m)) }));
    toastError(e);
  }
}

export async function editMessage(messageId: string, content: string) {
  const { message } = await emitAck<{ message: Message }>('message:edit', { messageId, content });
  putThread(message.chatId, (x) => ({ ...x, messages: merge(x.messages, [message]) }));
}

export async function deleteMessage(chatId: string, messageId: string) {
  await emitAck('message:delete', { messageId });
  removeMessage(chatId, messageId);
}

function removeMessage(chatId: string, messageId: string) {
  putThread(chatId, (x) => ({ ...x, messages: x.messages.filter((m) => m.id !== messageId) }));
  if (chats.get().byId[chatId]?.lastMessage?.id !== messageId) return;
  // The preview falls back to the newest message still there, as Telegram's list does: from the
  // loaded thread, else from the server (whose lastMessage skips deleted ones).
  const newest = stored(threads.get()[chatId]).at(-1);
  if (newest) return updateChat(chatId, (c) => ({ ...c, lastMessage: newest }));
  api
    .chat(chatId)
    .then(({ chat }) => updateChat(chatId, (c) => ({ ...c, lastMessage: chat.lastMessage })))
    .catch(() => updateChat(chatId, (c) => ({ ...c, lastMessage: null })));
}

let lastMarked: Record<string, number> = {};
onLogout(() => (lastMarked = {}));
/** Marks the chat read up to its newest stored message (once per seq). */
export function markRead(chatId: string) {
  const list = stored(threads.get()[chatId]);
  const last = list[list.length - 1];
  const chat = chats.get().byId[chatId];
  if (chat && chat.unreadCount) updateChat(chatId, (c) => ({ ...c, unreadCount: 0 }));
  if (!last || (lastMarked[chatId] ?? 0) >= last.seq) return;
  lastMarked[chatId] = last.seq;
  emitAck('message:read', { chatId, messageId: last.id }).catch(() => {
    lastMarked[chatId] = 0; // retry on the next chance
  });
}

/** True when the user is looking at this chat right now (counts as read). */
const isViewing = (chatId: string) => chats.get().activeId === chatId && document.visibilityState === 'visible';

onSocket((s) => {
  s.on('message:receive', ({ chatId, message }) => {
    const mine = message.senderId === me()?.id;
    if (threads.get()[chatId]) putThread(chatId, (x) => ({ ...x, messages: merge(x.messages, [message]) }));
    setTyping(chatId, message.senderId, false);
    noteIncoming(chatId, message, !mine && !isViewing(chatId));
    if (isViewing(chatId)) markRead(chatId);
  });
  s.on('message:edited', ({ chatId, message }) => {
    if (threads.get()[chatId]) putThread(chatId, (x) => ({ ...x, messages: merge(x.messages, [message]) }));
    updateChat(chatId, (c) => (c.lastMessage?.id === message.id ? { ...c, lastMessage: message } : c));
  });
  s.on('message:deleted', ({ chatId, messageId }) => removeMessage(chatId, messageId));
});
onReconnect(() => {
  for (const chatId of Object.keys(threads.get())) void catchUp(chatId);
});
document.addEventListener('visibilitychange', () => {
  const id = chats.get().activeId;
  if (id && document.visibilityState === 'visible') markRead(id);
});
