import { afterAll, beforeAll, expect, test } from 'vitest';
import { emitAck, Recorder, settle, waitFor } from './support/client.js';
import type { TestServer } from './support/server.js';
import { activeCall, addDevice, closeAll, eventsFor, person, startCallServer } from './calls/helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer();
});
afterAll(async () => {
  await server?.close();
});

test('stream start/stop, control toggle and quality reach the others, and are kept', async () => {
  const a = await person(server);
  const b = await person(server);
  const callId = await activeCall(a, b, 'video');
  const started = waitFor(b.socket, 'video:stream:started');
  const s = await emitAck(a.socket, 'video:stream:start', { callId, hasVideo: true, hasAudio: true });
  expect(s.media).toMatchObject({ streaming: true, hasVideo: true, hasAudio: true });
  expect(await started).toEqual({ callId, userId: a.id, hasVideo: true, hasAudio: true });

  for (const [action, field, value] of [
    ['mute_video', 'videoEnabled', false],
    ['mute_audio', 'audioEnabled', false],
    ['unmute_audio', 'audioEnabled', true],
  ] as const) {
    const toggled = waitFor(b.socket, 'video:control:toggled');
    const r = await emitAck(a.socket, 'video:control:toggle', { callId, action, enabled: value });
    expect(r.media[field]).toBe(value);
    expect(await toggled).toEqual({ callId, userId: a.id, action, enabled: value });
  }
  const q = waitFor(b.socket, 'video:quality:changed');
  expect((await emitAck(a.socket, 'video:quality:change', { callId, quality: 'low' })).media.quality).toBe('low');
  expect(await q).toEqual({ callId, userId: a.id, quality: 'low' });

  // A device joining later (moving the call) learns all of it.
  const a2 = await addDevice(server, a);
  const snap = await emitAck(a2, 'call:rejoin', { callId });
  expect(snap.participants.find((p: any) => p.userId === a.id).media).toMatchObject({
    streaming: true, videoEnabled: false, audioEnabled: true, quality: 'low',
  });
  const stopped = waitFor(b.socket, 'video:stream:stopped');
  await emitAck(a2, 'video:stream:stop', { callId, hasVideo: false, hasAudio: false });
  expect(await stopped).toEqual({ callId, userId: a.id, hasVideo: false, hasAudio: false });
  await settle();
  // The sender is not echoed.
  expect(eventsFor(a.rec, callId).filter((e) => e.startsWith('video:'))).toEqual([]);
  await emitAck(a2, 'call:end', { callId });
  closeAll(a, b);
});

test('conference:video:join/leave: told to the call, the joiner gets everyone media state', async () => {
  const [h, p1, p2] = [await person(server), await person(server), await person(server)];
  const rings = [waitFor(p1.socket, 'call:incoming'), waitFor(p2.socket, 'call:incoming')];
  const ack = await emitAck(h.socket, 'conference:create', { participantIds: [p1.id, p2.id], callType: 'video' });
  await Promise.all(rings);
  const callId = ack.call.id;
  await emitAck(p1.socket, 'conference:join', { callId });
  await emitAck(p2.socket, 'conference:join', { callId });
  await emitAck(h.socket, 'video:control:toggle', { callId, action: 'mute_audio', enabled: false });

  const left = waitFor(h.socket, 'conference:video:left');
  expect((await emitAck(p2.socket, 'conference:video:leave', { callId })).ok).toBe(true);
  expect(await left).toEqual({ callId, userId: p2.id });
  // Out of the video room: p2 no longer hears video events.
  const p2rec = new Recorder(p2.socket);
  await emitAck(p1.socket, 'video:stream:start', { callId, hasVideo: true, hasAudio: true });
  await settle();
  expect(p2rec.of('video:stream:started')).toEqual([]);

  const joined = waitFor(p1.socket, 'conference:video:joined');
  const r = await emitAck(p2.socket, 'conference:video:join', { callId });
  expect(r.ok).toBe(true);
  expect(r.participants.find((p: any) => p.userId === h.id).media.audioEnabled).toBe(false);
  expect(r.participants.find((p: any) => p.userId === p1.id).media.streaming).toBe(true);
  expect(await joined).toMatchObject({ callId, userId: p2.id, media: { inVideo: true } });
  const again = waitFor(p2.socket, 'video:quality:changed');
  await emitAck(p1.socket, 'video:quality:change', { callId, quality: 'high' });
  expect((await again).quality).toBe('high');
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1, p2);
});

test('video events are refused to outsiders, other devices, unknown calls and bad input; nothing leaks', async () => {
  const a = await person(server);
  const b = await person(server);
  const x = await person(server);
  const callId = await activeCall(a, b);
  const a2 = await addDevice(server, a);
  b.rec.clear();
  const cases = [
    [x.socket, 'video:stream:start', { callId, hasVideo: true, hasAudio: true }, 'NOT_FOUND'],
    [x.socket, 'video:control:toggle', { callId, action: 'mute_audio', enabled: false }, 'NOT_FOUND'],
    [x.socket, 'video:quality:change', { callId, quality: 'high' }, 'NOT_FOUND'],
    [x.socket, 'conference:video:join', { callId }, 'NOT_FOUND'],
    [x.socket, 'conference:video:leave', { callId: 'nope' }, 'NOT_FOUND'],
    [a2, 'video:stream:start', { callId, hasVideo: true, hasAudio: true }, 'FORBIDDEN'],
    [a.socket, 'video:stream:start', { callId, hasVideo: 'yes', hasAudio: true }, 'VALIDATION'],
    [a.socket, 'video:control:toggle', { callId, action: 'explode', enabled: true }, 'VALIDATION'],
    [a.socket, 'video:quality:change', { callId, quality: '8k' }, 'VALIDATION'],
  ] as const;
  for (const [socket, event, payload, code] of cases) {
    expect(await emitAck(socket, event, payload), `${event}`).toMatchObject({ ok: false, error: { code } });
  }
  expect(x.rec.of('video:error').length).toBe(5);
  expect(x.rec.of('video:error')[0]).toMatchObject({ event: 'video:stream:start', code: 'NOT_FOUND' });
  await settle();
  expect(b.rec.events).toEqual([]);
  await emitAck(a.socket, 'call:end', { callId });
  expect(await emitAck(a.socket, 'video:stream:start', { callId, hasVideo: true, hasAudio: true })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  closeAll(a, b, x);
});
