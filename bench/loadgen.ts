/**
 * Load-generator child (forked by bench/run.ts). One process holds a slice of the users, each
 * on its own socket.io-client connection (websocket transport only). On 'run' every user sends
 * `message:send` with an ack at a fixed offered rate (open loop: the schedule does not wait for
 * acks), and every user records the `message:receive` it gets.
 *
 * Latency = receive time − the sender's emit time, carried in the message content
 * (`uid|seq|epochMs|padding`). All processes are on one machine, so epoch time from
 * performance.timeOrigin + performance.now() is comparable across them (sub-ms resolution).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { Histogram } from './lib/hist.js';
import type { ChildMsg, ClientSpec, ParentMsg, RunStats } from './lib/ipc.js';

const now = () => performance.timeOrigin + performance.now();
const send = (m: ChildMsg) => process.send?.(m);

interface Client {
  spec: ClientSpec;
  socket: Socket;
}

let clients: Client[] = [];

/** State of the current run; receive handlers read it. */
interface RunState {
  w0: number; // window start (epoch ms), by send time
  w1: number; // window end
  stats: Omit<RunStats, 'latency' | 'ackLatency' | 'sendLag'>;
  latency: Histogram;
  ackLatency: Histogram;
  sendLag: Histogram;
  pendingAcks: number;
  active: boolean;
}
let run: RunState | null = null;

function onReceive(receiverUid: number, payload: unknown): void {
  const r = run;
  if (!r || !r.active) return;
  const t = now();
  const content = (payload as { message?: { content?: unknown } } | null)?.message?.content;
  if (typeof content !== 'string') {
    r.stats.foreign++;
    return;
  }
  const a = content.indexOf('|');
  const b = content.indexOf('|', a + 1);
  const c = content.indexOf('|', b + 1);
  if (a < 0 || b < 0 || c < 0) {
    r.stats.foreign++;
    return;
  }
  const senderUid = Number(content.slice(0, a));
  const ts = Number(content.slice(b + 1, c));
  if (senderUid === receiverUid) {
    r.stats.selfDeliveries++;
    return;
  }
  if (t >= r.w0 && t < r.w1) r.stats.deliveriesInWindow++;
  if (ts >= r.w0 && ts < r.w1) {
    r.stats.deliveries++;
    r.latency.record(t - ts);
  }
}

async function connectAll(msg: Extract<ParentMsg, { cmd: 'connect' }>): Promise<void> {
  const t0 = now();
  let ok = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  let next = 0;
  const specs = msg.clients;

  const openOne = (spec: ClientSpec, i: number) =>
    new Promise<void>((resolve) => {
      const localAddress = msg.localAddresses.length ? msg.localAddresses[i % msg.localAddresses.length] : undefined;
      const socket = io(msg.url, {
        transports: ['websocket'],
        auth: spec.auth,
        reconnection: false,
        forceNew: true,
        timeout: msg.timeoutMs,
        ...(localAddress ? { localAddress } : {}),
      } as Parameters<typeof io>[1]);
      let settled = false;
      const done = (err?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          failed++;
          errors[err] = (errors[err] ?? 0) + 1;
          socket.close();
        } else {
          ok++;
          clients.push({ spec, socket });
        }
        resolve();
      };
      const timer = setTimeout(() => done('timeout'), msg.timeoutMs + 1000);
      socket.once('connect', () => done());
      socket.once('connect_error', (e: Error) => done(e.message || 'connect_error'));
      socket.on('message:receive', (p: unknown) => onReceive(spec.uid, p));
      socket.on('disconnect', () => {
        if (run?.active) run.stats.disconnects++;
      });
    });

  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      await openOne(specs[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, msg.concurrency) }, worker));
  send({ ev: 'connected', ok, failed, errors, ms: Math.round(now() - t0) });
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function doRun(msg: Extract<ParentMsg, { cmd: 'run' }>): Promise<void> {
  const senders = shuffle(clients.filter((c) => c.spec.chatId !== undefined && c.socket.connected));
  const w0 = msg.t0 + msg.warmupMs;
  const w1 = w0 + msg.durationMs;
  const r: RunState = {
    w0,
    w1,
    stats: {
      offered: 0, sent: 0, ackOk: 0, ackFailed: 0, ackTimeout: 0, failCodes: {},
      expectedDeliveries: 0, deliveries: 0, deliveriesInWindow: 0, selfDeliveries: 0, foreign: 0,
      disconnects: 0, loopDelayP99Ms: 0, loopDelayMaxMs: 0, cpuUserMs: 0, cpuSystemMs: 0,
      windowMs: msg.durationMs,
    },
    latency: new Histogram(),
    ackLatency: new Histogram(),
    sendLag: new Histogram(),
    pendingAcks: 0,
    active: true,
  };
  run = r;
  const pad = 'x'.repeat(Math.max(0, msg.contentBytes - 40));
  // clientMessageIds are unique per run: a later run (or sweep point) on the same stored users
  // must not be answered as retries of an earlier one.
  const runTag = Math.round(msg.t0).toString(36);
  const procRate = senders.length * msg.ratePerUser; // msg/s for this process
  const endAt = w1;
  let n = 0; // next send number; send n is due at t0 + n / procRate
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let cpu0: NodeJS.CpuUsage | null = null;

  const emitOne = (k: number, due: number) => {
    const c = senders[k % senders.length]!;
    const t = now();
    const inWindow = due >= w0 && due < w1;
    if (inWindow) {
      r.stats.offered++;
      r.stats.sent++;
      r.sendLag.record(t - due);
    }
    // The stamp is the actual emit time; window membership of receives is judged by it.
    const content = `${c.spec.uid}|${k}|${t.toFixed(3)}|${pad}`;
    r.pendingAcks++;
    c.socket
      .timeout(msg.ackTimeoutMs)
      .emit('message:send', { chatId: c.spec.chatId, content, clientMessageId: `${runTag}-${c.spec.uid}-${k}` }, (err: unknown, res: unknown) => {
        r.pendingAcks--;
        const tsInWindow = t >= w0 && t < w1;
        if (!tsInWindow) return;
        if (err) {
          r.stats.ackTimeout++;
          // it may still have been stored and delivered: owed like an acked one
          r.stats.expectedDeliveries += (c.spec.groupSize ?? 1) - 1;
          return;
        }
        const reply = res as { ok?: boolean; error?: { code?: string } } | null;
        if (reply && reply.ok === true) {
          r.stats.ackOk++;
          r.stats.expectedDeliveries += (c.spec.groupSize ?? 1) - 1;
          r.ackLatency.record(now() - t);
        } else {
          r.stats.ackFailed++;
          const code = reply?.error?.code ?? 'UNKNOWN';
          r.stats.failCodes[code] = (r.stats.failCodes[code] ?? 0) + 1;
        }
      });
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      if (t < msg.t0) {
        setTimeout(tick, Math.min(50, Math.max(1, msg.t0 - t - 1)));
        return;
      }
      if (!cpu0 && t >= w0) {
        cpu0 = process.cpuUsage();
        loop.enable();
      }
      if (senders.length === 0 || procRate <= 0) {
        if (t >= endAt) return resolve();
        setTimeout(tick, 5);
        return;
      }
      const dueUntil = Math.min(t, endAt);
      // Open loop: emit everything that is due, however late (the lag is recorded).
      for (;;) {
        const due = msg.t0 + (n * 1000) / procRate;
        if (due > dueUntil || due >= endAt) break;
        emitOne(n, due);
        n++;
      }
      if (t >= endAt) return resolve();
      setTimeout(tick, 2);
    };
    tick();
  });
  // Window members whose stamp fell just before w1 but were not emitted (only if the loop stalled):
  // counted as offered-but-unsent so the offered rate stays the schedule's.
  const scheduledInWindow = Math.max(0, Math.ceil(((w1 - msg.t0) * procRate) / 1000) - Math.ceil(((w0 - msg.t0) * procRate) / 1000));
  if (scheduledInWindow > r.stats.offered) r.stats.offered = scheduledInWindow;

  const cpu = process.cpuUsage(cpu0 ?? undefined);
  loop.disable();
  r.stats.cpuUserMs = cpu.user / 1000;
  r.stats.cpuSystemMs = cpu.system / 1000;
  r.stats.loopDelayP99Ms = loop.count ? loop.percentile(99) / 1e6 : 0;
  r.stats.loopDelayMaxMs = loop.count ? loop.max / 1e6 : 0;

  // Drain: outstanding acks (bounded by their own timeout), then a grace period for deliveries.
  const drainDeadline = now() + msg.ackTimeoutMs + 1000;
  while (r.pendingAcks > 0 && now() < drainDeadline) await sleep(20);
  await sleep(msg.drainMs);
  r.active = false;
  run = null;
  const stats: RunStats = {
    ...r.stats,
    latency: r.latency.toJSON(),
    ackLatency: r.ackLatency.toJSON(),
    sendLag: r.sendLag.toJSON(),
  };
  send({ ev: 'result', tag: msg.tag, stats });
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

async function disconnectAll(): Promise<void> {
  for (const c of clients) c.socket.close();
  clients = [];
  await sleep(200);
  send({ ev: 'disconnected' });
}

process.on('message', (m: ParentMsg) => {
  const fail = (e: unknown) => send({ ev: 'log', msg: `loadgen ${process.pid}: ${(e as Error)?.stack ?? e}` });
  switch (m.cmd) {
    case 'connect':
      connectAll(m).catch(fail);
      break;
    case 'run':
      doRun(m).catch(fail);
      break;
    case 'disconnect':
      disconnectAll().catch(fail);
      break;
    case 'exit':
      for (const c of clients) c.socket.close();
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.on('disconnect', () => process.exit(0)); // parent gone
send({ ev: 'ready', pid: process.pid });
