import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, emitAck, settle, sleep, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { activeCall, closeAll, eventsFor, logged, person, startCallServer, stateOf } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer({ CALL_RECONNECT_GRACE_MS: '400' });
});
afterAll(async () => {
  await server?.close();
});

test('a dropped participant who comes back within the grace resumes the call', async () => {
  const a = await person(server);
  const b = await person(server);
  const callId = await activeCall(a, b);
  await emitAck(b.socket, 'video:control:toggle', { callId, action: 'mute_video', enabled: false });
  const dropped = waitFor(a.socket, 'call:participant:disconnected');
  b.socket.close();
  expect(await dropped).toEqual({ callId, userId: b.id, graceMs: 400 });
  // While b is away, signals to b are refused as "reconnecting".
  expect(await emitAck(a.socket, 'webrtc:signal', { callId, targetUserId: b.id, signal: {} })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  const b2 = await connect(server.url, b.user.token);
  const back = waitFor(a.socket, 'call:participant:reconnected');
  const res = await emitAck(b2, 'call:rejoin', { callId });
  expect(res.ok).toBe(true);
  expect(res.call.state).toBe('active');
  expect(res.participants.find((p: any) => p.userId === b.id)).toMatchObject({ connected: true, media: { videoEnabled: false } });
  expect(await back).toEqual({ callId, userId: b.id });
  await sleep(550);
  expect(eventsFor(a.rec, callId)).not.toContain('call:ended');
  const sig = waitFor(b2, 'webrtc:signal');
  await emitAck(a.socket, 'webrtc:signal', { callId, targetUserId: b.id, signal: { type: 'offer' } });
  expect((await sig).fromUserId).toBe(a.id);
  const ended = waitFor(b2, 'call:ended');
  await emitAck(a.socket, 'call:end', { callId });
  expect((await ended).reason).toBe('hangup');
  b2.close();
  closeAll(a);
});

test('after the grace a 1:1 call ends disconnected for the other side', async () => {
  const a = await person(server);
  const b = await person(server);
  const callId = await activeCall(a, b);
  const started = Date.now();
  b.socket.close();
  const ended = await waitFor(a.socket, 'call:ended');
  expect(ended).toEqual({ callId, reason: 'disconnected' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  const log = await logged(server, a, callId);
  expect(log).toMatchObject({ state: 'ended', endReason: 'disconnected' });
  expect(stateOf(log, b.id)).toBe('left');
  // Too late to come back.
  const b2 = await connect(server.url, b.user.token);
  expect(await emitAck(b2, 'call:rejoin', { callId })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  // Both are free again.
  const again = await emitAck(b2, 'call:initiate', { receiverId: a.id, callType: 'audio' });
  expect(again.call.state).toBe('ringing');
  await emitAck(b2, 'call:end', { callId: again.call.id });
  b2.close();
  closeAll(a);
});

test('a caller who vanishes while ringing ends the call at once; a ringing device dropping does not', async () => {
  const a = await person(server);
  const b = await person(server, 2);
  const incoming = waitFor(b.socket, 'call:incoming');
  const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
  await incoming;
  b.sockets[1]!.close();
  await settle();
  expect(eventsFor(b.rec, ack.call.id)).toEqual(['call:incoming']);
  const ended = waitFor(b.socket, 'call:ended');
  a.socket.close();
  expect(await ended).toEqual({ callId: ack.call.id, reason: 'disconnected' });
  expect(await logged(server, b, ack.call.id)).toMatchObject({ endReason: 'disconnected', missed: true });
  closeAll(b);
});

test('conference: a dropped participant leaves after the grace, the others go on', async () => {
  const [h, p1, p2] = [await person(server), await person(server), await person(server)];
  const rings = [waitFor(p1.socket, 'call:incoming'), waitFor(p2.socket, 'call:incoming')];
  const ack = await emitAck(h.socket, 'conference:create', { participantIds: [p1.id, p2.id], callType: 'audio' });
  await Promise.all(rings);
  const callId = ack.call.id;
  await emitAck(p1.socket, 'conference:join', { callId });
  await emitAck(p2.socket, 'conference:join', { callId });
  await emitAck(p2.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' });
  const stopped = waitFor(h.socket, 'screen:share:stopped');
  const left = waitFor(h.socket, 'call:participant:left');
  p2.socket.close();
  expect(await left).toEqual({ callId, userId: p2.id, reason: 'disconnected' });
  expect(await stopped).toEqual({ callId, userId: p2.id, reason: 'left' });
  const log = await logged(server, h, callId);
  expect(log.state).toBe('active');
  expect(stateOf(log, p2.id)).toBe('left');
  // Sharing is free again.
  expect((await emitAck(p1.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' })).ok).toBe(true);
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1);
});

test('the sweep ends what no timer will: overdue ringing, expired grace, lost state', async () => {
  const calls = server.app.services.calls;
  const a = await person(server);
  const b = await person(server);
  // Ringing whose timer is gone (as if its node died): the sweep times it out.
  const incoming = waitFor(b.socket, 'call:incoming');
  const ringing = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
  await incoming;
  calls.timers.clearCall(ringing.call.id);
  await sleep(450);
  expect(eventsFor(a.rec, ringing.call.id)).not.toContain('call:ended');
  const timedOut = waitFor(a.socket, 'call:ended');
  await calls.timers.sweep();
  expect(await timedOut).toEqual({ callId: ringing.call.id, reason: 'timeout' });

  // Grace that no timer will expire.
  const callId = await activeCall(a, b);
  const dropped = waitFor(a.socket, 'call:participant:disconnected');
  b.socket.close();
  await dropped;
  calls.timers.clearCall(callId);
  await sleep(450);
  const ended = waitFor(a.socket, 'call:ended');
  await calls.timers.sweep();
  expect(await ended).toEqual({ callId, reason: 'disconnected' });

  // Past CALL_MAX_DURATION_MS.
  const c = await person(server);
  const long = await activeCall(a, c);
  const maxed = waitFor(c.socket, 'call:ended');
  await calls.timers.sweep(Date.now() + server.config.timeouts.callMaxDurationMs + 1000);
  expect(await maxed).toEqual({ callId: long, reason: 'max_duration' });
  expect((await logged(server, c, long)).endReason).toBe('max_duration');

  // A stored call whose live state vanished (memory state lost in a restart) is closed.
  const d = await person(server);
  const lost = await activeCall(c, d);
  await calls.store.state.del(`calls:doc:${lost}`);
  await calls.timers.sweep(Date.now() + 20_000);
  expect((await logged(server, d, lost)).endReason).toBe('interrupted');
  closeAll(a, c, d);
});
