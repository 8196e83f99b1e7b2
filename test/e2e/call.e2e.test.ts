import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { callStats, messageLocator, openChatByTitle, openDirectChat, register, screenshot, send, waitForStats, type InboundStats, type UserPage, startTwoPeople, type TwoPeople } from './support/browser.js';

const one = (s: Record<string, InboundStats>) => Object.values(s)[0];

/** Draws a short diagonal stroke across the middle of the shared screen. */
async function drawStroke(u: UserPage) {
  await u.page.getByTestId('tool-draw').click();
  const box = await u.page.getByTestId('annotation-layer').boundingBox();
  if (!box) throw new Error('no annotation layer');
  await u.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await u.page.mouse.down();
  for (let i = 1; i <= 8; i++) await u.page.mouse.move(box.x + box.width * (0.3 + i * 0.04), box.y + box.height * (0.3 + i * 0.03));
  await u.page.mouse.up();
}

const annotationCount = (u: UserPage) => u.page.getByTestId('annotation-layer').getAttribute('data-count').then(Number);

describe('web client: 1:1 calls with real WebRTC in a real browser', () => {
  let people: TwoPeople;
  let server: TestServer;
  let alice: UserPage;
  let bob: UserPage;

  beforeAll(async () => {
    people = await startTwoPeople();
    ({ server, alice, bob } = people);
    await register(alice);
    await register(bob);
    await openDirectChat(alice, bob.username);
    await send(alice, 'Call you in a minute');
    await openChatByTitle(bob, alice.username);
    await messageLocator(bob, 'Call you in a minute').waitFor();
  });

  afterAll(async () => {
    await people?.close();
  });

  it('video call: rings, connects, and media flows both ways', async () => {
    await alice.page.getByTestId('call-video').click();
    await alice.page.locator('[data-testid="call-screen"][data-phase="ringing"]').waitFor();
    await bob.page.getByTestId('incoming-call').filter({ hasText: alice.username }).waitFor();
    await bob.page.getByTestId('call-accept').click();
    await bob.page.getByTestId('incoming-call').waitFor({ state: 'detached' });
    await alice.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();
    await bob.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();

    const flowing = (s: Record<string, InboundStats>) => (one(s)?.video.framesDecoded ?? 0) > 0 && (one(s)?.audio.packetsReceived ?? 0) > 0;
    const a = await waitForStats(alice, flowing);
    const b = await waitForStats(bob, flowing);
    expect(one(a)!.video.framesDecoded).toBeGreaterThan(0);
    expect(one(b)!.audio.packetsReceived).toBeGreaterThan(0);
    await alice.page.waitForTimeout(1000); // a few frames on screen for the picture
    await screenshot(alice, 'call.png');
  });

  it('mutes and unmutes, and changes quality', async () => {
    await alice.page.getByTestId('toggle-mic').click();
    await bob.page.getByTestId('peer-muted').waitFor();
    await alice.page.getByTestId('toggle-mic').click();
    await bob.page.getByTestId('peer-muted').waitFor({ state: 'detached' });
    await alice.page.getByTestId('toggle-cam').click();
    await bob.page.locator('[data-testid="remote-video"].hidden-video').waitFor({ state: 'attached' });
    await alice.page.getByTestId('toggle-cam').click();
    await bob.page.locator('[data-testid="remote-video"]:not(.hidden-video)').waitFor();
    await alice.page.getByTestId('quality-select').selectOption('low');
    await expect(alice.page.getByTestId('quality-select').inputValue()).resolves.toBe('low');
  });

  it('shares a screen the peer receives, with annotations both ways and remote-control consent', async () => {
    await alice.page.getByTestId('toggle-share').click();
    await bob.page.getByTestId('screen-video').waitFor();
    const b = await waitForStats(bob, (s) => (one(s)?.screen.framesDecoded ?? 0) > 0);
    expect(one(b)!.screen.framesDecoded).toBeGreaterThan(0);
    // The camera keeps flowing next to the screen.
    expect(one(b)!.video.framesDecoded).toBeGreaterThan(0);

    // The share starts at the call's quality (set to low above); the sharer changes it, the viewer is told.
    await bob.page.locator('[data-testid="screen-quality-label"][data-quality="low"]').waitFor();
    await alice.page.getByTestId('screen-quality').selectOption('high');
    await bob.page.locator('[data-testid="screen-quality-label"][data-quality="high"]').waitFor();

    await drawStroke(bob);
    await expect.poll(() => annotationCount(alice), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await drawStroke(alice);
    await expect.poll(() => annotationCount(bob), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    await bob.page.getByTestId('request-control').click();
    await alice.page.getByTestId('control-request').filter({ hasText: bob.username }).waitFor();
    await alice.page.getByTestId('control-allow').click();
    await bob.page.getByTestId('control-granted').waitFor();
    await bob.page.waitForTimeout(500);
    await screenshot(bob, 'screen-share.png');

    // The sharer takes control back; asked again and granted, the viewer gives it back.
    await alice.page.locator('[data-testid="revoke-control"]').filter({ hasText: bob.username }).click();
    await bob.page.getByTestId('control-granted').waitFor({ state: 'detached' });
    await alice.page.getByTestId('revoke-control').waitFor({ state: 'detached' });
    await bob.page.getByTestId('request-control').click();
    await alice.page.getByTestId('control-allow').click();
    await bob.page.getByTestId('control-granted').waitFor();
    await alice.page.getByTestId('revoke-control').waitFor();
    await bob.page.getByTestId('release-control').click();
    await bob.page.getByTestId('control-granted').waitFor({ state: 'detached' });
    await alice.page.getByTestId('revoke-control').waitFor({ state: 'detached' });

    await alice.page.getByTestId('annotation-clear').click();
    await expect.poll(() => annotationCount(bob), { timeout: 10_000 }).toBe(0);
    await alice.page.getByTestId('toggle-share').click();
    await bob.page.getByTestId('screen-video').waitFor({ state: 'detached' });
  });

  it('a page reload mid-call takes the call back: it stays active and media flows again both ways', async () => {
    // Video keeps arriving at Alice only if frames keep being decoded after Bob's reload: her
    // connection to Bob's old page is dead, so a growing count means the new one works.
    const growing = async (u: UserPage) => {
      let before = one(await callStats(u))?.video.framesDecoded ?? 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        await u.page.waitForTimeout(700);
        const now = one(await callStats(u))?.video.framesDecoded ?? 0;
        if (now > before + 3 && now < before + 10_000) return;
        before = Math.min(before, now); // a new connection counts from 0
      }
      throw new Error(`${u.username}: no new frames after the reload\n${u.logs.slice(-20).join('\n')}`);
    };
    await bob.page.reload();
    await bob.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor({ timeout: 15_000 });
    await waitForStats(bob, (s) => (one(s)?.video.framesDecoded ?? 0) > 0 && (one(s)?.audio.packetsReceived ?? 0) > 0);
    await growing(alice);
    await alice.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();
  });

  it('hangs up for both sides', async () => {
    await bob.page.getByTestId('hang-up').click();
    await alice.page.getByTestId('call-ended').waitFor();
    await alice.page.getByTestId('call-screen').waitFor({ state: 'detached' });
  });

  it('a declined call ends with "Declined" for the caller', async () => {
    await bob.page.getByTestId('call-ended').waitFor({ state: 'detached' });
    await bob.page.getByTestId('call-audio').click();
    await alice.page.getByTestId('incoming-call').waitFor();
    await alice.page.getByTestId('call-decline').click();
    await bob.page.getByTestId('call-ended').filter({ hasText: 'Declined' }).waitFor();
  });

  it('audio call: audio flows both ways', async () => {
    await bob.page.getByTestId('call-ended').waitFor({ state: 'detached' });
    await bob.page.getByTestId('call-audio').click();
    await alice.page.getByTestId('call-accept').click();
    const audio = (s: Record<string, InboundStats>) => (one(s)?.audio.packetsReceived ?? 0) > 0;
    await waitForStats(alice, audio);
    await waitForStats(bob, audio);
    await alice.page.getByTestId('hang-up').click();
    await bob.page.getByTestId('call-ended').waitFor();
  });

  it('a call nobody answers is missed: a badge counts it until the call log is opened', async () => {
    await bob.page.getByTestId('call-ended').waitFor({ state: 'detached' });
    await bob.page.getByTestId('call-audio').click();
    await alice.page.getByTestId('incoming-call').waitFor();
    await bob.page.getByTestId('hang-up').click();
    await alice.page.getByTestId('incoming-call').waitFor({ state: 'detached' });
    await alice.page.getByTestId('missed-badge').filter({ hasText: '1' }).waitFor();
  });

  it('the call log lists every call newest first, from the viewer\u2019s side, and opens the chat', async () => {
    await alice.page.getByTestId('toggle-call-log').click();
    const entries = alice.page.getByTestId('call-log-entry');
    await expect.poll(() => entries.count(), { timeout: 10_000 }).toBe(4);
    // Newest first: the one she missed, Bob's audio call she took, the one she declined, her own video call.
    const directions = await entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-direction')));
    expect(directions).toEqual(['missed', 'incoming', 'declined', 'outgoing']);
    await expect(entries.nth(0).textContent()).resolves.toContain('Missed');
    await expect(entries.nth(2).textContent()).resolves.toContain('Declined');
    await expect(entries.nth(3).textContent()).resolves.toContain(bob.username);
    await screenshot(alice, 'call-log.png');
    await entries.first().click();
    await messageLocator(alice, 'Call you in a minute').waitFor();
    await alice.page.getByTestId('toggle-call-log').click();
    await alice.page.getByTestId('chat-list').waitFor();
    // Seen: no badge, also after a reload.
    await alice.page.reload();
    await alice.page.getByTestId('chat-list').waitFor();
    await alice.page.waitForTimeout(500);
    expect(await alice.page.getByTestId('missed-badge').count()).toBe(0);
  });

  it('a callee who reloads while a call rings still sees it ringing, and can answer', async () => {
    await bob.page.getByTestId('call-audio').click();
    await alice.page.getByTestId('incoming-call').waitFor();
    await alice.page.reload();
    await alice.page.getByTestId('incoming-call').filter({ hasText: bob.username }).waitFor();
    await alice.page.getByTestId('call-accept').click();
    await alice.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();
    await bob.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();
    await waitForStats(alice, (st) => (one(st)?.audio.packetsReceived ?? 0) > 0);
    await bob.page.getByTestId('hang-up').click();
    await alice.page.getByTestId('call-ended').waitFor();
  });
});
