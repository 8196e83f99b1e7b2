import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { coalesceWrites } from '../src/sockets/write-coalescing.js';

// The per-tick write coalescing on a real TCP connection: how many times the socket reaches the
// kernel (one _write or _writev call each) for frames written in one tick.

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function connectedPair(): Promise<{ server: net.Socket; client: net.Socket; received: () => string }> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  const server = await accepted;
  let data = '';
  client.on('data', (d: Buffer) => (data += d.toString()));
  cleanups.push(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client, received: () => data };
}

/** Counts the socket's trips to the kernel: one per _write or _writev call. */
function countFlushes(socket: net.Socket): () => number {
  const s = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  let n = 0;
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => (n++, write(...a));
  s._writev = (...a) => (n++, writev(...a));
  return () => n;
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('frames written in one tick leave in one writev; the next tick starts a new one', async () => {
  const { server, received } = await connectedPair();
  coalesceWrites(server);
  const flushes = countFlushes(server);
  server.write('a');
  server.write('b');
  server.write('c');
  expect(flushes()).toBe(0); // held until the tick ends
  await new Promise((r) => process.nextTick(r));
  expect(flushes()).toBe(1);
  server.write('d');
  server.write('e');
  await settle();
  expect(flushes()).toBe(2);
  expect(received()).toBe('abcde');
});

test('without it, every frame is its own trip (what the coalescing saves)', async () => {
  const { server, received } = await connectedPair();
  const flushes = countFlushes(server);
  server.write('a');
  server.write('b');
  server.write('c');
  await settle();
  expect(flushes()).toBeGreaterThanOrEqual(2);
  expect(received()).toBe('abc');
});

test('write callbacks still run, and a socket destroyed mid-tick does not throw', async () => {
  const { server } = await connectedPair();
  coalesceWrites(server);
  const done = new Promise<void>((r) => server.write('x', () => r()));
  await done;
  server.write('y');
  server.destroy();
  await settle();
});
