import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, test } from 'vitest';
import { api, connect, emitAck, registerUser, sleep } from './support/client.js';
import { createDirect } from './support/fixtures.js';
import { createTestStorage, startServer, TEST_JWT_SECRET } from './support/server.js';

test('history, users and tokens survive a restart on the same storage', async () => {
  const storage = await createTestStorage();
  const first = await startServer({ storage });
  const alice = await registerUser(first.url);
  const bob = await registerUser(first.url);
  const chatId = await createDirect(first.url, alice, bob);
  const socket = await connect(first.url, alice.token);
  for (const content of ['before', 'the', 'restart']) await emitAck(socket, 'message:send', { chatId, content });
  socket.close();
  await first.close({ keepStorage: true });

  const second = await startServer({ storage });
  try {
    const history = await api(second.url, 'GET', `/api/chats/${chatId}/messages`, { token: bob.token });
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m: any) => [m.seq, m.content])).toEqual([
      [1, 'before'],
      [2, 'the'],
      [3, 'restart'],
    ]);
    const again = await connect(second.url, alice.token);
    expect(await emitAck(again, 'message:send', { chatId, content: 'after' })).toMatchObject({ ok: true, message: { seq: 4 } });
    again.close();
  } finally {
    await second.close();
  }
});

test('SIGTERM: stops accepting, closes sockets, closes storage and exits 0', async () => {
  const storage = await createTestStorage();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: storage.dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      ...(storage.databaseUrl ? { DATABASE_URL: storage.databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 15_000);
      child.stdout.on('data', () => {
        const m = /"port":(\d+)[^\n]*messenger listening/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const user = await registerUser(url);
    const socket = await connect(url, user.token);
    const disconnected = new Promise<[string]>((resolve) => socket.once('disconnect', (reason) => resolve([reason])));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [reason] = await disconnected;
    // A transport close (not 'io server disconnect') lets clients reconnect by themselves,
    // to another node in a cluster.
    expect(reason).toBe('transport close');
    const [code] = await exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
    // Logs are structured JSON and never carry a token or a password.
    expect(output).toContain('"msg":"draining"');
    expect(output).not.toContain(user.token);
    expect(output).not.toContain(user.password);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await sleep(50);
    await storage.drop();
  }
});
