import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client.js';
import type { TestServer } from '../support/server.js';
import { editMessage, messageLocator, openChatByTitle, openDirectChat, register, send, type UserPage, startTwoPeople, type TwoPeople } from './support/browser.js';

const tokenOf = (u: UserPage) => u.page.evaluate(() => localStorage.getItem('messenger.token') ?? '');
const openChatId = (u: UserPage) => u.page.getByTestId('chat-view').getAttribute('data-chat-id');

describe('web client: history paging and recovery after a lost connection', () => {
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
    await send(alice, 'first!');
  });

  afterAll(async () => {
    await people?.close();
  });

  it('loads older pages when scrolling up', async () => {
    const chatId = (await openChatId(alice))!;
    const token = await tokenOf(alice);
    for (let i = 1; i <= 90; i++) {
      const res = await api(server.url, 'POST', `/api/chats/${chatId}/messages`, { token, body: { content: `history ${i}` } });
      expect(res.status).toBe(201);
    }
    await openChatByTitle(bob, alice.username);
    await messageLocator(bob, 'history 90').waitFor();
    await expect(messageLocator(bob, 'first!').count()).resolves.toBe(0); // not in the first page
    // Scroll to the top until the beginning of the conversation shows.
    await expect
      .poll(
        async () => {
          await bob.page.getByTestId('message-list').evaluate((el) => (el.scrollTop = 0));
          return messageLocator(bob, 'first!').count();
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(1);
    await expect(bob.page.locator('[data-testid="message"]').count()).resolves.toBe(91);
  });

  it('reconnects by itself after a lost connection and shows what it missed', async () => {
    await bob.context.setOffline(true);
    // The socket drop is noticed by socket.io's heartbeat at the latest.
    await bob.page.evaluate(() => {
      const h = (window as unknown as { __messenger: { socket(): { io: { engine: { close(): void } } } | null } }).__messenger;
      h.socket()?.io.engine.close(); // what a dead network does to the transport, without waiting for the heartbeat
    });
    await bob.page.locator('[data-testid="connection-banner"]').waitFor();
    await send(alice, 'sent while you were away');
    await messageLocator(alice, 'sent while you were away').locator('[data-testid="read-mark"]').waitFor();
    // Edit one Bob already has, so the catch-up must refresh it too.
    await editMessage(alice, 'history 90', 'history 90 (edited)');
    await messageLocator(alice, 'history 90 (edited)').waitFor();
    await bob.page.waitForTimeout(500);
    await expect(messageLocator(bob, 'sent while you were away').count()).resolves.toBe(0);

    await bob.context.setOffline(false);
    await bob.page.locator('[data-testid="connection-banner"]').waitFor({ state: 'detached', timeout: 30_000 });
    await messageLocator(bob, 'sent while you were away').waitFor();
    await messageLocator(bob, 'history 90 (edited)').getByTestId('edited-mark').waitFor();
    // And live delivery works again.
    await send(bob, 'back online');
    await messageLocator(alice, 'back online').waitFor();
  });
});
