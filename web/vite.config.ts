import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web client is built into dist/web, which the server serves at `/` (SPA fallback).
// `npm run build:web` from the repo root; `vite` (dev) proxies API + Socket.io to a local server.
const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.MESSENGER_URL ?? 'http://localhost:3001';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  // Type-only imports today; the alias keeps a runtime import working too.
  resolve: { alias: { '@shared': fileURLToPath(new URL('../src/shared', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': target,
      '/socket.io': { target, ws: true },
    },
  },
});
