import { useEffect, useRef, useState } from 'preact/hooks';
import { sendTyping } from '../app/chats';
import { editMessage, sendMessage, type UiMessage } from '../app/messages';
import { toastError } from '../app/toast';
import { Icon } from './Icon';

interface Props {
  chatId: string;
  replyTo: UiMessage | null;
  editing: UiMessage | null;
  replyName: string;
  onDone(): void;
}

/** Enter sends, Shift+Enter breaks the line, Escape cancels a reply or an edit. */
export function Composer({ chatId, replyTo, editing, replyName, onDone }: Props) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (editing) setText(editing.content);
    ref.current?.focus();
  }, [editing, replyTo, chatId]);

  const submit = () => {
    const content = text.trim();
    if (!content) return;
    if (editing) {
      if (content !== editing.content) editMessage(editing.id, content).catch(toastError);
    } else {
      void sendMessage(chatId, content, replyTo?.id);
      sendTyping(chatId, false);
    }
    setText('');
    onDone();
  };

  return (
    <div class="composer">
      {(replyTo || editing) && (
        <div class="composer-context" data-testid={editing ? 'editing-bar' : 'reply-bar'}>
          <span class="grow">
            <b>{editing ? 'Editing' : `Reply to ${replyName}`}</b> {(editing ?? replyTo)?.content.slice(0, 80)}
          </span>
          <button class="icon" aria-label="Cancel" onClick={() => (setText(''), onDone())}>
            <Icon name="close" size={18} />
          </button>
        </div>
      )}
      <div class="composer-row">
        <textarea
          ref={ref}
          rows={1}
          placeholder="Write a message…"
          value={text}
          maxLength={4096}
          data-testid="composer-input"
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (!editing) sendTyping(chatId, e.currentTarget.value.length > 0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            } else if (e.key === 'Escape') {
              setText('');
              onDone();
            }
          }}
          onBlur={() => sendTyping(chatId, false)}
        />
        <button class="primary send" onClick={submit} disabled={!text.trim()} aria-label="Send" data-testid="composer-send">
          {editing ? 'Save' : <Icon name="send" size={20} />}
        </button>
      </div>
    </div>
  );
}
