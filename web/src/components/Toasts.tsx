import { toasts } from '../app/toast';
import { connState } from '../lib/socket';
import { useStore } from '../lib/store';

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} data-testid={`toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

const LABELS = { connecting: 'Connecting…', reconnecting: 'Connection lost. Reconnecting…', offline: 'Offline' } as const;

/** A thin bar while the socket is not live: messages sent now go out on reconnect. */
export function ConnectionBanner() {
  const state = useStore(connState);
  if (state === 'online') return null;
  return (
    <div class={`conn-banner ${state}`} data-testid="connection-banner" data-state={state}>
      <span class="spinner" /> {LABELS[state]}
    </div>
  );
}
