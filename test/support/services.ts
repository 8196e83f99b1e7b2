import net from 'node:net';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when something accepts TCP connections at host:port within the timeout. */
export function reachable(url: string, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** CI sets REQUIRE_SERVICES=1: a missing service then fails the run instead of skipping. */
export const servicesRequired = process.env.REQUIRE_SERVICES === '1';

export function loudSkip(what: string): void {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! ${what} is NOT reachable: its tests are SKIPPED.\n${line}\n`);
}
