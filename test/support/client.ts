import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, User } from '../../src/shared/events.js';
import type { AckResponse } from '../../src/shared/models.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  /** The raw answer (for non-JSON bodies and leak checks). */
  text: string;
  headers: Headers;
}

/** A JSON call to the REST API; the body is parsed as JSON when it is JSON. */
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if ((options.body !== undefined || options.rawBody !== undefined) && headers['content-type'] === undefined) {
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

let counter = 0;
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 6)}`;
}

export interface TestUser {
  token: string;
  user: User;
  password: string;
}

export async function registerUser(baseUrl: string, username = uniqueName()): Promise<TestUser> {
  const password = 'correct-horse-battery';
  const res = await api(baseUrl, 'POST', '/api/auth/register', { body: { username, password } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.token, user: res.body.user, password };
}

/** Connects a real socket.io-client and waits for 'connect' (or rejects on connect_error). */
export function connect(
  baseUrl: string,
  token: string | undefined,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<TestSocket> {
  const socket: TestSocket = io(baseUrl, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(options.headers ? { extraHeaders: options.headers } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('connect timeout'));
    }, options.timeoutMs ?? 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** Emits a client event and resolves with its acknowledgement. */
export function emitAck<E extends keyof ClientToServerEvents>(
  socket: TestSocket,
  event: E,
  payload: unknown,
  timeoutMs = 5000,
): Promise<AckResponse<any>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${String(event)}`)), timeoutMs);
    (socket.emit as (e: string, p: unknown, ack: (r: AckResponse<any>) => void) => void)(event as string, payload, (r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

/** Resolves with the next event of that name (matching the predicate) within the timeout. */
export function waitFor<E extends keyof ServerToClientEvents>(
  socket: TestSocket,
  event: E,
  predicate: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  const loose = socket as unknown as { on(e: string, l: (p: any) => void): void; off(e: string, l: (p: any) => void): void };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      loose.off(event as string, listener);
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const listener = (payload: any) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      loose.off(event as string, listener);
      resolve(payload);
    };
    loose.on(event as string, listener);
  });
}

/** Records every event a socket receives, to assert later that something did NOT arrive. */
export class Recorder {
  readonly events: Array<{ event: string; payload: any }> = [];
  constructor(socket: TestSocket) {
    socket.onAny((event: string, payload: unknown) => this.events.push({ event, payload }));
  }
  of(event: string): any[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload);
  }
  clear(): void {
    this.events.length = 0;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Time for a broadcast that should not happen to have arrived if it were sent. */
export const settle = () => sleep(150);
