import type { CallInfo, Chat, Message, User } from './types';

/** A REST failure with the server's error code (`{error:{code,message}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = null;
export const setApiToken = (t: string | null) => {
  token = t;
};

/** Called on any 401 so the session can end (expired or revoked token). */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void) => {
  onUnauthorized = fn;
};

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server. Check your connection.');
  }
  const data = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) {
    if (res.status === 401 && token) onUnauthorized();
    throw new ApiError(res.status, data.error?.code ?? 'HTTP_' + res.status, data.error?.message ?? res.statusText);
  }
  return data as T;
}

export interface AuthResult {
  token: string;
  user: User;
}
export type UserSummary = Pick<User, 'id' | 'username' | 'lastSeen'> & { online?: boolean };

export const api = {
  register: (username: string, password: string) =>
    request<AuthResult>('POST', '/api/auth/register', { username, password }),
  login: (username: string, password: string) => request<AuthResult>('POST', '/api/auth/login', { username, password }),
  me: () => request<{ user: User }>('GET', '/api/me'),
  searchUsers: (prefix: string) =>
    request<{ users: UserSummary[] }>('GET', `/api/users?search=${encodeURIComponent(prefix)}`),
  chats: () => request<{ chats: Chat[] }>('GET', '/api/chats'),
  chat: (chatId: string) => request<{ chat: Chat }>('GET', `/api/chats/${encodeURIComponent(chatId)}`),
  /** The caller's call log, newest first (missed calls marked). */
  callLog: () => request<{ calls: CallInfo[] }>('GET', '/api/calls?limit=50'),
  createDirect: (userId: string) => request<{ chat: Chat }>('POST', '/api/chats', { type: 'direct', memberIds: [userId] }),
  createGroup: (title: string, memberIds: string[]) =>
    request<{ chat: Chat }>('POST', '/api/chats', { type: 'group', title, memberIds }),
  /** A page of history, oldest first; `before` is a message id or seq, `after` a seq. */
  messages: (chatId: string, opts: { limit?: number; before?: string; after?: number } = {}) => {
    const q = new URLSearchParams();
    q.set('limit', String(opts.limit ?? 40));
    if (opts.before !== undefined) q.set('before', opts.before);
    if (opts.after !== undefined) q.set('after', String(opts.after));
    return request<{ messages: Message[] }>('GET', `/api/chats/${encodeURIComponent(chatId)}/messages?${q}`);
  },
  iceServers: () => request<{ iceServers: RTCIceServer[] }>('GET', '/api/calls/ice-servers'),
};
