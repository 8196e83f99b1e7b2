import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startServer, type TestServer } from '../../support/server.js';

/** Debian's chromium package; never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.resolve('docs/screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Fake camera, microphone and screen; the fake UI auto-accepts the permission and screen
  // pickers (getDisplayMedia waits forever without it).
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  // Background tabs must keep decoding video and running timers like a focused window would.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 60_000 });
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  username: string;
  /** Console errors and page crashes, printed when a test fails. */
  logs: string[];
}

/** A separate browser context is a separate person: own storage, own cookies, own devices. */
export async function openUser(browser: Browser, baseUrl: string, username: string, viewport = { width: 1280, height: 800 }): Promise<UserPage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport, permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning' || m.text().startsWith('[rtc]')) logs.push(`[${username}] ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logs.push(`[${username}] pageerror: ${e.message}`));
  page.on('dialog', (d) => void d.accept()); // confirm() before deleting a message
  if (process.env.E2E_RTC_DEBUG === '1') await context.addInitScript(() => localStorage.setItem('rtcDebug', '1'));
  await page.goto('/');
  return { context, page, username, logs };
}

export async function register(u: UserPage, password = 'correct-horse-battery') {
  const { page } = u;
  await page.getByTestId('auth-mode-register').click();
  await page.getByTestId('auth-username').fill(u.username);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('me-name').filter({ hasText: u.username }).waitFor();
}

export async function login(u: UserPage, password = 'correct-horse-battery') {
  const { page } = u;
  await page.getByTestId('auth-mode-login').click();
  await page.getByTestId('auth-username').fill(u.username);
  await page.getByTestId('auth-password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('me-name').filter({ hasText: u.username }).waitFor();
}

/** Finds a user by name in the sidebar search and opens the direct chat with them. */
export async function openDirectChat(u: UserPage, other: string) {
  await u.page.getByTestId('user-search').fill(other);
  await u.page.locator(`[data-testid="search-result"][data-username="${other}"]`).click();
  await u.page.getByTestId('chat-title').filter({ hasText: other }).waitFor();
}

export async function openChatByTitle(u: UserPage, title: string) {
  await u.page.locator(`[data-testid="chat-item"][data-chat-title="${title}"]`).click();
  await u.page.getByTestId('chat-title').filter({ hasText: title }).waitFor();
}

export async function send(u: UserPage, text: string) {
  await u.page.getByTestId('composer-input').fill(text);
  await u.page.getByTestId('composer-input').press('Enter');
}

/** Edits one of the user's messages through its ⋯ menu and the composer. */
export async function editMessage(u: UserPage, oldText: string, newText: string) {
  await messageLocator(u, oldText).getByTestId('message-actions').click();
  await u.page.getByTestId('action-edit').click();
  // The composer takes the message's text after it renders the editing bar: wait for both, or
  // the fill below can land first and be overwritten (then nothing is edited).
  await u.page.getByTestId('editing-bar').waitFor();
  await expect.poll(() => u.page.getByTestId('composer-input').inputValue()).toBe(oldText);
  await u.page.getByTestId('composer-input').fill(newText);
  await u.page.getByTestId('composer-input').press('Enter');
}

export const messageLocator = (u: UserPage, text: string) =>
  u.page.locator('[data-testid="message"]', { has: u.page.locator('[data-testid="message-content"]', { hasText: text }) });

export async function screenshot(u: UserPage, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await u.page.screenshot({ path: path.join(SCREENSHOT_DIR, name) });
}

export interface InboundStats {
  video: { framesDecoded: number; bytes: number };
  audio: { packetsReceived: number };
  screen: { framesDecoded: number };
}

/** Inbound WebRTC counters per remote user, from the client's debug handle. */
export function callStats(u: UserPage): Promise<Record<string, InboundStats>> {
  return u.page.evaluate(async () => {
    const handle = (window as unknown as { __messenger: { stats(): Promise<Record<string, InboundStats>> } }).__messenger;
    return handle.stats();
  });
}

/** Polls until `check` passes on the stats (media takes a moment to flow), or fails with the last stats. */
export async function waitForStats(u: UserPage, check: (s: Record<string, InboundStats>) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, InboundStats> = {};
  while (Date.now() < deadline) {
    last = await callStats(u);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${u.username}: stats never passed: ${JSON.stringify(last)}\n${u.logs.slice(-20).join('\n')}`);
}

/** A unique, short username with a readable prefix. */
export const uniqueUsername = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 7)}`;

export interface TwoPeople {
  server: TestServer;
  browser: Browser;
  alice: UserPage;
  bob: UserPage;
  close(): Promise<void>;
}

/** The setup most browser tests share: a real server (no STUN: loopback only), Chromium, two users' pages. */
export async function startTwoPeople(): Promise<TwoPeople> {
  const server = await startServer({ env: { STUN_URLS: '' } });
  const browser = await launchBrowser();
  const alice = await openUser(browser, server.url, uniqueUsername('alice'));
  const bob = await openUser(browser, server.url, uniqueUsername('bob'));
  return {
    server,
    browser,
    alice,
    bob,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
