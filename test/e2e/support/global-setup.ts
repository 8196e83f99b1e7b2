import { existsSync } from 'node:fs';
import { build } from 'vite';
import { CHROMIUM_PATH } from './browser.js';

/** Builds the web client into dist/web once per run (the server serves it at `/`). */
export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}. Install it: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  }
  if (process.env.E2E_SKIP_BUILD === '1') return;
  await build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
}
