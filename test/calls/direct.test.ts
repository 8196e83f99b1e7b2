import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, emitAck, Recorder, registerUser, settle, sleep, waitFor } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { activeCall, addDevice, closeAll, directChat, eventsFor, logged, person, startCallServer, stateOf, type Person } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startCallServer();
});
afterAll(async () => {
  await server?.close();
});

describe('1:1 calls', () => {
  test('initiate rings every device of the receiver; accept on one stops the others', async () => {
    const a = await person(server);
    const b = await person(server, 2);
    const b2 = b.sockets[1]!;
    const b2rec = new Recorder(b2);
    const chatId = await directChat(server, a, b);
    const incoming1 = waitFor(b.socket, 'call:incoming');
    const incoming2 = waitFor(b2, 'call:incoming');
    const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'video', chatId });
    expect(ack.ok).toBe(true);
    expect(ack.call.state).toBe('ringing');
    expect(ack.call.chatId).toBe(chatId);
    expect(Array.isArray(ack.iceServers)).toBe(true);
    const [i1, i2] = await Promise.all([incoming1, incoming2]);
    expect(i1).toMatchObject({ callId: ack.call.id, callType: 'video', chatId, caller: { id: a.id, username: a.user.user.username } });
    expect(i1.iceServers[0]?.urls.length).toBeGreaterThan(0);
    expect(i2.callId).toBe(ack.call.id);

    const accepted = waitFor(a.socket, 'call:accepted');
    const stop = waitFor(b2, 'call:ended');
    const res = await emitAck(b.socket, 'call:response', { callId: ack.call.id, action: 'accept' });
    expect(res.ok).toBe(true);
    expect(res.call.state).toBe('active');
    expect(res.participants.map((p: any) => p.userId).sort()).toEqual([a.id, b.id].sort());
    expect(await accepted).toEqual({ callId: ack.call.id, userId: b.id });
    expect(await stop).toEqual({ callId: ack.call.id, reason: 'answered_elsewhere' });
    // The accepting device is not told to stop.
    await settle();
    expect(b.rec.of('call:ended')).toEqual([]);

    // The second device cannot take the call any more.
    const late = await emitAck(b2, 'call:response', { callId: ack.call.id, action: 'accept' });
    expect(late).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    const ended = waitFor(b.socket, 'call:ended');
    const endAck = await emitAck(a.socket, 'call:end', { callId: ack.call.id });
    expect(endAck.ok).toBe(true);
    expect(await ended).toEqual({ callId: ack.call.id, reason: 'hangup' });
    await settle();
    expect(b2rec.of('call:ended').length).toBe(1);

    const log = await logged(server, b, ack.call.id);
    expect(log).toMatchObject({ state: 'ended', endReason: 'hangup', missed: false, chatId });
    expect(log.answeredAt).not.toBeNull();
    expect(stateOf(log, b.id)).toBe('left');
    expect(stateOf(log, a.id)).toBe('left');
    const chatLog = await api(server.url, 'GET', `/api/chats/${chatId}/calls`, { token: a.user.token });
    expect(chatLog.body.calls.map((c: any) => c.id)).toContain(ack.call.id);
    closeAll(a, b);
  });

  test('decline: caller gets call:declined and call:ended declined; other devices stop; logged', async () => {
    const a = await person(server);
    const b = await person(server, 2);
    const b2 = b.sockets[1]!;
    const incoming = waitFor(b.socket, 'call:incoming');
    const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    const { callId } = await incoming;
    const declined = waitFor(a.socket, 'call:declined');
    const endedA = waitFor(a.socket, 'call:ended');
    const endedB2 = waitFor(b2, 'call:ended');
    const res = await emitAck(b.socket, 'call:response', { callId, action: 'decline' });
    expect(res.ok).toBe(true);
    expect(await declined).toEqual({ callId, userId: b.id });
    expect(await endedA).toEqual({ callId, reason: 'declined' });
    expect(await endedB2).toEqual({ callId, reason: 'declined' });
    expect(ack.call.id).toBe(callId);
    const again = await emitAck(b.socket, 'call:response', { callId, action: 'accept' });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const log = await logged(server, b, callId);
    expect(log).toMatchObject({ state: 'ended', endReason: 'declined', missed: false, answeredAt: null });
    expect(stateOf(log, b.id)).toBe('declined');
    closeAll(a, b);
  });

  test('caller cancels while ringing: receiver stops ringing, call is missed', async () => {
    const a = await person(server);
    const b = await person(server);
    const incoming = waitFor(b.socket, 'call:incoming');
    await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    const { callId } = await incoming;
    const ended = waitFor(b.socket, 'call:ended');
    const res = await emitAck(a.socket, 'call:end', { callId });
    expect(res.ok).toBe(true);
    expect(await ended).toEqual({ callId, reason: 'cancelled' });
    const log = await logged(server, b, callId);
    expect(log).toMatchObject({ endReason: 'cancelled', missed: true });
    expect((await logged(server, a, callId)).missed).toBe(false);
    closeAll(a, b);
  });

  test('unanswered after CALL_TIMEOUT_MS: ended timeout for both, recorded missed', async () => {
    const a = await person(server);
    const b = await person(server, 2);
    const incoming = waitFor(b.socket, 'call:incoming');
    const started = Date.now();
    await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'video' });
    const { callId } = await incoming;
    const [ea, eb, eb2] = await Promise.all([
      waitFor(a.socket, 'call:ended'),
      waitFor(b.socket, 'call:ended'),
      waitFor(b.sockets[1]!, 'call:ended'),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    for (const e of [ea, eb, eb2]) expect(e).toEqual({ callId, reason: 'timeout' });
    const log = await logged(server, b, callId);
    expect(log).toMatchObject({ state: 'ended', endReason: 'timeout', missed: true });
    expect(stateOf(log, b.id)).toBe('missed');
    const late = await emitAck(b.socket, 'call:response', { callId, action: 'accept' });
    expect(late).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    closeAll(a, b);
  });

  test('accept racing the timeout: exactly one outcome, and the log agrees', async () => {
    const a = await person(server);
    const b = await person(server);
    const incoming = waitFor(b.socket, 'call:incoming');
    await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    const { callId } = await incoming;
    await sleep(390);
    const res = await emitAck(b.socket, 'call:response', { callId, action: 'accept' });
    await sleep(100);
    const log = await logged(server, a, callId);
    if (res.ok) {
      expect(log.state).toBe('active');
      expect(a.rec.of('call:accepted').map((e: any) => e.callId)).toContain(callId);
      expect(eventsFor(a.rec, callId)).not.toContain('call:ended');
      await emitAck(a.socket, 'call:end', { callId });
    } else {
      expect(res.error.code).toBe('CONFLICT');
      expect(log).toMatchObject({ state: 'ended', endReason: 'timeout' });
      expect(eventsFor(a.rec, callId)).not.toContain('call:accepted');
    }
    closeAll(a, b);
  });

  test('accept on two devices at once: one wins, the other gets CONFLICT', async () => {
    const a = await person(server);
    const b = await person(server, 2);
    const incoming = waitFor(b.socket, 'call:incoming');
    await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    const { callId } = await incoming;
    const results = await Promise.all(b.sockets.map((s) => emitAck(s, 'call:response', { callId, action: 'accept' })));
    expect(results.filter((r) => r.ok).length).toBe(1);
    expect(results.find((r) => !r.ok)?.error.code).toBe('CONFLICT');
    await settle();
    expect(a.rec.of('call:accepted').length).toBe(1);
    expect((await logged(server, b, callId)).state).toBe('active');
    await emitAck(a.socket, 'call:end', { callId });
    closeAll(a, b);
  });

  test('receiver offline: ended unavailable at once, recorded missed', async () => {
    const a = await person(server);
    const b = { user: await registerUser(server.url) } as Person;
    b.id = b.user.user.id;
    const ended = waitFor(a.socket, 'call:ended');
    const ack = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    expect(ack.ok).toBe(true);
    expect(ack.call).toMatchObject({ state: 'ended', endReason: 'unavailable' });
    expect(await ended).toEqual({ callId: ack.call.id, reason: 'unavailable' });
    const log = await logged(server, b, ack.call.id);
    expect(log).toMatchObject({ endReason: 'unavailable', missed: true });
    // The caller is free again.
    const c = await person(server);
    const again = await emitAck(a.socket, 'call:initiate', { receiverId: c.id, callType: 'audio' });
    expect(again.call.state).toBe('ringing');
    await emitAck(a.socket, 'call:end', { callId: again.call.id });
    closeAll(a, c);
  });

  test('receiver already in a call: busy, recorded missed, the ongoing call untouched', async () => {
    const a = await person(server);
    const b = await person(server);
    const c = await person(server);
    const callId = await activeCall(a, b);
    b.rec.clear();
    const ack = await emitAck(c.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    expect(ack.call).toMatchObject({ state: 'ended', endReason: 'busy' });
    await settle();
    expect(b.rec.of('call:incoming')).toEqual([]);
    expect(c.rec.of('call:ended')).toEqual([{ callId: ack.call.id, reason: 'busy' }]);
    expect(await logged(server, b, ack.call.id)).toMatchObject({ endReason: 'busy', missed: true });
    expect((await logged(server, a, callId)).state).toBe('active');
    await emitAck(a.socket, 'call:end', { callId });
    closeAll(a, b, c);
  });

  test('glare: A and B calling each other end up in one call', async () => {
    const a = await person(server);
    const b = await person(server);
    const incoming = waitFor(b.socket, 'call:incoming');
    const first = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
    await incoming;
    const accepted = waitFor(a.socket, 'call:accepted');
    const second = await emitAck(b.socket, 'call:initiate', { receiverId: a.id, callType: 'audio' });
    expect(second.ok).toBe(true);
    expect(second.call.id).toBe(first.call.id);
    expect(second.call.state).toBe('active');
    expect(await accepted).toEqual({ callId: first.call.id, userId: b.id });
    const mine = await api(server.url, 'GET', '/api/calls', { token: b.user.token });
    expect(mine.body.calls.length).toBe(1);
    await emitAck(a.socket, 'call:end', { callId: first.call.id });
    closeAll(a, b);
  });

  test('glare at the same instant: one call, both in it', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await person(server);
      const b = await person(server);
      const [ra, rb] = await Promise.all([
        emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' }),
        emitAck(b.socket, 'call:initiate', { receiverId: a.id, callType: 'audio' }),
      ]);
      expect(ra.ok && rb.ok).toBe(true);
      expect(ra.call.id).toBe(rb.call.id);
      await sleep(50);
      const log = await logged(server, a, ra.call.id);
      expect(log.state).toBe('active');
      expect(stateOf(log, a.id)).toBe('joined');
      expect(stateOf(log, b.id)).toBe('joined');
      const all = await api(server.url, 'GET', '/api/calls', { token: a.user.token });
      expect(all.body.calls.length).toBe(1);
      await emitAck(a.socket, 'call:end', { callId: ra.call.id });
      closeAll(a, b);
    }
  });

  test('MAX_CONCURRENT_CALLS per user: LIMIT_EXCEEDED, nothing rings', async () => {
    const limited = await startCallServer({ MAX_CONCURRENT_CALLS: '2', CALL_TIMEOUT_MS: '5000' });
    try {
      const a = await person(limited);
      const others = [await person(limited), await person(limited), await person(limited)];
      for (const o of others.slice(0, 2)) {
        const r = await emitAck(a.socket, 'call:initiate', { receiverId: o.id, callType: 'audio' });
        expect(r.call.state).toBe('ringing');
      }
      const third = await emitAck(a.socket, 'call:initiate', { receiverId: others[2]!.id, callType: 'audio' });
      expect(third).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
      expect(a.rec.of('call:error')).toContainEqual(expect.objectContaining({ event: 'call:initiate', code: 'LIMIT_EXCEEDED' }));
      await settle();
      expect(others[2]!.rec.of('call:incoming')).toEqual([]);
      expect((await api(limited.url, 'GET', '/api/calls', { token: others[2]!.user.token })).body.calls).toEqual([]);
      closeAll(a, ...others);
    } finally {
      await limited.close();
    }
  });

  test('bad payloads, unknown ids and outsiders: errors on call:error, nobody else hears a thing', async () => {
    const a = await person(server);
    const b = await person(server);
    const x = await person(server);
    const callId = await activeCall(a, b);
    a.rec.clear();
    b.rec.clear();
    const bad = [
      [a.socket, 'call:initiate', { receiverId: b.id, callType: 'hologram' }, 'VALIDATION'],
      [a.socket, 'call:initiate', { callType: 'audio' }, 'VALIDATION'],
      [a.socket, 'call:initiate', { receiverId: a.id, callType: 'audio' }, 'VALIDATION'],
      [a.socket, 'call:initiate', { receiverId: 'no-such-user', callType: 'audio' }, 'NOT_FOUND'],
      [a.socket, 'call:response', { callId, action: 'maybe' }, 'VALIDATION'],
      [x.socket, 'call:response', { callId, action: 'accept' }, 'NOT_FOUND'],
      [x.socket, 'call:end', { callId }, 'NOT_FOUND'],
      [x.socket, 'call:end', { callId: 'no-such-call' }, 'NOT_FOUND'],
      [x.socket, 'call:rejoin', { callId }, 'NOT_FOUND'],
      [x.socket, 'conference:join', { callId }, 'NOT_FOUND'],
      [x.socket, 'conference:leave', { callId }, 'NOT_FOUND'],
    ] as const;
    for (const [socket, event, payload, code] of bad) {
      const r = await emitAck(socket, event, payload);
      expect(r, `${event} ${JSON.stringify(payload)}`).toMatchObject({ ok: false, error: { code } });
    }
    expect(x.rec.of('call:error').length).toBe(6);
    // The chat must be shared by both when given.
    const chatWithX = await directChat(server, a, x);
    const r = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio', chatId: chatWithX });
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const r2 = await emitAck(b.socket, 'call:initiate', { receiverId: a.id, callType: 'audio', chatId: chatWithX });
    expect(r2).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await settle();
    expect(a.rec.events.filter((e) => e.event !== 'call:error' && e.event !== 'chat:created')).toEqual([]);
    expect(b.rec.events.filter((e) => e.event !== 'call:error')).toEqual([]);
    expect((await logged(server, a, callId)).state).toBe('active');
    // An outsider's call log and the call's chat log stay closed to them.
    expect(await logged(server, x, callId)).toBeUndefined();
    await emitAck(a.socket, 'call:end', { callId });
    const ended = await emitAck(b.socket, 'call:end', { callId });
    expect(ended).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    closeAll(a, b, x);
  });

  test('call log pages newest first with before=<callId>', async () => {
    const a = await person(server);
    const b = await person(server);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const incoming = waitFor(b.socket, 'call:incoming');
      const r = await emitAck(a.socket, 'call:initiate', { receiverId: b.id, callType: 'audio' });
      await incoming;
      ids.push(r.call.id);
      await emitAck(a.socket, 'call:end', { callId: r.call.id });
      await sleep(5);
    }
    const page1 = await api(server.url, 'GET', '/api/calls?limit=2', { token: b.user.token });
    expect(page1.body.calls.map((c: any) => c.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.calls.every((c: any) => c.missed)).toBe(true);
    const page2 = await api(server.url, 'GET', `/api/calls?limit=2&before=${ids[1]}`, { token: b.user.token });
    expect(page2.body.calls.map((c: any) => c.id)).toEqual([ids[0]]);
    const badLimit = await api(server.url, 'GET', '/api/calls?limit=0', { token: b.user.token });
    expect(badLimit.status).toBe(400);
    expect((await api(server.url, 'GET', '/api/calls')).status).toBe(401);
    closeAll(a, b);
  });

  test('a new device of the caller can hang up; an extra device of a participant can rejoin (move) the call', async () => {
    const a = await person(server);
    const b = await person(server);
    const callId = await activeCall(a, b);
    const a2 = await addDevice(server, a);
    const moved = waitFor(a.socket, 'call:ended');
    const reconnected = waitFor(b.socket, 'call:participant:reconnected');
    const res = await emitAck(a2, 'call:rejoin', { callId });
    expect(res.ok).toBe(true);
    expect(await moved).toEqual({ callId, reason: 'answered_elsewhere' });
    expect(await reconnected).toEqual({ callId, userId: a.id });
    const ended = waitFor(a2, 'call:ended');
    await emitAck(b.socket, 'call:end', { callId });
    expect(await ended).toEqual({ callId, reason: 'hangup' });
    closeAll(a, b);
  });
});
