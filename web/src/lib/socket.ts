import { io, type Socket } from 'socket.io-client';
import { createStore } from './store';
import type { ServerToClientEvents } from './types';

// Client->server emits go through emitAck() below, which checks the `{ok}` answer at runtime.
type AnyEmits = Record<string, (...args: never[]) => void>;
export type AppSocket = Socket<ServerToClientEvents, AnyEmits>;

export type ConnState = 'connecting' | 'online' | 'reconnecting' | 'offline';
export const connState = createStore<ConnState>('connecting');

/** A failed acknowledgement: `{ok:false, error:{code,message}}` or no answer in time. */
export class AckError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let socket: AppSocket | null = null;
const binders: ((s: AppSocket) => void)[] = [];
const reconnectHooks: (() => void)[] = [];

/** Features register their listeners once; they are attached to every new socket. */
export const onSocket = (bind: (s: AppSocket) => void) => binders.push(bind);
/** Runs after a reconnect (not the first connect), to refetch what was missed. */
export const onReconnect = (fn: () => void) => reconnectHooks.push(fn);
export const currentSocket = () => socket;

export function connectSocket(token: string, onAuthFailed: () => void): AppSocket {
  disconnectSocket();
  connState.set('connecting');
  const s: AppSocket = io({ auth: { token }, transports: ['websocket', 'polling'] });
  let wasConnected = false;
  s.on('connect', () => {
    connState.set('online');
    if (wasConnected) for (const fn of reconnectHooks) fn();
    wasConnected = true;
  });
  s.on('disconnect', (reason) => {
    // "io client disconnect" is our own logout; everything else is retried by socket.io.
    connState.set(reason === 'io client disconnect' ? 'offline' : 'reconnecting');
    if (reason === 'io server disconnect') s.connect();
  });
  s.on('connect_error', (err) => {
    if (err.message === 'Authentication failed') {
      onAuthFailed();
      return;
    }
    connState.set(wasConnected ? 'reconnecting' : 'connecting');
  });
  for (const bind of binders) bind(s);
  socket = s;
  return s;
}

export function disconnectSocket() {
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = null;
  connState.set('offline');
}

type Ack = { ok: true } | { ok: false; error: { code: string; message: string } };

/** Emits and resolves with the ack's data, or rejects with AckError. */
export async function emitAck<T extends object = object>(event: string, payload: object, timeoutMs = 10_000): Promise<T> {
  const s = socket;
  if (!s) throw new AckError('OFFLINE', 'Not connected');
  let res: Ack;
  try {
    res = (await (s.timeout(timeoutMs) as unknown as Socket).emitWithAck(event, payload)) as Ack;
  } catch {
    throw new AckError('TIMEOUT', 'The server did not answer in time');
  }
  if (!res || typeof res !== 'object') throw new AckError('INTERNAL', 'Bad answer from the server');
  if (!res.ok) throw new AckError(res.error.code, res.error.message);
  return res as unknown as T;
}

/** Fire-and-forget emit for hints like typing (failures don't matter to the user). */
export function emitQuiet(event: string, payload: object) {
  (socket as unknown as Socket | null)?.emit(event, payload);
}
