import { afterAll, beforeAll, expect, test } from 'vitest';
import { api, emitAck, settle, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { closeAll, eventsFor, logged, person, startCallServer, stateOf, type Person } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer({ MAX_CONFERENCE_PARTICIPANTS: '4', CALL_TIMEOUT_MS: '600' });
});
afterAll(async () => {
  await server?.close();
});

async function conference(host: Person, invitees: Person[], chatId?: string) {
  const rings = invitees.map((p) => waitFor(p.socket, 'call:incoming'));
  const ack = await emitAck(host.socket, 'conference:create', { participantIds: invitees.map((p) => p.id), callType: 'video', ...(chatId ? { chatId } : {}) });
  expect(ack.ok).toBe(true);
  const incoming = await Promise.all(rings);
  return { callId: ack.call.id as string, ack, incoming };
}

test('create rings every invitee; join and leave are told; last one out ends it; log is right', async () => {
  const [h, p1, p2, p3] = [await person(server), await person(server), await person(server), await person(server)];
  const group = await api(server.url, 'POST', '/api/chats', { token: h.user.token, body: { type: 'group', title: 'team', memberIds: [p1.id, p2.id, p3.id] } });
  const chatId = group.body.chat.id;
  const { callId, ack, incoming } = await conference(h, [p1, p2, p3], chatId);
  expect(ack.call).toMatchObject({ kind: 'conference', state: 'ringing', chatId });
  expect(ack.iceServers.length).toBeGreaterThan(0);
  for (const i of incoming) expect(i).toMatchObject({ callId, kind: 'conference', caller: { id: h.id }, chatId });
  expect(incoming[0]!.participantIds.sort()).toEqual([h.id, p1.id, p2.id, p3.id].sort());

  const joinedH = waitFor(h.socket, 'call:participant:joined');
  const r1 = await emitAck(p1.socket, 'call:response', { callId, action: 'accept' });
  expect(r1.ok).toBe(true);
  expect(await joinedH).toEqual({ callId, userId: p1.id, username: p1.user.user.username });
  // p1 starts video and shares the screen; a late joiner learns all of it.
  await emitAck(p1.socket, 'video:control:toggle', { callId, action: 'mute_audio', enabled: false });
  await emitAck(p1.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'high' });
  await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'draw', data: { points: [[1, 2], [3, 4]] } });

  const joinedP1 = waitFor(p1.socket, 'call:participant:joined');
  const r2 = await emitAck(p2.socket, 'conference:join', { callId });
  expect(r2.ok).toBe(true);
  expect(await joinedP1).toMatchObject({ callId, userId: p2.id });
  const p1state = r2.participants.find((p: any) => p.userId === p1.id);
  expect(p1state).toMatchObject({ state: 'joined', connected: true, media: { audioEnabled: false, videoEnabled: true } });
  expect(r2.participants.find((p: any) => p.userId === p3.id).state).toBe('invited');
  expect(r2.screen).toMatchObject({ sharerId: p1.id, quality: 'high' });
  expect(r2.annotations).toMatchObject([{ type: 'draw', userId: p1.id, data: { points: [[1, 2], [3, 4]] } }]);

  const declined = waitFor(h.socket, 'call:declined');
  await emitAck(p3.socket, 'call:response', { callId, action: 'decline' });
  expect(await declined).toEqual({ callId, userId: p3.id });

  // A non-initiator's call:end is a leave; the host may leave without ending it.
  const leftP1 = waitFor(p1.socket, 'call:participant:left');
  expect((await emitAck(p2.socket, 'call:end', { callId })).ok).toBe(true);
  expect(await leftP1).toEqual({ callId, userId: p2.id, reason: 'left' });
  const leftHost = waitFor(p1.socket, 'call:participant:left');
  expect((await emitAck(h.socket, 'conference:leave', { callId })).ok).toBe(true);
  expect(await leftHost).toMatchObject({ userId: h.id });
  // p2 may come back while the call lasts.
  const back = await emitAck(p2.socket, 'conference:join', { callId });
  expect(back.ok).toBe(true);
  await emitAck(p2.socket, 'conference:leave', { callId });
  // The last one out ends it: their ack carries the ended call.
  const last = await emitAck(p1.socket, 'conference:leave', { callId });
  expect(last.call).toMatchObject({ state: 'ended', endReason: 'hangup' });
  expect(await emitAck(p2.socket, 'conference:join', { callId })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  const log = await logged(server, p3, callId);
  expect(log).toMatchObject({ kind: 'conference', state: 'ended', endReason: 'hangup', missed: false });
  expect(stateOf(log, p3.id)).toBe('declined');
  expect(stateOf(log, p1.id)).toBe('left');
  const chatLog = await api(server.url, 'GET', `/api/chats/${chatId}/calls`, { token: p2.user.token });
  expect(chatLog.body.calls.map((c: any) => c.id)).toEqual([callId]);
  closeAll(h, p1, p2, p3);
});

test('over MAX_CONFERENCE_PARTICIPANTS: LIMIT_EXCEEDED and nobody rings; bad input refused', async () => {
  const h = await person(server);
  const others = [await person(server), await person(server), await person(server), await person(server)];
  const r = await emitAck(h.socket, 'conference:create', { participantIds: others.map((o) => o.id), callType: 'audio' });
  expect(r).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  expect(h.rec.of('call:error')).toContainEqual(expect.objectContaining({ event: 'conference:create', code: 'LIMIT_EXCEEDED' }));
  for (const bad of [{ participantIds: [], callType: 'audio' }, { participantIds: [h.id], callType: 'audio' }, { participantIds: [others[0]!.id], callType: 'x' }]) {
    expect(await emitAck(h.socket, 'conference:create', bad)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  }
  expect(await emitAck(h.socket, 'conference:create', { participantIds: ['ghost'], callType: 'audio' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  // A chat the creator is not in is "not found".
  const foreign = await api(server.url, 'POST', '/api/chats', { token: others[0]!.user.token, body: { type: 'direct', memberIds: [others[1]!.id] } });
  expect(await emitAck(h.socket, 'conference:create', { participantIds: [others[0]!.id], callType: 'audio', chatId: foreign.body.chat.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  await settle();
  for (const o of others) expect(o.rec.of('call:incoming')).toEqual([]);
  // Exactly the maximum is fine.
  const ok = await conference(h, others.slice(0, 3));
  await emitAck(h.socket, 'call:end', { callId: ok.callId });
  closeAll(h, ...others);
});

test('nobody answers: invitees missed, call ends timeout; the host may end it for everyone', async () => {
  const [h, p1, p2] = [await person(server), await person(server), await person(server)];
  const { callId } = await conference(h, [p1, p2]);
  const [eh, e1] = await Promise.all([waitFor(h.socket, 'call:ended'), waitFor(p1.socket, 'call:ended')]);
  expect(eh).toEqual({ callId, reason: 'timeout' });
  expect(e1).toEqual({ callId, reason: 'timeout' });
  const log = await logged(server, p1, callId);
  expect(log).toMatchObject({ endReason: 'timeout', missed: true });

  // Answered by one, the other rings out alone; then the host ends it for all.
  const second = await conference(h, [p1, p2]);
  await emitAck(p1.socket, 'call:response', { callId: second.callId, action: 'accept' });
  const rangOut = await waitFor(p2.socket, 'call:ended', (e) => e.callId === second.callId);
  expect(rangOut.reason).toBe('timeout');
  await settle();
  expect(eventsFor(p1.rec, second.callId)).not.toContain('call:ended');
  const endedP1 = waitFor(p1.socket, 'call:ended', (e) => e.callId === second.callId);
  await emitAck(h.socket, 'call:end', { callId: second.callId });
  expect((await endedP1).reason).toBe('hangup');
  const log2 = await logged(server, p2, second.callId);
  expect(log2.missed).toBe(true);
  expect(stateOf(log2, p1.id)).toBe('left');
  closeAll(h, p1, p2);
});

test('outsiders cannot join, leave or see a conference', async () => {
  const [h, p1, x] = [await person(server), await person(server), await person(server)];
  const { callId } = await conference(h, [p1]);
  for (const ev of ['conference:join', 'conference:leave', 'call:rejoin', 'call:end'] as const) {
    expect(await emitAck(x.socket, ev, { callId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  }
  await emitAck(p1.socket, 'conference:join', { callId });
  await settle();
  expect(eventsFor(x.rec, callId)).toEqual([]);
  expect(await logged(server, x, callId)).toBeUndefined();
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1, x);
});
