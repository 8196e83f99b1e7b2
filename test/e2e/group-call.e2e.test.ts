import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { launchBrowser, login, uniqueUsername, messageLocator, openChatByTitle, openUser, register, screenshot, send, waitForStats, type InboundStats, type UserPage } from './support/browser.js';

/** Every remote peer (want of them) sends both video frames and audio packets. */
const allFlowing = (want: number) => (s: Record<string, InboundStats>) =>
  Object.keys(s).length === want && Object.values(s).every((p) => p.video.framesDecoded > 0 && p.audio.packetsReceived > 0);

describe('web client: group call from a group chat (mesh of real peer connections)', () => {
  let server: TestServer;
  let browser: Browser;
  let alice: UserPage;
  let bob: UserPage;
  let bobPhone: UserPage; // Bob's second device: it rings too, and stops when he answers elsewhere
  let carol: UserPage;
  const title = uniqueUsername('Standup ');

  beforeAll(async () => {
    server = await startServer({ env: { STUN_URLS: '' } });
    browser = await launchBrowser();
    alice = await openUser(browser, server.url, uniqueUsername('alice'));
    bob = await openUser(browser, server.url, uniqueUsername('bob'));
    carol = await openUser(browser, server.url, uniqueUsername('carol'));
    for (const u of [alice, bob, carol]) await register(u);
    bobPhone = await openUser(browser, server.url, bob.username, { width: 390, height: 844 });
    await login(bobPhone);

    await alice.page.getByTestId('new-group').click();
    await alice.page.getByTestId('group-title').fill(title);
    for (const other of [bob, carol]) {
      await alice.page.getByTestId('group-member-search').fill(other.username);
      await alice.page.locator(`[data-testid="search-result"][data-username="${other.username}"]`).click();
    }
    await alice.page.getByTestId('group-create').click();
    await send(alice, 'Call in 1 minute');
    for (const u of [bob, carol]) {
      await openChatByTitle(u, title);
      await messageLocator(u, 'Call in 1 minute').waitFor();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('rings everyone; answering on one device stops the ringing on the other', async () => {
    await alice.page.getByTestId('call-video').click();
    for (const u of [bob, bobPhone, carol]) await u.page.getByTestId('incoming-call').waitFor();
    await bobPhone.page.screenshot({ path: 'docs/screenshots/incoming-call-phone.png' });
    await bob.page.getByTestId('call-accept').click();
    await bobPhone.page.getByTestId('incoming-call').waitFor({ state: 'detached' });
    await expect(bobPhone.page.getByTestId('call-screen').count()).resolves.toBe(0);
    await carol.page.getByTestId('call-accept').click();
  });

  it('connects everyone to everyone, with media flowing on every link', async () => {
    for (const u of [alice, bob, carol]) {
      await u.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor();
      await waitForStats(u, allFlowing(2), 45_000).catch((e: Error) => {
        // The other ends' view of a stuck link is what explains it.
        const ids = Object.fromEntries([alice, bob, carol].map((x) => [x.username, x.logs.join('\n')]));
        throw new Error(`${e.message}\n${JSON.stringify(ids, null, 1)}`);
      });
      await expect(u.page.getByTestId('remote-tile').count()).resolves.toBe(2);
    }
    await screenshot(carol, 'group-call.png');
  });

  it('one reloading mid-call is back in, with media from both others (each replaced its dead link)', async () => {
    await bob.page.reload();
    await bob.page.locator('[data-testid="call-screen"][data-phase="active"]').waitFor({ timeout: 15_000 });
    // Bob's page is new: media on both of its links means Alice and Carol answered its new offers.
    await waitForStats(bob, allFlowing(2), 45_000);
    await expect(bob.page.getByTestId('remote-tile').count()).resolves.toBe(2);
  });

  it('one leaving does not end the call for the others', async () => {
    await carol.page.getByTestId('hang-up').click();
    await alice.page.getByTestId('remote-tile').nth(1).waitFor({ state: 'detached' });
    await expect(bob.page.getByTestId('remote-tile').count()).resolves.toBe(1);
    await expect(bob.page.locator('[data-testid="call-screen"]').count()).resolves.toBe(1);
    await alice.page.getByTestId('hang-up').click();
    // Bob is alone now; the call ends when the last one leaves.
    await bob.page.getByTestId('remote-tile').waitFor({ state: 'detached' });
    await bob.page.getByTestId('hang-up').click();
    await bob.page.getByTestId('call-ended').waitFor();
  });
});
