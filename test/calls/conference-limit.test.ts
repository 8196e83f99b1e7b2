import { afterAll, beforeAll, expect, test } from 'vitest';
import { emitAck, settle, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { activeCall, closeAll, eventsFor, logged, person, startCallServer, stateOf } from './helpers.js';

// MAX_CONCURRENT_CALLS = 1: someone already in a call is at the limit.
let server: TestServer;
beforeAll(async () => {
  server = await startCallServer({ MAX_CONCURRENT_CALLS: '1' });
});
afterAll(async () => {
  await server?.close();
});

test('an invitee at MAX_CONCURRENT_CALLS is not rung: missed in the call and the log; the others ring', async () => {
  const [h, busy, free, other] = [await person(server), await person(server), await person(server), await person(server)];
  const existing = await activeCall(busy, other);
  const ring = waitFor(free.socket, 'call:incoming');
  const ack = await emitAck(h.socket, 'conference:create', { participantIds: [busy.id, free.id], callType: 'audio' });
  expect(ack.ok).toBe(true);
  const callId = ack.call.id as string;
  expect(ack.call.state).toBe('ringing');
  expect(stateOf(ack.call, busy.id)).toBe('missed');
  expect(stateOf(ack.call, free.id)).toBe('invited');
  expect((await ring).callId).toBe(callId);
  await settle();
  expect(eventsFor(busy.rec, callId)).toEqual([]);
  // The busy user's own call is untouched.
  expect(eventsFor(busy.rec, existing)).not.toContain('call:ended');

  await emitAck(h.socket, 'call:end', { callId });
  const log = await logged(server, busy, callId);
  expect(log).toMatchObject({ kind: 'conference', missed: true });
  expect(stateOf(log, busy.id)).toBe('missed');
  await emitAck(busy.socket, 'call:end', { callId: existing });
  closeAll(h, busy, free, other);
});

test('every invitee at the limit: the conference ends at once as busy, nobody rings', async () => {
  const [h, a, b] = [await person(server), await person(server), await person(server)];
  const existing = await activeCall(a, b);
  const ended = waitFor(h.socket, 'call:ended');
  const ack = await emitAck(h.socket, 'conference:create', { participantIds: [a.id, b.id], callType: 'video' });
  expect(ack.ok).toBe(true);
  expect(ack.call).toMatchObject({ state: 'ended', endReason: 'busy' });
  expect(await ended).toEqual({ callId: ack.call.id, reason: 'busy' });
  await settle();
  expect(eventsFor(a.rec, ack.call.id)).toEqual([]);
  expect(eventsFor(b.rec, ack.call.id)).toEqual([]);
  // The host is free again: the refused conference holds no call slot.
  await emitAck(a.socket, 'call:end', { callId: existing });
  await settle();
  const again = await emitAck(h.socket, 'call:initiate', { receiverId: a.id, callType: 'audio' });
  expect(again.ok).toBe(true);
  await emitAck(h.socket, 'call:end', { callId: again.call.id });
  closeAll(h, a, b);
});
