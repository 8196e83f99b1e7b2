import { useState } from 'preact/hooks';
import { chatTitle, chats, openChat, peerOf, sortedChats, startDirectChat, typingUsers } from '../app/chats';
import { logout, me } from '../app/session';
import { toastError } from '../app/toast';
import { shortTime } from '../lib/format';
import { useStore } from '../lib/store';
import type { Chat } from '../lib/types';
import { Avatar } from './Avatar';
import { Icon } from './Icon';
import { callLog } from '../app/call-log';
import { CallLog } from './CallLog';
import { ListItem } from './ListItem';
import { GroupDialog } from './GroupDialog';
import { UserSearch } from './UserSearch';

function preview(chat: Chat, typing: boolean): string {
  if (typing) return 'typing…';
  const m = chat.lastMessage;
  if (!m) return chat.type === 'group' ? 'Group created' : 'Say hello!';
  if (m.deleted) return 'Message deleted';
  const who = m.senderId === me()?.id ? 'You: ' : chat.type === 'group' ? `${chat.members.find((x) => x.id === m.senderId)?.username ?? ''}: ` : '';
  return who + m.content;
}

export function Sidebar() {
  const state = useStore(chats);
  const [groupOpen, setGroupOpen] = useState(false);
  const [view, setView] = useState<'chats' | 'calls'>('chats');
  const missed = useStore(callLog, (l) => l.unseenMissed);
  const list = sortedChats(state);
  const user = me();

  return (
    <aside class="sidebar">
      <header class="sidebar-head">
        <Avatar name={user?.username ?? '?'} size={36} />
        <strong class="grow" data-testid="me-name">{user?.username}</strong>
        <button
          class={`icon ${view === 'calls' ? 'on' : ''}`}
          title={view === 'calls' ? 'Back to chats' : 'Calls'}
          onClick={() => setView(view === 'calls' ? 'chats' : 'calls')}
          data-testid="toggle-call-log"
        >
          <Icon name="phone" />
          {view !== 'calls' && missed > 0 && (
            <span class="badge corner" data-testid="missed-badge" title={`${missed} missed`}>
              {missed}
            </span>
          )}
        </button>
        <button class="icon" title="New group" onClick={() => setGroupOpen(true)} data-testid="new-group">
          <Icon name="groupAdd" />
        </button>
        <button class="icon" title="Log out" onClick={() => logout()} data-testid="logout">
          <Icon name="logout" />
        </button>
      </header>
      <UserSearch placeholder="Find people to chat with" onPick={(u) => startDirectChat(u.id).catch(toastError)} />
      {view === 'calls' ? <CallLog /> : (
      <ul class="chat-list" data-testid="chat-list">
        {!state.loaded && <li class="muted pad">Loading chats…</li>}
        {state.loaded && !list.length && <li class="muted pad">No chats yet. Find someone by username above.</li>}
        {list.map((c) => {
          const peer = peerOf(c);
          const online = peer ? (state.presence[peer.id]?.online ?? peer.online) : undefined;
          const typing = typingUsers(state, c.id).length > 0;
          return (
            <ListItem
              key={c.id}
              title={chatTitle(c)}
              time={shortTime(c.lastMessage?.createdAt ?? c.createdAt)}
              preview={preview(c, typing)}
              previewClass={typing ? 'typing' : ''}
              previewTestId="chat-preview"
              trailing={
                c.unreadCount > 0 && (
                  <span class="badge" data-testid="unread-badge">
                    {c.unreadCount}
                  </span>
                )
              }
              group={c.type === 'group'}
              online={online}
              active={state.activeId === c.id}
              onClick={() => openChat(c.id)}
              attrs={{ 'data-testid': 'chat-item', 'data-chat-title': chatTitle(c) }}
            />
          );
        })}
      </ul>
      )}
      {groupOpen && <GroupDialog onClose={() => setGroupOpen(false)} />}
    </aside>
  );
}
