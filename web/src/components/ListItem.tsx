import type { ComponentChildren } from 'preact';
import { Avatar } from './Avatar';

interface Props {
  title: string;
  time: string;
  /** The second line (last message, call kind…). */
  preview: ComponentChildren;
  /** Right of the preview: an unread badge, say. */
  trailing?: ComponentChildren;
  group?: boolean;
  online?: boolean | undefined;
  active?: boolean;
  titleClass?: string;
  previewClass?: string;
  previewTestId?: string;
  onClick(): void;
  /** data-* attributes and the test id of the row's button. */
  attrs: Record<string, string>;
}

/** One row of the sidebar's lists (chats, calls): avatar, title and time, then a preview line. */
export function ListItem(p: Props) {
  return (
    <li>
      <button class={`chat-item ${p.active ? 'active' : ''}`} onClick={p.onClick} {...p.attrs}>
        <Avatar name={p.title} online={p.online} group={p.group} />
        <span class="chat-item-body">
          <span class="row">
            <span class={`chat-item-title ${p.titleClass ?? ''}`}>{p.title}</span>
            <span class="time">{p.time}</span>
          </span>
          <span class="row">
            <span class={`chat-item-preview ${p.previewClass ?? ''}`} data-testid={p.previewTestId}>
              {p.preview}
            </span>
            {p.trailing}
          </span>
        </span>
      </button>
    </li>
  );
}
