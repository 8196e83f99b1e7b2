import { useEffect } from 'preact/hooks';
import { callLog, describeCall, loadCallLog, markCallsSeen } from '../app/call-log';
import { chats, openChat, startDirectChat } from '../app/chats';
import { me } from '../app/session';
import { toastError } from '../app/toast';
import { shortTime } from '../lib/format';
import { useStore } from '../lib/store';
import type { CallInfo } from '../lib/types';
import { Icon } from './Icon';
import { ListItem } from './ListItem';

const LABEL = { missed: 'Missed', declined: 'Declined', incoming: 'Incoming', outgoing: 'Outgoing' } as const;

function duration(c: CallInfo): string | null {
  if (!c.answeredAt || !c.endedAt) return null;
  const s = Math.max(0, Math.round((Date.parse(c.endedAt) - Date.parse(c.answeredAt)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The sidebar's Calls view: newest first, missed ones in red; a click opens the conversation. */
export function CallLog() {
  const state = useStore(callLog);
  const myId = me()?.id ?? '';
  useEffect(() => {
    void loadCallLog().then(markCallsSeen);
  }, []);
  // New entries arriving while the log is open are seen too.
  useEffect(() => {
    if (state.unseenMissed > 0) markCallsSeen();
  }, [state.unseenMissed]);

  const open = (c: CallInfo) => {
    if (c.chatId && chats.get().byId[c.chatId]) return openChat(c.chatId);
    const other = c.participants.find((p) => p.userId !== myId);
    if (other) startDirectChat(other.userId).catch(toastError);
  };

  return (
    <ul class="chat-list" data-testid="call-log">
      {!state.loaded && <li class="muted pad">Loading calls…</li>}
      {state.loaded && state.error && <li class="muted pad">{state.error}</li>}
      {state.loaded && !state.error && !state.calls.length && <li class="muted pad">No calls yet.</li>}
      {state.calls.map((c) => {
        const { direction, others } = describeCall(c, myId);
        const title = others.join(', ') || 'Call';
        const length = duration(c);
        return (
          <ListItem
            key={c.id}
            title={title}
            time={shortTime(c.createdAt)}
            titleClass={direction === 'missed' ? 'missed' : ''}
            preview={
              <>
                <Icon name={c.callType === 'video' ? 'video' : 'phone'} size={14} /> {LABEL[direction]}
                {length ? ` · ${length}` : ''}
              </>
            }
            group={c.kind === 'conference'}
            onClick={() => open(c)}
            attrs={{ 'data-testid': 'call-log-entry', 'data-direction': direction, 'data-call-id': c.id }}
          />
        );
      })}
    </ul>
  );
}
