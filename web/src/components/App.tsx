import { useEffect } from 'preact/hooks';
import { chats, openChat } from '../app/chats';
import { session } from '../app/session';
import { useStore } from '../lib/store';
import { CallScreen } from './CallScreen';
import { ChatView } from './ChatView';
import { IncomingCall } from './IncomingCall';
import { Login } from './Login';
import { Sidebar } from './Sidebar';
import { ConnectionBanner, Toasts } from './Toasts';

/** The open chat lives in the URL (/chat/:id), so reload and the back button keep it. */
function chatIdFromUrl(): string | null {
  const m = /^\/chat\/([^/]+)$/.exec(location.pathname);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

function Shell() {
  const activeId = useStore(chats, (s) => s.activeId);
  useEffect(() => {
    chats.set((s) => ({ ...s, activeId: chatIdFromUrl() }));
    const onPop = () => chats.set((s) => ({ ...s, activeId: chatIdFromUrl() }));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return (
    <div class={`shell ${activeId ? 'has-chat' : ''}`}>
      <ConnectionBanner />
      <div class="panes">
        <Sidebar />
        {activeId ? (
          <ChatView chatId={activeId} />
        ) : (
          <section class="chat-view empty">
            <p>Select a chat, or find someone by username to start one.</p>
          </section>
        )}
      </div>
      <CallScreen />
      <IncomingCall />
    </div>
  );
}

export function App() {
  const s = useStore(session);
  useEffect(() => {
    if (s.status === 'anon' && location.pathname !== '/') openChat(null);
  }, [s.status]);
  return (
    <>
      {s.status === 'loading' && (
        <div class="splash" data-testid="splash">
          <span class="spinner" /> Loading…
        </div>
      )}
      {s.status === 'anon' && <Login />}
      {s.status === 'authed' && <Shell />}
      <Toasts />
    </>
  );
}
