import { api, setApiToken, setUnauthorizedHandler } from '../lib/api';
import { connectSocket, disconnectSocket } from '../lib/socket';
import { createStore } from '../lib/store';
import type { User } from '../lib/types';

const TOKEN_KEY = 'messenger.token';

export type Session =
  | { status: 'loading' }
  | { status: 'anon'; notice?: string }
  | { status: 'authed'; user: User; token: string };

export const session = createStore<Session>({ status: 'loading' });
const logoutHooks: (() => void)[] = [];
/** Features clear their state here so the next user starts clean. */
export const onLogout = (fn: () => void) => logoutHooks.push(fn);

export const me = (): User | null => {
  const s = session.get();
  return s.status === 'authed' ? s.user : null;
};

function start(token: string, user: User) {
  localStorage.setItem(TOKEN_KEY, token);
  setApiToken(token);
  session.set({ status: 'authed', user, token });
  connectSocket(token, () => logout('Your session expired. Please sign in again.'));
}

/** On page load: reuse the stored token if the server still accepts it. */
export async function restoreSession() {
  setUnauthorizedHandler(() => logout('Your session expired. Please sign in again.'));
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return session.set({ status: 'anon' });
  setApiToken(token);
  try {
    const { user } = await api.me();
    start(token, user);
  } catch (e) {
    // A network error keeps the token (the server may be restarting); a 401 drops it.
    const status = (e as { status?: number }).status;
    if (status === 401) localStorage.removeItem(TOKEN_KEY);
    session.set({ status: 'anon', notice: status === 401 ? undefined : 'Cannot reach the server. Retrying…' });
    if (status !== 401) setTimeout(() => void restoreSession(), 3000);
  }
}

export async function signIn(mode: 'login' | 'register', username: string, password: string) {
  const res = mode === 'login' ? await api.login(username, password) : await api.register(username, password);
  start(res.token, res.user);
}

export function logout(notice?: string) {
  if (session.get().status !== 'authed' && !notice) return;
  localStorage.removeItem(TOKEN_KEY);
  setApiToken(null);
  disconnectSocket();
  for (const fn of logoutHooks) fn();
  session.set({ status: 'anon', notice });
}
