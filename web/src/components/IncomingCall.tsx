import { acceptIncoming, declineIncoming } from '../app/calls';
import { chats, chatTitle } from '../app/chats';
import { incoming } from '../app/call-state';
import { useStore } from '../lib/store';
import { Avatar } from './Avatar';
import { Icon } from './Icon';

export function IncomingCall() {
  const inc = useStore(incoming);
  const chatsById = useStore(chats, (s) => s.byId);
  if (!inc) return null;
  const chat = inc.chatId ? chatsById[inc.chatId] : undefined;
  const group = chat?.type === 'group';
  return (
    <div class="incoming" role="dialog" aria-label="Incoming call" data-testid="incoming-call" data-call-id={inc.callId}>
      <div class="incoming-card">
        <div class="pulse">
          <Avatar name={inc.caller.username} size={84} />
        </div>
        <h2>{inc.caller.username}</h2>
        <p class="muted">
          Incoming {inc.callType} call{group && chat ? ` in ${chatTitle(chat)}` : ''}…
        </p>
        <div class="incoming-actions">
          <button class="round danger" onClick={declineIncoming} data-testid="call-decline" aria-label="Decline">
            <Icon name="hangup" size={28} />
          </button>
          <button class="round success" onClick={() => void acceptIncoming()} data-testid="call-accept" aria-label="Accept">
            <Icon name={inc.callType === 'video' ? 'video' : 'phone'} size={28} />
          </button>
        </div>
      </div>
    </div>
  );
}
