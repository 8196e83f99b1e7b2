/**
 * npm run bench — the benchmark runner.
 *
 * For each target (the bare Socket.io relay "baseline", then the project "server"):
 *   1. start it as a user would (server: `npm run build` once, then `node dist/server/main.js`
 *      with PORT, HOST=127.0.0.1, DATA_DIR=<temp>, JWT_SECRET; DATABASE_URL / REDIS_URL from
 *      BENCH_DATABASE_URL / BENCH_REDIS_URL; with a Redis URL two nodes are started);
 *   2. create U users in group chats of G (server: through the public REST API);
 *   3. fork the load generator (bench/loadgen.ts) into P processes, connect every user;
 *   4. main run: R msg/s offered for S seconds (after a warm-up); then a sweep over rates;
 *      server CPU is read from /proc/<pid>/stat over the measurement window;
 *   5. idle phase in a fresh process started with --expose-gc and bench/probe.mjs: N idle
 *      connections, RSS and V8 heap after a full GC, per connection.
 * Results: bench/results/latest.{json,md}, bench/results/p99-vs-rate.svg (+ a timestamped JSON).
 *
 * Flags (also as env BENCH_<NAME>, e.g. BENCH_RATE=4000):
 *   --quick               short smoke run (8 s main, 3-point sweep, 2,000 idle conns)
 *   --full                long run (30 s main, 11-point sweep of 10 s each)
 *   --targets=baseline,server
 *   --users=1000 --group=20 --rate=4000 --duration=15 --warmup=3
 *   --sweep=250,500,1000,2000,3000,4000,6000 --sweep-duration=6 --no-sweep
 *   --idle-conns=20000 --no-idle --procs=2 --idle-procs=4 --idle-warmup=1000 (connections opened
 *                         and closed before the idle measurement)
 *   --content-bytes=80 --pin (server on CPU 0, generator on CPU 1) --no-build
 *   --cpu-prof (server main+sweep run under --cpu-prof; profile in bench/results/prof/)
 *   --heap-snapshots (idle phase: a V8 heap snapshot before and after connecting, in
 *                     bench/results/heap/; `node bench/heap-diff.mjs before after N` compares them)
 *   --server-env=K=V,K=V  extra env for the project server (e.g. a rate-limit override)
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { Histogram, type LatencySummary } from './lib/hist.js';
import type { ChildMsg, ClientSpec, ParentMsg, RunStats } from './lib/ipc.js';
import { cpuMs, cpuSplitMs, rssBytes, machineTicks, nofileLimit, freePort, cpuModel } from './lib/proc.js';
import { createPopulation, baselinePopulation, http, type Population } from './lib/setup.js';
import { svgChart, mdTable, fmt } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const resultsDir = join(here, 'results');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const t00 = Date.now();
const log = (s: string) => console.log(`[bench ${((Date.now() - t00) / 1000).toFixed(1).padStart(6)}s] ${s}`);

// ───────────────────────────── options ─────────────────────────────
const argv = process.argv.slice(2);
function opt(name: string): string | undefined {
  const flag = argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (flag) return flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : 'true';
  return process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
}
const quick = opt('quick') === 'true';
const full = opt('full') === 'true';
const num = (name: string, def: number) => {
  const v = opt(name);
  return v === undefined ? def : Number(v);
};
const O = {
  targets: (opt('targets') ?? 'baseline,server').split(',').map((s) => s.trim()) as Array<'baseline' | 'server'>,
  users: num('users', 1000),
  group: num('group', 20),
  rate: num('rate', 4000),
  duration: num('duration', quick ? 8 : full ? 30 : 15),
  warmup: num('warmup', quick ? 2 : 3),
  sweep: opt('no-sweep') === 'true'
    ? []
    : (opt('sweep') ?? (quick ? '250,1000,4000' : full ? '250,500,750,1000,1500,2000,3000,4000,5000,6000,8000' : '250,500,1000,2000,3000,4000,6000'))
        .split(',').map(Number).filter((x) => x > 0),
  sweepDuration: num('sweep-duration', quick ? 4 : full ? 10 : 6),
  sweepWarmup: num('sweep-warmup', 2),
  idleConns: opt('no-idle') === 'true' ? 0 : num('idle-conns', quick ? 2000 : 20000),
  procs: num('procs', 2),
  idleProcs: num('idle-procs', 4),
  idleWarmup: num('idle-warmup', 1000),
  contentBytes: num('content-bytes', 80),
  ackTimeoutMs: num('ack-timeout', 10_000),
  pin: opt('pin') === 'true',
  build: opt('no-build') !== 'true',
  cpuProf: opt('cpu-prof') === 'true',
  heapSnapshots: opt('heap-snapshots') === 'true',
  regConcurrency: num('reg-concurrency', 8),
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  redisUrl: process.env.BENCH_REDIS_URL || undefined,
  dataDir: process.env.BENCH_DATA_DIR || undefined,
  serverEnv: Object.fromEntries(
    (opt('server-env') ?? '').split(',').filter((s) => s.includes('=')).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]),
  ) as Record<string, string>,
  deadlineMin: num('deadline-min', 40),
};
const cpuCount = (await import('node:os')).cpus().length;
const LOOPBACKS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

// Everything is bounded: a watchdog ends the run (and every process it started).
const spawned = new Set<ChildProcess>();
function killAll() {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
const watchdog = setTimeout(() => {
  console.error(`bench: deadline of ${O.deadlineMin} min reached; stopping`);
  killAll();
  process.exit(2);
}, O.deadlineMin * 60_000);
watchdog.unref();
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('exit', killAll);

// ───────────────────────────── targets ─────────────────────────────
interface Running {
  urls: string[];
  pids: number[];
  procs: ChildProcess[];
  probeFiles: string[];
  stop(): Promise<void>;
}

const logDir = join(resultsDir, 'logs');
mkdirSync(logDir, { recursive: true });

async function waitHealthy(url: string, proc: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before becoming healthy`);
    try {
      const r = await http(url, 'GET', '/api/health', undefined, undefined, 2000);
      if (r.status === 200 && r.json?.status === 'ok') return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  throw new Error(`${url}/api/health not ok after ${timeoutMs} ms`);
}

function pin(pid: number, cpu: string) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
  } catch (e) {
    log(`taskset failed for ${pid}: ${(e as Error).message}`);
  }
}

async function stopProc(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = await Promise.race([exited.then(() => 'ok'), sleep(10_000).then(() => 'timeout')]);
  if (t === 'timeout') {
    p.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
  }
}

let serverDataDir: string | undefined;
// A persistent store (BENCH_DATA_DIR / BENCH_DATABASE_URL) reuses its cached users' tokens, so
// its secret must outlive the run; a throwaway store gets a random one.
const persistentStore = O.databaseUrl ?? O.dataDir;
const jwtSecret = persistentStore
  ? createHash('sha256').update(`bench-jwt|${persistentStore}`).digest('hex')
  : randomBytes(32).toString('hex');

async function startTarget(
  target: 'baseline' | 'server',
  phase: string,
  opts: { probe: boolean; cpuProf: boolean },
): Promise<Running> {
  const nodes = target === 'server' && O.redisUrl ? 2 : 1;
  const r: Running = { urls: [], pids: [], procs: [], probeFiles: [], stop: async () => {} };
  for (let i = 0; i < nodes; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const probeFile = join(tmpdir(), `bench-probe-${process.pid}-${target}-${i}.json`);
    rmSync(probeFile, { force: true });
    const nodeFlags: string[] = [];
    if (opts.probe) nodeFlags.push('--expose-gc', '--import', pathToUrl(join(here, 'probe.mjs')));
    if (opts.cpuProf) {
      mkdirSync(join(resultsDir, 'prof'), { recursive: true });
      nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'prof')}`, `--cpu-prof-name=${target}-${phase}-${i}-${Date.now()}.cpuprofile`);
    }
    let args: string[];
    let env: NodeJS.ProcessEnv;
    if (target === 'baseline') {
      args = [...nodeFlags, '--import', 'tsx', join(here, 'baseline-relay.ts')];
      env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', BENCH_PROBE_FILE: probeFile };
    } else {
      if (!serverDataDir) serverDataDir = O.dataDir ?? mkdtempSync(join(tmpdir(), 'bench-data-'));
      args = [...nodeFlags, join(root, 'dist/server/main.js')];
      env = {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: serverDataDir,
        JWT_SECRET: process.env.BENCH_JWT_SECRET ?? jwtSecret,
        BENCH_PROBE_FILE: probeFile,
        // All of the benchmark's users sign up from one address (a documented limit, not a hook).
        REGISTER_MAX_PER_IP: '1000000',
        ...O.serverEnv,
      };
      delete env.DATABASE_URL;
      delete env.REDIS_URL;
      if (O.databaseUrl) env.DATABASE_URL = O.databaseUrl;
      if (O.redisUrl) env.REDIS_URL = O.redisUrl;
      if (nodes > 1) env.NODE_ID = `bench${i}`;
    }
    if (opts.probe && O.heapSnapshots) {
      mkdirSync(join(resultsDir, 'heap'), { recursive: true });
      env.BENCH_PROBE_SNAPSHOT_DIR = join(resultsDir, 'heap');
    }
    const logFile = join(logDir, `${target}-${phase}-${i}.log`);
    const fd = openSync(logFile, 'w');
    const p = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    spawned.add(p);
    p.once('exit', () => spawned.delete(p));
    await waitHealthy(url, p).catch((e) => {
      let tail = '';
      try {
        tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      } catch {}
      throw new Error(`${target} did not start: ${(e as Error).message}\n--- ${logFile} ---\n${tail}`);
    });
    if (O.pin) pin(p.pid!, '0');
    r.urls.push(url);
    r.pids.push(p.pid!);
    r.procs.push(p);
    r.probeFiles.push(probeFile);
  }
  r.stop = async () => {
    await Promise.all(r.procs.map(stopProc));
    for (const f of r.probeFiles) rmSync(f, { force: true });
  };
  log(`${target} (${phase}) up: ${r.urls.join(', ')} pid ${r.pids.join(', ')}`);
  return r;
}

function pathToUrl(p: string) {
  return new URL(`file://${p}`).href;
}

/** Full GC in the target and its memoryUsage(), through bench/probe.mjs (SIGUSR2 → file). */
async function probeMemory(r: Running, i = 0): Promise<NodeJS.MemoryUsage & { gcMs: number; snapshot?: string }> {
  const f = r.probeFiles[i]!;
  let prevSeq = 0;
  try {
    prevSeq = JSON.parse(readFileSync(f, 'utf8')).seq;
  } catch {}
  process.kill(r.pids[i]!, 'SIGUSR2');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await sleep(100);
    try {
      const j = JSON.parse(readFileSync(f, 'utf8'));
      if (j.seq > prevSeq) return j;
    } catch {}
  }
  throw new Error('memory probe did not answer');
}

// ───────────────────────────── generator pool ─────────────────────────────
class Gen {
  children: ChildProcess[] = [];
  private waiters = new Map<ChildProcess, (m: ChildMsg) => void>();

  async start(n: number): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, () => {
        const c = fork(join(here, 'loadgen.ts'), [], {
          execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          cwd: root,
        });
        spawned.add(c);
        c.once('exit', () => spawned.delete(c));
        c.on('message', (m: ChildMsg) => {
          if (m.ev === 'log') {
            log(m.msg);
            return;
          }
          const w = this.waiters.get(c);
          if (w) {
            this.waiters.delete(c);
            w(m);
          }
        });
        this.children.push(c);
        return this.next(c, 30_000);
      }),
    );
    if (O.pin) for (const c of this.children) pin(c.pid!, '1');
  }

  next(c: ChildProcess, timeoutMs: number): Promise<ChildMsg> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.delete(c);
        reject(new Error(`load generator ${c.pid} did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(t);
        reject(new Error(`load generator ${c.pid} exited (${code})`));
      };
      this.waiters.set(c, (m) => {
        clearTimeout(t);
        c.off('exit', onExit);
        resolve(m);
      });
      c.once('exit', onExit);
    });
  }

  async all(msgs: ParentMsg[] | ParentMsg, timeoutMs: number): Promise<ChildMsg[]> {
    const ps = this.children.map((c) => this.next(c, timeoutMs));
    this.children.forEach((c, i) => c.send(Array.isArray(msgs) ? msgs[i]! : msgs));
    return Promise.all(ps);
  }

  async stop(): Promise<void> {
    for (const c of this.children) if (c.connected) c.send({ cmd: 'exit' } satisfies ParentMsg);
    await Promise.all(this.children.map((c) => Promise.race([new Promise((r) => c.once('exit', r)), sleep(3000)])));
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    this.children = [];
  }
}

function clientSpecs(target: 'baseline' | 'server', pop: Population, uids: number[]): ClientSpec[] {
  return uids.map((uid) => {
    const chatId = pop.chatOf[uid]!;
    const auth = target === 'server' ? { token: pop.users[uid]!.token } : { userId: pop.users[uid]!.id, chatIds: [chatId] };
    return { uid, auth, chatId, groupSize: pop.groupSizeOf[uid]! };
  });
}

async function connectAll(gen: Gen, r: Running, specsPerChild: ClientSpec[][], localAddresses: string[], label: string) {
  const t0 = Date.now();
  const res = await gen.all(
    specsPerChild.map((clients, i) => ({
      cmd: 'connect' as const,
      // with several nodes, child i talks to node i % nodes
      url: r.urls[i % r.urls.length]!,
      clients,
      concurrency: 50,
      timeoutMs: 20_000,
      localAddresses,
    })),
    600_000,
  );
  let ok = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  for (const m of res) {
    if (m.ev !== 'connected') throw new Error(`unexpected ${m.ev}`);
    ok += m.ok;
    failed += m.failed;
    for (const [k, v] of Object.entries(m.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const ms = Date.now() - t0;
  log(`${label}: ${ok} connected, ${failed} failed in ${(ms / 1000).toFixed(1)} s${failed ? ` ${JSON.stringify(errors)}` : ''}`);
  return { ok, failed, errors, ms };
}

// ───────────────────────────── one measured run ─────────────────────────────
export interface RunSummary {
  tag: string;
  rate: number;
  users: number;
  group: number;
  durationS: number;
  offeredPerS: number;
  sentPerS: number;
  ackedPerS: number;
  ackOk: number;
  ackFailed: number;
  ackTimeout: number;
  failCodes: Record<string, number>;
  /** message:receive events per second at non-senders (receive time inside the window) */
  deliveriesPerS: number;
  /** of the deliveries owed for acked window messages, the share that arrived */
  completeness: number;
  selfDeliveries: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  sendLagP99Ms: number;
  genLoopDelayP99Ms: number;
  disconnects: number;
  serverCpuMs: number;
  serverCores: number;
  /** share of the server's CPU time spent in the kernel (socket writes and reads) */
  serverSysSharePct?: number;
  cpuMsPer1000Deliveries: number;
  generatorCores: number;
  machineUtilPct: number;
  /** cores busy with processes other than the server and the generator (the machine is shared) */
  otherCores: number;
  serverRssMB: number;
  pass100ms: boolean;
}

async function measure(gen: Gen, r: Running, rate: number, durationS: number, warmupS: number, tag: string, pop: Population): Promise<RunSummary> {
  const senders = pop.users.length;
  const ratePerUser = rate / senders;
  const t0 = now() + 500;
  const w0 = t0 + warmupS * 1000;
  const w1 = w0 + durationS * 1000;
  const genPids = gen.children.map((c) => c.pid!);
  let cpuA = 0, cpuB = 0, genA = 0, genB = 0, sysA = 0, sysB = 0;
  const sumSys = (pids: number[]) => pids.reduce((a, p) => a + cpuSplitMs(p).sys, 0);
  let machA = { busy: 0, total: 0 }, machB = { busy: 0, total: 0 };
  const sumCpu = (pids: number[]) => pids.reduce((a, p) => a + cpuMs(p), 0);
  const sA = setTimeout(() => {
    cpuA = sumCpu(r.pids);
    sysA = sumSys(r.pids);
    genA = sumCpu(genPids);
    machA = machineTicks();
  }, w0 - now());
  const sB = setTimeout(() => {
    cpuB = sumCpu(r.pids);
    sysB = sumSys(r.pids);
    genB = sumCpu(genPids);
    machB = machineTicks();
  }, w1 - now());
  const res = await gen.all(
    { cmd: 'run', tag, t0, warmupMs: warmupS * 1000, durationMs: durationS * 1000, ratePerUser, contentBytes: O.contentBytes, ackTimeoutMs: O.ackTimeoutMs, drainMs: 1500 },
    (warmupS + durationS) * 1000 + O.ackTimeoutMs + 60_000,
  );
  clearTimeout(sA);
  clearTimeout(sB);
  const stats = res.map((m) => {
    if (m.ev !== 'result') throw new Error(`unexpected ${m.ev}`);
    return m.stats;
  });
  const out = summarize(tag, rate, durationS, stats, cpuB - cpuA, genB - genA, machA, machB, r, pop);
  out.serverSysSharePct = cpuB > cpuA ? Math.round((1000 * (sysB - sysA)) / (cpuB - cpuA)) / 10 : NaN;
  return out;
}

function summarize(tag: string, rate: number, durationS: number, stats: RunStats[], serverCpu: number, genCpu: number,
  machA: { busy: number; total: number }, machB: { busy: number; total: number }, r: Running, pop: Population): RunSummary {
  const sum = (f: (s: RunStats) => number) => stats.reduce((a, s) => a + f(s), 0);
  const lat = new Histogram(), ack = new Histogram(), lag = new Histogram();
  for (const s of stats) {
    lat.merge(s.latency);
    ack.merge(s.ackLatency);
    lag.merge(s.sendLag);
  }
  const failCodes: Record<string, number> = {};
  for (const s of stats) for (const [k, v] of Object.entries(s.failCodes)) failCodes[k] = (failCodes[k] ?? 0) + v;
  const deliveriesInWindow = sum((s) => s.deliveriesInWindow);
  const expected = sum((s) => s.expectedDeliveries);
  const offered = sum((s) => s.offered);
  const ackOk = sum((s) => s.ackOk);
  const ackFailed = sum((s) => s.ackFailed);
  const ackTimeout = sum((s) => s.ackTimeout);
  const completeness = expected ? sum((s) => s.deliveries) / expected : 0;
  const latency = lat.summary();
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const badSends = ackFailed + ackTimeout;
  const out: RunSummary = {
    tag,
    rate,
    users: pop.users.length,
    group: Math.max(...pop.groupSizeOf),
    durationS,
    offeredPerS: round(offered / durationS, 1),
    sentPerS: round(sum((s) => s.sent) / durationS, 1),
    ackedPerS: round(ackOk / durationS, 1),
    ackOk,
    ackFailed,
    ackTimeout,
    failCodes,
    deliveriesPerS: round(deliveriesInWindow / durationS, 1),
    completeness: round(completeness, 4),
    selfDeliveries: sum((s) => s.selfDeliveries),
    latency,
    ackLatency: ack.summary(),
    sendLagP99Ms: round(lag.percentile(99)),
    genLoopDelayP99Ms: round(Math.max(...stats.map((s) => s.loopDelayP99Ms))),
    disconnects: sum((s) => s.disconnects),
    serverCpuMs: round(serverCpu, 0),
    serverCores: round(serverCpu / (durationS * 1000)),
    cpuMsPer1000Deliveries: deliveriesInWindow ? round((serverCpu / deliveriesInWindow) * 1000, 3) : NaN,
    generatorCores: round(genCpu / (durationS * 1000)),
    machineUtilPct: machB.total > machA.total ? round((100 * (machB.busy - machA.busy)) / (machB.total - machA.total), 1) : NaN,
    otherCores: machB.total > machA.total
      ? round(Math.max(0, (2 * ((machB.busy - machA.busy) / (machB.total - machA.total)) * cpuCount) / 2 - serverCpu / (durationS * 1000) - genCpu / (durationS * 1000)))
      : NaN,
    serverRssMB: round(r.pids.reduce((a, p) => a + rssBytes(p), 0) / 2 ** 20, 1),
    pass100ms: latency.p99 < 100 && completeness >= 0.99 && badSends <= 0.01 * Math.max(1, offered),
  };
  log(
    `${tag}: offered ${out.offeredPerS}/s acked ${out.ackedPerS}/s (failed ${ackFailed}, timeout ${ackTimeout}) ` +
      `deliveries ${out.deliveriesPerS}/s complete ${(completeness * 100).toFixed(2)}% ` +
      `lat p50 ${latency.p50} p95 ${latency.p95} p99 ${latency.p99} max ${latency.max} ms; ` +
      `server ${out.serverCores} cores, ${out.cpuMsPer1000Deliveries} ms/1k deliveries; gen ${out.generatorCores} cores; machine ${out.machineUtilPct}% (others ${out.otherCores} cores); ` +
      `gen lag p99 ${out.sendLagP99Ms} ms` + (Object.keys(failCodes).length ? ` codes ${JSON.stringify(failCodes)}` : ''),
  );
  return out;
}

/** Waits (bounded) until the target has worked off any backlog: < 15 % of a core over 500 ms. */
async function coolDown(r: Running, target: string, maxMs = 120_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const a = r.pids.reduce((x, p) => x + cpuMs(p), 0);
    await sleep(500);
    const b = r.pids.reduce((x, p) => x + cpuMs(p), 0);
    if (b - a < 75 || !(b >= a)) break;
    if (Date.now() - t0 > maxMs) {
      log(`${target}: still busy after ${maxMs / 1000} s of cool-down; measuring anyway`);
      break;
    }
  }
  if (Date.now() - t0 > 1000) log(`${target}: cooled down in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ───────────────────────────── per-target phases ─────────────────────────────
interface IdleSummary {
  requested: number;
  attempted: number;
  connected: number;
  failed: number;
  errors: Record<string, number>;
  connectSeconds: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  heapBeforeMB: number;
  heapAfterMB: number;
  rssPerConnKB: number;
  heapPerConnKB: number;
  externalPerConnKB: number;
  gcMs: number;
  note?: string;
}

interface TargetResult {
  target: 'baseline' | 'server';
  mode: string;
  setup?: { registerMs: number; groupsMs: number; cached: boolean; users: number; groups: number };
  connect?: { ok: number; failed: number; ms: number };
  main?: RunSummary;
  sweep: RunSummary[];
  maxRateP99Under100?: number | null;
  idle?: IdleSummary;
  error?: string;
}

interface LoadCtx {
  target: 'baseline' | 'server';
  res: TargetResult;
  running?: Running;
  gen: Gen;
  pop?: Population;
  stopped: boolean;
}

async function prepareLoad(ctx: LoadCtx): Promise<void> {
  const { target, res, gen } = ctx;
  const running = await startTarget(target, 'load', { probe: false, cpuProf: O.cpuProf });
  ctx.running = running;
  if (target === 'server') {
    log(`registering ${O.users} users (concurrency ${O.regConcurrency}) and ${Math.ceil(O.users / O.group)} groups of ${O.group}…`);
    const cacheFile = O.dataDir || O.databaseUrl ? join(here, '.cache', `population-${Buffer.from(O.databaseUrl ?? O.dataDir!).toString('hex').slice(0, 40)}.json`) : undefined;
    const p = await createPopulation(running.urls[0]!, {
      users: O.users,
      groupSize: O.group,
      concurrency: O.regConcurrency,
      prefix: `b${randomBytes(3).toString('hex')}_`,
      deadlineMs: 15 * 60_000,
      log,
      cacheFile,
    });
    ctx.pop = p.pop;
    res.setup = { registerMs: p.registerMs, groupsMs: p.groupsMs, cached: p.cached, users: p.pop.users.length, groups: p.pop.groups.length };
    log(`setup: users ${(p.registerMs / 1000).toFixed(1)} s, groups ${(p.groupsMs / 1000).toFixed(1)} s${p.cached ? ' (cached)' : ''}`);
  } else {
    ctx.pop = baselinePopulation(O.users, O.group);
  }
  const pop = ctx.pop;
  await gen.start(O.procs);
  const uidsPer = gen.children.map((_, i) => pop.users.filter((u) => u.uid % O.procs === i).map((u) => u.uid));
  const c = await connectAll(gen, running, uidsPer.map((u) => clientSpecs(target, pop, u)), ['127.0.0.1'], `${target} load connections`);
  res.connect = { ok: c.ok, failed: c.failed, ms: c.ms };
  if (c.failed > 0) throw new Error(`${c.failed} load connections failed: ${JSON.stringify(c.errors)}`);
}

async function teardownLoad(ctx: LoadCtx): Promise<void> {
  if (ctx.gen.children.length) await ctx.gen.all({ cmd: 'disconnect' }, 60_000).catch(() => {});
  await ctx.gen.stop().catch(() => {});
  await ctx.running?.stop().catch(() => {});
  ctx.running = undefined;
}

const modeOf = (target: 'baseline' | 'server') =>
  target === 'baseline' ? 'bare socket.io relay' : `${O.databaseUrl ? 'PostgreSQL' : 'embedded SQLite'}${O.redisUrl ? ', 2 nodes via Redis' : ', 1 node'}`;

/**
 * Both targets are up at once (the one not being measured sits idle) and are measured
 * alternately at each rate, so slow drifts in the machine's background load hit both alike.
 */
async function benchAll(targets: Array<'baseline' | 'server'>): Promise<Record<string, TargetResult>> {
  const ctxs: LoadCtx[] = targets.map((target) => ({ target, res: { target, mode: modeOf(target), sweep: [] }, gen: new Gen(), stopped: false }));
  const fail = (ctx: LoadCtx, e: unknown) => {
    ctx.res.error = (e as Error).stack ?? String(e);
    ctx.stopped = true;
    log(`${ctx.target}: ERROR ${(e as Error).message}`);
  };
  const coolAll = async () => {
    for (const c of ctxs) if (c.running) await coolDown(c.running, c.target);
  };
  if (O.duration > 0 || O.sweep.length) {
    for (const ctx of ctxs) await prepareLoad(ctx).catch((e) => fail(ctx, e));
    // Sweep first, ascending, each target stopping at its first clearly overloaded rate; the main
    // run last, since an overloaded target keeps working off its backlog after the generator stops.
    for (const rate of [...O.sweep].sort((a, b) => a - b)) {
      for (const ctx of ctxs) {
        if (ctx.stopped) continue;
        try {
          await coolAll();
          const s = await measure(ctx.gen, ctx.running!, rate, O.sweepDuration, O.sweepWarmup, `${ctx.target} sweep R=${rate}`, ctx.pop!);
          ctx.res.sweep.push(s);
          if (s.latency.p99 > 5000 || s.completeness < 0.5) {
            log(`${ctx.target}: sweep stops at ${rate} msg/s (overloaded)`);
            ctx.stopped = true;
          }
        } catch (e) {
          fail(ctx, e);
        }
      }
    }
    if (O.duration > 0) {
      for (const ctx of ctxs) {
        if (!ctx.running || ctx.res.error) continue;
        try {
          await coolAll();
          ctx.res.main = await measure(ctx.gen, ctx.running, O.rate, O.duration, O.warmup, `${ctx.target} main R=${O.rate}`, ctx.pop!);
        } catch (e) {
          fail(ctx, e);
        }
      }
    }
    for (const ctx of ctxs) {
      const sorted = [...ctx.res.sweep].sort((a, b) => a.rate - b.rate);
      let best: number | null = null;
      for (const s of sorted) {
        if (!s.pass100ms) break;
        best = s.rate;
      }
      ctx.res.maxRateP99Under100 = sorted.length ? best : undefined;
      await teardownLoad(ctx);
    }
  }
  if (O.idleConns > 0) {
    for (const ctx of ctxs) {
      try {
        ctx.res.idle = await idlePhase(ctx.target, ctx.pop);
      } catch (e) {
        ctx.res.error = (ctx.res.error ? ctx.res.error + '\n' : '') + ((e as Error).stack ?? String(e));
        log(`${ctx.target} idle: ERROR ${(e as Error).message}`);
      }
    }
  }
  return Object.fromEntries(ctxs.map((c) => [c.target, c.res]));
}

async function idlePhase(target: 'baseline' | 'server', pop: Population | undefined): Promise<IdleSummary> {
  const lim = nofileLimit();
  let n = O.idleConns;
  let note: string | undefined;
  // The server process needs one descriptor per connection plus its own files.
  const cap = Number.isFinite(lim.hard) ? lim.hard - 64 : Infinity;
  if (n > cap) {
    note = `requested ${n}, capped at ${cap}: RLIMIT_NOFILE hard limit is ${lim.hard} here (one fd per connection plus the process's own)`;
    n = cap;
  }
  if (target === 'server') {
    if (!pop) throw new Error('idle phase needs the load phase population (tokens)');
    const perUserMax = Number(O.serverEnv.MAX_CONNECTIONS_PER_USER ?? 20);
    if (n > pop.users.length * perUserMax) {
      note = (note ? note + '; ' : '') + `capped at ${pop.users.length}×${perUserMax} (users × MAX_CONNECTIONS_PER_USER)`;
      n = pop.users.length * perUserMax;
    }
  }
  const popl = pop ?? baselinePopulation(O.users, O.group);
  const running = await startTarget(target, 'idle', { probe: true, cpuProf: false });
  const gen = new Gen();
  try {
    await gen.start(O.idleProcs);
    // Warm the code paths first, so that one-time costs (lazy compilation, and the optimized code
    // V8 makes once a path is hot: a few MB) are not billed per connection.
    const warm = Array.from({ length: Math.min(O.idleWarmup, popl.users.length) }, (_, i) => i);
    const warmSpecs = gen.children.map((_, i) => clientSpecs(target, popl, warm.filter((u) => u % O.idleProcs === i)));
    await connectAll(gen, running, warmSpecs, LOOPBACKS, `${target} idle warm-up`);
    await gen.all({ cmd: 'disconnect' }, 60_000);
    // The same settling time as before the second reading: the warm-up's disconnects (presence,
    // last-seen writes) finish first, so their garbage is not counted against the connections.
    await sleep(3000);
    const m0 = await probeMemory(running);
    const specs: ClientSpec[][] = gen.children.map(() => []);
    for (let i = 0; i < n; i++) {
      const uid = i % popl.users.length;
      const s = clientSpecs(target, popl, [uid])[0]!;
      delete s.chatId; // idle: never sends
      specs[i % O.idleProcs]!.push(s);
    }
    const c = await connectAll(gen, running, specs, LOOPBACKS, `${target} idle connections`);
    await sleep(3000);
    const m1 = await probeMemory(running);
    const perKB = (a: number, b: number) => (c.ok ? Math.round(((b - a) / c.ok / 1024) * 100) / 100 : NaN);
    const mb = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
    const out: IdleSummary = {
      requested: O.idleConns,
      attempted: n,
      connected: c.ok,
      failed: c.failed,
      errors: c.errors,
      connectSeconds: Math.round(c.ms / 100) / 10,
      rssBeforeMB: mb(m0.rss),
      rssAfterMB: mb(m1.rss),
      heapBeforeMB: mb(m0.heapUsed),
      heapAfterMB: mb(m1.heapUsed),
      rssPerConnKB: perKB(m0.rss, m1.rss),
      heapPerConnKB: perKB(m0.heapUsed, m1.heapUsed),
      externalPerConnKB: perKB(m0.external, m1.external),
      gcMs: Math.round(m1.gcMs),
      ...(note ? { note } : {}),
    };
    for (const m of [m0, m1]) if (m.snapshot) log(`${target} idle: heap snapshot ${m.snapshot}`);
    log(`${target} idle: ${c.ok} conns, heap ${out.heapPerConnKB} KB/conn, RSS ${out.rssPerConnKB} KB/conn (heap ${out.heapBeforeMB}→${out.heapAfterMB} MB, RSS ${out.rssBeforeMB}→${out.rssAfterMB} MB)`);
    await gen.all({ cmd: 'disconnect' }, 120_000);
    return out;
  } finally {
    await gen.stop();
    await running.stop();
  }
}

// ───────────────────────────── report ─────────────────────────────
/** Kept up: (nearly) every message acked and delivered. */
function healthy(r: RunSummary): boolean {
  return r.completeness >= 0.99 && r.ackFailed + r.ackTimeout <= 0.01 * Math.max(1, r.offeredPerS * r.durationS);
}

function ratio(a: number | undefined, b: number | undefined): number {
  return a !== undefined && b !== undefined && b !== 0 ? Math.round((a / b) * 1000) / 1000 : NaN;
}

function writeReport(results: Record<string, TargetResult>, meta: Record<string, unknown>) {
  const s = results.server;
  const b = results.baseline;
  const ratios = {
    delivered: ratio(s?.main?.deliveriesPerS, b?.main?.deliveriesPerS),
    p99: ratio(s?.main?.latency.p99, b?.main?.latency.p99),
    cpuPerDelivery: ratio(s?.main?.cpuMsPer1000Deliveries, b?.main?.cpuMsPer1000Deliveries),
    idleHeapPerConn: ratio(s?.idle?.heapPerConnKB, b?.idle?.heapPerConnKB),
    idleRssPerConn: ratio(s?.idle?.rssPerConnKB, b?.idle?.rssPerConnKB),
  };
  const targets = {
    delivered: { goal: '≥ 0.9× baseline', pass: ratios.delivered >= 0.9 },
    // A p99 ratio between two overloaded systems only compares how long the run lasted.
    p99: { goal: '≤ 2× baseline', pass: b?.main && !healthy(b.main) ? undefined : ratios.p99 <= 2 },
    cpuPerDelivery: { goal: '≤ 1.5× baseline', pass: ratios.cpuPerDelivery <= 1.5 },
    idleHeap: { goal: '≤ 8 KB heap per connection', pass: (s?.idle?.heapPerConnKB ?? Infinity) <= 8 },
    idle20k: { goal: '20,000 idle connections in one process', pass: (s?.idle?.connected ?? 0) >= 20_000 },
  };
  const json = { meta, options: O, results, ratios, targets };
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(resultsDir, `bench-${stamp}.json`), JSON.stringify(json, null, 2));
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(json, null, 2));

  const col = (r: TargetResult | undefined, f: (r: TargetResult) => string) => (r ? (r.error && !r.main && !r.idle ? 'error' : f(r)) : '–');
  const rows: Array<Array<string>> = [];
  const row = (label: string, f: (r: TargetResult) => string, rt?: number, goal?: string, pass?: boolean) =>
    rows.push([label, col(s, f), col(b, f), rt === undefined ? '' : fmt(rt, 2), goal ?? '', goal === undefined ? '' : pass === undefined ? 'n/a (baseline overloaded)' : pass ? 'yes' : '**no**']);
  row('kept up (≥ 99 % delivered, ≤ 1 % failed)', (r) => (r.main ? (healthy(r.main) ? 'yes' : 'no, overloaded') : '–'));
  const m = (r: TargetResult) => r.main;
  row('offered msg/s', (r) => fmt(m(r)?.offeredPerS));
  row('acked msg/s (failed / timed out)', (r) => `${fmt(m(r)?.ackedPerS)} (${m(r)?.ackFailed ?? '–'} / ${m(r)?.ackTimeout ?? '–'})`);
  row('deliveries/s (message:receive at other members)', (r) => fmt(m(r)?.deliveriesPerS), ratios.delivered, targets.delivered.goal, targets.delivered.pass);
  row('deliveries complete', (r) => (m(r) ? `${(m(r)!.completeness * 100).toFixed(2)} %` : '–'));
  row('latency p50 ms', (r) => fmt(m(r)?.latency.p50, 2));
  row('latency p95 ms', (r) => fmt(m(r)?.latency.p95, 2));
  row('latency p99 ms', (r) => fmt(m(r)?.latency.p99, 2), ratios.p99, targets.p99.goal, targets.p99.pass);
  row('latency max ms', (r) => fmt(m(r)?.latency.max, 1));
  row('ack latency p99 ms', (r) => fmt(m(r)?.ackLatency.p99, 2));
  row('server CPU ms per 1,000 deliveries', (r) => fmt(m(r)?.cpuMsPer1000Deliveries, 2), ratios.cpuPerDelivery, targets.cpuPerDelivery.goal, targets.cpuPerDelivery.pass);
  row('server CPU (cores)', (r) => fmt(m(r)?.serverCores, 2));
  row('server CPU in kernel %', (r) => fmt(m(r)?.serverSysSharePct, 0));
  row('generator CPU (cores)', (r) => fmt(m(r)?.generatorCores, 2));
  row('machine busy %', (r) => fmt(m(r)?.machineUtilPct, 0));
  row('other processes on the machine (cores)', (r) => fmt(m(r)?.otherCores, 2));
  row('generator send lag p99 ms', (r) => fmt(m(r)?.sendLagP99Ms, 1));
  row('server RSS after run MB', (r) => fmt(m(r)?.serverRssMB, 0));
  row('idle connections held', (r) => (r.idle ? `${r.idle.connected.toLocaleString('en-US')} / ${r.idle.attempted.toLocaleString('en-US')}` : '–'), undefined, targets.idle20k.goal, targets.idle20k.pass);
  row('idle heap per connection KB', (r) => fmt(r.idle?.heapPerConnKB, 2), ratios.idleHeapPerConn, targets.idleHeap.goal, targets.idleHeap.pass);
  row('idle RSS per connection KB', (r) => fmt(r.idle?.rssPerConnKB, 2), ratios.idleRssPerConn);
  row('highest sweep rate with p99 < 100 ms', (r) => (r.maxRateP99Under100 == null ? (r.sweep.length ? 'none' : '–') : `${r.maxRateP99Under100}`));

  let md = `# Benchmark results\n\n${meta.date} · ${meta.cpus}× ${meta.cpuModel} · Node ${meta.node} · U=${O.users}, G=${O.group}, R=${O.rate} msg/s for ${O.duration} s (+${O.warmup} s warm-up), ${O.procs} generator processes${O.pin ? ', pinned (server CPU 0, generator CPU 1)' : ', unpinned'}; project mode: ${s?.mode ?? '–'}\n\n`;
  md += mdTable(['metric', 'project', 'baseline', 'ratio', 'target', 'met'], rows);
  md += `\nSweep (p99 end-to-end latency in ms; deliveries/s; completeness):\n\n`;
  const rates = [...new Set([...(s?.sweep ?? []), ...(b?.sweep ?? [])].map((x) => x.rate))].sort((x, y) => x - y);
  const cell = (r: TargetResult | undefined, rate: number) => {
    const p = r?.sweep.find((x) => x.rate === rate);
    return p ? `${fmt(p.latency.p99, 1)} ms · ${fmt(p.deliveriesPerS)}/s · ${(p.completeness * 100).toFixed(1)} %${p.ackFailed + p.ackTimeout ? ` · ${p.ackFailed + p.ackTimeout} failed` : ''}${p.pass100ms ? '' : ' ✗'}` : '–';
  };
  md += mdTable(['offered msg/s', 'project', 'baseline'], rates.map((rate) => [String(rate), cell(s, rate), cell(b, rate)]));
  for (const r of [s, b]) if (r?.error) md += `\n${r.target} error: \`${r.error.split('\n')[0]}\`\n`;
  for (const r of [s, b]) if (r?.idle?.note) md += `\n${r.target} idle: ${r.idle.note}\n`;
  md += `\n![p99 vs offered rate](p99-vs-rate.svg)\n`;
  writeFileSync(join(resultsDir, 'latest.md'), md);

  const svg = svgChart(
    [
      { name: 'project', color: '#1f6fd1', points: (s?.sweep ?? []).map((x) => ({ rate: x.rate, p99: x.latency.p99, pass: x.pass100ms })) },
      { name: 'bare relay', color: '#e07b00', points: (b?.sweep ?? []).map((x) => ({ rate: x.rate, p99: x.latency.p99, pass: x.pass100ms })) },
    ],
    {
      title: 'p99 end-to-end latency vs offered rate',
      subtitle: `U=${O.users}, G=${O.group}, ${O.sweepDuration} s per point, ${meta.cpus} cores shared by server and generator · ${s?.mode ?? ''}`,
      thresholdMs: 100,
    },
  );
  writeFileSync(join(resultsDir, 'p99-vs-rate.svg'), svg);
  console.log('\n' + md);
  log(`wrote ${join(resultsDir, 'latest.json')}, latest.md, p99-vs-rate.svg`);
}

// ───────────────────────────── main ─────────────────────────────
async function main() {
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    cpuModel: cpuModel(),
    nofile: nofileLimit(),
    argv,
  };
  log(`options ${JSON.stringify({ ...O, serverEnv: O.serverEnv })}`);
  if (O.targets.includes('server') && O.build) {
    log('npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  if (O.targets.includes('server') && !existsSync(join(root, 'dist/server/main.js'))) throw new Error('dist/server/main.js missing after build');
  const results = await benchAll(O.targets);
  writeReport(results, meta);
  if (serverDataDir && !O.dataDir) rmSync(serverDataDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    killAll();
    process.exit(1);
  },
);
