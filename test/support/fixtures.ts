import { api, connect, registerUser, Recorder, type TestSocket, type TestUser } from './client.js';

export interface Member extends TestUser {
  socket: TestSocket;
  seen: Recorder;
}

/** Registers users, connects one socket each and records what every socket receives. */
export async function connectedUsers(baseUrl: string, count: number): Promise<Member[]> {
  const users = await Promise.all(Array.from({ length: count }, () => registerUser(baseUrl)));
  return Promise.all(
    users.map(async (u) => {
      const socket = await connect(baseUrl, u.token);
      return { ...u, socket, seen: new Recorder(socket) };
    }),
  );
}

export async function createDirect(baseUrl: string, a: TestUser, b: TestUser): Promise<string> {
  const res = await api(baseUrl, 'POST', '/api/chats', { token: a.token, body: { type: 'direct', memberIds: [b.user.id] } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`create direct: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.chat.id;
}

export async function createGroup(baseUrl: string, owner: TestUser, others: TestUser[], title = 'group'): Promise<string> {
  const res = await api(baseUrl, 'POST', '/api/chats', {
    token: owner.token,
    body: { type: 'group', title, memberIds: others.map((o) => o.user.id) },
  });
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.chat.id;
}

export function closeAll(members: Array<{ socket: TestSocket }>): void {
  for (const m of members) m.socket.close();
}
