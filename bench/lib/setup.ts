/**
 * Creating the benchmark's users and group chats on the real server through its public REST API
 * (the same calls any client makes). Registration hashes passwords with argon2, which is slow by
 * design, so it runs with bounded concurrency; a 429 is retried after its Retry-After.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent } from 'node:http';
import { request } from 'node:http';

export interface BenchUser {
  uid: number;
  id: string;
  username: string;
  token: string;
}
export interface BenchGroup {
  id: string;
  memberUids: number[];
}
export interface Population {
  users: BenchUser[];
  groups: BenchGroup[];
  /** user index → its group's chat id */
  chatOf: string[];
  groupSizeOf: number[];
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  timeoutMs = 60_000,
): Promise<{ status: number; json: any; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(path, base);
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function withRetry<T extends { status: number; headers: Record<string, unknown> }>(
  what: string,
  fn: () => Promise<T>,
  deadline: number,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let res: T | undefined;
    try {
      res = await fn();
    } catch (e) {
      if (Date.now() > deadline || attempt > 20) throw e;
      await sleep(200 * (attempt + 1));
      continue;
    }
    if (res.status !== 429 && res.status !== 503) return res;
    if (Date.now() > deadline) throw new Error(`${what}: still ${res.status} at the setup deadline`);
    const ra = Number(res.headers['retry-after']);
    await sleep(Number.isFinite(ra) && ra > 0 ? Math.min(ra * 1000, 30_000) : 500 * (attempt + 1));
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

export function groupLayout(users: number, groupSize: number): number[][] {
  const groups: number[][] = [];
  for (let s = 0; s < users; s += groupSize) {
    groups.push(Array.from({ length: Math.min(groupSize, users - s) }, (_, k) => s + k));
  }
  return groups;
}

export async function createPopulation(
  base: string,
  opts: {
    users: number;
    groupSize: number;
    concurrency: number;
    prefix: string;
    deadlineMs: number;
    log: (s: string) => void;
    cacheFile?: string | undefined;
  },
): Promise<{ pop: Population; registerMs: number; groupsMs: number; cached: boolean }> {
  const deadline = Date.now() + opts.deadlineMs;
  const layout = groupLayout(opts.users, opts.groupSize);
  // The cache file is per data store already; the port changes every run, so it is not in the key.
  const key = createHash('sha1').update(`${opts.users}|${opts.groupSize}`).digest('hex').slice(0, 10);

  if (opts.cacheFile && existsSync(opts.cacheFile)) {
    try {
      const c = JSON.parse(readFileSync(opts.cacheFile, 'utf8')) as { key: string; pop: Population };
      if (c.key === key && c.pop.users.length === opts.users) {
        const me = await http(base, 'GET', '/api/me', undefined, c.pop.users[0]!.token);
        if (me.status === 200) {
          opts.log(`reusing ${c.pop.users.length} cached users and ${c.pop.groups.length} groups from ${opts.cacheFile}`);
          return { pop: c.pop, registerMs: 0, groupsMs: 0, cached: true };
        }
      }
    } catch {
      /* fall through and register */
    }
  }

  const password = 'bench-password-0123456789';
  const t0 = Date.now();
  let done = 0;
  const users = await pool(opts.users, opts.concurrency, async (uid) => {
    const username = `${opts.prefix}${uid}`;
    const res = await withRetry(
      'register',
      () => http(base, 'POST', '/api/auth/register', { username, password }),
      deadline,
    );
    let json = res.json;
    if (res.status === 409) {
      const l = await withRetry('login', () => http(base, 'POST', '/api/auth/login', { username, password }), deadline);
      if (l.status !== 200) throw new Error(`login ${username}: ${l.status} ${JSON.stringify(l.json)}`);
      json = l.json;
    } else if (res.status !== 201 && res.status !== 200) {
      throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.json)}`);
    }
    if (++done % 250 === 0) opts.log(`  registered ${done}/${opts.users}`);
    return { uid, id: String(json.user.id), username, token: String(json.token) } satisfies BenchUser;
  });
  const registerMs = Date.now() - t0;

  const t1 = Date.now();
  const groups = await pool(layout.length, Math.min(opts.concurrency, 8), async (g) => {
    const members = layout[g]!;
    const creator = users[members[0]!]!;
    const res = await withRetry(
      'create group',
      () =>
        http(
          base,
          'POST',
          '/api/chats',
          { type: 'group', title: `bench group ${g}`, memberIds: members.slice(1).map((u) => users[u]!.id) },
          creator.token,
        ),
      deadline,
    );
    if (res.status !== 201 && res.status !== 200) throw new Error(`create group ${g}: ${res.status} ${JSON.stringify(res.json)}`);
    return { id: String(res.json.chat.id), memberUids: members } satisfies BenchGroup;
  });
  const groupsMs = Date.now() - t1;

  const pop = toPopulation(users, groups);
  if (opts.cacheFile) {
    mkdirSync(dirname(opts.cacheFile), { recursive: true });
    writeFileSync(opts.cacheFile, JSON.stringify({ key, pop }));
  }
  return { pop, registerMs, groupsMs, cached: false };
}

export function toPopulation(users: BenchUser[], groups: BenchGroup[]): Population {
  const chatOf: string[] = [];
  const groupSizeOf: number[] = [];
  for (const g of groups)
    for (const u of g.memberUids) {
      chatOf[u] = g.id;
      groupSizeOf[u] = g.memberUids.length;
    }
  return { users, groups, chatOf, groupSizeOf };
}

/** The baseline needs no accounts: chat ids are just names. */
export function baselinePopulation(usersN: number, groupSize: number): Population {
  const layout = groupLayout(usersN, groupSize);
  const users: BenchUser[] = Array.from({ length: usersN }, (_, uid) => ({ uid, id: `u${uid}`, username: `u${uid}`, token: '' }));
  const groups = layout.map((m, g) => ({ id: `g${g}`, memberUids: m }));
  return toPopulation(users, groups);
}
