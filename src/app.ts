import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { securityHeaders } from './http/security.js';
import { attachMessenger, type Messenger } from './messenger.js';
import type { SharedState } from './state/shared-state.js';

export interface CreateAppOptions {
  config: Config;
  db: Database;
  logger: Logger;
  state?: SharedState;
}

export interface App extends Messenger {
  app: express.Express;
  /** Listens on config.port/host (0 = any free port); resolves with the bound port. */
  listen(): Promise<number>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/web, built by `npm run build:web`, found from src/ (tsx, tests) and dist/server/ alike. */
const WEB_ROOT = path.resolve(here, here.endsWith(path.join('dist', 'server')) ? '../web' : '../dist/web');

/**
 * The app factory (Fastify's testing habit): everything but listening, so tests build an app on
 * port 0 and the entry point only adds signals.
 */
export async function createApp(options: CreateAppOptions): Promise<App> {
  const { config, db, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Express's last-resort error page shows stacks outside production; never show them.
  app.set('env', 'production');
  app.use(securityHeaders());
  const messenger = attachMessenger(app, { config, database: db, logger, ...(options.state ? { state: options.state } : {}) });

  const webRoot = WEB_ROOT;
  if (existsSync(path.join(webRoot, 'index.html'))) {
    app.use(express.static(webRoot, { index: 'index.html', maxAge: '1h' }));
    // Client-side routes fall back to the app shell.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(path.join(webRoot, 'index.html')));
  }

  const listen = () =>
    new Promise<number>((resolve, reject) => {
      messenger.httpServer.once('error', reject);
      messenger.httpServer.listen(config.port, config.host, () => {
        const address = messenger.httpServer.address();
        resolve(typeof address === 'object' && address ? address.port : config.port);
      });
    });

  return { ...messenger, app, listen };
}
