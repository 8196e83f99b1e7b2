import { expect } from 'vitest';
import { api, connect, emitAck, Recorder, registerUser, waitFor, type TestSocket, type TestUser } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

/** Call tests run with short timers; call-start rate limits off (they have their own tests). */
export const CALL_ENV = {
  CALL_TIMEOUT_MS: '400',
  CALL_RECONNECT_GRACE_MS: '300',
  CALL_SWEEP_INTERVAL_MS: '60000',
  RATE_CALL_STARTS_PER_USER: 'off',
  RATE_CALL_STARTS_PER_SOCKET: 'off',
};

export function startCallServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startServer({ env: { ...CALL_ENV, ...env } });
}

export interface Person {
  user: TestUser;
  id: string;
  /** Connected devices; `socket` is the first. */
  sockets: TestSocket[];
  socket: TestSocket;
  rec: Recorder;
}

/** A registered user with `devices` connected sockets (the first one recorded). */
export async function person(server: TestServer, devices = 1): Promise<Person> {
  const user = await registerUser(server.url);
  const sockets: TestSocket[] = [];
  for (let i = 0; i < devices; i++) sockets.push(await connect(server.url, user.token));
  return { user, id: user.user.id, sockets, socket: sockets[0]!, rec: new Recorder(sockets[0]!) };
}

export async function addDevice(server: TestServer, p: Person): Promise<TestSocket> {
  const s = await connect(server.url, p.user.token);
  p.sockets.push(s);
  return s;
}

export function closeAll(...people: Person[]): void {
  for (const p of people) for (const s of p.sockets) s.close();
}

/** A initiates a 1:1 call to B and B accepts on its first device; returns the call id. */
export async function activeCall(a: Person, b: Person, callType: 'audio' | 'video' = 'video'): Promise<string> {
  const incoming = waitFor(b.socket, 'call:incoming');
  const accepted = waitFor(a.socket, 'call:accepted');
  const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType });
  expect(ack.ok).toBe(true);
  const { callId } = await incoming;
  const res = await emitAck(b.socket, 'call:response', { callId, action: 'accept' });
  expect(res.ok).toBe(true);
  await accepted;
  return callId;
}

/** The call as the user's REST call log shows it. */
export async function logged(server: TestServer, p: Person, callId: string): Promise<any> {
  const res = await api(server.url, 'GET', '/api/calls?limit=200', { token: p.user.token });
  expect(res.status).toBe(200);
  return res.body.calls.find((c: any) => c.id === callId);
}

export function stateOf(call: any, userId: string): string | undefined {
  return call?.participants.find((p: any) => p.userId === userId)?.state;
}

/** Events of a recorder that concern one call. */
export function eventsFor(rec: Recorder, callId: string): string[] {
  return rec.events.filter((e) => e.payload?.callId === callId).map((e) => e.event);
}

export async function directChat(server: TestServer, a: Person, b: Person): Promise<string> {
  const res = await api(server.url, 'POST', '/api/chats', { token: a.user.token, body: { type: 'direct', memberIds: [b.id] } });
  return res.body.chat.id;
}
