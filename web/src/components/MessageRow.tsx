import { useState } from 'preact/hooks';
import { deleteMessage, deliver, type UiMessage } from '../app/messages';
import { toastError } from '../app/toast';
import { clockTime } from '../lib/format';
import type { Chat } from '../lib/types';
import { Icon } from './Icon';

interface Props {
  msg: UiMessage;
  chat: Chat;
  myId: string;
  replied: UiMessage | undefined;
  showSender: boolean;
  onReply(m: UiMessage): void;
  onEdit(m: UiMessage): void;
}

/** ✓ stored, ✓✓ read by someone else (their read mark reached this message's seq). */
function ticks(msg: UiMessage, chat: Chat, myId: string) {
  if (msg.status === 'sending') return <span class="ticks" title="Sending"><Icon name="clock" size={12} /></span>;
  if (msg.status === 'failed') return null;
  const read = chat.members.some((m) => m.id !== myId && m.lastReadSeq >= msg.seq);
  return (
    <span class={`ticks ${read ? 'read' : ''}`} title={read ? 'Read' : 'Sent'} data-testid="read-mark" data-read={read ? 'true' : 'false'}>
      {read ? '✓✓' : '✓'}
    </span>
  );
}

export function MessageRow({ msg, chat, myId, replied, showSender, onReply, onEdit }: Props) {
  const [menu, setMenu] = useState(false);
  const mine = msg.senderId === myId;
  const sender = chat.members.find((m) => m.id === msg.senderId)?.username ?? 'Unknown';
  const remove = () => {
    setMenu(false);
    if (confirm('Delete this message for everyone?')) deleteMessage(chat.id, msg.id).catch(toastError);
  };

  return (
    <div class={`msg-row ${mine ? 'mine' : ''}`} data-testid="message" data-mine={mine ? 'true' : 'false'} data-message-id={msg.id}>
      <div class={`bubble ${msg.status ?? ''}`}>
        {showSender && !mine && <div class="sender">{sender}</div>}
        {msg.replyTo && (
          <div class="quote" data-testid="reply-quote">
            {replied ? (
              <>
                <b>{chat.members.find((m) => m.id === replied.senderId)?.username ?? ''}</b> {replied.content.slice(0, 120)}
              </>
            ) : (
              <i>Reply to an earlier message</i>
            )}
          </div>
        )}
        <div class="content" data-testid="message-content">
          {msg.content}
        </div>
        <div class="meta">
          {msg.editedAt && <span data-testid="edited-mark">edited</span>}
          <span>{clockTime(msg.createdAt)}</span>
          {mine && ticks(msg, chat, myId)}
          {msg.status === 'failed' && (
            <button class="link danger" onClick={() => void deliver(msg)}>
              Not sent · Retry
            </button>
          )}
        </div>
        {!msg.status && (
          <button class="msg-more" aria-label="Message actions" onClick={() => setMenu(!menu)} data-testid="message-actions">
            <Icon name="more" size={16} />
          </button>
        )}
        {menu && (
          <div class="msg-menu" onMouseLeave={() => setMenu(false)}>
            <button onClick={() => (setMenu(false), onReply(msg))} data-testid="action-reply">
              Reply
            </button>
            {mine && (
              <button onClick={() => (setMenu(false), onEdit(msg))} data-testid="action-edit">
                Edit
              </button>
            )}
            {mine && (
              <button class="danger" onClick={remove} data-testid="action-delete">
                Delete
              </button>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
