import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/server.js';
import { editMessage, messageLocator, openChatByTitle, openDirectChat, register, login, screenshot, send, type UserPage, startTwoPeople, type TwoPeople, uniqueUsername } from './support/browser.js';


describe('web client: chat in a real browser', () => {
  let people: TwoPeople;
  let server: TestServer;
  let alice: UserPage;
  let bob: UserPage;

  beforeAll(async () => {
    people = await startTwoPeople();
    ({ server, alice, bob } = people);
  });

  afterAll(async () => {
    await people?.close();
  });

  it('registers two people, who then chat both ways live', async () => {
    await register(alice);
    await register(bob);
    await openDirectChat(alice, bob.username);
    await send(alice, 'Hello Bob!');
    await messageLocator(alice, 'Hello Bob!').locator('[data-testid="read-mark"]').waitFor();

    // Bob's list shows the new chat with its last message, an unread count and Alice online.
    const item = bob.page.locator(`[data-testid="chat-item"][data-chat-title="${alice.username}"]`);
    await item.getByTestId('chat-preview').filter({ hasText: 'Hello Bob!' }).waitFor();
    await expect(item.getByTestId('unread-badge').textContent()).resolves.toBe('1');
    await item.locator('[data-testid="presence-dot"][data-online="true"]').waitFor();

    await openChatByTitle(bob, alice.username);
    await messageLocator(bob, 'Hello Bob!').waitFor();
    await item.getByTestId('unread-badge').waitFor({ state: 'detached' });
    // Alice sees her message read.
    await messageLocator(alice, 'Hello Bob!').locator('[data-testid="read-mark"][data-read="true"]').waitFor();

    // Typing shows on the other side.
    await bob.page.getByTestId('composer-input').pressSequentially('Hi Al', { delay: 30 });
    await alice.page.getByTestId('typing-indicator').filter({ hasText: 'typing' }).waitFor();
    await bob.page.getByTestId('composer-input').fill('');

    // Bob replies to Alice's message.
    await messageLocator(bob, 'Hello Bob!').getByTestId('message-actions').click();
    await bob.page.getByTestId('action-reply').click();
    await bob.page.getByTestId('reply-bar').waitFor();
    await send(bob, 'Hi Alice, good to see you');
    const reply = messageLocator(alice, 'Hi Alice, good to see you');
    await reply.getByTestId('reply-quote').filter({ hasText: 'Hello Bob!' }).waitFor();
  });

  it('edits and deletes a message for everyone', async () => {
    await send(alice, 'Tpyo here');
    await messageLocator(bob, 'Tpyo here').waitFor();
    await editMessage(alice, 'Tpyo here', 'Typo fixed');
    await messageLocator(bob, 'Typo fixed').getByTestId('edited-mark').waitFor();

    await send(alice, 'Oops, wrong chat');
    await messageLocator(bob, 'Oops, wrong chat').waitFor();
    await messageLocator(alice, 'Oops, wrong chat').getByTestId('message-actions').click();
    await alice.page.getByTestId('action-delete').click();
    await messageLocator(bob, 'Oops, wrong chat').waitFor({ state: 'detached' });
    await messageLocator(alice, 'Oops, wrong chat').waitFor({ state: 'detached' });
    // The chat list's preview falls back to the newest message left, on both sides.
    for (const [u, other] of [[bob, alice], [alice, bob]] as const) {
      const item = u.page.locator(`[data-testid="chat-item"][data-chat-title="${other.username}"]`);
      await item.getByTestId('chat-preview').filter({ hasText: 'Typo fixed' }).waitFor();
    }
    await screenshot(alice, 'chat.png');
  });

  it('keeps the session over a reload, and logs out and back in', async () => {
    await bob.page.reload();
    await bob.page.getByTestId('me-name').filter({ hasText: bob.username }).waitFor();
    await messageLocator(bob, 'Typo fixed').waitFor(); // the open chat is in the URL

    await bob.page.getByTestId('logout').click();
    await bob.page.getByTestId('auth-form').waitFor();
    await bob.page.reload();
    await bob.page.getByTestId('auth-form').waitFor(); // the token is gone
    await login(bob);
    await openChatByTitle(bob, alice.username);
    await messageLocator(bob, 'Hi Alice, good to see you').waitFor();
  });

  it('creates a group that the members see live', async () => {
    const title = uniqueUsername('Team ');
    await alice.page.getByTestId('new-group').click();
    await alice.page.getByTestId('group-title').fill(title);
    await alice.page.getByTestId('group-member-search').fill(bob.username);
    await alice.page.locator(`[data-testid="search-result"][data-username="${bob.username}"]`).click();
    await alice.page.getByTestId('group-create').click();
    await alice.page.getByTestId('chat-title').filter({ hasText: title }).waitFor();
    await send(alice, 'Welcome to the team');
    await openChatByTitle(bob, title);
    await messageLocator(bob, 'Welcome to the team').waitFor();
    await send(bob, 'Thanks!');
    await messageLocator(alice, 'Thanks!').waitFor();
  });

  it('works at phone width: one pane at a time with a back button', async () => {
    await bob.page.setViewportSize({ width: 390, height: 844 });
    await expect(bob.page.getByTestId('chat-list').isVisible()).resolves.toBe(false);
    await bob.page.getByRole('button', { name: 'Back to chats' }).click();
    await bob.page.getByTestId('chat-list').waitFor();
    await openChatByTitle(bob, alice.username);
    await screenshot(bob, 'chat-phone.png');
    await bob.page.setViewportSize({ width: 1280, height: 800 });
  });
});
