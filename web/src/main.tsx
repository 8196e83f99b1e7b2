import { render } from 'preact';
import { callDebug } from './app/calls';
import './app/call-events'; // registers the call socket listeners
import './app/screen'; // registers the screen-sharing socket listeners
import { restoreSession } from './app/session';
import { chats } from './app/chats';
import { threads } from './app/messages';
import { App } from './components/App';
import { currentSocket } from './lib/socket';
import './styles.css';

declare global {
  interface Window {
    /** Read-only debug handle (browser tests, support): state and WebRTC inbound stats. */
    __messenger?: unknown;
  }
}
window.__messenger = {
  call: callDebug.state,
  stats: callDebug.stats,
  chats: () => chats.get(),
  threads: () => threads.get(),
  socket: () => currentSocket(),
};

render(<App />, document.getElementById('app')!);
void restoreSession();
