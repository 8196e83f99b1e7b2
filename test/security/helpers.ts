import { api, connect, type TestSocket } from '../support/client.js';
import type { TestServer } from '../support/server.js';

/** A socket with extra handshake headers (Origin, X-Forwarded-For); resolves connected or rejects. */
export function connectWith(
  baseUrl: string,
  token: string | undefined,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<TestSocket> {
  return connect(baseUrl, token, { headers, timeoutMs });
}

/** A REST call with arbitrary headers (the shared client helper). */
export function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  return api(baseUrl, method, path, options);
}

/** Waits until at least `marginMs` remain in the current fixed window of `windowMs`. */
export async function atWindowStart(windowMs: number, marginMs = 600): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 20));
}

/** Every stored row of every table (kysely_* excluded), counted and hashed, for "nothing changed". */
export async function snapshotRows(server: TestServer): Promise<{ counts: Record<string, number>; hash: string }> {
  const { createHash } = await import('node:crypto');
  const db = server.app.services.database.db;
  const tables = (await db.introspection.getTables())
    .map((t) => t.name)
    .filter((n) => !n.startsWith('kysely_'))
    .sort();
  const counts: Record<string, number> = {};
  const hash = createHash('sha256');
  for (const table of tables) {
    const rows = (await (db as any).selectFrom(table).selectAll().execute()) as Array<Record<string, unknown>>;
    const lines = rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k] ?? null]))).sort();
    counts[table] = rows.length;
    hash.update(table + '\n' + lines.join('\n') + '\n');
  }
  return { counts, hash: hash.digest('hex') };
}
