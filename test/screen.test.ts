import { afterAll, beforeAll, expect, test } from 'vitest';
import { emitAck, Recorder, settle, waitFor } from './support/client.js';
import type { TestServer } from './support/server.js';
import { activeCall, addDevice, closeAll, person, startCallServer, type Person } from './calls/helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer();
});
afterAll(async () => {
  await server?.close();
});

async function threeWay(): Promise<{ h: Person; p1: Person; p2: Person; callId: string }> {
  const [h, p1, p2] = [await person(server), await person(server), await person(server)];
  const rings = [waitFor(p1.socket, 'call:incoming'), waitFor(p2.socket, 'call:incoming')];
  const ack = await emitAck(h.socket, 'conference:create', { participantIds: [p1.id, p2.id], callType: 'video' });
  await Promise.all(rings);
  await emitAck(p1.socket, 'conference:join', { callId: ack.call.id });
  await emitAck(p2.socket, 'conference:join', { callId: ack.call.id });
  return { h, p1, p2, callId: ack.call.id };
}

test('one sharer per call; start/stop/quality are told to the others', async () => {
  const { h, p1, p2, callId } = await threeWay();
  const started = waitFor(p1.socket, 'screen:share:started');
  const s = await emitAck(h.socket, 'screen:share:start', { callId, hasAudio: true, quality: 'medium' });
  expect(s.share).toMatchObject({ sharerId: h.id, hasAudio: true, quality: 'medium', controllers: [] });
  expect(await started).toMatchObject({ callId, userId: h.id, hasAudio: true, quality: 'medium' });
  expect(await emitAck(p2.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  expect(p2.rec.of('screen:error')).toContainEqual(expect.objectContaining({ event: 'screen:share:start', code: 'CONFLICT' }));
  expect(await emitAck(h.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

  const q = waitFor(p2.socket, 'screen:quality:changed');
  await emitAck(h.socket, 'screen:quality:change', { callId, quality: 'high' });
  expect(await q).toEqual({ callId, userId: h.id, quality: 'high' });
  expect(await emitAck(p1.socket, 'screen:quality:change', { callId, quality: 'low' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect(await emitAck(p1.socket, 'screen:share:stop', { callId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

  const stopped = waitFor(p1.socket, 'screen:share:stopped');
  expect((await emitAck(h.socket, 'screen:share:stop', { callId })).ok).toBe(true);
  expect(await stopped).toEqual({ callId, userId: h.id, reason: 'stopped' });
  // Now someone else may share.
  expect((await emitAck(p2.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' })).ok).toBe(true);
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1, p2);
});

test('remote control only by consent; revocable; ends when sharing stops', async () => {
  const { h, p1, p2, callId } = await threeWay();
  await emitAck(h.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'high' });
  // Without a request there is nothing to grant.
  expect(await emitAck(h.socket, 'screen:remote:response', { callId, requesterId: p1.id, granted: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

  const asked = waitFor(h.socket, 'screen:remote:request');
  expect((await emitAck(p1.socket, 'screen:remote:request', { callId })).ok).toBe(true);
  expect(await asked).toEqual({ callId, fromUserId: p1.id });
  // Only the sharer answers.
  expect(await emitAck(p2.socket, 'screen:remote:response', { callId, requesterId: p1.id, granted: true })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  const answer = waitFor(p1.socket, 'screen:remote:response');
  await emitAck(h.socket, 'screen:remote:response', { callId, requesterId: p1.id, granted: true });
  expect(await answer).toEqual({ callId, granted: true, sharerId: h.id });

  // p2 asks and is refused.
  await emitAck(p2.socket, 'screen:remote:request', { callId });
  const no = waitFor(p2.socket, 'screen:remote:response');
  await emitAck(h.socket, 'screen:remote:response', { callId, requesterId: p2.id, granted: false });
  expect(await no).toEqual({ callId, granted: false, sharerId: h.id });

  // A late device sees who has control.
  const p1b = await addDevice(server, p1);
  const snap = await emitAck(p1b, 'call:rejoin', { callId });
  expect(snap.screen.controllers).toEqual([p1.id]);

  // Revoke: p1 (now on p1b) is told.
  expect(await emitAck(p2.socket, 'screen:remote:revoke', { callId, userId: p1.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  const revoked = waitFor(p1b, 'screen:remote:revoked');
  expect((await emitAck(h.socket, 'screen:remote:revoke', { callId, userId: p1.id })).revoked).toEqual([p1.id]);
  expect(await revoked).toEqual({ callId, sharerId: h.id, userId: p1.id, reason: 'revoked' });

  // Granted again, then the share stops: control ends with it.
  await emitAck(p1b, 'screen:remote:request', { callId });
  await emitAck(h.socket, 'screen:remote:response', { callId, requesterId: p1.id, granted: true });
  const ended = waitFor(p1b, 'screen:remote:revoked');
  await emitAck(h.socket, 'screen:share:stop', { callId });
  expect(await ended).toEqual({ callId, sharerId: h.id, userId: p1.id, reason: 'share_stopped' });
  expect(await emitAck(p1b, 'screen:remote:request', { callId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1, p2);
});

test('annotations: broadcast, kept for late joiners, clear empties, capped; gone with the share', async () => {
  const { h, p1, p2, callId } = await threeWay();
  expect(await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'draw', data: {} })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  await emitAck(h.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'high' });
  const added = waitFor(h.socket, 'screen:annotation:added');
  const a1 = await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'draw', data: { path: [[0, 0], [10, 10]], color: '#f00' } });
  expect(a1.annotation).toMatchObject({ type: 'draw', userId: p1.id, data: { color: '#f00' } });
  expect(typeof a1.annotation.id).toBe('string');
  expect(await added).toEqual({ callId, userId: p1.id, annotation: a1.annotation });
  await emitAck(p2.socket, 'screen:annotation:add', { callId, type: 'text', data: { text: 'here', x: 1, y: 2 } });
  await emitAck(p2.socket, 'screen:annotation:add', { callId, type: 'pointer', data: { x: 1, y: 1 } });
  await emitAck(p2.socket, 'screen:annotation:add', { callId, type: 'pointer', data: { x: 5, y: 5 } });

  const p2b = await addDevice(server, p2);
  const snap = await emitAck(p2b, 'call:rejoin', { callId });
  expect(snap.annotations.map((a: any) => a.type)).toEqual(['draw', 'text', 'pointer']);
  expect(snap.annotations[2].data).toEqual({ x: 5, y: 5 });

  const cleared = waitFor(p1.socket, 'screen:annotation:added');
  await emitAck(h.socket, 'screen:annotation:add', { callId, type: 'clear' });
  expect((await cleared).annotation.type).toBe('clear');
  expect((await emitAck(p1.socket, 'call:rejoin', { callId })).annotations).toEqual([]);

  // Size cap and bad type.
  expect(await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'draw', data: { blob: 'z'.repeat(20_000) } })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  expect(await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'scribble', data: {} })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });

  // A new share starts empty.
  await emitAck(p1.socket, 'screen:annotation:add', { callId, type: 'draw', data: { k: 1 } });
  await emitAck(h.socket, 'screen:share:stop', { callId });
  await emitAck(p1.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' });
  expect((await emitAck(p2b, 'call:rejoin', { callId })).annotations).toEqual([]);
  await emitAck(h.socket, 'call:end', { callId });
  closeAll(h, p1, p2);
});

test('annotation count is capped per share', async () => {
  const a = await person(server);
  const b = await person(server);
  const callId = await activeCall(a, b);
  await emitAck(a.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' });
  const { MAX_ANNOTATIONS } = await import('../src/screen/screen.schema.js');
  const store = server.app.services.calls.store;
  const doc = await store.get(callId);
  // Fill up to the cap directly (the rate limit would otherwise slow the test), then one more.
  for (let i = 0; i < MAX_ANNOTATIONS; i++) await store.state.incr(`calls:ann:${doc!.screen!.shareId}:n`);
  expect(await emitAck(b.socket, 'screen:annotation:add', { callId, type: 'draw', data: {} })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  // A pointer replaces, so it is always allowed; a clear resets the count.
  expect((await emitAck(b.socket, 'screen:annotation:add', { callId, type: 'pointer', data: { x: 1 } })).ok).toBe(true);
  await emitAck(a.socket, 'screen:annotation:add', { callId, type: 'clear' });
  expect((await emitAck(b.socket, 'screen:annotation:add', { callId, type: 'draw', data: {} })).ok).toBe(true);
  await emitAck(a.socket, 'call:end', { callId });
  closeAll(a, b);
});

test('outsiders cannot share, request, answer, annotate or watch', async () => {
  const a = await person(server);
  const b = await person(server);
  const x = await person(server);
  const callId = await activeCall(a, b);
  await emitAck(a.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'low' });
  const arec = new Recorder(a.socket);
  b.rec.clear();
  const cases = [
    ['screen:share:start', { callId, hasAudio: false, quality: 'low' }],
    ['screen:share:stop', { callId }],
    ['screen:remote:request', { callId }],
    ['screen:remote:response', { callId, requesterId: x.id, granted: true }],
    ['screen:remote:revoke', { callId }],
    ['screen:annotation:add', { callId, type: 'draw', data: {} }],
    ['screen:quality:change', { callId, quality: 'high' }],
  ] as const;
  for (const [event, payload] of cases) {
    expect(await emitAck(x.socket, event, payload), event).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  }
  expect(x.rec.of('screen:error').length).toBe(cases.length);
  expect(await emitAck(a.socket, 'screen:share:start', { callId, hasAudio: false, quality: 'ultra' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  await settle();
  expect(arec.events.filter((e) => e.event !== 'screen:error')).toEqual([]);
  expect(b.rec.events).toEqual([]);
  // An annotation from a participant never reaches the outsider.
  await emitAck(b.socket, 'screen:annotation:add', { callId, type: 'pointer', data: { x: 1 } });
  await settle();
  expect(x.rec.of('screen:annotation:added')).toEqual([]);
  await emitAck(a.socket, 'call:end', { callId });
  closeAll(a, b, x);
});
