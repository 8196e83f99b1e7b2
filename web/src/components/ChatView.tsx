import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { call } from '../app/call-state';
import { startCall } from '../app/calls';
import { chatTitle, chats, memberName, openChat, peerOf, typingUsers } from '../app/chats';
import { loadOlder, markRead, threads, type UiMessage } from '../app/messages';
import { me } from '../app/session';
import { lastSeenText } from '../lib/format';
import { useStore } from '../lib/store';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { Composer } from './Composer';
import { MessageRow } from './MessageRow';

export function ChatView({ chatId }: { chatId: string }) {
  const state = useStore(chats);
  const all = useStore(threads);
  const inCall = useStore(call, (s) => s.phase !== 'idle' && s.phase !== 'ended');
  const chat = state.byId[chatId];
  const thread = all[chatId];
  const [replyTo, setReplyTo] = useState<UiMessage | null>(null);
  const [editing, setEditing] = useState<UiMessage | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true); // follow new messages while the user is at the bottom
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const myId = me()?.id ?? '';

  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
    stick.current = true;
    if (!threads.get()[chatId]) void loadOlder(chatId);
  }, [chatId]);

  const messages = thread?.messages ?? [];
  const newest = messages[messages.length - 1];
  useEffect(() => {
    if (document.visibilityState === 'visible') markRead(chatId);
  }, [chatId, newest?.id]);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (anchor.current) {
      // Older page prepended: keep the same message under the user's eyes.
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (stick.current || newest?.senderId === myId) el.scrollTop = el.scrollHeight;
  }, [messages.length, newest?.id]);

  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 120 && thread?.hasMore && !thread.loading) {
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      void loadOlder(chatId);
    }
  };

  if (!chat) return <section class="chat-view empty">Chat not found.</section>;
  const peer = peerOf(chat);
  const typing = typingUsers(state, chatId);
  const presence = peer ? state.presence[peer.id] : undefined;
  const subtitle = typing.length
    ? `${typing.map((id) => memberName(chat, id)).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`
    : peer
      ? lastSeenText(presence?.online ?? peer.online, presence?.lastSeen ?? peer.lastSeen)
      : `${chat.members.length} members, ${chat.members.filter((m) => state.presence[m.id]?.online ?? m.online).length} online`;
  const byId = new Map(messages.map((m) => [m.id, m]));

  return (
    <section class="chat-view" data-testid="chat-view" data-chat-id={chatId}>
      <header class="chat-head">
        <button class="icon back" aria-label="Back to chats" onClick={() => openChat(null)}>
          <Icon name="back" size={26} />
        </button>
        <Avatar name={chatTitle(chat)} size={38} group={chat.type === 'group'} online={peer ? (presence?.online ?? peer.online) : undefined} />
        <div class="grow head-text">
          <strong data-testid="chat-title">{chatTitle(chat)}</strong>
          <span class={`subtitle ${typing.length ? 'typing' : ''}`} data-testid={typing.length ? 'typing-indicator' : 'chat-subtitle'}>
            {subtitle}
          </span>
        </div>
        <button class="icon" title={chat.type === 'group' ? 'Group audio call' : 'Audio call'} disabled={inCall} onClick={() => void startCall(chatId, 'audio')} data-testid="call-audio">
          <Icon name="phone" />
        </button>
        <button class="icon" title={chat.type === 'group' ? 'Group video call' : 'Video call'} disabled={inCall} onClick={() => void startCall(chatId, 'video')} data-testid="call-video">
          <Icon name="video" />
        </button>
      </header>
      <div class="messages" ref={listRef} onScroll={onScroll} data-testid="message-list">
        {thread?.loading && <div class="muted center pad">Loading…</div>}
        {thread?.error && (
          <div class="form-error center pad">
            {thread.error}{' '}
            <button class="link" onClick={() => void loadOlder(chatId)}>
              Retry
            </button>
          </div>
        )}
        {thread && !thread.hasMore && !thread.loading && <div class="muted center pad small">Beginning of the conversation</div>}
        {messages.map((m, i) => (
          <MessageRow
            key={m.id}
            msg={m}
            chat={chat}
            myId={myId}
            replied={m.replyTo ? byId.get(m.replyTo) : undefined}
            showSender={chat.type === 'group' && messages[i - 1]?.senderId !== m.senderId}
            onReply={(x) => (setEditing(null), setReplyTo(x))}
            onEdit={(x) => (setReplyTo(null), setEditing(x))}
          />
        ))}
      </div>
      <Composer
        chatId={chatId}
        replyTo={replyTo}
        editing={editing}
        replyName={replyTo ? memberName(chat, replyTo.senderId) : ''}
        onDone={() => (setReplyTo(null), setEditing(null))}
      />
    </section>
  );
}
