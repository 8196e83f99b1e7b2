import { afterAll, beforeAll, expect, test } from 'vitest';
import { emitAck, Recorder, settle, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { activeCall, addDevice, closeAll, person, startCallServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer();
});
afterAll(async () => {
  await server?.close();
});

test('webrtc:signal reaches only the device that took part, untouched, both ways', async () => {
  const a = await person(server);
  const b = await person(server, 2);
  const callId = await activeCall(a, b);
  const otherDevice = new Recorder(b.sockets[1]!);
  const offer = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n', extra: { nested: [1, 2, 3] } };
  const got = waitFor(b.socket, 'webrtc:signal');
  const ack = await emitAck(a.socket, 'webrtc:signal', { callId, targetUserId: b.id, signal: offer });
  expect(ack.ok).toBe(true);
  expect(await got).toEqual({ callId, fromUserId: a.id, signal: offer });

  const answer = { type: 'answer', sdp: 'v=0\r\n' };
  const back = waitFor(a.socket, 'webrtc:signal');
  await emitAck(b.socket, 'webrtc:signal', { callId, targetUserId: a.id, signal: answer });
  expect(await back).toEqual({ callId, fromUserId: b.id, signal: answer });

  // Candidates and renegotiation offers pass the same way.
  const candidate = { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  const cand = waitFor(b.socket, 'webrtc:signal');
  await emitAck(a.socket, 'webrtc:signal', { callId, targetUserId: b.id, signal: candidate });
  expect((await cand).signal).toEqual(candidate);
  await settle();
  expect(otherDevice.of('webrtc:signal')).toEqual([]);
  closeAll(a, b);
});

test('signals are refused from outsiders, other devices, to non-participants, and when too big', async () => {
  const a = await person(server);
  const b = await person(server);
  const x = await person(server);
  const callId = await activeCall(a, b);
  const a2 = await addDevice(server, a);
  const brec = new Recorder(b.socket);
  const cases = [
    [x.socket, { callId, targetUserId: b.id, signal: { type: 'offer' } }, 'NOT_FOUND'],
    [x.socket, { callId: 'nope', targetUserId: b.id, signal: { type: 'offer' } }, 'NOT_FOUND'],
    [a2, { callId, targetUserId: b.id, signal: { type: 'offer' } }, 'FORBIDDEN'],
    [a.socket, { callId, targetUserId: x.id, signal: { type: 'offer' } }, 'NOT_FOUND'],
    [a.socket, { callId, targetUserId: a.id, signal: { type: 'offer' } }, 'NOT_FOUND'],
    [a.socket, { callId, targetUserId: b.id }, 'VALIDATION'],
    [a.socket, { callId, targetUserId: b.id, signal: { sdp: 'x'.repeat(70 * 1024) } }, 'VALIDATION'],
  ] as const;
  for (const [socket, payload, code] of cases) {
    const r = await emitAck(socket, 'webrtc:signal', payload);
    expect(r, JSON.stringify(payload).slice(0, 80)).toMatchObject({ ok: false, error: { code } });
  }
  expect(x.rec.of('call:error').map((e: any) => e.event)).toEqual(['webrtc:signal', 'webrtc:signal']);
  await settle();
  expect(brec.of('webrtc:signal')).toEqual([]);
  expect(x.rec.of('webrtc:signal')).toEqual([]);
  // A signal just under the cap passes.
  const big = { sdp: 'y'.repeat(60 * 1024) };
  const got = waitFor(b.socket, 'webrtc:signal');
  expect((await emitAck(a.socket, 'webrtc:signal', { callId, targetUserId: b.id, signal: big })).ok).toBe(true);
  expect((await got).signal).toEqual(big);
  // A ringing invitee cannot signal yet, nor be signalled.
  const c = await person(server);
  const incoming = waitFor(c.socket, 'call:incoming');
  const ringing = await emitAck(x.socket, 'call:initiate', { receiverId: c.id, callType: 'audio' });
  await incoming;
  expect(await emitAck(c.socket, 'webrtc:signal', { callId: ringing.call.id, targetUserId: x.id, signal: {} })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  expect(await emitAck(x.socket, 'webrtc:signal', { callId: ringing.call.id, targetUserId: c.id, signal: {} })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  // After the call ends nobody can signal into it.
  await emitAck(a.socket, 'call:end', { callId });
  expect(await emitAck(b.socket, 'webrtc:signal', { callId, targetUserId: a.id, signal: {} })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  closeAll(a, b, x, c);
});
